"""Summaries of a Go execution trace: per goroutine, scheduling latency, totals.

Restates Go's internal/trace/summary.go (the Summarizer behind ``go tool
trace``'s goroutine pages) and cmd/trace/pprof.go (``go tool trace
-pprof=sched``) over the arrays of :class:`gmpcore.GoTrace`.
"""

from collections import Counter

import numpy as np

from gmpcore.gotrace.events import EV, SPECS

_UNDETERMINED, _NOTEXIST, _RUNNABLE, _RUNNING, _WAITING, _SYSCALL = range(6)
_PIDLE = 3
_GO_KINDS = {EV[n] for n in (
    "GoCreate", "GoCreateBlocked", "GoCreateSyscall", "GoStart", "GoDestroy", "GoDestroySyscall",
    "GoStop", "GoBlock", "GoUnblock", "GoSwitch", "GoSwitchDestroy", "GoSyscallBegin",
    "GoSyscallEnd", "GoSyscallEndBlocked", "GoStatus", "GoStatusStack")}
_PROC_KINDS = {EV[n] for n in ("ProcStart", "ProcStop", "ProcSteal", "ProcStatus")}
_REASON_KINDS = {EV["GoStop"], EV["GoBlock"]}
# Which stack a goroutine transition carries (Go's StateTransition.Stack).
_NEW_STACK_KINDS = {EV["GoCreate"], EV["GoCreateBlocked"]}
_OWN_STACK_KINDS = {EV[n] for n in ("GoStop", "GoBlock", "GoSyscallBegin", "GoStatus",
                                    "GoStatusStack")}


class _G:
    __slots__ = ("goid", "name", "parent", "creation", "start", "end", "exec", "sched",
                 "block", "syscall", "syscall_block", "total", "last_start", "last_runnable",
                 "last_block", "last_reason", "last_syscall", "last_syscall_block", "done")

    def __init__(self, goid, creation, parent):
        self.goid, self.creation, self.parent = goid, creation, parent
        self.name = ""
        self.start = self.end = -1
        self.exec = self.sched = self.syscall = self.syscall_block = self.total = 0
        self.block = Counter()
        self.last_start = self.last_runnable = self.last_block = None
        self.last_syscall = self.last_syscall_block = None
        self.last_reason = ""
        self.done = False

    def finalize(self, last, end=None):
        """Go's GoroutineSummary.finalize: close every open interval at last."""
        if self.done:
            return
        if end is not None:
            self.end = end
        if self.total == 0:
            self.total = last - self.creation
        if self.last_start is not None:
            self.exec += last - self.last_start
        if self.last_runnable is not None:
            self.sched += last - self.last_runnable
        if self.last_block is not None:
            self.block[self.last_reason] += last - self.last_block
        if self.last_syscall is not None:
            self.syscall += last - self.last_syscall
        if self.last_syscall_block is not None:
            self.sched += last - self.last_syscall_block
        self.done = True


def _goroutine_stats(tr):
    """Go's Summarizer over the goroutine and proc transitions of the trace."""
    ev = tr.events
    kinds = ev["kind"]
    is_go = np.isin(kinds, list(_GO_KINDS))
    is_proc = np.isin(kinds, list(_PROC_KINDS))
    sel = np.nonzero(is_go | is_proc | (kinds == EV["Sync"]))[0]
    t_all, g_all, p_all = ev["time_ns"], ev["g"], ev["p"]
    gs = {}
    syscalling_p, syscalling_g = {}, {}
    sync_ts = int(t_all[0]) if len(ev) else 0
    last_ts = int(t_all[-1]) if len(ev) else 0
    stacks = tr.stacks
    strings = tr.strings
    for i in sel.tolist():
        e = ev[i]
        k = int(e["kind"])
        t = int(t_all[i])
        if k == EV["Sync"]:
            sync_ts = t
            continue
        old, new, rid = int(e["from_state"]), int(e["to_state"]), int(e["target"])
        if old == new:
            continue
        if k in _PROC_KINDS:
            if new == _PIDLE and rid in syscalling_p:
                gs[syscalling_p.pop(rid)].last_syscall_block = t
            continue
        reason = strings[e["str"]] if k in _REASON_KINDS else ""
        g = gs.get(rid)
        if old == _UNDETERMINED:
            g = gs[rid] = _G(rid, sync_ts, -1)
            dt = t - sync_ts
            if new == _RUNNING:
                g.exec += dt
            elif new == _WAITING:
                g.block[reason] += dt
            elif new == _RUNNABLE:
                g.sched += dt
            elif new == _SYSCALL:
                if p_all[i] == -1:
                    g.syscall_block += dt
                else:
                    g.syscall += dt
        elif old == _NOTEXIST:
            g = gs[rid] = _G(rid, t, int(g_all[i]))
        elif g is None:
            continue
        elif old == _RUNNING:
            if g.last_start is not None:
                g.exec += t - g.last_start
                g.last_start = None
        elif old == _WAITING:
            if g.last_block is not None:
                g.block[g.last_reason] += t - g.last_block
                g.last_block = None
        elif old == _RUNNABLE:
            if g.last_runnable is not None:
                g.sched += t - g.last_runnable
                g.last_runnable = None
        elif old == _SYSCALL:
            if g.last_syscall is not None:
                if g.last_syscall_block is not None:
                    g.syscall_block += t - g.last_syscall_block
                    g.syscall += g.last_syscall_block - g.last_syscall
                else:
                    g.syscall += t - g.last_syscall
                g.last_syscall = g.last_syscall_block = None
                syscalling_p.pop(syscalling_g.pop(rid, None), None)
        if not g.name:
            sid = int(e["new_stack"]) if k in _NEW_STACK_KINDS else (
                int(e["stack"]) if k in _OWN_STACK_KINDS else 0)
            if stacks[sid]:
                g.name = stacks[sid][-1].function
        if new == _RUNNING:
            g.last_start = t
            if g.start < 0:
                g.start = t
        elif new == _RUNNABLE:
            g.last_runnable = t
        elif new == _WAITING and reason != "forever":
            g.last_block, g.last_reason = t, reason
        elif new in (_WAITING, _NOTEXIST):
            g.finalize(t, t)
        elif new == _SYSCALL:
            syscalling_p[int(p_all[i])] = rid
            syscalling_g[rid] = int(p_all[i])
            g.last_syscall = t
    for g in gs.values():
        g.finalize(last_ts)
    return gs, last_ts


_STATE_NUMBERS = {"runnable": _RUNNABLE, "waiting": _WAITING, "syscall": _SYSCALL}


def _state_intervals(tr, gs, last_ts, state):
    """Every interval a goroutine spent in `state` (cmd/trace/pprof.go's
    makeComputePprofFunc): from a transition into it to the next transition
    out of it (a transition within it, e.g. a GoStatus at a generation's
    start, continues the interval)."""
    ev = tr.events
    kinds = ev["kind"]
    want = _STATE_NUMBERS[state]
    sel = np.nonzero(np.isin(kinds, list(_GO_KINDS)))[0]
    to_state, target = ev["to_state"], ev["target"]
    tracking = {}
    rows = []
    for i in sel.tolist():
        new, rid = int(to_state[i]), int(target[i])
        start = tracking.get(rid)
        if start is None:
            if new == want:
                tracking[rid] = i
            continue
        if new == want:
            continue
        del tracking[rid]
        t0, t1 = int(ev["time_ns"][start]), int(ev["time_ns"][i])
        g = gs.get(rid)
        # Go's profiles count the part of the interval inside [the
        # goroutine's first start, its end or the trace's end].
        lo = g.start if g is not None and g.start >= 0 else 0
        hi = g.end if g is not None and g.end >= 0 else last_ts
        counted = 0 if (hi < t0 or t1 < lo) else min(hi, t1) - max(lo, t0)
        k0 = int(kinds[start])
        reason = tr.strings[ev["str"][start]] if k0 in _REASON_KINDS else ""
        rows.append((rid, t0, t1, t1 - t0, max(counted, 0), int(ev["stack"][start]), reason,
                     SPECS[k0].name, int(ev["g"][start]), SPECS[int(kinds[i])].name,
                     int(ev["g"][i])))
    return rows


_INTERVAL_COLUMNS = ["goid", "start_ns", "end_ns", "duration_ns", "pprof_ns", "stack", "reason",
                     "cause", "by", "end_cause", "end_by"]


def state_intervals(tr, state):
    """Every interval any goroutine spent runnable, waiting or in a syscall.

    ``state`` is ``"runnable"``, ``"waiting"`` or ``"syscall"``.  A pandas
    DataFrame, one row per interval: ``goid``, ``start_ns``, ``end_ns``,
    ``duration_ns``, ``pprof_ns`` (the part ``go tool trace -pprof=...``
    counts: its overlap with [the goroutine's first run, its end]),
    ``stack`` (of the event that started it: a profile's key), ``reason``
    (the wait reason of a GoBlock/GoStop that started it, else ""),
    ``cause`` and ``by`` (that event's kind and the goroutine running when
    it happened), ``end_cause`` and ``end_by`` (the same for the event that
    ended it: for a wait ended by ``GoUnblock``, ``end_by`` is who woke it).
    ``go tool trace -pprof=sync`` is the waiting intervals whose reason
    mentions chan, sync or select; ``-pprof=net`` those of reason
    ``network``; ``-pprof=syscall`` the syscall intervals; ``-pprof=sched``
    the runnable ones (:attr:`GoTrace.sched_latency`).

    >>> import gmpcore as gmp
    >>> tr = gmp.read_go_trace(gmp.gotrace.EXAMPLES / "pipeline.trace")
    >>> waits = gmp.gotrace.summary.state_intervals(tr, "waiting")
    >>> woken = waits[waits["end_cause"] == "GoUnblock"]
    >>> bool((woken["end_by"] >= 0).all())
    True
    """
    import pandas as pd

    if state not in _STATE_NUMBERS:
        raise ValueError(f"state must be one of {sorted(_STATE_NUMBERS)}, got {state!r}")
    gs, last_ts = tr._summaries()["_stats"]
    return pd.DataFrame(_state_intervals(tr, gs, last_ts, state), columns=_INTERVAL_COLUMNS)


def summarize(tr):
    """The goroutine table, the scheduling-latency intervals and whole-trace figures.

    Returns a dict of:

    ``goroutines``
        pandas DataFrame, one row per goroutine seen: ``goid``, ``name``
        (the entry function, as go tool trace names it), ``parent`` (the
        goroutine that created it, -1 if it existed before the trace or was
        created without one), ``creation_ns``, ``start_ns`` (first run, -1
        if never), ``end_ns`` (-1 if alive at the end), ``exec_ns`` (CPU
        time), ``sched_wait_ns`` (time runnable), ``block_ns`` (all blocked
        time), ``syscall_ns``, ``syscall_block_ns``, ``total_ns``, and one
        ``block_ns[<reason>]`` column per wait reason seen (Go's strings,
        e.g. ``chan receive``).  The figures follow Go's internal/trace
        Summarizer; times count from the trace start.
    ``sched_latency``
        pandas DataFrame, one row per runnable-to-running interval:
        ``goid``, ``start_ns``, ``end_ns``, ``latency_ns``, ``pprof_ns``
        (the part ``go tool trace -pprof=sched`` counts: the overlap with
        [the goroutine's first run, its end]; so a new goroutine's wait for
        its first run counts 0), ``stack`` (of the event that made it
        runnable, the profile's key), ``cause`` (that event's kind:
        GoUnblock, GoCreate, GoStop, GoSyscallEndBlocked, GoStatus ...) and
        ``by`` (the goroutine running when it happened, -1 if none: with
        ``cause == "GoUnblock"``, who unblocked whom), ``end_cause`` and
        ``end_by`` (the same for the GoStart that ended it); see
        :func:`state_intervals`.
    ``summary``
        dict: ``duration_ns``, ``events``, ``generations``, ``goroutines``,
        ``threads``, ``procs`` (GOMAXPROCS at the end), ``exec_ns``,
        ``sched_latency_ns`` quantiles (``p50``, ``p90``, ``p99``, ``max``
        over every interval), and ``kinds`` (event count per kind name).

    >>> import gmpcore as gmp
    >>> tr = gmp.read_go_trace(gmp.gotrace.EXAMPLES / "fanout.trace")
    >>> g = tr.goroutines
    >>> sorted(g[g["name"] == "main.main.func1"]["parent"].unique().tolist())
    [1]
    >>> int((g["name"] == "main.main.func1").sum())
    8
    """
    import pandas as pd

    gs, last_ts = _goroutine_stats(tr)
    reasons = sorted({r for g in gs.values() for r in g.block})
    rows = []
    for g in gs.values():
        row = {"goid": g.goid, "name": g.name, "parent": g.parent, "creation_ns": g.creation,
               "start_ns": g.start, "end_ns": g.end, "exec_ns": g.exec,
               "sched_wait_ns": g.sched, "block_ns": sum(g.block.values()),
               "syscall_ns": g.syscall, "syscall_block_ns": g.syscall_block,
               "total_ns": g.total}
        for r in reasons:
            row[f"block_ns[{r}]"] = g.block.get(r, 0)
        rows.append(row)
    cols = ["goid", "name", "parent", "creation_ns", "start_ns", "end_ns", "exec_ns",
            "sched_wait_ns", "block_ns", "syscall_ns", "syscall_block_ns", "total_ns"]
    goroutines = pd.DataFrame(rows, columns=cols + [f"block_ns[{r}]" for r in reasons])
    goroutines = goroutines.sort_values("goid", kind="stable").reset_index(drop=True)
    lat = pd.DataFrame(_state_intervals(tr, gs, last_ts, "runnable"), columns=_INTERVAL_COLUMNS)
    lat = lat.drop(columns=["reason"]).rename(columns={"duration_ns": "latency_ns"})
    ev = tr.events
    names = tr.kind_names()
    procs = ev["arg0"][ev["kind"] == EV["ProcsChange"]]
    q = (np.percentile(lat["latency_ns"], [50, 90, 99, 100]).tolist()
         if len(lat) else [0.0] * 4)
    summary = {
        "duration_ns": int(ev["time_ns"][-1]) if len(ev) else 0,
        "events": len(ev),
        "generations": tr.generations,
        "goroutines": len(gs),
        "threads": int(len(np.unique(ev["m"][ev["m"] >= 0]))),
        "procs": int(procs[-1]) if len(procs) else None,
        "exec_ns": int(goroutines["exec_ns"].sum()),
        "sched_latency_ns": dict(zip(("p50", "p90", "p99", "max"), q)),
        "kinds": dict(Counter(names.tolist())),
    }
    return {"goroutines": goroutines, "sched_latency": lat, "summary": summary,
            "_stats": (gs, last_ts)}
