"""counters["spinning_ns"]: the time Ms spend spinning (issue 16's "CPU burnt
spinning"), on both engines with check=True.

Every expected value is derived by hand from Go's rules (findRunnable's
spinning search, wakep, resetspinning, the delicate dance in drop_p).  All
costs are zero but steal_attempt = S, so a spinning search over GOMAXPROCS
Ps costs exactly S * (GOMAXPROCS - 1) and nothing else takes time but the
goroutines' own CPU work.
"""

import pytest

import gmpcore as gmp
from gmpcore.events import EV_SPIN
from zero_costs import events, run_exact, zero_costs

pytestmark = pytest.mark.empty_runtime   # hand-derived: main starts alone (conftest)

US = 1_000
S = 7 * US


def run(wl, engine, procs):
    return run_exact(wl, engine, zero_costs(steal_attempt=S), gomaxprocs=procs, cpus=None)


def one_worker(engine, procs):
    # main: wg.Add(1); go f(); wg.Wait().  f: 100 us of CPU; wg.Done().
    wl = gmp.Workload()
    wg = wl.waitgroup()
    f = wl.program(gmp.cpu(100 * US), gmp.done(wg))
    wl.main(gmp.add(wg, 1), gmp.go(f), gmp.wait(wg))
    return run(wl, engine, procs)


@pytest.mark.parametrize("procs", [2, 4])
def test_a_spinner_that_finds_nothing_spins_one_search(engine, procs):
    # t=0: newproc puts f in P0's runnext and calls wakep: an idle P, no
    # spinner, so startm(P1, spinning) makes M2 (thread_create = 0): it
    # starts spinning at 0 (spinning count 1).  main parks in Wait, P0 runs
    # f from runnext at 0.  M2's search over the other procs-1 Ps costs
    # S*(procs-1); f is running, no queue holds a G, so stealWork fails,
    # M2 drops its P and stops spinning at S*(procs-1) (the delicate
    # dance finds nothing either) and parks.  t=100us: f's Done readies
    # main (wakep: count 2, a spinner woken at 100us), f exits, P0 runs
    # main at 100us and main's exit ends the run at 100us: the second spin
    # lasts 0.  spinning_ns = S*(procs-1).
    res = one_worker(engine, procs)
    assert res.makespan_ns == 100 * US
    assert res.counters["spinning"] == 2
    assert res.counters["spinning_ns"] == S * (procs - 1)
    stop = events(res, EV_SPIN, arg=0)
    assert stop["time"].tolist() == [S * (procs - 1)]


def test_spins_ending_by_a_steal_and_by_dropping_the_p(engine):
    # GOMAXPROCS=2.  main: wg.Add(2); go f(); go g(); wg.Wait(); f: 200us
    # of CPU, g: 100us, each then wg.Done().
    # t=0: go f: f to P0's runnext, wakep starts M2 spinning on P1 (count
    # 1, spin from 0).  go g: g to runnext, f kicked to P0's ring; wakep
    # sees a spinner and does nothing.  main parks, P0 runs g.
    # t=S: M2's search (S*(2-1)) steals f from P0's ring: resetspinning
    # ends the spin at S (first spin: S); its wakep finds no idle P.
    # t=100us: g is done (count 2 -> 1, nothing readied); P0's M finds
    # nothing locally and 2*0 < 2-0, so it becomes spinning (count 2)
    # and searches for S: f is running on P1, nothing to steal, so at
    # 100us+S it drops P0 and stops spinning (second spin: S) and parks.
    # t=200us+S: f's Done readies main (wakep: count 3, a spinner started
    # at 200us+S), f exits, P1 runs main, whose exit ends the run then:
    # the third spin lasts 0.  spinning_ns = 2*S.
    wl = gmp.Workload()
    wg = wl.waitgroup()
    f = wl.program(gmp.cpu(200 * US), gmp.done(wg))
    g = wl.program(gmp.cpu(100 * US), gmp.done(wg))
    wl.main(gmp.add(wg, 2), gmp.go(f), gmp.go(g), gmp.wait(wg))
    res = run(wl, engine, 2)
    assert res.makespan_ns == 200 * US + S
    assert res.counters["spinning"] == 3
    assert res.counters["spinning_ns"] == 2 * S
    assert events(res, EV_SPIN, arg=0)["time"].tolist() == [S, 100 * US + S]


def test_spinning_ns_follows_the_search_cost(engine):
    # The spin of the first test is the search itself: doubling
    # steal_attempt doubles it (a broken clock that counted wake-ups or
    # the Ms' lifetimes would not scale so).
    wl = gmp.Workload()
    wg = wl.waitgroup()
    f = wl.program(gmp.cpu(100 * US), gmp.done(wg))
    wl.main(gmp.add(wg, 1), gmp.go(f), gmp.wait(wg))
    res = run_exact(wl, engine, zero_costs(steal_attempt=2 * S), gomaxprocs=3, cpus=None)
    assert res.counters["spinning_ns"] == 2 * S * 2
