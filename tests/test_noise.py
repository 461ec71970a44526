"""Seeded noise (gmpcore.noise, simulate(noise=...)): the draws' tables,
their determinism, what noise=False keeps, and behaviours that only a
jittering machine shows (docs/cost-model.md, "Noise")."""

from statistics import NormalDist

import numpy as np
import pytest

import gmpcore as gmp
from gmpcore.costs import DEFAULT_SPREAD, FIELDS, CostModel
from gmpcore.noise import ONE, QUANTILES, noise_seed, noise_tables
from zero_costs import zero_costs

pytestmark = pytest.mark.empty_runtime   # hand-derived: main starts alone (conftest)

ENGINES = ["compiled", "reference"]
US, MS = 1_000, 1_000_000


# ---------------------------------------------------------------- the tables

def test_tables_hold_each_fields_median_p10_and_p90():
    tables = noise_tables(CostModel())
    for name, (p10, p90) in DEFAULT_SPREAD.items():
        row = tables[FIELDS.index(name)] / ONE
        assert (np.diff(row) >= 0).all(), name                  # quantiles ascend
        # The median sits between the two middle quantiles.
        assert row[QUANTILES // 2 - 1] <= 1.0 <= row[QUANTILES // 2], name
        # Quantile i is at probability (i + 0.5) / 256: p10 lies between rows 25 and 26.
        assert row[25] <= p10 * 1.0001 and row[26] >= p10 * 0.9999, (name, row[25:27], p10)
        assert row[229] <= p90 * 1.0001 and row[230] >= p90 * 0.9999, (name, row[229:231], p90)


def test_a_split_lognormal_by_hand():
    # p10 = 0.5, p90 = 2: sigma = ln 2 / z90 on both sides, so quantile q is
    # exp(ln 2 * z(q) / z90); at q = 0.975 (row 249.1) that is 2**(1.95996/1.28155).
    row = noise_tables(CostModel(spread={"park": (0.5, 2.0)}))[FIELDS.index("park")] / ONE
    z = NormalDist().inv_cdf((249 + 0.5) / 256)
    assert row[249] == pytest.approx(2 ** (z / NormalDist().inv_cdf(0.9)), rel=1e-4)
    assert row[0] == pytest.approx(2 ** (NormalDist().inv_cdf(0.5 / 256) / 1.2815516), rel=1e-4)


def test_no_spread_is_exactly_one():
    row = noise_tables(CostModel(spread={"ready": (1, 1)}))[FIELDS.index("ready")]
    assert (row == ONE).all()


@pytest.mark.parametrize("spread, match", [
    ({"nope": (0.9, 1.1)}, "not a cost field"),
    ({"ready": (1.1, 1.2)}, "p10 <= 1"),
    ({"ready": (0.9, 0.95)}, "1 <= p90"),
    ({"ready": (0.01, 1.0)}, "0.05 <= p10"),
    ({"ready": (0.9, 9.0)}, "p90 <= 8.0"),
    ({"ready": "wide"}, "pair"),
])
def test_bad_spreads_are_refused_by_name(spread, match):
    with pytest.raises((ValueError, TypeError), match=match):
        CostModel(spread=spread)


def test_replace_merges_spreads():
    m = CostModel().replace(spread={"ready": (0.5, 2.0)})
    assert m.spread["ready"] == (0.5, 2.0)
    assert m.spread["thread_wake"] == DEFAULT_SPREAD["thread_wake"]


def test_the_noise_stream_is_not_the_schedulers():
    words = np.random.SeedSequence(7).generate_state(2, np.uint64)
    assert noise_seed(7) == int(words[1]) != int(words[0])


# ---------------------------------------------------------------- determinism and the switch

def _mixed():
    wl = gmp.Workload()
    wg = wl.waitgroup()
    ch = wl.chan(4)
    prod = wl.program(gmp.repeat(30, gmp.cpu("3us"), gmp.send(ch)), gmp.done(wg))
    cons = wl.program(gmp.repeat(30, gmp.recv(ch), gmp.sleep("20us"), gmp.syscall("40us")),
                      gmp.done(wg))
    wl.main(gmp.add(wg, 6), gmp.go(prod, count=3), gmp.go(cons, count=3), gmp.wait(wg))
    return wl


@pytest.mark.parametrize("engine", ENGINES)
def test_same_seed_same_run_other_seed_other_run(engine):
    a, b, c = (gmp.simulate(_mixed(), gomaxprocs=4, seed=s, engine=engine, record_events=True)
               for s in (5, 5, 6))
    assert np.array_equal(a.events, b.events) and a.makespan_ns == b.makespan_ns
    assert a.makespan_ns != c.makespan_ns


def test_engines_agree_with_noise_bit_for_bit():
    ref, cmp = (gmp.simulate(_mixed(), gomaxprocs=3, seed=11, engine=e, record_events=True,
                             check=True) for e in ENGINES)
    assert np.array_equal(ref.events, cmp.events)
    assert np.array_equal(ref.goroutines, cmp.goroutines)
    assert ref.counters == cmp.counters


@pytest.mark.parametrize("engine", ENGINES)
def test_noise_false_charges_each_cost_exactly(engine):
    # main: newproc (75) + 10 us of CPU, on one P: schedule 29 first.  Every
    # run with noise=False gives the same sum whatever the seed.
    wl = gmp.Workload()
    wl.main(gmp.cpu("10us"))
    exact = {gmp.simulate(wl, seed=s, engine=engine, noise=False, cpus=None).makespan_ns
             for s in range(5)}
    assert exact == {CostModel().schedule + 10 * US}
    noisy = {gmp.simulate(wl, seed=s, engine=engine, cpus=None).makespan_ns for s in range(20)}
    assert len(noisy) > 1
    lo, hi = DEFAULT_SPREAD["schedule"]
    # Each draw stays within the table's extreme quantiles.
    assert all(10 * US + 0.5 * lo * 29 <= t <= 10 * US + 2 * hi * 29 for t in noisy)


@pytest.mark.parametrize("engine", ENGINES)
def test_noise_leaves_the_workloads_own_draws_alone(engine):
    """Durations drawn by the workload come from their own stream: noise
    moves the costs, not the work."""
    wl = gmp.Workload()
    wl.main(gmp.repeat(50, gmp.cpu(gmp.exponential("10us"))))
    runs = [gmp.simulate(wl, seed=3, engine=engine, noise=n, cpus=None, record_goroutines=True)
            for n in (False, True)]
    assert runs[0].goroutines["running_ns"][0] == runs[1].goroutines["running_ns"][0]


# ---------------------------------------------------------------- timer_wake

@pytest.mark.parametrize("engine", ENGINES)
def test_a_timed_epoll_wait_expires_timer_wake_late(engine):
    """An idle program's 50 us sleep: the M blocks in epoll_wait with a 1 ms
    timeout (whole ms, §3.2 step 16) and runs again timer_wake later; with
    every other cost zero, main ends at 1 ms + timer_wake."""
    wl = gmp.Workload()
    wl.main(gmp.sleep("50us"))
    for wake in (0, 95 * US, 300 * US):
        res = gmp.simulate(wl, engine=engine, noise=False, cpus=None,
                           costs=zero_costs(timer_wake=wake))
        assert res.makespan_ns == MS + wake


# ---------------------------------------------------------------- what jitter changes

def _sleeps(n=200):
    wl = gmp.Workload()
    wl.main(gmp.repeat(n, gmp.sleep("50us")))
    return wl


def test_a_late_woken_m_catches_some_sleeps_early():
    """Go on this VM: Sleep(50us) at P=2 takes ~1.09 ms as a rule (epoll's
    ms timeout), but an M woken for the sleeper, arriving after its wake-up
    latency, finds the timer expired in some runs: bimodal sleeps (cost-model.md
    §2.5: Sleep(1us) at P=2, p10 1.7 us, p90 1.09 ms).  Exact wake-ups
    (43 us < 50 us) never catch one."""
    def per_sleep(res, n=200):
        return res.makespan_ns / n

    exact = gmp.simulate(_sleeps(), gomaxprocs=2, noise=False, record_events=True)
    assert exact.counters["netpolls"] == 200
    noisy = gmp.simulate(_sleeps(), gomaxprocs=2, seed=1)
    early = 200 - noisy.counters["netpolls"]
    assert 10 <= early <= 120, early          # both modes present, epoll's the larger
    assert per_sleep(noisy) < per_sleep(exact)


def _syscalls(length_us):
    wl = gmp.Workload()
    wg = wl.waitgroup()
    p = wl.program(gmp.repeat(20, gmp.syscall(f"{length_us}us"), gmp.cpu("5us")), gmp.done(wg))
    wl.main(gmp.add(wg, 8), gmp.go(p, count=8), gmp.wait(wg))
    return wl


def test_jitter_decides_whether_a_call_loses_its_p():
    """Syscalls of 190 us against sysmon's ~100 us loop: on the exact machine
    sysmon meets every call at the same phase, so whether a call is seen twice
    (and its P handed off) is the same for every seed; with noise, sysmon's
    usleep and the costs jitter, and the same program hands Ps off a few times
    in some runs and dozens of times in others."""
    exact = {gmp.simulate(_syscalls(190), gomaxprocs=2, seed=s, noise=False, cpus=None)
             .counters["handoffs"] for s in range(4)}
    noisy = [gmp.simulate(_syscalls(190), gomaxprocs=2, seed=s, cpus=None).counters["handoffs"]
             for s in range(16)]
    assert len(exact) == 1, exact
    assert min(noisy) <= 3 and max(noisy) >= 10, noisy
