"""select (runtime/select.go selectgo, wave2 reference §1) and the channel
wait-queue dequeue it shares with plain sends, receives and close
(chan.go waitq.dequeue and its selectDone CAS).

A G blocked in a select (SEL_WAITING) has one entry per case in its
channels' queues (a Timer's or Ticker's own recvq for a case on its t.C,
SEL_RECV_TIMER, which blockTimerChan keeps in a heap while watched) and one
timer per time.After case; the first operation that dequeues it
(waitq_dequeue, close, a timer's send, its time.After timer) claims it
(SEL_WON, Go's selectDone) and readies it; its other entries are stale and
skipped by later dequeues until it runs its SELECT row again (pass 3) and
removes them (unblockTimerChan for each timer channel case).  Its
time.After timers left in a heap are zombies: check_timers drops them.  The receive and
send paths decide readiness and act in chan_recv_try and chan_send_try, one
per case kind, for plain operations and select alike.

Compiled twin: gmpcore/_engine_select.pxi.
"""

from gmpcore.errors import WorkloadPanic
from gmpcore.events import WAIT_CHAN_RECEIVE, WAIT_CHAN_SEND, WAIT_SELECT
from gmpcore.reference.common import (PH_RUN, SEL_AFTER, SEL_NONE, SEL_RECV, SEL_RECV_TIMER,
                                      SEL_SEND, SEL_WAITING, SEL_WON)


class Selects:
    """RefEngine's select (selectgo) and the wait-queue dequeue it shares with chan.go."""

    def sel_case_of(self, w, chi, kind):
        # The first case in w's lock order on channel chi of this kind: the
        # sudog nearest the queue's head (pass 2 enqueued in lock order).
        s = w.pc
        for k in w.sel_lock:
            row = self.code[s + 1 + k]
            if row[1] == kind and row[2] == chi:
                return k
        return -1

    def waitq_dequeue(self, q, chi, kind):
        """waitq.dequeue: the first waiter, skipping (and dropping) the stale
        entries of selects another case already won; a selecting G is claimed
        (selectDone 0 -> 1) by the case of `kind` on channel `chi`."""
        while q:
            w = q.popleft()
            if w.sel_state == SEL_NONE:
                return w
            if w.sel_state == SEL_WON:
                continue                             # the CAS fails: another case won it
            w.sel_state, w.sel_won, w.sel_closed = SEL_WON, self.sel_case_of(w, chi, kind), False
            return w
        return None

    def chan_send_try(self, m, g, chi, span, cost):
        """Whether a send on channel chi completes now, and the cost so far:
        closed panics, a waiting receiver takes the value (readied into this
        P's runnext), else the buffer if it has room.  With carried spans the
        value's stamp (span, now, g) goes with it."""
        ch = self.chans[chi]
        if ch.closed:
            raise WorkloadPanic("send on closed channel", g.goid)
        w = self.waitq_dequeue(ch.recvq, chi, SEL_RECV)
        if w is not None:
            if self.stamps_on:
                self.stamp_in(w, span, self.now, g.goid)
            self.ready(w, m.p)                       # hand the value over
            return True, cost + self.draw_cost("ready")
        if ch.count < ch.cap:
            if ch.stamped:
                ch.ring.append((span, self.now, g.goid))
            ch.count += 1
            return True, cost
        return False, cost

    def chan_recv_try(self, m, g, chi, cost):
        """Whether a receive by g on channel chi completes now, and the cost
        so far: a waiting sender, the buffer, or closed (zero value).  With
        carried spans g takes the value's stamp (none for the zero value)."""
        ch = self.chans[chi]
        w = self.waitq_dequeue(ch.sendq, chi, SEL_SEND)
        if w is not None:
            # Unbuffered: take the sender's value.  Buffered and full: take the
            # head; the sender's value fills the freed slot.
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
            return True, cost + self.draw_cost("ready")
        if ch.count:
            if self.stamps_on:
                if ch.stamped:
                    self.stamp_in(g, *ch.ring.popleft())
                else:
                    self.stamp_in(g, 0, 0, 0)
            ch.count -= 1
            return True, cost
        if ch.closed:                                # drained and closed: the zero value
            if self.stamps_on:
                self.stamp_in(g, 0, 0, 0)
            return True, cost
        return False, cost

    def waitq_claim_all(self, q, chi, kind):
        # closechan's dequeue loop, as far as selects go: in queue order, claim
        # each waiting select (success == false) and drop stale entries, so the
        # queue keeps exactly the Gs close will ready.
        keep = []
        for w in q:
            if w.sel_state != SEL_NONE:
                if w.sel_state == SEL_WON:
                    continue
                w.sel_state, w.sel_won, w.sel_closed = SEL_WON, self.sel_case_of(w, chi, kind), True
            keep.append(w)
        q.clear()
        q.extend(keep)

    @staticmethod
    def dequeue_sudog(q, g):
        # dequeueSudoG for every entry of g left in q (pass 3).
        if g in q:
            kept = [w for w in q if w is not g]
            q.clear()
            q.extend(kept)

    def selectgo(self, m, g, s):
        """The SELECT at pc s: pass 3 if a case won the G while it was parked;
        else the poll order (cheaprandn), the lock order (heap sort by channel),
        pass 1, the default, or pass 2 and a park."""
        if g.sel_state == SEL_WON:
            return self.selectgo_woken(m, g, s)
        n = self.code[s][1]
        rows = [self.code[s + 1 + k] for k in range(n)]
        # The case expressions, in source order: each time.After(d) draws d.
        dur = [self.sample(r[2]) if r[1] == SEL_AFTER else 0 for r in rows]
        if n == 1:
            # Lowered by the compiler (selectnbsend/selectnbrecv, or a plain
            # receive from time.After): no selectgo, no draw.
            cost, poll, lock = self.draw_cost("chan_op"), [0], [0]
        else:
            cost = self.draw_cost("select_base")
            cost += n * self.draw_cost("select_case")
        # Timer channels, in case order: maybeRunChan runs an expired timer in
        # no heap, so that its value is in t.C for pass 1.  (Go does it in the
        # pollorder loop, between the cheaprandn draws, which it does not touch.)
        for r in rows:
            if r[1] == SEL_RECV_TIMER:
                cost += self.maybe_run_chan(m.p, self.tms[r[2]])
        if n > 1:
            # pollorder: the inside-out Fisher-Yates shuffle, j = cheaprandn(norder + 1).
            poll = [0] * n
            for i in range(n):
                j = (self.rand32() * (i + 1)) >> 32
                poll[i] = poll[j]
                poll[j] = i
            # lockorder: heap sort by sortkey (the channel; a Timer's channel
            # after every workload channel, by timer index; time.After's own
            # channel after those), inserted in poll order.
            key = [self.sel_sortkey(k, r) for k, r in enumerate(rows)]
            lock = [0] * n
            for i in range(n):
                j, c = i, key[poll[i]]
                while j > 0 and key[lock[(j - 1) // 2]] < c:
                    k = (j - 1) // 2
                    lock[j] = lock[k]
                    j = k
                lock[j] = poll[i]
            for i in range(n - 1, -1, -1):
                o = lock[i]
                c = key[o]
                lock[i] = lock[0]
                j = 0
                while True:
                    k = j * 2 + 1
                    if k >= i:
                        break
                    if k + 1 < i and key[lock[k]] < key[lock[k + 1]]:
                        k += 1
                    if c < key[lock[k]]:
                        lock[j] = lock[k]
                        j = k
                        continue
                    break
                lock[j] = o
        # Pass 1: the first ready case in poll order.
        for k in poll:
            kind, x, body = rows[k][1], rows[k][2], rows[k][3]
            if kind == SEL_RECV:
                done, cost = self.chan_recv_try(m, g, x, cost)
            elif kind == SEL_SEND:
                done, cost = self.chan_send_try(m, g, x, 0, cost)
            elif kind == SEL_RECV_TIMER:
                done = self.timer_chan_take(self.tms[x])
            else:
                done = self.after_ready(dur[k])
            if done:
                g.pc = body
                return self.resume(m, self.now + cost, PH_RUN)
        if self.code[s][2]:                          # the default
            g.pc = s + 1 + n
            return self.resume(m, self.now + cost, PH_RUN)
        # Pass 2: a sudog on every case's channel, in lock order; timers join the heap.
        if self.stamps_on:                           # a select's sent values carry no span
            self.gsync_local(g).out_span = 0
        g.sel_state, g.sel_won, g.sel_closed, g.sel_seq = SEL_WAITING, -1, False, self.seq
        g.sel_lock = tuple(lock)
        for k in lock:
            kind, x = rows[k][1], rows[k][2]
            if kind == SEL_RECV:
                self.chans[x].recvq.append(g)
            elif kind == SEL_SEND:
                self.chans[x].sendq.append(g)
            elif kind == SEL_RECV_TIMER:
                self.tms[x].recvq.append(g)
                self.block_timer_chan(m.p, self.tms[x])
            else:
                self.add_timer_tag(m.p, self.now + dur[k], g, k)    # blockTimerChan
        g.pc = s                                     # it runs its SELECT again (pass 3) when woken
        if n == 1:
            return self.park(m, g, WAIT_CHAN_SEND if rows[0][1] == SEL_SEND else WAIT_CHAN_RECEIVE,
                             cost)
        return self.park(m, g, WAIT_SELECT, cost)

    @staticmethod
    def timer_chan_take(t):
        # A timer channel's case in pass 1: its one-slot buffer holds a value.
        if t.count:
            t.count = 0
            return True
        return False

    @staticmethod
    def after_ready(d):
        # time.After(d)'s channel in pass 1: maybeRunChan runs an expired timer.
        return d <= 0

    def sel_sortkey(self, k, row):
        # hchan.sortkey (its address): the channel index; a Timer's channel
        # sorts after every workload channel, by timer index, and a time.After
        # channel, made by the select itself, after those.
        if row[1] == SEL_RECV_TIMER:
            return len(self.chans) + row[2]
        return len(self.chans) + len(self.tms) + k if row[1] == SEL_AFTER else row[2]

    def selectgo_woken(self, m, g, s):
        """Pass 3: drop the G's sudogs from every other channel (unblockTimerChan
        for a timer channel's), take the case that won it; a send case won by
        close panics."""
        n = self.code[s][1]
        for k in range(n):
            kind, x = self.code[s + 1 + k][1], self.code[s + 1 + k][2]
            if kind == SEL_RECV:
                q = self.chans[x].recvq
            elif kind == SEL_SEND:
                q = self.chans[x].sendq
            elif kind == SEL_RECV_TIMER:
                self.unblock_timer_chan(self.tms[x])
                q = self.tms[x].recvq
            else:
                continue
            self.dequeue_sudog(q, g)
        g.sel_state = SEL_NONE
        row = self.code[s + 1 + g.sel_won]
        if row[1] == SEL_SEND and g.sel_closed:
            raise WorkloadPanic("send on closed channel", g.goid)
        g.pc = row[3]
        self.resume(m, self.now + (0 if n == 1 else n * self.draw_cost("select_wake")), PH_RUN)

    def sel_timer_live(self, t):
        # A select's timer (kind TE_AFTER + its case) whose select still waits; else a zombie.
        g = t[2]
        return g.sel_state == SEL_WAITING and t[1] > g.sel_seq
