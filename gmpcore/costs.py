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
>>> fast = CostModel().replace(thread_wake=2_000)   # e.g. bare metal
>>> fast.thread_wake, fast.newproc
(2000, 75)
>>> int(fast.as_array()[FIELDS.index("thread_wake")])
2000
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
    """CPU, creator: one `go` statement (newproc1 + runqput); measured creator-side loop."""
    goexit: int = 35
    """CPU, exiting G: goexit1/goexit0/gdestroy; share of a CPU profile of create+run+exit."""
    schedule: int = 30
    """CPU, M: schedule/findRunnable/execute to pick and switch to the next G; profile share."""
    gosched: int = 50
    """CPU, yielding G: Gosched's mcall + global-runq put (schedule charged apart); profile share."""
    park: int = 25
    """CPU, parking G: gopark/park_m before schedule; profile share of a chan ping-pong."""
    ready: int = 45
    """CPU, readier: goready/ready/runqput(runnext) + wakep check; profile share of a ping-pong."""
    chan_op: int = 15
    """CPU, caller: one non-blocking channel send or receive; buffered-channel loop."""
    wg_op: int = 6
    """CPU, caller: one uncontended WaitGroup Add/Done (Wait on zero ~1 ns); direct loop."""
    syscall_enter: int = 12
    """CPU, G: entersyscall; profile share of syscall.Syscall(SYS_GETPID)."""
    syscall_exit: int = 20
    """CPU, G: exitsyscall fast path (P still attached); profile share of the same loop."""
    syscall_exit_slow: int = 250
    """CPU, M: exitsyscall without a P (G to global runq, M stops); estimated, not isolated."""
    handoff: int = 1_000
    """Latency before the new M runs a handed-off P (handoffp+startm+futex); LockOSThread ping-pong."""
    thread_create: int = 25_000
    """Latency, new M: thread exit + clone + first schedule; LockOSThread-exit cycle minus baseline."""
    thread_wake: int = 10_000
    """Latency: wakep/startm futex-waking a parked M on an idle vCPU until it runs the G."""
    steal_attempt: int = 400
    """CPU, thief M: one runqgrab probe of a victim P; ~2 cross-core cache-line transfers, estimated."""
    timer_add: int = 85
    """CPU, G: add/reset a timer in the P's heap (time.Sleep, AfterFunc); profile share and direct loop."""
    timer_fire: int = 100
    """CPU, M running timers: pop and run one expired timer (excl. the ready); profile share."""
    netpoll: int = 300
    """CPU, M: one non-blocking netpoll (epoll_pwait + ready list); profile share of a TCP ping-pong."""
    preempt_signal: int = 1_000
    """CPU, preempted G: SIGURG delivery + handler + asyncPreempt; self-tgkill loop + gosched."""
    sysmon_tick: int = 20_000
    """Latency: sysmon's shortest sleep, usleep(20); really ~86 µs here (50 µs timer slack)."""

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
