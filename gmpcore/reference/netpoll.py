"""The network poller (§3.9): completed waits, netpoll (at most
NETPOLL_MAX_EVENTS Gs, newest first), blocking in netpoll, injectglist.

Compiled twin: gmpcore/_engine_netpoll.pxi.
"""

from gmpcore.events import EV_IO_READY, EV_NETPOLL, EV_READY, G_RUNNABLE, WAIT_NONE
from gmpcore.model import NETPOLL_MAX_EVENTS
from gmpcore.reference.common import PH_NETPOLL


class NetPoller:
    """RefEngine's the network poller (§3.9): completed waits, netpoll (at most"""

    def netpoll_break(self):
        m = self.poller
        if m is not None and m.phase == PH_NETPOLL:
            self.resume(m, self.now, PH_NETPOLL)

    def netpoll(self, m):
        """One epoll_wait on M `m`: up to 128 ready Gs, newest first (netpollready
        pushes each at the head of its list)."""
        ready = self.io_ready[:NETPOLL_MAX_EVENTS]
        del self.io_ready[:NETPOLL_MAX_EVENTS]
        for g in ready:
            self.log(EV_READY, m=m, g=g, arg=1)
        ready.reverse()
        self.io_waiters -= len(ready)
        for g in ready:
            g.status = G_RUNNABLE
            g.waitreason = WAIT_NONE
            g.since = self.now
        self.counters["netpolls"] += 1
        m.debt += self.draw_cost("netpoll")
        return ready

    def injectglist(self, gs, m):
        """injectglist (§3.9): netpoll's Gs to idle Ps via the global queue, the rest local."""
        if not gs:
            return
        p = m.p if m is not None else None
        if p is None:
            self.q.globrunqputbatch([g.idx for g in gs])
            self.start_idle(len(gs))
            return
        n2 = min(self.npidle(), len(gs))
        if n2:
            self.q.globrunqputbatch([g.idx for g in gs[:n2]])
            self.start_idle(n2)
        rest = [g.idx for g in gs[n2:]]
        if rest:
            left = self.q.runqputbatch(p.id, rest)
            if left:
                self.q.globrunqputbatch(left)
        self.wakep()

    def start_idle(self, n):
        for _ in range(n):
            p = self.pidlegetSpinning()
            if p is None:
                break
            self.startm(p, False)

    def netpoll_return(self, m):
        """The blocked netpoll returned (I/O, timeout or break)."""
        self.poller = None
        self.poll_until = 0
        self.lastpoll = self.now or 1                 # Go's nanotime() is never 0 (0 = polling)
        ready = self.netpoll(m)
        self.log(EV_NETPOLL, m=m, arg=len(ready))
        p = self.pidleget()
        if p is None:
            self.injectglist(ready, None)
            self.stopm(m)
            return
        self.acquirep(m, p)
        if ready:
            g, rest = ready[0], ready[1:]
            self.injectglist(rest, m)
            return self.found(m, g, False)
        if m.was_spinning:
            self.become_spinning(m)
        self.find_runnable(m)

    def io_complete(self, g):
        """A network wait is over: the fd is ready; a blocked poller returns now."""
        self.io_ready.append(g)
        self.log(EV_IO_READY, g=g)
        if self.lastpoll == 0:
            self.netpoll_break()
