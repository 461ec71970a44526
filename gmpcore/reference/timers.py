"""Timers (§3.2 step 3, time.Sleep): each P's heap of (when, seq, G, tag);
tag is -1 for time.Sleep, else the select case of a time.After.

Compiled twin: gmpcore/_engine_timers.pxi.
"""

import heapq

from gmpcore.events import EV_TIMER
from gmpcore.reference.common import SEL_WON


class Timers:
    """RefEngine's timers (§3.2 step 3, time.Sleep): each P's heap of (when, seq, G)."""

    def add_timer(self, p, when, g):
        self.add_timer_tag(p, when, g, -1)

    def add_timer_tag(self, p, when, g, tag):
        wake = not p.timers or when < p.timers[0][0]
        self.seq += 1
        heapq.heappush(p.timers, (when, self.seq, g, tag))
        self.netpoll_inited = True
        if wake:
            self.wake_net_poller(when)

    def check_timers(self, m, p, readier):
        """Run `p`'s expired timers on M `m`; each readies its G into
        `readier`'s runnext."""
        ran = 0
        while p.timers and p.timers[0][0] <= self.now:
            t = heapq.heappop(p.timers)
            g = t[2]
            if t[3] >= 0:
                # time.After's channel timer: it wins its select, unless the
                # select is over (a zombie: dropped without running).
                if not self.sel_timer_live(t):
                    continue
                g.sel_state, g.sel_won, g.sel_closed = SEL_WON, t[3], False
            self.log(EV_TIMER, p=p, g=g)
            self.counters["timers"] += 1
            self.ready(g, readier)
            m.debt += self.draw_cost("timer_fire")
            m.debt += self.draw_cost("ready")
            ran += 1
        return ran

    def wake_net_poller(self, when):
        """wakeNetPoller (§3.6)."""
        if self.lastpoll == 0:
            if self.poll_until == 0 or self.poll_until > when:
                self.netpoll_break()
        else:
            self.wakep()
