"""Channels and WaitGroups (chan.go, sync.WaitGroup): FIFO wait queues,
released with ready() into the releaser's P's runnext.  A closed channel's
queues stay empty.

Carried spans (send(ch, span=...)): when the workload has any (stamps_on),
every value carries a stamp (span 0: none) and every receive replaces the
receiver's GSync.in_* with the value's: a buffered value's stamp waits in the
channel's ring (FIFO, like the values), a parked sender's in its GSync.out_*,
a hand-off to a parked receiver goes straight to it, and a receive from a
closed channel carries none.

Compiled twin: gmpcore/_engine_sync.pxi.
"""

from collections import deque

from gmpcore.errors import WorkloadPanic
from gmpcore.events import WAIT_CHAN_RECEIVE, WAIT_CHAN_SEND
from gmpcore.reference.common import OP_RANGE, PH_RUN, SEL_NONE, SEL_RECV, SEL_SEND


class Chan:
    __slots__ = ("cap", "closed", "count", "recvq", "sendq", "ring", "stamped")

    def __init__(self, cap):
        self.cap, self.count, self.closed = cap, 0, False
        self.recvq, self.sendq = deque(), deque()
        self.ring, self.stamped = deque(), False    # (span, start, goid) per buffered value


class WaitGroup:
    __slots__ = ("counter", "waiters")

    def __init__(self):
        self.counter, self.waiters = 0, deque()


class SyncObjects:
    """RefEngine's channels and WaitGroups (chan.go, sync.WaitGroup): FIFO wait queues,"""

    def stamp_in(self, g, span, start, goid):
        """The receiver g now holds the received value's stamp (span 0: none)."""
        loc = self.gsync_local(g)
        loc.in_span, loc.in_start, loc.in_goid = span, start, goid

    def chansend(self, m, g, chi, span=0):
        # chan_send_try (reference/select.py) decides, as a select's send case does;
        # span: the SEND's b, a span name + 1 whose start the value carries (0: none).
        done, cost = self.chan_send_try(m, g, chi, span, self.draw_cost("chan_op"))
        if not done:
            if self.stamps_on:                           # the parked sender keeps its stamp
                loc = self.gsync_local(g)
                loc.out_span, loc.out_start = span, self.now
            self.chans[chi].sendq.append(g)
            return self.park(m, g, WAIT_CHAN_SEND, self.draw_cost("chan_op"))
        self.resume(m, self.now + cost, PH_RUN)

    def chanrecv(self, m, g, chi):
        # chan_recv_try (reference/select.py) decides, as a select's receive case does.
        done, cost = self.chan_recv_try(m, g, chi, self.draw_cost("chan_op"))
        if not done:
            self.chans[chi].recvq.append(g)
            return self.park(m, g, WAIT_CHAN_RECEIVE, self.draw_cost("chan_op"))
        self.resume(m, self.now + cost, PH_RUN)

    def closechan(self, m, g, chi):
        # closechan: gathers every parked receiver, then every parked sender, on
        # a gList (a LIFO) and goready's them off it into this P's runnext: the
        # last sender first, the first receiver last, so it ends in runnext.
        ch = self.chans[chi]
        if ch.closed:
            raise WorkloadPanic("close of closed channel", g.goid)
        ch.closed = True
        # Selects parked here are claimed (success == false) and their stale
        # sudogs dropped, receivers first, as closechan's dequeue loops do.
        self.waitq_claim_all(ch.recvq, chi, SEL_RECV)
        self.waitq_claim_all(ch.sendq, chi, SEL_SEND)
        glist = []
        for w in ch.recvq:
            if w.sel_state == SEL_NONE and self.code[w.pc - 1][0] == OP_RANGE:
                w.pc = self.code[w.pc - 1][3]            # ok == false ends a for-range loop
            if self.stamps_on:
                self.stamp_in(w, 0, 0, 0)                # the zero value carries no stamp
            glist.append(w)
        for w in ch.sendq:
            if w.sel_state == SEL_NONE:
                w.pc -= 1            # back to its SEND, which panics when it runs
            glist.append(w)
        ch.recvq.clear()
        ch.sendq.clear()
        cost = self.draw_cost("chan_op")
        while glist:
            self.ready(glist.pop(), m.p)
            cost += self.draw_cost("close_waiter")
        self.resume(m, self.now + cost, PH_RUN)

    def wg_add(self, m, g, wg, delta):
        # WaitGroup.Add: the counter is the high 32 bits of a uint64 state, read
        # back as an int32, so it wraps: Add(1 << 31) from 0 reads as negative.
        wg.counter = (wg.counter + delta + 2**31) % 2**32 - 2**31
        if wg.counter < 0:
            raise WorkloadPanic("sync: negative WaitGroup counter", g.goid)
        cost = self.draw_cost("wg_op")
        if wg.counter == 0:
            while wg.waiters:                            # semrelease, FIFO
                self.ready(wg.waiters.popleft(), m.p)
                cost += self.draw_cost("ready")
        self.resume(m, self.now + cost, PH_RUN)
