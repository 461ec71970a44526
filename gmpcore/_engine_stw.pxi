# Stop the world and resize (docs/design/machine.md §1.3-§1.5, §3.7):
# runtime.GOMAXPROCS(n), stopTheWorldWithSema, startTheWorldWithSema,
# procresize and gcstopm.  Reference: gmpcore/reference/stw.py.
#
# Contract: a stop-the-world is a phase of its caller's M (PH_STW_WAIT,
# stepped by e.stw_state): stw_begin starts it, stw_end restarts the world;
# in between e.gcwaiting makes every M that holds a P give it up (gcstopm)
# and e.stopwait counts the Ps still to stop.  A later GC calls the same two
# functions.  Without a STW nothing here runs: the paths that existed test
# e.gcwaiting once.


cdef int gomaxprocs_stw(Engine* e, int32_t m, gid_t g, int64_t n, int32_t cause) noexcept nogil:
    """runtime.GOMAXPROCS(n) past its checks (§1.3): take gcsema, stop the
    world; newprocs = n is applied when it starts again."""
    cdef GRec* rec = &e.g.a[g]
    if e.stw_owner >= 0 and e.stw_owner != g:
        # gcsema is held by another STW: wait in line (handed over FIFO);
        # the op runs again when woken, its equality check already done.
        rec.rem = n
        rec.pc -= 1
        if gq_push_back(&e.stw_sema, g) < 0:
            return nomem(e)
        return park(e, m, g, WAIT_SEMACQUIRE, 0)
    rec.rem = -1
    e.stw_owner = g
    e.newprocs = <int32_t>n
    e.newprocs_cause = cause
    return stw_begin(e, m, STW_GOMAXPROCS)


cdef inline int32_t default_gomaxprocs(Engine* e) noexcept nogil:
    """defaultGOMAXPROCS (machine.md §1.1): the CPUs, lowered to
    max(2, ceil(quota/period)) by the quota in force."""
    cdef int32_t procs = e.cl.ncpu
    cdef int64_t limit
    if e.containermaxprocs and e.cl.q_limit:
        limit = (e.cl.q_quota + e.cl.q_period - 1) // e.cl.q_period
        if limit < 2:
            limit = 2
        if limit < procs:
            procs = <int32_t>limit
    return procs


cdef int sysmonUpdateGOMAXPROCS(Engine* e) noexcept nogil:
    """sysmonUpdateGOMAXPROCS (§1.2): if the default moved and the program
    never set GOMAXPROCS, wake the updater: a G that stops the world with
    the new count.  Go starts that G at start-up and parks it between
    updates (runtime_init: _engine_runtime.pxi); without the runtime's
    start it is made when needed (taking the next goid of P0's cache) and
    exits when done (docs/fidelity.md)."""
    cdef int32_t n = default_gomaxprocs(e)
    cdef gid_t g = NIL_G
    if e.custom or n == e.nprocs:
        return 0
    if e.rt_init:
        if e.upd_idle:
            e.upd_procs = n
        return inject_updater(e)
    if e.upd_g >= 0:
        return 0
    e.upd_procs = n
    if newg(e, -1, e.upd_program, 0, &g) < 0:
        return -1
    e.upd_g = g
    return injectglist(e, &g, 1, -1)      # sysmon has no P: the global queue, an idle P


cdef int stw_begin(Engine* e, int32_t m, int32_t reason) noexcept nogil:
    """stopTheWorld's entry: the caller's G waits for the whole pause
    (step 1); its M pays stw_stop, then stops the Ps."""
    cdef MRec* mm = &e.ms[m]
    cdef gid_t g = mm.curg
    cdef int64_t ran = e.now - mm.run_start
    e.g.a[g].running_ns += ran
    e.ps[mm.p].busy_ns += ran
    e.g.a[g].status = G_WAITING
    e.g.a[g].waitreason = WAIT_STOPPING_THE_WORLD
    e.g.since[g] = e.now
    e.n_waiting += 1
    e.stw_m = m
    e.stw_reason = reason
    e.stw_t0 = e.now
    e.stw_state = STW_STOPPING
    e.n_stw += 1
    log_ev(e, EV_STW_START, m, mm.p, g, reason)
    return resume(e, m, e.now + drawn(e, &e.c.stw_stop), PH_STW_WAIT)


cdef int stw_step(Engine* e, int32_t m) noexcept nogil:
    """The caller's M at its next step of the stop-the-world."""
    cdef int32_t state = e.stw_state
    if state == STW_STOPPING:
        return stopTheWorldWithSema(e, m)
    if state == STW_WAITING:                      # stopnote's 100 us sleep timed out
        if preemptall(e, m) < 0:
            return -1
        if e.cpu_on and cpu_release_m(e, m) < 0:  # it sleeps again, off-CPU
            return -1
        return resume(e, m, e.now + STW_PREEMPT_PERIOD, PH_STW_WAIT)
    if state == STW_WOKEN:
        return stw_stopped(e, m)
    return startTheWorldWithSema(e, m)


cdef int stopTheWorldWithSema(Engine* e, int32_t m) noexcept nogil:
    """Steps 2-6 of §1.4: every P stops, or the caller sleeps until they have."""
    cdef int32_t i
    e.stopwait = e.nprocs
    e.gcwaiting = True
    if preemptall(e, m) < 0:
        return -1
    e.q.status[e.ms[m].p] = P_GCSTOP
    e.stopwait -= 1
    for i in range(e.nprocs):
        if e.q.status[i] == P_SYSCALL:
            e.q.status[i] = P_GCSTOP
            e.ps[i].syscalltick += 1
            e.stopwait -= 1
    while True:
        i = pidleget(e)
        if i < 0:
            break
        e.q.status[i] = P_GCSTOP
        e.stopwait -= 1
    if e.stopwait > 0:
        e.stw_state = STW_WAITING
        if e.cpu_on and cpu_release_m(e, m) < 0:  # it sleeps on stopnote, off-CPU
            return -1
        return resume(e, m, e.now + STW_PREEMPT_PERIOD, PH_STW_WAIT)
    return stw_stopped(e, m)


cdef int preemptall(Engine* e, int32_t m) noexcept nogil:
    """preemptall: ask every running P's G but the caller's to stop."""
    cdef int32_t i
    for i in range(e.nprocs):
        if e.q.status[i] == P_RUNNING and e.ps[i].m != m:
            if preemptone(e, i) < 0:
                return -1
    return 0


cdef int p_gcstopped(Engine* e, int32_t p) noexcept nogil:
    """A P stops for the STW: stopwait--, and the last one wakes the caller
    (notewakeup(&stopnote): a thread wake-up)."""
    e.q.status[p] = P_GCSTOP
    e.ps[p].m = -1
    e.stopwait -= 1
    if e.stopwait == 0 and e.stw_state == STW_WAITING:
        e.stw_state = STW_WOKEN
        return resume(e, e.stw_m, e.now + drawn(e, &e.c.thread_wake), PH_STW_WAIT)
    return 0


cdef int gcstopm(Engine* e, int32_t m) noexcept nogil:
    """gcstopm: an M that finds gcwaiting stops its P and parks."""
    cdef MRec* mm = &e.ms[m]
    cdef int32_t p
    if not e.gcwaiting:
        return fail(e, ERR_THROW, "gcstopm: not waiting for gc")
    if mm.spinning:
        mm.spinning = 0
        spin_clock_stop(e, m)
        e.nmspinning -= 1
        if e.nmspinning < 0:
            return fail(e, ERR_THROW, "gcstopm: negative nmspinning")
        log_ev(e, EV_SPIN, m, mm.p, -1, 0)
    if releasep(e, m, &p) < 0:
        return -1
    if p_gcstopped(e, p) < 0:
        return -1
    return stopm(e, m)


cdef int entersyscall_gcwait(Engine* e, int32_t p) noexcept nogil:
    """entersyscall_gcwait: a P just left in _Psyscall stops at once."""
    if e.stopwait > 0 and e.q.status[p] == P_SYSCALL:
        e.ps[p].syscalltick += 1
        return p_gcstopped(e, p)
    return 0


cdef int stw_stopped(Engine* e, int32_t m) noexcept nogil:
    """The world is stopped (the end of stopTheWorldWithSema)."""
    cdef int32_t i
    for i in range(e.nprocs):
        if e.q.status[i] != P_GCSTOP:
            return fail(e, ERR_THROW, "stopTheWorld: not stopped")
    e.stw_stopping_ns += e.now - e.stw_t0
    return stw_end(e, m)


cdef int stw_end(Engine* e, int32_t m) noexcept nogil:
    """startTheWorld: the caller pays stw_start and procresize's work per P
    it touches (every P of the larger count), then the world restarts."""
    cdef int64_t n = e.newprocs if e.newprocs else e.nprocs
    cdef int64_t touched = n if n > e.nprocs else e.nprocs
    cdef int64_t cost = drawn(e, &e.c.stw_start)
    cost += drawn(e, &e.c.procresize_p) * touched
    e.stw_state = STW_STARTING
    return resume(e, m, e.now + cost, PH_STW_WAIT)


cdef int startTheWorldWithSema(Engine* e, int32_t m) noexcept nogil:
    """§1.4 start: poll, procresize, give Ps with work an M, wakep; the
    caller's G runs on, and gcsema goes to the next G waiting for it."""
    cdef MRec* mm = &e.ms[m]
    cdef gid_t g = mm.curg
    cdef int32_t n, p, mp
    cdef int64_t k
    if e.netpoll_inited and e.io_waiters:
        k = netpoll(e, m)
        if k:
            log_ev(e, EV_NETPOLL, m, mm.p, -1, k)
            if injectglist(e, e.ready_buf, k, m) < 0:
                return -1
    n = e.newprocs if e.newprocs else e.nprocs
    e.newprocs = 0
    if procresize(e, m, n) < 0:
        return -1
    e.gcwaiting = False
    if e.sm_wait and sysmon_wake(e) < 0:
        return -1
    for p in range(e.nprocs):                     # runnablePs, lowest id first
        if e.q.status[p] != P_IDLE or p == mm.p or e.ps[p].in_pidle:
            continue
        mp = e.ps[p].m
        e.ps[p].m = -1
        if mp < 0:
            if newm(e, p, False) < 0:
                return -1
            continue
        if e.ms[mp].nextp >= 0:
            return fail(e, ERR_THROW, "startTheWorld: inconsistent mp->nextp")
        e.ms[mp].nextp = p
        e.n_thread_wakes += 1
        log_ev(e, EV_M_WAKE, mp, p, -1, 0)
        if resume(e, mp, e.now + drawn(e, &e.c.thread_wake), PH_START) < 0:
            return -1
    e.stw_total_ns += e.now - e.stw_t0
    log_ev(e, EV_STW_DONE, m, mm.p, g, e.now - e.stw_t0)
    if wakep(e) < 0:
        return -1
    e.stw_state = STW_NONE
    e.stw_m = -1
    # semrelease(&gcsema): the first waiter gets it, into our runnext.
    e.stw_owner = -1
    if e.stw_sema.size:
        e.stw_owner = gq_pop_front(&e.stw_sema)
        if ready(e, e.stw_owner, mm.p) < 0:
            return -1
    e.g.a[g].status = G_RUNNING
    e.g.a[g].waitreason = WAIT_NONE
    e.n_waiting -= 1
    mm.run_start = e.now
    return run_g(e, m)


cdef int32_t mget(Engine* e) noexcept nogil:
    cdef int32_t m
    if e.nmidle == 0:
        return -1
    e.nmidle -= 1
    m = e.midle[e.nmidle]
    return m


cdef int procresize(Engine* e, int32_t m, int32_t n) noexcept nogil:
    """procresize (§1.5): Ps n.. destroyed, old..n-1 made; every other P
    goes idle (lowest id on top) or, with work, gets an idle M if any."""
    cdef int32_t old = e.nprocs, i
    cdef MRec* mm = &e.ms[m]
    cdef int64_t* row
    if not 0 < n <= e.np_alloc:
        return fail(e, ERR_THROW, "procresize: invalid arg")
    for i in range(old, n):
        e.q.status[i] = P_GCSTOP                  # (*p).init: a shrunk P is reused as it was
    if mm.p < n:
        e.q.status[mm.p] = P_RUNNING
    else:
        e.ps[mm.p].m = -1
        mm.p = -1
        e.ps[0].m = -1
        e.q.status[0] = P_IDLE
        if acquirep(e, m, 0) < 0:
            return -1
    for i in range(n, old):
        if pdestroy(e, i, mm.p) < 0:
            return -1
    e.nprocs = n
    e.q.nprocs = n
    if n > e.np_seen:
        e.np_seen = n
    for i in range(n - 1, -1, -1):
        if i == mm.p:
            continue
        e.q.status[i] = P_IDLE
        if runqempty(&e.q, i):
            if pidleput(e, i) < 0:
                return -1
        else:
            e.ps[i].m = mget(e)
    if random_order_reset(&e.order, <uint32_t>n) < 0:
        return nomem(e)
    if n != old:
        e.n_gomaxprocs_changes += 1
        row = append_row(&e.hist, &e.hist_n, &e.hist_cap, 4)
        if row == NULL:
            return nomem(e)
        row[0] = e.now
        row[1] = old
        row[2] = n
        row[3] = e.newprocs_cause
        log_ev(e, EV_PROCS, m, -1, -1, n)
    return 0


cdef int pdestroy(Engine* e, int32_t p, int32_t to) noexcept nogil:
    """(*p).destroy: its ring tail first, then runnext, to the global
    queue's head (so they keep their order, runnext first); its timers to
    the caller's P; _Pdead."""
    cdef gid_t* ring = ring_of(&e.q, p)
    cdef Event t
    cdef Timer* tm
    while e.q.runqtail[p] != e.q.runqhead[p]:
        e.q.runqtail[p] -= 1
        if globrunqputhead(&e.q, ring[e.q.runqtail[p] & RUNQ_MASK]) < 0:
            return nomem(e)
    if e.q.runnext[p] != NIL_G:
        if globrunqputhead(&e.q, e.q.runnext[p]) < 0:
            return nomem(e)
        e.q.runnext[p] = NIL_G
    while e.ps[p].timers.n:                       # timers.take: zombies are dropped
        bheap_pop(&e.ps[p].timers, &t)
        if t.kind == TE_TIMER:
            tm = &e.tms[t.who]
            if tm.state & TS_ZOMBIE:
                tm.state = 0
                tm.ts = -1
                continue
            tm.state = 0
            tm.ts = to
            t.when = tm.when
            if t.when >= TIME_LIMIT:
                return fail(e, ERR_OVERFLOW, "virtual time exceeds 2**62 ns")
        if bheap_push(&e.ps[to].timers, &t) < 0:
            return nomem(e)
    e.ps[p].tzombies = 0
    e.ps[p].tmin_modified = 0
    gfpurge(e, p)
    e.q.status[p] = P_DEAD
    return 0
