"""``gmp.compare``: scheduling policies against a baseline, over workloads, with intervals.

Every policy runs every workload `replicates` times (:func:`gmpcore.sweep`,
each run its own seed); for each workload and metric the difference of
each policy's mean from the baseline's gets a Welch t interval, and each
policy a verdict in the spirit of Go issue 16476: a change should make
some figure better and none worse.  All metrics are "lower is better".

>>> import gmpcore as gmp
>>> from gmpcore.scenarios import fanout, worker_pool
>>> table = gmp.compare({"go": gmp.Policy(), "small-ring": gmp.Policy(runq_size=4)},
...                     {"fanout": fanout(300, "5us"), "pool": worker_pool(200)},
...                     replicates=4, seed=1, metrics=["makespan_ns", "spills"],
...                     gomaxprocs=4)
>>> list(table.columns)
['baseline', 'mean', 'diff', 'diff_low', 'diff_high', 'change', 'verdict']
>>> table.loc[("fanout", "spills", "small-ring"), "verdict"]
'worse'
>>> sorted(table.attrs["verdict"])
['small-ring']
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

__all__ = ["compare", "METRICS"]

#: The default metrics (all lower-is-better): the makespan, the scheduling
#: latency's median and 99th percentile (/sched/latencies), the time Ms spent
#: spinning (``counters["spinning_ns"]``: the CPU burnt looking for work),
#: how many times an M started spinning (wakep's and findRunnable's
#: spinners, and the thread wake-ups that start them), and the threads
#: created.
METRICS = ("makespan_ns", "latency_p50_ns", "latency_p99_ns", "spinning_ns", "spinning",
           "threads", "thread_wakes")


def _named(things, what, default_names):
    if isinstance(things, Mapping):
        out = dict(things)
    elif isinstance(things, (list, tuple)):
        out = {}
        for i, x in enumerate(things):
            out[default_names(i, x)] = x
    else:
        out = {default_names(0, things): things}
    if not out:
        raise ValueError(f"compare: no {what}")
    return out


def compare(policies, workloads, replicates: int = 10, seed: int = 0, *,
            baseline: str | None = None, metrics=None, confidence: float = 0.95,
            adjust: bool = True, executor=None, **options: Any):
    """Compare scheduling policies against a baseline on several workloads.

    Parameters
    ----------
    policies : dict of name to Policy (or preset name), or a list
        The policies; a list is named by its presets' names or ``p0``,
        ``p1``...  The first is the baseline unless `baseline` names one.
    workloads : dict of name to Workload, a list, or one Workload
    replicates : int
        Runs per policy and workload (at least 2 for an interval).
    seed : int
        Seeds the runs (:func:`gmpcore.sweep`'s SeedSequence), one sweep
        per workload.
    metrics : list of str, or dict of name to callable, optional
        :meth:`Result.summary` names or ``{name: f(result)}``; default
        :data:`METRICS`.  Lower must be better.
    confidence : float
        The intervals' confidence.  With `adjust` (default) it is
        Bonferroni-corrected over every (workload, metric) pair, so that
        a policy's verdict ("worse on none") holds at `confidence` as a
        whole.
    executor, **options
        As :func:`gmpcore.sweep` (further :func:`gmpcore.simulate`
        arguments, the same for every run).

    Returns
    -------
    pandas.DataFrame
        Indexed by (workload, metric, policy), one row per non-baseline
        policy: ``baseline`` and ``mean`` (means over replicates),
        ``diff`` (mean - baseline), ``diff_low``/``diff_high`` (its
        interval), ``change`` (diff / baseline) and ``verdict``: "better"
        (the interval is below 0), "worse" (above 0) or "same".
        ``attrs["verdict"]`` gives each policy's verdict over everything:
        "better" (better on some, worse on none), "worse" (worse on some,
        better on none), "mixed" or "same"; ``attrs["confidence"]`` the
        per-comparison confidence used.
    """
    import pandas as pd

    from gmpcore.policy import PRESETS, Policy, as_policy
    from gmpcore.sweep import sweep, t_quantile
    from gmpcore.workload import CompiledWorkload, Workload

    def policy_name(i, p):
        if isinstance(p, str) and p in PRESETS:
            return p
        for name, make in PRESETS.items():
            if p == make():
                return name
        return f"p{i}"

    pols = {name: as_policy(p, f"policies[{name!r}]")
            for name, p in _named(policies, "policies", policy_name).items()}
    if len(pols) < 2:
        raise ValueError("compare needs at least two policies (a baseline and another)")
    wls = _named(workloads, "workloads", lambda i, w: f"w{i}")
    for name, w in wls.items():
        if not isinstance(w, (Workload, CompiledWorkload)):
            raise TypeError(f"workloads[{name!r}] must be a Workload or CompiledWorkload, "
                            f"got {type(w).__name__}")
    base = next(iter(pols)) if baseline is None else baseline
    if base not in pols:
        raise ValueError(f"baseline {base!r} is not one of the policies {list(pols)}")
    if isinstance(replicates, bool) or not isinstance(replicates, (int, np.integer)) \
            or replicates < 2:
        raise ValueError(f"replicates must be an int >= 2 (an interval needs two runs), "
                         f"got {replicates!r}")
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    if "policy" in options:
        raise ValueError("compare: pass the policies as its first argument, not policy=")
    metrics = list(METRICS) if metrics is None else metrics
    names = list(metrics)
    others = [n for n in pols if n != base]
    tests = len(wls) * len(names)
    level = 1.0 - (1.0 - confidence) / tests if adjust else confidence

    rows = []
    order = list(pols)
    for wi, (wname, wl) in enumerate(wls.items()):
        ds = sweep(wl, {"policy": [pols[n] for n in order]}, replicates=replicates,
                   seed=seed + wi, metrics=metrics, executor=executor, **options)
        for m in names:
            values = np.asarray(ds[m].values, dtype=float)        # (policy, replicate)
            b = values[order.index(base)]
            b = b[~np.isnan(b)]
            for n in others:
                x = values[order.index(n)]
                x = x[~np.isnan(x)]
                rows.append((wname, m, n) + _welch(x, b, level, t_quantile))
    index = pd.MultiIndex.from_tuples([r[:3] for r in rows], names=["workload", "metric",
                                                                     "policy"])
    table = pd.DataFrame([r[3:] for r in rows], index=index,
                         columns=["baseline", "mean", "diff", "diff_low", "diff_high",
                                  "change", "verdict"])
    verdicts = {}
    for n in others:
        v = table.xs(n, level="policy")["verdict"]
        better, worse = bool((v == "better").any()), bool((v == "worse").any())
        verdicts[n] = ("mixed" if better and worse else "better" if better
                       else "worse" if worse else "same")
    table.attrs.update(verdict=verdicts, baseline=base, confidence=level,
                       replicates=int(replicates), seed=int(seed))
    return table


def _welch(x, b, level, t_quantile):
    """(baseline mean, mean, diff, low, high, change, verdict) of mean(x) - mean(b)."""
    nx, nb = len(x), len(b)
    if nx < 2 or nb < 2:
        return (float(np.mean(b)) if nb else math.nan, float(np.mean(x)) if nx else math.nan,
                math.nan, math.nan, math.nan, math.nan, "same")
    mx, mb = float(np.mean(x)), float(np.mean(b))
    vx, vb = float(np.var(x, ddof=1)) / nx, float(np.var(b, ddof=1)) / nb
    diff = mx - mb
    se = math.sqrt(vx + vb)
    if se == 0.0:
        low = high = diff
    else:
        # Welch-Satterthwaite degrees of freedom
        df = (vx + vb) ** 2 / ((vx * vx / (nx - 1) if vx else 0.0)
                               + (vb * vb / (nb - 1) if vb else 0.0))
        half = t_quantile(0.5 + level / 2, df) * se
        low, high = diff - half, diff + half
    verdict = "better" if high < 0 else "worse" if low > 0 else "same"
    change = diff / mb if mb else (0.0 if diff == 0 else math.inf)
    return (mb, mx, diff, low, high, change, verdict)
