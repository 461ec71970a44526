"""gmpcore: a fast, faithful simulator of the Go runtime's GMP scheduler.

The queue core reproduces Go's run-queue algorithms exactly
(docs/data-layout.md; go-scheduler.md §2):

>>> import gmpcore as gmp
>>> s = gmp.Sched(nprocs=4, seed=0)
>>> s.runqput(0, 1); s.runqput(0, 2); s.runqput(0, 3)
>>> s.runqsteal(1, 0)       # thief P1 takes ⌈3/2⌉ = 2 and runs the last
2
>>> s.runq(1), s.runq(0)
(array([1], dtype=int32), array([3], dtype=int32))

In comments and docstrings, a bare "§N" (or "go-scheduler.md §N") is a section
of docs/reference/go-scheduler.md, our restatement of Go's scheduler;
"go-runtime-wave2.md §N" is docs/reference/go-runtime-wave2.md; other documents
are named ("docs/simulator-design.md §1.2").
"""

try:
    from gmpcore._sched import MAX_G, MAX_NPROCS, RUNQ_CAPACITY, Op, RandomOrder, Sched
except ModuleNotFoundError as _exc:          # the source folder, not the installed package
    if _exc.name != "gmpcore._sched":
        raise
    import os as _os
    raise ImportError(
        f"gmpcore's compiled core is not built in {_os.path.dirname(__file__)}: Python found "
        "a gmpcore source folder (in a checkout, its gmpcore/ hides the installed package). "
        "Run Python from another folder, or build the core in place: "
        "python setup.py build_ext --inplace") from None
from gmpcore.durations import (
    Distribution,
    constant,
    exponential,
    format_duration,
    lognormal,
    microseconds,
    milliseconds,
    parse_duration,
    seconds,
    uniform,
)
from gmpcore.errors import (
    Deadlock,
    GoFatalError,
    GoThrow,
    GoTraceError,
    PropertyViolation,
    StackOverflow,
    SyncFatal,
    ThreadExhaustion,
    WorkloadPanic,
)

from gmpcore.latency import LatencyHistogram, scheduling_latency
from gmpcore.policy import Policy
from gmpcore.results import Result, load
from gmpcore import spans  # noqa: E402  (gmp.spans.quantiles)
from gmpcore import gotrace  # noqa: E402  (gmp.gotrace.EV)
from gmpcore.gotrace import GoTrace, read_go_trace
from gmpcore.gotrace.replay import workload_from_trace
from gmpcore.simulate import simulate
from gmpcore.sweep import sweep
from gmpcore.compare import compare
from gmpcore import properties  # noqa: E402  (gmp.properties.check_all)
from gmpcore.search import search
from gmpcore.workload import (
    Chan,
    CompiledWorkload,
    GoroutineLeakWarning,
    Opcode,
    Operation,
    Cond,
    Mutex,
    Program,
    SelectCase,
    RWMutex,
    Ticker,
    Timer,
    WaitGroup,
    Workload,
    add,
    after,
    arrivals,
    case_after,
    case_default,
    case_recv,
    case_send,
    broadcast,
    choice,
    close,
    cpu,
    done,
    each,
    exit,
    go,
    goexit,
    gomaxprocs,
    gosched,
    lock,
    lock_os_thread,
    netwait,
    panic,
    recv,
    repeat,
    select,
    rlock,
    runlock,
    reset,
    send,
    signal,
    sleep,
    span,
    span_end,
    stack,
    stop,
    syscall,
    unlock,
    unlock_os_thread,
    wait,
)

__version__ = "0.1.0"

__all__ = [
    "Chan",
    "CompiledWorkload",
    "Distribution",
    "Opcode",
    "Operation",
    "Cond",
    "Mutex",
    "Program",
    "SelectCase",
    "RWMutex",
    "Ticker",
    "Timer",
    "WaitGroup",
    "Workload",
    "add",
    "after",
    "arrivals",
    "case_after",
    "case_default",
    "case_recv",
    "case_send",
    "choice",
    "close",
    "constant",
    "cpu",
    "done",
    "each",
    "exit",
    "exponential",
    "format_duration",
    "go",
    "goexit",
    "gomaxprocs",
    "gosched",
    "lock",
    "lock_os_thread",
    "lognormal",
    "microseconds",
    "milliseconds",
    "netwait",
    "panic",
    "parse_duration",
    "recv",
    "rlock",
    "runlock",
    "signal",
    "broadcast",
    "span",
    "span_end",
    "LatencyHistogram",
    "Policy",
    "PropertyViolation",
    "properties",
    "search",
    "Result",
    "load",
    "scheduling_latency",
    "seconds",
    "simulate",
    "sweep",
    "compare",
    "repeat",
    "select",
    "reset",
    "stop",
    "send",
    "sleep",
    "stack",
    "syscall",
    "uniform",
    "unlock",
    "unlock_os_thread",
    "wait",
    "Deadlock",
    "GoFatalError",
    "GoThrow",
    "GoTrace",
    "GoTraceError",
    "GoroutineLeakWarning",
    "read_go_trace",
    "workload_from_trace",
    "StackOverflow",
    "SyncFatal",
    "ThreadExhaustion",
    "WorkloadPanic",
    "MAX_G",
    "MAX_NPROCS",
    "Op",
    "RUNQ_CAPACITY",
    "RandomOrder",
    "Sched",
    "__version__",
]
