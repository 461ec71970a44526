"""sync.Cond with Go 1.25's notifyList (sync/cond.go, runtime/sema.go
notifyListAdd/Wait/NotifyOne/NotifyAll), on both engines with check=True.

Expected values are derived by hand from Go's rules, restated at each
test.  One P, the ideal machine, zero runtime costs (tests/zero_costs.py),
sleeps of whole ms (an idle M waits for timers in netpoll, in whole ms).
``go`` puts the new G in runnext and the previous runnext at the queue's
tail; a parking G's P runs runnext, then the queue.  Main is G row 0
(goid 1), the n-th goroutine started row n (goid n + 1).
"""

import pytest

import gmpcore as gmp
from gmpcore.costs import CostModel
from gmpcore.events import EV_READY, EV_WAIT, WAIT_SYNC_COND_WAIT, WAIT_SYNC_MUTEX_LOCK
from zero_costs import events, run_exact, zero_costs

pytestmark = pytest.mark.empty_runtime   # hand-derived: main starts alone (conftest)

MS = 1_000_000


def run(wl, engine, costs=CostModel(**zero_costs()), **opts):
    opts.setdefault("gomaxprocs", 1)
    return run_exact(wl, engine, costs, **opts)


def waiters(locker, notify):
    # Three waiters W1..W3 (rows 1-3): lock, Wait, unlock inside a span, so
    # each row ends when its Wait has returned (the lock taken again).
    # main starts them: runnext = W3, queue = [W1, W2]; main sleeps.  At 0,
    # W3, W1, W2 run in that order: each locks (free: the one before
    # unlocked inside its Wait), takes a ticket (W3: 0, W1: 1, W2: 2),
    # unlocks and parks on the notify list in that order.
    wl = gmp.Workload()
    mu = wl.rwmutex() if locker == "rwmutex" else wl.mutex()
    c, wg = wl.cond(mu), wl.waitgroup()
    waiter = wl.program(gmp.span("wait", gmp.lock(mu), gmp.wait(c), gmp.unlock(mu)),
                        gmp.done(wg))
    wl.main(gmp.add(wg, 3), gmp.go(waiter, count=3), *notify(c), gmp.wait(wg))
    return wl


@pytest.mark.parametrize("locker", ["mutex", "rwmutex"])
def test_signal_wakes_in_ticket_order(engine, locker):
    # Signals at 1, 2 and 3 ms notify tickets 0, 1, 2: W3, then W1, then W2;
    # each re-locks (free) and ends its span when it runs, at the signal's time.
    wl = waiters(locker, lambda c: [gmp.sleep(MS), gmp.signal(c)] * 3)
    res = run(wl, engine)
    assert [(g, s, e) for _, g, s, e, _ in res.spans.tolist()] == \
        [(4, 0, MS), (2, 0, 2 * MS), (3, 0, 3 * MS)]
    parked = events(res, EV_WAIT, arg=WAIT_SYNC_COND_WAIT)
    assert parked["g"].tolist() == [3, 1, 2] and set(parked["time"].tolist()) == {0}
    assert res.makespan_ns == 3 * MS


def test_broadcast_wakes_all_in_list_order(engine):
    # One Broadcast at 1 ms readies W3, W1, W2 (the list's order) into
    # main's runnext one after the other: W2, readied last, runs first, then
    # W3 and W1 from the queue.  All spans end at 1 ms.
    wl = waiters("mutex", lambda c: [gmp.sleep(MS), gmp.broadcast(c)])
    res = run(wl, engine)
    ready = events(res, EV_READY)
    assert ready[(ready["time"] == MS) & (ready["g"] != 0)]["g"].tolist() == [3, 1, 2]
    assert [(g, s, e) for _, g, s, e, _ in res.spans.tolist()] == \
        [(3, 0, MS), (4, 0, MS), (2, 0, MS)]


def out_of_order(notify):
    # A list whose order is not the tickets' order.  Three Ps, the ideal
    # machine, every cost zero but `ready` = 5 ms.  Rows: A 1, C 2, B 3.
    # At 0 main starts A, C and B and sleeps 20 ms; the idle Ps' spinning Ms
    # steal A (P1) and C (P2), P0 runs B.  A locks mu and computes 1 ms; C's
    # Lock finds mu locked, spins (zero-cost spins) and parks in
    # sync.Mutex.Lock; B computes 2 ms.
    # 1 ms: A's Wait takes ticket 0 (notifyListAdd); its Unlock finds a
    #   waiter: unlockSlow (normal mode) takes it off the count, sets woken
    #   and readies C (semrelease): 5 ms of `ready`, so A reaches
    #   notifyListWait only at 6 ms.  mu is free meanwhile (C, stolen, locks
    #   and unlocks it at no cost).
    # 2 ms: B locks the free mu, takes ticket 1, unlocks (no waiter: no
    #   ready) and parks first.  6 ms: A parks.  The list is [B, A], the
    #   tickets A = 0, B = 1.
    # Then main's notifies (after its 20 ms sleep).
    wl = gmp.Workload()
    mu, wg = wl.mutex(), wl.waitgroup()
    c = wl.cond(mu)
    a = wl.program(gmp.lock(mu), gmp.cpu(MS), gmp.wait(c), gmp.unlock(mu), gmp.done(wg))
    cc = wl.program(gmp.lock(mu), gmp.unlock(mu), gmp.done(wg))
    b = wl.program(gmp.cpu(2 * MS), gmp.lock(mu), gmp.wait(c), gmp.unlock(mu), gmp.done(wg))
    wl.main(gmp.add(wg, 3), gmp.go(a), gmp.go(cc), gmp.go(b), gmp.sleep(20 * MS), *notify(c),
            gmp.wait(wg))
    return wl


@pytest.mark.parametrize("notify", ["signal", "broadcast"])
def test_signal_follows_tickets_broadcast_follows_the_list(engine, notify):
    # Go's notifyListNotifyOne notifies ticket `notify` (0) and searches the
    # list for the sudog holding it: A, though B heads the list; the second
    # Signal then finds ticket 1, B.  notifyListNotifyAll detaches the list
    # and readies it head first: B, then A.  A model that woke the list's
    # head on Signal, or sorted Broadcast by ticket, fails here.
    ops = {"signal": lambda c: [gmp.signal(c), gmp.sleep(MS), gmp.signal(c)],
           "broadcast": lambda c: [gmp.broadcast(c)]}[notify]
    res = run(out_of_order(ops), engine, gomaxprocs=3, cpus=None,
              costs=CostModel(**zero_costs(ready=5 * MS)))
    parked = events(res, EV_WAIT, arg=WAIT_SYNC_COND_WAIT)
    assert list(zip(parked["time"].tolist(), parked["g"].tolist())) == [(2 * MS, 3), (6 * MS, 1)]
    assert events(res, EV_WAIT, g=2)["arg"].tolist() == [WAIT_SYNC_MUTEX_LOCK]
    assert events(res, EV_READY, g=2)["time"].tolist() == [MS]      # A's unlockSlow
    woken = events(res, EV_READY)
    woken = woken[(woken["g"] == 1) | (woken["g"] == 3)]["g"].tolist()
    assert woken == ([1, 3] if notify == "signal" else [3, 1])


def test_signal_or_broadcast_without_waiters_does_nothing(engine):
    # wait == notify: Signal and Broadcast return at once; nothing is readied
    # and a later waiter still parks (until main's second Signal at 1 ms).
    wl = gmp.Workload()
    mu, wg = wl.mutex(), wl.waitgroup()
    c = wl.cond(mu)
    waiter = wl.program(gmp.lock(mu), gmp.wait(c), gmp.unlock(mu), gmp.done(wg))
    wl.main(gmp.signal(c), gmp.broadcast(c), gmp.add(wg, 1), gmp.go(waiter), gmp.sleep(MS),
            gmp.signal(c), gmp.wait(wg))
    res = run(wl, engine)
    assert events(res, EV_WAIT, g=1)["arg"].tolist() == [WAIT_SYNC_COND_WAIT]
    assert events(res, EV_READY, g=1)["time"].tolist() == [MS]
    assert res.makespan_ns == MS


def test_wait_locks_again(engine):
    # W waits at 0.  At 1 ms main locks, signals (W readied into runnext)
    # and sleeps holding the lock: W runs at 1 ms, its Lock finds the mutex
    # locked and parks in sync.Mutex.Lock.  main unlocks at 2 ms, waking W,
    # which takes the lock: W's span ends at 2 ms.
    wl = gmp.Workload()
    mu, wg = wl.mutex(), wl.waitgroup()
    c = wl.cond(mu)
    waiter = wl.program(gmp.span("wait", gmp.lock(mu), gmp.wait(c), gmp.unlock(mu)),
                        gmp.done(wg))
    wl.main(gmp.add(wg, 1), gmp.go(waiter), gmp.sleep(MS), gmp.lock(mu), gmp.signal(c),
            gmp.sleep(MS), gmp.unlock(mu), gmp.wait(wg))
    res = run(wl, engine)
    w = events(res, EV_WAIT, g=1)
    assert list(zip(w["time"].tolist(), w["arg"].tolist())) == \
        [(0, WAIT_SYNC_COND_WAIT), (MS, WAIT_SYNC_MUTEX_LOCK)]
    assert [(g, s, e) for _, g, s, e, _ in res.spans.tolist()] == [(2, 0, 2 * MS)]


def test_signalled_before_parking_does_not_park(engine):
    # Two Ps; the waiter's Unlock inside Wait costs 5 ms (mutex_unlock), so
    # it has its ticket (0) long before it reaches notifyListWait.  main's
    # CPU burst ends at 1 ms and it signals: wait 1 != notify 0, so ticket 0
    # is notified (notify = 1) though no waiter is on the list.  When the
    # waiter reaches notifyListWait, less(0, 1): it returns without parking.
    # Without the signal it would park forever (the control run deadlocks).
    costs = CostModel(**zero_costs(mutex_unlock=5 * MS))

    def build(signal):
        wl = gmp.Workload()
        mu, wg = wl.mutex(), wl.waitgroup()
        c = wl.cond(mu)
        waiter = wl.program(gmp.lock(mu), gmp.wait(c), gmp.done(wg))
        wl.main(gmp.add(wg, 1), gmp.go(waiter), gmp.cpu(MS), *([gmp.signal(c)] if signal else []),
                gmp.wait(wg))
        return wl

    res = run(build(True), engine, gomaxprocs=2, costs=costs)
    assert len(events(res, EV_WAIT, g=1, arg=WAIT_SYNC_COND_WAIT)) == 0
    assert len(events(res, EV_READY, g=1)) == 0          # the signal readied nobody
    with pytest.raises(gmp.Deadlock):
        run(build(False), engine, gomaxprocs=2, costs=costs)


def test_wait_without_the_lock_is_fatal(engine):
    # Cond.Wait unlocks its locker: without the lock, Go's fatal error.
    wl = gmp.Workload()
    c = wl.cond(wl.mutex())
    wl.main(gmp.wait(c))
    with pytest.raises(gmp.SyncFatal, match="sync: unlock of unlocked mutex"):
        run(wl, engine)
    wl = gmp.Workload()
    c = wl.cond(wl.rwmutex())
    wl.main(gmp.wait(c))
    with pytest.raises(gmp.SyncFatal, match="sync: Unlock of unlocked RWMutex"):
        run(wl, engine)


def test_cond_costs(engine):
    # Signal and Broadcast with no waiter (wait == notify) cost cond_op each.
    costs = CostModel(**zero_costs(cond_op=7))
    wl = gmp.Workload()
    c = wl.cond(wl.mutex())
    wl.main(gmp.signal(c), gmp.broadcast(c))
    assert run(wl, engine, costs=costs).makespan_ns == 14


@pytest.mark.parametrize("notify", ["signal", "broadcast"])
def test_cond_costs_per_woken_waiter(engine, notify):
    # cond_op = 7, cond_waiter = 1000, the rest zero.  main sleeps at 0;
    # the three waiters run in turn, each paying cond_op in notifyListAdd
    # and in notifyListWait, and park: 42 ns.  The idle M then waits in
    # netpoll for main's timer with a whole-millisecond timeout, so main
    # runs at 1 ms + 42 and notifies all three: one Broadcast is cond_op +
    # 3 cond_waiter = 3007 ns, three Signals 3 x (7 + 1000) = 3021 ns; then
    # main parks in wg.Wait and the waiters (lock free, zero costs) run and
    # end at once: the makespan is 1 ms + 42 + that.  (With `ready` charged
    # per waiter instead, as before cond_waiter, it would be + 7 or + 21.)
    ops = {"signal": lambda c: [gmp.sleep(MS)] + [gmp.signal(c)] * 3,
           "broadcast": lambda c: [gmp.sleep(MS), gmp.broadcast(c)]}[notify]
    costs = CostModel(**zero_costs(cond_op=7, cond_waiter=1000))
    res = run(waiters("mutex", ops), engine, costs=costs)
    assert res.makespan_ns == MS + 42 + {"signal": 3021, "broadcast": 3007}[notify]
    assert sorted(e for *_, e, _ in res.spans.tolist()) == [res.makespan_ns] * 3


def test_api():
    wl = gmp.Workload()
    rw = wl.rwmutex()
    c = wl.cond(rw)
    assert repr(c) == "<Cond 0 on rw0>" and c.locker is rw
    assert gmp.wait(c).size == 6            # NOTIFY_ADD, 2 unlock steps, NOTIFY_WAIT, 2 lock steps
    assert gmp.wait(wl.cond(wl.mutex())).size == 4
    with pytest.raises(TypeError, match="Workload.cond\\(\\) argument mu"):
        wl.cond(wl.waitgroup())
    with pytest.raises(ValueError, match="different Workload"):
        wl.cond(gmp.Workload().mutex())
    with pytest.raises(TypeError, match="signal\\(\\) argument c must be a Cond"):
        gmp.signal(rw)
    with pytest.raises(TypeError, match="wait\\(\\) argument wg must be a WaitGroup .* or a Cond"):
        gmp.wait(rw)
