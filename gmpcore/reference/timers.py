"""Timers (§3.2 step 3; wave2 §4): each P's heap of (when, seq, who, kind)
entries: a sleeping G (TE_SLEEP, time.Sleep) or a Timer (TE_TIMER:
time.Timer, time.Ticker, AfterFunc; or TE_AFTER + k, the timer of a blocked
select's time.After case k, who = its G) with Go 1.23+'s rules: a channel timer
is in a heap only while a goroutine is blocked on its channel (needsAdd),
stopped and modified timers stay in the heap as zombies / with a stale when
until the heap's head or adjust reaches them, and a receive runs an expired
unheaped timer inline (maybeRunChan).

Compiled twin: gmpcore/_engine_timers.pxi (which lists where the model
departs from Go).
"""

import heapq
from collections import deque

from gmpcore.errors import WorkloadPanic
from gmpcore.events import EV_TIMER, WAIT_CHAN_RECEIVE
from gmpcore.reference.common import (OP_AFTER, OP_TIMER_RECV, OP_TIMER_RESET, PH_RUN,
                                      SEL_RECV_TIMER, SEL_WON)

TK_TIMER, TK_TICKER, TK_FUNC = 0, 1, 2        # workload.TIMER_KINDS
TS_MODIFIED, TS_ZOMBIE = 1, 2                 # timerModified, timerZombie
TE_SLEEP, TE_TIMER = 0, 1                     # a heap entry's kind
TE_AFTER = 2                                  # TE_AFTER + k: a select's time.After case k
TIME_LIMIT = 2**62


class Timer:
    """runtime.timer's fields the model needs, plus its channel t.C."""

    __slots__ = ("idx", "when", "period", "recvq", "ts", "blocked", "func", "kind", "state",
                 "count")

    def __init__(self, idx, kind=TK_TIMER, func=-1):
        self.idx, self.kind, self.func = idx, kind, func
        self.when = self.period = 0
        self.recvq = deque()
        self.ts = None                    # the P whose heap holds it (timerHeaped)
        self.blocked = self.state = self.count = 0


class Timers:
    """RefEngine's timers (§3.2 step 3; wave2 §4): each P's heap of (when, seq, who, kind)."""

    def timers_wake_time(self, p):
        """ts.wakeTime(): the earlier non-zero of the heap's head and minWhenModified; 0 none."""
        when = p.timers[0][0] if p.timers else 0
        nxt = p.tmin_modified
        if when == 0 or (nxt != 0 and nxt < when):
            return nxt
        return when

    def add_timer(self, p, when, g):
        """time.Sleep's timer (resetForSleep -> modify -> maybeAdd): G `g` wakes at `when`."""
        self.add_timer_tag(p, when, g, -1)

    def add_timer_tag(self, p, when, g, tag):
        """add_timer, or (tag >= 0) the timer of a blocked select's time.After
        case `tag` (blockTimerChan): an entry of kind TE_AFTER + tag for G `g`."""
        self.clean_head(p)
        wt = self.timers_wake_time(p)
        self.seq += 1
        heapq.heappush(p.timers, (when, self.seq, g, TE_SLEEP if tag < 0 else TE_AFTER + tag))
        self.netpoll_inited = True
        if wt == 0 or when < wt:
            self.wake_net_poller(when)

    def timer_when(self, d):
        """time.when(d): now + d, now for d <= 0; at least 1, since when 0 means
        stopped (Go's clock is never 0; ours starts there)."""
        return max(self.now + d if d > 0 else self.now, 1)

    @staticmethod
    def needs_add(t):
        """timer.needsAdd: not heaped, active, and a func timer or watched."""
        return t.ts is None and t.when > 0 and (t.kind == TK_FUNC or t.blocked > 0)

    def add_heap(self, p, t):
        """timers.addHeap: timer `t` joins `p`'s heap."""
        if t.when >= TIME_LIMIT:
            raise OverflowError("virtual time exceeds 2**62 ns")
        self.netpoll_inited = True
        t.ts = p
        self.seq += 1
        heapq.heappush(p.timers, (t.when, self.seq, t, TE_TIMER))

    def maybe_add(self, p, t):
        """timer.maybeAdd: into the current P's heap if it needs to be in one;
        wakeNetPoller if it is now the earliest."""
        self.clean_head(p)
        if not self.needs_add(t):
            return
        when = t.when
        wt = self.timers_wake_time(p)
        self.add_heap(p, t)
        if wt == 0 or when < wt:
            self.wake_net_poller(when)

    def timer_modify(self, p, t, when, period):
        """timer.modify (NewTimer, Reset, NewTicker, Ticker.Reset, AfterFunc) from
        a G on P `p`: a heaped timer is marked modified (its entry keeps the old
        when); a channel timer's stale value is drained (timerchandrain)."""
        wake = False
        t.period = period
        t.when = when
        if t.ts is not None:
            ts = t.ts
            t.state |= TS_MODIFIED
            if t.state & TS_ZOMBIE:
                ts.tzombies -= 1
                t.state &= ~TS_ZOMBIE
            if ts.tmin_modified == 0 or when < ts.tmin_modified:
                wake = True
                ts.tmin_modified = when
        t.count = 0                                      # timerchandrain
        if self.needs_add(t):
            self.maybe_add(p, t)
        if wake:
            self.wake_net_poller(when)

    def timer_stop(self, t):
        """timer.stop: inactive; a heaped timer becomes a zombie; drain t.C."""
        if t.ts is not None:
            t.state |= TS_MODIFIED
            if not t.state & TS_ZOMBIE:
                t.state |= TS_ZOMBIE
                t.ts.tzombies += 1
        t.when = 0
        t.count = 0

    def update_heap(self, p):
        """timer.updateHeap for the Timer at the head of `p`'s heap: drop a
        zombie, re-sift a modified entry.  Returns whether the head changed."""
        when, seq, t, kind = p.timers[0]
        if t.state & TS_ZOMBIE:
            t.state = 0
            t.ts = None
            p.tzombies -= 1
            heapq.heappop(p.timers)                       # deleteMin
            if not p.timers:
                p.tmin_modified = 0
            return True
        if t.state & TS_MODIFIED:
            t.state &= ~TS_MODIFIED
            if t.when >= TIME_LIMIT:
                raise OverflowError("virtual time exceeds 2**62 ns")
            heapq.heapreplace(p.timers, (t.when, seq, t, kind))
            return True
        return False

    def clean_head(self, p):
        """timers.cleanHead: fix the head while it is a zombie or modified."""
        while p.timers and p.timers[0][3] == TE_TIMER and p.timers[0][2].state:
            if not self.update_heap(p):
                break

    def timers_adjust(self, p, force):
        """timers.adjust: once the earliest modified timer is due (or forced),
        drop every zombie, refresh every modified entry, and re-heap."""
        first = p.tmin_modified
        if not force and (first == 0 or first > self.now):
            return
        p.tmin_modified = 0
        changed = False
        kept = []
        for ent in p.timers:
            when, seq, t, kind = ent
            if kind == TE_TIMER:
                if t.state & TS_ZOMBIE:
                    p.tzombies -= 1
                    t.state = 0
                    t.ts = None
                    changed = True
                    continue
                if t.state & TS_MODIFIED:
                    if t.when >= TIME_LIMIT:
                        raise OverflowError("virtual time exceeds 2**62 ns")
                    ent = (t.when, seq, t, kind)
                    t.state &= ~TS_MODIFIED
                    changed = True
            kept.append(ent)
        if changed:
            heapq.heapify(kept)
            p.timers = kept

    def check_timers(self, m, p, readier):
        """timers.check on M `m` for `p`'s heap: run every expired timer; each
        readies its G (a sleeper, or a timer channel's receiver) or creates its
        AfterFunc G in `readier`'s runnext.  Returns how many ran."""
        ran = 0
        nxt = self.timers_wake_time(p)
        if nxt == 0:
            return 0
        force = p is m.p and p.tzombies > len(p.timers) // 4
        if self.now < nxt and not force:
            return 0
        if p.timers:
            self.timers_adjust(p, False)
            while p.timers:                              # timers.run
                when, _, who, kind = p.timers[0]
                if kind != TE_TIMER:                     # a sleeping G, or a select's time.After
                    if when > self.now:
                        break
                    ent = heapq.heappop(p.timers)
                    if kind >= TE_AFTER:
                        # time.After's channel timer: it wins its select, unless the
                        # select is over (a zombie: dropped without running).
                        if not self.sel_timer_live(ent):
                            continue
                        who.sel_state, who.sel_won, who.sel_closed = SEL_WON, kind - TE_AFTER, False
                    self.log(EV_TIMER, p=p, g=who)
                    self.counters["timers"] += 1
                    self.ready(who, readier)
                    m.debt += self.draw_cost("timer_fire")
                    m.debt += self.draw_cost("ready")
                    ran += 1
                    continue
                if not who.state and when > self.now:
                    break
                if self.update_heap(p):
                    continue
                if who.when > self.now:
                    break
                m.debt += self.unlock_and_run(who, readier)
                ran += 1
            force = p is m.p and p.tzombies > len(p.timers) // 4
            if force:
                self.timers_adjust(p, True)
        return ran

    def unlock_and_run(self, t, readier):
        """timer.unlockAndRun: re-arm a ticker at when + period * (1 + delay /
        period) (missed ticks skipped), retire a one-shot timer, then run its
        function: sendTime (a non-blocking send into t.C's one slot, handing the
        value to a parked receiver) or goFunc (newproc on `readier`).  Returns
        the CPU it takes."""
        nxt, delay, p = 0, self.now - t.when, t.ts
        if t.period > 0:
            nxt = t.when + t.period * (1 + delay // t.period)
        t.when = nxt
        if p is not None:
            t.state |= TS_MODIFIED
            if nxt == 0:
                t.state |= TS_ZOMBIE
                p.tzombies += 1
            self.update_heap(p)
        self.log(EV_TIMER, p=readier if p is None else p, arg=t.idx)
        self.counters["timers"] += 1
        cost = self.draw_cost("timer_fire")
        if t.kind == TK_FUNC:
            cost += self.gfget(readier)                   # goFunc's `go f()`: a free G, or a malg
            self.newproc(readier, None, t.func)
            return cost + self.draw_cost("newproc")
        # The send's recvq.dequeue: stale entries of selects another case won
        # are dropped; a waiting select is claimed by its case on t.C.
        w = self.waitq_dequeue(t.recvq, t.idx, SEL_RECV_TIMER)
        if w is not None:
            self.ready(w, readier)
            cost += self.draw_cost("ready")
        elif t.count == 0:
            t.count = 1
        return cost                                       # the slot is full: dropped

    def maybe_run_chan(self, p, t):
        """timer.maybeRunChan, before a receive on t.C: an expired timer that is
        in no heap (nobody watched it) runs now, so its value is in t.C.
        Returns the CPU it takes."""
        if t.ts is not None or t.when == 0 or t.when > self.now:
            return 0
        return self.unlock_and_run(t, p)

    def block_timer_chan(self, p, t):
        """blockTimerChan: a receiver is about to park on t.C; a pending zombie
        comes back to life, an unheaped active timer joins `p`'s heap."""
        t.blocked += 1
        if t.ts is not None and t.state & TS_ZOMBIE and t.when > 0:
            t.state &= ~TS_ZOMBIE
            t.ts.tzombies -= 1
        if self.needs_add(t):
            self.maybe_add(p, t)

    def unblock_timer_chan(self, t):
        """unblockTimerChan: a receiver parked on t.C has woken; with nobody
        left watching, a heaped timer becomes a zombie (keeping its when)."""
        t.blocked -= 1
        if t.blocked == 0 and t.ts is not None and not t.state & TS_ZOMBIE:
            t.state |= TS_ZOMBIE
            t.ts.tzombies += 1

    def after_timer(self, g):
        """G `g`'s time.After timer (made on first use).  A G waits on one
        time.After at a time, and the timer has left every heap by the time
        the G runs again."""
        if g.after is None:
            g.after = Timer(len(self.tms) + g.idx)
        return g.after

    def timer_recv(self, m, g, t, extra):
        """chanrecv on a timer channel t.C: maybeRunChan, take the buffered
        value, or park (wait reason chan receive) after blockTimerChan; the G
        comes back to this op (remaining 0) to call unblockTimerChan when it wakes."""
        cost = self.draw_cost("chan_op") + extra
        cost += self.maybe_run_chan(m.p, t)
        if t.count:
            t.count = 0
            self.resume(m, self.now + cost, PH_RUN)
            return
        t.recvq.append(g)
        self.block_timer_chan(m.p, t)
        g.pc -= 1
        g.remaining = 0
        return self.park(m, g, WAIT_CHAN_RECEIVE, cost)

    def wake_net_poller(self, when):
        """wakeNetPoller (§3.6)."""
        if self.lastpoll == 0:
            if self.poll_until == 0 or self.poll_until > when:
                self.netpoll_break()
        else:
            self.wakep()

    def run_timer_op(self, m, g, p, op, a, b):
        """run_g's timer ops (TIMER_RESET/STOP/RECV, AFTER): True when the G
        goes on to its next op at once, else False (it was resumed or parked)."""
        if op == OP_TIMER_RECV or op == OP_AFTER:
            if g.remaining >= 0:                 # woken by its send: unblockTimerChan
                g.remaining = -1
                self.unblock_timer_chan(self.tms[a] if op == OP_TIMER_RECV else g.after)
                return True
            if op == OP_TIMER_RECV:
                self.timer_recv(m, g, self.tms[a], 0)
                return False
            # <-time.After(d): NewTimer(d) (a fresh channel timer, in no
            # heap), then the receive.
            d = self.sample(a)
            t = self.after_timer(g)
            t.when = self.timer_when(d)
            t.period = t.count = 0
            self.timer_recv(m, g, t, self.draw_cost("timer_add"))
            return False
        if op == OP_TIMER_RESET:
            d = self.sample(b)
            t = self.tms[a]
            if t.kind == TK_TICKER and d <= 0:
                raise WorkloadPanic("non-positive interval for NewTicker" if t.period == 0
                                    else "non-positive interval for Ticker.Reset", g.goid)
            self.timer_modify(p, t, self.timer_when(d), d if t.kind == TK_TICKER else 0)
        else:                                        # OP_TIMER_STOP
            self.timer_stop(self.tms[a])
        self.resume(m, self.now + self.draw_cost("timer_modify"), PH_RUN)
        return False
