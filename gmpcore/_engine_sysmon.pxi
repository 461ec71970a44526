# sysmon (§4.5-§4.7): its sleep and back-off, the 10 ms network poll,
# retake (time slices and syscalling Ps) and preemption.  Reference:
# gmpcore/reference/sysmon.py.
#
# Contract: sysmon runs on M1 without a P; its own CPU time is not
# modelled; at most one E_SYSMON event is live (e.sm_gen).


cdef inline int64_t usleep_ns(Engine* e, int64_t d) noexcept nogil:
    """How long the runtime's usleep(d) really sleeps: d plus the timer
    slack measured as sysmon_tick - 20 us (docs/cost-model.md)."""
    cdef int64_t slack = drawn(e, &e.c.sysmon_tick) - SYSMON_MIN_DELAY
    return d + (slack if slack > 0 else 0)


cdef int sysmon_schedule(Engine* e, int64_t delay, bint slack) noexcept nogil:
    e.sm_gen += 1
    return push(e, e.now + (usleep_ns(e, delay) if slack else delay), E_SYSMON, -1, e.sm_gen)


cdef int sysmon_wake(Engine* e) noexcept nogil:
    """entersyscall/exitsyscall wake a deep-sleeping sysmon."""
    e.sm_wait = False
    e.sm_woken = True
    e.sm_idle = 0
    e.sm_delay = e.pol.sysmon_min
    return sysmon_schedule(e, 0, False)


cdef int sysmon_loop(Engine* e) noexcept nogil:
    cdef int64_t nxt = -1, w, sleep, n, ret
    cdef int32_t i
    # Woken from its deep sleep, sysmon finishes that loop iteration
    # rather than checking for idleness again (§4.5 step 2).
    cdef bint from_deep_sleep = e.sm_wait or e.sm_woken
    e.sm_woken = False
    e.sm_wait = False
    if e.schedtrace_ns <= 0 and (e.gcwaiting or e.npidle == e.nprocs) and not from_deep_sleep:
        # Deep sleep until the next timer (or 60 s) unless woken (§4.5 step 2);
        # during a STW too (startTheWorld wakes it).
        for i in range(e.nprocs):
            w = timers_wake_time(e, i)
            if w:
                if nxt < 0 or w < nxt:
                    nxt = w
        if nxt < 0 or nxt > e.now:
            if nxt < 0:
                sleep = SYSMON_DEEP_SLEEP
            else:
                sleep = nxt - e.now if nxt - e.now < SYSMON_DEEP_SLEEP else SYSMON_DEEP_SLEEP
            e.sm_wait = True
            # A futex wait with a timeout: it expires timer_wake late.
            return sysmon_schedule(e, sleep + drawn(e, &e.c.timer_wake), False)
    if e.netpoll_inited and e.lastpoll != 0 and e.lastpoll + SYSMON_NETPOLL_PERIOD < e.now:
        e.lastpoll = e.now if e.now else 1
        n = netpoll(e, 1)
        e.ms[1].debt = 0                        # sysmon's own time is not modelled
        if n:
            log_ev(e, EV_NETPOLL, 1, -1, -1, n)
            if injectglist(e, e.ready_buf, n, -1) < 0:
                return -1
    # Go 1.25's GOMAXPROCS update: at the first loop, then at most once a second.
    if e.upd_on and (e.upd_last < 0 or e.upd_last + UPDATE_MAXPROCS_PERIOD <= e.now):
        e.upd_last = e.now
        if sysmonUpdateGOMAXPROCS(e) < 0:
            return -1
    ret = retake(e)
    if ret < 0:
        return -1
    if ret:
        e.sm_idle = 0
    else:
        e.sm_idle += 1
    if e.schedtrace_ns > 0 and (e.sm_lasttrace < 0
                                or e.sm_lasttrace + e.schedtrace_ns <= e.now):
        if e.sm_lasttrace < 0:
            e.sm_starttime = e.now              # so the first line reads SCHED 0ms
        e.sm_lasttrace = e.now
        if (call_owner(e, OWNER_TRACE) if e.trace_py else schedtrace_snap(e)) < 0:
            return -1
    if e.sm_idle == 0:
        e.sm_delay = e.pol.sysmon_min
    elif e.sm_idle > e.pol.sysmon_idle:
        e.sm_delay *= 2
    if e.sm_delay > e.pol.sysmon_max:
        e.sm_delay = e.pol.sysmon_max
    return sysmon_schedule(e, e.sm_delay, True)


cdef int64_t retake(Engine* e) noexcept nogil:
    """retake (§4.6): preempt long-running Gs, retake Ps from syscalls.

    Returns how many Ps were retaken, or -1 on error."""
    cdef int64_t n = 0
    cdef int32_t i
    cdef PRec* pp
    cdef bint sysretake
    cdef uint8_t st
    for i in range(e.nprocs):
        pp = &e.ps[i]
        sysretake = False
        st = e.q.status[i]
        if st == P_RUNNING or st == P_SYSCALL:
            if pp.sm_schedtick != pp.schedtick:
                pp.sm_schedtick = pp.schedtick
                pp.sm_schedwhen = e.now
            elif pp.sm_schedwhen + e.pol.time_slice <= e.now:
                if preemptone(e, i) < 0:
                    return -1
                sysretake = True
        if e.q.status[i] == P_SYSCALL:
            if not sysretake and pp.sm_syscalltick != pp.syscalltick:
                pp.sm_syscalltick = pp.syscalltick
                pp.sm_syscallwhen = e.now
                continue
            if (runqempty(&e.q, i) and e.nmspinning + e.npidle > 0
                    and pp.sm_syscallwhen + RETAKE_SYSCALL_NS > e.now):
                continue
            e.q.status[i] = P_IDLE
            n += 1
            pp.syscalltick += 1
            if handoffp(e, i) < 0:
                return -1
    return n


cdef int preemptone(Engine* e, int32_t p) noexcept nogil:
    """preemptone (§4.7): ask the P's G to stop; signal it if async is on."""
    cdef int32_t m = e.ps[p].m
    cdef gid_t g
    if m < 0 or e.ms[m].curg < 0:
        return 0
    g = e.ms[m].curg
    e.g.a[g].flags |= GF_PREEMPT
    log_ev(e, EV_PREEMPT, m, p, g, e.async_preempt)
    if ((e.g.a[g].flags & GF_INBURST) and e.g.a[g].rem > e.now          # burst_end > now
            and (e.g.a[g].flags & GF_PREEMPTIBLE or e.async_preempt)):
        # At its next function call, or at once by SIGURG; either way the
        # G's work stops now and its M pays the cost (gopreempt).
        return push(e, e.now, E_PREEMPT, m, e.ms[m].gen)
    return 0


cdef int async_preempt_arrives(Engine* e, int32_t m, int64_t gen) noexcept nogil:
    """The preemption takes effect if the same CPU burst is still running."""
    cdef MRec* mm = &e.ms[m]
    cdef gid_t g = mm.curg
    if gen != mm.gen or g < 0 or not (e.g.a[g].flags & GF_PREEMPT) or mm.phase != PH_RUN:
        return 0
    if not (e.g.a[g].flags & GF_INBURST) or e.g.a[g].rem <= e.now:   # burst_end <= now
        return 0
    if e.cpu_on and mm.t.state != T_ON:
        return 0                     # delivered when its thread runs again (cpu_take)
    e.g.a[g].rem = e.g.a[g].rem - e.now             # remaining = burst_end - now
    e.g.a[g].flags &= ~GF_INBURST                 # burst_end = -1
    mm.gen += 1                                 # cancel the burst's end
    return gopreempt(e, m, g, drawn(e, &e.c.gosched) if e.g.a[g].flags & GF_PREEMPTIBLE
                     else drawn(e, &e.c.preempt_signal))
