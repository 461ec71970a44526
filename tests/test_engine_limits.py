"""Engine behaviours the review of issue 10 found wrong in both engines:
cancelled events kept in memory, the WaitGroup counter's width, lognormal
with median 0.  Expected values come from Go's semantics, stated per test."""

import numpy as np
import pytest

import gmpcore as gmp
from gmpcore import _engine
from gmpcore.costs import CostModel
from gmpcore.reference.engine import RefEngine

ENGINES = ["compiled", "reference"]


def long_bursts():
    """Two goroutines that each compute for 1000 s on one P: sysmon preempts
    one of them every 10 ms, ~10**5 times, each cancelling a burst's end."""
    wl = gmp.Workload()
    wg = wl.waitgroup()
    burn = wl.program(gmp.cpu("1000s"), gmp.done(wg))
    wl.main(gmp.add(wg, 2), gmp.go(burn, count=2), gmp.wait(wg))
    return wl.compile()


@pytest.mark.parametrize("run", [_engine.run, lambda c, **kw: RefEngine(c, **kw).run()],
                         ids=ENGINES)
def test_cancelled_events_do_not_pile_up(run):
    kw = dict(gomaxprocs=1, costs=CostModel(), record_events=False,
              max_events=20_000 if run is not _engine.run else 600_000)
    raw = run(long_bursts(), **kw)
    assert raw["counters"]["preemptions"] >= (1_000 if run is not _engine.run else 50_000)
    # Before: one stale event per preemption stayed in the heap until 1000 s.
    assert raw["heap_slots"] <= 256


def test_cancelled_events_are_not_counted_or_seen():
    """A run whose preemptions cancel events: both engines agree, and the
    event count is the number of live events dispatched."""
    from test_engine_differential import assert_same_outcome
    wl = gmp.Workload()
    burn = wl.program(gmp.cpu("25ms"))
    wl.main(gmp.go(burn, count=3), gmp.cpu("30ms"))
    kind, res = assert_same_outcome(wl, gomaxprocs=1, seed=1, monitor="1ms")
    assert kind == "ok" and res.counters["preemptions"] >= 3


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("deltas", [
    (2**31,),               # Add(1<<31): int32(0 + 1<<31) = -2**31 < 0
    (2**31 - 1, 1),         # 2**31 - 1 + 1 wraps to -2**31
    (-(2**31),),            # plainly negative
])
def test_waitgroup_counter_is_int32(engine, deltas):
    """sync.WaitGroup.Add: state.Add(uint64(delta) << 32); v := int32(state >> 32);
    v < 0 panics "sync: negative WaitGroup counter"."""
    wl = gmp.Workload()
    wg = wl.waitgroup()
    wl.main(*[gmp.add(wg, d) for d in deltas])
    with pytest.raises(gmp.WorkloadPanic, match="sync: negative WaitGroup counter"):
        gmp.simulate(wl, engine=engine)


@pytest.mark.parametrize("engine", ENGINES)
def test_waitgroup_counter_reads_back_as_int32(engine):
    """Add(2**31 - 1) twice: the state's high word is 2**32 - 2, which
    int32() reads as -2, so the second Add panics (the sum fits in an
    int64, which is why a 64-bit counter accepted it)."""
    wl = gmp.Workload()
    wg = wl.waitgroup()
    wl.main(gmp.add(wg, 2**31 - 1), gmp.add(wg, 2**31 - 1))
    with pytest.raises(gmp.WorkloadPanic, match="negative WaitGroup counter"):
        gmp.simulate(wl, engine=engine)


@pytest.mark.parametrize("engine", ENGINES)
def test_lognormal_with_median_zero_draws_zero(engine):
    """median 0: every draw is 0, whatever sigma (0 * exp(z) = 0), even for
    z past exp()'s range, where the clamp used to give 2**53 ns."""
    wl = gmp.Workload()
    wl.main(gmp.repeat(200, gmp.sleep(gmp.lognormal(0, 1000.0)), gmp.cpu("1us")))
    for seed in range(3):
        res = gmp.simulate(wl, seed=seed, engine=engine)
        assert res.makespan_ns < 10**6       # 200 x 1 us of CPU, no 2**53 ns sleep
