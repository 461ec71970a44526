"""``gmpcore.simulate``: check the arguments once, then run one engine."""

from __future__ import annotations

import datetime
import operator
import os
import signal
import threading
import warnings
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Literal, Union

import numpy as np

from gmpcore.costs import CostModel
from gmpcore.policy import Policy, as_policy
from gmpcore.errors import GoFatalError
from gmpcore.durations import duration_ns
from gmpcore.latency import LatencyHistogram
from gmpcore.results import (
    EVENT_DTYPE, G_DTYPE, P_DTYPE, SPAN_DTYPE, THREAD_DTYPE, Result, monitor_dtype,
)
from gmpcore.workload import MAX_GOMAXPROCS, CompiledWorkload, Workload

#: What a duration argument accepts: ns as an int, a string such as "1.5ms",
#: a datetime.timedelta or a numpy.timedelta64 (gmpcore.durations).
Duration = Union[int, str, datetime.timedelta, "np.timedelta64"]

ENGINES = ("compiled", "reference")
#: Memory the monitor may use when max_samples is not given (its rows grow
#: with GOMAXPROCS: 8 bytes per P per sample).
MONITOR_BUDGET = 256 * 2**20
#: Samples kept at most when max_samples is not given (and the budget allows).
MAX_SAMPLES_DEFAULT = 1_000_000


def _physical_memory():
    """Bytes of RAM, or None where the platform does not say."""
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return None


def _bytes(n):
    for unit, size in (("TiB", 2**40), ("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{n} B"


# ---------------------------------------------------------------- Ctrl-C for runs in threads

class _Cancel:
    """A run's cancel flag; the engines poll it with their Ctrl-C check."""

    __slots__ = ("cancelled",)

    def __init__(self):
        self.cancelled = False


_RUNNING = set()             # the flags of the runs under way, in any thread
_RUNNING_LOCK = threading.Lock()


def interrupt_runs():
    """Ask every simulation under way, in every thread, to stop.

    Each raises ``KeyboardInterrupt`` within a few milliseconds (the engines
    poll at their Ctrl-C checks).  Ctrl-C calls this: a run in the main
    thread is stopped by Python's own ``KeyboardInterrupt``, but runs in
    worker threads (a ``ThreadPoolExecutor`` sweep) never see the signal, so
    gmpcore chains a SIGINT handler in front of Python's default one when
    it is imported in the main thread (a handler the program installed
    itself is left alone; it may call this function).
    """
    with _RUNNING_LOCK:
        for flag in _RUNNING:
            flag.cancelled = True


def _install_sigint_chain():
    if threading.current_thread() is not threading.main_thread():
        return
    try:
        previous = signal.getsignal(signal.SIGINT)
    except (AttributeError, ValueError):
        return
    if previous is not signal.default_int_handler:
        return

    def on_sigint(signum, frame):
        interrupt_runs()
        signal.default_int_handler(signum, frame)

    try:
        signal.signal(signal.SIGINT, on_sigint)
    except (ValueError, OSError):        # not the main interpreter, or no signals here
        pass


_install_sigint_chain()


def _int(value, name, lo, hi):
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be an integer in [{lo}, {hi}], got bool")
    try:
        v = operator.index(value)
    except TypeError:
        raise TypeError(f"{name} must be an integer in [{lo}, {hi}], "
                        f"got {type(value).__name__}") from None
    if not lo <= v <= hi:
        raise ValueError(f"{name} must be in [{lo}, {hi}], got {v}")
    return v


def _bool(value, name):
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be a bool, got {type(value).__name__}")
    return bool(value)


def simulate(workload: Workload | CompiledWorkload, gomaxprocs: int | None = None,
             seed: int = 0, *, cpus: int | None | Literal["auto"] = "auto",
             background: int = 0,
             cpu_quota: tuple | list | None = None,
             containermaxprocs: bool = True, updatemaxprocs: bool = True,
             os_sched: Mapping[str, Duration] | None = None,
             costs: CostModel | Mapping[str, int] | str | os.PathLike | None = None,
             noise: bool = True, runtime_init: bool = True, async_preempt: bool = True,
             runnext: bool = True, max_threads: int = 10_000, max_stack: int = 1_000_000_000,
             until: Literal["main", "all"] = "main", schedtrace: Duration | None = None,
             scheddetail: bool = False, on_schedtrace: Callable[[str], Any] | None = None,
             record_events: bool = False,
             trace_window: tuple[Duration, Duration] | None = None,
             trace_goroutines: Iterable[int] | None = None,
             max_trace_events: int | None = None, monitor: Duration | None = None,
             max_samples: int | None = None, snapshot_at: Duration | None = None,
             max_events: int | None = None, max_spans: int = 10**7,
             engine: Literal["compiled", "reference"] = "compiled", check: bool = False,
             progress: bool | Callable[[int, int], Any] | None = None,
             progress_every: int = 1_000_000, record_goroutines: bool = True,
             policy: Policy | str | os.PathLike | None = None) -> Result:
    """Run `workload` on Go's scheduler in virtual time.

    Parameters
    ----------
    workload : Workload or CompiledWorkload
    gomaxprocs : int, optional
        Number of Ps, 1 to 4096.  None (the default): Go 1.25's default,
        the number of CPUs lowered to max(2, ⌈quota/period⌉) by a CPU quota
        (:func:`gmpcore.machine.default_gomaxprocs`); 1 when `cpus` is not
        given.
    seed : int
        Seeds every random choice: the steal order and the workload's
        duration distributions.  The same seed gives the same run, bit for bit.
    cpus : int, None or "auto"
        CPUs shared by every thread that wants to run: Ms running Gs,
        spinning or in the runtime, sysmon, and `background` hogs; an OS
        scheduler in the style of Linux's EEVDF decides who runs when more
        want to (docs/machine.md).  "auto" (the default): as many CPUs as
        GOMAXPROCS, Go's own default.  None: a CPU for every thread at all
        times (the ideal machine of gmpcore before 0.3).
    background : int
        CPU-hog threads of other processes competing for the CPUs.
    cpu_quota : (quota, period) or list of (time, quota, period), optional
        A container's CPU limit (cgroup v2 ``cpu.max``): the program's
        threads may use `quota` of CPU time per `period`, summed over CPUs,
        and are stopped until the next period when they have.  A list
        changes it during the run (quota None: no limit).  Reported in
        ``counters`` as cgroup's ``cpu.stat`` does.  Needs `cpus`.
    containermaxprocs : bool
        ``GODEBUG=containermaxprocs``: False makes the default GOMAXPROCS
        ignore the quota (Go 1.24 and older).
    updatemaxprocs : bool
        ``GODEBUG=updatemaxprocs``: with the default GOMAXPROCS
        (``gomaxprocs=None``) and `cpus`, sysmon re-derives the default at
        its first loop and then at most once a second, and when a quota
        change moved it a runtime goroutine stops the world and resizes
        (``res.gomaxprocs_history`` rows with cause ``"update"``).  False
        turns that off (Go 1.24 and older).  The CPUs never change in a
        run, so only a `cpu_quota` schedule with changes can move the
        default; without one there is no updater.
    os_sched : dict, optional
        Override the OS scheduler's ``slice`` (Linux's base slice for the
        CPU count), ``tick`` (4ms, HZ=250), ``ctx_switch`` (2us),
        ``idle_exit`` and ``idle_exit_after`` (0: waking an idle CPU costs
        nothing beyond the measured ``thread_wake``).
    costs : CostModel, dict or path, optional
        Runtime costs in ns (docs/cost-model.md); a dict overrides defaults; a
        path reads a cost-model file (``gmpcore calibrate`` writes one).
    noise : bool, default True
        Each charge of a cost is a draw from its measured spread
        (``CostModel.spread``, gmpcore.noise), seeded by ``seed``: real
        machines jitter, and the jitter decides races.  False charges every
        cost exactly (the ideal machine, for teaching and for tests that pin
        Go's algorithms).
    runtime_init : bool, default True
        Start as a Go program does (docs/model.md "Start-up"): goroutine 1
        runs runtime.main's steps before the workload's main (it starts the
        runtime's goroutines forcegchelper, bgsweep, bgscavenge, the
        GOMAXPROCS updater unless ``updatemaxprocs=False``, and the
        finalizer goroutine, and waits for the sweeper and scavenger with m0
        wired to it), so goids, thread counts and the first scheduling
        decisions are a real program's.  The runtime's goroutines are rows
        of ``res.goroutines`` (programs named ``runtime.*``, see
        :attr:`Result.system`); deadlock checks, goroutine dumps and the
        monitor's goroutine count leave them out, as Go does.  False starts
        with main alone (the textbook picture, and the setting in which the
        known-answer tests derive goids by hand).
    async_preempt : bool
        Go ≥ 1.14 signal-based preemption; False models cooperative-only
        scheduling (``GODEBUG=asyncpreemptoff=1`` or Go < 1.14).
    runnext : bool
        False models the scheduler before Go 1.5: readied Gs go to the tail.
    max_threads : int
        ``debug.SetMaxThreads``; more Ms raise :class:`ThreadExhaustion`.
    max_stack : int
        ``debug.SetMaxStack`` in bytes (2048 to 2**31); beyond it
        :class:`StackOverflow`.
    until : {"main", "all"}
        End when main exits (as Go does), or when every goroutine has.
    schedtrace : duration, optional
        Collect ``GODEBUG=schedtrace`` lines at this virtual period
        (``res.schedtrace``), printed by sysmon as Go does (§6.1).
    scheddetail : bool
        With `schedtrace`, Go's ``scheddetail=1`` blocks instead: a P, M
        and G line each (one str per trace point, lines joined by newlines).
    on_schedtrace : callable, optional
        ``on_schedtrace(text)`` is called with each schedtrace line (or
        scheddetail block) as the run produces it, e.g. ``print``.
    record_events : bool
        Keep the event log (for traces and tests).
    trace_window : (start, end) durations, optional
        Log only the events in this virtual-time window (inclusive).  This
        and the next two filter the event log, so they need
        ``record_events=True`` (a warning says so otherwise).
    trace_goroutines : iterable of int, optional
        Log only events about these goids (events about no G are kept).
    max_trace_events : int, optional
        Keep at most this many log rows; the rest are counted in
        ``counters["events_dropped"]``.
    max_spans : int
        Keep at most this many ``res.spans`` rows (default 10**7, 32 bytes
        each); the rest are counted in ``counters["spans_dropped"]``.
    monitor : duration, optional
        Sample queue lengths, goroutine, thread and stack figures every
        `monitor` of virtual time into ``res.monitor``.
    max_samples : int, optional
        At most this many monitor samples (a warning says when the run
        outlasted them).  By default 10**6, or fewer when GOMAXPROCS is large,
        so that the samples fit in 256 MiB; a value whose samples could not
        fit in this machine's memory is refused.
    snapshot_at : duration, optional
        Record the scheduler's state at this virtual time in
        ``res.snapshot`` (a :class:`gmpcore.snapshot.Snapshot`).
    max_events : int, optional
        Stop after this many engine events.
    engine : {"compiled", "reference"}
        ``"compiled"`` runs the Cython engine (``gmpcore._engine``);
        ``"reference"`` the pure-Python oracle it is tested against
        (identical results, a few hundred times slower).
    check : bool
        Verify the scheduler's invariants after every event (every G in
        exactly one place, ``nmspinning`` consistent, ...); slow.
    progress : bool or callable, optional
        True shows a progress bar (tqdm, in a terminal or a notebook) for
        runs longer than a second; a callable is called as
        ``progress(events, now_ns)`` by the compiled engine at most every
        `progress_every` events (the reference engine calls neither).
    progress_every : int
        Events between `progress` calls, at least 1.
    record_goroutines : bool
        Keep one record per G (``res.goroutines``, 64 bytes a G).  False
        keeps none: a dead G's row is reused by the next ``go``, as Go's
        runtime reuses dead Gs (gfput/gfget), so memory follows the Gs alive
        at once instead of every G ever created, and ``res.goroutines`` is
        None.  The schedule is the same either way: makespan, counters,
        procs, schedtrace and monitor are identical.  Needs
        ``record_events=False`` (the event log names Gs by their row).
        With records, a workload whose goroutines (counted from its
        bytecode) would need more memory than the machine has is refused
        before the run, with that figure.
    policy : Policy, str or path, optional
        The scheduler's policy (:class:`gmpcore.Policy`, docs/policy.md):
        Go 1.25's by default; a preset's name (``"go1.4"``, ``"go1.13"``)
        or a TOML file's path.  ``res.policy`` records it.  Its
        ``async_preempt`` and ``runnext`` combine with the arguments of the
        same names (either False turns the feature off).

    Raises
    ------
    GoFatalError
        The simulated program died as Go's would (:class:`Deadlock` lists
        every goroutine, as Go's crash output does); ``exc.result`` holds
        the run up to that moment and ``exc.time_ns`` the moment.
    KeyboardInterrupt
        Ctrl-C, also for runs in worker threads (:func:`interrupt_runs`).

    Examples
    --------
    >>> import gmpcore as gmp
    >>> wl = gmp.Workload()
    >>> wg = wl.waitgroup()
    >>> worker = wl.program(gmp.cpu("1us"), gmp.done(wg))
    >>> _ = wl.main(gmp.add(wg, 100), gmp.go(worker, count=100), gmp.wait(wg))
    >>> res = gmp.simulate(wl, gomaxprocs=4, seed=1)
    >>> user = res.goroutines[~res.system]          # not the runtime's own five
    >>> len(user), bool((user["state"] == 6).all())
    (101, True)
    >>> lean = gmp.simulate(wl, gomaxprocs=4, seed=1, record_goroutines=False)
    >>> lean.goroutines is None, lean.makespan_ns == res.makespan_ns
    (True, True)
    """
    if isinstance(workload, Workload):
        compiled = workload.compile()
    elif isinstance(workload, CompiledWorkload):
        compiled = workload
    else:
        raise TypeError(f"workload must be a gmpcore.Workload, got {type(workload).__name__}")
    machine = _machine(gomaxprocs, cpus, background, cpu_quota, containermaxprocs, os_sched,
                       updatemaxprocs)
    nprocs = machine.pop("gomaxprocs")
    seed = _int(seed, "seed", 0, 2**63 - 1)
    if costs is None:
        costs = CostModel()
    elif isinstance(costs, dict):
        costs = CostModel(**costs)
    elif isinstance(costs, (str, os.PathLike)):
        costs = CostModel.load(costs)
    elif not isinstance(costs, CostModel):
        raise TypeError(f"costs must be a CostModel, a dict of overrides or a cost-model "
                        f"file's path, got {type(costs).__name__}")
    kwargs = dict(
        gomaxprocs=nprocs, seed=seed, costs=costs, noise=_bool(noise, "noise"),
        async_preempt=_bool(async_preempt, "async_preempt"),
        runnext=_bool(runnext, "runnext"),
        policy=as_policy(policy),
        max_threads=_int(max_threads, "max_threads", 2, 1_000_000),
        max_stack=_int(max_stack, "max_stack", 2048, 2**31),
        until=until,
        schedtrace=0 if schedtrace is None else duration_ns(schedtrace, "schedtrace"),
        record_events=_bool(record_events, "record_events"),
        runtime_init=_bool(runtime_init, "runtime_init"),
        max_events=None if max_events is None else _int(max_events, "max_events", 1, 2**62),
        **machine,
    )
    if until not in ("main", "all"):
        raise ValueError(f'until must be "main" or "all", got {until!r}')
    if kwargs["schedtrace"] < 0 or schedtrace is not None and kwargs["schedtrace"] == 0:
        raise ValueError("schedtrace must be a positive duration")
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {ENGINES}, got {engine!r}")
    kwargs["check"] = _bool(check, "check")
    kwargs["scheddetail"] = _bool(scheddetail, "scheddetail")
    if on_schedtrace is not None and not callable(on_schedtrace):
        raise TypeError(f"on_schedtrace must be callable or None, "
                        f"got {type(on_schedtrace).__name__}")
    kwargs["on_schedtrace"] = on_schedtrace
    if trace_window is not None:
        if not isinstance(trace_window, (tuple, list)) or len(trace_window) != 2:
            raise TypeError("trace_window must be a (start, end) pair of durations")
        t0 = duration_ns(trace_window[0], "trace_window start")
        t1 = duration_ns(trace_window[1], "trace_window end")
        if not 0 <= t0 <= t1:
            raise ValueError(f"trace_window must satisfy 0 <= start <= end, got ({t0}, {t1})")
        trace_window = (t0, t1)
    kwargs["trace_window"] = trace_window
    if trace_goroutines is not None:
        try:
            goids = np.asarray(list(trace_goroutines))
        except TypeError:
            raise TypeError("trace_goroutines must be an iterable of goids") from None
        if goids.size and (goids.dtype.kind not in "iu" or goids.min() < 1
                           or goids.max() > 2**31 - 1):
            raise ValueError("trace_goroutines must hold goids in [1, 2**31 - 1]")
        trace_goroutines = np.unique(goids.astype(np.int64))
    kwargs["trace_goroutines"] = trace_goroutines
    kwargs["max_trace_events"] = (None if max_trace_events is None
                                  else _int(max_trace_events, "max_trace_events", 0, 2**62))
    kwargs["max_spans"] = _int(max_spans, "max_spans", 0, 2**62)
    monitor_ns = 0 if monitor is None else duration_ns(monitor, "monitor")
    if monitor is not None and monitor_ns <= 0:
        raise ValueError("monitor must be a positive duration")
    kwargs["monitor"] = monitor_ns
    np_alloc = max(nprocs, compiled.max_gomaxprocs)    # a queue column per P allocated
    row_bytes = 8 * (10 + np_alloc) + 4 * np_alloc    # the engine's row and the result's
    if max_samples is None:
        kwargs["max_samples"] = max(1, min(MAX_SAMPLES_DEFAULT, MONITOR_BUDGET // row_bytes))
    else:
        kwargs["max_samples"] = _int(max_samples, "max_samples", 1, 2**40)
        ram = _physical_memory()
        if monitor is not None and ram and kwargs["max_samples"] * row_bytes > ram:
            raise ValueError(
                f"max_samples={kwargs['max_samples']:,} monitor samples of {row_bytes:,} bytes "
                f"each (GOMAXPROCS {nprocs}) could need {_bytes(kwargs['max_samples'] * row_bytes)}, "
                f"more than this machine's {_bytes(ram)}; ask for at most "
                f"{ram // row_bytes:,}, or a longer monitor period")
    for name, value in (("trace_window", trace_window), ("trace_goroutines", trace_goroutines),
                        ("max_trace_events", max_trace_events)):
        if value is not None and not kwargs["record_events"]:
            warnings.warn(f"{name} filters the event log, which is only kept with "
                          f"record_events=True: it has no effect here", UserWarning, stacklevel=2)
    kwargs["snapshot_at"] = -1 if snapshot_at is None else duration_ns(snapshot_at, "snapshot_at")
    want_bar = progress is True
    if isinstance(progress, bool):
        progress = None
    if progress is not None and not callable(progress):
        raise TypeError(f"progress must be a bool, a callable or None, "
                        f"got {type(progress).__name__}")
    progress_every = _int(progress_every, "progress_every", 1, 2**62)
    record_goroutines = _bool(record_goroutines, "record_goroutines")
    if not record_goroutines and kwargs["record_events"]:
        raise ValueError("record_events=True needs record_goroutines=True: the event log "
                         "names Gs by their row in res.goroutines")
    if record_goroutines:
        _refuse_records_beyond_memory(compiled)
    bar = None
    if want_bar:
        from gmpcore.progress import ProgressBar
        progress = bar = ProgressBar(f"simulate GOMAXPROCS={nprocs}")
    cancel = _Cancel()
    with _RUNNING_LOCK:
        _RUNNING.add(cancel)
    try:
        raw = _run_engine(engine, compiled, kwargs, progress, progress_every, record_goroutines,
                          cancel)
    except GoFatalError as exc:
        partial = getattr(exc, "partial", None)
        if partial is not None:
            exc.partial = None
            exc.result = _finish(partial, kwargs, compiled, record_goroutines)
        raise
    finally:
        with _RUNNING_LOCK:
            _RUNNING.discard(cancel)
        if bar is not None:
            bar.close()
    res = _finish(raw, kwargs, compiled, record_goroutines)
    if (res.monitor is not None and len(res.monitor) == kwargs["max_samples"]
            and res.monitor["time"][-1] + kwargs["monitor"] <= raw["now"]):
        warnings.warn(f"the monitor kept its first {kwargs['max_samples']:,} samples "
                      f"(max_samples) and stopped at {res.monitor['time'][-1]:,} ns of a "
                      f"{raw['now']:,} ns run; pass a longer monitor period or a larger "
                      f"max_samples", RuntimeWarning, stacklevel=2)
    return res


def _machine(gomaxprocs, cpus, background, cpu_quota, containermaxprocs, os_sched,
             updatemaxprocs=True):
    """The machine's arguments, checked, and GOMAXPROCS (gmpcore.machine)."""
    from gmpcore import machine
    quota = machine.parse_quota(cpu_quota)
    if isinstance(cpus, str):
        if cpus != "auto":
            raise ValueError(f'cpus must be an int, None or "auto", got {cpus!r}')
        if gomaxprocs is None and quota is not None:
            raise ValueError('cpu_quota needs cpus=N: the default GOMAXPROCS follows the '
                             'CPU count and the quota')
        cpus = 1 if gomaxprocs is None else _int(gomaxprocs, "gomaxprocs", 1, MAX_GOMAXPROCS)
    cpus = machine.check_cpus(cpus)
    background = _int(background, "background", 0, machine.MAX_BACKGROUND)
    if cpus is None and (background or quota is not None):
        raise ValueError(f"{'background' if background else 'cpu_quota'} needs cpus=N: "
                         f"without a CPU count nothing competes for CPUs")
    containermaxprocs = _bool(containermaxprocs, "containermaxprocs")
    if gomaxprocs is None:
        nprocs = machine.default_gomaxprocs(cpus, quota, containermaxprocs)
    else:
        nprocs = _int(gomaxprocs, "gomaxprocs", 1, MAX_GOMAXPROCS)
    updatemaxprocs = _bool(updatemaxprocs, "updatemaxprocs")
    return dict(gomaxprocs=nprocs, cpus=cpus, background=background, cpu_quota=quota,
                os_sched=None if cpus is None else machine.os_sched_params(cpus, os_sched),
                # GOMAXPROCS given is Go's GOMAXPROCS variable: never updated.
                # The CPUs never change in a run, so only a quota change can
                # move the default: without one the updater is left out.
                updater=(updatemaxprocs and gomaxprocs is None and cpus is not None
                         and quota is not None and len(quota) > 1),
                updatemaxprocs=updatemaxprocs,
                containermaxprocs=containermaxprocs)


def _run_engine(engine, compiled, kwargs, progress, progress_every, record_goroutines, cancel):
    if engine == "compiled":
        from gmpcore import _engine
        return _engine.run(compiled, progress=progress, progress_every=progress_every,
                           record_goroutines=record_goroutines, cancel=cancel, **kwargs)
    from gmpcore.reference.engine import RefEngine
    return RefEngine(compiled, cancel=cancel, **kwargs).run()


def _finish(raw, kwargs, compiled, record_goroutines):
    if not record_goroutines:           # the oracle keeps every G; drop them alike
        raw["goroutines"] = None
    from gmpcore.startup import runtime_programs
    runtime_init = kwargs.get("runtime_init", False)
    names = tuple(compiled.program_names) + runtime_programs(
        len(compiled.entry), 0, 0, 0,
        kwargs.get("updatemaxprocs", True) if runtime_init else kwargs.get("updater", False),
        runtime_init).names
    res = _result(raw, kwargs["gomaxprocs"], names)
    res.threads = _threads(raw["threads"])
    res.trace_window = kwargs["trace_window"]
    res.span_names = tuple(compiled.span_names)
    res.policy = kwargs["policy"]
    rows = raw.get("spans")
    if rows is not None and rows.dtype == SPAN_DTYPE:
        res.spans = rows                          # the compiled engine's own buffer
    elif rows is not None:                        # the reference's (n, 5) int64 rows
        res.spans = np.zeros(len(rows), dtype=SPAN_DTYPE)
        for i, name in enumerate(SPAN_DTYPE.names):
            res.spans[name] = rows[:, i]
    return res


def _threads(rows):
    if isinstance(rows, np.ndarray):
        return rows
    out = np.zeros(len(rows), dtype=THREAD_DTYPE)
    for name, column in zip(THREAD_DTYPE.names, zip(*rows)):
        out[name] = column
    return out


def _refuse_records_beyond_memory(compiled):
    """A workload whose per-G records cannot fit in memory is refused up
    front, not after minutes of running into MemoryError."""
    from gmpcore import _engine
    ram = _physical_memory()
    gs = _engine.estimate_goroutines(compiled)
    if ram is None or gs is None:
        return
    per_g = _engine.G_BYTES + 8 + (4 if int(np.max(compiled.loop_depth, initial=0)) else 0)
    if gs * per_g > ram:
        raise ValueError(
            f"this workload starts {gs:,} goroutines; their records (res.goroutines, "
            f"{per_g} bytes each) would need {_bytes(gs * per_g)}, more than this machine's "
            f"{_bytes(ram)}: pass record_goroutines=False (the CLI's --no-records), which "
            f"keeps no per-G records and reuses dead goroutines' rows, so memory follows "
            f"the goroutines alive at once")


def _result(raw, nprocs, program_names):
    """A Result from an engine's dict: goroutines and procs are lists of
    tuples in G_DTYPE/P_DTYPE field order (reference) or the structured
    arrays themselves (compiled, no copy)."""
    if raw["goroutines"] is None or isinstance(raw["goroutines"], np.ndarray):
        rows = raw["goroutines"]
    else:
        rows = np.zeros(len(raw["goroutines"]), dtype=G_DTYPE)
        for name, column in zip(G_DTYPE.names, zip(*raw["goroutines"])):
            rows[name] = column
    if isinstance(raw["procs"], np.ndarray):
        procs = np.array(raw["procs"], dtype=P_DTYPE)
    else:
        procs = np.array([tuple(p) for p in raw["procs"]], dtype=P_DTYPE)
    ev = raw["events"]
    events = None
    if len(ev):
        events = np.zeros(len(ev), dtype=EVENT_DTYPE)
        for i, name in enumerate(EVENT_DTYPE.names):
            events[name] = ev[:, i]
    monitor = None
    if raw["monitor"] is not None and len(raw["monitor"]):
        samples = raw["monitor"]
        if isinstance(samples, np.ndarray):
            monitor = samples
        else:
            # A local-queue column per P allocated (more than gomaxprocs when
            # the workload calls gomaxprocs(n) with a larger n).
            monitor = np.array([tuple(r) for r in samples],
                               dtype=monitor_dtype(len(samples[0][-1])))
    snapshot = None
    if raw["snapshot"] is not None:
        from gmpcore.snapshot import Snapshot
        from gmpcore.state import snapshot_dict
        snapshot = Snapshot(snapshot_dict(raw["snapshot"]))
    return Result(makespan_ns=int(raw["makespan_ns"]), goroutines=rows, procs=procs,
                  counters=raw["counters"], schedtrace=raw["schedtrace"], events=events,
                  monitor=monitor, snapshot=snapshot, program_names=tuple(program_names),
                  gomaxprocs_history=[tuple(r) for r in raw["gomaxprocs_history"]],
                  sched_latencies=LatencyHistogram(raw["sched_latencies"],
                                                   raw["sched_latency_sum"]))
