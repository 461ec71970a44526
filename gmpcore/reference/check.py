"""Checking mode: every G in exactly one place, Go's scheduler assertions.

Compiled twin: gmpcore/_engine_check.pxi.
"""

from gmpcore.events import (G_DEAD, G_WAITING, P_DEAD, P_GCSTOP, P_IDLE, P_RUNNING, WAIT_GC_SWEEP,
                            WAIT_IO,
                            WAIT_SELECT_NO_CASES, WAIT_SYNC_COND_WAIT, WAIT_SYNC_MUTEX_LOCK,
                            WAIT_SYNC_RWMUTEX_LOCK, WAIT_SYNC_RWMUTEX_RLOCK)
from gmpcore.reference.common import PH_DEAD, PH_LOCKED, SEL_NONE, SEL_WON
from gmpcore.reference.gtable import G
from gmpcore.reference.timers import TE_AFTER, TE_SLEEP


class Checks:
    """RefEngine's checking mode: every G in exactly one place, Go's scheduler assertions."""

    def check_invariants(self):
        """Every G is in exactly one place; the scheduler's own assertions hold (§9)."""
        where = {}

        def put(g, place):
            assert g not in where, f"G{g} is both {where[g]} and {place}"
            where[g] = place

        def put_sel(g, place):
            # A G in a select: its first entry puts it, its other entries join
            # it; entries of a select another case already won are stale.
            if g.sel_state == SEL_WON:
                return
            if where.get(g.idx, "").startswith(("a channel queue", "a timer")):
                return
            put(g.idx, place)

        for p in self.ps:
            for gi in self.q.runq(p.id):
                put(gi, f"runq of P{p.id}")
            if self.q.runnext(p.id) is not None:
                put(self.q.runnext(p.id), f"runnext of P{p.id}")
            for t in p.timers:
                if t[3] == TE_SLEEP:
                    put(t[2].idx, f"a timer of P{p.id}")
                elif t[3] >= TE_AFTER and self.sel_timer_live(t):    # a select's time.After
                    put_sel(t[2], f"a timer of P{p.id}")
        for gi in self.q.global_runq():
            put(gi, "the global queue")
        for m in self.ms:
            if m.curg is not None:
                put(m.curg.idx, f"running on M{m.id}")
            if m.nextg is not None:
                put(m.nextg.idx, f"in M{m.id}'s hand")
            if m.spinning:
                assert (m.p or m.nextp) is not None, "a spinning M holds a P (or is about to)"
        for ch in self.chans:
            assert not (ch.closed and (ch.recvq or ch.sendq)), \
                "a closed channel has parked goroutines"
            for g in list(ch.recvq) + list(ch.sendq):
                if g.sel_state != SEL_NONE:
                    put_sel(g, "a channel queue")
                else:
                    put(g.idx, "a channel queue")
        for wg in self.wgs:
            for g in wg.waiters:
                put(g.idx, "a WaitGroup")
        for g in self.io_ready:
            put(g.idx, "the netpoller's ready list")
        for g in self.stw_sema:
            put(g.idx, "the stop-the-world semaphore")
        for mu in self.mutexes:
            for g in mu.semq:
                put(g.idx, "a mutex's semaphore")
                assert g.status == G_WAITING and g.waitreason == WAIT_SYNC_MUTEX_LOCK, \
                    "a mutex's semaphore holds a G not parked in sync.Mutex.Lock"
            assert mu.sema >= 0 and mu.state >= 0, "a mutex's state or count is negative"
            assert not mu.semq or mu.state >> 3, "a mutex's semaphore has waiters the mutex does not count"
        for rw in self.rwmutexes:
            for g in rw.w.semq:
                put(g.idx, "a mutex's semaphore")
                assert g.status == G_WAITING and g.waitreason == WAIT_SYNC_MUTEX_LOCK, \
                    "a mutex's semaphore holds a G not parked in sync.Mutex.Lock"
            for g in rw.readerSem.q:
                put(g.idx, "an RWMutex's semaphore")
                assert g.status == G_WAITING and g.waitreason == WAIT_SYNC_RWMUTEX_RLOCK, \
                    "an RWMutex's readerSem holds a G not parked in RLock"
            for g in rw.writerSem.q:
                put(g.idx, "an RWMutex's semaphore")
                assert g.status == G_WAITING and g.waitreason == WAIT_SYNC_RWMUTEX_LOCK, \
                    "an RWMutex's writerSem holds a G not parked in Lock"
        for c in self.conds:
            for g in c.waiters:
                put(g.idx, "a Cond's notify list")
                assert g.status == G_WAITING and g.waitreason == WAIT_SYNC_COND_WAIT, \
                    "a Cond's notify list holds a G not parked in Cond.Wait"
        for t in self.tms + [g.after for g in self.gs if g.after is not None]:
            for g in t.recvq:
                if g.sel_state != SEL_NONE:
                    put_sel(g, "a timer channel queue")
                else:
                    put(g.idx, "a timer channel queue")
        io_pending = sum(1 for g in self.gs if g.status == G_WAITING and g.waitreason == WAIT_IO)
        assert io_pending == self.io_waiters, "netpoll waiter count"
        # A runtime goroutine parked for good (or the idle updater) waits on nothing.
        sys_parked = [g for g in self.gs if g.status == G_WAITING and g.waitreason >= WAIT_GC_SWEEP]
        assert (sum(1 for g in self.gs if g.status != G_DEAD and g.system) == self.n_sys
                and len(sys_parked) == self.n_sys_waiting), "runtime goroutine counts"
        for g in self.gs:
            if g.status == G_DEAD or (g.status == G_WAITING and g.idx not in where
                                      and (g.waitreason in (WAIT_IO, WAIT_SELECT_NO_CASES)
                                           or g.waitreason >= WAIT_GC_SWEEP)):
                assert g.idx not in where or g.status != G_DEAD, f"dead G{g.idx} is queued"
                continue
            assert g.idx in where, f"G{g.idx} (status {g.status}) is nowhere"
        assert self.nmspinning == sum(m.spinning for m in self.ms), "nmspinning"
        assert all(p.status == P_IDLE for p in self.pidle), "an idle-list P is not idle"
        assert len(set(map(id, self.pidle))) == len(self.pidle), "a P is on the idle list twice"
        for p in self.ps:
            if p.status == P_RUNNING:
                assert p.m is not None and p.m.p is p, f"P{p.id} running without its M"
        # Stop the world (docs/design/machine.md §6 item 6).
        assert self.stopwait >= 0, "stopwait < 0"
        if self.gcwaiting:
            assert self.stopwait == sum(p.status != P_GCSTOP for p in self.ps), \
                "stopwait disagrees with the Ps not stopped"
        else:
            assert all(p.status != P_GCSTOP for p in self.ps), \
                "a P is _Pgcstop outside a stop-the-world"
        for p in self.allp[self.nprocs:]:
            assert (p.status == P_DEAD and p.m is None and self.q.runqempty(p.id)
                    and not p.timers and p not in self.pidle), \
                "a P beyond gomaxprocs is not dead and empty"
        # Locked threads (machine.md §6 item 6).
        locked = 0
        for m in self.ms:
            locked += m.phase == PH_LOCKED
            if m.phase == PH_DEAD:
                assert (m.p, m.curg, m.nextp, m.nextg) == (None,) * 4, \
                    f"dead M{m.id} holds a P, a G or a nextp"
            if isinstance(m.lockedg, G):
                assert m.lockedg.lockedm is m, f"lockedg/lockedm link of M{m.id}"
        assert locked == self.nmidlelocked, "nmidlelocked"
        for g in self.gs:
            if g.lockedm is not None:
                assert g.lockedm.lockedg is g, "lockedg/lockedm link of M-1"
        run = (len(self.ms) - self.nmfreed) - len(self.midle) - self.nmidlelocked - self.nmsys
        assert run >= 0, "checkdead: inconsistent counts"
        if self.cpu_on:
            self.cpu_check()
