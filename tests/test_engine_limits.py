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


FORGED_RUN_CALLS = [
    "r.go()", "r.result()", "r.view()", "r.trace_py()", "r.g_bytes()",
    "r.observe_options(False, None, 0, 1, -1, None, None, None)",
    "r.grow_log(); r.go()",
]


@pytest.mark.parametrize("call", FORGED_RUN_CALLS)
def test_run_object_without_setup_raises(call):
    """_engine._Run made by hand (not by run()) raises instead of running C
    code over an empty Engine; checked in a child so a crash fails the test."""
    import subprocess
    import sys
    code = ("from gmpcore import _engine\n"
            "r = _engine._Run.__new__(_engine._Run)\n"
            "try:\n"
            f"    {call}\n"
            "except RuntimeError as exc:\n"
            "    print('refused:', exc)\n")
    import tempfile
    # outside the checkout, so that the installed gmpcore is the one imported
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60, cwd=tempfile.gettempdir())
    assert out.returncode == 0, out.stderr
    assert "refused: _Run." in out.stdout


def test_run_object_runs_once():
    compiled = long_bursts()
    r = _engine._Run()
    r.setup(compiled, 1, 0, CostModel(), True, True, 100, 10**9, "main", 0, False, 10, False,
            None, 1_000_000)
    r.observe_options(False, None, 0, 1, -1, None, None, None)
    with pytest.raises(RuntimeError, match="this run object is set up"):
        r.setup(compiled, 1, 0, CostModel(), True, True, 100, 10**9, "main", 0, False, 10,
                False, None, 1_000_000)
    r.go()
    with pytest.raises(RuntimeError, match="finished"):
        r.go()
    assert r.result()["counters"]["events"] == 10
    with pytest.raises(RuntimeError, match="already taken"):
        r.result()
