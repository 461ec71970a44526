# The run and its event loop: start (m0 runs main on P0, sysmon starts),
# dispatch of an M's phase, the loop itself, and the rare steps that need
# Python (progress, schedtrace via Python, the snapshot, Ctrl-C).
# Reference: gmpcore/reference/engine.py (run, _run, dispatch).
#
# Contract: run_loop pops live events in (when, seq) order until main
# exits (until="all": every G), an error, or max_events; it takes the GIL
# only in call_owner.


cdef int start(Engine* e) noexcept nogil:
    """reference run() up to the event loop: m0 runs main on P0; sysmon starts."""
    cdef int32_t p, gmain = -1
    cdef int rc
    e.nm = 2
    init_m(&e.ms[0])
    init_m(&e.ms[1])
    init_thread(&e.ms[0].t, 0, True)
    init_thread(&e.ms[1].t, SYSMON_M, True)
    e.n_threads += 1
    if e.cpu_on and cpu_start(e) < 0:
        return -1
    for p in range(e.nprocs - 1, 0, -1):        # procresize: P1 is popped first
        e.q.status[p] = P_IDLE
        e.ps[p].in_pidle = 1
        e.pidle[e.npidle] = p
        e.npidle += 1
    if acquirep(e, 0, 0) < 0:
        return -1
    if newg(e, -1, 0, 0, &gmain) < 0:
        return -1
    if e.rt_init:
        e.g.a[gmain].pc = <int32_t>e.entry[e.rt_program]   # runtime.main, then main.main
    if runqput(&e.q, 0, gmain, True) == RQ_NOMEM:
        return nomem(e)
    # runtime.main starts sysmon on a new M without a P (§4.5, §5.5).
    e.n_threads += 1
    e.nmsys += 1
    log_ev(e, EV_THREAD_CREATE, 1, -1, -1, -1)
    if sysmon_schedule(e, e.pol.sysmon_min, True) < 0:
        return -1
    if e.cpu_on:
        rc = cpu_wake(e, &e.ms[0].t)
        if rc <= 0:
            e.ms[0].phase = PH_SCHEDULE             # it starts when it gets a CPU
            return rc
    return schedule(e, 0)


cdef inline int on_cpu(Engine* e, ThreadRec* t) noexcept nogil:
    """The thread whose event fired is on a CPU (1), or wakes onto one now;
    0: it waits for one (deferred); -1: error."""
    if t.state == T_ON:
        return 1
    if t.state == T_OFF:
        return cpu_wake(e, t)
    return 0


cdef int machine_event(Engine* e, Event* ev) noexcept nogil:
    # The CPU layer's events (_engine_cpu.pxi).
    if ev.kind == E_CPU:
        return cpu_slice_end(e, ev.who)
    if ev.kind == E_PERIOD:
        return quota_period(e)
    if ev.kind == E_THROTTLE:
        return quota_exhausted(e)
    return quota_set(e, ev.who)


cdef inline bint finished(Engine* e) noexcept nogil:
    if e.until_all:
        return e.live == e.n_sys and not e.main_goexit   # after main's Goexit, checkdead ends it
    return e.main_done


cdef int dispatch(Engine* e, int32_t m) noexcept nogil:
    cdef MRec* mm = &e.ms[m]
    cdef int32_t p
    cdef int phase = mm.phase
    if phase == PH_RUN:
        return run_g(e, m)
    elif phase == PH_EXECUTE:
        return execute(e, m, mm.nextg, mm.next_inherit)
    elif phase == PH_SCHEDULE:
        return schedule(e, m)
    elif phase == PH_STEAL:
        return find_after_spin(e, m)
    elif phase == PH_BACKOFF:
        return steal_work_continue(e, m)
    elif phase == PH_START:
        p = mm.nextp
        mm.nextp = -1
        if mm.spinning:                         # started spinning by wakep/handoffp
            spin_clock_start(e, m)
        if acquirep(e, m, p) < 0:
            return -1
        if mm.lockedg >= 0:                     # woken by startlockedm: run its G
            return resume(e, m, e.now, PH_EXECUTE)
        return schedule(e, m)
    elif phase == PH_SYSCALL:
        return exitsyscall(e, m)
    elif phase == PH_NETPOLL:
        return netpoll_return(e, m)
    elif phase == PH_STW_WAIT:
        return stw_step(e, m)
    return 0


cdef inline int poll_signals(Engine* e) noexcept nogil:
    # Ctrl-C: its KeyboardInterrupt ends the run.
    return call_owner(e, OWNER_SIGNALS)


cdef int call_owner(Engine* e, int what) noexcept nogil:
    # The rare steps that need Python: take the GIL, call the run object (or
    # check for signals); a Python exception ends the run and is re-raised.
    cdef int rc = 0
    with gil:
        try:
            if what == OWNER_SIGNALS:
                PyErr_CheckSignals()
                # A run in another thread never sees SIGINT's KeyboardInterrupt:
                # the main thread's handler sets its token (gmpcore.simulate).
                token = (<_Run>e.owner).cancel
                if token is not None and token.cancelled:
                    raise KeyboardInterrupt("simulation interrupted (Ctrl-C in the main thread)")
            elif what == OWNER_PROGRESS:
                (<_Run>e.owner).progress(e.n_events, e.now)
            elif what == OWNER_TRACE:
                (<_Run>e.owner).trace_py()
            else:
                view = (<_Run>e.owner).view()
                view["time"] = e.snap_time
                (<_Run>e.owner).snapshot = view
        except BaseException as exc:
            (<_Run>e.owner).exc = exc
            rc = -1
    if rc < 0:
        return fail(e, ERR_PYEXC, NULL)
    return 0


cdef int run_loop(Engine* e) noexcept nogil:
    """Simulate until main exits (or every G has, with until="all")."""
    cdef Event ev
    cdef int rc
    if start(e) < 0:
        return -1
    if e.err != ERR_NONE:
        return -1
    while not finished(e):
        if heap_size(&e.heap) == 0:
            return fail(e, ERR_ASSERT, "the event heap ran dry")
        if (e.mon_period or e.snap_at >= 0) and observe(e, heap_min_when(&e.heap) - 1, False) < 0:
            return -1
        heap_pop(&e.heap, &ev)
        if not event_live(e, &ev):
            heap_pop_done(&e.heap)                 # cancelled: as if never pushed
            continue
        e.now = ev.when
        e.n_events += 1
        # cur_m: whose step this is (newm on a locked M goes through the template thread).
        if ev.kind == E_M:
            e.cur_m = ev.who
            # One call site each, so that the C compiler inlines dispatch.
            rc = on_cpu(e, &e.ms[ev.who].t) if e.cpu_on else 1
            if rc > 0:
                rc = dispatch(e, ev.who)
        elif ev.kind == E_PREEMPT:
            e.cur_m = ev.who
            rc = async_preempt_arrives(e, ev.who, ev.gen)
        elif ev.kind == E_IO:
            e.cur_m = -1
            rc = io_complete(e, ev.who)
        elif ev.kind == E_SYSMON:
            e.cur_m = -1
            rc = on_cpu(e, &e.ms[SYSMON_M].t) if e.cpu_on else 1
            if rc > 0:
                rc = sysmon_loop(e)
                if rc == 0 and e.cpu_on:
                    rc = cpu_release(e, &e.ms[SYSMON_M].t)   # its loop takes no time
        else:
            e.cur_m = -1
            rc = machine_event(e, &ev)
        heap_pop_done(&e.heap)
        if rc < 0 or e.err != ERR_NONE:
            return -1
        if e.check and check_invariants(e) < 0:
            return -1
        if e.n_events >= e.next_slow:
            # One comparison per event for max_events, Ctrl-C and progress.
            if e.max_events >= 0 and e.n_events >= e.max_events:
                break
            if e.n_events >= e.next_signals:
                e.next_signals = e.n_events + SIGNAL_EVERY
                if poll_signals(e) < 0:
                    return -1
            if e.has_progress and e.n_events >= e.next_progress:
                e.next_progress = e.n_events + e.progress_every
                if call_owner(e, OWNER_PROGRESS) < 0:
                    return -1
            set_next_slow(e)
    return observe(e, e.now, True)


cdef inline void set_next_slow(Engine* e) noexcept nogil:
    # The event count at which run_loop must next look at max_events,
    # signals or progress.
    e.next_slow = e.next_signals
    if e.has_progress and e.next_progress < e.next_slow:
        e.next_slow = e.next_progress
    if e.max_events >= 0 and e.max_events < e.next_slow:
        e.next_slow = e.max_events
