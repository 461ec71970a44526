"""``gmp.sweep``: one workload over a grid of settings, each point repeated over seeds.

Every combination of the grid's values (any :func:`gmpcore.simulate`
argument, or any argument of a function that builds the workload) is run
`replicates` times with independent seeds spawned from one
``numpy.random.SeedSequence``; the figures come back as an
``xarray.Dataset`` with one dimension per grid key and one for
``replicate`` (``.to_dataframe()`` gives pandas a flat table).

Runs go to a ``concurrent.futures.Executor``: threads by default (the
compiled engine releases the GIL, so threads use every core), or processes,
or a ``dask.distributed`` client (its ``get_executor()``).  Only the
compiled workload and the settings travel to a worker, and only the
metrics come back; the per-run arrays stay where they were made.

>>> import gmpcore as gmp
>>> from gmpcore.scenarios import fanout
>>> ds = gmp.sweep(fanout, grid={"n": [200, 400], "gomaxprocs": [1, 2]},
...                replicates=2, seed=7, metrics=["makespan_ns", "latency_p99_ns"])
>>> dict(ds.sizes)
{'n': 2, 'gomaxprocs': 2, 'replicate': 2}
>>> ds["makespan_ns"].sel(n=400).mean("replicate").values.round(-4).tolist()
[4900000.0, 2440000.0]
"""

from __future__ import annotations

import concurrent.futures
import inspect
import itertools
import os
import warnings

import numpy as np

__all__ = ["summarize", "sweep", "t_quantile"]


def _simulate_params():
    from gmpcore.simulate import simulate
    return [p for p in inspect.signature(simulate).parameters if p not in ("workload", "seed")]


class RayExecutor(concurrent.futures.Executor):
    """A ``concurrent.futures`` face for Ray: each ``submit`` is one Ray task
    (``ray.remote``), its ``ObjectRef`` turned into a ``Future``.  Ray is
    imported (and ``ray.init()`` called, unless it was) when it is made;
    pass ``ray.init`` your cluster's address first to run on a cluster.

    >>> RayExecutor.__mro__[1].__name__
    'Executor'
    """

    def __init__(self):
        try:
            import ray
        except ImportError:
            raise ImportError("executor='ray' needs Ray: pip install ray") from None
        if not ray.is_initialized():
            ray.init(include_dashboard=False, log_to_driver=False)
        self._ray = ray
        self._tasks = {}

    def submit(self, fn, /, *args, **kwargs):
        task = self._tasks.get(fn)
        if task is None:
            task = self._tasks[fn] = self._ray.remote(fn)
        return task.remote(*args, **kwargs).future()


def sweep(workload, grid, replicates=1, seed=0, *, executor=None, metrics=None,
          progress=False, **options):
    """Run `workload` at every point of `grid`, `replicates` times each.

    Parameters
    ----------
    workload : Workload, CompiledWorkload or callable
        The program, or a function returning one whose arguments the grid
        may vary (``fanout(n=..., work=...)``).
    grid : dict
        ``{name: values}``: each name a :func:`gmpcore.simulate` argument
        (not ``seed``) or an argument of the `workload` function.
    replicates : int
        Runs per point, each with its own seed (at least 1).
    seed : int
        Seeds ``numpy.random.SeedSequence(seed)``, whose ``spawn`` gives
        every run its seed (recorded in the result's ``seed`` variable).
    executor : concurrent.futures.Executor, dask.distributed.Client or "ray", optional
        Where runs go; a thread pool with one thread per CPU by default.
        ``"ray"`` (or the ``ray`` module) sends each run to Ray as a task
        (:class:`RayExecutor`; ``ray.init`` is called if it was not).
    metrics : list of str, or dict of name to callable, optional
        Names of :meth:`Result.summary` figures (default: all of them), or
        ``{name: f}`` with ``f(result) -> float``.
    progress : bool
        A progress bar over the runs (tqdm).
    **options
        Further :func:`gmpcore.simulate` arguments, the same for every run
        (``record_goroutines`` defaults to False here: metrics rarely need
        per-G records, and the table of a long run is large).

    Returns
    -------
    xarray.Dataset
        One variable per metric, dimensions the grid's keys (in order) and
        ``replicate``; ``seed`` holds each run's seed.  A failed run leaves
        NaN and is listed, with its parameters and seed, in
        ``ds.attrs["failures"]`` (and in a warning).
    """
    try:
        import xarray as xr
    except ImportError:
        raise ImportError("gmpcore.sweep returns an xarray.Dataset: pip install xarray") from None
    from gmpcore.workload import CompiledWorkload, Workload

    # ---- check everything before the first run
    if not isinstance(grid, dict):
        raise TypeError(f"grid must be a dict of parameter name to values, got "
                        f"{type(grid).__name__}")
    sim_params = _simulate_params()
    factory_params = []
    if isinstance(workload, (Workload, CompiledWorkload)):
        compiled = workload.compile() if isinstance(workload, Workload) else workload
    elif callable(workload):
        compiled = None
        factory_params = [n for n, p in inspect.signature(workload).parameters.items()
                          if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
    else:
        raise TypeError(f"workload must be a Workload, a CompiledWorkload or a function "
                        f"returning one, got {type(workload).__name__}")
    keys = list(grid)
    values = {}
    for k in keys:
        if k == "seed":
            raise ValueError("grid: 'seed' cannot be swept: every run gets its own seed "
                             "from sweep(seed=...); use replicates")
        if k not in sim_params and k not in factory_params:
            known = ", ".join(sim_params + factory_params)
            raise ValueError(f"grid: {k!r} is not an argument of simulate() or of the workload "
                             f"function (known: {known})")
        vals = list(grid[k]) if not isinstance(grid[k], (str, bytes)) else [grid[k]]
        if not vals:
            raise ValueError(f"grid: {k!r} has no values")
        values[k] = vals
    for k in options:
        if k == "seed" or k not in sim_params:
            raise ValueError(f"sweep: {k!r} is not an argument of simulate() that a sweep "
                             f"can fix (seed comes from sweep(seed=...))")
    if isinstance(replicates, bool) or not isinstance(replicates, (int, np.integer)) \
            or replicates < 1:
        raise ValueError(f"replicates must be an int >= 1, got {replicates!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed!r}")
    if isinstance(metrics, (list, tuple)):
        names = list(metrics)
        funcs = None
    elif isinstance(metrics, dict):
        names = list(metrics)
        funcs = metrics
        if not all(callable(f) for f in funcs.values()):
            raise TypeError("metrics: every value of the dict must be callable(result)")
    elif metrics is None:
        names, funcs = None, None
    else:
        raise TypeError(f"metrics must be a list of summary names or a dict of callables, "
                        f"got {type(metrics).__name__}")
    if executor == "ray" or getattr(executor, "__name__", None) == "ray":
        executor = RayExecutor()
    if executor is not None and hasattr(executor, "get_executor") \
            and not isinstance(executor, concurrent.futures.Executor):
        executor = executor.get_executor()             # a dask.distributed Client
    if executor is not None and not callable(getattr(executor, "submit", None)):
        raise TypeError(f"executor must be a concurrent.futures.Executor (or a dask "
                        f"Client), got {type(executor).__name__}")
    options.setdefault("record_goroutines", False)

    # ---- the runs: one compiled workload per factory point, seeds spawned once
    points = list(itertools.product(*(range(len(values[k])) for k in keys)))
    children = np.random.SeedSequence(seed).spawn(len(points) * replicates)
    seeds = np.array([int(c.generate_state(1, np.uint64)[0]) >> 1 for c in children],
                     dtype=np.int64).reshape(*(len(values[k]) for k in keys), replicates)
    built = {}
    tasks = []
    for point in points:
        setting = {k: values[k][i] for k, i in zip(keys, point)}
        wl_args = {k: v for k, v in setting.items() if k in factory_params
                   and k not in sim_params}
        sim_args = dict(options, **{k: v for k, v in setting.items() if k in sim_params})
        if compiled is None:
            key = tuple(sorted(wl_args.items(), key=lambda kv: kv[0]))
            if key not in built:
                made = workload(**wl_args)
                built[key] = made.compile() if isinstance(made, Workload) else made
            run_wl = built[key]
        else:
            run_wl = compiled
        for r in range(replicates):
            s = int(seeds[point + (r,)])
            tasks.append((point, r, setting, run_wl, sim_args, s))

    own = executor is None
    if own:
        executor = concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 1)
    bar = None
    if progress:
        from tqdm.auto import tqdm
        bar = tqdm(total=len(tasks), desc="sweep", unit=" runs")
    try:
        futures = [executor.submit(_run_one, t[3], t[4], t[5], names, funcs) for t in tasks]
        outcomes = []
        for fut in futures:
            outcomes.append(fut.result())
            if bar is not None:
                bar.update(1)
    finally:
        if bar is not None:
            bar.close()
        if own:
            executor.shutdown(wait=True)

    # ---- the table
    shape = tuple(len(values[k]) for k in keys) + (replicates,)
    first = next((o for o in outcomes if isinstance(o, dict)), None)
    metric_names = names or (list(first) if first else [])
    data = {m: np.full(shape, np.nan) for m in metric_names}
    failures = []
    for (point, r, setting, _, _, s), out in zip(tasks, outcomes):
        if isinstance(out, dict):
            for m in metric_names:
                data[m][point + (r,)] = out.get(m, np.nan)
        else:
            failures.append(f"{setting} replicate {r} seed {s}: {out}")
    dims = keys + ["replicate"]
    coords = {k: values[k] for k in keys}
    coords["replicate"] = np.arange(replicates)
    ds = xr.Dataset({m: (dims, v) for m, v in data.items()}, coords=coords)
    ds["seed"] = (dims, seeds)
    ds.attrs.update(seed=int(seed), replicates=int(replicates), failures=failures)
    if failures:
        warnings.warn(f"sweep: {len(failures)} of {len(tasks)} runs failed (NaN in the "
                      f"result; see ds.attrs['failures']); the first: {failures[0]}",
                      RuntimeWarning, stacklevel=2)
    return ds


def _run_one(compiled, sim_args, seed, names, funcs):
    """One run on a worker: its metrics, or the error's text (never raises)."""
    from gmpcore.errors import GoFatalError
    from gmpcore.simulate import simulate
    try:
        res = simulate(compiled, seed=seed, **sim_args)
    except (GoFatalError, ValueError, TypeError, MemoryError, OverflowError) as exc:
        return f"{type(exc).__name__}: {str(exc).splitlines()[0]}"
    if funcs is not None:
        return {m: float(f(res)) for m, f in funcs.items()}
    summary = res.summary()
    if names is not None:
        missing = [m for m in names if m not in summary]
        if missing:
            return f"ValueError: metrics {missing} are not in Result.summary() ({', '.join(summary)})"
        return {m: float(summary[m]) for m in names}
    return {m: float(v) for m, v in summary.items()}


# ---------------------------------------------------------------- intervals

def _betacf(a, b, x):
    """The continued fraction of the regularized incomplete beta (Lentz's method)."""
    tiny, qab, qap, qam = 1e-300, a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 300):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < 1e-15:
            break
    return h


def _betainc(a, b, x):
    import math
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    lbeta = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b)
    front = math.exp(lbeta + a * math.log(x) + b * math.log1p(-x))
    if x < (a + 1.0) / (a + b + 2.0):
        return front * _betacf(a, b, x) / a
    return 1.0 - front * _betacf(b, a, 1.0 - x) / b


def t_quantile(p, df):
    """Student's t quantile (``scipy.stats.t.ppf``) by bisection on its CDF.

    >>> round(t_quantile(0.975, 1), 3), round(t_quantile(0.975, 9), 3), round(t_quantile(0.975, 29), 3)
    (12.706, 2.262, 2.045)
    """
    if not 0.0 < p < 1.0 or df <= 0:
        raise ValueError(f"t_quantile needs 0 < p < 1 and df > 0, got p={p}, df={df}")
    if p < 0.5:
        return -t_quantile(1.0 - p, df)

    def cdf(t):
        return 1.0 - 0.5 * _betainc(df / 2.0, 0.5, df / (df + t * t))

    lo, hi = 0.0, 1.0
    while cdf(hi) < p:
        hi *= 2.0
    for _ in range(200):
        mid = (lo + hi) / 2.0
        if cdf(mid) < p:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2.0


def summarize(ds, confidence=0.95, dim="replicate"):
    """Mean and a Student-t confidence interval of every metric over `dim`.

    Returns a Dataset with, for each metric ``m``, ``m`` (the mean),
    ``m_low``, ``m_high`` and ``m_std`` over the replicates of each grid
    point (NaN runs left out; an interval needs two runs).

    >>> import gmpcore as gmp
    >>> from gmpcore.scenarios import worker_pool
    >>> ds = gmp.sweep(worker_pool, grid={"gomaxprocs": [1, 4]}, replicates=5, seed=3,
    ...                metrics=["latency_p99_ns"])
    >>> s = summarize(ds)
    >>> sorted(s.data_vars)
    ['latency_p99_ns', 'latency_p99_ns_high', 'latency_p99_ns_low', 'latency_p99_ns_std']
    >>> bool((s["latency_p99_ns_low"] <= s["latency_p99_ns"]).all())
    True
    """
    import xarray as xr
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    out = {}
    for name, var in ds.data_vars.items():
        if name == "seed" or dim not in var.dims:
            continue
        n = var.count(dim)
        mean = var.mean(dim)
        std = var.std(dim, ddof=1)
        tq = xr.apply_ufunc(
            np.vectorize(lambda k: t_quantile(0.5 + confidence / 2, k - 1) if k >= 2 else np.nan,
                         otypes=[float]), n)
        half = tq * std / np.sqrt(n)
        out[name] = mean
        out[f"{name}_low"] = mean - half
        out[f"{name}_high"] = mean + half
        out[f"{name}_std"] = std
    res = xr.Dataset(out)
    res.attrs.update(ds.attrs, confidence=confidence)
    return res
