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
from gmpcore.reference.common import OP_RANGE, PH_RUN


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

    def chansend(self, m, g, ch, span=0):
        # span: the SEND's b, a span name + 1 whose start the value carries (0: none).
        cost = self.draw_cost("chan_op")
        if ch.recvq:                                     # (never on a closed channel)
            w = ch.recvq.popleft()
            if self.stamps_on:
                self.stamp_in(w, span, self.now, g.goid)
            self.ready(w, m.p)                           # hand the value over
            cost += self.draw_cost("ready")
        elif ch.closed:
            raise WorkloadPanic("send on closed channel", g.goid)
        elif ch.count < ch.cap:
            if ch.stamped:
                ch.ring.append((span, self.now, g.goid))
            ch.count += 1
        else:
            if self.stamps_on:
                loc = self.gsync_local(g)
                loc.out_span, loc.out_start = span, self.now
            ch.sendq.append(g)
            return self.park(m, g, WAIT_CHAN_SEND, self.draw_cost("chan_op"))
        self.resume(m, self.now + cost, PH_RUN)

    def chanrecv(self, m, g, ch):
        cost = self.draw_cost("chan_op")
        if ch.sendq:
            # Unbuffered: take the sender's value.  Buffered and full: take the
            # head; the sender's value fills the freed slot.
            w = ch.sendq.popleft()
            if self.stamps_on:
                wl = self.gsync_local(w)
                if ch.stamped and ch.count:
                    self.stamp_in(g, *ch.ring.popleft())
                    ch.ring.append((wl.out_span, wl.out_start, w.goid))
                elif ch.count:
                    self.stamp_in(g, 0, 0, 0)
                else:
                    self.stamp_in(g, wl.out_span, wl.out_start, w.goid)
            self.ready(w, m.p)
            cost += self.draw_cost("ready")
        elif ch.count:
            if self.stamps_on:
                if ch.stamped:
                    self.stamp_in(g, *ch.ring.popleft())
                else:
                    self.stamp_in(g, 0, 0, 0)
            ch.count -= 1
        elif ch.closed:
            # drained: the zero value, ok == false (it carries no stamp)
            if self.stamps_on:
                self.stamp_in(g, 0, 0, 0)
        else:
            ch.recvq.append(g)
            return self.park(m, g, WAIT_CHAN_RECEIVE, self.draw_cost("chan_op"))
        self.resume(m, self.now + cost, PH_RUN)

    def closechan(self, m, g, ch):
        # closechan: gathers every parked receiver, then every parked sender, on
        # a gList (a LIFO) and goready's them off it into this P's runnext: the
        # last sender first, the first receiver last, so it ends in runnext.
        if ch.closed:
            raise WorkloadPanic("close of closed channel", g.goid)
        ch.closed = True
        glist = []
        for w in ch.recvq:
            if self.code[w.pc - 1][0] == OP_RANGE:       # ok == false ends a for-range loop
                w.pc = self.code[w.pc - 1][3]
            if self.stamps_on:
                self.stamp_in(w, 0, 0, 0)                # the zero value carries no stamp
            glist.append(w)
        for w in ch.sendq:
            w.pc -= 1                # back to its SEND, which panics when it runs
            glist.append(w)
        ch.recvq.clear()
        ch.sendq.clear()
        cost = self.draw_cost("chan_op")
        while glist:
            self.ready(glist.pop(), m.p)
            cost += self.draw_cost("ready")
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
