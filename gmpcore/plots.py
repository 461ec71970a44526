"""Plots of a run (needs matplotlib: ``pip install matplotlib``, or in a gmpcore
checkout ``pip install '.[plot]'``).

Each function draws into a new figure, or into `ax` when given, saves it to
`path` when given, and returns the :class:`matplotlib.figure.Figure`.  Figures
are made without :mod:`matplotlib.pyplot`, so nothing is kept open in a global
figure list and any backend (or none) works; in Jupyter the returned figure
displays itself.

The time series come from the monitor (``simulate(..., monitor="100us")``);
per-P utilization needs only ``res.procs`` and the scheduling-latency
histogram only ``res.sched_latencies`` (Go's ``/sched/latencies:seconds``,
:mod:`gmpcore.latency`), so neither needs per-G records.

>>> import gmpcore as gmp
>>> from gmpcore.scenarios import fanout
>>> res = gmp.simulate(fanout(n=200, work="5us"), gomaxprocs=4, seed=1, monitor="50us")
>>> fig = plot_summary(res)            # add a path to save it: plot_summary(res, "run.png")
>>> [ax.get_title() for ax in fig.axes]     # doctest: +NORMALIZE_WHITESPACE
['Global run queue', 'Local run queues', 'Goroutines', 'Threads (Ms)',
 'P utilization (mean ...)', 'Scheduling latency (runnable → running)']
>>> len(fig.axes[1].get_lines())       # one line per P's ring
4

Legends sit outside the data, to the right of each panel.  A monitor with
more than :data:`MAX_STEPS` samples is drawn as the mean over groups of
samples with each group's range shaded, so a count that flips every sample
(ping-pong's runnable G) reads as "between 0 and 1, half the time 1" rather
than as a solid block.
"""

import math
import warnings

import numpy as np

from gmpcore import latency as _latency
from gmpcore.durations import short_duration
from gmpcore.latency import BUCKETS_NS

__all__ = ["MAX_LINES", "MAX_STEPS", "goroutine_delays", "plot_goroutine_delays",
           "plot_latency", "plot_queues", "plot_summary", "plot_sweep", "plot_utilization"]

#: Above this many Ps, the local-queue plot draws the maximum and mean over
#: the Ps instead of one line per P: more lines than colours in matplotlib's
#: cycle (10), or than the eye can follow, tell nothing apart.
MAX_LINES = 8

#: Above this many monitor samples, time series are drawn as the mean over
#: :data:`BINS` groups of consecutive samples, with each group's min-max
#: shaded: a panel a few hundred pixels wide cannot show more steps, and
#: drawing them all turns a count that changes every sample into a block.
MAX_STEPS = 200
BINS = 100

#: Where each legend goes: just right of its axes, top-aligned, so that it
#: never covers data however the data fills the panel.
_OUTSIDE = dict(loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0,
                fontsize="small", title_fontsize="small", frameon=False)


def _mpl():
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise ImportError("gmpcore's plots need matplotlib: pip install matplotlib "
                          "(in a gmpcore checkout: pip install '.[plot]')") from None
    return Figure


def _axes(ax, size=(7, 3.5)):
    if ax is not None:
        return ax.figure, ax
    fig = _mpl()(figsize=size, layout="constrained")
    return fig, fig.add_subplot()


def _split(ax, n):
    """`n` axes stacked in the place of `ax` (one grid cell), sharing x."""
    spec = ax.get_subplotspec()
    if spec is None:
        raise ValueError("pass a sequence of axes, or one axes made by add_subplot/subplots")
    fig = ax.figure
    ax.remove()
    cells = spec.subgridspec(n, 1)
    first = fig.add_subplot(cells[0])
    return [first] + [fig.add_subplot(cells[i], sharex=first) for i in range(1, n)]


def _axes_list(ax, n, size):
    """`n` axes: a new figure's, the given sequence, or one given axes split."""
    if ax is None:
        fig = _mpl()(figsize=size, layout="constrained")
        return fig, list(fig.subplots(n, 1, sharex=True, squeeze=False)[:, 0])
    if isinstance(ax, (list, tuple, np.ndarray)):
        axes = list(np.ravel(ax))
        if len(axes) != n:
            raise ValueError(f"expected {n} axes, got {len(axes)}")
        return axes[0].figure, axes
    return ax.figure, _split(ax, n)


def _done(fig, path):
    if path is not None:
        fig.savefig(path, dpi=100)
    return fig


def _monitor(res, what):
    mon = getattr(res, "monitor", None)
    if mon is None or not len(mon):
        raise ValueError(f"{what} needs monitor samples: simulate(..., monitor='100us')")
    return mon


# --- durations -------------------------------------------------------------

_UNITS = ((1e9, "s"), (1e6, "ms"), (1e3, "µs"), (1.0, "ns"))


def _time_unit(t_ns):
    """``(scale, unit)`` for a time axis spanning `t_ns`: the largest unit
    that still gives at least 2 of them (ticks 0, 0.5, ... 4.5 ms, not 0,
    500, ... 4500 µs)."""
    span = float(np.max(t_ns)) if len(t_ns) else 0.0
    for scale, unit in _UNITS[:-1]:
        if span >= 2 * scale:
            return scale, unit
    return 1.0, "ns"


def _tick(v, _pos=None):
    """A tick on a log duration axis: ``1µs``, ``10µs``, ``100µs``, ``1ms``."""
    if v <= 0:
        return ""
    return short_duration(v)


def _duration_axis(ax, lo, hi):
    """A log x axis in ns, labelled in ns/µs/ms/s and spanning whole decades
    around [lo, hi], so there are always at least two labelled ticks."""
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    ax.set_xscale("log")
    lo_dec = math.floor(math.log10(max(lo, 1.0)))
    hi_dec = max(math.ceil(math.log10(max(hi, 1.0))), lo_dec + 1)
    ax.set_xlim(10.0 ** lo_dec, 10.0 ** hi_dec)
    ax.xaxis.set_major_locator(LogLocator(base=10, numticks=20))
    ax.xaxis.set_major_formatter(FuncFormatter(_tick))
    ax.xaxis.set_minor_locator(LogLocator(base=10, subs=np.arange(2, 10), numticks=20))
    ax.xaxis.set_minor_formatter(NullFormatter())


def _count_axis(ax, top):
    """Counts from 0, integer ticks, a little headroom; ``100k`` not ``1e5``."""
    from matplotlib.ticker import EngFormatter, MaxNLocator

    ax.set_ylim(0, max(float(top), 1.0) * 1.08)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.yaxis.set_major_formatter(EngFormatter(sep=""))


def _note(ax, text):
    ax.text(0.5, 0.5, text, transform=ax.transAxes, ha="center", va="center",
            color="0.4", fontsize="small")


# --- time series -----------------------------------------------------------

class _Series:
    """Monitor samples as drawn: raw, or grouped `k` at a time."""

    def __init__(self, mon):
        t = np.asarray(mon["time"], dtype=np.int64)
        self.k = math.ceil(len(t) / BINS) if len(t) > MAX_STEPS else 1
        self.starts = np.arange(0, len(t), self.k)
        self.scale, unit = _time_unit(t)
        self.xlabel = f"virtual time ({unit})"
        self.t = t[self.starts] / self.scale
        self.end = t[-1] / self.scale if len(t) else 0.0
        self.width_ns = int(t[self.k] - t[0]) if len(t) > self.k else 0

    @property
    def binned(self):
        return self.k > 1

    def reduce(self, y):
        """``(mean, min, max)`` of each group (the samples themselves if raw)."""
        y = np.asarray(y, dtype=np.float64)
        if not self.binned:
            return y, y, y
        sizes = np.diff(np.append(self.starts, len(y)))
        return (np.add.reduceat(y, self.starts) / sizes,
                np.minimum.reduceat(y, self.starts), np.maximum.reduceat(y, self.starts))

    def _x(self, v):
        # The last group's step runs to the last sample's time.
        if not self.binned:
            return self.t, v
        return np.append(self.t, self.end), np.append(v, v[-1])

    def draw(self, ax, y, label, band=True, **style):
        """A step line (the group means) and, when grouped, the shaded range."""
        mean, lo, hi = self.reduce(y)
        line, = ax.step(*self._x(mean), where="post", label=label, **style)
        if self.binned and band:
            self.band(ax, lo, hi, color=line.get_color())
        return hi.max() if len(hi) else 0.0

    def band(self, ax, lo, hi, **style):
        x, lo = self._x(lo)
        _, hi = self._x(hi)
        style.setdefault("alpha", 0.25)
        ax.fill_between(x, lo, hi, step="post", lw=0, **style)

    def finish(self, ax, top, ylabel, title):
        ax.set(xlabel=self.xlabel, ylabel=ylabel, title=title)
        ax.set_xlim(0, self.end if self.end > 0 else 1)
        _count_axis(ax, top)
        caption = f"mean per {short_duration(self.width_ns)},\nshaded: min–max" if self.binned else None
        ax.legend(title=caption, **_OUTSIDE)


def _global_queue(ax, mon, s):
    top = s.draw(ax, mon["global_queue"], "global queue", color="black", lw=1.5)
    if top == 0:
        _note(ax, "empty at every sample")
    s.finish(ax, top, "runnable Gs queued", "Global run queue")


def _local_queues(ax, mon, s):
    local = np.asarray(mon["local_queues"]).reshape(len(mon), -1)
    nprocs = local.shape[1]
    if nprocs <= MAX_LINES:
        for p in range(nprocs):
            s.draw(ax, local[:, p], f"P{p}", band=False, lw=1)
        if s.binned:   # one band for all Ps: a band each would hide the lines
            _, lo, _ = s.reduce(local.min(axis=1))
            _, _, hi = s.reduce(local.max(axis=1))
            s.band(ax, lo, hi, color="0.5", alpha=0.2, label="range over Ps")
    else:
        s.draw(ax, local.max(axis=1), "max over Ps", lw=1)
        s.draw(ax, local.mean(axis=1), "mean over Ps", lw=1)
    top = float(local.max()) if local.size else 0.0
    if top == 0:
        _note(ax, "empty at every sample (runnext is not counted)")
    s.finish(ax, top, "runnable Gs queued", "Local run queues")


def _goroutines(ax, mon, s):
    top = max(s.draw(ax, mon["goroutines"], "live", lw=2),
              s.draw(ax, mon["runnable"], "runnable", lw=1),
              s.draw(ax, mon["running"], "running", lw=1))
    s.finish(ax, top, "goroutines", "Goroutines")


def _threads(ax, mon, s):
    top = max(s.draw(ax, mon["threads"], "threads", lw=1.5),
              s.draw(ax, mon["idle_threads"], "idle", lw=1),
              s.draw(ax, mon["spinning"], "spinning", lw=1))
    s.finish(ax, top, "Ms", "Threads (Ms)")


def plot_queues(res, path=None, ax=None):
    """Run-queue lengths over time: the global queue and the P rings, apart.

    The global queue can hold thousands of Gs while each ring holds at most
    256, so they get an axes each: the global queue above, each P's ring
    below (with more than :data:`MAX_LINES` Ps, their maximum and mean).
    A P's ``runnext`` slot is not counted, as in ``schedtrace``.

    Parameters
    ----------
    res : Result
        A run with a monitor (``simulate(..., monitor=...)``).
    path : str or os.PathLike, optional
        Save the figure here (the format follows the suffix).
    ax : matplotlib.axes.Axes or pair of them, optional
        Draw into ``(global_ax, local_ax)``; one axes is split in two.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import gmpcore as gmp
    >>> from gmpcore.scenarios import fanout
    >>> res = gmp.simulate(fanout(n=4000, work="5us"), gomaxprocs=4, seed=1, monitor="100us")
    >>> g, local = plot_queues(res).axes
    >>> bool(g.get_ylim()[1] > 1000), bool(local.get_ylim()[1] <= 256 * 1.08)   # own scales
    (True, True)
    """
    mon = _monitor(res, "plot_queues")
    fig, (g, local) = _axes_list(ax, 2, (8, 5.5))
    s = _Series(mon)
    _global_queue(g, mon, s)
    _local_queues(local, mon, s)
    if g.get_shared_x_axes().joined(g, local):    # stacked: one time label, at the bottom
        g.set_xlabel("")
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
    if len(busy) <= 16:          # a tick per P while the labels fit
        ax.set_xticks(res.procs["p"])


def _utilization_over_time(res, mon, ax):
    s = _Series(mon)
    s.draw(ax, mon["running"] / len(res.procs), "Ps running a G", color="tab:blue")
    ax.set(xlabel=s.xlabel, ylabel="Ps running a G", ylim=(0, 1.05),
           xlim=(0, s.end if s.end > 0 else 1), title="Utilization over time")
    if s.binned:
        ax.legend(title=f"mean per {short_duration(s.width_ns)},\nshaded: min–max", **_OUTSIDE)


# --- scheduling latency ----------------------------------------------------

#: How the first and last counts are drawn on a log axis: ``[0, 64ns)`` (with
#: the underflow, which the engines never produce) as ``[32ns, 64ns)``, the
#: overflow ``[2**47ns, inf)`` as one octave.
_ZERO_BUCKET_DRAWN_FROM = 32.0


def plot_latency(res, path=None, ax=None):
    """Go's ``/sched/latencies``: how long Gs waited runnable before running.

    One bar per count of :func:`gmpcore.latency.scheduling_latency` (Go's
    bucket layout, 4 per power of two), over the buckets from the first to
    the last non-empty one, on a log time axis labelled ``1µs``, ``10µs``,
    ``1ms``...  Every scheduling episode counts, not one per G: a G that
    blocks and wakes 1,000 times adds 1,000.  Dashed and dotted lines mark
    the median and the 99th percentile (:meth:`LatencyHistogram.quantile`).
    The count ``[0, 64ns)`` is drawn hatched from 32 ns, as 0 has no place on
    a log axis.

    Parameters
    ----------
    res : Result
        A run whose ``sched_latencies`` is filled (``gmpcore.simulate`` does).
    path : str or os.PathLike, optional
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    A made-up histogram: 30 episodes of about 1 µs and 10 of about 1 ms.

    >>> from gmpcore.latency import LatencyHistogram, N_COUNTS, bucket_index
    >>> from gmpcore.results import Result
    >>> counts = np.zeros(N_COUNTS, dtype=np.uint64)
    >>> counts[bucket_index(1_000)], counts[bucket_index(1_000_000)] = 30, 10
    >>> res = Result(makespan_ns=0, goroutines=None, procs=None, counters={},
    ...              sched_latencies=LatencyHistogram(counts))
    >>> ax = plot_latency(res).axes[0]
    >>> [int(bar.get_height()) for bar in ax.patches if bar.get_height()]
    [30, 10]
    >>> [ax.xaxis.get_major_formatter()(v) for v in ax.get_xlim()]     # whole decades
    ['100ns', '10ms']
    >>> [t.get_text() for t in ax.get_legend().get_texts()]
    ['p50 981ns', 'p99 1.04ms']
    """
    hist = _latency.scheduling_latency(res)
    fig, ax = _axes(ax)
    _latency_bars(ax, hist)
    return _done(fig, path)


def _latency_bars(ax, hist):
    counts = np.asarray(hist.counts, dtype=np.float64).copy()
    counts[1] += counts[0]
    title = "Scheduling latency (runnable → running)"
    xlabel = "time runnable before running (Go's /sched/latencies)"
    nonzero = np.flatnonzero(counts[1:]) + 1
    if not len(nonzero):
        _note(ax, "no scheduling episodes")
        ax.set(xlabel=xlabel, ylabel="episodes", title=title)
        return
    idx = np.arange(nonzero[0], nonzero[-1] + 1)
    lo, hi = BUCKETS_NS[idx].copy(), BUCKETS_NS[idx + 1].copy()
    lo[idx == 1] = _ZERO_BUCKET_DRAWN_FROM
    hi[~np.isfinite(hi)] = 2 * lo[~np.isfinite(hi)]
    bars = ax.bar(lo, counts[idx], width=hi - lo, align="edge", color="tab:orange",
                  edgecolor="tab:orange", lw=0.5)
    if idx[0] == 1:
        bars[0].set(hatch="///", facecolor="white", label=f"[0, 64ns): {counts[1]:,.0f}")
    for q, style in ((0.5, "--"), (0.99, ":")):
        v = hist.quantile(q)
        ax.axvline(max(v, lo[0]), color="black", ls=style, lw=1, label=f"p{q * 100:g} {short_duration(v)}")
    _duration_axis(ax, lo[0], hi[-1])
    _count_axis(ax, counts[idx].max())
    ax.set(xlabel=xlabel, ylabel="episodes", title=title)
    ax.legend(title=f"{hist.count:,} episodes", **_OUTSIDE)


# --- per-goroutine delays ---------------------------------------------------

_DELAYS = {
    "start": ("time from creation to first run", "Time from creation to first run"),
    "runnable_total": ("total time runnable", "Total time runnable per goroutine"),
}


def goroutine_delays(res, which="start"):
    """One figure per G that ever ran, in ns (needs per-G records).

    ``which="start"``: the time from creation to its first run (``first_run
    − created``), for a worker pool its start-up, not its jobs' waits;
    ``"runnable_total"``: all the time it spent runnable (``runnable_ns``).
    For the wait before each run, every time, see
    :func:`gmpcore.latency.scheduling_latency`.

    >>> import gmpcore as gmp
    >>> from gmpcore.scenarios import fanout
    >>> res = gmp.simulate(fanout(n=100), gomaxprocs=2, seed=1)
    >>> start, total = goroutine_delays(res), goroutine_delays(res, "runnable_total")
    >>> len(start), bool((total >= start).all())     # the first wait is part of the total
    (106, True)
    >>> len(start[~res.system])                       # the workload's, not the runtime's
    101
    """
    if which not in _DELAYS:
        raise ValueError(f'which must be "start" or "runnable_total", got {which!r}')
    gs = res.require_goroutines("goroutine_delays")
    ran = gs["first_run"] >= 0
    if which == "start":
        return (gs["first_run"] - gs["created"])[ran]
    return gs["runnable_ns"][ran]


def scheduling_latency(res, which="first"):
    """Deprecated, renamed :func:`goroutine_delays` (``"first"`` is
    ``"start"``, ``"total"`` is ``"runnable_total"``): neither is a scheduling
    latency; Go's is :func:`gmpcore.latency.scheduling_latency`."""
    warnings.warn("gmpcore.plots.scheduling_latency(res, which) is goroutine_delays(res, which="
                  "'start'|'runnable_total'); Go's scheduling latency is "
                  "gmpcore.latency.scheduling_latency(res)", DeprecationWarning, stacklevel=2)
    return goroutine_delays(res, {"first": "start", "total": "runnable_total"}.get(which, which))


def plot_goroutine_delays(res, path=None, ax=None, which="start", bins=30):
    """Histogram of :func:`goroutine_delays`, one count per G, on log bins.

    Dashed and dotted lines mark the median and the 99th percentile.

    Parameters
    ----------
    res : Result
        A run with per-G records.
    path : str or os.PathLike, optional
    ax : matplotlib.axes.Axes, optional
    which : {"start", "runnable_total"}
        Time from creation to first run, or total time runnable.
    bins : int
        Number of bars.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import gmpcore as gmp
    >>> from gmpcore.scenarios import fanout
    >>> ax = plot_goroutine_delays(gmp.simulate(fanout(n=500), gomaxprocs=4, seed=1)).axes[0]
    >>> ax.get_title(), ax.get_xlabel()
    ('Time from creation to first run', 'time from creation to first run')
    """
    d = goroutine_delays(res, which)
    fig, ax = _axes(ax)
    label, title = _DELAYS[which]
    x = np.maximum(d, 1).astype(float)           # log bins: 0 ns counts as 1 ns
    lo, hi = (x.min(), x.max()) if len(x) else (1.0, 10.0)
    edges = np.geomspace(lo, max(hi, lo * 10), bins + 1)
    ax.hist(x, bins=edges, color="tab:green")
    if len(x):
        for q, style in ((50, "--"), (99, ":")):
            v = np.percentile(x, q)
            ax.axvline(v, color="black", ls=style, lw=1, label=f"p{q} {short_duration(v)}")
        ax.legend(title=f"{len(x):,} goroutines", **_OUTSIDE)
    _duration_axis(ax, edges[0], edges[-1])
    ax.set(xlabel=label, ylabel="goroutines", title=title)
    return _done(fig, path)


# --- the summary -------------------------------------------------------------

def _latency_panel(res, ax):
    if getattr(res, "sched_latencies", None) is None:
        _note(ax, "no /sched/latencies histogram in this result")
        ax.set(title="Scheduling latency (runnable → running)", xticks=[], yticks=[])
        return
    _latency_bars(ax, res.sched_latencies)


def _n_goroutines(res):
    n = res.counters.get("goroutines") if res.counters else None
    if n is None and res.goroutines is not None:
        n = len(res.goroutines)
    return n


def plot_summary(res, path=None):
    """One figure: queues, goroutines, threads, utilization, latency.

    With a monitor: the global run queue and the local ones, goroutines
    (live, runnable, running) and threads (all, idle, spinning) over time,
    then per-P utilization and the scheduling-latency histogram
    (:func:`plot_latency`).  Without one, the last two only.

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
        fig = Figure(figsize=(13, 10), layout="constrained")
        (g, local), (gs, ms), (u, lat) = fig.subplots(3, 2)
        s = _Series(mon)
        _global_queue(g, mon, s)
        _local_queues(local, mon, s)
        _goroutines(gs, mon, s)
        _threads(ms, mon, s)
    else:
        fig = Figure(figsize=(13, 3.8), layout="constrained")
        u, lat = fig.subplots(1, 2)
    _utilization_bars(res, u)
    _latency_panel(res, lat)
    n = _n_goroutines(res)
    fig.suptitle(f"GOMAXPROCS={len(res.procs)}, "
                 + (f"{n:,} goroutines, " if n is not None else "")
                 + f"makespan {short_duration(res.makespan_ns)}")
    return _done(fig, path)


def plot_sweep(ds, x="gomaxprocs", metrics=("makespan_ns", "latency_p99_ns"), path=None,
               confidence=0.95):
    """A sweep's metrics against one grid key, with confidence intervals.

    One panel per metric (a duration axis in ns/µs/ms), one line per
    combination of the other grid keys, each point the mean over the
    replicates with its Student-t interval as an error bar
    (:func:`gmpcore.sweep.summarize`).

    Parameters
    ----------
    ds : xarray.Dataset
        What :func:`gmpcore.sweep` returned.
    x : str
        The grid key on the x axis.
    metrics : sequence of str
        Variables of `ds` to draw, one panel each.

    Examples
    --------
    >>> import gmpcore as gmp
    >>> from gmpcore.scenarios import worker_pool
    >>> ds = gmp.sweep(worker_pool, grid={"gomaxprocs": [1, 2, 4], "workers": [4, 16]},
    ...                replicates=3, seed=1, metrics=["makespan_ns", "latency_p99_ns"])
    >>> fig = plot_sweep(ds)
    >>> [ax.get_title() for ax in fig.axes]
    ['makespan_ns', 'latency_p99_ns']
    >>> len(fig.axes[0].containers)          # one errorbar line per workers value
    2
    """
    from matplotlib.ticker import FuncFormatter

    from gmpcore.sweep import summarize
    if x not in ds.dims:
        raise ValueError(f"plot_sweep: {x!r} is not a dimension of the sweep "
                         f"({', '.join(d for d in ds.dims if d != 'replicate')})")
    missing = [m for m in metrics if m not in ds]
    if missing:
        raise ValueError(f"plot_sweep: {missing} are not variables of the sweep")
    s = summarize(ds[list(metrics)], confidence=confidence)
    others = [d for d in s.dims if d != x]
    fig = _mpl()(figsize=(7, 3.2 * len(metrics)), layout="constrained")
    axes = list(np.ravel(fig.subplots(len(metrics), 1, sharex=True, squeeze=False)))
    combos = list(s[metrics[0]].stack(_c=others)._c.values) if others else [None]
    for ax, m in zip(axes, metrics):
        for combo in combos:
            sel = {} if combo is None else dict(zip(others, combo if isinstance(combo, tuple)
                                                    else (combo,)))
            mean = s[m].sel(**sel)
            low, high = s[f"{m}_low"].sel(**sel), s[f"{m}_high"].sel(**sel)
            err = np.nan_to_num(np.vstack([mean - low, high - mean]))
            label = ", ".join(f"{k}={v}" for k, v in sel.items()) or m
            ax.errorbar(s[x].values, mean.values, yerr=err, marker="o", capsize=3, label=label)
        ax.set_title(m)
        if m.endswith("_ns"):
            ax.yaxis.set_major_formatter(FuncFormatter(_tick))
        ax.set_ylim(bottom=0)
        ax.grid(alpha=0.3)
        if others:
            ax.legend(**_OUTSIDE)
    axes[-1].set_xlabel(x)
    if all(isinstance(v, (int, np.integer)) for v in s[x].values):
        axes[-1].set_xticks(list(s[x].values))
    reps = int(ds.sizes.get("replicate", 1))
    fig.suptitle(f"mean of {reps} replicate{'s' if reps > 1 else ''}"
                 + (f", {confidence:.0%} interval" if reps > 1 else ""))
    return _done(fig, path)
