# The machine under the scheduler (docs/design/machine.md §3): CPUs shared
# by every thread that wants to run, an OS scheduler in the style of
# Linux's EEVDF, other processes' CPU hogs, and a cgroup CPU quota.
# Reference: gmpcore/reference/cpu.py (read it for the model; this file is
# its translation, function by function).
#
# Contract: off unless Engine.cpu_on; with it on, a thread is T_OFF, T_WAIT
# (in cl.waitq), T_ON (on a CPU) or T_THROTTLED (in cl.thrq).  An M's
# pending step is its E_M event: descheduling cancels it (gen) and keeps
# the time it had left; an E_M for an off-CPU M is a wake-up, deferred
# while no CPU is free; getting a CPU re-pushes the step (deliver).


cdef inline ThreadRec* thread_of(Engine* e, int32_t tid) noexcept nogil:
    return &e.ms[tid].t if tid >= 0 else &e.cl.hogs[-2 - tid]


cdef void init_thread(ThreadRec* t, int32_t tid, bint is_prog) noexcept nogil:
    memset(t, 0, sizeof(ThreadRec))
    t.tid = tid
    t.state = T_OFF
    t.fresh = 1
    t.is_prog = is_prog
    t.cpu = -1


cdef inline int64_t avg_v(Engine* e) noexcept nogil:
    """V: the average virtual runtime of the runnable threads (T_ON counted
    up to now), or the last one seen when nobody is runnable."""
    if e.cl.nq:
        e.cl.vlast = (e.cl.sum_base + <int64_t>e.cl.n_on * e.now) // e.cl.nq
    return e.cl.vlast


cdef void place(Engine* e, ThreadRec* t) noexcept nogil:
    """Wake-up placement: lag kept, at most half a slice; a new thread
    starts at V with half a slice."""
    cdef int64_t v = avg_v(e), half = e.cl.slice // 2
    if t.fresh:
        t.fresh = 0
        t.v = v
        t.deadline = v + half
        return
    if t.v < v - half:
        t.v = v - half
    t.deadline = t.v + e.cl.slice


cdef int enqueue(Engine* e, ThreadRec* t) noexcept nogil:
    cdef int32_t c
    t.state = T_WAIT
    t.wait_since = e.now
    e.cl.waitq[e.cl.nwait] = t.tid
    e.cl.nwait += 1
    e.cl.sum_base += t.v
    e.cl.nq += 1
    if e.cl.nwait == 1:
        for c in range(e.cl.ncpu):
            if e.cl.thread[c] != -1 and cpu_arm(e, c) < 0:
                return -1
    return 0


cdef void waitq_remove(Engine* e, int32_t i) noexcept nogil:
    memmove(&e.cl.waitq[i], &e.cl.waitq[i + 1], (e.cl.nwait - i - 1) * sizeof(int32_t))
    e.cl.nwait -= 1


cdef int go_on(Engine* e, ThreadRec* t, int32_t cpu) noexcept nogil:
    """`t` (runnable) takes `cpu`."""
    t.state = T_ON
    t.cpu = cpu
    t.on_since = e.now
    t.nr_switches += 1
    e.cl.n_switches += 1
    e.cl.thread[cpu] = t.tid
    e.cl.gen[cpu] += 1
    e.cl.armed[cpu] = 0
    e.cl.sum_base += t.v - e.now
    e.cl.n_on += 1
    if t.is_prog:
        return prog_on(e, 1)
    return 0


cdef int go_off(Engine* e, ThreadRec* t, int32_t* out) noexcept nogil:
    """`t` leaves its CPU, returned in `out` (the caller fills it)."""
    cdef int32_t cpu = t.cpu
    cdef int64_t ran = e.now - t.on_since
    e.cl.sum_base -= t.v - t.on_since
    t.v += ran
    t.cpu_ns += ran
    if t.is_prog:
        e.cl.n_busy += ran
    else:
        e.cl.n_background += ran
    e.cl.n_on -= 1
    e.cl.nq -= 1
    t.cpu = -1
    e.cl.thread[cpu] = -1
    e.cl.gen[cpu] += 1
    e.cl.armed[cpu] = 0
    if t.is_prog and prog_on(e, -1) < 0:
        return -1
    if e.cl.nq == 0:
        e.cl.vlast = t.v
    out[0] = cpu
    return 0


cdef int deliver(Engine* e, ThreadRec* t, int64_t delay) noexcept nogil:
    """The thread's pending step (or deferred wake-up) happens `delay` from now."""
    if t.tid == SYSMON_M:
        e.sm_gen += 1
        t.due = e.now + delay
        return push(e, t.due, E_SYSMON, -1, e.sm_gen)
    if t.tid >= 0:
        e.ms[t.tid].gen += 1
        t.due = e.now + delay
        return push(e, t.due, E_M, t.tid, e.ms[t.tid].gen)
    return 0


cdef int cpu_take(Engine* e, ThreadRec* t, int32_t cpu) noexcept nogil:
    """A waiting thread gets `cpu` from the wait queue: it pays a context
    switch, then does what it had left of its step."""
    cdef int32_t i = 0
    cdef MRec* mm
    cdef GRec* rec
    cdef bint an_m = t.tid >= 0 and t.tid != SYSMON_M
    while e.cl.waitq[i] != t.tid:
        i += 1
    waitq_remove(e, i)
    e.cl.sum_base -= t.v
    t.run_delay_ns += e.now - t.wait_since
    if t.is_prog:
        e.cl.n_run_delay += e.now - t.wait_since
    if go_on(e, t, cpu) < 0:
        return -1
    if an_m:
        mm = &e.ms[t.tid]
        if mm.phase == PH_RUN and mm.curg >= 0 and e.g.a[mm.curg].flags & GF_INBURST:
            # Its G's CPU burst stretches by the time it was off.
            e.g.a[mm.curg].rem += e.now + e.cl.ctx - t.desched_at
    if deliver(e, t, e.cl.ctx + t.left) < 0:
        return -1
    t.left = 0
    if an_m:
        mm = &e.ms[t.tid]
        if mm.phase == PH_RUN and mm.curg >= 0:
            rec = &e.g.a[mm.curg]
            if (rec.flags & GF_PREEMPT and rec.flags & GF_INBURST and rec.rem > e.now
                    and (rec.flags & GF_PREEMPTIBLE or e.async_preempt)):
                # A preemption signal sent while it was off arrives now.
                if push(e, e.now + e.cl.ctx, E_PREEMPT, t.tid, mm.gen) < 0:
                    return -1
    if e.cl.nwait:
        return cpu_arm(e, cpu)
    return 0


cdef int cpu_fill(Engine* e, int32_t cpu) noexcept nogil:
    """A CPU fell free: the best waiting thread takes it, or it idles."""
    if e.cl.nwait:
        return cpu_take(e, thread_of(e, e.cl.waitq[pick(e)]), cpu)
    e.cl.since[cpu] = e.now
    e.cl.idle[e.cl.nidle] = cpu
    e.cl.nidle += 1
    return 0


cdef int32_t pick(Engine* e) noexcept nogil:
    """EEVDF's pick: the eligible waiting thread (v <= V) with the earliest
    deadline, else the one with the least v; ties: the one waiting longest.
    Returns its index in the wait queue."""
    cdef int64_t vavg = avg_v(e)
    cdef int32_t i, best = -1, best_any = -1
    cdef ThreadRec* t
    for i in range(e.cl.nwait):
        t = thread_of(e, e.cl.waitq[i])
        if t.v <= vavg and (best < 0 or t.deadline < thread_of(e, e.cl.waitq[best]).deadline):
            best = i
        if best_any < 0 or t.v < thread_of(e, e.cl.waitq[best_any]).v:
            best_any = i
    return best if best >= 0 else best_any


cdef int cpu_wake(Engine* e, ThreadRec* t) noexcept nogil:
    """An off-CPU thread became runnable.  1 if it runs now; 0 if its step
    is deferred until it gets a CPU (deliver); -1 on error."""
    cdef int32_t cpu
    place(e, t)
    if t.is_prog and e.cl.q_throttled:
        t.state = T_THROTTLED
        t.wait_since = e.now
        e.cl.thrq[e.cl.nthr] = t.tid
        e.cl.nthr += 1
        return 0
    if e.cl.nidle:
        e.cl.nidle -= 1
        cpu = e.cl.idle[e.cl.nidle]
        e.cl.nq += 1
        if go_on(e, t, cpu) < 0:
            return -1
        if e.cl.idle_exit and e.now - e.cl.since[cpu] >= e.cl.idle_exit_after:
            # The CPU leaves its idle state first.
            return -1 if deliver(e, t, e.cl.idle_exit) < 0 else 0
        return 1
    if enqueue(e, t) < 0:
        return -1
    return -1 if wakeup_preempt(e, t) < 0 else 0


cdef inline int64_t running_deadline(Engine* e, ThreadRec* r) noexcept nogil:
    """A running thread's deadline, renewed (+slice) once it is passed."""
    cdef int64_t vnow = r.v + e.now - r.on_since
    return r.deadline if vnow < r.deadline else vnow + e.cl.slice


cdef int wakeup_preempt(Engine* e, ThreadRec* t) noexcept nogil:
    """Wake-up preemption: the woken thread takes the CPU of the running
    thread with the latest deadline if it is eligible, its deadline is
    earlier and that thread has had half a slice (RUN_TO_PARITY, roughly)."""
    cdef int64_t vavg = avg_v(e), dl, vdl = 0
    cdef int32_t c, victim = -1
    cdef ThreadRec* r
    if t.v > vavg:
        return 0
    for c in range(e.cl.ncpu):
        dl = running_deadline(e, thread_of(e, e.cl.thread[c]))
        if victim < 0 or dl >= vdl:
            victim = c
            vdl = dl
    r = thread_of(e, e.cl.thread[victim])
    if t.deadline < vdl and e.now - r.on_since >= e.cl.slice // 2:
        if deschedule(e, r, T_WAIT, &c) < 0:
            return -1
        return cpu_take(e, t, victim)
    return 0


cdef int deschedule(Engine* e, ThreadRec* t, int state, int32_t* out) noexcept nogil:
    """Take a running thread off its CPU (slice end, preemption, quota); it
    keeps what is left of its step.  The CPU is returned in `out`."""
    if go_off(e, t, out) < 0:
        return -1
    t.nr_involuntary += 1
    e.cl.n_involuntary += 1
    if t.v >= t.deadline:
        t.deadline = t.v + e.cl.slice
    if t.tid >= 0:
        t.left = t.due - e.now if t.due > e.now else 0
        if t.tid == SYSMON_M:
            e.sm_gen += 1
        else:
            e.ms[t.tid].gen += 1                 # cancels its pending step
    t.desched_at = e.now
    if state == T_WAIT:
        return enqueue(e, t)
    t.state = T_THROTTLED
    t.wait_since = e.now
    e.cl.thrq[e.cl.nthr] = t.tid
    e.cl.nthr += 1
    return 0


cdef int cpu_release(Engine* e, ThreadRec* t) noexcept nogil:
    """A running thread goes off-CPU by itself (parks, sleeps, blocks)."""
    cdef int32_t cpu
    if go_off(e, t, &cpu) < 0:
        return -1
    t.state = T_OFF
    return cpu_fill(e, cpu)


cdef inline int cpu_release_m(Engine* e, int32_t m) noexcept nogil:
    if e.ms[m].t.state == T_ON:
        return cpu_release(e, &e.ms[m].t)
    return 0


cdef int cpu_arm(Engine* e, int32_t cpu) noexcept nogil:
    """Check the running thread's slice at its end, on a scheduler tick."""
    cdef ThreadRec* t
    cdef int64_t when, tick = e.cl.tick
    if e.cl.armed[cpu]:
        return 0
    t = thread_of(e, e.cl.thread[cpu])
    when = t.on_since + (t.deadline - t.v if t.deadline > t.v else 0)
    if tick:
        when = (when + tick - 1) // tick * tick
        if when <= e.now:
            when = (e.now // tick + 1) * tick
    elif when < e.now:
        when = e.now
    e.cl.armed[cpu] = 1
    return push(e, when, E_CPU, cpu, e.cl.gen[cpu])


cdef int cpu_slice_end(Engine* e, int32_t cpu) noexcept nogil:
    """E_CPU: at a tick past the running thread's deadline, the best
    runnable thread (it or a waiting one) runs."""
    cdef ThreadRec* t = thread_of(e, e.cl.thread[cpu])
    cdef ThreadRec* w
    cdef int64_t vnow, vavg
    cdef int32_t c
    e.cl.armed[cpu] = 0
    vnow = t.v + e.now - t.on_since
    if vnow >= t.deadline:
        t.deadline = vnow + e.cl.slice
        if not e.cl.nwait:
            return 0
        w = thread_of(e, e.cl.waitq[pick(e)])
        vavg = e.cl.vlast                        # pick() just computed it
        if w.v <= vavg and (vnow > vavg or w.deadline < t.deadline):
            if deschedule(e, t, T_WAIT, &c) < 0:
                return -1
            return cpu_take(e, w, cpu)
    if e.cl.nwait:
        return cpu_arm(e, cpu)
    return 0


# ---------------------------------------------------------------- the quota

cdef int prog_on(Engine* e, int32_t delta) noexcept nogil:
    """The number of program threads on a CPU changes: charge the pool at
    the old rate, then re-arm the exhaustion event."""
    if e.cl.q_limit:
        quota_charge(e)
    e.cl.nprog_on += delta
    if e.cl.q_limit:
        if delta > 0 and not e.cl.q_timer and period_timer_start(e) < 0:
            return -1
        return quota_rearm(e)
    return 0


cdef void quota_charge(Engine* e) noexcept nogil:
    cdef int64_t used = <int64_t>e.cl.nprog_on * (e.now - e.cl.q_last)
    e.cl.q_last = e.now
    if used:
        e.cl.q_pool -= used
        e.cl.q_idle = False


cdef int quota_rearm(Engine* e) noexcept nogil:
    cdef int64_t pool
    e.cl.q_tgen += 1
    if e.cl.q_limit and not e.cl.q_throttled and e.cl.nprog_on:
        pool = e.cl.q_pool if e.cl.q_pool > 0 else 0
        return push(e, e.now + (pool + e.cl.nprog_on - 1) // e.cl.nprog_on, E_THROTTLE, -1,
                    e.cl.q_tgen)
    return 0


cdef int period_timer_start(Engine* e) noexcept nogil:
    """start_cfs_bandwidth: the period timer resumes on its grid."""
    cdef int64_t k = (e.now - e.cl.q_anchor) // e.cl.q_period + 1
    e.cl.q_timer = True
    e.cl.q_pgen += 1
    return push(e, e.cl.q_anchor + k * e.cl.q_period, E_PERIOD, -1, e.cl.q_pgen)


cdef int quota_period(Engine* e) noexcept nogil:
    """E_PERIOD: the period timer (do_sched_cfs_period_timer): count the
    period, refill the pool, unthrottle; stop after an idle period."""
    cdef bint throttled
    quota_charge(e)
    e.cl.q_anchor = e.now
    e.cl.nr_periods += 1
    e.cl.q_pool = e.cl.q_quota
    throttled = e.cl.q_throttled
    if e.cl.q_idle and not throttled and not e.cl.nprog_on:
        # Idle for a whole period with nobody running: the timer stops (a
        # thread that got its CPU at this very instant has not used any
        # quota yet, but the group is active: the timer runs on).
        e.cl.q_timer = False
        e.cl.q_pgen += 1
        return quota_rearm(e)
    if throttled:
        e.cl.nr_throttled += 1
        if unthrottle(e) < 0:
            return -1
        e.cl.q_idle = False
    else:
        e.cl.q_idle = True
    e.cl.q_pgen += 1
    if push(e, e.now + e.cl.q_period, E_PERIOD, -1, e.cl.q_pgen) < 0:
        return -1
    return quota_rearm(e)


cdef int quota_exhausted(Engine* e) noexcept nogil:
    """E_THROTTLE: the pool ran dry; every program thread stops."""
    cdef int32_t c, i, k, cpu
    cdef ThreadRec* t
    quota_charge(e)
    if e.cl.q_pool > 0:
        return quota_rearm(e)
    e.cl.q_throttled = True
    e.cl.q_thr_start = e.now
    if not e.cl.q_timer and period_timer_start(e) < 0:   # only the timer unthrottles
        return -1
    k = e.cl.nprog_on
    for i in range(e.cl.nwait):
        if thread_of(e, e.cl.waitq[i]).is_prog:
            k += 1
    e.cl.q_thr_k = e.cl.ncpu if k > e.cl.ncpu else k
    i = 0
    while i < e.cl.nwait:
        t = thread_of(e, e.cl.waitq[i])
        if t.is_prog:
            waitq_remove(e, i)
            e.cl.sum_base -= t.v
            e.cl.nq -= 1
            t.state = T_THROTTLED
            e.cl.thrq[e.cl.nthr] = t.tid
            e.cl.nthr += 1
        else:
            i += 1
    for c in range(e.cl.ncpu):
        if e.cl.thread[c] != -1 and thread_of(e, e.cl.thread[c]).is_prog:
            if deschedule(e, thread_of(e, e.cl.thread[c]), T_THROTTLED, &cpu) < 0:
                return -1
            if cpu_fill(e, cpu) < 0:
                return -1
    return quota_rearm(e)


cdef int unthrottle(Engine* e) noexcept nogil:
    cdef int32_t i, n
    cdef int64_t wait_since
    cdef ThreadRec* t
    if not e.cl.q_throttled:
        return 0
    e.cl.q_throttled = False
    e.cl.throttled_ns += <int64_t>e.cl.q_thr_k * (e.now - e.cl.q_thr_start)
    e.cl.throttled_wall_ns += e.now - e.cl.q_thr_start
    n = e.cl.nthr
    e.cl.nthr = 0
    for i in range(n):
        t = thread_of(e, e.cl.thrq[i])
        wait_since = t.wait_since
        if enqueue(e, t) < 0:
            return -1
        t.wait_since = wait_since                # run delay counts the throttled time
    while e.cl.nidle and e.cl.nwait:
        e.cl.nidle -= 1
        if cpu_take(e, thread_of(e, e.cl.waitq[pick(e)]), e.cl.idle[e.cl.nidle]) < 0:
            return -1
    return 0


cdef int quota_set(Engine* e, int64_t i) noexcept nogil:
    """Row i of the quota schedule takes effect (a write to cpu.max:
    tg_set_cfs_bandwidth refills the pool and unthrottles at once)."""
    cdef int64_t quota = e.cl.q_sched[3 * i + 1], period = e.cl.q_sched[3 * i + 2]
    if e.cl.q_limit:
        quota_charge(e)
    e.cl.q_last = e.now
    if quota < 0:
        e.cl.q_limit = False
        if unthrottle(e) < 0:
            return -1
        e.cl.q_timer = False
        e.cl.q_pgen += 1
        return quota_rearm(e)
    e.cl.q_limit = True
    e.cl.q_quota = quota
    e.cl.q_period = period
    e.cl.q_pool = quota
    if unthrottle(e) < 0:
        return -1
    if not e.cl.q_timer and e.cl.nprog_on and period_timer_start(e) < 0:
        return -1
    return quota_rearm(e)


cdef int cpu_start(Engine* e) noexcept nogil:
    """Hogs take their CPUs (they were running before the program), then
    the quota in force at time 0 and the later changes."""
    cdef int32_t h
    cdef int64_t i
    for h in range(e.cl.nhogs):
        if cpu_wake(e, &e.cl.hogs[h]) < 0:
            return -1
    if e.cl.q_nsched:
        if quota_set(e, 0) < 0:
            return -1
        for i in range(1, e.cl.q_nsched):
            if push(e, e.cl.q_sched[3 * i], E_QUOTA, <int32_t>i, 0) < 0:
                return -1
    return 0


cdef void close_thread(Engine* e, ThreadRec* t) noexcept nogil:
    cdef int64_t ran
    if t.state == T_ON:
        ran = e.now - t.on_since
        t.cpu_ns += ran
        if t.is_prog:
            e.cl.n_busy += ran
        else:
            e.cl.n_background += ran
        t.on_since = e.now
        t.v += ran
    elif t.state == T_WAIT or t.state == T_THROTTLED:
        t.run_delay_ns += e.now - t.wait_since
        if t.is_prog:
            e.cl.n_run_delay += e.now - t.wait_since
        t.wait_since = e.now


cdef void cpu_close(Engine* e) noexcept nogil:
    """Close the intervals still open at the end of the run."""
    cdef int32_t i
    if not e.cpu_on:
        return
    for i in range(e.nm):
        close_thread(e, &e.ms[i].t)
    for i in range(e.cl.nhogs):
        close_thread(e, &e.cl.hogs[i])
    if e.cl.q_throttled:
        e.cl.throttled_ns += <int64_t>e.cl.q_thr_k * (e.now - e.cl.q_thr_start)
        e.cl.throttled_wall_ns += e.now - e.cl.q_thr_start
        e.cl.q_thr_start = e.now


# ---------------------------------------------------------------- checking

cdef int check_one_thread(Engine* e, ThreadRec* t, int64_t* counts) noexcept nogil:
    # counts: T_ON, T_WAIT + T_THROTTLED, program T_ON, sum_base
    if t.state == T_ON:
        if t.cpu < 0 or e.cl.thread[t.cpu] != t.tid:
            return fail(e, ERR_ASSERT, "cpu layer: a CPU's thread is not on it")
        counts[0] += 1
        counts[2] += t.is_prog
        counts[3] += t.v - t.on_since
    elif t.state == T_WAIT:
        counts[1] += 1
        counts[3] += t.v
    elif t.state == T_THROTTLED:
        counts[1] += 1
    if e.cl.q_throttled and t.is_prog and (t.state == T_ON or t.state == T_WAIT):
        return fail(e, ERR_ASSERT, "cpu layer: a throttled thread runs")
    return 0


cdef int cpu_check(Engine* e) noexcept nogil:
    """The CPU layer's invariants (machine.md §6), after every event."""
    cdef int32_t c, i, nfree = 0
    cdef int64_t counts[4]
    cdef ThreadRec* t
    for c in range(e.cl.ncpu):
        if e.cl.thread[c] == -1:
            nfree += 1
        else:
            t = thread_of(e, e.cl.thread[c])
            if t.state != T_ON or t.cpu != c:
                return fail(e, ERR_ASSERT, "cpu layer: a CPU's thread is not on it")
    if nfree != e.cl.nidle:
        return fail(e, ERR_ASSERT, "cpu layer: the idle CPU list")
    for i in range(e.cl.nidle):
        if e.cl.thread[e.cl.idle[i]] != -1:
            return fail(e, ERR_ASSERT, "cpu layer: the idle CPU list")
    if e.cl.nwait and e.cl.nidle:
        return fail(e, ERR_ASSERT, "cpu layer: a CPU idles while a thread waits")
    for i in range(e.cl.nwait):
        if thread_of(e, e.cl.waitq[i]).state != T_WAIT:
            return fail(e, ERR_ASSERT, "cpu layer: the wait queue")
    for i in range(e.cl.nthr):
        if thread_of(e, e.cl.thrq[i]).state != T_THROTTLED:
            return fail(e, ERR_ASSERT, "cpu layer: the throttled list")
    if not e.cl.q_throttled and e.cl.nthr:
        return fail(e, ERR_ASSERT, "cpu layer: throttled threads without a throttle")
    if e.cl.q_throttled and not e.cl.q_timer:
        return fail(e, ERR_ASSERT, "cpu layer: throttled with no period timer to end it")
    counts[0] = counts[1] = counts[2] = counts[3] = 0
    for i in range(e.nm):
        if check_one_thread(e, &e.ms[i].t, counts) < 0:
            return -1
    for i in range(e.cl.nhogs):
        if check_one_thread(e, &e.cl.hogs[i], counts) < 0:
            return -1
    if counts[1] != e.cl.nwait + e.cl.nthr:
        return fail(e, ERR_ASSERT, "cpu layer: the wait queue")
    if (counts[0] != e.cl.n_on or counts[0] + e.cl.nwait != e.cl.nq
            or counts[2] != e.cl.nprog_on or counts[3] != e.cl.sum_base):
        return fail(e, ERR_ASSERT, "cpu layer: its sums")
    return 0
