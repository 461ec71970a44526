"""benchmarks/bench_gotrace.py runs, and its generated trace is what it says.

synthetic_trace(n, procs=P, goroutines_per_proc=K, per_gen=G) makes n // 3
steps, each a GoStart, a GoUnblock of the goroutine that ran before on that
M (except each M's very first step: nothing is blocked yet) and a GoBlock;
each generation starts with one ProcStatus per M and one GoStatus per
goroutine.  So, by hand, for n = 3000, P = 4, K = 8, G = 1200 (400 steps per
generation, 1000 steps: generations of 400, 400, 200):
GoStart = GoBlock = 1000, GoUnblock = 1000 - 4 = 996, ProcStatus = 3 * 4 = 12,
GoStatus = 3 * 32 = 96, Sync = 3 + 1 (Go's final one).
"""

import importlib.util
import os
from collections import Counter
from pathlib import Path

import gmpcore as gmp


def load():
    path = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_gotrace.py"
    spec = importlib.util.spec_from_file_location("_bench_gotrace", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_synthetic_trace_counts():
    bench = load()
    tr = gmp.read_go_trace(bench.synthetic_trace(3000, procs=4, goroutines_per_proc=8,
                                                 per_gen=1200))
    counts = Counter(tr.kind_names().tolist())
    assert tr.generations == 3
    assert counts == {"GoStart": 1000, "GoBlock": 1000, "GoUnblock": 996, "ProcStatus": 12,
                      "GoStatus": 96, "Sync": 4}
    assert len(tr.goroutines) == 32


def test_benchmark_runs_once():
    os.environ.setdefault("GMPCORE_BENCH", "quick")
    bench = load()
    b = bench.ReadGoTrace()
    b.setup(3000)
    try:
        b.time_read(3000)
        assert b.track_events_per_second(3000) > 0
        b.peakmem_read(3000)
    finally:
        b.teardown(3000)
