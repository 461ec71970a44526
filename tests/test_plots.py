"""Plots render with the Agg backend, into valid PNG files that show the data.

The checks read the figure objects (axes, lines, bars, tick and legend
texts, where a legend sits), not pixels.  Histograms are built from known
counts, so bar heights and positions are checked against their inputs; the
``test_real_run_*`` tests need the engines to fill ``res.sched_latencies``.
"""

import dataclasses
import re
import sys
import warnings

import numpy as np
import pytest

mpl = pytest.importorskip("matplotlib")
mpl.use("Agg")

import gmpcore as gmp  # noqa: E402
from gmpcore import plots, scenarios  # noqa: E402
from gmpcore.durations import short_duration
from gmpcore.latency import BUCKETS_NS, N_COUNTS, LatencyHistogram, bucket_index  # noqa: E402
from gmpcore.plots import (  # noqa: E402
    MAX_LINES, MAX_STEPS, goroutine_delays, plot_goroutine_delays, plot_latency, plot_queues,
    plot_summary, plot_utilization,
)

from synthetic import synthetic_monitor  # noqa: E402

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
#: A labelled tick on a log duration axis: a power of ten and a unit.
DURATION_TICK = re.compile(r"^(1|10|100)(ns|µs|ms|s)$")


def monitored(res, mon):
    return dataclasses.replace(res, monitor=mon)


def with_latencies(res, counts, total_ns=None):
    return dataclasses.replace(res, sched_latencies=LatencyHistogram(counts, total_ns))


def counts_at(by_ns):
    """162 counts with ``n`` episodes in the bucket of each ``d`` in ``{d: n}``."""
    counts = np.zeros(N_COUNTS, dtype=np.uint64)
    for d, n in by_ns.items():
        counts[bucket_index(d)] += n
    return counts


@pytest.fixture(scope="module")
def run():
    return gmp.simulate(scenarios.fanout(n=1000, work="10us"), gomaxprocs=4, seed=1)


@pytest.fixture(scope="module")
def run_mon(run):
    return monitored(run, synthetic_monitor(4))


@pytest.fixture(scope="module")
def known(run):
    """A run whose histogram is made up: 5 at 200 ns, 40 at ~1 µs, 7 at ~3 ms."""
    return with_latencies(run, counts_at({200: 5, 1000: 40, 3_000_000: 7}))


def check_png(path, min_bytes=5_000):
    data = path.read_bytes()
    assert data[:8] == PNG_MAGIC
    assert len(data) > min_bytes


def tick_texts(axis):
    """The labels of the major ticks inside the view, as drawn."""
    axis.figure.draw_without_rendering()
    lo, hi = sorted(axis.get_view_interval())
    shown = [t for t in axis.get_major_ticks()
             if lo * (1 - 1e-9) <= t.get_loc() <= hi * (1 + 1e-9)]
    return [t.label1.get_text() for t in shown if t.label1.get_text()]


def legend_outside(ax):
    """The legend's box lies right of the axes' box (and so off the data)."""
    ax.figure.draw_without_rendering()
    legend = ax.get_legend()
    assert legend is not None
    return legend.get_window_extent().x0 >= ax.get_window_extent().x1


# --- queues ------------------------------------------------------------------

def test_queues_global_and_local_on_separate_axes(tmp_path, run_mon):
    fig = plot_queues(run_mon, tmp_path / "q.png")
    check_png(tmp_path / "q.png")
    g, local = fig.axes
    assert (g.get_title(), local.get_title()) == ("Global run queue", "Local run queues")
    (line,) = g.get_lines()
    np.testing.assert_array_equal(line.get_ydata(), run_mon.monitor["global_queue"])
    lines = local.get_lines()
    assert [ln.get_label() for ln in lines] == ["P0", "P1", "P2", "P3"]
    np.testing.assert_array_equal(lines[2].get_ydata(), run_mon.monitor["local_queues"][:, 2])
    assert g.get_ylim() == (0, pytest.approx(run_mon.monitor["global_queue"].max() * 1.08))
    assert local.get_ylim() == (0, pytest.approx(run_mon.monitor["local_queues"].max() * 1.08))
    assert g.get_xlabel() == "" and local.get_xlabel() == "virtual time (ms)"   # stacked, shared x
    assert legend_outside(g) and legend_outside(local)


def test_queues_summarise_many_ps(tmp_path, run):
    res = monitored(run, synthetic_monitor(MAX_LINES + 1))
    fig = plot_queues(res, tmp_path / "q.png")
    check_png(tmp_path / "q.png")
    labels = [ln.get_label() for ln in fig.axes[1].get_lines()]
    assert labels == ["max over Ps", "mean over Ps"]


def test_queues_need_a_monitor(run):
    with pytest.raises(ValueError, match="monitor"):
        plot_queues(run)


def test_empty_queue_says_so_and_keeps_a_sane_range(run):
    mon = synthetic_monitor(4)
    mon["global_queue"] = 0
    mon["local_queues"] = 0
    g, local = plot_queues(monitored(run, mon)).axes
    for ax in (g, local):
        assert ax.get_ylim() == (0, pytest.approx(1.08))
        assert tick_texts(ax.yaxis) == ["0", "1"]         # not -0.04 ... 0.04
        assert any("empty at every sample" in t.get_text() for t in ax.texts)


def test_long_monitor_is_drawn_as_means_with_ranges(run):
    n = 4 * MAX_STEPS
    mon = synthetic_monitor(4, n=n, step=50_000)
    g, local = plot_queues(monitored(run, mon)).axes
    k = int(np.ceil(n / plots.BINS))
    groups = mon["global_queue"].reshape(-1, k).astype(float)
    (line,) = g.get_lines()
    y = line.get_ydata()
    np.testing.assert_allclose(y[:-1], groups.mean(axis=1))
    assert y[-1] == y[-2] and line.get_xdata()[-1] == pytest.approx(mon["time"][-1] / 1e6)
    (band,) = g.collections                           # the groups' min-max
    lo, hi = band.get_paths()[0].vertices[:, 1].min(), band.get_paths()[0].vertices[:, 1].max()
    assert (lo, hi) == (groups.min(), groups.max())
    assert g.get_legend().get_title().get_text().startswith(f"mean per {k * 50}µs")
    assert len(local.get_lines()) == 4 and len(local.collections) == 1   # one band for all Ps


def test_queues_into_given_axes(run_mon):
    from matplotlib.figure import Figure
    fig = Figure()
    pair = fig.subplots(1, 2)
    assert plot_queues(run_mon, ax=pair) is fig
    assert [len(ax.get_lines()) for ax in fig.axes] == [1, 4]
    fig = Figure()
    left, right = fig.subplots(1, 2)
    plot_queues(run_mon, ax=left)                     # one axes is split in two
    assert right in fig.axes and left not in fig.axes
    assert [ax.get_title() for ax in fig.axes if ax is not right] == [
        "Global run queue", "Local run queues"]


# --- utilization -----------------------------------------------------------

def test_utilization(tmp_path, run, run_mon):
    fig = plot_utilization(run, tmp_path / "u.png")
    check_png(tmp_path / "u.png")
    (ax,) = fig.axes
    heights = [bar.get_height() for bar in ax.patches]
    assert len(heights) == 4
    np.testing.assert_allclose(heights, run.procs["busy_ns"] / run.makespan_ns)
    fig = plot_utilization(run_mon, tmp_path / "u2.png")
    check_png(tmp_path / "u2.png")
    bars, over_time = fig.axes
    assert len(bars.patches) == 4
    (line,) = over_time.get_lines()
    np.testing.assert_allclose(line.get_ydata(), run_mon.monitor["running"] / 4)


# --- the scheduling-latency histogram --------------------------------------

def test_latency_bars_are_the_histogram(tmp_path, known):
    fig = plot_latency(known, tmp_path / "l.png")
    check_png(tmp_path / "l.png")
    (ax,) = fig.axes
    hist = known.sched_latencies
    first, last = bucket_index(200), bucket_index(3_000_000)
    idx = np.arange(first, last + 1)                   # first to last non-empty bucket
    assert len(ax.patches) == len(idx)
    np.testing.assert_array_equal([b.get_height() for b in ax.patches], hist.counts[idx])
    np.testing.assert_array_equal([b.get_x() for b in ax.patches], BUCKETS_NS[idx])
    np.testing.assert_allclose([b.get_x() + b.get_width() for b in ax.patches],
                               BUCKETS_NS[idx + 1])
    assert sum(b.get_height() for b in ax.patches) == hist.count == 52
    assert ax.get_title() == "Scheduling latency (runnable → running)"
    assert ax.get_ylabel() == "episodes"


def test_latency_axis_is_in_time_units(known):
    ax = plot_latency(known).axes[0]
    assert ax.get_xscale() == "log"
    assert tick_texts(ax.xaxis) == ["100ns", "1µs", "10µs", "100µs", "1ms", "10ms"]
    assert all(DURATION_TICK.match(t) for t in tick_texts(ax.xaxis))
    assert "(ns)" not in ax.get_xlabel()             # the ticks carry the unit
    assert ax.get_xlim() == (100, 10_000_000)          # whole decades around the bars


def test_latency_marks_p50_and_p99(known):
    ax = plot_latency(known).axes[0]
    hist = known.sched_latencies
    p50, p99 = ax.get_lines()
    assert p50.get_xdata()[0] == pytest.approx(hist.quantile(0.5))
    assert p99.get_xdata()[0] == pytest.approx(hist.quantile(0.99))
    legend = ax.get_legend()
    assert [t.get_text() for t in legend.get_texts()] == [
        f"p50 {short_duration(hist.quantile(0.5))}", f"p99 {short_duration(hist.quantile(0.99))}"]
    assert legend.get_title().get_text() == "52 episodes"
    # Legend and ticks in the same units: p50 sits in the µs decade the ticks say.
    assert legend.get_texts()[0].get_text().endswith("ns") and 896 <= hist.quantile(0.5) < 1024
    assert legend_outside(ax)


def test_latency_zero_bucket_and_underflow(run):
    counts = counts_at({0: 3, 63: 2, 500: 1})
    counts[0] = 4                                      # underflow: drawn with [0, 64ns)
    ax = plot_latency(with_latencies(run, counts)).axes[0]
    first = ax.patches[0]
    assert first.get_height() == 3 + 2 + 4
    assert (first.get_x(), first.get_x() + first.get_width()) == (32, 64)   # 0 is off a log axis
    assert first.get_hatch() == "///" and first.get_label() == "[0, 64ns): 9"
    np.testing.assert_array_equal([b.get_height() for b in ax.patches[1:]],
                                  counts[2:bucket_index(500) + 1])


def test_latency_overflow_is_drawn_as_an_octave(run):
    ax = plot_latency(with_latencies(run, counts_at({2**47: 2, 2**46: 1}))).axes[0]
    last = ax.patches[-1]
    assert last.get_height() == 2
    assert (last.get_x(), last.get_width()) == (2.0**47, 2.0**47)


def test_latency_empty_histogram(run):
    ax = plot_latency(with_latencies(run, np.zeros(N_COUNTS))).axes[0]
    assert not ax.patches
    assert [t.get_text() for t in ax.texts] == ["no scheduling episodes"]


def test_latency_needs_the_histogram(run):
    with pytest.raises(ValueError, match="scheduling-latency histogram"):
        plot_latency(dataclasses.replace(run, sched_latencies=None))


# --- per-goroutine delays ----------------------------------------------------

def test_goroutine_delays(tmp_path, run):
    start = goroutine_delays(run)
    ran = int((run.goroutines["first_run"] >= 0).sum())
    assert len(start) == ran and (start >= 0).all()
    total = goroutine_delays(run, "runnable_total")
    assert (total >= start).all()                     # the first wait is part of it
    with pytest.raises(ValueError, match="which"):
        goroutine_delays(run, "first")
    fig = plot_goroutine_delays(run, tmp_path / "d.png", bins=25)
    check_png(tmp_path / "d.png")
    (ax,) = fig.axes
    assert len(ax.patches) == 25 and sum(b.get_height() for b in ax.patches) == ran
    assert ax.get_title() == "Time from creation to first run"
    assert "latency" not in ax.get_title().lower() + ax.get_xlabel().lower()
    assert all(DURATION_TICK.match(t) for t in tick_texts(ax.xaxis))
    ax = plot_goroutine_delays(run, which="runnable_total").axes[0]
    assert ax.get_title() == "Total time runnable per goroutine"


def test_old_per_goroutine_helper_is_a_deprecated_alias(run):
    with pytest.warns(DeprecationWarning, match="goroutine_delays"):
        first = plots.scheduling_latency(run)
    np.testing.assert_array_equal(first, goroutine_delays(run, "start"))
    with pytest.warns(DeprecationWarning):
        total = plots.scheduling_latency(run, "total")
    np.testing.assert_array_equal(total, goroutine_delays(run, "runnable_total"))


# --- into given axes, the summary --------------------------------------------

def test_into_given_axes(known, run_mon):
    from matplotlib.figure import Figure
    fig = Figure()
    a, b, c = fig.subplots(1, 3)
    assert plot_utilization(run_mon, ax=b) is fig
    assert plot_latency(known, ax=c) is fig
    assert plot_queues(run_mon, ax=a) is fig
    assert len(fig.axes) == 4 and len(b.patches) == 4


SUMMARY_TITLES = ["Global run queue", "Local run queues", "Goroutines", "Threads (Ms)",
                  "P utilization (mean ...)", "Scheduling latency (runnable → running)"]


def titles(fig):
    return [re.sub(r"\(mean \d+%\)", "(mean ...)", ax.get_title()) for ax in fig.axes]


def test_summary(tmp_path, known):
    res = monitored(known, synthetic_monitor(4))
    fig = plot_summary(res, tmp_path / "s.png")
    check_png(tmp_path / "s.png", min_bytes=20_000)
    assert titles(fig) == SUMMARY_TITLES
    g, local, gs, ms, util, lat = fig.axes
    assert len(g.get_lines()) == 1 and len(local.get_lines()) == 4
    assert [ln.get_label() for ln in gs.get_lines()] == ["live", "runnable", "running"]
    assert [ln.get_label() for ln in ms.get_lines()] == ["threads", "idle", "spinning"]
    assert len(util.patches) == 4
    assert sum(b.get_height() for b in lat.patches) == known.sched_latencies.count
    for ax in fig.axes:
        assert ax.get_yscale() == "linear"             # no symlog, no "0" next to "10⁰"
        if ax is not util:
            assert legend_outside(ax), ax.get_title()
    for ax in (g, local, gs, ms):
        assert ax.get_xlabel() == "virtual time (ms)"
        assert ax.get_ylim()[0] == 0
    fig = plot_summary(known, tmp_path / "s2.png")
    check_png(tmp_path / "s2.png")
    assert titles(fig) == SUMMARY_TITLES[-2:]


def test_summary_without_the_histogram_still_draws(run_mon):
    fig = plot_summary(dataclasses.replace(run_mon, sched_latencies=None))
    lat = fig.axes[-1]
    assert not lat.patches
    assert "no /sched/latencies histogram" in lat.texts[0].get_text()


def test_summary_needs_no_per_g_records(known):
    res = dataclasses.replace(known, goroutines=None, counters={"goroutines": 1001})
    fig = plot_summary(res)
    assert "1,001 goroutines" in fig._suptitle.get_text()


def test_missing_matplotlib_says_what_to_install(monkeypatch, known):
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    with pytest.raises(ImportError, match=r"pip install matplotlib \(in a gmpcore checkout: pip install '\.\[plot\]'\)"):
        plots.plot_latency(known)


# --- real runs: these need the engines to fill res.sched_latencies -----------

def test_real_run_latency_histogram():
    res = gmp.simulate(scenarios.fanout(n=2000, work="5us"), gomaxprocs=4, seed=1)
    hist = res.sched_latencies
    assert hist is not None and hist.count >= 2001       # every G's first run, at least
    ax = plot_latency(res).axes[0]
    assert sum(b.get_height() for b in ax.patches) == hist.count
    nonzero = np.flatnonzero(hist.counts)
    assert len(ax.patches) == nonzero[-1] - max(nonzero[0], 1) + 1
    assert all(DURATION_TICK.match(t) for t in tick_texts(ax.xaxis))


def test_real_run_summary(tmp_path):
    res = gmp.simulate(scenarios.fanout(n=2000, work="5us"), gomaxprocs=4, seed=1,
                       monitor="100us")
    fig = plot_summary(res, tmp_path / "s.png")
    check_png(tmp_path / "s.png", min_bytes=20_000)
    assert titles(fig) == SUMMARY_TITLES
    assert len(fig.axes[1].get_lines()) == 4
    assert sum(b.get_height() for b in fig.axes[-1].patches) == res.sched_latencies.count


def test_real_run_ping_pong_is_readable():
    # The case: ~900 samples of counts that flip every sample.
    res = gmp.simulate(scenarios.ping_pong(rounds=50_000), gomaxprocs=4, seed=0,
                       monitor="50us")
    assert len(res.monitor) > MAX_STEPS
    fig = plot_summary(res)
    g, local, gs, ms, util, lat = fig.axes
    for ax in (g, local):                              # runnext is all the pair uses
        assert ax.get_ylim() == (0, pytest.approx(1.08))
        assert ax.texts and "empty" in ax.texts[0].get_text()
    runnable = gs.get_lines()[1]
    assert len(runnable.get_xdata()) <= plots.BINS + 1             # means, not 900 steps
    assert 0 < runnable.get_ydata().mean() < 1
    assert all(ax.get_yscale() == "linear" for ax in fig.axes)
    assert all(DURATION_TICK.match(t) for t in tick_texts(lat.xaxis))
    assert sum(b.get_height() for b in lat.patches) == res.sched_latencies.count


@pytest.mark.parametrize("name", sorted(scenarios.SCENARIOS))
def test_real_run_every_scenario_plots(tmp_path, name):
    function = scenarios.SCENARIOS[name][0]
    small = {"fanout": dict(n=500), "io": dict(n=200), "sleepers": dict(n=2000),
             "syscalls": dict(n=16), "pingpong": dict(rounds=5000), "pool": dict(jobs=800),
             "unbounded": dict(jobs=800), "leak": dict(n=50),
             "container": dict(conns=8, requests=20), "mutex": dict(workers=8),
             "server": dict(requests=200), "pipeline": dict(items=500),
             "ticker": dict(ticks=20)}[name]
    res = gmp.simulate(function(**small), gomaxprocs=4, seed=0, monitor="50us")
    with warnings.catch_warnings():
        warnings.simplefilter("error")                  # e.g. "Data has no positive values"
        fig = plot_summary(res, tmp_path / f"{name}.png")
    check_png(tmp_path / f"{name}.png", min_bytes=20_000)
    assert titles(fig) == SUMMARY_TITLES
    for ax in fig.axes:
        lo, hi = ax.get_ylim()
        assert lo == 0 and hi > 0
    assert sum(b.get_height() for b in fig.axes[-1].patches) == res.sched_latencies.count


def test_plot_sweep_draws_means_and_t_intervals():
    xr = pytest.importorskip("xarray")
    from gmpcore.plots import plot_sweep
    ds = xr.Dataset({"makespan_ns": (("gomaxprocs", "replicate"),
                                     [[1000.0, 2000.0, 3000.0], [4000.0, 4000.0, 4000.0]])},
                    coords={"gomaxprocs": [1, 2], "replicate": [0, 1, 2]})
    fig = plot_sweep(ds, metrics=["makespan_ns"])
    (ax,) = fig.axes
    (bars,) = ax.containers
    line = bars.lines[0]
    assert line.get_xdata().tolist() == [1, 2]
    assert line.get_ydata().tolist() == [2000.0, 4000.0]
    # The error bar of the first point: t(0.975, 2) * s / sqrt(3), s = 1000.
    (segments,) = [c for c in bars.lines[2]]
    lo, hi = segments.get_segments()[0][:, 1]
    assert round(hi - 2000.0) == round(4.303 * 1000.0 / 3**0.5)
    assert ax.get_title() == "makespan_ns" and fig._suptitle.get_text().startswith("mean of 3")
    with pytest.raises(ValueError, match="'workers' is not a dimension"):
        plot_sweep(ds, x="workers")
