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
* flows come in start/finish pairs, and Perfetto's importer binds each end
  to a slice that contains it (:func:`perfetto_bindings` replays its rules
  on the JSON); counters are never negative;
* no slice has zero length: a run of 0 ns is an instant.
"""

import dataclasses
import gzip
import json
import os
import shutil
import warnings
from collections import defaultdict

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import gmpcore as gmp
from gmpcore import scenarios
from gmpcore.events import (
    EV_HANDOFF, EV_PREEMPT, EV_RUN, EV_STEAL, EV_STOP, EV_STW_DONE, EV_STW_START,
    EV_SYSCALL_EXIT, EV_THREAD_CREATE, EV_WAIT, STOP_PARK, WAIT_STOPPING_THE_WORLD,
)
from gmpcore.trace import (
    OPEN, PID_MS, PID_PS, TraceFile, TraceSizeWarning, estimate_trace_bytes, run_slices,
    to_perfetto, trace_span,
)
from gmpcore.strategies import workloads
from synthetic import synthetic_monitor
from zero_costs import zero_costs

NEEDS = {"X": {"dur"}, "i": {"s"}, "s": {"id"}, "f": {"id", "bp"}, "C": {"args"}, "M": {"args"}}

def ns(us):
    """A trace time (µs, float) back to integer ns; exact for our 3 decimals."""
    return round(us * 1000)


def with_monitor(res, mon):
    out = dataclasses.replace(res)
    out.monitor = mon
    return out


def perfetto_bindings(events):
    """The slice each flow event binds to, by the rules of Perfetto's JSON importer.

    Restated from perfetto's trace_processor (json_trace_parser_impl.cc,
    flow_tracker.cc, slice_tracker.cc, trace_sorter.h): events are sorted by
    time, at equal times complete (X) slices first, longest first, and the
    rest in the file's order; a thread-scoped instant is a slice of duration
    0; pushing a slice first pops those that ended before it (or at its
    start, unless both have duration 0); a flow start ("s") or a flow end
    with "bp": "e" binds to the topmost slice of its track, and the flow is
    dropped when there is none, or when its end is read before its start.

    Returns ``{(id, ph): (ts, (start, end, event) or None)}``, times in ns.
    """
    inf = float("inf")
    body = [(ns(e["ts"]), -ns(e["dur"]) if e["ph"] == "X" else inf, i, e)
            for i, e in enumerate(events) if e["ph"] != "M"]
    body.sort(key=lambda item: item[:3])
    stacks = defaultdict(list)
    bound, started = {}, set()
    for ts, _, _, e in body:
        stack = stacks[e["pid"], e["tid"]]
        if e["ph"] == "X" or (e["ph"] == "i" and e.get("s", "t") == "t"):
            dur = ns(e["dur"]) if e["ph"] == "X" else 0
            while stack and (stack[-1][1] < ts or (stack[-1][1] == ts and not (
                    stack[-1][0] == stack[-1][1] and dur == 0))):
                stack.pop()
            stack.append((ts, ts + dur, e))
        elif e["ph"] == "s" or (e["ph"] == "f" and e.get("bp") == "e"):
            assert (e["id"], e["ph"]) not in bound, e                   # ids are unique
            if e["ph"] == "s" and stack:
                started.add(e["id"])
            # An end read before its start is dropped (flow_end_without_start).
            ok = stack and (e["ph"] == "s" or e["id"] in started)
            bound[e["id"], e["ph"]] = (ts, stack[-1] if ok else None)
    return bound


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
            assert e["dur"] > 0, e                                   # 0 ns: an instant
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
        assert f["ts"] >= s["ts"] and f["bp"] == "e"
    bound = perfetto_bindings(events)
    for fid in flows:
        for ph in "sf":
            ts, slice_ = bound[fid, ph]
            assert slice_ is not None, f"flow {fid} ({ph}) has no slice on its track"
            start, end, e = slice_
            assert start <= ts <= end, f"flow {fid} ({ph}) at {ts} binds to {e}"
            if ph == "s":
                assert e["ph"] == "i" and e["name"] == flows[fid][0]["name"], e   # its anchor
            elif e["ph"] == "i" and e["name"].endswith(" arrival"):  # a marker of its own
                assert e["cat"] == flows[fid][0]["cat"] and start == ts, e
            else:
                assert e["cat"] == "G" and start == ts, e          # the run it leads to
    if res.events is not None:
        gs = res.goroutines
        for pid in (PID_PS, PID_MS):
            total = defaultdict(int)
            for track, spans in slices.items():
                if track[0] == pid:
                    for start, end, e in spans:
                        if e.get("cat") == "G":
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
    # (main alone: its start-up handoff, stoplockedm's, is not a syscall's)
    return gmp.simulate(scenarios.blocking_syscalls(n=6, duration="12ms"), gomaxprocs=2,
                        seed=1, record_events=True, runtime_init=False)


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
    xs = [e for e in trace["traceEvents"] if e["ph"] in "Xi" and e.get("cat") == "G"]
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
    # Each arrow starts at a "steal" marker on the victim and ends on the stolen G.
    bound = perfetto_bindings(trace["traceEvents"])
    goid = fanout_run.goroutines["goid"]
    got = sorted((ns(s["ts"]), bound[s["id"], "s"][1][2]["args"]["goid"],
                  bound[f["id"], "f"][1][2]["args"]["goid"]) for s, f in pairs)
    want = sorted(zip(steals["time"].tolist(), goid[steals["g"]].tolist(),
                      goid[steals["g"]].tolist()))
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
    ev = syscall_run.events
    assert len(handoffs) == (ev["kind"] == EV_HANDOFF).sum()        # each P ran again
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
    ends = [e for e in trace["traceEvents"]
            if e["ph"] in "Xi" and e.get("args", {}).get("stop") == "end of trace"]
    assert len(ends) == 2 * len(still)


def test_written_file_is_the_returned_trace(tmp_path, fanout_run):
    # Written as a stream: the call returns what it wrote, not the events.
    trace = to_perfetto(fanout_run)
    written = to_perfetto(fanout_run, tmp_path / "out.json")
    text = (tmp_path / "out.json").read_text()
    assert json.loads(text) == trace
    assert text.count("\n") == len(trace["traceEvents"]) + 2          # one event per line
    meta = sum(e["ph"] == "M" for e in trace["traceEvents"])
    assert written == TraceFile(tmp_path / "out.json", len(trace["traceEvents"]) - meta,
                                len(text.encode()))
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


@given(workloads(max_goroutines=40), st.integers(1, 4), st.integers(0, 2**32), st.booleans(),
       st.floats(0, 1), st.floats(0, 1), st.integers(0, 300))
def test_trace_invariants_on_random_workloads(wl, procs, seed, free, a, b, cap):
    costs = {"costs": zero_costs(), "noise": False} if free else {}   # equal time stamps
    res = gmp.simulate(wl, gomaxprocs=procs, seed=seed, record_events=True, **costs)
    check_trace(to_perfetto(res), res)
    t0, t1 = trace_span(res)
    lo, hi = sorted((t0 + int(a * (t1 - t0)), t0 + int(b * (t1 - t0))))
    part = to_perfetto(res, start=lo, end=hi, max_events=cap)       # a part keeps them too
    assert sum(e["ph"] != "M" for e in part["traceEvents"]) <= cap
    check_trace(part, dataclasses.replace(res, events=None))
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
    res = gmp.simulate(wl, gomaxprocs=1, seed=0, record_events=True, runtime_init=False)
    waits = [e["args"].get("wait") for e in to_perfetto(res)["traceEvents"]
             if e["ph"] in "Xi" and e.get("cat") == "G" and e.get("pid") == PID_PS]
    assert waits.count("chan receive") == 1 and waits.count("sleep") == 1
    assert waits.count("sync.WaitGroup.Wait") == 1
    # every park in the log is followed by its wait reason
    ev = res.events
    parks = np.nonzero((ev["kind"] == 2) & (ev["arg"] == 1))[0]
    assert len(parks) == 3 and all(ev["kind"][i + 1] == 17 for i in parks)


# --- anchored flows, zero-length runs, size and parts (issue 15, Perfetto export)

def test_steal_arrows_from_a_p_that_was_not_running():
    # Sleepers: timers ready the Gs onto a P's queue while its M looks for
    # work, and other Ps steal them; the victim P then runs no G at the steal.
    # Perfetto's importer binds a flow start to the topmost slice of its
    # track; with nothing covering the steal instant the arrow came from a
    # stale slice or was dropped.  Each one now starts at its own marker.
    res = gmp.simulate(scenarios.sleepers(n=2000, duration="1ms"), gomaxprocs=4, seed=1,
                       record_events=True)
    s = run_slices(res)
    ev = res.events
    steals = ev[ev["kind"] == EV_STEAL]
    idle = [(t, v) for t, v in zip(steals["time"].tolist(), steals["arg"].tolist())
            if not ((s["p"] == v) & (s["start"] <= t) & (t < s["end"])).any()]
    assert len(idle) > 0                          # the case the old export got wrong
    trace = to_perfetto(res)
    bound = perfetto_bindings(trace["traceEvents"])
    assert len(bound) == 2 * len(steals)
    misplaced = [(key, ts, slice_) for key, (ts, slice_) in bound.items()
                 if slice_ is None or not slice_[0] <= ts <= slice_[1]]
    assert misplaced == []                        # every end bound to a slice containing it
    _, flows = check_trace(trace, res)
    assert sum(f[0]["name"] == "steal" for f in flows.values()) == len(steals)
    markers = [e for e in trace["traceEvents"] if e["ph"] == "i" and e["name"] == "steal"]
    assert sorted((ns(e["ts"]), e["tid"] - 1) for e in markers) == sorted(
        zip(steals["time"].tolist(), steals["arg"].tolist()))      # on the victim, at the steal


def test_zero_length_runs_are_instants():
    # A sleeper's program is sleep, then done(wg): time.Sleep parks the G as
    # its first act, so its first run ends in the nanosecond it began (the
    # model charges nothing before the park).  Each of the 30 sleepers has
    # exactly one such run, parked with wait reason "sleep"; it is written as
    # an instant named G<goid> on its P and on its M, never as an X of width 0.
    n = 30
    res = gmp.simulate(scenarios.sleepers(n=n, duration="1ms"), gomaxprocs=2, seed=1,
                       record_events=True)
    s = run_slices(res)
    runtime = set(res.goroutines["goid"][res.system].tolist())   # they park at once too
    user = np.array([g != 1 and g not in runtime for g in s["goid"].tolist()], dtype=bool)
    zero = s[(s["end"] == s["start"]) & user]
    assert len(zero) == n and len(set(zero["goid"].tolist())) == n
    assert {int(w) for w in zero["wait"]} == {3}                   # WAIT_REASONS[3] == "sleep"
    for goid in zero["goid"].tolist():                             # it was that G's first run
        assert s["start"][s["goid"] == goid].min() == zero["start"][zero["goid"] == goid][0]
    trace = to_perfetto(res)
    check_trace(trace, res)
    marks = [e for e in trace["traceEvents"] if e["ph"] == "i" and e.get("cat") == "G"]
    assert len(marks) == 2 * int((s["end"] == s["start"]).sum())
    assert {e["args"]["wait"] for e in marks
            if e["args"]["goid"] != 1 and e["args"]["goid"] not in runtime} == {"sleep"}
    assert not [e for e in trace["traceEvents"] if e["ph"] == "X" and e["dur"] == 0]


def _full_and_times(res):
    trace = to_perfetto(res)
    times = sorted(ns(e["ts"]) for e in trace["traceEvents"] if e["ph"] != "M")
    return trace, times


def test_max_events_keeps_the_first_events(fanout_run):
    _, times = _full_and_times(fanout_run)
    for cap in (1, 50, 500):
        part = to_perfetto(fanout_run, max_events=cap)
        body = [e for e in part["traceEvents"] if e["ph"] != "M"]
        assert 0 < len(body) <= cap
        assert max(ns(e["ts"]) for e in body) < times[cap]          # none from later on
        check_trace(part, dataclasses.replace(fanout_run, events=None))
    with pytest.raises(ValueError, match="max_events"):
        to_perfetto(fanout_run, max_events=-1)


def test_start_end_cut_the_slices(fanout_run):
    lo, hi = 200_000, 400_000
    part = to_perfetto(fanout_run, start=lo, end=hi)
    check_trace(part, dataclasses.replace(fanout_run, events=None))
    got = sorted((e["args"]["goid"], e["pid"], e["tid"], ns(e["ts"]), ns(e["ts"]) + ns(e["dur"]))
                 for e in part["traceEvents"] if e["ph"] == "X" and e["cat"] == "G")
    # By hand: every run that overlaps [lo, hi] by some time, clipped to it.
    s = run_slices(fanout_run)
    want = []
    for r in s[(s["start"] < hi) & (s["end"] > lo)]:
        a, b = max(int(r["start"]), lo), min(int(r["end"]), hi)
        want += [(int(r["goid"]), PID_PS, int(r["p"]) + 1, a, b),
                 (int(r["goid"]), PID_MS, 100_000 + int(r["m"]), a, b)]
    assert got == sorted(want)
    cut = [e for e in part["traceEvents"] if e["ph"] == "X" and e["cat"] == "G"
           and ns(e["ts"]) + ns(e["dur"]) == hi]
    assert cut and all(e["args"]["stop"] == "end of trace" for e in cut)
    assert all(lo <= ns(e["ts"]) <= hi for e in part["traceEvents"] if e["ph"] != "M")
    with pytest.raises(ValueError, match="before start"):
        to_perfetto(fanout_run, start=hi, end=lo)


def test_size_warning_before_writing(tmp_path, fanout_run):
    path = tmp_path / "t.json"
    with pytest.warns(TraceSizeWarning, match=r"about \d+ MB \([\d,]+ events\)"):
        written = to_perfetto(fanout_run, path, warn_bytes=1000)
    estimate = estimate_trace_bytes(fanout_run)
    assert 0.8 < estimate / written.bytes < 1.25
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        to_perfetto(fanout_run, path)                          # far below 50 MB: silent
        to_perfetto(fanout_run, path, warn_bytes=None)


def test_cli_trace_options(tmp_path, capsys):
    from gmpcore import cli
    out = tmp_path / "t.json"
    status = cli.main(["run", "fanout", "--goroutines", "300", "--trace", str(out),
                       "--trace-max-events", "40", "--trace-start", "10us"])
    assert status == 0
    body = [e for e in json.loads(out.read_text())["traceEvents"] if e["ph"] != "M"]
    assert 0 < len(body) <= 40 and min(ns(e["ts"]) for e in body) >= 10_000
    with pytest.raises(SystemExit):
        cli.main(["run", "fanout", "--trace-max-events", "40"])
    assert "need --trace" in capsys.readouterr().err


def test_cli_notes_a_big_trace(tmp_path, capsys, monkeypatch):
    import gmpcore.trace
    from gmpcore import cli
    monkeypatch.setattr(gmpcore.trace, "WARN_BYTES", 1000)
    real = gmpcore.trace.to_perfetto
    monkeypatch.setattr(gmpcore.trace, "to_perfetto",
                        lambda res, path, **kw: real(res, path, warn_bytes=1000, **kw))
    assert cli.main(["run", "fanout", "--goroutines", "50", "--trace",
                     str(tmp_path / "t.json")]) == 0
    err = capsys.readouterr().err
    assert err.startswith("gmpcore run: note: the trace will be about") and "MB" in err


def _loop_slices(res):
    """Run slices by a plain walk over the log, one event at a time (the
    vectorised builder must agree): a G's slice opens at EV_RUN, at a
    fast-path EV_SYSCALL_EXIT (arg 0 or 1) or at EV_STW_DONE, and closes at
    its EV_STOP or EV_STW_START; an EV_WAIT names the wait of the G's last
    closed slice; what is open at the end closes at the end of the span, and
    a close with nothing open started at the span's start."""
    t0, t1 = trace_span(res)
    goid = res.goroutines["goid"].tolist()
    running, runs, last = {}, [], {}

    def close(t, g, reason, m, p, wait=0):
        start, m0, p0, inherit, after = running.pop(g, None) or (t0, m, p, False, False)
        last[g] = len(runs)
        runs.append([g, goid[g], m0, p0, start, t, reason, inherit, after, wait])

    for t, kind, m, p, g, arg in res.events.tolist():
        opens = (kind in (EV_RUN, EV_STW_DONE)
                 or (kind == EV_SYSCALL_EXIT and arg in (0, 1)))
        if opens:
            if g in running:
                close(t, g, OPEN, m, p)
            running[g] = (t, m, p, kind == EV_RUN and arg != 0, kind == EV_SYSCALL_EXIT)
        elif kind == EV_STOP:
            close(t, g, arg, m, p)
        elif kind == EV_STW_START:
            close(t, g, STOP_PARK, m, p, WAIT_STOPPING_THE_WORLD)
        elif kind == EV_WAIT and g in last:
            runs[last[g]][9] = arg
    for g, (start, m, p, inherit, after) in list(running.items()):
        runs.append([g, goid[g], m, p, start, max(t1, start), OPEN, inherit, after, 0])
    return sorted(tuple(r) for r in runs)


@given(workloads(max_goroutines=40), st.integers(1, 4), st.integers(0, 2**32))
def test_vectorised_slices_match_a_plain_loop(wl, procs, seed):
    res = gmp.simulate(wl, gomaxprocs=procs, seed=seed, record_events=True)
    got = sorted(tuple(r) for r in run_slices(res).tolist())
    assert got == _loop_slices(res)


def test_vectorised_slices_match_on_scenarios():
    for wl, kw in ((scenarios.blocking_syscalls(n=6, duration="12ms"), {}),
                   (scenarios.fanout(n=3000, work="5us"), {"trace_window": ("1ms", "2ms")}),
                   (scenarios.io_bound(n=200), {"max_trace_events": 300})):
        res = gmp.simulate(wl, gomaxprocs=3, seed=2, record_events=True, **kw)
        assert sorted(tuple(r) for r in run_slices(res).tolist()) == _loop_slices(res)


def _trace_processor_shell():
    return os.environ.get("TRACE_PROCESSOR_SHELL") or shutil.which("trace_processor_shell")


@pytest.mark.skipif(not _trace_processor_shell(),
                    reason="Perfetto's trace_processor_shell is not installed (the `perfetto` "
                           "package downloads it at first use, which needs the network); "
                           "set TRACE_PROCESSOR_SHELL to run this test")
def test_perfettos_own_importer_keeps_every_flow(tmp_path):
    tp_mod = pytest.importorskip("perfetto.trace_processor")
    res = gmp.simulate(scenarios.sleepers(n=2000, duration="1ms"), gomaxprocs=4, seed=1,
                       record_events=True)
    path = tmp_path / "sleepers.json"
    to_perfetto(res, path)
    events = json.loads(path.read_text())["traceEvents"]
    config = tp_mod.TraceProcessorConfig(bin_path=_trace_processor_shell())
    with tp_mod.TraceProcessor(trace=str(path), config=config) as tp:
        def one(sql):
            return next(iter(tp.query(sql))).n
        assert one("select count(*) as n from flow") == sum(e["ph"] == "s" for e in events)
        assert one("select count(*) as n from slice") == sum(e["ph"] in "Xi" for e in events)
        assert one("select coalesce(sum(value), 0) as n from stats "
                   "where name = 'flow_no_enclosing_slice'") == 0


def _free_fanout(procs, seed):
    """A fan-out with every runtime cost zero: many events share a nanosecond."""
    res = gmp.simulate(scenarios.fanout(n=600, work="5us"), gomaxprocs=procs, seed=seed,
                       costs=zero_costs(), noise=False, record_events=True)
    ev = res.events
    return res, ev[ev["kind"] == EV_STEAL], run_slices(res)


def test_flows_when_the_steal_and_the_run_share_a_nanosecond():
    # With every runtime cost zero, a thief runs the G it stole in the same
    # nanosecond as the steal: the flow's start and end have one time stamp,
    # and Perfetto must still read the start (on the victim) first.
    res, steals, s = _free_fanout(4, 3)
    same = [t for t, g in zip(steals["time"].tolist(), steals["g"].tolist())
            if ((s["g"] == g) & (s["start"] == t)).any()]
    assert len(same) > 0
    check_trace(to_perfetto(res), res)


def test_a_part_keeps_the_markers_of_arrows_it_cuts(fanout_run):
    # A part that ends between a steal and the stolen G's run keeps the
    # "steal" marker on the victim (the steal happened inside it) but no
    # arrow, whose end would point outside the file.
    ev = fanout_run.events
    steals = ev[ev["kind"] == EV_STEAL]
    s = run_slices(fanout_run)
    later = [(t, g) for t, g in zip(steals["time"].tolist(), steals["g"].tolist())
             if s["start"][(s["g"] == g) & (s["start"] >= t)].min() > t]
    assert later
    hi = later[0][0]                               # ends at that steal
    part = to_perfetto(fanout_run, end=hi)["traceEvents"]
    check_trace({"traceEvents": part, "displayTimeUnit": "ns"},
                dataclasses.replace(fanout_run, events=None))
    markers = [e for e in part if e["ph"] == "i" and e["name"] == "steal"]
    assert len(markers) == int((steals["time"] <= hi).sum())
    arrows = [e for e in part if e["ph"] == "s" and e["name"] == "steal"]
    assert len(arrows) < len(markers) and any(ns(e["ts"]) == hi for e in markers)


def test_handoff_by_a_locked_thread_is_a_marker_alone():
    # Found by the property test.  Main, wired to its thread by
    # LockOSThread, parks on a channel: stoplockedm hands its P off
    # (EV_HANDOFF with no system call, so no thread is named as holding the
    # P) and parks the thread.  With zero costs the P's next run (the
    # sender, started on another M by the handoff) begins in that same
    # nanosecond on that P's track, where the marker also is; the sender
    # computes 1us first, so that run is a slice, which Perfetto reads before
    # the marker: an arrow from the marker would have had its end bound to
    # the marker, not the run.
    # So that handoff is a marker alone, and every arrow drawn is anchored.
    wl = gmp.Workload()
    ch = wl.chan()
    sender = wl.program(gmp.cpu("1us"), gmp.send(ch), name="sender")
    wl.main(gmp.lock_os_thread(), gmp.go(sender), gmp.recv(ch))
    res = gmp.simulate(wl, gomaxprocs=1, seed=1, costs=zero_costs(), noise=False,
                       record_events=True)
    ev = res.events
    handoffs = ev[ev["kind"] == EV_HANDOFF]
    s = run_slices(res)
    at_once = [t for t, p in zip(handoffs["time"].tolist(), handoffs["p"].tolist())
               if ((s["p"] == p) & (s["start"] == t)).any()]
    assert at_once                                   # the case itself
    trace = to_perfetto(res)
    check_trace(trace, res)
    markers = [e for e in trace["traceEvents"] if e["ph"] == "i" and e["name"] == "handoff"]
    assert len(markers) == len(handoffs)
    assert all(e["pid"] == PID_PS for e in markers)  # no thread named: on the P
    assert not [e for e in trace["traceEvents"] if e["ph"] == "s" and e["name"] == "handoff"]


def test_an_arrow_ending_where_another_starts():
    # Found by the property test.  With zero costs, a fan-out at GOMAXPROCS
    # 8: a thief P starts running the G it stole (a 5us slice) in the very
    # nanosecond another P robs it in turn.  The robbery's anchor on the
    # thief's track is written before everything else of that nanosecond
    # (its start must be read before its end), so it would be on top of the
    # run (which Perfetto reads first, being a slice) when the first arrow's
    # end is read.  That end lands on an "arrival" marker of its own instead.
    res, steals, s = _free_fanout(8, 0)
    robbed = set(zip(steals["time"].tolist(), steals["arg"].tolist()))   # (time, victim P)
    thief_runs = set()
    for t, g in zip(steals["time"].tolist(), steals["g"].tolist()):
        run = s[(s["g"] == g) & (s["start"] >= t)][0]                   # the stolen G's run
        if run["end"] > run["start"]:
            thief_runs.add((int(run["start"]), int(run["p"])))
    clash = robbed & thief_runs
    assert clash                                     # the case itself
    trace = to_perfetto(res)
    _, flows = check_trace(trace, res)
    arrivals = [e for e in trace["traceEvents"] if e["name"] == "steal arrival"]
    assert {(ns(e["ts"]), e["tid"] - 1) for e in arrivals} == clash
