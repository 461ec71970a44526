"""sync.RWMutex (Go 1.25 sync/rwmutex.go) and sync.Cond's notifyList
(sync/cond.go, runtime/sema.go notifyList*), on the runtime semaphore
(sema.go semacquire1/semrelease1 with lifo false and no hand-off).

An RWMutex's ``w`` is a sync.Mutex run by reference/mutex.py (RWLOCK b=0 is
``rw.w.Lock()``, RWUNLOCK b=1 ``rw.w.Unlock()``).  readerCount and
readerWait are Go's int32 words.  A G parked on writerSem or readerSem has
``GSync.sema`` set and its pc moved back: woken, it re-runs the
instruction, which takes the count or queues again at the tail (a newcomer
may have taken it).  Cond.Wait is NOTIFY_ADD, the locker's unlock,
NOTIFY_WAIT, the locker's lock; the ticket waits in ``GSync.ticket``.

Compiled twin: gmpcore/_engine_rwmutex.pxi.
"""

from collections import deque

from gmpcore.errors import SyncFatal
from gmpcore.events import (WAIT_SYNC_COND_WAIT, WAIT_SYNC_RWMUTEX_LOCK,
                            WAIT_SYNC_RWMUTEX_RLOCK)
from gmpcore.model import RWMUTEX_MAX_READERS
from gmpcore.reference.common import PH_RUN
from gmpcore.reference.mutex import Mutex


def add32(x, d):
    """atomic.AddInt32's wrap-around."""
    return (x + d + 2**31) % 2**32 - 2**31


class Sema:
    __slots__ = ("count", "q")

    def __init__(self):
        self.count, self.q = 0, deque()


class RWMutex:
    __slots__ = ("w", "writerSem", "readerSem", "readerCount", "readerWait")

    def __init__(self):
        self.w, self.writerSem, self.readerSem = Mutex(), Sema(), Sema()
        self.readerCount = self.readerWait = 0


class Cond:
    __slots__ = ("wait", "notify", "waiters")

    def __init__(self):
        self.wait = self.notify = 0          # uint32 tickets
        self.waiters = deque()               # parked Gs in the order they parked


class GSync:
    """Per-G state of RWMutex semaphores, Cond tickets and carried spans."""

    __slots__ = ("ticket", "in_start", "out_start", "in_goid", "in_span", "out_span", "sema")

    def __init__(self):
        self.ticket = self.in_start = self.out_start = self.in_goid = 0
        self.in_span = self.out_span = 0     # span name + 1, 0: none
        self.sema = False


class RWMutexes:
    """RefEngine's sync.RWMutex and sync.Cond."""

    def gsync_local(self, g):
        loc = self.gsync.get(g.idx)
        if loc is None:
            loc = self.gsync[g.idx] = GSync()
        return loc

    def semacquire_rw(self, m, g, s, reason, cost):
        """semacquire1 (lifo false): take the count, or queue at the tail and park."""
        loc = self.gsync_local(g)
        if s.count > 0:                                  # cansemacquire
            s.count -= 1
            loc.sema = False
            return self.resume(m, self.now + cost, PH_RUN)
        s.q.append(g)
        loc.sema = True
        g.pc -= 1
        return self.park(m, g, reason, cost)

    def semrelease_rw(self, m, s, cost):
        """semrelease1 (handoff false): one more count; the head waiter is
        readied into our runnext.  Returns the cost so far."""
        s.count += 1
        if s.q:
            self.ready(s.q.popleft(), m.p)
            cost += self.draw_cost("ready")
        return cost

    def rw_woken(self, g):
        loc = self.gsync.get(g.idx)
        return loc is not None and loc.sema

    def RLock(self, m, g, rw):
        """RWMutex.RLock: readerCount + 1; negative means a writer is pending:
        wait on readerSem."""
        if self.rw_woken(g):
            return self.semacquire_rw(m, g, rw.readerSem, WAIT_SYNC_RWMUTEX_RLOCK,
                                      self.draw_cost("rwmutex_rlock"))
        rw.readerCount = add32(rw.readerCount, 1)
        if rw.readerCount < 0:
            return self.semacquire_rw(m, g, rw.readerSem, WAIT_SYNC_RWMUTEX_RLOCK,
                                      self.draw_cost("rwmutex_rlock"))
        self.resume(m, self.now + self.draw_cost("rwmutex_rlock"), PH_RUN)

    def RUnlock(self, m, g, rw):
        """RWMutex.RUnlock: readerCount - 1; negative means rUnlockSlow."""
        r = add32(rw.readerCount, -1)
        rw.readerCount = r
        if r < 0:
            return self.rUnlockSlow(m, g, rw, r)
        self.resume(m, self.now + self.draw_cost("rwmutex_runlock"), PH_RUN)

    def rUnlockSlow(self, m, g, rw, r):
        """rUnlockSlow: fatal if it was not read-locked; the last departing
        reader releases writerSem."""
        if r + 1 == 0 or r + 1 == -RWMUTEX_MAX_READERS:
            raise SyncFatal("sync: RUnlock of unlocked RWMutex", g.goid)
        cost = self.draw_cost("rwmutex_runlock")
        rw.readerWait = add32(rw.readerWait, -1)
        if rw.readerWait == 0:
            cost = self.semrelease_rw(m, rw.writerSem, cost)
        self.resume(m, self.now + cost, PH_RUN)

    def rwLock(self, m, g, rw, step):
        """RWMutex.Lock: step 0 is rw.w.Lock(); step 1 announces the writer
        (readerCount - rwmutexMaxReaders) and waits on writerSem for the
        readers still inside."""
        if step == 0:
            return self.Lock(m, g, rw.w)
        if self.rw_woken(g):
            return self.semacquire_rw(m, g, rw.writerSem, WAIT_SYNC_RWMUTEX_LOCK,
                                      self.draw_cost("rwmutex_rlock"))
        rw.readerCount = add32(rw.readerCount, -RWMUTEX_MAX_READERS)
        r = add32(rw.readerCount, RWMUTEX_MAX_READERS)
        if r != 0:
            rw.readerWait = add32(rw.readerWait, r)
            if rw.readerWait != 0:
                return self.semacquire_rw(m, g, rw.writerSem, WAIT_SYNC_RWMUTEX_LOCK,
                                          self.draw_cost("rwmutex_rlock"))
        self.resume(m, self.now + self.draw_cost("rwmutex_rlock"), PH_RUN)

    def rwUnlock(self, m, g, rw, step):
        """RWMutex.Unlock: step 0 announces no writer (readerCount +
        rwmutexMaxReaders; fatal if none was there) and releases readerSem once
        per reader that queued; step 1 is rw.w.Unlock()."""
        if step == 1:
            return self.Unlock(m, g, rw.w)
        r = add32(rw.readerCount, RWMUTEX_MAX_READERS)
        rw.readerCount = r
        if r >= RWMUTEX_MAX_READERS:
            raise SyncFatal("sync: Unlock of unlocked RWMutex", g.goid)
        cost = self.draw_cost("rwmutex_runlock")
        for _ in range(r):
            cost = self.semrelease_rw(m, rw.readerSem, cost)
        self.resume(m, self.now + cost, PH_RUN)

    def notifyListAdd(self, m, g, c):
        """notifyListAdd: the ticket is wait's old value; wait + 1."""
        self.gsync_local(g).ticket = c.wait
        c.wait = (c.wait + 1) % 2**32
        self.resume(m, self.now + self.draw_cost("cond_op"), PH_RUN)

    def notifyListWait(self, m, g, c):
        """notifyListWait(t): return at once if t was notified already
        (less(t, notify), wrap-around safe); else join the list and park."""
        t = self.gsync_local(g).ticket
        if add32((t - c.notify) % 2**32, 0) < 0:
            return self.resume(m, self.now + self.draw_cost("cond_op"), PH_RUN)
        c.waiters.append(g)
        return self.park(m, g, WAIT_SYNC_COND_WAIT, self.draw_cost("cond_op"))

    def notifyListNotifyOne(self, m, g, c):
        """Cond.Signal: nothing if wait == notify; else ticket notify (the
        oldest) is notified: its waiter, if already parked, is unlinked and
        readied; one not yet parked will see the ticket and not park."""
        cost = self.draw_cost("cond_op")
        if c.wait == c.notify:
            return self.resume(m, self.now + cost, PH_RUN)
        t = c.notify
        c.notify = (c.notify + 1) % 2**32
        for w in c.waiters:
            if self.gsync[w.idx].ticket == t:
                c.waiters.remove(w)
                self.ready(w, m.p)
                cost += self.draw_cost("cond_waiter")
                break
        self.resume(m, self.now + cost, PH_RUN)

    def notifyListNotifyAll(self, m, g, c):
        """Cond.Broadcast: notify = wait; every parked waiter is readied in
        the list's order."""
        cost = self.draw_cost("cond_op")
        if c.wait == c.notify:
            return self.resume(m, self.now + cost, PH_RUN)
        c.notify = c.wait
        while c.waiters:
            self.ready(c.waiters.popleft(), m.p)
            cost += self.draw_cost("cond_waiter")
        self.resume(m, self.now + cost, PH_RUN)
