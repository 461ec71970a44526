"""Type stubs of the compiled gmpcore.gotrace._wire (see _wire.pyx)."""

from typing import Any, Sequence

from typing_extensions import disjoint_base

import numpy as np
import numpy.typing as npt

def read_uvarints(buf: Any, pos: int, end: int, names: Sequence[str]) -> tuple[list[int], int]: ...
def read_batch_header(buf: Any, pos: int) -> tuple[int, int, int, int, int, int, int]: ...
def decode_events(
    buf: Any,
    starts: npt.NDArray[np.int64],
    ends: npt.NDArray[np.int64],
    btimes: npt.NDArray[np.uint64],
    freq: float,
    nargs: npt.NDArray[np.uint8],
) -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.int64], npt.NDArray[np.uint64],
           npt.NDArray[np.int64], npt.NDArray[np.int64]]: ...
def fill_events(
    out: npt.NDArray[np.void], typ: Any, tm: Any, g: Any, p: Any, m: Any, extra: Any, gen: Any,
    off: Any, args: Any, start: int, cols: npt.NDArray[np.int8], trans: npt.NDArray[np.int8],
    stack_keys: npt.NDArray[np.uint64], stack_vals: npt.NDArray[np.int32],
    str_keys: npt.NDArray[np.uint64], str_vals: npt.NDArray[np.int32],
) -> int: ...

@disjoint_base
class Orderer:
    ranges: dict[Any, list[Any]]
    regions: dict[int, list[Any]]
    tasks: dict[int, Any]
    extra_names: list[tuple[int, str]]
    strings: dict[int, str]
    def __init__(self, *args: Any, **kwargs: Any) -> None: ...
    def _grow(self, need: int) -> None: ...
    def result(self) -> tuple[Any, ...]: ...
    def clear_output(self) -> None: ...
    def emit_sync(self, t: int, gen: int, n: int) -> None: ...
    @property
    def last_time(self) -> int: ...
    def run_generation(self, gen: int, typ: Any, tm: Any, args: Any, off: Any,
                       first_by_m: npt.NDArray[np.int64], ms: npt.NDArray[np.int64],
                       samples: Any) -> int: ...

