"""RefEngine's the runtime's start (simulate(runtime_init=True)): G1 runs
runtime.main's steps before main.main, and the runtime's own goroutines
live as Go's do where the model has no GC.  The programs are built by
gmpcore.startup for both engines.

Compiled twin: gmpcore/_engine_runtime.pxi (its header has the contract).
"""

from gmpcore.events import CAUSE_UPDATE, EV_READY, G_RUNNABLE, READY_SYSMON, WAIT_NONE, WAIT_UPDATE_IDLE
from gmpcore.reference.common import (
    OP_GO_SYS, OP_JUMP, OP_PARK_SYS, OP_RT_LOCK, OP_RT_UNLOCK, OP_UPDATE_DONE, OP_UPDATE_PARK,
    OP_UPDATE_PROCS, PH_RUN,
)


class Runtime:
    """RefEngine's runtime.main and the runtime goroutines' ops, and sysmon's
    wake-up of the idle GOMAXPROCS updater."""

    def run_runtime_op(self, m, g, p, op, a):
        """run_g's internal runtime ops: True when the G goes on to its next op."""
        if op == OP_JUMP:
            g.pc = a
            return True
        if op == OP_GO_SYS:
            cost = self.gfget(p)
            ng = self.newg(g, a, p)
            ng.system = True
            self.n_sys += 1
            self.counters["goroutines"] -= 1       # the program's goroutines, not the runtime's
            if a == self.upd_program:
                self.upd_g = ng
            self.runqput(p, ng, True)
            self.wakep()
            cost += self.draw_cost("newproc")
            self.resume(m, self.now + cost, PH_RUN)
            return False
        if op == OP_PARK_SYS:
            self.n_sys_waiting += 1
            self.park(m, g, a)
            return False
        if op == OP_RT_LOCK:
            # lockOSThread: lockedInt only, so newm never goes through a template thread.
            m.locked_int += 1
            m.lockedg, g.lockedm = g, m
            return True
        if op == OP_RT_UNLOCK:
            m.locked_int -= 1
            if m.locked_int == 0 and m.locked_ext == 0:
                m.lockedg, g.lockedm = None, None
            return True
        if op == OP_UPDATE_PARK:
            # updateMaxProcsGoroutine: idle, parked until sysmon injects it.
            self.upd_idle = True
            self.n_sys_waiting += 1
            self.park(m, g, WAIT_UPDATE_IDLE)
            return False
        if op == OP_UPDATE_PROCS:
            # stop the world with sysmon's value, unless the program has set
            # GOMAXPROCS since: then the updater's work is over (past the
            # started-at-start-up updater's loop, to its exit).
            if self.custom:
                if g.system:
                    g.pc += 1
                return True
            self.gomaxprocs_stw(m, g, self.upd_procs, CAUSE_UPDATE)
            return False
        if op == OP_UPDATE_DONE:
            self.upd_g = None                  # the updater is gone (made-when-needed: idle again)
            if g.system:
                self.n_sys -= 1
            return True
        raise AssertionError(f"unknown opcode {op}")

    def inject_updater(self):
        """sysmonUpdateGOMAXPROCS's end with the updater started at start-up:
        if it is idle, mark it busy and injectglist it (sysmon has no P)."""
        g = self.upd_g
        if not self.upd_idle or g is None:
            return                             # an update is still pending
        self.upd_idle = False
        self.n_sys_waiting -= 1
        g.status, g.waitreason = G_RUNNABLE, WAIT_NONE
        g.since = self.now
        self.log(EV_READY, g=g, arg=READY_SYSMON)
        self.injectglist([g], None)
