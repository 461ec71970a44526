"""A workload from a Go execution trace: replay a recorded run, what-if.

:func:`workload_from_trace` turns a :class:`gmpcore.GoTrace` into a
:class:`gmpcore.Workload` whose goroutines do what the recorded ones did, in
the same causal order, so that :func:`gmpcore.simulate` can run it at
another GOMAXPROCS, CPU count or quota.  What it infers, per goroutine of
the program (the runtime's own are left out):

* **CPU bursts**: the time between the goroutine's GoStart (or the end of a
  syscall, or the trace's start for a running goroutine) and its next
  transition out of running, or the next event it caused (a GoCreate, a
  GoUnblock), is a :func:`gmpcore.cpu` of that length.  A preemption
  (GoStop) continues the burst; a GoStop with reason ``runtime.Gosched``
  or ``yield`` is a :func:`gmpcore.gosched`.
* **Unblock edges**: a wait (GoBlock) ended by a GoUnblock that a program
  goroutine made is a synchronisation the replay respects: the unblocker
  sends, at the point of its GoUnblock (after the burst that preceded it),
  on a buffered channel of its own with the woken goroutine, and the woken
  goroutine receives from it at its block point.  One channel per
  (unblocker, woken) pair, of capacity the number of its edges: the k-th
  receive takes the k-th send, so each edge is kept and the sender never
  blocks (as an unblock never blocks the unblocker).
* **Timed waits**: a wait ended by no goroutine (a timer, the netpoller) or
  by a runtime goroutine becomes :func:`gmpcore.sleep` of the recorded wait
  (:func:`gmpcore.netwait` when the wait reason is ``network``), less the
  timer lateness the simulator adds itself: a ``time.Sleep`` replays as its
  call site's shortest wait (see :func:`_settle_sleeps`), another wait just
  past a whole millisecond as that millisecond (:func:`_nominal`).
* **Syscalls**: GoSyscallBegin to GoSyscallEnd (or GoSyscallEndBlocked) is a
  :func:`gmpcore.syscall` of the recorded duration.
* **Creation**: a GoCreate by a program goroutine is a :func:`gmpcore.go` at
  that point of the parent's sequence.  Goroutines that existed when the
  trace started, or were created by the runtime, are started by main first.

Replay follows these edges, not the timestamps.  It cannot deadlock: each
receive's send happened earlier in the trace, after only operations that
happened earlier still.  What a trace cannot tell:

* which channel, mutex or WaitGroup an edge went through (the trace names
  goroutines, not objects): an edge's channel stands for any of them, and
  operations that did not block (a buffered send, an uncontended
  ``Lock``) leave no edge; mutual exclusion that never blocked is not
  kept, so a contended mutex's critical sections may overlap in the replay;
* GC work (mark assists, the background mark workers) and the runtime's
  own goroutines (functions ``runtime.*``, and the ``runtime/trace`` and
  ``runtime/pprof`` helpers, which serve the tracer and profiler): left
  out; the simulator adds its own runtime goroutines (``runtime_init``);
* a recorded burst includes the runtime's own work in that goroutine
  (channel operations, allocation): replayed as computation, beside the
  simulator's own costs for the replayed channel operations; and any time
  its thread waited for a CPU, which ``recorded_cpus`` takes out as a fair
  share when the recording had more Ps than CPUs;
* waits still open when the trace ended are dropped (the goroutine ends
  there in the replay).

Size: one program per goroutine, one operation per burst, edge, syscall or
wait, one channel per (unblocker, woken) pair; a trace of 10^6 events makes
well under a million operations (``MAX_INSTRUCTIONS`` is 10^7) and is
converted in seconds.
"""

from __future__ import annotations

import os
from collections import Counter, defaultdict
from typing import TYPE_CHECKING, Callable, NamedTuple

import numpy as np

from gmpcore.gotrace.events import EV

if TYPE_CHECKING:
    from gmpcore.gotrace.reader import GoTrace
    from gmpcore.results import Result
    from gmpcore.workload import Operation, Workload

_RUNNING, _WAITING, _SYSCALL = 3, 4, 5
_YIELD_REASONS = ("runtime.Gosched",)     # Go's traceGoStopGoSched
_K = {name: EV[name] for name in (
    "GoCreate", "GoCreateBlocked", "GoCreateSyscall", "GoStart", "GoDestroy",
    "GoDestroySyscall", "GoStop", "GoBlock", "GoUnblock", "GoSwitch", "GoSwitchDestroy",
    "GoSyscallBegin", "GoSyscallEnd", "GoSyscallEndBlocked", "GoStatus", "GoStatusStack")}


class ReplayReport(NamedTuple):
    """What :func:`workload_from_trace` inferred, and the recorded run's figures."""

    goroutines: int          #: program goroutines replayed (one program each)
    skipped: int             #: the runtime's goroutines left out
    bursts: int              #: cpu() operations
    edges: int               #: unblock edges (a send and a receive each)
    channels: int            #: channels made for them, one per (unblocker, woken) pair
    creations: int           #: go() at a GoCreate of a program goroutine
    roots: int               #: goroutines main starts first (alive at the start, or made by the runtime)
    timed_waits: int         #: waits ended by no program goroutine: sleep()/netwait()
    syscalls: int            #: syscall() operations
    yields: int              #: gosched() operations
    open_waits: int          #: waits still open when the trace ended (dropped)
    gomaxprocs: int          #: the recorded GOMAXPROCS (the trace's last ProcsChange; its Ps if none)
    duration_ns: int         #: the recorded run: first to last event
    threads: int             #: the recorded run's distinct Ms
    #: the recorded scheduling latency: :func:`program_latencies`' median
    sched_latency_p50_ns: float
    sched_latency_p99_ns: float
    #: per wait reason (Go's: ``chan receive``, ``sync``, ``sleep``, ...), how
    #: many of its waits became edges and how many timed waits: ``{reason: (edges, timed)}``
    wait_reasons: dict


class TraceWorkload(NamedTuple):
    """:func:`workload_from_trace`'s answer: the workload and what was inferred."""

    workload: Workload
    report: ReplayReport


def is_system(name: str, goid: int | None = None) -> bool:
    """Whether a goroutine whose entry function is `name` is the runtime's own.

    Go's isSystemGoroutine tells them by ``runtime.*`` functions; the
    ``runtime/trace`` and ``runtime/pprof`` helpers serve the tracer and the
    profiler, not the program, and are left out too.  Goroutine 1 is main.

    >>> is_system("runtime.bgsweep"), is_system("main.stage"), is_system("runtime/trace.(*x).f")
    (True, False, True)
    """
    if goid == 1:
        return False
    return name.startswith("runtime.") or name.startswith("runtime/")


class _Go:
    """One program goroutine's sequence as the trace is walked."""

    __slots__ = ("goid", "name", "ops", "cpu", "run_from", "block_at", "block_reason",
                 "block_stack", "sys_from", "program", "done", "work")

    def __init__(self, goid, name, work):
        self.goid, self.name = goid, name
        self.work = work              # CPU work done while running from a to b
        self.ops = []                 # ("cpu", ns) ("go", goid) ("send"/"recv", pair) ...
        self.cpu = 0                  # the burst so far, not yet emitted
        self.run_from = None          # running since
        self.block_at = None          # waiting since
        self.block_reason = ""
        self.block_stack = 0          # the GoBlock's stack: a Sleep's call site
        self.sys_from = None          # in a syscall since
        self.program = None
        self.done = False

    def run_until(self, t):
        """Add the running time up to t to the burst."""
        if self.run_from is not None:
            self.cpu += self.work(self.run_from, t) if t > self.run_from else 0
            self.run_from = t

    def stop_running(self, t):
        self.run_until(t)
        self.run_from = None

    def op(self, *op):
        """Emit the burst so far, then op."""
        self.flush()
        self.ops.append(op)

    def flush(self):
        if self.cpu > 0:
            self.ops.append(("cpu", self.cpu))
        self.cpu = 0


def _wall(a, b):
    return b - a


def _cpu_share(tr, cpus):
    """work(a, b): the CPU a running goroutine got from a to b when `cpus` CPUs
    were shared by every goroutine running then (the runtime's included):
    the integral of min(1, cpus / running).  Recorded with more Ps than
    CPUs, a goroutine was running (to the trace) while its thread waited
    for a CPU; this is the part of the time it computed, on a fair share."""
    ev = tr.events
    is_g = np.isin(ev["kind"], list(_K.values()))
    delta = (is_g & (ev["to_state"] == _RUNNING)).astype(np.int64) \
        - (is_g & (ev["from_state"] == _RUNNING)).astype(np.int64)
    times = ev["time_ns"].astype(np.int64)
    running = np.cumsum(delta)                   # after each event
    rate = np.minimum(1.0, cpus / np.maximum(running, 1))
    # E(t_i): the work done by one running goroutine up to event i.
    done = np.concatenate([[0.0], np.cumsum(rate[:-1] * np.diff(times))])

    def at(t):
        i = max(int(np.searchsorted(times, t, side="right")) - 1, 0)
        return done[i] + rate[i] * (t - times[i])

    def work(a, b):
        return int(round(at(b) - at(a)))
    return work


def _infer(tr, cpus=None):
    """Walk the goroutine transitions: per program goroutine its operations
    (bursts deflated to a fair share of `cpus` CPUs when given)."""
    work = _wall if cpus is None else _cpu_share(tr, cpus)
    ev = tr.events
    names = tr.goroutines.set_index("goid")["name"].to_dict()
    kinds = ev["kind"]
    sel = np.nonzero(np.isin(kinds, list(_K.values())))[0]
    gs, skipped, roots = {}, set(), []
    seen = set()
    pairs = Counter()
    stats = Counter()
    reasons = defaultdict(lambda: [0, 0])
    sleeps = defaultdict(list)     # call site (GoBlock stack) -> [(ops, index, wait)]
    K = _K

    def user(goid):
        if goid < 0 or goid in skipped:
            return None
        g = gs.get(goid)
        if g is None:
            name = names.get(goid, "")
            if is_system(name, goid):
                skipped.add(goid)
                return None
            g = gs[goid] = _Go(goid, name, work)
        return g

    t_all, g_all, tgt_all = ev["time_ns"].tolist(), ev["g"].tolist(), ev["target"].tolist()
    to_all, str_all = ev["to_state"].tolist(), ev["str"].tolist()
    stack_all = ev["stack"].tolist()
    strings = tr.strings
    for i in sel.tolist():
        k = int(kinds[i])
        t, by, target = t_all[i], g_all[i], tgt_all[i]
        if k == K["GoStatus"] or k == K["GoStatusStack"]:
            if target in seen:
                continue
            seen.add(target)
            g = user(target)
            if g is None:
                continue
            if target != 1:
                roots.append(target)
            new = to_all[i]
            if new == _RUNNING:
                g.run_from = t
            elif new == _WAITING:
                g.block_at, g.block_reason = t, ""
            elif new == _SYSCALL:
                g.sys_from = t
            continue
        if k in (K["GoCreate"], K["GoCreateBlocked"], K["GoCreateSyscall"]):
            seen.add(target)
            child = user(target)
            if child is None:
                continue
            if k == K["GoCreateBlocked"]:
                child.block_at, child.block_reason = t, ""
            elif k == K["GoCreateSyscall"]:
                child.sys_from = t
            parent = user(by) if k != K["GoCreateSyscall"] else None
            if parent is not None and parent.run_from is not None:
                parent.run_until(t)
                parent.op("go", target)
                stats["creations"] += 1
            else:
                roots.append(target)
            continue
        if k == K["GoStart"]:
            seen.add(target)
            g = user(target)
            if g is not None:
                g.run_from = t
            continue
        if k in (K["GoUnblock"], K["GoSwitch"], K["GoSwitchDestroy"]):
            g = user(target)
            if g is None or g.block_at is None:
                continue
            waker = user(by)
            if waker is not None and waker.run_from is not None:
                waker.run_until(t)
                pair = (by, target)
                pairs[pair] += 1
                waker.op("send", pair)
                g.op("recv", pair)
                stats["edges"] += 1
                reasons[g.block_reason][0] += 1
            else:
                wait = t - g.block_at
                if g.block_reason == "sleep":
                    # time.Sleep: its argument is settled per call site below.
                    # (without a stack, each goroutine's Sleeps are one site)
                    site = sleeps[g.block_stack or ("g", g.goid)]
                    site.append((g.ops, len(g.ops) + (g.cpu > 0), wait))
                g.op("netwait" if g.block_reason == "network" else "sleep", _nominal(wait))
                stats["timed_waits"] += 1
                reasons[g.block_reason][1] += 1
            g.block_at = None
            continue
        # The rest act on the running goroutine itself.
        g = user(target)
        if g is None:
            continue
        if k == K["GoStop"]:
            g.stop_running(t)
            if strings[str_all[i]] in _YIELD_REASONS:
                g.op("gosched")
                stats["yields"] += 1
        elif k == K["GoBlock"]:
            g.stop_running(t)
            g.block_at, g.block_reason = t, strings[str_all[i]]
            g.block_stack = stack_all[i]
        elif k == K["GoSyscallBegin"]:
            g.stop_running(t)
            g.sys_from = t
        elif k in (K["GoSyscallEnd"], K["GoSyscallEndBlocked"], K["GoDestroySyscall"]):
            if g.sys_from is not None:
                g.op("syscall", t - g.sys_from)
                stats["syscalls"] += 1
            g.sys_from = None
            if k == K["GoSyscallEnd"]:
                g.run_from = t
            elif k == K["GoDestroySyscall"]:
                g.done = True
        elif k == K["GoDestroy"]:
            g.stop_running(t)
            g.done = True
    for site in sleeps.values():
        _settle_sleeps(site)
    last = t_all[-1] if t_all else 0
    for g in gs.values():
        g.stop_running(last)
        g.flush()
        stats["bursts"] += sum(op[0] == "cpu" for op in g.ops)
        if g.block_at is not None:
            stats["open_waits"] += 1
    stats["reasons"] = {r: tuple(n) for r, n in sorted(reasons.items())}
    return gs, skipped, roots, pairs, stats


#: A timed wait this little past a whole millisecond was a timer of that many
#: milliseconds (see _nominal).
TIMER_SLACK_NS = 250_000


#: How late a timer can fire when every P is idle: the netpoller sleeps in
#: whole milliseconds (a 1.4 ms timeout waits 1 ms, then 1 ms more), plus
#: the timer slack.
POLLER_LATENESS_NS = 1_000_000 + TIMER_SLACK_NS


def _settle_sleeps(site):
    """Give the time.Sleep calls of one call site their argument.

    `site` lists ``(ops, index, recorded wait)`` for each Sleep made at one
    stack; ``ops[index]`` is its ``("sleep", ns)``.  A call site usually
    sleeps for one duration, and each recorded wait is that duration plus
    the lateness of the timer that ended it, up to POLLER_LATENESS_NS when
    every P was idle (Go's epoll_wait takes whole milliseconds).  The
    simulator adds that lateness itself, so a wait replays as the site's
    shortest wait (whole milliseconds if it is within TIMER_SLACK_NS of
    them) when it is within POLLER_LATENESS_NS of it; a longer one is a
    different argument and keeps its own.

    >>> ops = [("sleep", 0)] * 3
    >>> _settle_sleeps([(ops, 0, 1_040_000), (ops, 1, 1_900_000), (ops, 2, 5_100_000)])
    >>> ops
    [('sleep', 1000000), ('sleep', 1000000), ('sleep', 5000000)]
    """
    shortest = min(wait for _, _, wait in site)
    for ops, index, wait in site:
        d = _nominal(shortest) if wait - shortest < POLLER_LATENESS_NS else _nominal(wait)
        ops[index] = ("sleep", d)


def _nominal(d):
    """The timer behind a wait recorded as lasting `d` ns.

    On Linux, Go's netpoller sleeps in whole milliseconds (epoll_wait), so
    an idle program's ``time.Sleep(2ms)`` is recorded as 2 ms and a little;
    the simulator's netpoller rounds the same way, so replaying the recorded
    2.13 ms would come out near 3 ms.  A wait of at least 1 ms that ends
    less than TIMER_SLACK_NS past a whole millisecond is replayed as that
    whole millisecond; others as recorded.

    >>> _nominal(2_130_000), _nominal(1_500_000), _nominal(400_000)
    (2000000, 1500000, 400000)
    """
    excess = d % 1_000_000
    return d - excess if d >= 1_000_000 and excess < TIMER_SLACK_NS else d


#: Go's trace clock on Linux/amd64: nanotime() / 64 (traceTimeDiv), and an
#: M's events never share a tick (each is at least one after the last).
TRACE_TICK_NS = 64


def on_trace_clock(latency_ns):
    """Intervals as Go's trace clock records them: whole 64 ns ticks, at least one.

    A real trace cannot show an interval under one tick (the tracer moves an
    event that would share its thread's last tick to the next one: a
    syscall that lost its P and got another at once is recorded as 64 ns
    runnable), so a simulated interval is put on the same clock before the
    two are compared.

    >>> on_trace_clock([0, 40, 100, 1_000]).tolist()
    [64, 64, 128, 1024]
    """
    ticks = np.rint(np.asarray(latency_ns, dtype=np.float64) / TRACE_TICK_NS)
    return (np.maximum(ticks, 1) * TRACE_TICK_NS).astype(np.int64)


def program_latencies(trace: GoTrace | str | os.PathLike) -> np.ndarray:
    """The scheduling latencies of a trace's program goroutines, on Go's trace clock.

    Every runnable-to-running interval (as ``go tool trace -pprof=sched``
    counts them: after a creation, an unblock, a preemption, a syscall that
    lost its P) of each goroutine that is not the runtime's own
    (:func:`is_system`), through :func:`on_trace_clock`.  The replay's
    validation compares these: the runtime's goroutines are not replayed.

    >>> import gmpcore as gmp
    >>> lat = program_latencies(gmp.gotrace.EXAMPLES / "fanout.trace")
    >>> len(lat), int(lat.min()) % 64          # 8 workers and main's wake-up
    (9, 0)
    """
    from gmpcore.gotrace.reader import GoTrace, read_go_trace

    if not isinstance(trace, GoTrace):
        trace = read_go_trace(trace)
    sl = trace.sched_latency
    if not len(sl):
        return np.zeros(0, dtype=np.int64)
    names = dict(zip(trace.goroutines["goid"].tolist(), trace.goroutines["name"].tolist()))
    keep = np.array([not is_system(names.get(g, ""), g) for g in sl["goid"].tolist()], bool)
    return on_trace_clock(sl["latency_ns"].to_numpy()[keep])


def replay_latencies(res: Result) -> np.ndarray:
    """A replay's scheduling latencies measured as the recorded ones are.

    `res` is a run simulated with ``record_events=True``: it is written as
    a Go trace and read back (:meth:`gmpcore.Result.to_go_trace`,
    :func:`gmpcore.read_go_trace`), and :func:`program_latencies` of that
    trace is returned, so that the recorded run and its replay count the same
    intervals the same way (``res.sched_latencies`` is the runtime's
    ``/sched/latencies``, which leaves out, for one, a syscall's lost P).

    >>> import gmpcore as gmp
    >>> wl, info = gmp.workload_from_trace(gmp.gotrace.EXAMPLES / "pipeline.trace")
    >>> res = gmp.simulate(wl, gomaxprocs=info.gomaxprocs, seed=0, record_events=True)
    >>> lat = replay_latencies(res)
    >>> bool(0.67 < np.median(lat) / info.sched_latency_p50_ns < 1.5)
    True
    """
    import tempfile

    from gmpcore.gotrace.reader import read_go_trace

    with tempfile.TemporaryDirectory(prefix="gmpcore-replay-") as tmp:
        path = os.path.join(tmp, "replay.trace")
        res.to_go_trace(path)
        return program_latencies(read_go_trace(path))


def _recorded(tr):
    """The recorded run's figures: GOMAXPROCS, wall time, threads, latency."""
    s = tr.summary()
    ev = tr.events
    procs = s["procs"]
    if procs is None:
        p = ev["p"]
        procs = max(int(len(np.unique(p[p >= 0]))), 1)
    # From the first event to the last, leaving out the Sync events that
    # frame each generation (the first is at the earliest batch's time,
    # which can be well before any event: 2.2 ms in the mutex fixture).
    t = ev["time_ns"][ev["kind"] != EV["Sync"]]
    duration = int(t[-1] - t[0]) if len(t) else 0
    lat = program_latencies(tr)
    p50, p99 = (np.percentile(lat, [50, 99]).tolist() if len(lat) else [float("nan")] * 2)
    return int(procs), duration, int(s["threads"]), float(p50), float(p99)


def workload_from_trace(trace: GoTrace | str | os.PathLike,
                        recorded_cpus: int | None = None) -> TraceWorkload:
    """A :class:`gmpcore.Workload` that replays a Go execution trace, and what was inferred.

    `trace` is a :class:`gmpcore.GoTrace` or a path to a trace file.  Each
    goroutine of the program becomes a program of its CPU bursts, syscalls,
    timed waits, creations and unblock edges (see the module's docstring,
    :mod:`gmpcore.gotrace.replay`, for each rule and for what a trace cannot
    tell); main (goroutine 1) is program 0.  Simulate it at the recorded
    GOMAXPROCS (``report.gomaxprocs``) to check the replay against the
    recorded figures in the report, or at another setting to ask what if.

    A burst is the time the goroutine was running to the trace, which
    includes any time its thread waited for a CPU.  `recorded_cpus`, the
    recording machine's CPU count, deflates each burst to the CPU it could
    have had: at each moment a fair share, ``min(1, recorded_cpus /
    goroutines running)``.  Give it when the recording had more Ps than
    CPUs, and simulate on that many CPUs (``cpus=``) so that the
    contention is the model's again; with no more Ps than CPUs it changes
    nothing.  A non-positive `recorded_cpus` is refused.

    Returns
    -------
    TraceWorkload
        ``(workload, report)``: the :class:`gmpcore.Workload` and a
        :class:`ReplayReport`.

    Examples
    --------
    The pipeline fixture: a source, two stages and main, chained by
    unbuffered channels (tests/data/gotrace/programs/pipeline):

    >>> import gmpcore as gmp
    >>> wl, info = gmp.workload_from_trace(gmp.gotrace.EXAMPLES / "pipeline.trace")
    >>> info.goroutines, info.creations, info.gomaxprocs
    (4, 3, 4)
    >>> info.wait_reasons          # every wait ended by another stage: an edge
    {'chan receive': (452, 0), 'chan send': (450, 0)}
    >>> res = gmp.simulate(wl, gomaxprocs=info.gomaxprocs, seed=0)
    >>> 0.5 < res.makespan_ns / info.duration_ns < 2
    True
    """
    from gmpcore.gotrace.reader import GoTrace, read_go_trace
    from gmpcore.workload import Workload, cpu, go, gosched, netwait, recv, send, sleep, syscall

    if recorded_cpus is not None:
        if isinstance(recorded_cpus, bool) or not isinstance(recorded_cpus, (int, np.integer)):
            raise TypeError(f"recorded_cpus must be an int, got {type(recorded_cpus).__name__}")
        if not 1 <= recorded_cpus <= 4096:
            raise ValueError(f"recorded_cpus must be 1 to 4096, got {recorded_cpus}")
    if not isinstance(trace, GoTrace):
        trace = read_go_trace(trace)
    gs, skipped, roots, pairs, stats = _infer(trace, recorded_cpus)
    wl = Workload()
    if 1 not in gs:
        gs[1] = _Go(1, "main.main", _wall)
    chans = {pair: wl.chan(cap=n) for pair, n in sorted(pairs.items())}
    order = [1] + sorted(goid for goid in gs if goid != 1)
    for goid in order:
        g = gs[goid]
        name = f"g{goid} {g.name}" if g.name else f"g{goid}"
        g.program = wl._programs[0] if goid == 1 else wl.program(name=name)
    makers: dict[str, Callable[..., Operation]] = {
        "cpu": cpu, "sleep": sleep, "netwait": netwait, "syscall": syscall,
        "send": lambda pair: send(chans[pair]), "recv": lambda pair: recv(chans[pair]),
        "go": lambda goid: go(gs[goid].program), "gosched": gosched}
    roots = [r for r in dict.fromkeys(roots) if r in gs and r != 1]
    made: dict[tuple, Operation] = {}   # operations are values: one object per distinct one
    for goid in order:
        g = gs[goid]
        ops = [go(gs[r].program) for r in roots] if goid == 1 else []
        for op in g.ops:
            o = made.get(op)
            if o is None:
                args = [max(int(op[1]), 0)] if op[0] in ("cpu", "sleep", "netwait", "syscall") \
                    else list(op[1:])
                o = made[op] = makers[op[0]](*args)
            ops.append(o)
        if goid == 1:
            wl.main(*ops)
        else:
            g.program.define(*ops)
    procs, duration, threads, p50, p99 = _recorded(trace)
    report = ReplayReport(
        goroutines=len(gs), skipped=len(skipped), bursts=stats["bursts"], edges=stats["edges"],
        channels=len(chans), creations=stats["creations"], roots=len(roots),
        timed_waits=stats["timed_waits"], syscalls=stats["syscalls"], yields=stats["yields"],
        open_waits=stats["open_waits"], gomaxprocs=procs, duration_ns=duration,
        threads=threads, sched_latency_p50_ns=p50, sched_latency_p99_ns=p99,
        wait_reasons=stats["reasons"])
    return TraceWorkload(wl, report)


def replay(trace: GoTrace | str | os.PathLike, procs: list[int] | None = None, seed: int = 0,
           recorded_cpus: int | None = None,
           **simulate_options) -> tuple[ReplayReport, list[tuple[int, Result]]]:
    """Simulate a trace's workload at each GOMAXPROCS in `procs`.

    `procs` defaults to the recorded GOMAXPROCS alone.  Returns the
    :class:`ReplayReport` and a list of ``(gomaxprocs, Result)``; other
    keyword arguments go to :func:`gmpcore.simulate` (``cpus``,
    ``cpu_quota``, ...).  The runs record their events (unless
    ``record_events=False`` is passed), so :func:`replay_latencies` can
    measure them as the recorded run is measured.  `recorded_cpus` goes
    to :func:`workload_from_trace`; the runs are then on that many CPUs
    unless ``cpus`` says otherwise.

    >>> import gmpcore as gmp
    >>> info, runs = gmp.gotrace.replay.replay(gmp.gotrace.EXAMPLES / "fanout.trace", procs=[1, 4])
    >>> [p for p, _ in runs], runs[0][1].makespan_ns > runs[1][1].makespan_ns
    ([1, 4], True)
    """
    from gmpcore.simulate import simulate

    wl, report = workload_from_trace(trace, recorded_cpus=recorded_cpus)
    compiled = wl.compile()
    procs = [report.gomaxprocs] if procs is None else list(procs)
    simulate_options.setdefault("record_events", True)
    if recorded_cpus is not None:
        simulate_options.setdefault("cpus", recorded_cpus)
    return report, [(p, simulate(compiled, gomaxprocs=p, seed=seed, **simulate_options))
                    for p in procs]
