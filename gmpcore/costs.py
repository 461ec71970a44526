"""Virtual-time costs of Go runtime operations, in integer nanoseconds.

The defaults were measured on a real Go runtime (go1.27.3, linux/amd64, a
2-vCPU Firecracker VM); docs/cost-model.md gives, for every field, what it
charges, the measurement, its spread and how the default was rounded.
``benchmarks/go/costs/run.sh`` reruns the measurements.

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

import numpy as np

__all__ = ["MAX_COST_NS", "CostModel", "FIELDS"]

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
    timer_modify: int = 52
    """CPU, G: one Reset or Stop of a time.Timer/Ticker (timer.modify/stop, timerchandrain);
    half a Reset+Stop pair, direct loop."""

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            v = getattr(self, f.name)
            if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, np.integer)):
                raise TypeError(
                    f"CostModel.{f.name} must be an int in [0, 10**12] ns, "
                    f"got {type(v).__name__} {v!r}"
                )
            if not 0 <= v <= MAX_COST_NS:
                raise ValueError(f"CostModel.{f.name} must be in [0, 10**12] ns, got {v}")
            object.__setattr__(self, f.name, int(v))

    def replace(self, **overrides: int) -> CostModel:
        """A copy with some fields changed (validated like the constructor)."""
        return dataclasses.replace(self, **overrides)

    def as_array(self) -> np.ndarray:
        """The costs as an int64 array in FIELDS order."""
        return np.array([getattr(self, name) for name in FIELDS], dtype=np.int64)


#: Field names in declaration (and as_array) order.
FIELDS: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(CostModel))
