"""Type stubs for the compiled simulation engine (gmpcore/_engine.pyx)."""

from typing import Any, Callable, Literal, NotRequired, Protocol, TypedDict

from typing_extensions import disjoint_base

import numpy as np
import numpy.typing as npt

from gmpcore.costs import CostModel
from gmpcore.policy import Policy
from gmpcore.workload import CompiledWorkload

#: Bytes per G of the G table (plus 4 when some program uses ``repeat``).
G_BYTES: int
SPAN_BYTES: int
#: Codes shared with gmpcore.events (a test checks they agree).
CODES: dict[str, int]
#: Offsets of the engine's G record fields, by results.G_DTYPE name.
GREC_OFFSETS: dict[str, int]
#: The model's constants (_model.pxd), by name; gmpcore.model presents them.
MODEL: dict[str, int]
#: Where each cost lives in the engine's Costs struct, by CostModel field name.
COST_OFFSETS: dict[str, int]
#: Bytes of the Costs struct.
COSTS_BYTES: int
#: Policy.steal's names and the run queues' codes for them.
STEAL_RULE_CODES: dict[str, int]
G_DTYPE: np.dtype
P_DTYPE: np.dtype
THREAD_DTYPE: np.dtype
SPAN_DTYPE: np.dtype
MONITOR_FIELDS: list[tuple[str, type]]

class _Cancel(Protocol):
    cancelled: bool

class Counters(TypedDict):
    threads: int                           # mcount(): created minus exited
    threads_exited: int
    steals: int
    spills: int
    handoffs: int
    preemptions: int
    syscalls: int
    spinning: int
    netpolls: int
    timers: int
    events: int
    events_dropped: int
    spans_dropped: NotRequired[int]        # only when the workload has spans
    goroutines: int
    cpu_run_delay_ns: int
    cpu_switches: int
    cpu_involuntary_switches: int
    cpu_busy_ns: int
    background_cpu_ns: int
    nr_periods: int
    nr_throttled: int
    throttled_ns: int
    throttled_wall_ns: int
    gomaxprocs_changes: int
    stw_count: int
    stw_stopping_ns: int
    stw_total_ns: int

class RawResult(TypedDict):
    makespan_ns: int
    now: int
    events: npt.NDArray[np.int64]          # shape (n, 6): time, kind, m, p, g, arg
    counters: Counters
    goroutines: np.ndarray | None          # results.G_DTYPE (parent = creator's goid, 0 for main); None without records
    procs: np.ndarray                      # results.P_DTYPE, one row per P that ever existed
    gomaxprocs_history: list[tuple[int, int, int, str]]  # (time, old, new, cause)
    schedtrace: list[str]
    monitor: np.ndarray | None             # results.monitor_dtype(P count allocated)
    snapshot: dict[str, Any] | None        # a gmpcore.state view
    sched_latencies: npt.NDArray[np.uint64]  # 162 counts, gmpcore.latency's layout
    sched_latency_sum: int
    heap_slots: int                        # event-heap memory, for tests
    threads: np.ndarray                    # results.THREAD_DTYPE, one row per M
    spans: np.ndarray | None               # results.SPAN_DTYPE; None without spans

def run(
    compiled: CompiledWorkload,
    gomaxprocs: int = 1,
    seed: int = 0,
    costs: CostModel | None = None,
    async_preempt: bool = True,
    runnext: bool = True,
    max_threads: int = 10_000,
    max_stack: int = 1_000_000_000,
    until: Literal["main", "all"] = "main",
    schedtrace: int = 0,
    record_events: bool = True,
    max_events: int | None = None,
    check: bool = False,
    progress: Callable[[int, int], Any] | None = None,
    progress_every: int = 1_000_000,
    scheddetail: bool = False,
    on_schedtrace: Callable[[str], Any] | None = None,
    monitor: int = 0,
    max_samples: int = 1_000_000,
    snapshot_at: int = -1,
    trace_window: tuple[int, int] | None = None,
    trace_goroutines: npt.NDArray[np.int64] | None = None,
    max_trace_events: int | None = None,
    record_goroutines: bool = True,
    cancel: _Cancel | None = None,
    cpus: int | None = None,
    background: int = 0,
    os_sched: dict[str, int] | None = None,
    cpu_quota: list[tuple[int, int, int]] | None = None,
    updater: bool = False,
    containermaxprocs: bool = True,
    max_spans: int = 10**7,
    noise: bool = False,
    policy: Policy | str | None = None,
    runtime_init: bool = False,
    updatemaxprocs: bool = True,
) -> RawResult: ...

def estimate_goroutines(compiled: CompiledWorkload) -> int | None: ...
def _lat_index(d: int) -> int: ...

@disjoint_base
class _Run:
    progress: Callable[[int, int], Any] | None
    cancel: _Cancel | None
    exc: BaseException | None
    snapshot: dict[str, Any] | None
    def setup(self, compiled: CompiledWorkload, gomaxprocs: int, seed: int, costs: CostModel,
              async_preempt: bool, runnext: bool, max_threads: int, max_stack: int,
              until: str, schedtrace: int, record_events: bool, max_events: int | None,
              check: bool, progress: Callable[[int, int], Any] | None,
              progress_every: int, record_goroutines: bool = True, cpus: int | None = None,
              background: int = 0, os_sched: dict[str, int] | None = None,
              cpu_quota: list[tuple[int, int, int]] | None = None, updater: bool = False,
              containermaxprocs: bool = True, noise: bool = False,
              policy: Policy | str | None = None, runtime_init: bool = False,
              updatemaxprocs: bool = True) -> None: ...
    def setup_policy(self, pol: Policy) -> None: ...
    def setup_machine(self, cpus: int | None, background: int,
                      os_sched: dict[str, int] | None,
                      cpu_quota: list[tuple[int, int, int]] | None, max_threads: int) -> None: ...
    def thread_rows(self) -> npt.NDArray[np.void]: ...
    def observe_options(self, scheddetail: bool, on_schedtrace: Callable[[str], Any] | None,
                        monitor: int, max_samples: int, snapshot_at: int,
                        trace_window: tuple[int, int] | None,
                        trace_goroutines: npt.NDArray[np.int64] | None,
                        max_trace_events: int | None, max_spans: int = 10**7) -> None: ...
    def view(self) -> dict[str, Any]: ...
    def trace_py(self) -> None: ...
    def go(self) -> None: ...
    def result(self) -> RawResult: ...
    def grow_log(self) -> None: ...
    def g_bytes(self) -> int: ...
