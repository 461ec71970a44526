"""sync.Mutex with Go 1.25's semantics (internal/sync/mutex.go, runtime/sema.go),
on both engines with check=True.

Every expected value is derived by hand from Go's rules, restated at each
test; the costs are set to distinct round numbers so that sums identify
what was charged.
"""

import pytest

import gmpcore as gmp
from gmpcore.costs import CostModel
from gmpcore.events import (EV_READY, EV_RUN, EV_STOP, EV_WAIT, STOP_GOSCHED, WAIT_REASONS,
                            WAIT_SYNC_MUTEX_LOCK, WAIT_WAITGROUP)
from gmpcore.model import ACTIVE_SPIN, NETPOLL_RESOLUTION, STARVATION_THRESHOLD_NS
from zero_costs import events, run_exact

pytestmark = pytest.mark.empty_runtime   # hand-derived: main starts alone (conftest)

US, MS = 1_000, 1_000_000
COSTS = CostModel(mutex_lock=7, mutex_unlock=11, mutex_spin=10 * US)


def run(wl, engine, costs=COSTS, **opts):
    return run_exact(wl, engine, costs, **opts)


def test_uncontended_lock_unlock_costs_exactly_the_two_costs(engine):
    # Fast paths: Lock's CAS 0 -> locked, Unlock's add leaving 0.  Nothing
    # else happens, so main finishes mutex_lock + mutex_unlock later.
    wl = gmp.Workload()
    wl.main(gmp.cpu(1))
    base = run(wl, engine)
    wl = gmp.Workload()
    mu = wl.mutex()
    wl.main(gmp.cpu(1), gmp.lock(mu), gmp.unlock(mu))
    res = run(wl, engine)
    assert res.makespan_ns - base.makespan_ns == 7 + 11
    assert res.goroutines["running_ns"][0] - base.goroutines["running_ns"][0] == 7 + 11
    assert len(res.events) == len(base.events)


def contended_on_one_p(engine, **costs):
    # main locks, starts w and sleeps (a Gosched would run main again: its
    # first slice inherited, schedtick is 0 and schedtick%61 == 0 looks at
    # the global queue first); w finds the mutex locked, cannot spin
    # (GOMAXPROCS=1), adds itself as a waiter and parks on the semaphore.
    # main's Unlock sees a waiter, nobody Woken: it sets Woken, takes one
    # waiter off the count and semreleases, readying w into main's runnext.
    wl = gmp.Workload()
    mu, wg = wl.mutex(), wl.waitgroup()
    w = wl.program(gmp.lock(mu), gmp.unlock(mu), gmp.done(wg))
    wl.main(gmp.add(wg, 1), gmp.lock(mu), gmp.go(w), gmp.sleep(10 * US), gmp.unlock(mu),
            gmp.wait(wg))
    return run(wl, engine, gomaxprocs=1, costs=COSTS.replace(**costs))


def test_second_goroutine_parks_and_unlock_readies_it(engine):
    res = contended_on_one_p(engine)
    w_run = events(res, EV_RUN, g=1)["time"]
    w_park = events(res, EV_WAIT, g=1)
    assert w_park["arg"].tolist() == [WAIT_SYNC_MUTEX_LOCK]
    assert w_park["time"][0] == w_run[0]              # no spin: lockSlow parks at once
    ready = events(res, EV_READY, g=1)
    assert len(ready) == 1 and ready["p"][0] == 0 and ready["arg"][0] == -1   # main's runnext
    # main pays mutex_unlock + ready for the wake-up, then parks in Wait.
    main_wait = events(res, EV_WAIT, g=0, arg=WAIT_WAITGROUP)
    assert main_wait["time"][0] == ready["time"][0] + 11 + COSTS.ready
    # w takes the semaphore's count, finds the mutex unlocked and takes it.
    assert w_run[1] > ready["time"][0] and len(events(res, EV_WAIT, g=1)) == 1


def test_one_p_never_spins(engine):
    # canSpin needs GOMAXPROCS > npidle + nmspinning + 1: never with one P.
    slow = contended_on_one_p(engine, mutex_spin=MS)
    fast = contended_on_one_p(engine, mutex_spin=0)
    assert (slow.events == fast.events).all() and slow.makespan_ns == fast.makespan_ns


def two_ps(engine, hold, cpus=None, **costs):
    # main holds the mutex for `hold` while w, on the other P, tries to lock it.
    wl = gmp.Workload()
    mu, wg = wl.mutex(), wl.waitgroup()
    w = wl.program(gmp.lock(mu), gmp.unlock(mu), gmp.done(wg))
    wl.main(gmp.add(wg, 1), gmp.lock(mu), gmp.go(w), gmp.cpu(hold), gmp.unlock(mu),
            gmp.wait(wg))
    c = COSTS.replace(thread_create=0, thread_wake=0, **costs)
    return run(wl, engine, gomaxprocs=2, costs=c, cpus=cpus), c


def test_spins_four_times_then_parks(engine):
    # Both Ps run, w's run queue is empty: canSpin(i) holds for i < 4; each
    # spin is mutex_spin of CPU.  Still locked after 4 spins: w parks.
    res, c = two_ps(engine, 5 * MS)
    w_run = events(res, EV_RUN, g=1)["time"][0]
    park = events(res, EV_WAIT, g=1)
    assert park["arg"].tolist() == [WAIT_SYNC_MUTEX_LOCK]
    assert park["time"][0] == w_run + ACTIVE_SPIN * c.mutex_spin


def test_spin_wins_the_lock_without_parking(engine):
    # main unlocks between two of w's looks at the state (w, stolen by the
    # other P, starts at t_w ~ 83 us): the next look finds it free and
    # takes it, no park.
    spin = 30 * US
    res, c = two_ps(engine, 128 * US, mutex_spin=spin)
    t_main = events(res, EV_RUN, g=0)["time"][0]
    t_w = events(res, EV_RUN, g=1)["time"][0]
    # main: add (wg_op), lock, go (newproc), cpu(hold), then Unlock.
    t_unlock = t_main + c.wg_op + c.mutex_lock + c.newproc + 128 * US
    k = -(-(t_unlock - t_w) // spin)                  # looks at t_w + k*spin
    assert 0 < t_unlock - t_w and k <= ACTIVE_SPIN - 1 and (t_unlock - t_w) % spin
    assert len(events(res, EV_WAIT, g=1)) == 0
    # w: lock at t_w + k*spin (+mutex_lock), unlock (+mutex_unlock), then
    # Done readies main, parked in Wait since t_unlock + mutex_unlock.
    assert events(res, EV_READY, g=0)["time"][0] == t_w + k * spin + c.mutex_lock + c.mutex_unlock


def test_starvation_mode_hands_off_in_fifo_order(engine):
    # GOMAXPROCS=1.  main locks and starts w1..w3 (G1..G3): runnext holds
    # G3, the run queue G1, G2; main sleeps.  G3, G1, G2 park in that
    # order (FIFO).  main holds on for 2 ms, unlocks (normal
    # mode: wakes the head, G3, into runnext), relocks at once (a woken
    # waiter competes with newcomers) and yields.  G3 has waited > 1 ms:
    # starving; it finds the mutex locked, sets mutexStarving and queues at
    # the head (it has waited before).  From now on Unlock hands the lock
    # over: main -> G3 -> G1 -> G2, each releaser goyields; G2 is the last
    # waiter, so it leaves starvation mode and its Unlock is the fast path.
    wl = gmp.Workload()
    mu, wg = wl.mutex(), wl.waitgroup()
    w = wl.program(gmp.lock(mu), gmp.unlock(mu), gmp.done(wg))
    wl.main(gmp.add(wg, 3), gmp.lock(mu), gmp.go(w, count=3), gmp.sleep(10 * US),
            gmp.cpu(2 * MS), gmp.unlock(mu), gmp.lock(mu), gmp.gosched(), gmp.unlock(mu),
            gmp.wait(wg))
    res = run(wl, engine, gomaxprocs=1)
    ready = events(res, EV_READY)
    assert [g for g in ready["g"].tolist() if g != 0] == [3, 3, 1, 2]
    parks = events(res, EV_WAIT, arg=WAIT_SYNC_MUTEX_LOCK)["g"].tolist()
    assert parks == [3, 1, 2, 3]
    yields = events(res, EV_STOP, arg=STOP_GOSCHED)["g"].tolist()
    assert yields == [0, 0, 3, 1]             # main's Gosched, then a goyield per hand-off
    # G3 waited more than the threshold before it starved the mutex.
    assert events(res, EV_RUN, g=3)["time"][1] - events(res, EV_RUN, g=3)["time"][0] \
        > STARVATION_THRESHOLD_NS


def test_unlock_of_unlocked_mutex_is_fatal(engine):
    wl = gmp.Workload()
    mu = wl.mutex()
    wl.main(gmp.lock(mu), gmp.unlock(mu), gmp.unlock(mu))
    with pytest.raises(gmp.SyncFatal) as exc:
        run(wl, engine)
    assert str(exc.value) == "fatal error: sync: unlock of unlocked mutex\n\ngoroutine 1 [running]"
    assert not isinstance(exc.value, gmp.WorkloadPanic)


def test_lock_twice_deadlocks_waiting_in_sync_mutex_lock(engine):
    wl = gmp.Workload()
    mu = wl.mutex()
    wl.main(gmp.lock(mu), gmp.lock(mu))
    with pytest.raises(gmp.Deadlock) as exc:
        run(wl, engine)
    assert WAIT_REASONS[WAIT_SYNC_MUTEX_LOCK] == "sync.Mutex.Lock"
    assert "[sync.Mutex.Lock" in str(exc.value)


def test_any_goroutine_may_unlock(engine):
    # Go's mutexes are not owned: w unlocks what main locked, and main's
    # second Lock parks until then.
    wl = gmp.Workload()
    mu = wl.mutex()
    w = wl.program(gmp.unlock(mu))
    wl.main(gmp.lock(mu), gmp.go(w), gmp.lock(mu), gmp.unlock(mu))
    res = run(wl, engine, gomaxprocs=1)
    assert events(res, EV_WAIT, g=0)["arg"].tolist() == [WAIT_SYNC_MUTEX_LOCK]


@pytest.mark.parametrize("procs", [1, 2, 4])
def test_contended_counter_is_identical_on_both_engines(procs):
    wl = gmp.Workload()
    mu, wg = wl.mutex(), wl.waitgroup()
    w = wl.program(gmp.repeat(50, gmp.lock(mu), gmp.cpu(gmp.uniform(50, 400_000)),
                              gmp.unlock(mu), gmp.cpu(gmp.exponential(2_000))), gmp.done(wg))
    wl.main(gmp.add(wg, 10), gmp.go(w, count=10), gmp.wait(wg))
    ref, cmp = (run(wl, e, gomaxprocs=procs, seed=3, costs=None) for e in ("reference", "compiled"))
    assert (ref.events == cmp.events).all() and ref.makespan_ns == cmp.makespan_ns
    # The lock serialises the critical sections: at least their sum.
    assert ref.makespan_ns > 0


@pytest.mark.parametrize("procs", [1, 2])
def test_go_mutex_fairness(engine, procs):
    # Go's sync TestMutexFairness: one goroutine holds the mutex in a loop
    # (Lock, Sleep(100µs), Unlock); another wants it 10 times, each after
    # Sleep(100µs), and must get it within 10 s.  With everyone asleep the
    # M waits in epoll, whose timeout is whole ms: each sleep lasts about
    # NETPOLL_RESOLUTION (1 ms), and so does each hold H.  Woken in normal
    # mode the waiter loses every race to the hog, which relocks as soon as
    # it unlocks; the first time it wakes having waited > 1 ms (after at
    # most 2 holds) it starves the mutex, and the hog's next Unlock (one more
    # hold) hands it over.  A round is at most its sleep plus 3 holds.
    wl = gmp.Workload()
    mu, wg = wl.mutex(), wl.waitgroup()
    hog = wl.program(gmp.repeat(100_000, gmp.lock(mu), gmp.sleep(100 * US), gmp.unlock(mu)))
    other = wl.program(gmp.repeat(10, gmp.sleep(100 * US), gmp.lock(mu), gmp.unlock(mu)),
                       gmp.done(wg))
    wl.main(gmp.add(wg, 1), gmp.go(hog), gmp.go(other), gmp.wait(wg))
    res = run(wl, engine, gomaxprocs=procs, costs=None)
    hold = NETPOLL_RESOLUTION + 100 * US                # a sleep, with slack for the costs
    assert STARVATION_THRESHOLD_NS <= 2 * hold
    assert res.makespan_ns < 10 * (hold + 3 * hold) < 10 * 10**9
    # and it did wait: starvation mode, not luck, let it in
    assert len(events(res, EV_WAIT, g=2, arg=WAIT_SYNC_MUTEX_LOCK)) >= 10


def test_starvation_mode_ends_with_a_waiter_that_waited_less_than_1ms(engine):
    # As test_starvation_mode_hands_off_in_fifo_order, but after its 2 ms
    # main also starts G4 and G5 (runnext G5, run queue G4; main's Unlock
    # then readies G3 into runnext, pushing G5 behind G4).  They queue
    # behind G3, G1, G2, which have waited > 1 ms; the hand-offs G3 -> G1 ->
    # G2 -> G4 take microseconds, so G4 has waited < 1 ms: taking the mutex
    # it leaves starvation mode although G5 still waits.  G4's Unlock is
    # then normal mode: it wakes G5 (no hand-off, no goyield).
    wl = gmp.Workload()
    mu, wg = wl.mutex(), wl.waitgroup()
    w = wl.program(gmp.lock(mu), gmp.unlock(mu), gmp.done(wg))
    wl.main(gmp.add(wg, 5), gmp.lock(mu), gmp.go(w, count=3), gmp.sleep(10 * US),
            gmp.cpu(2 * MS), gmp.go(w, count=2), gmp.unlock(mu), gmp.lock(mu), gmp.gosched(),
            gmp.unlock(mu), gmp.wait(wg))
    res = run(wl, engine, gomaxprocs=1)
    assert [g for g in events(res, EV_READY)["g"].tolist() if g != 0] == [3, 3, 1, 2, 4, 5]
    # G3, G1, G2 before main's 2 ms; then G3 again (at the head), G4, G5
    assert events(res, EV_WAIT, arg=WAIT_SYNC_MUTEX_LOCK)["g"].tolist() == [3, 1, 2, 3, 4, 5]
    assert events(res, EV_STOP, arg=STOP_GOSCHED)["g"].tolist() == [0, 0, 3, 1, 2]


def test_a_newcomer_takes_the_count_of_a_woken_waiter_who_queues_again(engine):
    # semacquire1's loop.  GOMAXPROCS=1.  G1 parks on the locked mutex.
    # main unlocks: the semaphore's count is 1 and G1 is readied into
    # runnext.  main relocks at once (barging), starts G2 (runnext; G1 to
    # the run queue) and sleeps.  G2 finds the mutex locked, counts itself
    # as a waiter and, in semacquire, takes the count (no park); it has
    # been woken as far as lockSlow knows: it clears mutexWoken, counts
    # itself again and, having "waited" before, queues at the head.  G1 then
    # runs, finds no count and queues again at the tail (its first wait).
    # main's next Unlock wakes G2 first; G2's Unlock wakes G1.
    wl = gmp.Workload()
    mu, wg = wl.mutex(), wl.waitgroup()
    w = wl.program(gmp.lock(mu), gmp.unlock(mu), gmp.done(wg))
    wl.main(gmp.add(wg, 2), gmp.lock(mu), gmp.go(w), gmp.sleep(10 * US), gmp.unlock(mu),
            gmp.lock(mu), gmp.go(w), gmp.sleep(10 * US), gmp.unlock(mu), gmp.wait(wg))
    res = run(wl, engine, gomaxprocs=1)
    assert [g for g in events(res, EV_READY)["g"].tolist() if g != 0] == [1, 2, 1]
    assert events(res, EV_WAIT, arg=WAIT_SYNC_MUTEX_LOCK)["g"].tolist() == [1, 2, 1]
    # G2 parked without ever being readied before: it took G1's count
    g2 = res.events[res.events["g"] == 2]
    assert g2["kind"].tolist().index(EV_WAIT) < g2["kind"].tolist().index(EV_READY)


def test_one_cpu_never_spins(engine):
    # canSpin's numCPUStartup > 1: on a one-CPU machine (cpus=1) w parks at
    # once, even with two Ps running (the OS shares the CPU: w's M only gets
    # it after a few ms, so main holds the mutex for 50 ms).  With two CPUs
    # it spins four times first.
    res, c = two_ps(engine, 50 * MS, cpus=1)
    w_run = events(res, EV_RUN, g=1)["time"][0]
    park = events(res, EV_WAIT, g=1)
    assert park["arg"].tolist() == [WAIT_SYNC_MUTEX_LOCK] and park["time"][0] == w_run
    res2, _ = two_ps(engine, 50 * MS, cpus=2)
    park2 = events(res2, EV_WAIT, g=1)
    assert park2["time"][0] - events(res2, EV_RUN, g=1)["time"][0] == ACTIVE_SPIN * c.mutex_spin
