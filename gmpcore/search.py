"""Worst-case search: Hypothesis's targeted search for workloads that
maximise a metric of the scheduler, returning the shrunk workload.

:func:`search` draws workloads (and simulate settings), runs each, scores
the run with an objective and steers generation towards high scores with
``hypothesis.target()``.  Once the budget is spent, the best workload is
shrunk by Hypothesis to a small one that still scores at least as high
(or at least `threshold`), and returned with its score and its run.
Needs Hypothesis (``pip install gmpcore[fuzz]``).

Named objectives (each a function of a :class:`~gmpcore.Result` run with
``record_events=True``), in ns unless said otherwise:

==============  ===========================================================
``starvation``  the longest time a G waited runnable
                (:func:`gmpcore.properties.max_runnable_wait`)
``gosched_``    the longest time a G waited runnable while others called
``starvation``  ``Gosched`` 10 times or more (:func:`gosched_starvation`,
                Go issue 13546's signature)
``p99``         the 99th percentile of scheduling latency
                (``res.sched_latencies.quantile(0.99)``)
``threads``     OS threads created (``res.counters["threads"]``, a count)
``spinning``    total time Ms spent spinning (``res.counters["spinning_ns"]``)
``makespan``    the run's virtual duration (``res.makespan_ns``)
==============  ===========================================================
"""

import time
from dataclasses import dataclass, field

from gmpcore.durations import duration_ns, format_duration
from gmpcore.events import EV_RUN

__all__ = ["search", "SearchResult", "OBJECTIVES", "spinning_ns", "gosched_starvation"]


def spinning_ns(res):
    """Total time the run's Ms spent spinning (ns): ``res.counters["spinning_ns"]``,
    which both engines keep (every spin from the moment its M runs spinning,
    whether findRunnable, wakep or handoffp made it spin, to the moment it
    stops; a spin still going on when the run ends counts up to the end).

    >>> import gmpcore as gmp
    >>> wl = gmp.Workload(); _ = wl.main(gmp.cpu("1us"))
    >>> spinning_ns(gmp.simulate(wl, cpus=None))
    0
    """
    return int(res.counters["spinning_ns"])


def gosched_starvation(res, min_yields=10):
    """Go issue 13546's signature: the longest time a G waited runnable
    while other goroutines called ``Gosched`` at least `min_yields` times
    (the scheduler kept picking yielders over it), in ns; 0 if none did.
    The runtime's own goroutines (``res.system``) are left out, as in
    :func:`gmpcore.properties.starvation`.

    >>> import gmpcore as gmp
    >>> wl = gmp.Workload(); _ = wl.main(gmp.repeat(20, gmp.gosched()))
    >>> gosched_starvation(gmp.simulate(wl, cpus=None, record_events=True))
    0
    """
    from gmpcore.events import EV_STOP, STOP_GOSCHED
    from gmpcore.properties import RUNNABLE, _Replay

    r = _Replay(res, "gosched_starvation")
    yields, mark, worst = 0, {}, 0
    for row in r.events():
        t, k, g, a = row[0], row[1], row[4], row[5]
        if k == EV_RUN and g in mark:
            since, y0 = mark.pop(g)
            if yields - y0 >= min_yields:
                worst = max(worst, t - since)
        if k == EV_STOP and a == STOP_GOSCHED:
            yields += 1
        r.step(*row)
        st = r.g.get(g)
        if st is not None and st[0] == RUNNABLE and g not in mark and g not in r.system:
            mark[g] = (st[3], yields)
    for g, (since, y0) in mark.items():
        if yields - y0 >= min_yields:
            worst = max(worst, r.now - since)
    return int(worst)


def _starvation(res):
    from gmpcore.properties import max_runnable_wait
    return max_runnable_wait(res)


OBJECTIVES = {
    "starvation": _starvation,
    "gosched_starvation": gosched_starvation,
    "p99": lambda res: int(res.sched_latencies.quantile(0.99)),
    "threads": lambda res: int(res.counters["threads"]),
    "spinning": spinning_ns,
    "makespan": lambda res: int(res.makespan_ns),
}


@dataclass
class SearchResult:
    """What :func:`search` found: the shrunk `workload`, the `options` it
    was run with, its `score`, the `result` of that run, the `examples`
    tried and the best score seen before shrinking (`best_seen`)."""

    workload: object
    options: dict
    score: float
    result: object
    examples: int
    best_seen: float
    objective: str = ""
    source: str = field(default="", repr=False)

    def __str__(self):
        opts = ", ".join(f"{k}={v!r}" for k, v in self.options.items()
                         if k not in ("record_events",))
        return (f"# {self.objective} = {self.score:g} after {self.examples} examples "
                f"(best seen {self.best_seen:g})\n{self.source}\n"
                f"res = gmp.simulate(wl, {opts})")


class _OutOfBudget(BaseException):
    """Raised inside the search to end it when its time is spent (a
    BaseException, so Hypothesis does not take it for a failure)."""


class _Found(Exception):
    """The failure the shrinking phase keeps: a score at the target."""


def _budget(budget):
    if isinstance(budget, bool):
        raise TypeError(f"search() argument budget must be an example count or a duration, "
                        f"got {budget!r}")
    if isinstance(budget, int):
        if budget < 1:
            raise ValueError(f"search() argument budget must be >= 1 example, got {budget}")
        return budget, None
    ns = duration_ns(budget, "search() argument budget")
    if ns <= 0:
        raise ValueError(f"search() argument budget must be a positive duration, got {budget!r}")
    return None, ns / 1e9


def search(objective, strategy=None, *, budget=100, policy=None, seed=0, procs=None,
           settings=None, threshold=None, shrink=True):
    """Search for a workload that maximises `objective`; return the shrunk one.

    Parameters
    ----------
    objective : str or callable
        A name in :data:`OBJECTIVES` (``"starvation"``, ``"p99"``,
        ``"threads"``, ``"spinning"``, ``"makespan"``) or a function
        ``result -> float`` (runs have ``record_events=True``).
    strategy : hypothesis strategy of Workload, optional
        Default :func:`gmpcore.strategies.contended_workloads`.
    budget : int or duration
        An example count (``200``) or a wall-clock time (``"5m"``,
        ``"30s"``): the generation and targeting phases stop there;
        shrinking comes after.
    policy : gmpcore.Policy, optional
        Passed to :func:`gmpcore.simulate` (where it is supported).
    seed : int
        Hypothesis's seed: the same seed and count budget give the same answer.
    procs : int, optional
        GOMAXPROCS for every run (default: drawn, 1-8).
    settings : hypothesis strategy of dict, optional
        simulate() keyword arguments; default
        :func:`gmpcore.strategies.simulate_settings` (ideal machine).
    threshold : float, optional
        Stop at the first workload scoring at least this and shrink it
        (keeping the score >= threshold), instead of maximising.
    shrink : bool
        Shrink the best workload (True) or return it as found.

    Returns
    -------
    SearchResult
        ``.workload`` (print ``.source`` for its code), ``.options``,
        ``.score``, ``.result`` (the run), ``.examples``, ``.best_seen``.

    Examples
    --------
    >>> import gmpcore as gmp
    >>> found = gmp.search("threads", budget=20, procs=2, seed=1)
    >>> found.score >= 1, found.score == found.result.counters["threads"]
    (True, True)
    """
    try:
        from hypothesis import HealthCheck, Phase, given, target
        from hypothesis import seed as hseed
        from hypothesis import settings as hsettings
        from hypothesis import strategies as st
    except ImportError as exc:                    # pragma: no cover
        raise ImportError("gmpcore.search needs Hypothesis: pip install gmpcore[fuzz]") from exc
    import gmpcore as gmp
    from gmpcore import strategies as gst

    if isinstance(objective, str):
        if objective not in OBJECTIVES:
            raise ValueError(f"search() argument objective must be one of {sorted(OBJECTIVES)} "
                             f"or a callable, got {objective!r}")
        name, score_of = objective, OBJECTIVES[objective]
    elif callable(objective):
        name, score_of = getattr(objective, "__name__", "objective"), objective
    else:
        raise TypeError(f"search() argument objective must be a str or a callable, "
                        f"got {type(objective).__name__}")
    count, seconds = _budget(budget)
    strategy = gst.contended_workloads() if strategy is None else strategy
    settings = gst.simulate_settings(procs=procs) if settings is None else settings
    extra = {} if policy is None else {"policy": policy}

    def run(wl, opts):
        opts = {**opts, **extra, "record_events": True}
        try:
            res = gmp.simulate(wl, **opts)
        except gmp.GoFatalError:
            return None, None, opts
        return float(score_of(res)), res, opts

    state = {"n": 0, "best": None, "start": time.monotonic()}
    base = dict(deadline=None, database=None, derandomize=False, print_blob=False,
                suppress_health_check=list(HealthCheck), report_multiple_bugs=False)

    def explore(goal):
        # Generate and target; with a goal, fail (so Hypothesis shrinks) at it.
        @hseed(seed)
        @hsettings(max_examples=count or 10**9,
                   phases=[Phase.generate, Phase.target] + ([Phase.shrink] if goal is not None
                                                            and shrink else []), **base)
        @given(strategy, settings)
        def probe(wl, opts):
            if goal is None or not state.get("replaying"):
                state["n"] += 1
            if seconds is not None and "found" not in state and not state.get("replaying") \
                    and time.monotonic() - state["start"] > seconds:
                raise _OutOfBudget                   # the search's time is spent
            score, res, opts = run(wl, opts)
            if score is None:
                return
            target(score, label=name)
            if state["best"] is None or score > state["best"][0]:
                state["best"] = (score, wl, opts, res)
            if goal is not None and score >= goal:
                state["found"] = (score, wl, opts, res)
                raise _Found
        return probe

    try:
        explore(threshold)()
    except (_OutOfBudget, _Found):
        pass
    examples = state["n"]
    if state["best"] is None:
        raise ValueError("search(): no example ran to completion (every run died)")
    best_seen = state["best"][0]
    if threshold is not None and "found" not in state:
        score, wl, opts, res = state["best"]
    elif threshold is not None:
        score, wl, opts, res = state["found"]
    elif shrink and best_seen > 0:
        # Replay with the best score as the goal: the same seed walks the same
        # path to it (or past it), then Hypothesis shrinks what scores that high.
        state["replaying"] = True
        if seconds is not None:
            count = max(examples, 1)
        try:
            explore(best_seen)()
            score, wl, opts, res = state["best"]
        except _Found:
            score, wl, opts, res = state["found"]
        except _OutOfBudget:                              # pragma: no cover
            score, wl, opts, res = state["best"]
    else:
        score, wl, opts, res = state["best"]
    return SearchResult(workload=wl, options=opts, score=score, result=res, examples=examples,
                        best_seen=best_seen, objective=name, source=wl.to_python())


def describe(found):
    """A short text: the found workload's code and its run's summary."""
    return (f"{found}\n\n# its run:\n{found.result.summary()}"
            f"\n# {found.objective}: {format_duration(int(found.score))}")
