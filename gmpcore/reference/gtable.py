"""Goroutines as records: the G a run creates (newproc1, §5.1).

Compiled twin: gmpcore/_engine_gtable.pxi (there, one 64-byte row per G in
a table that reuses dead rows without per-G records).
"""

from gmpcore.events import EV_CREATE, G_RUNNABLE, WAIT_NONE
from gmpcore.model import GOIDCACHE_BATCH, STACK_MIN


class G:
    __slots__ = ("idx", "goid", "parent", "program", "pc", "status", "waitreason", "remaining",
                 "loops", "stack", "created", "first_run", "finished", "since",
                 "runnable_ns", "running_ns", "run_start", "preemptions", "steals",
                 "preempt", "m", "burst_end", "preemptible", "after_slow_syscall", "lockedm",
                 "after")

    def __init__(self, idx, goid, parent, program, pc, depth, now):
        self.idx, self.goid, self.parent, self.pc = idx, goid, parent, pc
        self.program = program
        self.status, self.waitreason = G_RUNNABLE, WAIT_NONE
        self.remaining = -1          # ns of CPU (or spawns) left in the current op; -1 = not started
        self.loops = [0] * depth
        self.stack = STACK_MIN
        self.created, self.first_run, self.finished = now, -1, -1
        # since: when it last became runnable or started waiting (latency, deadlock dump)
        self.since, self.runnable_ns, self.running_ns = now, 0, 0
        self.run_start = -1
        self.preemptions = self.steals = 0
        self.preempt = False         # gp.preempt: stop at the next safe point
        self.m = None
        self.burst_end = -1
        self.preemptible = True
        self.after_slow_syscall = False
        self.lockedm = None          # the M it is wired to (LockOSThread)
        self.after = None            # its time.After timer (reference/timers.py after_timer)


class GTable:
    """RefEngine's goroutines as records: the G a run creates (newproc1, §5.1)."""

    def newg(self, parent, program, p):
        """newproc1 (§5.1): a fresh G with the next goid of `p`'s cache."""
        if p.goidcache == p.goidcacheend:
            self.goidgen += GOIDCACHE_BATCH
            p.goidcache = self.goidgen - GOIDCACHE_BATCH + 1
            p.goidcacheend = self.goidgen + 1
        g = G(len(self.gs), p.goidcache, -1 if parent is None else parent.idx, program,
              self.entry[program], self.depth[program], self.now)
        p.goidcache += 1
        self.gs.append(g)
        self.live += 1
        self.counters["goroutines"] += 1
        self.log(EV_CREATE, p=p, g=g, arg=-1 if parent is None else parent.idx)
        return g
