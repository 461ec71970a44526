"""Plots render with the Agg backend, into valid PNG files that show the data."""

import dataclasses
import sys

import numpy as np
import pytest

mpl = pytest.importorskip("matplotlib")
mpl.use("Agg")

import gmpcore as gmp  # noqa: E402
from gmpcore import plots, scenarios  # noqa: E402
from gmpcore.plots import (  # noqa: E402
    MAX_LINES, plot_latency, plot_queues, plot_summary, plot_utilization, scheduling_latency,
)

from synthetic import synthetic_monitor  # noqa: E402

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def monitored(res, mon):
    out = dataclasses.replace(res)
    out.monitor = mon
    return out


@pytest.fixture(scope="module")
def run():
    return gmp.simulate(scenarios.fanout(n=1000, work="10us"), gomaxprocs=4, seed=1)


@pytest.fixture(scope="module")
def run_mon(run):
    return monitored(run, synthetic_monitor(4))


def check_png(path, min_bytes=5_000):
    data = path.read_bytes()
    assert data[:8] == PNG_MAGIC
    assert len(data) > min_bytes


def test_queues(tmp_path, run_mon):
    fig = plot_queues(run_mon, tmp_path / "q.png")
    check_png(tmp_path / "q.png")
    (ax,) = fig.axes
    lines = ax.get_lines()
    assert len(lines) == 1 + 4                                      # global + one per P
    assert lines[0].get_label() == "global"
    np.testing.assert_array_equal(lines[0].get_ydata(), run_mon.monitor["global_queue"])
    np.testing.assert_array_equal(lines[3].get_ydata(), run_mon.monitor["local_queues"][:, 2])


def test_queues_summarise_many_ps(tmp_path, run):
    res = monitored(run, synthetic_monitor(MAX_LINES + 1))
    fig = plot_queues(res, tmp_path / "q.png")
    check_png(tmp_path / "q.png")
    assert len(fig.axes[0].get_lines()) == 3                        # global, max, mean


def test_queues_need_a_monitor(run):
    with pytest.raises(ValueError, match="monitor"):
        plot_queues(run)


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


def test_latency(tmp_path, run):
    fig = plot_latency(run, tmp_path / "l.png", bins=25)
    check_png(tmp_path / "l.png")
    (ax,) = fig.axes
    assert ax.get_xscale() == "log"
    assert len(ax.patches) == 25
    ran = int((run.goroutines["first_run"] >= 0).sum())
    assert sum(bar.get_height() for bar in ax.patches) == ran
    assert len(ax.get_lines()) == 2                                 # median and p99
    lat = scheduling_latency(run)
    assert len(lat) == ran and (lat >= 0).all()
    total = scheduling_latency(run, "total")
    assert (total >= lat).all()                                     # the first wait is part of it
    fig = plot_latency(run, which="total")
    assert len(fig.axes[0].patches) == 30
    with pytest.raises(ValueError, match="which"):
        scheduling_latency(run, "last")


def test_into_given_axes(run, run_mon):
    from matplotlib.figure import Figure
    fig = Figure()
    a, b, c = fig.subplots(1, 3)
    assert plot_queues(run_mon, ax=a) is fig
    assert plot_utilization(run_mon, ax=b) is fig
    assert plot_latency(run, ax=c) is fig
    assert len(fig.axes) == 3 and len(b.patches) == 4


def test_summary(tmp_path, run, run_mon):
    fig = plot_summary(run_mon, tmp_path / "s.png")
    check_png(tmp_path / "s.png", min_bytes=20_000)
    assert len(fig.axes) == 4
    queues, counts, util, lat = fig.axes
    assert len(queues.get_lines()) == 5 and len(counts.get_lines()) == 4
    assert len(util.patches) == 4 and len(lat.patches) == 30
    fig = plot_summary(run, tmp_path / "s2.png")
    check_png(tmp_path / "s2.png")
    assert len(fig.axes) == 2


def test_real_monitor(tmp_path):
    res = gmp.simulate(scenarios.fanout(n=2000, work="5us"), gomaxprocs=4, seed=1,
                       monitor="100us")
    assert res.monitor is not None
    fig = plot_summary(res, tmp_path / "s.png")
    check_png(tmp_path / "s.png", min_bytes=20_000)
    assert len(fig.axes[0].get_lines()) == 5


def test_missing_matplotlib_says_what_to_install(monkeypatch, run):
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    with pytest.raises(ImportError, match=r"pip install 'gmpcore\[plot\]'"):
        plots.plot_latency(run)
