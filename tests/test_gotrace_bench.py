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


def test_reading_whole_says_when_it_will_not_fit(monkeypatch):
    # A large trace is read in two passes, the first counting its events: if
    # they would take more than the memory available it is refused with a
    # MemoryError naming iter_go_trace, which reads it a generation at a
    # time; with the memory there, the same events as in one pass.
    from gmpcore.gotrace import reader

    data = load().synthetic_trace(30_000, per_gen=3_000)        # 10 generations
    whole = gmp.read_go_trace(data)
    assert whole.generations == 10
    monkeypatch.setattr(reader, "LARGE_TRACE_BYTES", 0)
    monkeypatch.setattr(reader, "available_memory", lambda: 10 * whole.events.nbytes)
    again = gmp.read_go_trace(data)
    assert (again.events == whole.events).all()
    monkeypatch.setattr(reader, "available_memory", lambda: whole.events.nbytes // 2)
    try:
        gmp.read_go_trace(data)
    except MemoryError as err:
        assert "iter_go_trace" in str(err)
        assert f"({reader.EVENT_DTYPE.itemsize} bytes each)" in str(err)
    else:
        raise AssertionError("no MemoryError")
    parts = list(gmp.gotrace.iter_go_trace(data))
    assert sum(len(p.events) for p in parts) == len(whole.events)
