"""Virtual-time costs of Go runtime operations, in integer nanoseconds.

The defaults were measured on a real Go runtime (go1.27.3, linux/amd64, a
2-vCPU Firecracker VM); docs/cost-model.md gives, for every field, what it
charges, the measurement, its spread and how the default was rounded.
``benchmarks/go/costs/run.sh`` reruns the measurements; ``gmpcore calibrate``
measures them on another machine (gmpcore.calibrate).

"CPU" costs are charged to the running G's (or M's) CPU time; "latency"
costs delay an M or G without using a P's CPU.

>>> from gmpcore.costs import CostModel, FIELDS
>>> CostModel().newproc
75
>>> fast = CostModel().replace(thread_wake=5_000)   # e.g. a faster machine
>>> fast.thread_wake, fast.newproc
(5000, 75)
>>> int(fast.as_array()[FIELDS.index("thread_wake")])
5000
>>> CostModel(park=-1)
Traceback (most recent call last):
    ...
ValueError: CostModel.park must be in [0, 10**12] ns, got -1
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

import numpy as np

__all__ = ["MAX_COST_NS", "CostModel", "FIELDS", "DEFAULT_SPREAD"]

#: Bounds of a spread's ratios: draws stay within 1/64..64 times the median.
MIN_P10, MAX_P90 = 0.05, 8.0

#: Measured spreads, as (p10, p90) over the median (docs/cost-model.md §2 gives each
#: measurement).  CPU costs timed as loop means show only their trials' spread, which
#: bounds the per-operation spread from below; those use their trials' min..max as
#: p10..p90.  Latencies were sampled one by one.
DEFAULT_SPREAD: Mapping[str, tuple[float, float]] = MappingProxyType({
    "newproc": (0.95, 1.10), "goexit": (0.95, 1.10), "schedule": (0.78, 1.13),
    "gosched": (0.98, 1.02), "park": (0.95, 1.10), "ready": (0.95, 1.10),
    "chan_op": (0.95, 1.10), "wg_op": (0.95, 1.10),
    "syscall_enter": (0.95, 1.15), "syscall_exit": (0.95, 1.15),
    "syscall_exit_slow": (0.95, 1.15),
    # newm trials 13.8-32.9 µs around 19.2: per-thread samples, not a loop mean.
    "thread_create": (0.72, 1.70),
    # benchWake: p10 9.0-10.6 µs, median 43.4 µs, p90 77-84 µs.
    "thread_wake": (0.22, 1.85),
    "steal_attempt": (0.98, 1.31), "timer_add": (0.97, 1.08), "timer_fire": (0.99, 1.04),
    "netpoll": (0.96, 1.04), "preempt_signal": (0.99, 1.02),
    # nanosleep(20 µs): p10 89-96 µs, median 101.8 µs, p90 100-105 µs.
    "sysmon_tick": (0.90, 1.02),
    "stw_stop": (0.5, 1.5), "stw_start": (0.5, 1.5), "procresize_p": (0.9, 1.1),
    "mutex_lock": (0.99, 1.03), "mutex_unlock": (0.99, 1.03), "mutex_spin": (0.99, 1.01),
    # Sleep(1ms) and AfterFunc lateness on an idle program: an estimate, wider than the
    # committed runs' AfterFunc(1ms) samples give (0.91, 1.10); gmpcore calibrate
    # measures it (docs/cost-model.md §5).
    "timer_wake": (0.60, 1.30),
    # benchmarks/go/workingset trials (fresh 1347-2221 around 1923 ns; a ring hop's
    # trials are within 5 %, a single switch's spread is an estimate); stackalloc an
    # estimate; cache_bytes is a size, never drawn.
    "newproc_fresh": (0.75, 1.2), "stackalloc": (0.8, 1.3), "cold_switch": (0.7, 1.4),
    # Loop means (benchmarks/go/select): as the other CPU costs.
    "select_base": (0.95, 1.10), "select_case": (0.95, 1.10), "select_wake": (0.5, 1.6),
    # benchmarks/go/timers: Reset+Stop pairs 102.6-103.3 ns around 103.2.
    "timer_modify": (0.99, 1.01),
    # benchmarks/go/close: p10/p90 of 2000 closes with 8 waiters, 563-651 around 604 ns.
    "close_waiter": (0.93, 1.08),
    # benchmarks/go/condwake: p10/p90 of 2000 Broadcasts with 8 waiters, 538-596 around 559 ns.
    "cond_waiter": (0.96, 1.07),
    # benchmarks/go/rwcond, the median run's trials: RLock+RUnlock 12.19-14.73 ns
    # around 12.59, Signal with no waiter 3.36-6.46 ns around 3.63.
    "rwmutex_rlock": (0.97, 1.17), "rwmutex_runlock": (0.97, 1.17), "cond_op": (0.93, 1.78),
})

#: Largest accepted cost (1000 s), so that sums stay far inside int64.
MAX_COST_NS = 10**12


@dataclasses.dataclass(frozen=True)
class CostModel:
    """Costs in nanoseconds; every field is a non-negative int <= 10**12."""

    newproc: int = 75
    """CPU, creator: one `go` statement (newproc1 + runqput); timed creator loop."""
    goexit: int = 31
    """CPU, exiting G: goexit1/goexit0/gdestroy; profile share of a create+run+exit loop."""
    schedule: int = 29
    """CPU, M: schedule/findRunnable/execute picking the next G; profile share."""
    gosched: int = 50
    """CPU, yielding G: Gosched up to the global-runq put (not schedule); profile share."""
    park: int = 22
    """CPU, parking G: gopark/park_m before schedule; profile share of a chan ping-pong."""
    ready: int = 44
    """CPU, readier: goready/ready/runqput(runnext) + wakep check; profile share."""
    chan_op: int = 14
    """CPU, caller: one non-blocking channel send or receive; buffered-channel loop."""
    wg_op: int = 6
    """CPU, caller: one uncontended WaitGroup Add or Done; direct loop."""
    syscall_enter: int = 12
    """CPU, G: entersyscall; Syscall minus RawSyscall (getpid), split by profile."""
    syscall_exit: int = 22
    """CPU, G: exitsyscall fast path (P still attached); as syscall_enter."""
    syscall_exit_slow: int = 150
    """CPU, M: exitsyscall with no P (G to global runq, M stops); estimated."""
    thread_create: int = 19_000
    """Latency of a new M (thread exit + clone + start); LockOSThread-exit cycle."""
    thread_wake: int = 43_000
    """Latency: ready on a busy P until an idle P's parked M runs the G."""
    steal_attempt: int = 130
    """CPU, thief M: one runqgrab of a victim; 2 cache-line transfers (estimate)."""
    timer_add: int = 90
    """CPU, G: add/reset a timer in its P's heap; profile share of a Sleep loop."""
    timer_fire: int = 98
    """CPU, M: run one expired timer (not the ready); same profile."""
    netpoll: int = 300
    """CPU, M: one non-blocking netpoll (epoll_pwait); profile of a TCP ping-pong."""
    preempt_signal: int = 860
    """CPU, preempted G's M: SIGURG delivery + handler (self-tgkill) + gosched;
    paid after the G's work stops, before its M schedules again."""
    sysmon_tick: int = 100_000
    """Latency: sysmon's shortest loop, usleep(20) -- ~100 µs with timer slack."""
    stw_stop: int = 2_000
    """CPU, STW caller: GOMAXPROCS(n) up to the stopped world when nothing must
    be waited for (gcsema, worldsema, stopTheWorldWithSema); call median minus restart."""
    stw_start: int = 400
    """CPU, STW caller: startTheWorld besides procresize's per-P work; pause split."""
    procresize_p: int = 300
    """CPU, STW caller: procresize per P it touches (the larger of the old and new
    count); slope of the restart pause over GOMAXPROCS 2..128."""
    mutex_lock: int = 6
    """CPU, caller: one uncontended sync.Mutex.Lock (a CAS); half a Lock+Unlock pair."""
    mutex_unlock: int = 6
    """CPU, caller: one sync.Mutex.Unlock (an atomic add); the other half."""
    mutex_spin: int = 370
    """CPU, spinning G: one lockSlow spin, runtime_doSpin's procyield(30) (30 PAUSEs); direct."""
    rwmutex_rlock: int = 6
    """CPU, caller: one uncontended sync.RWMutex.RLock (an atomic add); half an
    RLock+RUnlock pair.  Also a writer's announce (RWMutex.Lock after rw.w.Lock)."""
    rwmutex_runlock: int = 6
    """CPU, caller: one sync.RWMutex.RUnlock; the other half.  Also RWMutex.Unlock's
    announce before rw.w.Unlock."""
    cond_op: int = 4
    """CPU, caller: sync.Cond.Signal or Broadcast with no waiter (an atomic load and
    compare); also Cond.Wait's notifyListAdd and notifyListWait steps; direct."""
    timer_wake: int = 95_000
    """Latency: an M sleeping with a timeout (epoll_wait in the blocking netpoll, a futex
    wait) runs again this long after the timeout: the 50 µs timer slack plus the idle
    CPU's wake-up; Sleep(1ms) on an idle program took 1.094-1.097 ms."""
    newproc_fresh: int = 1_800
    """CPU, creator: a `go` with no free G (gfget finds none): malg allocates a g and a
    2 KiB stack in new memory, and the GC that the growing heap of live goroutines
    brings (the model has no GC: its share is charged here); beyond `newproc`.
    benchmarks/go/workingset `fresh`: 1.6-2.0 µs of CPU per `go` at GOMAXPROCS=1."""
    stackalloc: int = 150
    """CPU, creator: a `go` whose free G lost its stack (it had grown: gfput freed it);
    stackalloc from the P's stack cache; beyond `newproc`.  Estimate."""
    cold_switch: int = 180
    """CPU, M: switching to a G whose stack and g are no longer in the cache; charged
    as its expectation, cold_switch x (1 - cache_bytes / working set), when the live
    Gs' stacks and state outgrow `cache_bytes`.  benchmarks/go/workingset `ring`: a
    hop costs ~200 ns up to 100 goroutines, 321-383 ns at 10^4 and 376-433 ns at 10^5
    (more when other processes share the cache)."""
    cache_bytes: int = 2_621_440
    """Not a time: the bytes of cache the live goroutines' state competes for (this
    VM's 2.5 MiB L2 per core); a working set beyond it makes switches cold."""
    select_base: int = 0
    """CPU, G: selectgo's fixed part (a select of 2+ cases); the 2- and 4-case fit's
    intercept, 0 within noise."""
    select_case: int = 33
    """CPU, G: selectgo per case (shuffle, sort, lock, poll; enqueue if it blocks); the
    fit's slope (66 ns for 2 cases, 131 ns for 4)."""
    select_wake: int = 9
    """CPU, G: selectgo's pass 3 per case after a wake-up (relock, dequeue the other
    sudogs): a ping-pong round with a 2-case select minus one with a plain receive
    (69 ns), less pass 1's excess over chan_op (52 ns), over 2 cases."""
    close_waiter: int = 66
    """CPU, closer: close(ch) per parked goroutine it readies (closechan's gList and the
    goready); benchmarks/go/close: 96, 604 and 4 252 ns for 1, 8 and 64 parked receivers
    against 38 ns for none, ~66 ns each."""
    cond_waiter: int = 66
    """CPU, notifier: Cond.Signal or Broadcast per parked waiter it readies (the notify
    list's lock, the sudog's unlink, readyWithTime's goready); benchmarks/go/condwake:
    Broadcast with 1, 8 and 64 parked waiters 100, 559 and 4 286 ns against 27 ns for
    none (the clock's ~24 ns included), ~66 ns each; Signal with one parked, 100 ns."""
    timer_modify: int = 52
    """CPU, G: one Reset or Stop of a time.Timer/Ticker (timer.modify/stop, timerchandrain);
    half a Reset+Stop pair, direct loop."""
    spread: Mapping[str, tuple[float, float]] = dataclasses.field(
        default_factory=lambda: DEFAULT_SPREAD)
    """Each field's spread as its (p10, p90) over its median (1.0, 1.0: no spread); the
    draws follow a log-normal split at the median (gmpcore.noise).  Fields left out keep
    their defaults; ``simulate(noise=False)`` ignores the spreads."""

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            if f.name == "spread":
                continue
            v = getattr(self, f.name)
            if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, np.integer)):
                raise TypeError(
                    f"CostModel.{f.name} must be an int in [0, 10**12] ns, "
                    f"got {type(v).__name__} {v!r}"
                )
            if not 0 <= v <= MAX_COST_NS:
                raise ValueError(f"CostModel.{f.name} must be in [0, 10**12] ns, got {v}")
            object.__setattr__(self, f.name, int(v))
        object.__setattr__(self, "spread", _checked_spread(self.spread))

    def __hash__(self) -> int:
        return hash((tuple(self.as_array()), tuple(sorted(self.spread.items()))))

    def replace(self, **overrides: Any) -> CostModel:
        """A copy with some fields changed (validated like the constructor); a
        ``spread=`` mapping changes only the fields it names."""
        if "spread" in overrides:
            overrides["spread"] = {**self.spread, **dict(overrides["spread"])}
        return dataclasses.replace(self, **overrides)

    @classmethod
    def load(cls, path: str | os.PathLike) -> CostModel:
        """Read a cost-model file: TOML with a ``[costs]`` table of ns and an
        optional ``[spread]`` table of (p10, p90) pairs (``gmpcore calibrate``
        writes one); fields it leaves out keep their defaults.

        >>> import os, tempfile
        >>> path = os.path.join(tempfile.mkdtemp(), "m.toml")
        >>> CostModel().replace(newproc=90, spread={"newproc": (0.9, 1.2)}).save(path)
        >>> m = CostModel.load(path)
        >>> m.newproc, m.spread["newproc"], m == CostModel().replace(
        ...     newproc=90, spread={"newproc": (0.9, 1.2)})
        (90, (0.9, 1.2), True)
        """
        try:
            import tomllib
        except ModuleNotFoundError:             # Python 3.10
            import tomli as tomllib
        try:
            with open(path, "rb") as f:
                doc = tomllib.load(f)
        except OSError as exc:
            raise OSError(f"cannot read the cost-model file {os.fspath(path)!r}: "
                          f"{exc.strerror or exc}") from None
        except tomllib.TOMLDecodeError as exc:
            raise ValueError(f"{os.fspath(path)}: not a TOML cost-model file: {exc}") from None
        unknown = set(doc) - {"costs", "spread", "measured"}
        if unknown:
            raise ValueError(f"{os.fspath(path)}: unknown table(s) {sorted(unknown)}; "
                             f"a cost-model file has [costs], [spread] and [measured]")
        values = doc.get("costs", {})
        bad = sorted(set(values) - set(FIELDS))
        if bad:
            raise ValueError(f"{os.fspath(path)}: [costs] {bad[0]!r} is not a cost field "
                             f"(one of {', '.join(FIELDS)})")
        return cls(**values, spread=doc.get("spread", {}))

    def save(self, path: str | os.PathLike, header: str = "",
             measured: Mapping[str, Any] | None = None) -> None:
        """Write this model as a TOML cost-model file (see :meth:`load`):
        `header` becomes comment lines; `measured` (e.g. what calibrate saw)
        is kept in a ``[measured]`` table that :meth:`load` ignores."""
        lines = [f"# {line}".rstrip() for line in header.splitlines()]
        lines += ["[costs]"] + [f"{name} = {getattr(self, name)}" for name in FIELDS]
        lines += ["", "[spread]  # (p10, p90) over the median"]
        lines += [f"{name} = [{lo!r}, {hi!r}]" for name, (lo, hi) in self.spread.items()]
        if measured:
            lines += ["", "[measured]"] + [f"{k} = {_toml_value(v)}" for k, v in measured.items()]
        tmp = f"{os.fspath(path)}.tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            f.write("\n".join(lines) + "\n")
        os.replace(tmp, path)

    def as_array(self) -> np.ndarray:
        """The costs as an int64 array in FIELDS order."""
        return np.array([getattr(self, name) for name in FIELDS], dtype=np.int64)


#: Cost field names in declaration (and as_array) order.
FIELDS: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(CostModel)
                                if f.name != "spread")


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    return '"' + str(v).replace("\\", "\\\\").replace('"', '\\"') + '"'


def _checked_spread(spread: Any) -> MappingProxyType[str, tuple[float, float]]:
    if not isinstance(spread, Mapping):
        raise TypeError(f"CostModel.spread must be a mapping of field -> (p10, p90), "
                        f"got {type(spread).__name__}")
    out = {name: DEFAULT_SPREAD.get(name, (1.0, 1.0)) for name in FIELDS}
    for name, pair in spread.items():
        if name not in FIELDS:
            raise ValueError(f"CostModel.spread: {name!r} is not a cost field "
                             f"(one of {', '.join(FIELDS)})")
        try:
            lo, hi = (float(x) for x in pair)
        except (TypeError, ValueError):
            raise TypeError(f"CostModel.spread[{name!r}] must be a pair (p10, p90) of "
                            f"ratios to the median, got {pair!r}") from None
        if not (MIN_P10 <= lo <= 1.0 <= hi <= MAX_P90):
            raise ValueError(f"CostModel.spread[{name!r}] must satisfy "
                             f"{MIN_P10} <= p10 <= 1 <= p90 <= {MAX_P90}, got ({lo}, {hi})")
        out[name] = (lo, hi)
    return MappingProxyType(out)

