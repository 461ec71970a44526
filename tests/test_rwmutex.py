"""sync.RWMutex with Go 1.25's semantics (sync/rwmutex.go, runtime/sema.go),
on both engines with check=True.

Every expected value is derived by hand from Go's rules, restated at each
test.  The runs use one P, the ideal machine (cpus=None) and zero runtime
costs (tests/zero_costs.py), so that only sleeps and CPU bursts take time
(sleeps of whole ms: an idle M waits for a timer in netpoll, whose timeout
is in whole ms), and the order of runs follows the run queue: ``go`` puts the new G in
runnext and pushes the previous runnext to the tail of the local queue; a
parking G's P runs runnext first, then the queue in order.  Rows: main is G
row 0 (goid 1), the n-th goroutine started is row n (goid n + 1).
"""

import pytest

import gmpcore as gmp
from gmpcore.costs import CostModel
from gmpcore.events import (EV_READY, EV_RUN, EV_WAIT, WAIT_SYNC_MUTEX_LOCK,
                            WAIT_SYNC_RWMUTEX_LOCK, WAIT_SYNC_RWMUTEX_RLOCK)
from zero_costs import events, run_exact, zero_costs

pytestmark = pytest.mark.empty_runtime   # hand-derived: main starts alone (conftest)

US, MS = 1_000, 1_000_000


def run(wl, engine, costs=CostModel(**zero_costs()), **opts):
    opts.setdefault("gomaxprocs", 1)
    return run_exact(wl, engine, costs, **opts)


def held(res):
    """(goid, start, end) of each 'held' span, in the order they ended."""
    return [(g, s, e) for _, g, s, e, _ in res.spans.tolist()]


def test_readers_share(engine):
    # Three readers: RLock adds 1 to readerCount (1, 2, 3), never negative,
    # so none waits; each holds the read lock over a 1 ms sleep.  All
    # three sleep from 0 to 1 ms together: main's Wait returns at 1 ms
    # (3 ms if they excluded each other).  Run order: reader 3 (runnext),
    # then readers 1 and 2 from the queue, all at time 0.
    wl = gmp.Workload()
    rw, wg = wl.rwmutex(), wl.waitgroup()
    reader = wl.program(gmp.rlock(rw), gmp.span("held", gmp.sleep(MS)), gmp.runlock(rw),
                        gmp.done(wg))
    wl.main(gmp.add(wg, 3), gmp.go(reader, count=3), gmp.wait(wg))
    res = run(wl, engine)
    assert res.makespan_ns == MS
    # The three timers fire at 1 ms in the order the readers slept (R3, R1,
    # R2), each readying its G into runnext: R2, readied last, runs first,
    # then R3 and R1 from the queue; each ends its span as it runs.
    assert held(res) == [(3, 0, MS), (4, 0, MS), (2, 0, MS)]
    assert len(events(res, EV_WAIT, arg=WAIT_SYNC_RWMUTEX_RLOCK)) == 0


def writer_and_readers(engine):
    # main starts the writer W (row 1), then readers R1 (row 2) and R2 (row 3):
    # runnext = R2, queue = [W, R1].  Main parks in Wait at 0.
    #   0: R2 RLock: readerCount 1, holds the read lock, sleeps to 1 ms.
    #   0: W: w.Lock() (free); announce: readerCount 1 - 2**30, r = 1 reader
    #      inside, readerWait = 1 != 0: W parks on writerSem (RWMutex.Lock).
    #   0: R1 RLock: readerCount 2 - 2**30 < 0, a writer is pending: R1
    #      parks on readerSem (RWMutex.RLock) although only a reader holds
    #      the lock (writer preference).
    #  10: R2 wakes, RUnlock: readerCount 1 - 2**30 < 0 -> rUnlockSlow:
    #      readerWait 0, the last reader releases writerSem: W readied.
    #  10: W takes writerSem's count, holds the lock over its sleep to 2 ms.
    #  20: W Unlock: readerCount 1 (one reader queued), readerSem released
    #      once: R1 readied; w.Unlock().  R1 takes the count at 2 ms and
    #      holds the read lock to 3 ms; main returns at 3 ms.
    wl = gmp.Workload()
    rw, wg = wl.rwmutex(), wl.waitgroup()
    writer = wl.program(gmp.lock(rw), gmp.span("held", gmp.sleep(MS)), gmp.unlock(rw),
                        gmp.done(wg))
    reader = wl.program(gmp.rlock(rw), gmp.span("held", gmp.sleep(MS)), gmp.runlock(rw),
                        gmp.done(wg))
    wl.main(gmp.add(wg, 3), gmp.go(writer), gmp.go(reader, count=2), gmp.wait(wg))
    return run(wl, engine)


def test_a_writer_excludes_readers(engine):
    res = writer_and_readers(engine)
    assert held(res) == [(4, 0, MS), (2, MS, 2 * MS), (3, 2 * MS, 3 * MS)]
    assert res.makespan_ns == 3 * MS


def test_a_waiting_writer_blocks_later_readers(engine):
    res = writer_and_readers(engine)
    w = events(res, EV_WAIT, g=1)
    r1 = events(res, EV_WAIT, g=2)
    assert [(t, a) for t, a in zip(w["time"].tolist(), w["arg"].tolist())][0] == \
        (0, WAIT_SYNC_RWMUTEX_LOCK)
    assert [(t, a) for t, a in zip(r1["time"].tolist(), r1["arg"].tolist())][0] == \
        (0, WAIT_SYNC_RWMUTEX_RLOCK)
    # R2's RUnlock readies W at 1 ms, W's sleep timer at 2 ms; W's Unlock
    # readies R1 at 2 ms, R1's sleep timer at 3 ms.
    assert events(res, EV_READY, g=1)["time"].tolist() == [MS, 2 * MS]
    assert events(res, EV_READY, g=2)["time"].tolist() == [2 * MS, 3 * MS]


def test_unlock_releases_queued_readers_in_order(engine):
    # main write-locks, starts R1, R2, R3 (runnext = R3, queue = [R1, R2])
    # and sleeps.  R3, R1, R2 run in that order at 0 and each finds
    # readerCount negative: readerSem's queue is [R3, R1, R2].  At 1 ms
    # main's Unlock releases readerSem three times, each readying the head
    # into main's runnext: R3, then R1 (R3 to the queue), then R2 (R1 to the
    # queue).  Main parks in Wait: R2 runs (runnext), then R3, R1.
    wl = gmp.Workload()
    rw, wg = wl.rwmutex(), wl.waitgroup()
    reader = wl.program(gmp.rlock(rw), gmp.runlock(rw), gmp.done(wg))
    wl.main(gmp.add(wg, 3), gmp.lock(rw), gmp.go(reader, count=3), gmp.sleep(MS),
            gmp.unlock(rw), gmp.wait(wg))
    res = run(wl, engine)
    parked = events(res, EV_WAIT, arg=WAIT_SYNC_RWMUTEX_RLOCK)
    assert parked["g"].tolist() == [3, 1, 2] and set(parked["time"].tolist()) == {0}
    ready = events(res, EV_READY)
    ready = ready[(ready["time"] == MS) & (ready["g"] != 0)]     # main: its timer, Wait
    assert ready["g"].tolist() == [3, 1, 2]
    runs = events(res, EV_RUN)
    runs = runs[(runs["time"] == MS) & (runs["g"] != 0)]
    assert runs["g"].tolist() == [2, 3, 1]
    assert res.makespan_ns == MS


def test_writers_queue_on_the_inner_mutex(engine):
    # Two writers: W1 (row 1, runs second: runnext is W2) ... W2 locks at 0
    # and sleeps 1 ms holding the lock; W1's w.Lock() finds w locked, cannot
    # spin on one P and parks in sync.Mutex.Lock.  W2's Unlock at 1 ms
    # ends with w.Unlock(), which wakes W1; W1 holds the lock 10-2 ms.
    wl = gmp.Workload()
    rw, wg = wl.rwmutex(), wl.waitgroup()
    writer = wl.program(gmp.lock(rw), gmp.span("held", gmp.sleep(MS)), gmp.unlock(rw),
                        gmp.done(wg))
    wl.main(gmp.add(wg, 2), gmp.go(writer, count=2), gmp.wait(wg))
    res = run(wl, engine)
    assert held(res) == [(3, 0, MS), (2, MS, 2 * MS)]
    assert events(res, EV_WAIT, g=1)["arg"].tolist()[0] == WAIT_SYNC_MUTEX_LOCK


@pytest.mark.parametrize("ops, message", [
    (lambda rw: [gmp.runlock(rw)], "sync: RUnlock of unlocked RWMutex"),
    (lambda rw: [gmp.unlock(rw)], "sync: Unlock of unlocked RWMutex"),
    # write-locked: readerCount -2**30, RUnlock's r + 1 == -rwmutexMaxReaders
    (lambda rw: [gmp.lock(rw), gmp.runlock(rw)], "sync: RUnlock of unlocked RWMutex"),
    # read-locked: Unlock's readerCount + 2**30 = 2**30 + 1 >= rwmutexMaxReaders
    (lambda rw: [gmp.rlock(rw), gmp.unlock(rw)], "sync: Unlock of unlocked RWMutex"),
    (lambda rw: [gmp.rlock(rw), gmp.runlock(rw), gmp.runlock(rw)],
     "sync: RUnlock of unlocked RWMutex"),
])
def test_fatal_errors(engine, ops, message):
    # Go's fatal(...) in rUnlockSlow and Unlock: unrecoverable, in main (goid 1).
    wl = gmp.Workload()
    rw = wl.rwmutex()
    wl.main(*ops(rw))
    with pytest.raises(gmp.SyncFatal) as exc:
        run(wl, engine)
    assert str(exc.value) == f"fatal error: {message}\n\ngoroutine 1 [running]"


def test_uncontended_costs(engine):
    # RLock and RUnlock charge rwmutex_rlock and rwmutex_runlock; Lock is
    # w.Lock() (mutex_lock) plus the announce (rwmutex_rlock); Unlock is the
    # announce (rwmutex_runlock) plus w.Unlock() (mutex_unlock).
    costs = CostModel(**zero_costs(rwmutex_rlock=3, rwmutex_runlock=5, mutex_lock=100,
                                       mutex_unlock=1000))
    wl = gmp.Workload()
    rw = wl.rwmutex()
    wl.main(gmp.rlock(rw), gmp.runlock(rw), gmp.lock(rw), gmp.unlock(rw))
    res = run(wl, engine, costs=costs)
    assert res.makespan_ns == 3 + 5 + (100 + 3) + (5 + 1000)


def test_api_errors():
    wl = gmp.Workload()
    mu = wl.mutex()
    with pytest.raises(TypeError, match="rlock\\(\\) argument rw must be a RWMutex"):
        gmp.rlock(mu)
    with pytest.raises(TypeError, match="lock\\(\\) argument mu must be a Mutex .* or an RWMutex"):
        gmp.lock(wl.waitgroup())
    other = gmp.Workload().rwmutex()
    with pytest.raises(ValueError, match="different Workload"):
        wl.main(gmp.rlock(other))


def test_a_newcomer_takes_a_woken_readers_count(engine):
    # readerSem is a plain semaphore: Unlock adds a count and readies the
    # waiter, and a reader that arrives before the woken one runs takes the
    # count (cansemacquire) even though a writer waits; the woken reader
    # then finds no count and queues again (semacquire1's loop).
    #   0: main write-locks (readerCount -2**30), starts R1 (row 1), sleeps.
    #      R1: RLock, readerCount 1 - 2**30 < 0: parks on readerSem.
    #   1 ms: main's Unlock: readerCount 1, readerSem count 1, R1 readied
    #      (runnext).  go(R3) (row 2): R3 to runnext, R1 to the queue.
    #      main's Lock: w free; readerCount 1 - 2**30, r = 1 (R1 counts as
    #      inside), readerWait 1: main parks on writerSem.
    #   R3 runs: readerCount 2 - 2**30 < 0, but readerSem's count is 1: it
    #      takes it and holds the read lock.  RUnlock: readerCount 1 - 2**30,
    #      readerWait 0: writerSem released, main readied (runnext).
    #   main runs: takes writerSem's count, sleeps to 2 ms holding the lock.
    #   R1 runs: woken, but readerSem's count is 0: it queues again (a
    #      second park in RWMutex.RLock at 1 ms).
    #   2 ms: main's Unlock: readerCount 1, readerSem released once: R1
    #      readied; main parks in Wait; R1 takes the count, RUnlock (0).
    wl = gmp.Workload()
    rw, wg = wl.rwmutex(), wl.waitgroup()
    reader = wl.program(gmp.rlock(rw), gmp.runlock(rw), gmp.done(wg))
    wl.main(gmp.add(wg, 2), gmp.lock(rw), gmp.go(reader), gmp.sleep(MS), gmp.unlock(rw),
            gmp.go(reader), gmp.lock(rw), gmp.sleep(MS), gmp.unlock(rw), gmp.wait(wg))
    res = run(wl, engine)
    parked = events(res, EV_WAIT, arg=WAIT_SYNC_RWMUTEX_RLOCK)
    assert list(zip(parked["g"].tolist(), parked["time"].tolist())) == [(1, 0), (1, MS)]
    assert events(res, EV_WAIT, g=0, arg=WAIT_SYNC_RWMUTEX_LOCK)["time"].tolist() == [MS]
    assert events(res, EV_READY, g=1)["time"].tolist() == [MS, 2 * MS]
    assert res.makespan_ns == 2 * MS
