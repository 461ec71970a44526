"""Made-up engine outputs for tests of the code that reads them."""

import numpy as np

from gmpcore.results import monitor_dtype


def synthetic_monitor(nprocs, n=50, seed=0, step=100_000):
    """Random samples in the layout ``simulate(..., monitor=...)`` returns."""
    dt = monitor_dtype(nprocs)
    rng = np.random.default_rng(seed)
    mon = np.zeros(n, dt)
    mon["time"] = np.arange(n) * step
    for field in dt.names[1:-1]:
        mon[field] = rng.integers(0, 50, n)
    mon["running"] = rng.integers(0, nprocs + 1, n)
    mon["local_queues"] = rng.integers(0, 257, (n, nprocs))
    return mon
