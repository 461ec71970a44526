"""Export a run to Chrome/Perfetto trace-event JSON (ui.perfetto.dev, chrome://tracing).

The picture: a process ``Ps`` with one track per P and a process ``Ms`` with
one track per M.  Each time a G runs (``EV_RUN`` to ``EV_STOP``, or from a
fast-path ``EV_SYSCALL_EXIT`` to the next ``EV_STOP``) it is one complete
(``X``) slice named ``G<goid>`` on its P's track and on its M's track; an M's
system calls are ``syscall`` slices on its track.  Preemptions, spills,
handoffs and thread creations are instant events; steals (victim P to thief
P) and handoffs (the M in the system call to the P's next run) are flow
arrows.  With a monitor (``simulate(..., monitor=...)``) the samples become
counter tracks: each local run queue and the global one, goroutines, threads,
idle Ps and stack memory.

Times in the format are microseconds; ours are integer ns, written as
``round(ns / 1000, 3)`` so no nanosecond is lost (Perfetto reads them back
with ``llround(ts * 1000)``).  ``displayTimeUnit`` is ``"ns"``, which only
tells the viewer how to label times.

Slices on one track never overlap: a G runs on at most one P and one M at a
time, and a slice still open when the log ends (a G running when main exits)
is closed at the end of the trace with ``"stop": "end of trace"``.  Intervals
are half-open, so a zero-length slice (a G stopped in the same nanosecond it
started, as main does when it exits) touches its neighbours but does not
overlap them.
"""

import gzip
import json
from types import SimpleNamespace

import numpy as np

from gmpcore.events import (
    EV_HANDOFF, EV_PREEMPT, EV_PROCS, EV_RUN, EV_SPILL, EV_STEAL, EV_STOP, EV_STW_DONE,
    EV_STW_START, EV_SYSCALL_ENTER, EV_SYSCALL_EXIT, EV_THREAD_CREATE, EV_WAIT, STOP_PARK,
    STOP_REASONS, WAIT_REASONS, WAIT_STOPPING_THE_WORLD,
)

PID_PS, PID_MS = 1, 2
M_TID_BASE = 100_000           # tids are unique across processes: P p is p+1, M m is this+m
SYSMON_M = 1                   # sysmon is the second thread (simulator-design.md §3)
OPEN = -1                      # the stop reason of a slice still open when the log ends

#: One row per run slice: G index `g` ran on M `m` and P `p` over [start, end).
SLICE_DTYPE = np.dtype([
    ("g", np.int32),           # row in res.goroutines
    ("goid", np.int64),
    ("m", np.int32),
    ("p", np.int32),
    ("start", np.int64),       # ns
    ("end", np.int64),         # ns; the end of the trace when still open
    ("reason", np.int8),       # STOP_* reason, or OPEN (-1)
    ("inherit", np.bool_),     # started with the previous G's time slice (runnext)
    ("after_syscall", np.bool_),  # began as the G came back from a syscall (fast path)
    ("wait", np.int8),         # why it parked (index into WAIT_REASONS), 0 if it did not
])


def p_tid(p):
    """The trace thread id of P `p`'s track."""
    return int(p) + 1


def m_tid(m):
    """The trace thread id of M `m`'s track."""
    return M_TID_BASE + int(m)


def _us(ns):
    return round(ns / 1000, 3)


def program_names(res):
    """Each G's program name: ``"main"``, the ``name=`` it was given, or ``""``.

    All ``""`` when the result carries no program column.
    """
    gs = res.goroutines
    names = getattr(res, "program_names", None)
    if "program" not in (gs.dtype.names or ()) or not names:
        return [""] * len(gs)
    table = list(names)
    return [table[i] if 0 <= i < len(table) else "" for i in gs["program"].tolist()]


def trace_span(res):
    """``(t0, t1)``: the virtual-time span the trace covers, in ns.

    The whole run (0 to the makespan) unless the events were recorded with a
    ``trace_window`` (``res.trace_window``); then that window, cut at the
    makespan; and when ``max_trace_events`` cut the log
    (``counters["events_dropped"]``), it ends at the last event kept.  A G
    already running when the span starts gets a slice from its start; one
    still running at its end, a slice to its end.
    """
    t0, t1 = 0, int(res.makespan_ns)
    window = getattr(res, "trace_window", None)
    has_events = res.events is not None and len(res.events) > 0
    if window is not None:
        t0, t1 = int(window[0]), min(int(window[1]), t1)
    elif has_events:
        t0 = int(res.events["time"][0])             # 0 for a whole run
    if has_events:
        last = int(res.events["time"][-1])
        # A log cut by max_trace_events says nothing after its last event.
        t1 = last if res.counters.get("events_dropped", 0) else max(t1, last)
    return t0, t1


def _scan(res):
    """One pass over the event log: run slices, syscall slices, flows, instants."""
    t0, t1 = trace_span(res)
    goid = res.goroutines["goid"].tolist()
    events = res.events.tolist() if res.events is not None else []
    runs, syscalls, flows, instants = [], [], [], []
    running = {}        # g -> [start, m, p, inherit, after_syscall, flows into it]
    last_run = {}       # g -> index in runs of its latest slice
    in_syscall = {}     # m -> (start, g)
    syscall_p = {}      # P in a syscall -> the M holding it, until retaken
    stealing = {}       # g -> (victim P, time): the next run of g is the thief's
    handed = {}         # P handed off -> [(flow id, M, time)] to its next run
    next_flow = 1

    def open_run(t, m, p, g, inherit, after_syscall=False):
        nonlocal next_flow
        flow_in = []
        if g in stealing:
            victim, ts = stealing.pop(g)
            flow_in.append((next_flow, "steal", p_tid(victim), ts))
            next_flow += 1
        for fid, src_m, ts in handed.pop(p, ()):
            flow_in.append((fid, "handoff", m_tid(src_m) if src_m >= 0 else p_tid(p), ts))
        running[g] = [t, m, p, inherit, after_syscall, flow_in]

    def close_run(t, g, reason, m, p):
        start, m0, p0, inherit, after, flow_in = running.pop(g, None) or [t0, m, p, 0, 0, []]
        last_run[g] = len(runs)
        runs.append((g, goid[g], m0, p0, start, t, reason, inherit, after, 0))
        for fid, kind, src_tid, ts in flow_in:
            flows.append((fid, kind, src_tid, ts, p_tid(p0), start))

    for t, kind, m, p, g, arg in events:
        if kind == EV_RUN:
            if g in running:                         # not expected; keep tracks disjoint
                close_run(t, g, OPEN, m, p)
            open_run(t, m, p, g, bool(arg))
        elif kind == EV_STOP:
            close_run(t, g, arg, m, p)
        elif kind == EV_WAIT and g in last_run:      # the park that just ended a run
            runs[last_run[g]] = runs[last_run[g]][:-1] + (int(arg),)
        elif kind == EV_SYSCALL_ENTER:
            in_syscall[m] = (t, g)
            if p >= 0:
                syscall_p[p] = m
        elif kind == EV_SYSCALL_EXIT:
            start, _ = in_syscall.pop(m, (t0, g))
            syscalls.append((m, g, start, t, int(arg)))
            for held in [q for q, holder in syscall_p.items() if holder == m]:
                del syscall_p[held]
            if arg in (0, 1):                        # fast path: g runs on at once
                open_run(t, m, p, g, False, True)
        elif kind == EV_STW_START:
            # The G stops the world: it waits, off its slice, until the restart.
            close_run(t, g, STOP_PARK, m, p)
            runs[last_run[g]] = runs[last_run[g]][:-1] + (WAIT_STOPPING_THE_WORLD,)
            instants.append(("stop the world", p_tid(p), t, {"goid": goid[g]}))
        elif kind == EV_STW_DONE:
            open_run(t, m, p, g, False)
            instants.append(("start the world", p_tid(p), t, {"pause ns": arg}))
        elif kind == EV_PROCS:
            instants.append(("GOMAXPROCS", m_tid(m), t, {"gomaxprocs": arg}))
        elif kind == EV_STEAL:
            stealing[g] = (arg, t)
        elif kind == EV_HANDOFF:
            handed.setdefault(p, []).append((next_flow, syscall_p.pop(p, -1), t))
            next_flow += 1
            instants.append(("handoff", p_tid(p), t, {"p": p}))
        elif kind == EV_PREEMPT:
            instants.append(("preempt", p_tid(p), t, {"goid": goid[g], "async": bool(arg)}))
        elif kind == EV_SPILL:
            instants.append(("spill", p_tid(p), t, {"Gs to global queue": arg}))
        elif kind == EV_THREAD_CREATE:
            instants.append(("thread create", m_tid(m), t, {"for P": p} if p >= 0 else {}))
    for g in list(running):
        start, m, p = running[g][:3]
        close_run(max(t1, start), g, OPEN, m, p)
    for m, (start, g) in in_syscall.items():
        syscalls.append((m, g, start, max(t1, start), OPEN))
    slices = np.array(runs, dtype=SLICE_DTYPE)
    slices = slices[np.lexsort((slices["end"], slices["start"]))]
    return SimpleNamespace(span=(t0, t1), runs=slices, syscalls=syscalls, flows=flows,
                           instants=instants)


def run_slices(res):
    """Every time a goroutine ran, as one row of :data:`SLICE_DTYPE`.

    A slice starts at ``EV_RUN`` (or a fast-path ``EV_SYSCALL_EXIT``) and ends
    at the G's next ``EV_STOP``; one still open when the log ends is cut at
    the end of the trace with ``reason == OPEN``.  Over a whole run (no
    filters) a G's slices add up to its ``running_ns`` and a P's to its
    ``busy_ns``: the engine, too, closes the slices still open at the
    makespan.

    Parameters
    ----------
    res : Result
        A run with ``record_events=True``.

    Returns
    -------
    numpy.ndarray
        Sorted by start time.
    """
    _need_events(res)
    return _scan(res).runs


def _need_events(res):
    if res.events is None:
        raise ValueError("the result has no event log: simulate(..., record_events=True)")


def _metadata(pid, tid, kind, value):
    key = "name" if kind.endswith("_name") else "sort_index"
    return {"name": kind, "ph": "M", "ts": 0, "pid": pid, "tid": tid, "args": {key: value}}


def _counter_rows(mon, nprocs):
    """The monitor as counter events, skipping samples where nothing changed."""
    names = mon.dtype.names
    n = len(mon)
    changed = np.zeros(n, dtype=bool)
    changed[0] = changed[-1] = True                      # the first and last always
    for name in names[1:]:                               # every field but time
        col = mon[name].reshape(n, -1)
        changed[1:] |= (col[1:] != col[:-1]).any(axis=1)
    for row in mon[changed]:
        ts = int(row["time"])
        queues = {}
        if "local_queues" in names:
            queues = {f"P{p}": int(q) for p, q in enumerate(row["local_queues"][:nprocs])}
        yield PID_PS, "runq", ts, {"global": int(row["global_queue"]), **queues}
        yield PID_PS, "goroutines", ts, {k: int(row[f]) for k, f in (
            ("live", "goroutines"), ("runnable", "runnable"), ("running", "running"))}
        yield PID_PS, "procs", ts, {"idle": int(row["idle_procs"])}
        yield PID_MS, "threads", ts, {k: int(row[f]) for k, f in (
            ("total", "threads"), ("idle", "idle_threads"), ("spinning", "spinning"))}
        if "stack_inuse" in names:
            yield PID_MS, "memory", ts, {"stack_inuse": int(row["stack_inuse"])}


def trace_events(res):
    """The trace events of `res` as a list of dicts, metadata first, then by time.

    See :func:`to_perfetto`, which wraps them in the JSON object format.
    """
    monitor = getattr(res, "monitor", None)
    if res.events is None and monitor is None:
        raise ValueError("nothing to trace: simulate(..., record_events=True) "
                         "and/or monitor=...")
    scan = _scan(res)
    nprocs = len(res.procs)
    progs = program_names(res)
    ms = set()
    if res.events is not None:
        ms = set(np.unique(res.events["m"]).tolist()) - {-1}
    if monitor is not None or not ms:
        ms.add(0)
    ms = sorted(ms)
    out = [_metadata(PID_PS, p_tid(0), "process_name", "Ps"),
           _metadata(PID_PS, p_tid(0), "process_sort_index", 0),
           _metadata(PID_MS, m_tid(ms[0]), "process_name", "Ms"),
           _metadata(PID_MS, m_tid(ms[0]), "process_sort_index", 1)]
    for p in range(nprocs):
        out += [_metadata(PID_PS, p_tid(p), "thread_name", f"P{p}"),
                _metadata(PID_PS, p_tid(p), "thread_sort_index", p)]
    for m in ms:
        name = f"M{m} (sysmon)" if m == SYSMON_M else f"M{m}"
        out += [_metadata(PID_MS, m_tid(m), "thread_name", name),
                _metadata(PID_MS, m_tid(m), "thread_sort_index", m)]

    body = []          # (ts_ns, rank, event): at equal times slices before flows
    for g, gid, m, p, start, end, reason, inherit, after, wait in scan.runs.tolist():
        args = {"goid": gid, "program": progs[g],
                "stop": "end of trace" if reason == OPEN else STOP_REASONS[reason],
                "inherit_time": inherit, "after_syscall": after}
        if wait:
            args["wait"] = WAIT_REASONS[wait]
        ts, dur = _us(start), _us(end - start)
        body.append((start, 0, {"name": f"G{gid}", "cat": "G", "ph": "X", "ts": ts, "dur": dur,
                                "pid": PID_PS, "tid": p_tid(p), "args": {**args, "m": m}}))
        body.append((start, 0, {"name": f"G{gid}", "cat": "G", "ph": "X", "ts": ts, "dur": dur,
                                "pid": PID_MS, "tid": m_tid(m), "args": {**args, "p": p}}))
    goid = res.goroutines["goid"]
    for m, g, start, end, how in scan.syscalls:
        exit_path = ("end of trace", "fast, same P", "fast, idle P", "slow, no P")[how + 1]
        body.append((start, 0, {"name": "syscall", "cat": "syscall", "ph": "X",
                                "ts": _us(start), "dur": _us(end - start), "pid": PID_MS,
                                "tid": m_tid(m), "args": {"goid": int(goid[g]), "exit": exit_path}}))
    for name, tid, t, args in scan.instants:
        pid = PID_PS if tid < M_TID_BASE else PID_MS
        body.append((t, 1, {"name": name, "cat": name, "ph": "i", "s": "t", "ts": _us(t),
                            "pid": pid, "tid": tid, "args": args}))
    for fid, kind, src_tid, src_t, dst_tid, dst_t in scan.flows:
        src_pid = PID_PS if src_tid < M_TID_BASE else PID_MS
        body.append((src_t, 2, {"name": kind, "cat": kind, "ph": "s", "id": fid,
                                "ts": _us(src_t), "pid": src_pid, "tid": src_tid}))
        body.append((dst_t, 2, {"name": kind, "cat": kind, "ph": "f", "bp": "e", "id": fid,
                                "ts": _us(dst_t), "pid": PID_PS, "tid": dst_tid}))
    if monitor is not None and len(monitor):
        for pid, name, t, args in _counter_rows(monitor, nprocs):
            tid = p_tid(0) if pid == PID_PS else m_tid(ms[0])
            body.append((t, 3, {"name": name, "ph": "C", "ts": _us(t), "pid": pid, "tid": tid,
                                "args": args}))
    body.sort(key=lambda item: (item[0], item[1]))
    out.extend(event for _, _, event in body)
    return out


def to_perfetto(res, path=None):
    """The run as Chrome/Perfetto trace-event JSON; optionally written to `path`.

    Open the file at https://ui.perfetto.dev (or ``chrome://tracing``).

    Parameters
    ----------
    res : Result
        A run with ``record_events=True``; with ``monitor=...`` it also gets
        counter tracks (a monitor alone gives only the counters).
    path : str or os.PathLike, optional
        Where to write the JSON, one event per line; ``.gz`` compresses it
        (both viewers open gzipped traces).

    Returns
    -------
    dict
        ``{"traceEvents": [...], "displayTimeUnit": "ns"}``.

    Examples
    --------
    >>> import gmpcore as gmp
    >>> from gmpcore.scenarios import fanout
    >>> res = gmp.simulate(fanout(n=20, work="5us"), gomaxprocs=2, seed=1, record_events=True)
    >>> trace = to_perfetto(res)
    >>> [e["args"]["name"] for e in trace["traceEvents"] if e["name"] == "process_name"]
    ['Ps', 'Ms']
    >>> [e["args"]["name"] for e in trace["traceEvents"] if e["name"] == "thread_name"][:3]
    ['P0', 'P1', 'M0']
    >>> first = next(e for e in trace["traceEvents"] if e["ph"] == "X")
    >>> first["name"], first["args"]["program"]
    ('G1', 'main')
    """
    events = trace_events(res)
    trace = {"traceEvents": events, "displayTimeUnit": "ns"}
    if path is not None:
        _write(events, path)
    return trace


def _write(events, path):
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "wt", encoding="utf-8") as f:
        f.write('{"displayTimeUnit": "ns", "traceEvents": [\n')
        last = len(events) - 1
        for i, event in enumerate(events):
            f.write(json.dumps(event, separators=(",", ":")))
            f.write(",\n" if i < last else "\n")
        f.write("]}\n")
