"""The benchmarks in benchmarks/ run: every asv benchmark's setup and body once.

A broken benchmark fails here rather than in the next asv run.  Only
behaviour is checked (values positive and finite, every goroutine finished),
never timing.  benchmarks/side_by_side.py is not run.
"""

import doctest
import importlib.util
import inspect
import math
import os
from pathlib import Path

import pytest

import gmpcore as gmp

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
PREFIXES = ("time_", "peakmem_", "mem_", "track_")


def load(name, profile="quick"):
    """Import benchmarks/<name>.py afresh with GMPCORE_BENCH=`profile`."""
    old = os.environ.get("GMPCORE_BENCH")
    os.environ["GMPCORE_BENCH"] = profile
    try:
        spec = importlib.util.spec_from_file_location(f"_bench_{name}_{profile}",
                                                      BENCHMARKS / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    finally:
        if old is None:
            del os.environ["GMPCORE_BENCH"]
        else:
            os.environ["GMPCORE_BENCH"] = old


bench = load("bench_simulate")


def smallest(params):
    """The smallest number of each numeric axis; every value of a string axis
    (each workload kind is a different code path)."""
    axes = [[min(axis)] if all(isinstance(v, int) for v in axis) else list(axis)
            for axis in params]
    combos = [[]]
    for axis in axes:
        combos = [c + [v] for c in combos for v in axis]
    return combos


CASES = [(cls_name, meth)
         for cls_name, cls in inspect.getmembers(bench, inspect.isclass)
         if cls.__module__ == bench.__name__
         for meth in dir(cls) if meth.startswith(PREFIXES)]


def test_every_kind_of_benchmark_is_there():
    kinds = {meth.split("_")[0] for _, meth in CASES}
    assert {"time", "peakmem", "track"} <= kinds
    assert {meth for _, meth in CASES} >= {
        "track_goroutines_per_second", "track_events_per_second", "track_bytes_per_goroutine"}


_caches = {}


@pytest.mark.parametrize("cls_name, meth", CASES, ids=[f"{c}.{m}" for c, m in CASES])
def test_benchmark_runs_once(cls_name, meth):
    cls = getattr(bench, cls_name)
    if hasattr(cls, "setup_cache"):
        if cls_name not in _caches:
            _caches[cls_name] = cls().setup_cache()
        lead = (_caches[cls_name],)
    else:
        lead = ()
    for params in smallest(cls.params):
        obj = cls()
        args = (*lead, *params)
        if hasattr(obj, "setup"):
            obj.setup(*args)
        value = getattr(obj, meth)(*args)
        if hasattr(obj, "teardown"):
            obj.teardown(*args)
        if meth.startswith("track_"):
            assert isinstance(value, (int, float)) and math.isfinite(value), (params, value)
            assert value > 0 if "per_second" in meth else value >= 0, (params, value)


@pytest.mark.parametrize("kind", bench.WORKLOADS)
@pytest.mark.parametrize("n", [1, 7, 10, 13, 1000])
def test_workloads_finish(kind, n):
    res = gmp.simulate(bench.build(kind, n).compile(), gomaxprocs=3, seed=1)
    assert int((res.goroutines["state"] == 6).sum()) == n + 1       # and main
    assert res.counters["events"] > 0


def test_memory_child_reports_the_run():
    r = bench.measure_memory_in_child("fanout", 2000, 2)
    assert r["finished"] == 2001
    assert r["peak_rss"] >= r["rss_before"] > 0
    assert r["bytes_per_goroutine"] == (r["peak_rss"] - r["rss_before"]) / 2000


def test_profiles():
    large = load("bench_simulate", "large")
    goroutines, procs, kinds, records = large.Simulate.params
    assert min(goroutines) == 10**4 and max(goroutines) == 10**8
    assert min(procs) == 1 and max(procs) == 256
    assert kinds == ["fanout", "mixed", "mutex", "select"]
    assert records == ["full", "none"]
    assert max(bench.Simulate.params[0]) <= 10**5
    with pytest.raises(ValueError, match="GMPCORE_BENCH"):
        load("bench_simulate", "huge")


def test_simpy_model():
    pytest.importorskip("simpy")
    model = load("simpy_model")
    assert doctest.testmod(model).failed == 0
    # One P: main spawns everything first (no preemption), then runs each G.
    # The ring is full after spawn 257 (one G in runnext); spawn 258 spills
    # 128 + 1, spawn 386 fills it again and spills: 2 spills.
    r = model.run(n=500, nprocs=1, work_ns=1000, spawn_ns=100, switch_ns=0)
    assert (r["finished"], r["makespan_ns"], r["spills"], r["steals"]) == (
        500, 500 * 100 + 500 * 1000, 2, 0)
    r = model.run(n=2000, nprocs=4)
    assert r["finished"] == 2000 and r["steals"] > 0 and r["spills"] > 0
