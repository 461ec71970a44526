"""Goroutines as records: the G a run creates (newproc1, §5.1).

Compiled twin: gmpcore/_engine_gtable.pxi (there, one 64-byte row per G in
a table that reuses dead rows without per-G records).
"""

from gmpcore.events import EV_CREATE, G_RUNNABLE, WAIT_NONE
from gmpcore.model import G_STATE_BYTES, GFREE_BATCH, GFREE_TRIM, GOIDCACHE_BATCH, STACK_MIN


class G:
    __slots__ = ("idx", "goid", "parent", "program", "pc", "status", "waitreason", "remaining",
                 "loops", "stack", "created", "first_run", "finished", "since",
                 "runnable_ns", "running_ns", "run_start", "preemptions", "steals",
                 "preempt", "m", "burst_end", "preemptible", "after_slow_syscall", "lockedm",
                 "sel_state", "sel_won", "sel_closed", "sel_seq", "sel_lock",
                 "after", "system")

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
        # selectgo (reference/select.py): SEL_*, the winning case, won by close,
        # seq before pass 2 (its timers have larger seqs), its lock order.
        self.sel_state, self.sel_won, self.sel_closed, self.sel_seq = 0, -1, False, 0
        self.sel_lock = ()
        self.after = None            # its time.After timer (reference/timers.py after_timer)
        self.system = False          # a runtime goroutine (reference/runtime.py): checkdead skips it


class GTable:
    """RefEngine's goroutines as records: the G a run creates (newproc1, §5.1)."""

    def gfget(self, p):
        """gfget (§5.1) for newproc: the P's gFree, an empty one refilled from
        the global lists (Gs with stacks first) up to GFREE_BATCH.  Returns the
        CPU the creator pays beyond newproc: 0 for a free G with its stack,
        stackalloc for one without, newproc_fresh (malg) when there is none.
        Only the kinds are kept (p.gfree: True = has its stack, top last)."""
        if not p.gfree and (self.gfree_stack or self.gfree_nostack):
            while len(p.gfree) < GFREE_BATCH:
                if self.gfree_stack:
                    self.gfree_stack -= 1
                    p.gfree.append(True)
                elif self.gfree_nostack:
                    self.gfree_nostack -= 1
                    p.gfree.append(False)
                else:
                    break
        if not p.gfree:
            return self.draw_cost("newproc_fresh")
        return 0 if p.gfree.pop() else self.draw_cost("stackalloc")

    def gfput(self, p, has_stack):
        """gfput (§5.2): a dead G onto the P's gFree (its stack freed if it had
        grown); at GFREE_TRIM, the top ones go to the global lists until
        GFREE_BATCH - 1 are left."""
        p.gfree.append(has_stack)
        if len(p.gfree) >= GFREE_TRIM:
            while len(p.gfree) >= GFREE_BATCH:
                self.gfpurge_one(p)

    def gfpurge(self, p):
        """gfpurge: a destroyed P's free Gs to the global lists."""
        while p.gfree:
            self.gfpurge_one(p)

    def gfpurge_one(self, p):
        if p.gfree.pop():
            self.gfree_stack += 1
        else:
            self.gfree_nostack += 1

    def cold_switch_ns(self):
        """The working-set model: a switch pays cold_switch times the chance
        that the G's stack and state left the cache, 1 - cache / working set,
        where the working set is every live G's stack and state."""
        ws = self.stack_inuse + self.live * G_STATE_BYTES
        cache = self.costs.cache_bytes
        if ws <= cache:
            return 0
        return self.draw_cost("cold_switch") * (ws - cache) // ws

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
        self.stack_inuse += STACK_MIN
        self.counters["goroutines"] += 1
        self.log(EV_CREATE, p=p, g=g, arg=-1 if parent is None else parent.idx)
        return g
