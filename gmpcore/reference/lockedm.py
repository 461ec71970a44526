"""Locked threads (docs/design/machine.md §1.6, §3.8): LockOSThread and
UnlockOSThread, the template thread, a locked M parking (stoplockedm) and
being handed a P (startlockedm), a locked G's exit killing its thread (mexit).

Compiled twin: gmpcore/_engine_lockedm.pxi.  A G with ``lockedm`` runs only
on that M; the M never looks for other work: it runs its G or parks in
PH_LOCKED (counted in nmidlelocked) until an M that picked the G hands it a P.
"""

from gmpcore.errors import GoThrow, ThreadExhaustion, WorkloadPanic
from gmpcore.events import EV_M_PARK, EV_M_WAKE, EV_THREAD_CREATE, G_RUNNABLE
from gmpcore.reference.common import LOCKEDG_EXIT, PH_DEAD, PH_EXECUTE, PH_LOCKED, PH_START
from gmpcore.reference.sched import M

LOCKED_EXT_MAX = 2**32 - 1           # m.lockedExt is a uint32


class LockedThreads:
    """RefEngine's locked threads: LockOSThread, the template thread, stoplockedm, startlockedm, mexit."""

    def startTemplateThread(self):
        """startTemplateThread: an M that only clones threads for locked Ms.
        A system M (nmsys) that never runs Gs; its creator pays nothing (§3.8)."""
        if len(self.ms) >= self.max_threads:
            raise ThreadExhaustion(self.max_threads)
        m = M(len(self.ms), self.now)
        self.ms.append(m)
        self.counters["threads"] += 1
        self.nmsys += 1
        self.template_m = m
        self.log(EV_THREAD_CREATE, m=m)

    def LockOSThread(self, m, g):
        """runtime.LockOSThread: wire g and its M (nesting counted in lockedExt)."""
        if self.template_m is None:
            self.startTemplateThread()
        if m.locked_ext == LOCKED_EXT_MAX:           # Go panics on the wrap
            raise WorkloadPanic("LockOSThread nesting overflow", g.goid)
        m.locked_ext += 1
        m.lockedg, g.lockedm = g, m

    def UnlockOSThread(self, m, g):
        """runtime.UnlockOSThread: a no-op without a lock; the last one unwires."""
        if m.locked_ext == 0:
            return
        m.locked_ext -= 1
        if m.locked_ext == 0 and m.locked_int == 0:
            m.lockedg, g.lockedm = None, None

    def run_locked(self, m):
        """The end of stoplockedm once woken: acquirep(nextp), then schedule's
        execute(lockedg, inheritTime=false), as a step at once (PH_EXECUTE)."""
        p, m.nextp = m.nextp, None
        self.acquirep(m, p)
        if m.nextg.status != G_RUNNABLE:
            raise GoThrow("stoplockedm: not runnable")
        m.next_inherit = False
        self.resume(m, self.now, PH_EXECUTE)

    def schedule_locked(self, m):
        """schedule on a locked M: it runs only its G (stoplockedm), or exits after it."""
        if m.lockedg == LOCKEDG_EXIT:
            return self.mexit(m)
        return self.stoplockedm(m)

    def stoplockedm(self, m):
        """stoplockedm: the M's G cannot run; hand off the P and park until an
        M that picks the G hands this one a P (startlockedm)."""
        if m.p is not None:
            self.handoffp(self.releasep(m))
        if m.nextp is not None:
            # startlockedm came first (the G was picked while this M was still
            # on its way here): the wake-up is already posted, mPark returns at
            # once.  Go's incidlelocked(-1) then (+1) cancel out.
            return self.run_locked(m)
        self.nmidlelocked += 1
        m.phase = PH_LOCKED
        m.gen += 1
        m.debt = 0
        if self.cpu_on:
            self.cpu_release_m(m)                 # parked: off its CPU
        self.log(EV_M_PARK, m=m, g=m.lockedg, arg=1)
        self.checkdead()

    def startlockedm(self, m, g):
        """startlockedm: g, which findRunnable gave this M, is wired to another
        M: hand that M this M's P and wake it; this M stops (when woken it
        starts schedule over).  schedule's cost stays charged to this M."""
        lm = g.lockedm
        if lm is None or lm is m:
            raise GoThrow("startlockedm: locked to me")
        if lm.nextp is not None:
            raise GoThrow("startlockedm: m has p")
        m.nextg = None
        p = self.releasep(m)
        lm.nextp, lm.nextg, lm.next_inherit = p, g, False
        self.counters["thread_wakes"] += 1
        self.log(EV_M_WAKE, m=lm, p=p, g=g, arg=0)
        if lm.phase == PH_LOCKED:
            self.nmidlelocked -= 1
            self.resume(lm, self.now + self.draw_cost("thread_wake"), PH_START)
        self.stopm(m)

    def mexit(self, m):
        """mexit: the locked G exited, so its thread exits: hand off the P,
        count the M freed (mcount falls), checkdead.  Go parks m0 forever
        instead, also counted freed: either way the M never runs again."""
        m.lockedg = None
        m.phase = PH_DEAD
        m.gen += 1
        m.debt = 0
        if self.cpu_on:
            self.cpu_release_m(m)                 # the thread exits
        self.log(EV_M_PARK, m=m, p=m.p, arg=2)
        p = self.releasep(m)
        # locked_ext is still set: an M this handoff starts is cloned by the template thread.
        self.handoffp(p)
        m.locked_ext = 0
        self.nmfreed += 1
        self.checkdead()
