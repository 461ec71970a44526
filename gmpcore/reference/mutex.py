"""sync.Mutex (Go 1.25 internal/sync/mutex.go) on the runtime's semaphore
(runtime/sema.go): the fast path's CAS, lockSlow's spinning under canSpin,
the semaphore queue (new waiters at the tail, waiters that waited before at
the head), normal and starvation mode, unlockSlow's wake-up or hand-off.

The state word is Go's: LOCKED | WOKEN | STARVING | waiters << WAITER_SHIFT.
An atomic operation takes no virtual time and nothing runs between an
event's read of the word and its CAS, so every CAS succeeds.  lockSlow's
locals (iter, awoke, starving, waitStartTime) live per G in ``mu_locals``
while the G is inside Lock, which spans events: each spin resumes the G's M
after ``mutex_spin`` and re-runs the LOCK instruction, and so does waking
from the semaphore.

Compiled twin: gmpcore/_engine_mutex.pxi.
"""

from collections import deque

from gmpcore.errors import GoThrow, SyncFatal
from gmpcore.events import G_RUNNABLE, STOP_GOSCHED, WAIT_SYNC_MUTEX_LOCK
from gmpcore.model import ACTIVE_SPIN, STARVATION_THRESHOLD_NS
from gmpcore.reference.common import PH_RUN, PH_SCHEDULE

LOCKED, WOKEN, STARVING, WAITER_SHIFT = 1, 2, 4, 3       # mutexLocked, mutexWoken, ...
MU_NONE, MU_LOOP, MU_SEMA = 0, 1, 2                       # where a G inside Lock resumes


class Mutex:
    __slots__ = ("state", "sema", "semq")

    def __init__(self):
        self.state, self.sema, self.semq = 0, 0, deque()


class MuLocal:
    """lockSlow's locals of one G, kept across its spins and parks."""

    __slots__ = ("wait_start", "step", "iter", "awoke", "starving", "waited", "lifo", "ticket")

    def __init__(self):
        self.wait_start, self.step, self.iter = 0, MU_LOOP, 0
        self.awoke = self.starving = self.waited = self.lifo = self.ticket = False


class Mutexes:
    """RefEngine's sync.Mutex: Lock/lockSlow, Unlock/unlockSlow, the semaphore."""

    def Lock(self, m, g, mu):
        """Mutex.Lock: CAS 0 -> locked, else lockSlow (or where it left off).
        run_g has moved the pc on; a Lock that has not returned moves it back."""
        loc = self.mu_locals.get(g.idx)
        if loc is None:
            if mu.state == 0:
                mu.state = LOCKED
                return self.resume(m, self.now + self.draw_cost("mutex_lock"), PH_RUN)
            loc = self.mu_locals[g.idx] = MuLocal()
        elif loc.step == MU_SEMA:
            return self.semacquire_woken(m, g, mu, loc)
        return self.lockSlow(m, g, mu, loc)

    def lockSlow(self, m, g, mu, loc):
        """lockSlow's loop from `old = m.state`: one spin, or the CAS and then
        the lock, a park on the semaphore, or (its count free) the loop again."""
        old = mu.state
        if old & (LOCKED | STARVING) == LOCKED and self.canSpin(m, loc.iter):
            # Set Woken so that Unlock does not wake another waiter.
            if not loc.awoke and old & WOKEN == 0 and old >> WAITER_SHIFT:
                mu.state = old | WOKEN
                loc.awoke = True
            loc.iter += 1                              # runtime_doSpin: procyield(30)
            g.pc -= 1
            return self.resume(m, self.now + self.draw_cost("mutex_spin"), PH_RUN)
        new = old
        if old & STARVING == 0:
            new |= LOCKED                              # starving: newcomers queue instead
        if old & (LOCKED | STARVING):
            new += 1 << WAITER_SHIFT
        if loc.starving and old & LOCKED:
            new |= STARVING
        if loc.awoke:
            if new & WOKEN == 0:
                raise GoThrow("sync: inconsistent mutex state")
            new &= ~WOKEN
        mu.state = new                                 # the CAS
        if old & (LOCKED | STARVING) == 0:
            del self.mu_locals[g.idx]
            return self.resume(m, self.now + self.draw_cost("mutex_lock"), PH_RUN)
        lifo = loc.waited                              # waited before: queue at the head
        if not loc.waited:
            loc.waited, loc.wait_start = True, self.now
        return self.semacquire(m, g, mu, loc, lifo)

    def canSpin(self, m, i):
        """sync_runtime_canSpin: few spins, a multicore machine, another P
        running and nothing in our P's run queue.  The ideal machine (no
        CPU layer) has a CPU per thread: multicore."""
        if i >= ACTIVE_SPIN or (self.cpu_on and self.ncpu <= 1):
            return False
        if self.nprocs <= len(self.pidle) + self.nmspinning + 1:
            return False
        return self.q.runqempty(m.p.id)

    def semacquire(self, m, g, mu, loc, lifo):
        """semacquire1 (lifo, waitReasonSyncMutexLock): take the count, or queue and park."""
        if mu.sema > 0:                                # cansemacquire
            mu.sema -= 1
            return self.lockSlow_woken(m, g, mu, loc)
        if lifo:
            mu.semq.appendleft(g)
        else:
            mu.semq.append(g)
        loc.step, loc.lifo = MU_SEMA, lifo
        g.pc -= 1
        return self.park(m, g, WAIT_SYNC_MUTEX_LOCK, self.draw_cost("mutex_lock"))

    def semacquire_woken(self, m, g, mu, loc):
        """semacquire1 after goparkunlock: a hand-off, or the count if a
        newcomer has not taken it; otherwise queue again."""
        loc.step = MU_LOOP
        if loc.ticket:
            loc.ticket = False
            return self.lockSlow_woken(m, g, mu, loc)
        if mu.sema > 0:
            mu.sema -= 1
            return self.lockSlow_woken(m, g, mu, loc)
        return self.semacquire(m, g, mu, loc, loc.lifo)

    def lockSlow_woken(self, m, g, mu, loc):
        """lockSlow after semacquire: starving after 1 ms of waiting; in
        starvation mode the lock was handed to us, else compete again."""
        if self.now - loc.wait_start > STARVATION_THRESHOLD_NS:
            loc.starving = True
        old = mu.state
        if old & STARVING:
            if old & (LOCKED | WOKEN) or old >> WAITER_SHIFT == 0:
                raise GoThrow("sync: inconsistent mutex state")
            delta = LOCKED - (1 << WAITER_SHIFT)
            if not loc.starving or old >> WAITER_SHIFT == 1:
                delta -= STARVING                      # leave starvation mode
            mu.state = old + delta
            del self.mu_locals[g.idx]
            return self.resume(m, self.now + self.draw_cost("mutex_lock"), PH_RUN)
        loc.awoke, loc.iter = True, 0
        return self.lockSlow(m, g, mu, loc)

    def Unlock(self, m, g, mu):
        """Mutex.Unlock: drop Locked; anything else left means unlockSlow."""
        new = mu.state - LOCKED
        mu.state = new
        if new == 0:
            return self.resume(m, self.now + self.draw_cost("mutex_unlock"), PH_RUN)
        return self.unlockSlow(m, g, mu, new)

    def unlockSlow(self, m, g, mu, new):
        """unlockSlow: fatal if it was not locked; normal mode wakes one waiter
        unless someone is awake or the lock is taken; starvation hands off."""
        if (new + LOCKED) & LOCKED == 0:
            raise SyncFatal("sync: unlock of unlocked mutex", g.goid)
        cost = self.draw_cost("mutex_unlock")
        if new & STARVING == 0:
            if new >> WAITER_SHIFT == 0 or new & (LOCKED | WOKEN | STARVING):
                return self.resume(m, self.now + cost, PH_RUN)
            mu.state = (new - (1 << WAITER_SHIFT)) | WOKEN
            return self.semrelease(m, g, mu, False, cost)
        return self.semrelease(m, g, mu, True, cost)

    def semrelease(self, m, g, mu, handoff, cost):
        """semrelease1: one more count; the head waiter is readied into our
        runnext.  With handoff the count is taken for it (ticket) and we goyield."""
        mu.sema += 1
        if not mu.semq:
            return self.resume(m, self.now + cost, PH_RUN)
        w = mu.semq.popleft()
        loc = self.mu_locals[w.idx]
        if handoff and mu.sema > 0:
            mu.sema -= 1
            loc.ticket = True
        self.ready(w, m.p)
        cost += self.draw_cost("ready")
        if loc.ticket:
            return self.goyield(m, g, cost)
        self.resume(m, self.now + cost, PH_RUN)

    def goyield(self, m, g, cost):
        """goyield_m: to our P's run queue tail (the woken waiter holds
        runnext), no wakep, then schedule."""
        self.dropg(m, g, STOP_GOSCHED)
        g.status = G_RUNNABLE
        g.since = self.now
        self.runqput(m.p, g, False)
        self.resume(m, self.now + cost, PH_SCHEDULE)
