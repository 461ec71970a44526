"""gmp.sweep: every grid point x replicate, seeds from one SeedSequence,
the same numbers as the runs made one by one, on any executor."""

import concurrent.futures
import importlib

import numpy as np
import pytest

import gmpcore as gmp
from gmpcore.scenarios import fanout, worker_pool

xr = pytest.importorskip("xarray")
SIMULATE_MODULE = importlib.import_module("gmpcore.simulate")


def test_every_point_equals_its_run_alone():
    ds = gmp.sweep(worker_pool, grid={"workers": [2, 8], "gomaxprocs": [1, 2, 4]},
                   replicates=3, seed=11, metrics=["makespan_ns", "steals", "latency_p99_ns"])
    assert dict(ds.sizes) == {"workers": 2, "gomaxprocs": 3, "replicate": 3}
    assert list(ds.data_vars) == ["makespan_ns", "steals", "latency_p99_ns", "seed"]
    seeds = ds["seed"].values
    assert len(np.unique(seeds)) == seeds.size                 # independent seeds
    children = np.random.SeedSequence(11).spawn(seeds.size)
    assert seeds.ravel().tolist() == [int(c.generate_state(1, np.uint64)[0]) >> 1
                                      for c in children]
    for w in (2, 8):
        for p in (1, 2, 4):
            for r in range(3):
                s = int(ds["seed"].sel(workers=w, gomaxprocs=p, replicate=r))
                res = gmp.simulate(worker_pool(workers=w), gomaxprocs=p, seed=s)
                row = ds.sel(workers=w, gomaxprocs=p, replicate=r)
                assert row["makespan_ns"] == res.makespan_ns
                assert row["steals"] == res.counters["steals"]
                assert row["latency_p99_ns"] == res.summary()["latency_p99_ns"]


def test_same_seed_same_dataset_other_seed_other_seeds():
    a = gmp.sweep(fanout, grid={"n": [100]}, replicates=2, seed=1)
    b = gmp.sweep(fanout, grid={"n": [100]}, replicates=2, seed=1)
    c = gmp.sweep(fanout, grid={"n": [100]}, replicates=2, seed=2)
    assert a.identical(b)
    assert not np.array_equal(a["seed"].values, c["seed"].values)
    assert "makespan_ns" in a and "latency_p50_ns" in a and "busy" in a


def test_processes_give_the_threads_result():
    kw = dict(grid={"n": [200, 300], "gomaxprocs": [1, 3]}, replicates=2, seed=5,
              metrics=["makespan_ns", "spills"])
    threads = gmp.sweep(fanout, **kw)
    with concurrent.futures.ProcessPoolExecutor(max_workers=2) as pool:
        procs = gmp.sweep(fanout, executor=pool, **kw)
    assert threads.identical(procs)


def test_dask_cluster_gives_the_same_result():
    distributed = pytest.importorskip("distributed")
    kw = dict(grid={"n": [200, 300], "gomaxprocs": [1, 3]}, replicates=2, seed=5,
              metrics=["makespan_ns", "spills"])
    local = gmp.sweep(fanout, **kw)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        remote = gmp.sweep(fanout, executor=client, **kw)
    assert local.identical(remote)


def test_ray_gives_the_same_result():
    """Ray where installed (not in the test extras: a large install): the
    same sweep as Ray tasks on a local Ray instance, bit for bit."""
    ray = pytest.importorskip("ray")
    kw = dict(grid={"n": [200, 300], "gomaxprocs": [1, 3]}, replicates=2, seed=5,
              metrics=["makespan_ns", "spills"])
    local = gmp.sweep(fanout, **kw)
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        remote = gmp.sweep(fanout, executor="ray", **kw)
    finally:
        ray.shutdown()
    assert local.identical(remote)


def test_a_failing_run_is_reported_and_the_rest_kept():
    def wl(stuck):
        w = gmp.Workload()
        ch = w.chan()
        w.main(gmp.cpu("1us"), *([gmp.recv(ch)] if stuck else []))
        return w

    with pytest.warns(RuntimeWarning, match="1 of 2 runs failed"):
        ds = gmp.sweep(wl, grid={"stuck": [False, True]}, metrics=["makespan_ns"])
    assert ds["makespan_ns"].sel(stuck=False, replicate=0) > 0
    assert np.isnan(ds["makespan_ns"].sel(stuck=True, replicate=0))
    (failure,) = ds.attrs["failures"]
    assert "'stuck': True" in failure and "seed" in failure and "Deadlock" in failure


@pytest.mark.parametrize("kwargs, exc, match", [
    (dict(grid={"nope": [1]}), ValueError, "'nope' is not an argument"),
    (dict(grid={"n": []}), ValueError, "'n' has no values"),
    (dict(grid={"seed": [1, 2]}), ValueError, "'seed' cannot be swept"),
    (dict(grid=[("n", [1])]), TypeError, "grid must be a dict"),
    (dict(grid={}, replicates=0), ValueError, "replicates must be an int >= 1"),
    (dict(grid={}, executor=object()), TypeError, "executor must be a concurrent.futures"),
    (dict(grid={}, metrics="makespan_ns"), TypeError, "metrics must be a list"),
    (dict(grid={}, bogus=3), ValueError, "'bogus' is not an argument of simulate"),
])
def test_bad_input_is_refused_before_any_run(monkeypatch, kwargs, exc, match):
    def no_run(*a, **k):
        raise AssertionError("a run started")
    monkeypatch.setattr(SIMULATE_MODULE, "simulate", no_run)
    with pytest.raises(exc, match=match):
        gmp.sweep(fanout, **kwargs)


@pytest.mark.parametrize("p, df, expected", [
    # Student t tables (two-sided 90/95/99 % at a few df; df large -> the normal's 1.960)
    (0.975, 1, 12.706), (0.975, 2, 4.303), (0.975, 4, 2.776), (0.95, 4, 2.132),
    (0.995, 10, 3.169), (0.975, 29, 2.045), (0.975, 10**6, 1.960), (0.025, 4, -2.776),
])
def test_t_quantile_matches_the_tables(p, df, expected):
    from gmpcore.sweep import t_quantile
    assert round(t_quantile(p, df), 3) == expected


def test_summarize_gives_mean_and_t_interval():
    """Five runs 1..5: mean 3, s = sqrt(2.5) = 1.5811; 95 %: 3 -+ 2.776 * 1.5811 / sqrt(5)."""
    from gmpcore.sweep import summarize
    ds = xr.Dataset({"m": (("gomaxprocs", "replicate"),
                           [[1.0, 2.0, 3.0, 4.0, 5.0], [7.0, 7.0, np.nan, 7.0, 7.0]])},
                    coords={"gomaxprocs": [1, 2], "replicate": np.arange(5)})
    s = summarize(ds)
    assert float(s["m"].sel(gomaxprocs=1)) == 3.0
    assert round(float(s["m_low"].sel(gomaxprocs=1)), 3) == round(3 - 2.776 * 1.5811 / 5**0.5, 3)
    assert round(float(s["m_high"].sel(gomaxprocs=1)), 3) == round(3 + 2.776 * 1.5811 / 5**0.5, 3)
    assert float(s["m_low"].sel(gomaxprocs=2)) == 7.0          # NaN runs left out, no spread
    with pytest.raises(ValueError, match="confidence must be in"):
        summarize(ds, confidence=1.5)
