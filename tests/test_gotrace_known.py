"""Known answers: a hand-written trace whose figures are derived by hand.

The trace (Go 1.22 format, built with the text converter of
test_gotrace_go_testdata) has a frequency of 1e9 ticks/s, so one tick is one
nanosecond, and every batch starts at tick 100, so the generation's Sync
event is at 100 and times below count from there (ns).  One thread (M 0)
holding P 0 runs, with time deltas:

    dt  time  event
     1     1  ProcStatus p=0 Running
     1     2  GoStatus g=1 Running          (g1 existed before the trace)
     8    10  GoCreate g=2                  (by g1)
    20    30  GoBlock "chan receive"        (g1 waits)
     5    35  GoStart g=2
    40    75  GoUnblock g=1                 (by g2: the unblock edge)
     5    80  GoDestroy                     (g2 exits)
    20   100  GoStart g=1
    50   150  GoStop "yield"                (g1 runnable at the end)
          151 Sync (Go's final one: the last time + 1)

Go's Summarizer rules (internal/trace/summary.go) then give, by hand:

g1: appears Undetermined -> Running at 2: exec 2 - 0 (since the Sync) = 2;
    runs to 30: exec 30; blocked 30..75: block[chan receive] 45; runnable
    75..100: sched 25; runs 100..150: exec 80; runnable 150..151 (the end):
    sched 26.  total = 151 - 0 = 151; start 2 (first time running); no end.
g2: created at 10 by g1; runnable 10..35: sched 25; runs 35..80: exec 45;
    ends at 80: total 70.
Scheduling latency (pprof.go): g2 10..35 (25 ns; Go's sched profile counts
only its overlap with [g2's first run 35, end 80]: 0), g1 75..100 (25 ns,
inside [2, 151]: counted 25).  g1's last runnable interval never ends: not
an interval.
"""

import numpy as np
import pytest

import gmpcore as gmp
from gmpcore.gotrace.events import EV, GO_STATES
from test_gotrace_go_testdata import text_to_binary, uvarint

EVENTS = """\
ProcStatus dt=1 p=0 pstatus=1
GoStatus dt=1 g=1 m=0 gstatus=2
GoCreate dt=8 new_g=2 new_stack=0 stack=0
GoBlock dt=20 reason_string=1 stack=0
GoStart dt=5 g=2 g_seq=1
GoUnblock dt=40 g=1 g_seq=1 stack=0
GoDestroy dt=5
GoStart dt=20 g=1 g_seq=2
GoStop dt=50 reason_string=2 stack=0
"""


def build(events=EVENTS):
    body = text_to_binary("Trace Go1.22\n" + events)[16:]
    freq = text_to_binary("Trace Go1.22\nFrequency freq=1000000000\n")[16:]
    strings = bytes([EV["Strings"]]) + b"".join(
        bytes([EV["String"]]) + uvarint(i) + uvarint(len(s)) + s
        for i, s in ((1, b"chan receive"), (2, b"yield")))
    out = bytearray(b"go 1.22 trace\x00\x00\x00")
    for m, data in ((0, body), (2**64 - 1, freq), (2**64 - 1, strings),
                    (2**64 - 1, bytes([EV["Stacks"]]))):
        out += bytes([EV["EventBatch"]]) + uvarint(1) + uvarint(m) + uvarint(100) + uvarint(len(data))
        out += data
    return bytes(out)


@pytest.fixture(scope="module")
def tr():
    return gmp.read_go_trace(build())


def test_times_and_order(tr):
    names = tr.kind_names().tolist()
    assert names == ["Sync", "ProcStatus", "GoStatus", "GoCreate", "GoBlock", "GoStart",
                     "GoUnblock", "GoDestroy", "GoStart", "GoStop", "Sync"]
    assert tr.events["time_ns"].tolist() == [0, 1, 2, 10, 30, 35, 75, 80, 100, 150, 151]
    assert tr.start_ns == 100


def test_unblock_edge_and_states(tr):
    ev = tr.events[tr.events["kind"] == EV["GoUnblock"]][0]
    # g2 (running) made g1 runnable: Waiting -> Runnable.
    assert (int(ev["g"]), int(ev["target"])) == (2, 1)
    assert (GO_STATES[ev["from_state"]], GO_STATES[ev["to_state"]]) == ("Waiting", "Runnable")
    block = tr.events[tr.events["kind"] == EV["GoBlock"]][0]
    assert tr.strings[block["str"]] == "chan receive"
    create = tr.events[tr.events["kind"] == EV["GoCreate"]][0]
    assert (int(create["g"]), int(create["target"]), int(create["p"]), int(create["m"])) == (1, 2, 0, 0)


def test_goroutine_table(tr):
    g = tr.goroutines.set_index("goid")
    assert g.loc[1, ["exec_ns", "sched_wait_ns", "block_ns", "total_ns", "start_ns", "end_ns",
                     "parent"]].tolist() == [80, 26, 45, 151, 2, -1, -1]
    assert g.loc[1, "block_ns[chan receive]"] == 45
    assert g.loc[2, ["exec_ns", "sched_wait_ns", "block_ns", "total_ns", "creation_ns",
                     "start_ns", "end_ns", "parent"]].tolist() == [45, 25, 0, 70, 10, 35, 80, 1]


def test_sched_latency(tr):
    lat = tr.sched_latency
    assert lat[["goid", "start_ns", "end_ns", "latency_ns", "pprof_ns", "cause", "by"]] \
        .values.tolist() == [[2, 10, 35, 25, 0, "GoCreate", 1], [1, 75, 100, 25, 25, "GoUnblock", 2]]


def test_summary(tr):
    s = tr.summary()
    assert (s["duration_ns"], s["goroutines"], s["threads"], s["events"]) == (151, 2, 1, 11)
    assert s["sched_latency_ns"]["max"] == 25


def test_a_start_before_its_unblock_waits_for_it():
    # Swap the two threads' roles: M 1's GoStart g=1 (seq 2) is stamped before
    # M 0's GoUnblock (seq 1) by a clock skew; Go's ordering still puts the
    # unblock first (a GoStart needs the goroutine Runnable at seq+1).
    events = EVENTS.replace("GoStart dt=20 g=1 g_seq=2\nGoStop dt=50 reason_string=2 stack=0\n", "")
    data = bytearray(build(events))
    other = text_to_binary("Trace Go1.22\nProcStatus dt=1 p=1 pstatus=1\n"
                           "GoStart dt=50 g=1 g_seq=2\n")[16:]
    data += bytes([EV["EventBatch"]]) + uvarint(1) + uvarint(1) + uvarint(100) + uvarint(len(other))
    data += other
    tr = gmp.read_go_trace(bytes(data))
    names = tr.kind_names().tolist()
    # M 1's GoStart is stamped 51 (100 + 1 + 50, less 100): when M 0's
    # GoUnblock (75) has happened it is the earliest event of the frontier
    # and can happen, so it comes right after the unblock, its time raised to
    # 75 + 1 (times are kept strictly increasing), before M 0's GoDestroy (80).
    i = names.index("GoUnblock")
    assert names[i:i + 3] == ["GoUnblock", "GoStart", "GoDestroy"]
    assert tr.events["time_ns"][i:i + 3].tolist() == [75, 76, 80]
    assert int(tr.events["m"][i + 1]) == 1 and int(tr.events["target"][i + 1]) == 1


def test_waiting_intervals(tr):
    # g1 blocks at 30 ("chan receive", its own GoBlock) and g2's GoUnblock
    # at 75 ends the wait: 45 ns, all inside [g1's first run 2, end 151].
    iv = tr.state_intervals("waiting")
    assert iv[["goid", "start_ns", "end_ns", "duration_ns", "pprof_ns", "reason", "cause", "by",
               "end_cause", "end_by"]].values.tolist() == [
        [1, 30, 75, 45, 45, "chan receive", "GoBlock", 1, "GoUnblock", 2]]
    assert tr.state_intervals("syscall").empty
    with pytest.raises(ValueError, match="state must be one of"):
        tr.state_intervals("running")
