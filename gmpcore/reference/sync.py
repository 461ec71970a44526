"""Channels and WaitGroups (chan.go, sync.WaitGroup): FIFO wait queues,
released with ready() into the releaser's P's runnext.  A closed channel's
queues stay empty.

Compiled twin: gmpcore/_engine_sync.pxi.
"""

from collections import deque

from gmpcore.errors import WorkloadPanic
from gmpcore.events import WAIT_CHAN_RECEIVE, WAIT_CHAN_SEND
from gmpcore.reference.common import OP_RANGE, PH_RUN


class Chan:
    __slots__ = ("cap", "closed", "count", "recvq", "sendq")

    def __init__(self, cap):
        self.cap, self.count, self.closed = cap, 0, False
        self.recvq, self.sendq = deque(), deque()


class WaitGroup:
    __slots__ = ("counter", "waiters")

    def __init__(self):
        self.counter, self.waiters = 0, deque()


class SyncObjects:
    """RefEngine's channels and WaitGroups (chan.go, sync.WaitGroup): FIFO wait queues,"""

    def chansend(self, m, g, ch):
        cost = self.draw_cost("chan_op")
        if ch.recvq:                                     # (never on a closed channel)
            self.ready(ch.recvq.popleft(), m.p)          # hand the value over
            cost += self.draw_cost("ready")
        elif ch.closed:
            raise WorkloadPanic("send on closed channel", g.goid)
        elif ch.count < ch.cap:
            ch.count += 1
        else:
            ch.sendq.append(g)
            return self.park(m, g, WAIT_CHAN_SEND, self.draw_cost("chan_op"))
        self.resume(m, self.now + cost, PH_RUN)

    def chanrecv(self, m, g, ch):
        cost = self.draw_cost("chan_op")
        if ch.sendq:
            # Unbuffered: take the sender's value.  Buffered and full: take the
            # head; the sender's value fills the freed slot.
            self.ready(ch.sendq.popleft(), m.p)
            cost += self.draw_cost("ready")
        elif ch.count:
            ch.count -= 1
        elif ch.closed:
            pass                                         # drained: the zero value, ok == false
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
