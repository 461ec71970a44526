"""Timers (§3.2 step 3, time.Sleep): each P's heap of (when, seq, G).

Compiled twin: gmpcore/_engine_timers.pxi.
"""

import heapq

from gmpcore.events import EV_TIMER


class Timers:
    """RefEngine's timers (§3.2 step 3, time.Sleep): each P's heap of (when, seq, G)."""

    def add_timer(self, p, when, g):
        wake = not p.timers or when < p.timers[0][0]
        self.seq += 1
        heapq.heappush(p.timers, (when, self.seq, g))
        self.netpoll_inited = True
        if wake:
            self.wake_net_poller(when)

    def check_timers(self, m, p, readier):
        """Run `p`'s expired timers on M `m`; each readies its G into
        `readier`'s runnext."""
        ran = 0
        while p.timers and p.timers[0][0] <= self.now:
            _, _, g = heapq.heappop(p.timers)
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
