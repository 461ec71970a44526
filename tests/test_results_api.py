"""Result for people: a one-line repr, a notebook table, a summary dict,
equality, pandas tables and a file round trip."""

import numpy as np
import pytest

import gmpcore as gmp
from gmpcore.results import G_DTYPE, MONITOR_FIELDS
from gmpcore.scenarios import fanout, io_bound


@pytest.fixture(scope="module")
def res():
    return gmp.simulate(fanout(n=500, work="5us"), gomaxprocs=3, seed=2, monitor="50us",
                        record_events=True, snapshot_at="100us", schedtrace="100us")


def test_repr_is_one_short_line(res):
    text = repr(res)
    assert "\n" not in text and len(text) < 160
    assert text.startswith("<Result GOMAXPROCS=3 makespan=") and "goroutines=501" in text


def test_html_view_has_the_summary_and_the_procs(res):
    html = res._repr_html_()
    assert html.count("<tr><td>") == 3                       # one row per P
    assert "makespan_ns" in html and "latency_p99_ns" in html


def test_summary_is_plain_numbers(res):
    s = res.summary()
    assert s["makespan_ns"] == res.makespan_ns and s["gomaxprocs"] == 3
    assert s["goroutines"] == 501 and 0 < s["busy"] <= 1
    assert s["latency_p50_ns"] <= s["latency_p99_ns"] <= s["latency_p999_ns"]
    assert all(isinstance(v, (int, float)) for v in s.values())


def test_equality_is_bit_for_bit(res):
    again = gmp.simulate(fanout(n=500, work="5us"), gomaxprocs=3, seed=2, monitor="50us",
                         record_events=True, snapshot_at="100us", schedtrace="100us")
    other = gmp.simulate(fanout(n=500, work="5us"), gomaxprocs=3, seed=3, monitor="50us",
                         record_events=True, snapshot_at="100us", schedtrace="100us")
    assert res == again and res.equals(again)
    assert res != other and not res.equals(other)
    assert (res == 42) is False and res != "x"
    with pytest.raises(TypeError):
        hash(res)


def test_to_pandas_tables(res):
    pd = pytest.importorskip("pandas")
    g = res.to_pandas("goroutines")
    assert list(g.columns) == list(G_DTYPE.names) and len(g) == 501 + 5   # + the runtime's
    assert (g["goid"].to_numpy() == res.goroutines["goid"]).all()
    m = res.to_pandas("monitor")
    assert [c for c in m.columns if not c.startswith("local_queue_")] == \
        [n for n, _ in MONITOR_FIELDS]
    assert (m["local_queue_2"].to_numpy() == res.monitor["local_queues"][:, 2]).all()
    e = res.to_pandas("events")
    assert len(e) == len(res.events) and e["name"].iloc[0] == "create"
    lat = res.to_pandas("latency")
    assert int(lat["count"].sum()) == res.sched_latencies.count
    assert isinstance(res.to_pandas("procs"), pd.DataFrame)
    with pytest.raises(ValueError, match="which must be one of"):
        res.to_pandas("nope")


def test_save_and_load_round_trip(res, tmp_path):
    path = tmp_path / "run.npz"
    res.save(path)
    back = gmp.load(path)
    assert back == res
    assert back.goroutines.dtype == G_DTYPE and back.snapshot.as_dict() == res.snapshot.as_dict()


def test_save_and_load_parquet(res, tmp_path):
    """A .parquet path: one Parquet file per table, each readable alone."""
    pytest.importorskip("pyarrow")
    pd = pytest.importorskip("pandas")
    path = tmp_path / "run.parquet"
    res.save(path)
    assert gmp.load(path) == res
    goroutines = pd.read_parquet(path / "goroutines.parquet")
    assert list(goroutines.columns) == list(G_DTYPE.names) and len(goroutines) == 501 + 5
    monitor = pd.read_parquet(path / "monitor.parquet")
    assert (monitor["local_queue_2"].to_numpy() == res.monitor["local_queues"][:, 2]).all()
    machine = gmp.simulate(fanout(n=50), gomaxprocs=2, cpus=1, background=1, seed=1)
    machine.save(tmp_path / "machine.parquet")
    back = gmp.load(tmp_path / "machine.parquet")
    assert back == machine and back.threads is not None and back.events is None


def test_save_and_load_without_records(tmp_path):
    lean = gmp.simulate(io_bound(n=50), gomaxprocs=2, seed=1, record_goroutines=False)
    lean.save(tmp_path / "lean.npz")
    back = gmp.load(tmp_path / "lean.npz")
    assert back == lean and back.goroutines is None and back.events is None


def test_load_refuses_other_files(tmp_path):
    path = tmp_path / "x.npz"
    np.savez(path, meta=np.frombuffer(b'{"format": 7}', dtype=np.uint8))
    with pytest.raises(ValueError, match="not a gmpcore Result file"):
        gmp.load(path)


def test_progress_true_draws_a_bar_and_changes_nothing(capsys):
    """progress=True: a tqdm bar (shown at once here) counting the engine's events."""
    from gmpcore import progress as progress_module
    made = []
    real = progress_module.ProgressBar

    class Eager(real):
        def __init__(self, label="simulate", delay=1.0):
            super().__init__(label, delay=0)
            made.append(self)

    progress_module.ProgressBar = Eager
    try:
        wl = fanout(n=20_000, work="1us")
        res = gmp.simulate(wl, gomaxprocs=2, seed=1, progress=True, progress_every=10_000)
    finally:
        progress_module.ProgressBar = real
    assert res == gmp.simulate(wl, gomaxprocs=2, seed=1)
    assert made and 0 < made[0].events <= res.counters["events"]
    assert made[0].bar.disable or made[0].bar.n == made[0].events
    assert gmp.simulate(wl, gomaxprocs=2, seed=1, progress=False) == res
