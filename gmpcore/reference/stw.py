"""Stop the world and resize (docs/design/machine.md §1.3-§1.5, §3.7):
runtime.GOMAXPROCS(n), stopTheWorldWithSema, startTheWorldWithSema,
procresize and gcstopm.

Compiled twin: gmpcore/_engine_stw.pxi.  A stop-the-world is a phase of its
caller's M (PH_STW_WAIT, stepped by ``stw_state``): ``stw_begin`` starts it,
``stw_end`` restarts the world; in between ``gcwaiting`` makes every M that
holds a P give it up (gcstopm) and ``stopwait`` counts the Ps still to stop.
A later GC calls the same two functions.
"""

import heapq
import math

from gmpcore.reference.timers import TE_TIMER, TS_ZOMBIE

from gmpcore.errors import GoThrow
from gmpcore.events import (
    EV_M_WAKE,
    EV_NETPOLL,
    EV_PROCS,
    EV_SPIN,
    EV_STW_DONE,
    EV_STW_START,
    G_RUNNING,
    G_WAITING,
    P_DEAD,
    P_GCSTOP,
    P_IDLE,
    P_RUNNING,
    P_SYSCALL,
    STW_GOMAXPROCS,
    WAIT_NONE,
    WAIT_SEMACQUIRE,
    WAIT_STOPPING_THE_WORLD,
)
from gmpcore.model import STW_PREEMPT_PERIOD
from gmpcore.reference.common import (
    PH_START,
    PH_STW_WAIT,
    STW_NONE,
    STW_STARTING,
    STW_STOPPING,
    STW_WAITING,
    STW_WOKEN,
)
from gmpcore.reference.runq import RUNQ_SIZE, U32


class StopTheWorld:
    """RefEngine's stop-the-world: GOMAXPROCS(n), stop/start the world, procresize."""

    def gomaxprocs_stw(self, m, g, n, cause):
        """runtime.GOMAXPROCS(n) past its checks (§1.3): take gcsema, stop the
        world; newprocs = n is applied when it starts again."""
        if self.stw_owner is not None and self.stw_owner is not g:
            # gcsema is held by another STW: wait in line (handed over FIFO);
            # the op runs again when woken, its equality check already done.
            g.remaining = n
            g.pc -= 1
            self.stw_sema.append(g)
            return self.park(m, g, WAIT_SEMACQUIRE)
        g.remaining = -1
        self.stw_owner = g
        self.newprocs, self.newprocs_cause = n, cause
        self.stw_begin(m, STW_GOMAXPROCS)

    def default_gomaxprocs(self):
        """defaultGOMAXPROCS (machine.md §1.1): the CPUs, lowered to
        max(2, ceil(quota/period)) by the quota in force."""
        procs = self.ncpu
        if self.containermaxprocs and self.q_limit:
            procs = min(procs, max(-(-self.q_quota // self.q_period), 2))
        return procs

    def sysmonUpdateGOMAXPROCS(self):
        """sysmonUpdateGOMAXPROCS (§1.2): if the default moved and the program
        never set GOMAXPROCS, wake the updater: a G that stops the world with
        the new count.  Go starts that G at start-up and parks it between
        updates (runtime_init: reference/runtime.py); without the runtime's
        start it is made when needed (taking the next goid of P0's cache) and
        exits when done (docs/fidelity.md)."""
        n = self.default_gomaxprocs()
        if self.custom or n == self.nprocs:
            return
        if self.rt_init:
            if self.upd_idle:
                self.upd_procs = n
            return self.inject_updater()
        if self.upd_g is not None:
            return
        self.upd_procs = n
        self.upd_g = self.newg(None, self.upd_program, self.allp[0])
        self.injectglist([self.upd_g], None)   # sysmon has no P: the global queue, an idle P

    def stw_begin(self, m, reason):
        """stopTheWorld's entry: the caller's G waits for the whole pause
        (step 1); its M pays stw_stop, then stops the Ps."""
        g = m.curg
        g.running_ns += self.now - g.run_start
        m.p.busy_ns += self.now - g.run_start
        g.status, g.waitreason = G_WAITING, WAIT_STOPPING_THE_WORLD
        g.since = self.now
        self.stw_m, self.stw_reason, self.stw_t0 = m, reason, self.now
        self.stw_state = STW_STOPPING
        self.counters["stw_count"] += 1
        self.log(EV_STW_START, m=m, p=m.p, g=g, arg=reason)
        self.resume(m, self.now + self.draw_cost("stw_stop"), PH_STW_WAIT)

    def stw_step(self, m):
        """The caller's M at its next step of the stop-the-world."""
        state = self.stw_state
        if state == STW_STOPPING:
            self.stopTheWorldWithSema(m)
        elif state == STW_WAITING:                   # stopnote's 100 µs sleep timed out
            self.preemptall(m)
            if self.cpu_on:
                self.cpu_release_m(m)                # it sleeps again, off-CPU
            self.resume(m, self.now + STW_PREEMPT_PERIOD, PH_STW_WAIT)
        elif state == STW_WOKEN:
            self.stw_stopped(m)
        else:
            self.startTheWorldWithSema(m)

    def stopTheWorldWithSema(self, m):
        """Steps 2-6 of §1.4: every P stops, or the caller sleeps until they have."""
        self.stopwait = self.nprocs
        self.gcwaiting = True
        self.preemptall(m)
        m.p.status = P_GCSTOP
        self.stopwait -= 1
        for p in self.ps:
            if p.status == P_SYSCALL:
                p.status = P_GCSTOP
                p.syscalltick += 1
                self.stopwait -= 1
        while True:
            p = self.pidleget()
            if p is None:
                break
            p.status = P_GCSTOP
            self.stopwait -= 1
        if self.stopwait > 0:
            self.stw_state = STW_WAITING
            if self.cpu_on:
                self.cpu_release_m(m)                # it sleeps on stopnote, off-CPU
            self.resume(m, self.now + STW_PREEMPT_PERIOD, PH_STW_WAIT)
            return
        self.stw_stopped(m)

    def preemptall(self, m):
        """preemptall: ask every running P's G but the caller's to stop."""
        for p in self.ps:
            if p.status == P_RUNNING and p.m is not m:
                self.preemptone(p)

    def p_gcstopped(self, p):
        """A P stops for the STW: stopwait--, and the last one wakes the
        caller (notewakeup(&stopnote): a thread wake-up)."""
        p.status = P_GCSTOP
        p.m = None
        self.stopwait -= 1
        if self.stopwait == 0 and self.stw_state == STW_WAITING:
            self.stw_state = STW_WOKEN
            self.resume(self.stw_m, self.now + self.draw_cost("thread_wake"), PH_STW_WAIT)

    def gcstopm(self, m):
        """gcstopm: an M that finds gcwaiting stops its P and parks."""
        if not self.gcwaiting:
            raise GoThrow("gcstopm: not waiting for gc")
        if m.spinning:
            m.spinning = False
            self.spin_clock_stop(m)
            self.nmspinning -= 1
            if self.nmspinning < 0:
                raise GoThrow("gcstopm: negative nmspinning")
            self.log(EV_SPIN, m=m, p=m.p, arg=0)
        p = self.releasep(m)
        self.p_gcstopped(p)
        self.stopm(m)

    def entersyscall_gcwait(self, p):
        """entersyscall_gcwait: a P just left in _Psyscall stops at once."""
        if self.stopwait > 0 and p.status == P_SYSCALL:
            p.syscalltick += 1
            self.p_gcstopped(p)

    def stw_stopped(self, m):
        """The world is stopped (the end of stopTheWorldWithSema)."""
        for p in self.ps:
            if p.status != P_GCSTOP:
                raise GoThrow("stopTheWorld: not stopped")
        self.counters["stw_stopping_ns"] += self.now - self.stw_t0
        self.stw_end(m)

    def stw_end(self, m):
        """startTheWorld: the caller pays stw_start and procresize's work per
        P it touches (every P of the larger count), then the world restarts."""
        n = self.newprocs or self.nprocs
        self.stw_state = STW_STARTING
        cost = self.draw_cost("stw_start")
        cost += self.draw_cost("procresize_p") * max(n, self.nprocs)
        self.resume(m, self.now + cost, PH_STW_WAIT)

    def startTheWorldWithSema(self, m):
        """§1.4 start: poll, procresize, give Ps with work an M, wakep; the
        caller's G runs on, and gcsema goes to the next G waiting for it."""
        g = m.curg
        if self.netpoll_inited and self.io_waiters:
            ready = self.netpoll(m)
            if ready:
                self.log(EV_NETPOLL, m=m, p=m.p, arg=len(ready))
                self.injectglist(ready, m)
        n = self.newprocs or self.nprocs
        self.newprocs = 0
        self.procresize(m, n)
        self.gcwaiting = False
        if self.sysmon["wait"]:
            self.sysmon_wake()
        for p in self.ps:                        # runnablePs, lowest id first
            if p.status != P_IDLE or p is m.p or p in self.pidle:
                continue
            mp, p.m = p.m, None
            if mp is None:
                self.newm(p, False)
                continue
            if mp.nextp is not None:
                raise GoThrow("startTheWorld: inconsistent mp->nextp")
            mp.nextp = p
            self.counters["thread_wakes"] += 1
            self.log(EV_M_WAKE, m=mp, p=p, arg=0)
            self.resume(mp, self.now + self.draw_cost("thread_wake"), PH_START)
        self.counters["stw_total_ns"] += self.now - self.stw_t0
        self.log(EV_STW_DONE, m=m, p=m.p, g=g, arg=self.now - self.stw_t0)
        self.wakep()
        self.stw_state, self.stw_m = STW_NONE, None
        # semrelease(&gcsema): the first waiter gets it, into our runnext.
        self.stw_owner = None
        if self.stw_sema:
            self.stw_owner = self.stw_sema.pop(0)
            self.ready(self.stw_owner, m.p)
        g.status, g.waitreason = G_RUNNING, WAIT_NONE
        g.run_start = self.now
        self.run_g(m)

    def mget(self):
        return self.midle.pop() if self.midle else None

    def procresize(self, m, n):
        """procresize (§1.5): Ps n.. destroyed, old..n-1 made; every other P
        goes idle (lowest id on top) or, with work, gets an idle M if any."""
        old = self.nprocs
        if not 0 < n <= len(self.allp):
            raise GoThrow("procresize: invalid arg")
        for p in self.allp[old:n]:
            p.status = P_GCSTOP                   # (*p).init: a shrunk P is reused as it was
        if m.p.id < n:
            m.p.status = P_RUNNING
        else:
            m.p.m, m.p = None, None
            p0 = self.allp[0]
            p0.m, p0.status = None, P_IDLE
            self.acquirep(m, p0)
        for p in self.allp[n:old]:
            self.pdestroy(p, m.p)
        self.nprocs = self.q.nprocs = n
        self.ps = self.allp[:n]
        self.np_seen = max(self.np_seen, n)
        for p in reversed(self.ps):
            if p is m.p:
                continue
            p.status = P_IDLE
            if self.q.runqempty(p.id):
                self.pidleput(p)
            else:
                p.m = self.mget()
        self.order = steal_order(n)
        if n != old:
            self.counters["gomaxprocs_changes"] += 1
            self.gomaxprocs_history.append((self.now, old, n, self.newprocs_cause))
            self.log(EV_PROCS, m=m, arg=n)

    def pdestroy(self, p, to):
        """(*p).destroy: its ring tail first, then runnext, to the global
        queue's head (so they keep their order, runnext first); its timers
        to the caller's P; _Pdead."""
        q = self.q
        while q.tail[p.id] != q.head[p.id]:
            q.tail[p.id] = (q.tail[p.id] - 1) % U32
            q.globrunqputhead(q.ring[p.id][q.tail[p.id] % RUNQ_SIZE])
        if q.next[p.id] is not None:
            q.globrunqputhead(q.next[p.id])
            q.next[p.id] = None
        while p.timers:                                   # timers.take: zombies are dropped
            ent = heapq.heappop(p.timers)
            if ent[3] == TE_TIMER:
                t = ent[2]
                if t.state & TS_ZOMBIE:
                    t.state, t.ts = 0, None
                    continue
                t.state, t.ts = 0, to
                ent = (t.when, ent[1], t, TE_TIMER)
            heapq.heappush(to.timers, ent)
        p.tzombies = p.tmin_modified = 0
        self.gfpurge(p)
        p.status = P_DEAD


def steal_order(n):
    """stealOrder.reset(n): the strides coprime to n."""
    return [i for i in range(1, n + 1) if math.gcd(i, n) == 1]
