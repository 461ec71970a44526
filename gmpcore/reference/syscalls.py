"""System calls (§4.1-§4.3): entersyscall(block) and exitsyscall's paths.

Compiled twin: gmpcore/_engine_syscalls.pxi.
"""

from gmpcore.events import (
    EV_SYSCALL_ENTER,
    EV_SYSCALL_EXIT,
    G_RUNNABLE,
    G_RUNNING,
    G_SYSCALL,
    P_IDLE,
    P_SYSCALL,
    STOP_SYSCALL,
)
from gmpcore.reference.common import PH_EXECUTE, PH_RUN, PH_SYSCALL


class Syscalls:
    """RefEngine's system calls (§4.1-§4.3): entersyscall(block) and exitsyscall's paths."""

    def entersyscall(self, m, g, duration, blocking=False):
        """entersyscall (§4.1), or entersyscallblock (§4.2) for a known-blocking call."""
        p = m.p
        self.dropg(m, g, STOP_SYSCALL)
        g.m = m
        m.curg = g
        g.status = G_SYSCALL
        self.counters["syscalls"] += 1
        self.log(EV_SYSCALL_ENTER, m=m, p=p, g=g)
        m.syscalltick = p.syscalltick
        if blocking:
            p.syscalltick += 1
            self.releasep(m)
            self.handoffp(p)
        else:
            if self.sysmon["wait"]:                  # only the plain entersyscall wakes it
                self.sysmon_wake()
            p.m, m.oldp, m.p = None, p, None
            p.status = P_SYSCALL
            if self.gcwaiting:
                self.entersyscall_gcwait(p)
        self.resume(m, self.now + self.draw_cost("syscall_enter") + duration, PH_SYSCALL)

    def exitsyscall(self, m):
        g, oldp = m.curg, m.oldp
        m.oldp = None
        if oldp is not None and oldp.status == P_SYSCALL:
            # Fast path: our P is still ours (§4.3 step 2b).
            oldp.status = P_IDLE
            self.acquirep(m, oldp)
            if m.syscalltick != oldp.syscalltick:
                oldp.syscalltick += 1
            how = 0
        else:
            p = self.pidleget()
            if p is not None:
                if self.sysmon["wait"]:
                    self.sysmon_wake()
                self.acquirep(m, p)
                how = 1
            else:
                return self.exitsyscall0(m, g)
        m.p.syscalltick += 1
        g.status = G_RUNNING
        g.run_start = self.now
        self.log(EV_SYSCALL_EXIT, m=m, p=m.p, g=g, arg=how)
        self.resume(m, self.now + self.draw_cost("syscall_exit"), PH_RUN)

    def exitsyscall0(self, m, g):
        """The slow path: no P; the G goes to the global queue, the M stops."""
        g.status = G_RUNNABLE
        g.m, m.curg = None, None
        g.since = self.now
        g.after_slow_syscall = True
        self.log(EV_SYSCALL_EXIT, m=m, g=g, arg=2)
        p = self.pidleget()
        if p is None:
            self.q.globrunqput(g.idx)
        elif self.sysmon["wait"]:
            self.sysmon_wake()
        if p is not None:
            self.acquirep(m, p)
            m.nextg, m.next_inherit = g, False
            self.resume(m, self.now + self.draw_cost("syscall_exit_slow"), PH_EXECUTE)
            return
        if m.lockedg is not None:
            return self.stoplockedm(m)               # until an M picks g and hands us a P
        self.stopm(m)
