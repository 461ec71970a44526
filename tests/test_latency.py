"""``/sched/latencies``: Go's histogram layout, and what the engines put in it.

The layout's known answers come from runtime/histogram.go's arithmetic
(go-runtime-wave2.md §8), worked out by hand below; the engines' contents
are checked against a hand-derived run and against an independent pairing
of the event log (every ``run`` of a G with the event that made it
runnable), never against the engines' own output.
"""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

import gmpcore as gmp
from gmpcore import _engine, scenarios
from gmpcore.costs import FIELDS
from gmpcore.events import (EV_CREATE, EV_READY, EV_RUN, EV_STOP, EV_SYSCALL_EXIT, STOP_GOSCHED,
                            STOP_PREEMPT)
from gmpcore.latency import BUCKETS_NS, BUCKETS_SECONDS, N_COUNTS, LatencyHistogram, bucket_index

from gmpcore.strategies import examples, run_options, workloads

pytestmark = pytest.mark.empty_runtime   # hand-derived: main starts alone (conftest)

ENGINES = ["compiled", "reference"]
ZERO_COSTS = {f: 0 for f in FIELDS}


# ---------------------------------------------------------------- the layout

@pytest.mark.parametrize("d, index", [
    # bucket 0 (bit length < 9): four 64 ns sub-buckets over [0, 256)
    (0, 1), (63, 1), (64, 2), (191, 3), (192, 4), (255, 4),
    # bucket 1 = bit length 9, [256, 512): sub-bucket = the 2 bits under the top bit
    (256, 5), (319, 5), (320, 6), (448, 8), (511, 8),
    # bucket 2 = [512, 1024), 128 ns sub-buckets
    (512, 9), (1000, 12), (1023, 12),
    # 100 us: bit length 17 -> bucket 9, (100000 >> 14) & 3 = 2 -> 1 + 36 + 2
    (100_000, 39),
    # the last bucket is bit length 47; 2**47 overflows; negatives underflow
    (2**47 - 1, 160), (2**47, 161), (2**62, 161), (-1, 0),
])
def test_bucket_index_known_answers(d, index):
    assert bucket_index(d) == index


def test_boundaries_are_gos():
    """-inf, 0, 64, 128, 192, then 2**(i-1) + j * 2**(i-3) for i in 9..47, 2**47, +inf."""
    assert BUCKETS_NS.shape == (N_COUNTS + 1,) == (163,)
    assert BUCKETS_NS[0] == -np.inf and BUCKETS_NS[-1] == np.inf
    assert BUCKETS_NS[1:9].tolist() == [0, 64, 128, 192, 256, 320, 384, 448]
    assert BUCKETS_NS[9:13].tolist() == [512, 640, 768, 896]
    assert BUCKETS_NS[-2] == 2**47
    assert (np.diff(BUCKETS_NS[1:-1]) > 0).all()
    assert np.array_equal(BUCKETS_SECONDS[1:-1] * 1e9, BUCKETS_NS[1:-1])


def test_every_boundary_starts_its_count():
    for i in range(1, N_COUNTS):
        lo = int(BUCKETS_NS[i])
        assert bucket_index(lo) == i
        if lo > 0:
            assert bucket_index(lo - 1) == i - 1


def test_compiled_bucket_arithmetic_equals_pythons():
    """The C lat_index against latency.bucket_index at every edge and around it."""
    edges = [int(b) + k for b in BUCKETS_NS[1:-1] for k in (-1, 0, 1)]
    edges += [2**62, 2**63 - 1, -1, -2**63]
    assert [_engine._lat_index(d) for d in edges] == [bucket_index(d) for d in edges]


def test_histogram_quantiles_and_bad_input():
    counts = np.zeros(N_COUNTS, dtype=np.uint64)
    counts[bucket_index(100)] = 1                  # [64, 128)
    counts[bucket_index(1000)] = 3                 # [896, 1024)
    h = LatencyHistogram(counts, total_ns=3100)
    assert h.count == 4 and h.mean_ns == 775.0
    assert h.quantile(0) == 64.0 and h.quantile(1) == 1024.0
    assert 64 <= h.quantile(0.25) <= 128 and 896 <= h.quantile(0.5) <= 1024
    assert np.isnan(LatencyHistogram(np.zeros(N_COUNTS)).quantile(0.5))
    with pytest.raises(ValueError, match="162 entries"):
        LatencyHistogram(np.zeros(10))
    with pytest.raises(ValueError, match=r"in \[0, 1\]"):
        h.quantile(1.5)
    assert h == LatencyHistogram(counts, total_ns=3100) and h != LatencyHistogram(counts, 0)


# ---------------------------------------------------------------- a hand-derived run

@pytest.mark.parametrize("engine", ENGINES)
def test_known_answer_waitgroup_run(engine):
    """GOMAXPROCS=1, every cost 0.  main: add, go worker, cpu 100us, wait.

    * t=0: main is created and runs at once: one episode of 0 ns.
    * The worker is created at t=0 into runnext; main keeps the P for its
      100 us burst, then parks in Wait; the worker runs at 100 us: 100,000 ns.
    * The worker's 1 us burst ends at 101 us; Done readies main into
      runnext; the worker exits; main runs at 101 us: 0 ns.
    """
    wl = gmp.Workload()
    wg = wl.waitgroup()
    worker = wl.program(gmp.cpu("1us"), gmp.done(wg))
    wl.main(gmp.add(wg, 1), gmp.go(worker), gmp.cpu("100us"), gmp.wait(wg))
    res = gmp.simulate(wl, gomaxprocs=1, costs=ZERO_COSTS, engine=engine)
    lat = gmp.scheduling_latency(res)
    expected = np.zeros(N_COUNTS, dtype=np.uint64)
    expected[1] = 2                                # the two 0 ns episodes
    expected[39] = 1                               # 100,000 ns (see the layout test)
    assert lat.counts.tolist() == expected.tolist()
    assert lat.total_ns == 100_000 and res.makespan_ns == 101_000


@pytest.mark.parametrize("engine", ENGINES)
def test_records_do_not_matter(engine):
    wl = scenarios.fanout(n=300, work="20us")
    a = gmp.simulate(wl, gomaxprocs=3, seed=2, engine=engine)
    b = gmp.simulate(wl, gomaxprocs=3, seed=2, engine=engine, record_goroutines=False)
    assert a.sched_latencies == b.sched_latencies and a.sched_latencies.count >= 301


# ---------------------------------------------------------------- against the event log

def latencies_from_log(events):
    """Each run's wait, paired by hand from the log: the latest event that
    made the G runnable (created, readied, yielded or preempted, or a slow
    syscall exit) before it ran."""
    since, out = {}, []
    for t, kind, _m, _p, g, arg in events.tolist():
        if kind in (EV_CREATE, EV_READY) or (kind == EV_STOP and arg in (STOP_GOSCHED,
                                                                           STOP_PREEMPT)) \
                or (kind == EV_SYSCALL_EXIT and arg == 2):
            since[g] = t
        elif kind == EV_RUN:
            out.append(t - since.pop(g))
    return out


@settings(max_examples=examples(60), deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(wl=workloads(), opts=run_options())
def test_histogram_is_every_run_of_the_event_log(wl, opts):
    opts = {k: v for k, v in opts.items()
            if k not in ("trace_window", "trace_goroutines", "max_trace_events")}
    res = gmp.simulate(wl, record_events=True, **opts)
    waits = latencies_from_log(res.events)
    expected = np.zeros(N_COUNTS, dtype=np.uint64)
    for w in waits:
        expected[bucket_index(w)] += 1
    assert res.sched_latencies.counts.tolist() == expected.tolist()
    assert res.sched_latencies.total_ns == sum(waits)


def test_netpoll_and_slow_syscall_wake_ups_are_counted():
    """Wake-ups by netpoll and after a syscall whose P was retaken are
    episodes too (the log marks both; the issue found them missing)."""
    wl = gmp.Workload()
    wg = wl.waitgroup()
    io = wl.program(gmp.netwait("200us"), gmp.cpu("5us"), gmp.done(wg))
    sc = wl.program(gmp.syscall("2ms"), gmp.cpu("5us"), gmp.done(wg))
    spin = wl.program(gmp.cpu("3ms"), gmp.done(wg))
    wl.main(gmp.add(wg, 12), gmp.go(io, count=4), gmp.go(sc, count=4), gmp.go(spin, count=4),
            gmp.wait(wg))
    res = gmp.simulate(wl, gomaxprocs=2, seed=1, record_events=True)
    ev = res.events
    assert ((ev["kind"] == EV_READY) & (ev["arg"] == 1)).any()           # netpoll
    assert ((ev["kind"] == EV_SYSCALL_EXIT) & (ev["arg"] == 2)).any()    # slow exit
    assert res.sched_latencies.count == int((ev["kind"] == EV_RUN).sum())
