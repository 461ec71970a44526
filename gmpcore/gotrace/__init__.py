"""Go execution traces (the format of Go 1.22 and later).

:func:`read_go_trace` reads a trace written by ``runtime/trace`` or
``go test -trace`` into NumPy arrays and summaries; no Go toolchain needed.
:func:`iter_go_trace` reads it one generation at a time.

Modules: ``events`` (the event kinds table), ``_wire`` (bytes, decoding and
Go's ordering, compiled), ``reader`` (generations, tables, validation),
``summary`` (per-goroutine figures and scheduling latency), ``writer`` (a
simulated run written as a trace, :meth:`gmpcore.Result.to_go_trace`).
"""

from pathlib import Path

from gmpcore.gotrace.events import EV, GO_STATES, PROC_STATES, SPECS
from gmpcore.gotrace.reader import EVENT_DTYPE, Frame, GoTrace, iter_go_trace, read_go_trace

#: Three small traces recorded with real Go 1.27.3, shipped with the package
#: for the examples (fanout, pipeline, and generations: a run long enough
#: for three generations); their programs and the rest of the recorded
#: traces are in a checkout's tests/data/gotrace.
EXAMPLES = Path(__file__).resolve().parent / "examples"

__all__ = ["EV", "EVENT_DTYPE", "EXAMPLES", "Frame", "GO_STATES", "GoTrace", "PROC_STATES",
           "SPECS", "iter_go_trace", "read_go_trace"]
