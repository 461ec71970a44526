"""The machine under the scheduler (docs/design/machine.md §3): CPUs shared by
every thread that wants to run, an OS scheduler in the style of Linux's
EEVDF, other processes' CPU hogs, and a cgroup CPU quota.

Compiled twin: gmpcore/_engine_cpu.pxi.  Off unless ``cpus`` is given
(``cpu_on``).  A thread is an M (its id) or a background hog (``-2 - h``).
A thread is T_OFF (parked, sleeping, in a syscall or netpoll, starting),
T_WAIT (runnable, in the CPU wait queue), T_ON (on a CPU) or T_THROTTLED
(its cgroup is out of quota).  An M's pending step is an event: when the
M is descheduled its event is cancelled (gen) and the time it still had to
run (``left``) is re-pushed when it gets a CPU back; an event for an M
that is off-CPU is a wake-up, deferred while no CPU is free.

Approximations (docs/fidelity.md): one CPU wait queue for the machine (no
per-CPU queues or balancing delay), equal weights, V updated at
scheduling points, lag capped at half a slice instead of decayed, slice
ends checked at scheduler ticks, syscalls off-CPU, sysmon's loop of zero
length, the quota drawn from one pool (no per-CPU 5 ms silos).
"""

from gmpcore.reference.common import (
    E_CPU,
    E_M,
    E_PERIOD,
    E_PREEMPT,
    E_QUOTA,
    E_SYSMON,
    E_THROTTLE,
    PH_RUN,
)

T_OFF, T_WAIT, T_ON, T_THROTTLED = 0, 1, 2, 3
SYSMON_M = 1                          # M1 is sysmon (engine.py _run)


class Thread:
    """What the OS knows of one thread."""

    __slots__ = ("tid", "state", "cpu", "v", "deadline", "on_since", "due", "left",
                 "wait_since", "desched_at", "fresh", "is_prog", "run_delay_ns", "cpu_ns",
                 "nr_switches", "nr_involuntary")

    def __init__(self, tid, is_prog=True):
        self.tid = tid
        self.state = T_OFF
        self.cpu = -1
        self.v = self.deadline = 0    # virtual runtime at on_since; virtual deadline
        self.on_since = 0             # when it got its CPU
        self.due = 0                  # when its pending step ends (Ms, sysmon)
        self.left = 0                 # CPU work of that step still to do when descheduled
        self.wait_since = 0           # when it became T_WAIT / T_THROTTLED
        self.desched_at = 0           # when it was last taken off a CPU while runnable
        self.fresh = True             # never placed: PLACE_DEADLINE_INITIAL
        self.is_prog = is_prog        # in the program's cgroup (hogs are not)
        self.run_delay_ns = self.cpu_ns = self.nr_switches = self.nr_involuntary = 0


class Cpus:
    """RefEngine's CPU layer: the machine under the scheduler (machine.md §3)."""

    def cpu_init(self, cpus, background, os_sched, quota):
        """Set up `cpus` CPUs (None: no CPU layer), `background` hogs, the
        OS scheduler's parameters and the quota schedule (rows of (time,
        quota or -1 for no limit, period), the first at time 0)."""
        self.cpu_on = cpus is not None
        self.counters.update(cpu_run_delay_ns=0, cpu_switches=0, cpu_involuntary_switches=0,
                             cpu_busy_ns=0, background_cpu_ns=0, nr_periods=0,
                             nr_throttled=0, throttled_ns=0, throttled_wall_ns=0)
        if not self.cpu_on:
            return
        self.ncpu = cpus
        self.cpu_thread = [-1] * cpus             # thread on each CPU, -1 idle
        self.cpu_since = [0] * cpus               # when it went idle
        self.cpu_gen = [0] * cpus                 # bumps when its thread changes (E_CPU)
        self.cpu_armed = [False] * cpus           # an E_CPU slice check is pending
        self.cpu_idle = list(range(cpus - 1, -1, -1))   # LIFO: CPU 0 is taken first
        self.waitq = []                           # tids, in the order they started waiting
        self.throttledq = []                      # tids stopped by the quota, in order
        self.hogs = [Thread(-2 - h, is_prog=False) for h in range(background)]
        self.sum_base = 0                         # Σ (v − on_since) over T_ON + Σ v over T_WAIT
        self.n_on = 0                             # threads T_ON
        self.nq = 0                               # threads T_ON or T_WAIT
        self.vlast = 0                            # V when nobody is runnable
        self.nprog_on = 0                         # program threads T_ON
        self.os_slice = os_sched["slice"]
        self.os_tick = os_sched["tick"]
        self.os_ctx = os_sched["ctx_switch"]
        self.os_idle_exit = os_sched["idle_exit"]
        self.os_idle_exit_after = os_sched["idle_exit_after"]
        # The quota (cgroup cpu.max), from one pool (machine.md §3.6).
        self.q_sched = list(quota or ())
        self.q_limit = False                      # a quota is in force
        self.q_quota = self.q_period = self.q_pool = 0
        self.q_last = 0                           # pool charged up to here
        self.q_tgen = self.q_pgen = 0             # E_THROTTLE / E_PERIOD generations
        self.q_timer = False                      # the period timer runs
        self.q_anchor = 0                         # the period grid's origin: the last expiry
        self.q_idle = False                       # no quota used since the last expiry
        self.q_throttled = False
        self.q_thr_start = self.q_thr_k = 0
        for h in self.hogs:                        # already running when the program starts
            self.cpu_wake(h)
        if self.q_sched:
            self.quota_set(0)
            for i in range(1, len(self.q_sched)):
                self.push(self.q_sched[i][0], E_QUOTA, i)

    # ---------------------------------------------------------------- threads

    def thread(self, tid):
        return self.ms[tid].t if tid >= 0 else self.hogs[-2 - tid]

    def avg_v(self):
        """V: the average virtual runtime of the runnable threads (T_ON
        counted up to now), or the last one seen when nobody is runnable."""
        if self.nq:
            self.vlast = (self.sum_base + self.n_on * self.now) // self.nq
        return self.vlast

    def place(self, t):
        """Wake-up placement: keep the thread's lag, at most half a slice
        (PLACE_LAG); a new thread starts at V with half a slice
        (PLACE_DEADLINE_INITIAL)."""
        v = self.avg_v()
        if t.fresh:
            t.fresh = False
            t.v = v
            t.deadline = v + self.os_slice // 2
            return
        if t.v < v - self.os_slice // 2:
            t.v = v - self.os_slice // 2
        t.deadline = t.v + self.os_slice

    def enqueue(self, t):
        t.state = T_WAIT
        t.wait_since = self.now
        self.waitq.append(t.tid)
        self.sum_base += t.v
        self.nq += 1
        if len(self.waitq) == 1:
            for c in range(self.ncpu):
                if self.cpu_thread[c] != -1:
                    self.cpu_arm(c)

    def go_on(self, t, cpu):
        """`t` (runnable) takes `cpu`."""
        t.state = T_ON
        t.cpu = cpu
        t.on_since = self.now
        t.nr_switches += 1
        self.counters["cpu_switches"] += 1
        self.cpu_thread[cpu] = t.tid
        self.cpu_gen[cpu] += 1
        self.cpu_armed[cpu] = False
        self.sum_base += t.v - self.now
        self.n_on += 1
        if t.is_prog:
            self.prog_on(1)

    def go_off(self, t):
        """`t` leaves its CPU; returns the CPU (the caller fills it)."""
        cpu = t.cpu
        ran = self.now - t.on_since
        self.sum_base -= t.v - t.on_since
        t.v += ran
        t.cpu_ns += ran
        if t.is_prog:
            self.counters["cpu_busy_ns"] += ran
        else:
            self.counters["background_cpu_ns"] += ran
        self.n_on -= 1
        self.nq -= 1
        t.cpu = -1
        self.cpu_thread[cpu] = -1
        self.cpu_gen[cpu] += 1
        self.cpu_armed[cpu] = False
        if t.is_prog:
            self.prog_on(-1)
        if self.nq == 0:
            self.vlast = t.v
        return cpu

    def deliver(self, t, delay):
        """The thread's pending step (or deferred wake-up) happens `delay` from now."""
        if t.tid == SYSMON_M:
            self.sysmon["gen"] += 1
            t.due = self.now + delay
            self.push(t.due, E_SYSMON, -1, self.sysmon["gen"])
        elif t.tid >= 0:
            m = self.ms[t.tid]
            m.gen += 1
            t.due = self.now + delay
            self.push(t.due, E_M, m.id, m.gen)

    def cpu_take(self, t, cpu):
        """A waiting thread gets `cpu` from the wait queue: it pays a context
        switch, then does what it had left of its step."""
        self.waitq.remove(t.tid)
        self.sum_base -= t.v
        t.run_delay_ns += self.now - t.wait_since
        if t.is_prog:
            self.counters["cpu_run_delay_ns"] += self.now - t.wait_since
        self.go_on(t, cpu)
        if t.tid >= 0 and t.tid != SYSMON_M:
            m = self.ms[t.tid]
            g = m.curg
            if m.phase == PH_RUN and g is not None and g.burst_end >= 0:
                # Its G's CPU burst stretches by the time it was off.
                g.burst_end += self.now + self.os_ctx - t.desched_at
        self.deliver(t, self.os_ctx + t.left)
        t.left = 0
        if t.tid >= 0 and t.tid != SYSMON_M:
            g = self.ms[t.tid].curg
            if (self.ms[t.tid].phase == PH_RUN and g is not None and g.preempt
                    and g.burst_end > self.now and (g.preemptible or self.async_preempt)):
                # A preemption signal sent while it was off arrives now.
                self.push(self.now + self.os_ctx, E_PREEMPT, t.tid, self.ms[t.tid].gen)
        if self.waitq:
            self.cpu_arm(cpu)

    def cpu_fill(self, cpu):
        """A CPU fell free: the best waiting thread takes it, or it idles."""
        if self.waitq:
            self.cpu_take(self.thread(self.waitq[self.pick()]), cpu)
        else:
            self.cpu_since[cpu] = self.now
            self.cpu_idle.append(cpu)

    def pick(self):
        """EEVDF's pick: the eligible waiting thread (v <= V) with the
        earliest deadline, else the one with the least v; ties: the one
        waiting longest.  Returns its index in the wait queue."""
        vavg = self.avg_v()
        best = best_any = -1
        for i, tid in enumerate(self.waitq):
            t = self.thread(tid)
            if t.v <= vavg and (best < 0 or t.deadline < self.thread(self.waitq[best]).deadline):
                best = i
            if best_any < 0 or t.v < self.thread(self.waitq[best_any]).v:
                best_any = i
        return best if best >= 0 else best_any

    def cpu_wake(self, t):
        """An off-CPU thread became runnable.  True if it runs now; else its
        step is deferred until it gets a CPU (deliver)."""
        self.place(t)
        if t.is_prog and self.q_throttled:
            t.state = T_THROTTLED
            t.wait_since = self.now
            self.throttledq.append(t.tid)
            return False
        if self.cpu_idle:
            cpu = self.cpu_idle.pop()
            self.nq += 1
            self.go_on(t, cpu)
            if self.os_idle_exit and self.now - self.cpu_since[cpu] >= self.os_idle_exit_after:
                self.deliver(t, self.os_idle_exit)     # the CPU leaves its idle state first
                return False
            return True
        self.enqueue(t)
        self.wakeup_preempt(t)
        return False

    def wakeup_preempt(self, t):
        """Wake-up preemption: the woken thread takes the CPU of the running
        thread with the latest deadline if it is eligible, its deadline is
        earlier and that thread has had half a slice (RUN_TO_PARITY, roughly)."""
        vavg = self.avg_v()
        if t.v > vavg:
            return
        victim, vdl = -1, 0
        for c in range(self.ncpu):
            r = self.thread(self.cpu_thread[c])
            dl = self.running_deadline(r)
            if victim < 0 or dl >= vdl:
                victim, vdl = c, dl
        r = self.thread(self.cpu_thread[victim])
        if t.deadline < vdl and self.now - r.on_since >= self.os_slice // 2:
            self.deschedule(r, T_WAIT)
            self.cpu_take(t, victim)

    def running_deadline(self, r):
        """A running thread's deadline, renewed (+slice) once it is passed."""
        vnow = r.v + self.now - r.on_since
        return r.deadline if vnow < r.deadline else vnow + self.os_slice

    def deschedule(self, t, state):
        """Take a running thread off its CPU (slice end, preemption, quota);
        it keeps what is left of its step.  Returns the CPU."""
        cpu = self.go_off(t)
        t.nr_involuntary += 1
        self.counters["cpu_involuntary_switches"] += 1
        if t.v >= t.deadline:
            t.deadline = t.v + self.os_slice
        if t.tid >= 0:
            t.left = max(0, t.due - self.now)
            if t.tid == SYSMON_M:
                self.sysmon["gen"] += 1
            else:
                self.ms[t.tid].gen += 1              # cancels its pending step
        t.desched_at = self.now
        if state == T_WAIT:
            self.enqueue(t)
        else:
            t.state = T_THROTTLED
            t.wait_since = self.now
            self.throttledq.append(t.tid)
        return cpu

    def cpu_release(self, t):
        """A running thread goes off-CPU by itself (parks, sleeps, blocks)."""
        cpu = self.go_off(t)
        t.state = T_OFF
        self.cpu_fill(cpu)

    def cpu_release_m(self, m):
        if m.t.state == T_ON:
            self.cpu_release(m.t)

    def cpu_arm(self, cpu):
        """Check the running thread's slice at its end, on a scheduler tick."""
        if self.cpu_armed[cpu]:
            return
        t = self.thread(self.cpu_thread[cpu])
        when = t.on_since + max(0, t.deadline - t.v)
        tick = self.os_tick
        if tick:
            when = -(-when // tick) * tick
            if when <= self.now:
                when = (self.now // tick + 1) * tick
        elif when < self.now:
            when = self.now
        self.cpu_armed[cpu] = True
        self.push(when, E_CPU, cpu, self.cpu_gen[cpu])

    def cpu_slice_end(self, cpu):
        """E_CPU: at a tick past the running thread's deadline, the best
        runnable thread (it or a waiting one) runs."""
        self.cpu_armed[cpu] = False
        t = self.thread(self.cpu_thread[cpu])
        vnow = t.v + self.now - t.on_since
        if vnow >= t.deadline:
            t.deadline = vnow + self.os_slice
            if not self.waitq:
                return
            w = self.thread(self.waitq[self.pick()])
            vavg = self.vlast                          # pick() just computed it
            if w.v <= vavg and (vnow > vavg or w.deadline < t.deadline):
                self.deschedule(t, T_WAIT)
                self.cpu_take(w, cpu)
                return
        if self.waitq:
            self.cpu_arm(cpu)

    # ---------------------------------------------------------------- the quota

    def prog_on(self, delta):
        """The number of program threads on a CPU changes: charge the pool
        at the old rate, then re-arm the exhaustion event."""
        if self.q_limit:
            self.quota_charge()
        self.nprog_on += delta
        if self.q_limit:
            if delta > 0 and not self.q_timer:
                self.period_timer_start()
            self.quota_rearm()

    def quota_charge(self):
        used = self.nprog_on * (self.now - self.q_last)
        self.q_last = self.now
        if used:
            self.q_pool -= used
            self.q_idle = False

    def quota_rearm(self):
        self.q_tgen += 1
        if self.q_limit and not self.q_throttled and self.nprog_on:
            pool = max(self.q_pool, 0)
            self.push(self.now + -(-pool // self.nprog_on), E_THROTTLE, -1, self.q_tgen)

    def period_timer_start(self):
        """start_cfs_bandwidth: the period timer resumes on its grid."""
        self.q_timer = True
        self.q_pgen += 1
        k = (self.now - self.q_anchor) // self.q_period + 1
        self.push(self.q_anchor + k * self.q_period, E_PERIOD, -1, self.q_pgen)

    def quota_period(self):
        """E_PERIOD: the period timer (do_sched_cfs_period_timer): count the
        period, refill the pool, unthrottle; stop after an idle period."""
        self.quota_charge()
        self.q_anchor = self.now
        self.counters["nr_periods"] += 1
        self.q_pool = self.q_quota
        throttled = self.q_throttled
        if self.q_idle and not throttled and not self.nprog_on:
            # Idle for a whole period with nobody running: the timer stops
            # (a thread that got its CPU at this very instant has not used
            # any quota yet, but the group is active: the timer runs on).
            self.q_timer = False
            self.q_pgen += 1
            self.quota_rearm()
            return
        if throttled:
            self.counters["nr_throttled"] += 1
            self.unthrottle()
            self.q_idle = False
        else:
            self.q_idle = True
        self.q_pgen += 1
        self.push(self.now + self.q_period, E_PERIOD, -1, self.q_pgen)
        self.quota_rearm()

    def quota_exhausted(self):
        """E_THROTTLE: the pool ran dry; every program thread stops."""
        self.quota_charge()
        if self.q_pool > 0:
            self.quota_rearm()
            return
        self.q_throttled = True
        self.q_thr_start = self.now
        if not self.q_timer:
            self.period_timer_start()                 # only the timer unthrottles
        k = self.nprog_on + sum(1 for tid in self.waitq if self.thread(tid).is_prog)
        self.q_thr_k = min(self.ncpu, k)
        for tid in list(self.waitq):
            t = self.thread(tid)
            if t.is_prog:
                self.waitq.remove(tid)
                self.sum_base -= t.v
                self.nq -= 1
                t.state = T_THROTTLED
                self.throttledq.append(tid)
        for c in range(self.ncpu):
            tid = self.cpu_thread[c]
            if tid != -1 and self.thread(tid).is_prog:
                self.cpu_fill(self.deschedule(self.thread(tid), T_THROTTLED))
        self.quota_rearm()

    def unthrottle(self):
        if not self.q_throttled:
            return
        self.q_throttled = False
        self.counters["throttled_ns"] += self.q_thr_k * (self.now - self.q_thr_start)
        self.counters["throttled_wall_ns"] += self.now - self.q_thr_start
        back, self.throttledq = self.throttledq, []
        for tid in back:
            t = self.thread(tid)
            wait_since = t.wait_since
            self.enqueue(t)
            t.wait_since = wait_since                 # run delay counts the throttled time
        while self.cpu_idle and self.waitq:
            self.cpu_take(self.thread(self.waitq[self.pick()]), self.cpu_idle.pop())

    def quota_set(self, i):
        """Row i of the quota schedule takes effect (a write to cpu.max:
        tg_set_cfs_bandwidth refills the pool and unthrottles at once)."""
        _, quota, period = self.q_sched[i]
        if self.q_limit:
            self.quota_charge()
        self.q_last = self.now
        if quota < 0:
            self.q_limit = False
            self.unthrottle()
            self.q_timer = False
            self.q_pgen += 1
            self.quota_rearm()
            return
        self.q_limit = True
        self.q_quota, self.q_period, self.q_pool = quota, period, quota
        self.unthrottle()
        if not self.q_timer and self.nprog_on:
            self.period_timer_start()
        self.quota_rearm()

    # ---------------------------------------------------------------- results

    def cpu_close(self):
        """Close the intervals still open at the end of the run."""
        if not self.cpu_on:
            return
        for t in [m.t for m in self.ms] + self.hogs:
            if t.state == T_ON:
                ran = self.now - t.on_since
                t.cpu_ns += ran
                self.counters["cpu_busy_ns" if t.is_prog else "background_cpu_ns"] += ran
                t.on_since = self.now
                t.v += ran
            elif t.state in (T_WAIT, T_THROTTLED):
                t.run_delay_ns += self.now - t.wait_since
                if t.is_prog:
                    self.counters["cpu_run_delay_ns"] += self.now - t.wait_since
                t.wait_since = self.now
        if self.q_throttled:
            self.counters["throttled_ns"] += self.q_thr_k * (self.now - self.q_thr_start)
            self.counters["throttled_wall_ns"] += self.now - self.q_thr_start
            self.q_thr_start = self.now

    # ---------------------------------------------------------------- checking

    def cpu_check(self):
        """The CPU layer's invariants (machine.md §6), after every event."""
        threads = [m.t for m in self.ms] + self.hogs
        for c in range(self.ncpu):
            tid = self.cpu_thread[c]
            if tid != -1:
                t = self.thread(tid)
                assert t.state == T_ON and t.cpu == c, "cpu layer: a CPU's thread is not on it"
        assert sorted(self.cpu_idle) == [c for c in range(self.ncpu)
                                         if self.cpu_thread[c] == -1], \
            "cpu layer: the idle CPU list"
        assert not (self.waitq and self.cpu_idle), "cpu layer: a CPU idles while a thread waits"
        assert all(self.thread(tid).state == T_WAIT for tid in self.waitq), \
            "cpu layer: the wait queue"
        assert all(self.thread(tid).state == T_THROTTLED for tid in self.throttledq), \
            "cpu layer: the throttled list"
        assert len(self.waitq) + len(self.throttledq) == sum(
            t.state in (T_WAIT, T_THROTTLED) for t in threads), "cpu layer: the wait queue"
        if self.q_throttled:
            assert not any(t.is_prog and t.state in (T_ON, T_WAIT) for t in threads), \
                "cpu layer: a throttled thread runs"
            assert self.q_timer, "cpu layer: throttled with no period timer to end it"
        else:
            assert not self.throttledq, "cpu layer: throttled threads without a throttle"
        on = [t for t in threads if t.state == T_ON]
        assert self.n_on == len(on) and self.nq == len(on) + len(self.waitq) \
            and self.nprog_on == sum(t.is_prog for t in on) \
            and self.sum_base == sum(t.v - t.on_since for t in on) + sum(
                self.thread(tid).v for tid in self.waitq), "cpu layer: its sums"
