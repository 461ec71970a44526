"""Plots of a run (needs matplotlib: ``pip install 'gmpcore[plot]'``).

Each function draws into a new figure, or into `ax` when given, saves it to
`path` when given, and returns the :class:`matplotlib.figure.Figure`.  Figures
are made without :mod:`matplotlib.pyplot`, so nothing is kept open in a global
figure list and any backend (or none) works; in Jupyter the returned figure
displays itself.

The time series come from the monitor (``simulate(..., monitor="100us")``);
per-P utilization and the latency distribution need only the result tables.

>>> import gmpcore as gmp
>>> from gmpcore.scenarios import fanout
>>> res = gmp.simulate(fanout(n=200, work="5us"), gomaxprocs=4, seed=1, monitor="50us")
>>> fig = plot_summary(res)            # add a path to save it: plot_summary(res, "run.png")
>>> [ax.get_title() for ax in fig.axes]
['Run queues', 'Goroutines and threads', 'P utilization (mean ...)', 'Scheduling latency']
>>> len(fig.axes[0].get_lines())       # the global queue and one line per P
5
"""

import numpy as np

#: Above this many Ps, queue and utilization plots summarise the Ps instead
#: of drawing one line per P.
MAX_LINES = 16


def _mpl():
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise ImportError("gmpcore's plots need matplotlib: pip install 'gmpcore[plot]'") from None
    return Figure


def _axes(ax, size=(7, 3.5)):
    if ax is not None:
        return ax.figure, ax
    fig = _mpl()(figsize=size, layout="constrained")
    return fig, fig.add_subplot()


def _done(fig, path):
    if path is not None:
        fig.savefig(path, dpi=100)
    return fig


def _monitor(res, what):
    mon = getattr(res, "monitor", None)
    if mon is None or not len(mon):
        raise ValueError(f"{what} needs monitor samples: simulate(..., monitor='100us')")
    return mon


def _time(t_ns):
    """Times in the unit that suits the run, and the axis label."""
    span = int(t_ns.max()) if len(t_ns) else 0
    for scale, unit in ((1e9, "s"), (1e6, "ms"), (1e3, "µs")):
        if span >= 10 * scale:
            return t_ns / scale, f"virtual time ({unit})"
    return t_ns.astype(float), "virtual time (ns)"


def plot_queues(res, path=None, ax=None):
    """Run-queue lengths over time: the global queue and each P's ring.

    With more than :data:`MAX_LINES` Ps the local queues are drawn as their
    maximum and mean over the Ps instead of one line each.

    Parameters
    ----------
    res : Result
        A run with a monitor (``simulate(..., monitor=...)``).
    path : str or os.PathLike, optional
        Save the figure here (the format follows the suffix).
    ax : matplotlib.axes.Axes, optional
        Draw into these axes instead of a new figure.

    Returns
    -------
    matplotlib.figure.Figure
    """
    mon = _monitor(res, "plot_queues")
    fig, ax = _axes(ax)
    t, label = _time(mon["time"])
    local = np.asarray(mon["local_queues"]).reshape(len(mon), -1)
    ax.step(t, mon["global_queue"], where="post", color="black", lw=1.5, label="global")
    if local.shape[1] <= MAX_LINES:
        for p in range(local.shape[1]):
            ax.step(t, local[:, p], where="post", lw=1, label=f"P{p}")
    else:
        ax.step(t, local.max(axis=1), where="post", lw=1, label="local, max over Ps")
        ax.step(t, local.mean(axis=1), where="post", lw=1, label="local, mean over Ps")
    ax.set(xlabel=label, ylabel="runnable Gs queued", title="Run queues")
    ax.legend(fontsize="small", ncols=2 if local.shape[1] > 6 else 1, loc="upper right")
    return _done(fig, path)


def plot_utilization(res, path=None, ax=None):
    """P utilization: each P's busy fraction of the run, and over time.

    The bars are ``procs["busy_ns"] / makespan``.  With a monitor and no `ax`
    a second panel shows the fraction of Ps running a G at each sample.

    Parameters
    ----------
    res : Result
    path : str or os.PathLike, optional
    ax : matplotlib.axes.Axes, optional
        Draw the bars into these axes (and only the bars).

    Returns
    -------
    matplotlib.figure.Figure
    """
    mon = getattr(res, "monitor", None)
    over_time = ax is None and mon is not None and len(mon) > 0
    if ax is None:
        fig = _mpl()(figsize=(7, 6 if over_time else 3.5), layout="constrained")
        axes = fig.subplots(2 if over_time else 1, 1, squeeze=False)[:, 0]
    else:
        fig, axes = ax.figure, [ax]
    _utilization_bars(res, axes[0])
    if over_time:
        _utilization_over_time(res, mon, axes[1])
    return _done(fig, path)


def _utilization_bars(res, ax):
    busy = res.procs["busy_ns"] / max(int(res.makespan_ns), 1)
    ax.bar(res.procs["p"], busy, color="tab:blue")
    ax.set(xlabel="P", ylabel="busy fraction", ylim=(0, 1.05),
           title=f"P utilization (mean {busy.mean():.0%})")
    if len(busy) <= MAX_LINES:
        ax.set_xticks(res.procs["p"])


def _utilization_over_time(res, mon, ax):
    t, label = _time(mon["time"])
    ax.step(t, mon["running"] / len(res.procs), where="post", color="tab:blue")
    ax.set(xlabel=label, ylabel="Ps running a G", ylim=(0, 1.05), title="Utilization over time")


def scheduling_latency(res, which="first"):
    """Per-G scheduling latency in ns, for the Gs that ever ran.

    ``which="first"``: from creation to first running (``first_run −
    created``); ``"total"``: all the time spent runnable (``runnable_ns``).
    """
    gs = res.require_goroutines("scheduling_latency")
    ran = gs["first_run"] >= 0
    if which == "first":
        return (gs["first_run"] - gs["created"])[ran]
    if which == "total":
        return gs["runnable_ns"][ran]
    raise ValueError(f'which must be "first" or "total", got {which!r}')


def plot_latency(res, path=None, ax=None, which="first", bins=30):
    """Histogram of scheduling latency, on log-spaced bins.

    Dashed lines mark the median and the 99th percentile.

    Parameters
    ----------
    res : Result
    path : str or os.PathLike, optional
    ax : matplotlib.axes.Axes, optional
    which : {"first", "total"}
        Time from creation to first running, or total time runnable; see
        :func:`scheduling_latency`.
    bins : int
        Number of bars.

    Returns
    -------
    matplotlib.figure.Figure
    """
    lat = scheduling_latency(res, which)
    fig, ax = _axes(ax)
    x = np.maximum(lat, 1).astype(float)           # log bins: 0 ns counts as 1 ns
    lo, hi = (x.min(), x.max()) if len(x) else (1.0, 10.0)
    edges = np.geomspace(lo, max(hi, lo * 10), bins + 1)
    ax.hist(x, bins=edges, color="tab:orange")
    ax.set_xscale("log")
    if len(x):
        for q, style in ((50, "--"), (99, ":")):
            v = np.percentile(x, q)
            ax.axvline(v, color="black", ls=style, lw=1, label=f"p{q} {_ns(v)}")
        ax.legend(fontsize="small")
    what = "created → first run" if which == "first" else "total time runnable"
    ax.set(xlabel=f"{what} (ns)", ylabel="goroutines", title="Scheduling latency")
    return _done(fig, path)


def _ns(v):
    """A duration in ns, to three significant figures: ``'2.51ms'``."""
    for scale, unit in ((1e9, "s"), (1e6, "ms"), (1e3, "µs")):
        if v >= scale:
            return f"{v / scale:.3g}{unit}"
    return f"{v:.3g}ns"


def _counts(res, mon, ax):
    t, label = _time(mon["time"])
    for field, name in (("goroutines", "goroutines"), ("runnable", "runnable Gs"),
                        ("threads", "threads (Ms)"), ("spinning", "spinning Ms")):
        ax.step(t, mon[field], where="post", lw=2 if field == "goroutines" else 1, label=name)
    ax.set(xlabel=label, ylabel="count", title="Goroutines and threads")
    ax.set_yscale("symlog")
    ax.legend(fontsize="small", loc="upper right")


def plot_summary(res, path=None):
    """One figure: queues, goroutines and threads, utilization, latency.

    The time-series panels need a monitor; without one the figure has the
    utilization and latency panels only.

    Parameters
    ----------
    res : Result
    path : str or os.PathLike, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    mon = getattr(res, "monitor", None)
    with_monitor = mon is not None and len(mon) > 0
    Figure = _mpl()
    if with_monitor:
        fig = Figure(figsize=(12, 7), layout="constrained")
        (q, c), (u, lat) = fig.subplots(2, 2)
        plot_queues(res, ax=q)
        _counts(res, mon, c)
    else:
        fig = Figure(figsize=(12, 3.5), layout="constrained")
        u, lat = fig.subplots(1, 2)
    _utilization_bars(res, u)
    plot_latency(res, ax=lat)
    fig.suptitle(f"GOMAXPROCS={len(res.procs)}, {len(res.goroutines)} goroutines, "
                 f"makespan {_ns(res.makespan_ns)}")
    return _done(fig, path)
