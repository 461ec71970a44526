"""Properties of a scheduler run: checks to call on any :class:`~gmpcore.Result`.

Each check replays the run's event log (``simulate(..., record_events=True)``,
with no ``trace_window``, ``trace_goroutines`` or ``max_trace_events`` that
would cut rows out of it) and raises :class:`~gmpcore.errors.PropertyViolation`
at the first moment the property fails, with the state around it: the time,
the P and G concerned, what every P was doing, the runnable goroutines and
the last events before that moment.  ``simulate(..., check=True)`` checks
the engine's internal invariants after every event on top of these.

The bounds are Go's (docs/fuzzing.md states each one and where it comes
from); they hold exactly on the ideal machine (``cpus=None``).  On a machine
with fewer CPUs than threads an M may wait for a CPU while its P looks idle
or its G looks running, and the bounds may need the OS's delays added.

========================  ===================================================
:func:`conservation`      every G in exactly one state and place, no G lost
                          or duplicated (a P or an M runs one G at a time)
:func:`work_conservation` no P runs no G for longer than `bound` (default
                          1 ms) while a G waits runnable
:func:`starvation`        every runnable G runs within `bound` (default one
                          time slice, 10 ms)
:func:`preemption`        no G runs longer than forcePreemptNS plus two of
                          sysmon's longest sleeps (30 ms) without sysmon
                          asking it to stop: Go's 10 ms promise (counted
                          from sysmon's wake-up if it was in deep sleep)
:func:`fairness`          equal goroutines (one ``go(p, count=n)``) share the
                          CPU: Jain's index of their CPU time while all of
                          them wanted it >= `bound` (default 0.5)
:func:`timers_not_early`  Go's ``time.Sleep(d)`` promise: a G parked in a
                          sleep is not readied before at least `d` has
                          passed (`d` from the workload's durations)
:func:`gosched_yields`    Go's ``runtime.Gosched`` promise ("yields the
                          processor, allowing other goroutines to run"), on
                          one P: another G waiting runs before the yielder
                          (Go's periodic global-queue check excepted)
========================  ===================================================

Examples
--------
>>> import gmpcore as gmp
>>> from gmpcore import properties
>>> wl = gmp.Workload(); wg = wl.waitgroup()
>>> spin = wl.program(gmp.cpu("50ms"), gmp.done(wg))
>>> _ = wl.main(gmp.add(wg, 3), gmp.go(spin, count=3), gmp.wait(wg))
>>> res = gmp.simulate(wl, gomaxprocs=2, cpus=None, record_events=True)
>>> properties.check_all(res)          # raises PropertyViolation if one fails
>>> properties.max_runnable_wait(res) > properties.FORCE_PREEMPT_NS   # a G waited a slice
True
>>> properties.starvation(res, bound="5ms")
Traceback (most recent call last):
...
gmpcore.errors.PropertyViolation: starvation: G row 7 waited runnable ...
"""

from collections import deque

import numpy as np

from gmpcore.durations import duration_ns, format_duration
from gmpcore.errors import PropertyViolation
from gmpcore.events import (
    EV_CREATE,
    EV_HANDOFF,
    EV_M_PARK,
    EV_M_WAKE,
    EV_PREEMPT,
    EV_PROCS,
    EV_READY,
    EV_RUN,
    EV_SPIN,
    EV_STEAL,
    EV_STOP,
    EV_STW_DONE,
    EV_STW_START,
    EV_SYSCALL_ENTER,
    EV_SYSCALL_EXIT,
    EV_THREAD_CREATE,
    EV_TIMER,
    EV_WAIT,
    EVENT_NAMES,
    STOP_EXIT,
    STOP_GOSCHED,
    STOP_PARK,
    STOP_PREEMPT,
    STOP_REASONS,
    STOP_SYSCALL,
    WAIT_SLEEP,
)
from gmpcore.model import FORCE_PREEMPT_NS, SYSMON_MAX_DELAY

__all__ = [
    "PropertyViolation", "conservation", "work_conservation", "starvation", "preemption",
    "fairness", "fairness_index", "check_all", "max_runnable_wait", "timers_not_early",
    "gosched_yields", "PREEMPTION_BOUND_NS",
    "WORK_CONSERVATION_BOUND_NS", "FORCE_PREEMPT_NS",
]

#: The preemption promise: sysmon notices a new slice within one of its
#: sleeps (at most SYSMON_MAX_DELAY), asks the G to stop once the slice is
#: FORCE_PREEMPT_NS old, at its next loop (another sleep), plus 1 ms for the
#: preemption's own costs: 10 + 10 + 10 + 1 = 31 ms.
PREEMPTION_BOUND_NS = FORCE_PREEMPT_NS + 2 * SYSMON_MAX_DELAY + 1_000_000
#: How long a P may stay idle while a G is runnable (wakep's spinning M,
#: a thread wake-up and a few steal rounds take tens of µs; 1 ms is far
#: above what Go's rules allow and far below a lost wake-up's cost).
WORK_CONSERVATION_BOUND_NS = 1_000_000

RUNNABLE, RUNNING, WAITING, SYSCALL, DEAD = "runnable", "running", "waiting", "syscall", "dead"
_HISTORY = 12


def _bound(value, name):
    ns = duration_ns(value, f"{name} argument bound")
    if ns <= 0:
        raise ValueError(f"{name}(): bound must be > 0, got {value!r}")
    return ns


class _Replay:
    """Walk a result's event log, keeping every G's state and every P's."""

    def __init__(self, res, name):
        if res.events is None:
            raise ValueError(f"{name}() needs the event log: simulate(..., record_events=True)")
        if res.counters.get("events_dropped", 0) or res.trace_window is not None:
            raise ValueError(f"{name}() needs the whole event log: simulate() without "
                             f"trace_window, trace_goroutines or max_trace_events")
        self.res, self.name = res, name
        self.g = {}                 # G row -> [state, p, m, since]
        self.p_run = {}             # P -> G row running on it
        self.m_run = {}             # M -> G row
        self.p_sys = {}             # P held by a G in a system call -> that G
        self.p_owner = {}           # P -> the M that holds it (scheduling, spinning, waking)
        self.m_p = {}               # M -> the P it holds
        self.waking = {}            # P -> the M being woken for it (until that M acts)
        self.procs = int(res.gomaxprocs)
        # The runtime's own goroutines (simulate(runtime_init=True)): two of
        # them wait runnable at start-up while main runs, as in Go; the
        # latency checks hold the workload's goroutines, not them.
        self.system = (set(np.flatnonzero(res.system).tolist())
                       if res.goroutines is not None else set())
        self.stw = False
        self.history = deque(maxlen=_HISTORY)
        self.now = 0

    # ---- the state, in words
    def runnable(self):
        return {g: s[3] for g, s in self.g.items() if s[0] == RUNNABLE}

    def idle(self, p):
        """A P doing no goroutine's work: no G runs on it or holds it in a
        system call, and no thread is being woken for it."""
        return p not in self.p_run and p not in self.p_sys and p not in self.waking

    def own(self, m, p):
        if m < 0 or p < 0:
            return
        old = self.m_p.get(m)
        if old is not None and old != p and self.p_owner.get(old) == m:
            del self.p_owner[old]
        prev = self.p_owner.get(p)
        if prev is not None and prev != m:
            self.m_p.pop(prev, None)
        self.p_owner[p], self.m_p[m] = m, p

    def release_m(self, m):
        p = self.m_p.pop(m, None)
        if p is not None and self.p_owner.get(p) == m:
            del self.p_owner[p]

    def release_p(self, p):
        m = self.p_owner.pop(p, None)
        if m is not None:
            self.m_p.pop(m, None)

    def describe(self):
        lines = [f"  GOMAXPROCS={self.procs}" + (" (the world is stopped)" if self.stw else "")]
        for p in range(self.procs):
            if p in self.p_run:
                g = self.p_run[p]
                what = f"runs G row {g} since {format_duration(self.g[g][3])}"
            elif p in self.p_sys:
                what = f"held by G row {self.p_sys[p]} in a system call"
            else:
                what = "idle (no G running)"
            if p in self.waking:
                what += f", M{self.waking[p]} being woken for it"
            elif p in self.p_owner and p not in self.p_run:
                what += f", held by M{self.p_owner[p]} (scheduling, spinning or waking)"
            lines.append(f"  P{p}: {what}")
        rq = sorted(self.runnable().items(), key=lambda kv: kv[1])
        shown = ", ".join(f"G row {g} since {format_duration(t)}" for g, t in rq[:8])
        lines.append(f"  runnable: {len(rq)} G" + (f": {shown}" if rq else "")
                     + (" ..." if len(rq) > 8 else ""))
        lines.append("  last events (time kind m p g arg):")
        for t, k, m, p, g, a in self.history:
            extra = f" ({STOP_REASONS[a]})" if k == EV_STOP and 0 <= a < len(STOP_REASONS) else ""
            lines.append(f"    {format_duration(t):>10} {EVENT_NAMES[k]:<14} m={m} p={p} g={g} "
                         f"arg={a}{extra}")
        return "\n".join(lines)

    def fail(self, what, t=None):
        t = self.now if t is None else t
        raise PropertyViolation(f"{self.name}: {what} (at {format_duration(t)})\n"
                                f"{self.describe()}", time_ns=t, result=self.res)

    # ---- one event
    def expect(self, g, states, ev):
        st = self.g.get(g)
        if st is None or st[0] not in states:
            self.fail(f"G row {g} is {st[0] if st else 'unknown'} at {EVENT_NAMES[ev]}, "
                      f"expected {' or '.join(states)}")
        return st

    def step(self, t, k, m, p, g, a):
        self.now = t
        self.history.append((t, k, m, p, g, a))
        if self.waking and m >= 0:
            for q in [q for q, w in self.waking.items() if w == m]:
                del self.waking[q]
        if k == EV_CREATE:
            if g in self.g and self.g[g][0] != DEAD:
                self.fail(f"G row {g} created again while {self.g[g][0]} (a duplicated G)")
            self.g[g] = [RUNNABLE, -1, -1, t]
        elif k == EV_RUN:
            st = self.expect(g, (RUNNABLE,), k)
            if p in self.p_run:
                self.fail(f"P{p} runs G row {g} while it already runs G row {self.p_run[p]}")
            if m in self.m_run:
                self.fail(f"M{m} runs G row {g} while it already runs G row {self.m_run[m]}")
            st[:] = [RUNNING, p, m, t]
            self.p_run[p], self.m_run[m] = g, g
            self.own(m, p)
        elif k == EV_STOP:
            st = self.expect(g, (RUNNING,), k)
            if st[1] != p or st[2] != m:
                self.fail(f"G row {g} stops on P{p}/M{m} but runs on P{st[1]}/M{st[2]}")
            self.p_run.pop(p, None)
            self.m_run.pop(m, None)
            nxt = {STOP_EXIT: DEAD, STOP_PARK: WAITING, STOP_GOSCHED: RUNNABLE,
                   STOP_PREEMPT: RUNNABLE, STOP_SYSCALL: SYSCALL}[a]
            st[:] = [nxt, -1, m if nxt == SYSCALL else -1, t]
        elif k == EV_READY:
            st = self.expect(g, (WAITING,), k)
            st[:] = [RUNNABLE, -1, -1, t]
        elif k == EV_STEAL:
            self.expect(g, (RUNNABLE,), k)
            self.own(m, p)
        elif k == EV_SPIN:
            if a == 1:
                self.own(m, p)
        elif k == EV_M_WAKE or (k == EV_THREAD_CREATE and p >= 0):
            # a thread woken, or made (newm), for P p: the P is not idle meanwhile
            self.own(m, p)
            if p >= 0:
                self.waking[p] = m
        elif k == EV_M_PARK:
            self.release_m(m)
        elif k == EV_SYSCALL_ENTER:
            self.expect(g, (SYSCALL,), k)
            self.p_sys[p] = g
            self.release_m(m)
        elif k == EV_HANDOFF:
            self.p_sys.pop(p, None)
            self.release_p(p)
        elif k == EV_SYSCALL_EXIT:
            st = self.expect(g, (SYSCALL,), k)
            for q in [q for q, h in self.p_sys.items() if h == g]:
                del self.p_sys[q]
            if a == 2:
                st[:] = [RUNNABLE, -1, -1, t]
            else:
                if p in self.p_run:
                    self.fail(f"G row {g} leaves its system call onto P{p}, which runs "
                              f"G row {self.p_run[p]}")
                st[:] = [RUNNING, p, m, st[3]]
                self.p_run[p], self.m_run[m] = g, g
                self.own(m, p)
        elif k == EV_PROCS:
            self.procs = int(a)
            for q in [q for q in self.p_sys if q >= self.procs]:
                del self.p_sys[q]              # procresize destroyed it; the G exits slowly
            for q in [q for q in self.p_owner if q >= self.procs]:
                self.release_p(q)
        elif k == EV_STW_START:
            self.stw = True
        elif k == EV_STW_DONE:
            self.stw = False
            st = self.g.get(g)
            if st is not None and st[0] == RUNNING and st[1] != p:
                # procresize gave the caller another P (its own was destroyed)
                self.p_run.pop(st[1], None)
                self.p_run[p], st[1] = g, p
                self.own(m, p)

    def events(self):
        ev = self.res.events
        cols = [ev[c].tolist() for c in ("time", "kind", "m", "p", "g", "arg")]
        return zip(*cols)


def conservation(res, all_exited=False):
    """Replay the event log: every G is in exactly one state at every event.

    A G is created once (or again only after it exited: rows are reused),
    runs only when runnable, stops only where it runs, is readied only
    from a wait, enters and leaves system calls in order; a P and an M run
    at most one G at a time.  With ``all_exited=True`` (a run with
    ``until="all"`` that ended normally) every G must have exited by the
    end, the runtime's own (``res.system``, parked for good) excepted: a G
    lost from every queue never would.

    Needs ``record_events=True``.

    >>> import gmpcore as gmp
    >>> wl = gmp.Workload(); w = wl.program(gmp.cpu("1us"))
    >>> _ = wl.main(gmp.go(w, count=4), gmp.sleep("1ms"))
    >>> conservation(gmp.simulate(wl, gomaxprocs=2, record_events=True, until="all"),
    ...              all_exited=True)
    """
    r = _Replay(res, "conservation")
    for row in r.events():
        r.step(*row)
    if all_exited:
        # (the runtime's own goroutines park for good: res.system)
        system = res.system if res.goroutines is not None else None
        left = {g: s[0] for g, s in r.g.items()
                if s[0] != DEAD and (system is None or not system[g])}
        if left:
            g = min(left)
            r.fail(f"{len(left)} G never exited, e.g. G row {g} ({left[g]}): lost from "
                   f"every queue?")


def work_conservation(res, bound=WORK_CONSERVATION_BOUND_NS):
    """No P stays idle while a G waits runnable for longer than `bound`.

    At every moment, a P is idle when it runs no G, no G holds it in a
    system call and no thread is being woken for it (from an ``m_wake``
    row until that M's next row: the OS's wake-up latency, ``thread_wake``,
    is not the scheduler's to hide); a P whose M is scheduling or spinning
    counts as idle (its CPU does no goroutine's work); a P that ran a G at
    an instant, even for 0 ns, was busy then.  The property fails when some
    G has been runnable for more than `bound` (default
    :data:`WORK_CONSERVATION_BOUND_NS`, 1 ms) and a P has been idle the
    whole of the last `bound` (stop-the-world pauses excepted).  Go's
    ``wakep`` after every ``ready``/``newproc`` and its spinning Ms that
    steal half (rounded up) of a busy P's queue make this hold.

    Needs ``record_events=True``; exact on ``cpus=None``.

    >>> import gmpcore as gmp
    >>> wl = gmp.Workload(); wg = wl.waitgroup()
    >>> w = wl.program(gmp.cpu("5ms"), gmp.done(wg))
    >>> _ = wl.main(gmp.add(wg, 4), gmp.go(w, count=4), gmp.wait(wg))
    >>> work_conservation(gmp.simulate(wl, gomaxprocs=4, cpus=None, record_events=True))
    """
    bound = _bound(bound, "work_conservation")
    r = _Replay(res, "work_conservation")
    idle_since = {}                    # P -> when it last became idle
    rows = list(r.events())
    i = 0
    while i < len(rows):
        t = rows[i][0]
        # the state just before time t held over [previous time, t): check it at t
        _work_check(r, idle_since, t, bound)
        ran = set()                    # Ps that ran a G at this instant
        while i < len(rows) and rows[i][0] == t:
            if rows[i][1] in (EV_RUN, EV_SYSCALL_EXIT):
                ran.add(rows[i][3])
            r.step(*rows[i])
            i += 1
        for p in range(r.procs):
            if r.stw or p in ran or not r.idle(p):
                idle_since.pop(p, None)
            else:
                idle_since.setdefault(p, t)
        for p in [p for p in idle_since if p >= r.procs]:
            del idle_since[p]


def _work_check(r, idle_since, t, bound):
    if not idle_since:
        return
    waiting = r.runnable()
    if not waiting:
        return
    g, since = min(waiting.items(), key=lambda kv: kv[1])
    p, idle = min(idle_since.items(), key=lambda kv: kv[1])
    start = max(since, idle)             # both held from `start` on
    if t - start > bound:
        r.fail(f"P{p} idle since {format_duration(idle)} while G row {g} has waited runnable "
               f"since {format_duration(since)}: {format_duration(t - start)} > bound "
               f"{format_duration(bound)}", t=start + bound)


def max_runnable_wait(res):
    """The longest time any of the workload's goroutines waited runnable
    before it ran (ns), from the event log: the starvation metric
    :func:`gmpcore.search` maximises.  The runtime's own goroutines
    (``res.system``) are left out, as in :func:`starvation`.

    >>> import gmpcore as gmp
    >>> wl = gmp.Workload(); _ = wl.main(gmp.cpu("1us"))
    >>> max_runnable_wait(gmp.simulate(wl, cpus=None, noise=False, record_events=True))
    43109

    (main, readied by the sweeper's send during runtime.main's start, waits
    for m0, to which it is wired then, to be woken: ``thread_wake``.)
    """
    r = _Replay(res, "max_runnable_wait")
    worst = 0
    for row in r.events():
        t, k, g = row[0], row[1], row[4]
        if k == EV_RUN and g in r.g and g not in r.system:
            worst = max(worst, t - r.g[g][3])
        r.step(*row)
    end = r.now
    for g, since in r.runnable().items():
        if g not in r.system:
            worst = max(worst, end - since)
    return int(worst)


def starvation(res, bound=FORCE_PREEMPT_NS):
    """Every runnable G runs within `bound` (default one time slice,
    forcePreemptNS = 10 ms) of becoming runnable.

    The runtime's own goroutines (``res.system``) are not held to it: at
    start-up the last two runtime.main makes wait runnable while main runs
    (model.md "Start-up"), as in Go.

    Go promises no such bound in general (n CPU-bound goroutines on fewer
    Ps wait their turns, 10 ms each): this is the check to search
    against (:func:`gmpcore.search` with ``"starvation"``), or to hold a
    workload to a latency budget.

    Needs ``record_events=True``.

    >>> import gmpcore as gmp
    >>> wl = gmp.Workload(); w = wl.program(gmp.cpu("1ms"))
    >>> _ = wl.main(gmp.go(w, count=3), gmp.cpu("2ms"))
    >>> starvation(gmp.simulate(wl, gomaxprocs=2, cpus=None, record_events=True), "5ms")
    """
    bound = _bound(bound, "starvation")
    r = _Replay(res, "starvation")
    for row in r.events():
        t = row[0]
        for g, since in r.runnable().items():
            if t - since > bound and g not in r.system:
                r.fail(f"G row {g} waited runnable since {format_duration(since)}: more "
                       f"than bound {format_duration(bound)}", t=since + bound)
        r.step(*row)
    for g, since in r.runnable().items():
        if r.now - since > bound and g not in r.system:
            r.fail(f"G row {g} waited runnable since {format_duration(since)} until the end: "
                   f"more than bound {format_duration(bound)}", t=since + bound)


def preemption(res, bound=PREEMPTION_BOUND_NS):
    """Go's preemption promise: no G runs longer than `bound` (default
    :data:`PREEMPTION_BOUND_NS`, 31 ms) without sysmon asking it to stop.

    sysmon's retake asks a G to stop (an ``EV_PREEMPT`` row) once its P's
    slice is forcePreemptNS (10 ms) old; it sees a new slice within one of
    its sleeps (at most 10 ms) and acts at its next loop (another 10 ms).
    A G that was asked but cannot stop (no safe point and
    ``async_preempt=False``) keeps running: Go's documented exception.
    Runs end at a stop or a system call; time in a system call is not
    running.

    sysmon's deep sleep is the other exception: once every P is idle,
    sysmon sleeps until a system call enters or leaves, a stop-the-world
    ends or the next timer is due (go-scheduler.md §4.5), and nothing else
    wakes it, so a G readied by the netpoller that then computes is not
    preempted until one of those happens.  The property's clock for a run
    therefore starts at the later of the run's start and the first such
    wake-up (a syscall, stw_done or timer row) after the last moment every
    P was idle.

    Needs ``record_events=True``; exact on ``cpus=None``.

    >>> import gmpcore as gmp
    >>> wl = gmp.Workload(); wg = wl.waitgroup()
    >>> w = wl.program(gmp.cpu("100ms"), gmp.done(wg))
    >>> _ = wl.main(gmp.add(wg, 3), gmp.go(w, count=3), gmp.wait(wg))
    >>> preemption(gmp.simulate(wl, gomaxprocs=2, cpus=None, record_events=True))
    """
    bound = _bound(bound, "preemption")
    r = _Replay(res, "preemption")
    asked = set()                      # Gs sysmon asked to stop in their current run
    asleep, woke = False, 0            # sysmon may be in its deep sleep; when it last woke
    started = False                    # sysmon starts with main's first run

    def check(t):
        if asleep:
            return
        for p, g in r.p_run.items():
            start = max(r.g[g][3], woke)
            if g not in asked and t - start > bound:
                r.fail(f"G row {g} has run on P{p} since {format_duration(r.g[g][3])}, more "
                       f"than bound {format_duration(bound)} (counted from "
                       f"{format_duration(start)}), and sysmon never asked it to stop",
                       t=start + bound)

    rows = list(r.events())
    i = 0
    while i < len(rows):
        t = rows[i][0]
        check(t)
        while i < len(rows) and rows[i][0] == t:
            k, g = rows[i][1], rows[i][4]
            if k == EV_PREEMPT:
                asked.add(g)
            elif k in (EV_STOP, EV_RUN):
                asked.discard(g)
                started = True
            if asleep and k in (EV_SYSCALL_ENTER, EV_SYSCALL_EXIT, EV_STW_DONE, EV_TIMER):
                asleep, woke = False, t
            r.step(*rows[i])
            i += 1
        if started and all(r.idle(p) for p in range(r.procs)):   # sysmon may sleep deeply
            asleep = True
    check(r.now)


def fairness_index(res, parent=0):
    """Jain's fairness index of the CPU time that the goroutines `parent`
    started (G row `parent`'s children; main's by default: start equal
    goroutines with one ``go(p, count=n)``) received over the window in
    which all of them were alive and none was blocked (parked or in a
    system call): ``(sum x)**2 / (n * sum x**2)``, 1 when all got the same,
    ``1/n`` when one got it all.  Returns ``(index, window_ns, n)``;
    the index is 1.0 when there is no such window.

    Needs ``record_events=True``.

    >>> import gmpcore as gmp
    >>> wl = gmp.Workload(); wg = wl.waitgroup()
    >>> w = wl.program(gmp.cpu("100ms"), gmp.done(wg))
    >>> _ = wl.main(gmp.add(wg, 3), gmp.go(w, count=3), gmp.wait(wg))
    >>> res = gmp.simulate(wl, gomaxprocs=1, cpus=None, record_events=True)
    >>> index, window, n = fairness_index(res)
    >>> n, index > 0.9
    (3, True)
    """
    r = _Replay(res, "fairness_index")
    ev = res.events
    creates = ev[(ev["kind"] == EV_CREATE) & (ev["arg"] == parent)]
    group = set(creates["g"].tolist()) - r.system      # main's children, not the runtime's
    cpu = dict.fromkeys(group, 0)
    alive, blocked, run_start = set(), set(), {}
    start = end = None
    for row in r.events():
        t, k, m, p, g, a = row
        if start is not None and (len(alive) < len(group) or blocked):
            end = t
            break
        if g in group:
            if k == EV_CREATE:
                alive.add(g)
            elif k == EV_RUN:
                run_start[g] = t
            elif k == EV_STOP:
                if g in run_start and start is not None:
                    cpu[g] += t - max(run_start[g], start)
                run_start.pop(g, None)
                if a == STOP_EXIT:
                    alive.discard(g)
                elif a in (STOP_PARK, STOP_SYSCALL):
                    blocked.add(g)
            elif k == EV_READY or (k == EV_SYSCALL_EXIT):
                blocked.discard(g)
                if k == EV_SYSCALL_EXIT and a != 2:
                    run_start[g] = t
        r.step(*row)
        if start is None and group and len(alive) == len(group) and not blocked:
            start = t
    if start is None:
        return 1.0, 0, len(group)
    if end is None:
        end = r.now
    for g, s0 in run_start.items():
        cpu[g] += end - max(s0, start)
    x = np.array(list(cpu.values()), dtype=float)
    if not x.sum():
        return 1.0, int(end - start), len(group)
    return float(x.sum() ** 2 / (len(x) * (x ** 2).sum())), int(end - start), len(group)


def fairness(res, parent=0, bound=0.5, min_window=None):
    """Equal goroutines share the CPU: :func:`fairness_index` of `parent`'s
    children is at least `bound` (default 0.5) whenever their common
    window lasts at least `min_window` (default: long enough for each to
    get a slice, ``ceil(n / GOMAXPROCS) * PREEMPTION_BOUND_NS``).

    Go's FIFO run queues and sysmon's 10 ms slices make CPU-bound equals
    take turns; a scheduler that never preempts lets the first ones run
    to the end (index ``1/n`` on one P).

    Needs ``record_events=True``.

    >>> import gmpcore as gmp
    >>> wl = gmp.Workload(); wg = wl.waitgroup()
    >>> w = wl.program(gmp.cpu("200ms"), gmp.done(wg))
    >>> _ = wl.main(gmp.add(wg, 3), gmp.go(w, count=3), gmp.wait(wg))
    >>> fairness(gmp.simulate(wl, gomaxprocs=1, cpus=None, record_events=True))
    """
    index, window, n = fairness_index(res, parent)
    if min_window is None:
        min_window = -(-n // max(1, int(res.gomaxprocs))) * PREEMPTION_BOUND_NS
    min_window = duration_ns(min_window, "fairness() argument min_window")
    if window >= min_window and index < bound:
        raise PropertyViolation(
            f"fairness: the {n} goroutines G row {parent} started got CPU time with Jain's "
            f"index {index:.3f} < bound {bound} over the {format_duration(window)} in which "
            f"all of them wanted it", time_ns=None, result=res)


def _sleep_lower_bounds(workload):
    """{program index: the shortest time.Sleep of that program that parks}
    from the workload's durations: a constant's or a uniform's low bound
    (at least 1 ns: a sleep of d <= 0 returns at once), 1 ns for the
    unbounded distributions; programs without a parking sleep are left out;
    and the number of the workload's programs."""
    from gmpcore.durations import CONSTANT, UNIFORM
    from gmpcore.workload import CompiledWorkload, Opcode, Workload
    if isinstance(workload, Workload):
        workload = workload.compile()
    if not isinstance(workload, CompiledWorkload):
        raise TypeError(f"timers_not_early() argument workload must be the Workload (or "
                        f"CompiledWorkload) the result ran, got {type(workload).__name__}")
    code, dists, entry = workload.code, workload.dists, workload.entry.tolist()
    bounds = {}
    for k, start in enumerate(entry):
        end = entry[k + 1] if k + 1 < len(entry) else len(code)
        for pc in range(start, end):
            if code[pc, 0] != Opcode.SLEEP:
                continue
            kind, p1 = int(dists[code[pc, 1], 0]), int(dists[code[pc, 1], 1])
            if kind == CONSTANT and p1 <= 0:
                continue                              # never parks
            low = max(p1, 1) if kind in (CONSTANT, UNIFORM) else 1
            bounds[k] = min(bounds.get(k, low), low)
    return bounds, len(entry)


def timers_not_early(res, workload):
    """No G parked in ``time.Sleep(d)`` is readied before `d` has passed.

    Go's promise (time.Sleep: "pauses the current goroutine for at least
    the duration d"): the sleep's timer is set to now + d when the G parks
    (the log's ``wait`` row with reason ``sleep``), and it is readied (its
    ``ready`` row) no earlier.  The log does not carry `d`: it comes from
    `workload`, the Workload the result ran, as the shortest sleep of the
    G's program that parks (exact for a program whose sleeps are all one
    constant; a lower bound, hence a weaker check, for a program with
    several durations or drawn ones).  The runtime's own goroutines are
    left out.  Needs ``record_events=True`` and ``res.goroutines``.

    >>> import gmpcore as gmp
    >>> wl = gmp.Workload(); w = wl.program(gmp.sleep("1ms"))
    >>> _ = wl.main(gmp.go(w, count=3), gmp.sleep("2ms"))
    >>> timers_not_early(gmp.simulate(wl, gomaxprocs=2, record_events=True), wl)
    """
    bounds, nprog = _sleep_lower_bounds(workload)
    if res.goroutines is None:
        raise ValueError("timers_not_early() needs res.goroutines: simulate(..., "
                         "record_goroutines=True)")
    program = res.goroutines["program"].tolist()
    r = _Replay(res, "timers_not_early")
    parked = {}                        # G row -> (when it parked in a sleep, its bound)
    for row in r.events():
        t, k, g, a = row[0], row[1], row[4], row[5]
        r.step(*row)
        if k == EV_WAIT and a == WAIT_SLEEP and g not in r.system:
            prog = program[g] if 0 <= g < len(program) else -1
            if prog < nprog and prog in bounds:
                parked[g] = (t, bounds[prog])
        elif k == EV_READY and g in parked:
            since, d = parked.pop(g)
            if t < since + d:
                r.fail(f"G row {g} parked in time.Sleep at {format_duration(since)} (its "
                       f"program's shortest sleep is {format_duration(d)}) was readied at "
                       f"{format_duration(t)}, {format_duration(since + d - t)} before its "
                       f"deadline {format_duration(since + d)}")


def gosched_yields(res):
    """A G that calls ``runtime.Gosched`` lets another waiting G run first.

    Go documents only that Gosched "yields the processor, allowing other
    goroutines to run"; goschedImpl puts the G at the global queue's tail
    and schedules.  What the log can check exactly, on one P (GOMAXPROCS
    1 at the yield: with more, another runnable G may sit in a different
    P's queue, which this P does not look at before the global queue):
    when the G yields while another G is runnable, the next G the P runs
    is not the yielder, unless the P's pick came from findRunnable's
    periodic global-queue check (``schedtick % global_check_interval ==
    0``, 61 in Go, from ``res.policy``; the P's schedtick counts its
    ``run`` rows that start a new slice), which takes the global queue's
    head first (the yielder, if it was empty).  A stop-the-world or a
    GOMAXPROCS change between the yield and the next run ends the check.
    Needs ``record_events=True``.

    >>> import gmpcore as gmp
    >>> wl = gmp.Workload(); w = wl.program(gmp.repeat(5, gmp.gosched()))
    >>> _ = wl.main(gmp.go(w, count=2), gmp.repeat(5, gmp.gosched()))
    >>> gosched_yields(gmp.simulate(wl, gomaxprocs=1, record_events=True))
    """
    policy = getattr(res, "policy", None)
    every = policy.global_check_interval if policy is not None else 61
    r = _Replay(res, "gosched_yields")
    schedtick = {}                     # P -> slices started (run rows with arg 0)
    pending = {}                       # P -> (yielder, when) while another G waited
    for row in r.events():
        t, k, p, g, a = row[0], row[1], row[3], row[4], row[5]
        if k == EV_RUN:
            y = pending.pop(p, None)
            tick = schedtick.get(p, 0)
            if y is not None and y[0] == g and not (every and tick % every == 0):
                r.fail(f"G row {g} called Gosched on P{p} at {format_duration(y[1])} while "
                       f"another G was runnable, and P{p} ran it again first (schedtick "
                       f"{tick}, not a global-queue check)", t=t)
            if a == 0:
                schedtick[p] = tick + 1
        r.step(*row)
        if k in (EV_STW_START, EV_PROCS):
            pending.clear()
        elif k == EV_STOP and a == STOP_GOSCHED and r.procs == 1:
            if any(s[0] == RUNNABLE for h, s in r.g.items() if h != g):
                pending[p] = (g, t)


def check_all(res, all_exited=False):
    """:func:`conservation`, :func:`work_conservation`, :func:`preemption`
    and :func:`gosched_yields` with their default bounds (the properties Go's scheduler promises for
    every workload).  Needs ``record_events=True``.

    >>> import gmpcore as gmp
    >>> wl = gmp.Workload(); _ = wl.main(gmp.cpu("1ms"))
    >>> check_all(gmp.simulate(wl, record_events=True, cpus=None))
    """
    conservation(res, all_exited=all_exited)
    work_conservation(res)
    preemption(res)
    gosched_yields(res)
