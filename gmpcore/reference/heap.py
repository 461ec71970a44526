"""The event heap: what happens next, in (when, seq) order (docs/simulator-design.md §2).

Compiled twin: gmpcore/_engine_heap.pxi.  An E_M or E_PREEMPT event is live
only while its gen equals its M's, an E_SYSMON event while its gen is
sysmon's (lazy cancellation); cancelled events are dropped before the heap
grows and are never dispatched or counted.
"""

import heapq

from gmpcore.reference.common import E_CPU, E_M, E_PERIOD, E_PREEMPT, E_SYSMON, E_THROTTLE


class EventHeap:
    """RefEngine's the event heap: what happens next, in (when, seq) order (docs/simulator-design.md §2)."""

    def push(self, when, kind, who, gen=0):
        self.seq += 1
        if len(self.heap) >= self.heap_cap:
            self.compact_events()
        heapq.heappush(self.heap, (when, self.seq, kind, who, gen))

    def event_live(self, kind, who, gen):
        """A cancelled event (its M or sysmon moved on: lazy cancellation) is a
        no-op when it comes due; only live events count and dispatch."""
        if kind in (E_M, E_PREEMPT):
            return gen == self.ms[who].gen
        if kind == E_SYSMON:
            return gen == self.sysmon["gen"]
        if kind == E_CPU:
            return gen == self.cpu_gen[who]
        if kind == E_THROTTLE:
            return gen == self.q_tgen
        if kind == E_PERIOD:
            return gen == self.q_pgen
        return True                                   # E_IO, E_QUOTA

    def compact_events(self):
        """Drop cancelled events before the heap grows, so that preempting a long
        CPU burst does not leave its end behind; pop order, by (when, seq), is
        unchanged.  The heap may then double if over half of it is live."""
        self.heap = [ev for ev in self.heap if self.event_live(*ev[2:])]
        heapq.heapify(self.heap)
        if 2 * len(self.heap) > self.heap_cap:
            self.heap_cap *= 2
