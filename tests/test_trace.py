"""Perfetto/Chrome trace export: the JSON's structure, and what it must say about a run.

The invariants (checked on every random workload):

* every event carries what its phase needs, and metadata names each track;
* on one track, complete (X) slices never overlap (half-open intervals:
  slices may touch, and zero-length ones may sit on a boundary);
* a G's run slices add up to its ``running_ns``: the engine counts a slice
  from ``execute`` (or a fast-path ``exitsyscall``) to ``dropg``, and closes
  the slice of a G still running when main exits at the makespan, which is
  where the trace closes it too;
* likewise a P's slices add up to its ``busy_ns``;
* flows come in start/finish pairs; counters are never negative.
"""

import dataclasses
import gzip
import json
from collections import defaultdict

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import gmpcore as gmp
from gmpcore import scenarios
from gmpcore.events import EV_PREEMPT, EV_STEAL, EV_THREAD_CREATE
from gmpcore.trace import OPEN, PID_MS, PID_PS, run_slices, to_perfetto
from synthetic import synthetic_monitor
from gmpcore.strategies import workloads

NEEDS = {"X": {"dur"}, "i": {"s"}, "s": {"id"}, "f": {"id", "bp"}, "C": {"args"}, "M": {"args"}}

def ns(us):
    """A trace time (µs, float) back to integer ns; exact for our 3 decimals."""
    return round(us * 1000)


def with_monitor(res, mon):
    out = dataclasses.replace(res)
    out.monitor = mon
    return out


def check_trace(trace, res):
    """Every invariant of the module docstring that the JSON alone can show."""
    assert trace["displayTimeUnit"] == "ns"
    events = trace["traceEvents"]
    named_procs, named_threads, used = set(), set(), set()
    slices = defaultdict(list)
    flows = defaultdict(list)
    for e in events:
        for key in ("name", "ph", "ts", "pid", "tid"):
            assert key in e, (key, e)
        assert isinstance(e["ts"], (int, float)) and e["ts"] >= 0
        assert NEEDS.get(e["ph"], set()) <= e.keys(), e
        if e["ph"] == "M":
            if e["name"] == "process_name":
                named_procs.add(e["pid"])
            elif e["name"] == "thread_name":
                named_threads.add((e["pid"], e["tid"]))
            continue
        used.add((e["pid"], e["tid"]))
        if e["ph"] == "X":
            assert e["dur"] >= 0
            assert abs(ns(e["ts"]) - e["ts"] * 1000) < 1e-3       # sub-µs precision kept
            slices[e["pid"], e["tid"]].append((ns(e["ts"]), ns(e["ts"]) + ns(e["dur"]), e))
        elif e["ph"] in "sf":
            flows[e["id"]].append(e)
        elif e["ph"] == "C":
            assert all(v >= 0 for v in e["args"].values()), e
    assert used <= named_threads
    assert {pid for pid, _ in used} <= named_procs
    for track, spans in slices.items():
        spans.sort(key=lambda s: (s[0], s[1]))
        for (_, end, a), (start, _, b) in zip(spans, spans[1:]):
            assert start >= end, f"overlap on {track}: {a} and {b}"
    for fid, pair in flows.items():
        assert sorted(e["ph"] for e in pair) == ["f", "s"], pair
        s, f = sorted(pair, key=lambda e: e["ph"], reverse=True)
        assert s["name"] == f["name"] and s["cat"] == f["cat"]
        assert f["ts"] >= s["ts"]
    if res.events is not None:
        gs = res.goroutines
        for pid in (PID_PS, PID_MS):
            total = defaultdict(int)
            for track, spans in slices.items():
                if track[0] == pid:
                    for start, end, e in spans:
                        if e["cat"] == "G":
                            total[e["args"]["goid"]] += end - start
            expect = {int(g): int(r) for g, r in zip(gs["goid"], gs["running_ns"]) if r}
            assert {g: t for g, t in total.items() if t} == expect
    return slices, flows


@pytest.fixture(scope="module")
def fanout_run():
    return gmp.simulate(scenarios.fanout(n=600, work="5us"), gomaxprocs=4, seed=3,
                        record_events=True)


@pytest.fixture(scope="module")
def syscall_run():
    return gmp.simulate(scenarios.blocking_syscalls(n=6, duration="12ms"), gomaxprocs=2,
                        seed=1, record_events=True)


def test_tracks_are_named(fanout_run):
    trace = to_perfetto(fanout_run)
    meta = [e for e in trace["traceEvents"] if e["ph"] == "M"]
    procs = {e["args"]["name"]: e["pid"] for e in meta if e["name"] == "process_name"}
    assert procs == {"Ps": PID_PS, "Ms": PID_MS}
    threads = {e["args"]["name"] for e in meta if e["name"] == "thread_name"}
    assert {f"P{p}" for p in range(4)} <= threads
    ms = set(np.unique(fanout_run.events["m"]).tolist()) - {-1}
    assert {n.split()[0] for n in threads if n.startswith("M")} == {f"M{m}" for m in ms}
    assert trace["traceEvents"][:len(meta)] == meta                 # metadata first
    check_trace(trace, fanout_run)


def test_slices_named_by_goid_with_args(fanout_run):
    trace = to_perfetto(fanout_run)
    xs = [e for e in trace["traceEvents"] if e["ph"] == "X" and e["cat"] == "G"]
    assert len(xs) == 2 * len(run_slices(fanout_run))               # on its P and its M
    for e in xs:
        assert e["name"] == f"G{e['args']['goid']}"
        assert {"goid", "program", "stop"} <= e["args"].keys()
        assert ("m" in e["args"]) == (e["pid"] == PID_PS)
    assert {e["args"]["stop"] for e in xs} <= {"exit", "park", "gosched", "preempt", "syscall",
                                               "end of trace"}


def test_steal_flows_go_from_victim_to_thief(fanout_run):
    trace = to_perfetto(fanout_run)
    ev = fanout_run.events
    steals = ev[ev["kind"] == EV_STEAL]
    assert len(steals) > 0
    _, flows = check_trace(trace, fanout_run)
    pairs = [sorted(f, key=lambda e: e["ph"], reverse=True) for f in flows.values()
             if f[0]["name"] == "steal"]
    assert len(pairs) == len(steals)
    got = sorted((ns(s["ts"]), s["tid"] - 1, f["tid"] - 1) for s, f in pairs)
    want = sorted(zip(steals["time"].tolist(), steals["arg"].tolist(), steals["p"].tolist()))
    assert got == want


def test_syscalls_handoffs_and_instants(syscall_run):
    trace = to_perfetto(syscall_run)
    _, flows = check_trace(trace, syscall_run)
    events = trace["traceEvents"]
    sys_slices = [e for e in events if e["ph"] == "X" and e["name"] == "syscall"]
    assert len(sys_slices) == syscall_run.counters["syscalls"]
    assert all(e["pid"] == PID_MS for e in sys_slices)
    handoffs = [f for f in flows.values() if f[0]["name"] == "handoff"]
    assert 0 < len(handoffs) <= syscall_run.counters["handoffs"]
    for pair in handoffs:
        s = next(e for e in pair if e["ph"] == "s")
        assert s["pid"] == PID_MS                                    # from the M in the syscall
    instants = defaultdict(int)
    for e in events:
        if e["ph"] == "i":
            instants[e["name"]] += 1
    ev = syscall_run.events
    assert instants["preempt"] == int((ev["kind"] == EV_PREEMPT).sum())
    assert instants["thread create"] == int((ev["kind"] == EV_THREAD_CREATE).sum())
    assert instants["handoff"] == syscall_run.counters["handoffs"]


def test_open_slices_close_at_the_end():
    # Main returns while its goroutine is still computing on the other P.
    wl = gmp.Workload()
    busy = wl.program(gmp.cpu("1ms"), name="busy")
    wl.main(gmp.go(busy), gmp.cpu("200us"))
    res = gmp.simulate(wl, gomaxprocs=2, seed=1, record_events=True)
    s = run_slices(res)
    still = s[s["reason"] == OPEN]
    assert len(still) > 0
    assert (still["end"] == res.makespan_ns).all()
    trace = to_perfetto(res)
    check_trace(trace, res)
    ends = [e for e in trace["traceEvents"] if e["ph"] == "X" and e["args"]["stop"] == "end of trace"]
    assert len(ends) == 2 * len(still)


def test_written_file_is_the_returned_trace(tmp_path, fanout_run):
    trace = to_perfetto(fanout_run, tmp_path / "out.json")
    text = (tmp_path / "out.json").read_text()
    assert json.loads(text) == trace
    assert text.count("\n") == len(trace["traceEvents"]) + 2          # one event per line
    to_perfetto(fanout_run, str(tmp_path / "out.json.gz"))
    with gzip.open(tmp_path / "out.json.gz", "rt") as f:
        assert json.load(f) == trace


def test_needs_events():
    res = gmp.simulate(scenarios.fanout(n=10), gomaxprocs=2, seed=1)
    with pytest.raises(ValueError, match="record_events=True"):
        to_perfetto(res)
    with pytest.raises(ValueError, match="record_events=True"):
        run_slices(res)


def test_counters_from_a_monitor(fanout_run):
    mon = synthetic_monitor(4, n=40)
    mon[10:20] = mon[10]                                     # unchanged samples are skipped
    mon["time"] = np.arange(len(mon)) * 100_000
    trace = to_perfetto(with_monitor(fanout_run, mon))
    check_trace(trace, fanout_run)
    counters = [e for e in trace["traceEvents"] if e["ph"] == "C"]
    runq = [e for e in counters if e["name"] == "runq"]
    assert len(runq) == len(mon) - 9
    assert set(runq[0]["args"]) == {"global", "P0", "P1", "P2", "P3"}
    first = runq[0]["args"]
    assert first["global"] == mon["global_queue"][0]
    assert [first[f"P{p}"] for p in range(4)] == mon["local_queues"][0].tolist()
    names = {e["name"] for e in counters}
    assert names == {"runq", "goroutines", "procs", "threads", "memory"}
    threads = next(e for e in counters if e["name"] == "threads")["args"]
    assert set(threads) == {"total", "idle", "spinning"}
    assert all(e["pid"] in (PID_PS, PID_MS) for e in counters)


def test_monitor_alone():
    res = gmp.simulate(scenarios.fanout(n=10), gomaxprocs=2, seed=1)
    trace = to_perfetto(with_monitor(res, synthetic_monitor(2, n=5)))
    check_trace(trace, res)
    assert {e["ph"] for e in trace["traceEvents"]} == {"M", "C"}


@given(workloads(max_goroutines=40), st.integers(1, 4), st.integers(0, 2**32))
def test_trace_invariants_on_random_workloads(wl, procs, seed):
    res = gmp.simulate(wl, gomaxprocs=procs, seed=seed, record_events=True)
    check_trace(to_perfetto(res), res)
    s = run_slices(res)
    dur = s["end"] - s["start"]
    running = np.bincount(s["g"], weights=dur, minlength=len(res.goroutines))
    assert (running.astype(np.int64) == res.goroutines["running_ns"]).all()
    busy = np.bincount(s["p"], weights=dur, minlength=len(res.procs))   # every P that existed
    assert (busy.astype(np.int64) == res.procs["busy_ns"]).all()
    assert (s["goid"] == res.goroutines["goid"][s["g"]]).all()


# --- with the engine's monitor and event filters

def test_real_monitor_counters():
    res = gmp.simulate(scenarios.fanout(n=2000, work="5us"), gomaxprocs=4, seed=1,
                           record_events=True, monitor="100us")
    assert res.monitor is not None
    trace = to_perfetto(res)
    check_trace(trace, res)
    runq = [e for e in trace["traceEvents"] if e["ph"] == "C" and e["name"] == "runq"]
    assert runq and max(e["args"]["global"] for e in runq) > 0      # the ring spilled


def test_trace_window():
    t0, t1 = 1_000_000, 3_000_000
    res = gmp.simulate(scenarios.fanout(n=3000, work="5us"), gomaxprocs=4, seed=1,
                           record_events=True, trace_window=(t0, t1))
    ev = res.events
    assert ev is not None and ((ev["time"] >= t0) & (ev["time"] <= t1)).all()
    assert res.trace_window == (t0, t1)
    s = run_slices(res)
    assert len(s) and (s["start"] >= t0).all() and (s["end"] <= t1).all()
    trace = to_perfetto(res)
    for e in trace["traceEvents"]:
        if e["ph"] == "X":
            assert t0 <= ns(e["ts"]) and ns(e["ts"]) + ns(e["dur"]) <= t1


def test_trace_goroutines_and_cap():
    full = gmp.simulate(scenarios.fanout(n=300, work="5us"), gomaxprocs=4, seed=1)
    chosen = full.goroutines["goid"][[0, 5, 17]]
    res = gmp.simulate(scenarios.fanout(n=300, work="5us"), gomaxprocs=4, seed=1,
                           record_events=True, trace_goroutines=chosen)
    s = run_slices(res)
    assert set(s["goid"].tolist()) == set(chosen.tolist())
    gs = res.goroutines
    for g in s["g"]:
        assert (s["end"] - s["start"])[s["g"] == g].sum() == gs["running_ns"][g]
    capped = gmp.simulate(scenarios.fanout(n=300, work="5us"), gomaxprocs=4, seed=1,
                              record_events=True, max_trace_events=100)
    assert len(capped.events) <= 100
    assert capped.counters["events_dropped"] > 0
    last = int(capped.events["time"][-1])
    assert (run_slices(capped)["end"] <= last).all()           # open slices end with the log
    trace = to_perfetto(capped)
    _, _ = check_trace(trace, dataclasses.replace(capped, events=None))


def test_parked_slices_carry_their_wait_reason():
    wl = gmp.Workload()
    ch = wl.chan()
    wg = wl.waitgroup()
    worker = wl.program(gmp.cpu("2us"), gmp.send(ch), gmp.sleep("5us"), gmp.done(wg))
    wl.main(gmp.add(wg, 1), gmp.go(worker), gmp.recv(ch), gmp.wait(wg))
    res = gmp.simulate(wl, gomaxprocs=1, seed=0, record_events=True)
    waits = [e["args"].get("wait") for e in to_perfetto(res)["traceEvents"]
             if e.get("ph") == "X" and e.get("pid") == PID_PS]
    assert waits.count("chan receive") == 1 and waits.count("sleep") == 1
    assert waits.count("sync.WaitGroup.Wait") == 1
    # every park in the log is followed by its wait reason
    ev = res.events
    parks = np.nonzero((ev["kind"] == 2) & (ev["arg"] == 1))[0]
    assert len(parks) == 3 and all(ev["kind"][i + 1] == 17 for i in parks)
