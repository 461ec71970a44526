"""Observing a run without changing it: monitor samples, the snapshot's
view, schedtrace lines.

Compiled twin: gmpcore/_engine_observe.pxi.
"""

import numpy as np

from gmpcore.events import G_DEAD, G_RUNNABLE, G_RUNNING
from gmpcore.reference.common import PH_DEAD, PH_LOCKED
from gmpcore.reference.gtable import G


class Observer:
    """RefEngine's observing a run without changing it: monitor samples, the snapshot's"""

    def observe(self, until, final=False):
        """Monitor samples and the snapshot for the times up to `until`: the
        state then is the state after every event at or before it."""
        while self.mon_period and self.mon_next <= until and len(self.samples) < self.max_samples:
            self.samples.append(self.monitor_row(self.mon_next))
            self.mon_next += self.mon_period
        if self.snapshot_at >= 0 and self.snapshot is None and (self.snapshot_at <= until or final):
            self.snapshot = self.view()
            self.snapshot["time"] = self.snapshot_at if self.snapshot_at <= until else self.now

    def monitor_row(self, t):
        live = [g for g in self.gs if g.status != G_DEAD]
        return (t, len(live) - self.n_sys, sum(g.status == G_RUNNABLE for g in live),
                sum(g.status == G_RUNNING for g in live), self.q.globrunqsize(),
                len(self.ms) - self.nmfreed,
                len(self.midle), self.nmspinning, self.npidle(), sum(g.stack for g in live),
                tuple(self.q.runqsize(p.id) for p in self.allp))   # dead Ps hold 0

    def view(self):
        """The scheduler's state now, as gmpcore.state describes it."""
        def nil(x):
            return -1 if x is None else x.id if not isinstance(x, int) else x
        midle = set(id(m) for m in self.midle)
        return dict(
            time=self.now, since_start=self.now - self.sysmon["starttime"],
            gomaxprocs=self.nprocs, npidle=self.npidle(), threads=len(self.ms) - self.nmfreed,
            nmspinning=self.nmspinning, needspinning=self.needspinning, nmidle=len(self.midle),
            nmidlelocked=self.nmidlelocked,
            sysmonwait=self.sysmon["wait"],
            global_queue=list(self.q.global_runq()),
            ps=[dict(id=p.id, status=p.status, schedtick=p.schedtick, syscalltick=p.syscalltick,
                     m=nil(p.m), runq=list(self.q.runq(p.id)),
                     runnext=nil(self.q.runnext(p.id)), timers=len(p.timers), gfree=len(p.gfree),
                     idle=any(p is q for q in self.pidle)) for p in self.ps],
            ms=[dict(id=m.id, p=nil(m.p), curg=-1 if m.curg is None else m.curg.idx,
                     nextp=nil(m.nextp), spinning=bool(m.spinning), idle=id(m) in midle,
                     poller=m is self.poller, sysmon=m is self.sysmon_m, stw=m is self.stw_m,
                     template=m is self.template_m,
                     lockedg=m.lockedg.idx if isinstance(m.lockedg, G) else -1,
                     locked=m.phase == PH_LOCKED, dead=m.phase == PH_DEAD) for m in self.ms],
            goid=np.array([g.goid for g in self.gs], dtype=np.int64),
            g_status=np.array([g.status for g in self.gs], dtype=np.uint8),
            g_waitreason=np.array([g.waitreason for g in self.gs], dtype=np.uint8),
            io_waiting=self.io_waiters,
            sleeping=sum(len(p.timers) for p in self.ps))

    def schedtrace_line(self):
        """schedtrace's non-detailed line, Go 1.25 format (§6.2, §6.3)."""
        rings = " ".join(str(self.q.runqsize(p.id)) for p in self.ps)
        ticks = "".join(f"{p.schedtick} " for p in self.ps)
        idle_ms = len(self.midle)
        return (f"SCHED {(self.now - self.sysmon['starttime']) // 1_000_000}ms: "
                f"gomaxprocs={self.nprocs} "
                f"idleprocs={self.npidle()} threads={len(self.ms) - self.nmfreed} "
                f"spinningthreads={self.nmspinning} needspinning={self.needspinning} "
                f"idlethreads={idle_ms} runqueue={self.q.globrunqsize()} [ {rings} ] "
                f"schedticks=[ {ticks}]")
