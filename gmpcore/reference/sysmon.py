"""sysmon (§4.5-§4.7): its sleep, the 10 ms network poll, retake, preemption.

Compiled twin: gmpcore/_engine_sysmon.pxi.
"""

from gmpcore.events import EV_NETPOLL, EV_PREEMPT, P_IDLE, P_RUNNING, P_SYSCALL
from gmpcore.model import (
    RETAKE_SYSCALL_NS,
    SYSMON_DEEP_SLEEP,
    SYSMON_MIN_DELAY,
    SYSMON_NETPOLL_PERIOD,
    UPDATE_MAXPROCS_PERIOD,
)
from gmpcore.reference.common import E_PREEMPT, E_SYSMON, PH_RUN
from gmpcore.reference.cpu import T_ON
from gmpcore.state import scheddetail


class Sysmon:
    """RefEngine's sysmon (§4.5-§4.7): its sleep, the 10 ms network poll, retake, preemption."""

    def usleep(self, d):
        """How long the runtime's usleep(d) really sleeps: d plus the timer
        slack measured as sysmon_tick − 20 µs (docs/cost-model.md)."""
        return d + max(self.draw_cost("sysmon_tick") - SYSMON_MIN_DELAY, 0)

    def sysmon_schedule(self, delay, slack=True):
        self.sysmon["gen"] += 1
        self.push(self.now + (self.usleep(delay) if slack else delay), E_SYSMON, -1,
                  self.sysmon["gen"])

    def sysmon_wake(self):
        """entersyscall/exitsyscall wake a deep-sleeping sysmon."""
        self.sysmon["wait"] = False
        self.sysmon["woken"] = True
        self.sysmon["idle"], self.sysmon["delay"] = 0, self.policy.sysmon_min_delay
        self.sysmon_schedule(0, slack=False)

    def sysmon_loop(self):
        sm = self.sysmon
        # Woken from its deep sleep, sysmon finishes that loop iteration
        # rather than checking for idleness again (§4.5 step 2).
        from_deep_sleep = sm["wait"] or sm.pop("woken", False)
        sm["wait"] = False
        if self.schedtrace_ns <= 0 and (self.gcwaiting or self.npidle() == self.nprocs) \
                and not from_deep_sleep:
            # Deep sleep until the next timer (or 60 s) unless woken (§4.5 step 2);
            # during a STW too (startTheWorld wakes it).
            nxt = min((w for p in self.ps if (w := self.timers_wake_time(p))), default=None)
            if nxt is None or nxt > self.now:
                sleep = SYSMON_DEEP_SLEEP if nxt is None else min(nxt - self.now, SYSMON_DEEP_SLEEP)
                sm["wait"] = True
                # A futex wait with a timeout: it expires timer_wake late.
                self.sysmon_schedule(sleep + self.draw_cost("timer_wake"), slack=False)
                return
        if self.netpoll_inited and self.lastpoll != 0 and self.lastpoll + SYSMON_NETPOLL_PERIOD < self.now:
            self.lastpoll = self.now or 1
            ready = self.netpoll(self.sysmon_m)
            self.sysmon_m.debt = 0                   # sysmon's own time is not modelled
            if ready:
                self.log(EV_NETPOLL, m=self.sysmon_m, arg=len(ready))
                self.injectglist(ready, None)
        # Go 1.25's GOMAXPROCS update: at the first loop, then at most once a second.
        if self.upd_on and (self.upd_last is None
                            or self.upd_last + UPDATE_MAXPROCS_PERIOD <= self.now):
            self.upd_last = self.now
            self.sysmonUpdateGOMAXPROCS()
        if self.retake():
            sm["idle"] = 0
        else:
            sm["idle"] += 1
        if self.schedtrace_ns > 0 and (sm["lasttrace"] is None
                                       or sm["lasttrace"] + self.schedtrace_ns <= self.now):
            if sm["lasttrace"] is None:
                sm["starttime"] = self.now          # so the first line reads SCHED 0ms
            sm["lasttrace"] = self.now
            line = scheddetail(self.view()) if self.scheddetail else self.schedtrace_line()
            self.schedtrace.append(line)
            if self.on_schedtrace is not None:
                self.on_schedtrace(line)
        if sm["idle"] == 0:
            sm["delay"] = self.policy.sysmon_min_delay
        elif sm["idle"] > self.policy.sysmon_idle_cycles:
            sm["delay"] *= 2
        sm["delay"] = min(sm["delay"], self.policy.sysmon_max_delay)
        self.sysmon_schedule(sm["delay"])

    def retake(self):
        n = 0
        for p in self.ps:
            pd = p.sysmon
            sysretake = False
            if p.status in (P_RUNNING, P_SYSCALL):
                if pd[0] != p.schedtick:
                    pd[0], pd[1] = p.schedtick, self.now
                elif pd[1] + self.policy.time_slice <= self.now:
                    self.preemptone(p)
                    sysretake = True
            if p.status == P_SYSCALL:
                if not sysretake and pd[2] != p.syscalltick:
                    pd[2], pd[3] = p.syscalltick, self.now
                    continue
                if (self.q.runqempty(p.id) and self.nmspinning + self.npidle() > 0
                        and pd[3] + RETAKE_SYSCALL_NS > self.now):
                    continue
                p.status = P_IDLE
                n += 1
                p.syscalltick += 1
                self.handoffp(p)
        return n

    def preemptone(self, p):
        """preemptone (§4.7): ask the P's G to stop; signal it if async is on."""
        m = p.m
        if m is None or m.curg is None:
            return False
        g = m.curg
        g.preempt = True
        self.log(EV_PREEMPT, m=m, p=p, g=g, arg=int(self.async_preempt))
        if g.burst_end > self.now and (g.preemptible or self.async_preempt):
            # At its next function call, or at once by SIGURG; either way the
            # G's work stops now and its M pays the cost (gopreempt).
            self.push(self.now, E_PREEMPT, m.id, m.gen)
        return True

    def async_preempt_arrives(self, m, gen):
        """The preemption takes effect if the same CPU burst is still running."""
        g = m.curg
        if gen != m.gen or g is None or not g.preempt or m.phase != PH_RUN or g.burst_end <= self.now:
            return
        if self.cpu_on and m.t.state != T_ON:
            return                       # delivered when its thread runs again (cpu_take)
        g.remaining = g.burst_end - self.now
        g.burst_end = -1
        m.gen += 1                                        # cancel the burst's end
        self.gopreempt(m, g, self.draw_cost("gosched") if g.preemptible else self.draw_cost("preempt_signal"))
