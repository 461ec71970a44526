"""Seeded noise: each runtime cost and OS latency drawn from a distribution.

Real machines jitter, and the jitter decides which M wins a race: with every
cost a constant, every P is preempted at the same sysmon tick and workloads
whose durations are a multiple of sysmon's period resonate with it.  With
``simulate(noise=True)`` (the default) each charge of a cost field is a draw:
its median is the field's value and its spread the field's (p10, p90) in
``CostModel.spread``.

The engines draw without floating point, so that both produce the same run
bit for bit: a field's distribution is a table of 256 quantiles, as
multipliers of the median in 16.16 fixed point, and a draw is one
``cheaprand`` value from the run's noise stream (its top 8 bits pick the
quantile), ``cost * table[r >> 24] >> 16``.  The quantiles are those of a
log-normal split at the median: below it, sigma = ln(1/p10) / z90; above it,
sigma = ln(p90) / z90 (z90 = 1.2816, the standard normal's 90th percentile),
so a field with p10 = 0.22 and p90 = 1.85 (an idle thread's wake-up) has its
long tail on the fast side, as measured.

>>> import numpy as np
>>> from gmpcore.costs import CostModel, FIELDS
>>> tables = noise_tables(CostModel())
>>> tables.shape == (len(FIELDS), QUANTILES)
True
>>> row = tables[FIELDS.index("thread_wake")]
>>> int(row[127]) <= ONE <= int(row[128])        # the median multiplier is 1
True
>>> round(int(row[25]) / ONE, 2), round(int(row[230]) / ONE, 2)   # ~p10, ~p90
(0.22, 1.85)
>>> bool(np.all(noise_tables(CostModel(spread={"newproc": (1, 1)}))[0] == ONE))
True
"""

from __future__ import annotations

import functools
import math
from statistics import NormalDist

import numpy as np

from gmpcore.costs import FIELDS, CostModel
from gmpcore.model import NOISE_QUANTILES as QUANTILES

__all__ = ["ONE", "QUANTILES", "noise_tables", "noise_seed"]

#: 1.0 in the tables' 16.16 fixed point.
ONE = 1 << 16
_Z90 = NormalDist().inv_cdf(0.9)


@functools.lru_cache(maxsize=256)
def _row(p10: float, p90: float) -> np.ndarray:
    # Cached: a sweep of small runs would otherwise spend more time here than
    # simulating.  The rows are read-only.
    if p10 == 1.0 and p90 == 1.0:
        out = np.full(QUANTILES, ONE, dtype=np.int64)
        out.flags.writeable = False
        return out
    lo, hi = math.log(1.0 / p10) / _Z90, math.log(p90) / _Z90
    out = np.empty(QUANTILES, dtype=np.int64)
    std = NormalDist()
    for i in range(QUANTILES):
        z = std.inv_cdf((i + 0.5) / QUANTILES)
        out[i] = round(math.exp(z * (lo if z < 0 else hi)) * ONE)
    out.flags.writeable = False
    return out


def noise_tables(costs: CostModel) -> np.ndarray:
    """The quantile tables, one row per cost field in FIELDS order (int64, 16.16)."""
    return np.stack([_row(*costs.spread[name]) for name in FIELDS])


def noise_seed(seed: int) -> int:
    """The noise stream's cheaprand state for a run's seed: the second word of
    the seed's SeedSequence (the first seeds the scheduler's own cheaprand), so
    turning noise on does not change the scheduler's random choices' stream.

    >>> noise_seed(1) == noise_seed(1) != noise_seed(2)
    True
    """
    return int(np.random.SeedSequence(seed).generate_state(2, np.uint64)[1])
