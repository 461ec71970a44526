# The scheduler core (§3): the idle P and M lists, Ms starting, stopping
# and spinning (startm, stopm, wakep, handoffp), readying and parking Gs,
# schedule/findRunnable/stealWork, and checkdead.  Reference:
# gmpcore/reference/sched.py.
#
# Contract: every M step ends in resume() (a future E_M event) or in the M
# parking on midle; run queues change only through the queue core
# (_runq.pxd) and eng_runqput/eng_globrunqget, which count spills.


cdef int pidleput(Engine* e, int32_t p) noexcept nogil:
    if not runqempty(&e.q, p):
        return fail(e, ERR_ASSERT, "pidleput: P has non-empty run queue")
    e.q.status[p] = P_IDLE
    e.ps[p].m = -1
    e.ps[p].idle_since = e.now
    e.ps[p].in_pidle = 1
    e.pidle[e.npidle] = p
    e.npidle += 1
    return 0


cdef int32_t pidleget(Engine* e) noexcept nogil:
    cdef int32_t p
    if e.npidle == 0:
        return -1
    e.npidle -= 1
    p = e.pidle[e.npidle]
    e.ps[p].in_pidle = 0
    e.ps[p].idle_ns += e.now - e.ps[p].idle_since
    return p


cdef int32_t pidlegetSpinning(Engine* e) noexcept nogil:
    cdef int32_t p = pidleget(e)
    if p < 0:
        e.needspinning = 1      # §3.5: a non-spinning M about to drop its P must spin
    return p


cdef int acquirep(Engine* e, int32_t m, int32_t p) noexcept nogil:
    if not (e.ms[m].p < 0 and e.q.status[p] == P_IDLE and e.ps[p].m < 0):
        return fail(e, ERR_ASSERT, "wirep: invalid p state")
    e.ms[m].p = p
    e.ps[p].m = m
    e.q.status[p] = P_RUNNING
    return 0


cdef int releasep(Engine* e, int32_t m, int32_t* out) noexcept nogil:
    cdef int32_t p = e.ms[m].p
    if not (e.q.status[p] == P_RUNNING and e.ps[p].m == m):
        return fail(e, ERR_ASSERT, "releasep: invalid p state")
    e.ms[m].p = -1
    e.ps[p].m = -1
    e.q.status[p] = P_IDLE
    out[0] = p
    return 0


cdef inline int resume(Engine* e, int32_t m, int64_t when, int phase) noexcept nogil:
    """The M does `phase` at `when` (it is busy until then), plus any CPU
    it spent meanwhile running timers or polling the network."""
    cdef MRec* mm = &e.ms[m]
    mm.phase = phase
    mm.gen += 1
    when += mm.debt
    mm.debt = 0
    # Off-CPU phases end in a wake-up; a stop-the-world's steps are CPU work,
    # its sleeps on stopnote release the CPU themselves.  The phase tests come
    # first: resume is inlined with a constant phase almost everywhere, so for
    # the CPU phases the whole test folds away.
    if (phase >= PH_BACKOFF and phase != PH_STW_WAIT and e.cpu_on and when > e.now
            and mm.t.state == T_ON):
        if cpu_release(e, &mm.t) < 0:              # it sleeps, blocks or waits off-CPU
            return -1
    mm.t.due = when                                # a store beats a test of cpu_on
    return push(e, when, E_M, m, mm.gen)


cdef void init_m(MRec* mm) noexcept nogil:
    memset(mm, 0, sizeof(MRec))
    mm.p = -1
    mm.curg = -1
    mm.nextp = -1
    mm.oldp = -1
    mm.nextg = -1
    mm.phase = PH_IDLE
    mm.st_timers_at = -1
    mm.st_bo_g = -1
    mm.lockedg = LOCKEDG_NONE


cdef int newm(Engine* e, int32_t p, bint spinning) noexcept nogil:
    """newm (§3.6): a new thread that will start with nextp = p.  Asked
    for on a locked M, the template thread clones it: it wakes first."""
    cdef int32_t m
    cdef int64_t delay = drawn(e, &e.c.thread_create)
    if e.cur_m >= 0 and e.ms[e.cur_m].locked_ext != 0:
        delay += drawn(e, &e.c.thread_wake)
    if e.nm >= e.max_threads:
        return fail(e, ERR_THREADS, NULL)
    m = e.nm
    e.nm += 1
    init_m(&e.ms[m])
    e.ms[m].created = e.now
    init_thread(&e.ms[m].t, m, True)
    e.n_threads += 1
    e.ms[m].nextp = p
    e.ms[m].spinning = spinning
    log_ev(e, EV_THREAD_CREATE, m, p, -1, -1)
    return resume(e, m, e.now + delay, PH_START)


cdef int startm(Engine* e, int32_t p, bint spinning) noexcept nogil:
    """startm (§3.6): give `p` (or an idle P) to an idle or new M."""
    cdef int32_t m
    if p < 0:
        if spinning:
            return fail(e, ERR_ASSERT, "startm: P required for spinning=true")
        p = pidleget(e)
        if p < 0:
            return 0
    if e.nmidle == 0:
        return newm(e, p, spinning)
    e.nmidle -= 1
    m = e.midle[e.nmidle]
    if not (e.ms[m].p < 0 and e.ms[m].nextp < 0):
        return fail(e, ERR_ASSERT, "startm: m has p")
    e.ms[m].spinning = spinning
    e.ms[m].nextp = p
    e.n_thread_wakes += 1
    log_ev(e, EV_M_WAKE, m, p, -1, spinning)
    return resume(e, m, e.now + drawn(e, &e.c.thread_wake), PH_START)


cdef int stopm(Engine* e, int32_t m) noexcept nogil:
    """stopm (§3.6): park the M on the idle list until someone hands it a P."""
    cdef MRec* mm = &e.ms[m]
    if mm.p >= 0:
        return fail(e, ERR_ASSERT, "stopm holding p")
    if mm.spinning:
        return fail(e, ERR_ASSERT, "stopm spinning")
    mm.phase = PH_IDLE
    mm.gen += 1
    mm.debt = 0                 # poll/timer work before parking delays no later wake
    if e.cpu_on and cpu_release_m(e, m) < 0:
        return -1
    e.midle[e.nmidle] = m
    e.nmidle += 1
    log_ev(e, EV_M_PARK, m, -1, -1, -1)
    return checkdead(e)


cdef inline int wakep(Engine* e) noexcept nogil:
    """wakep (§3.5): start one more spinning M if there is an idle P and none spins."""
    cdef int32_t p
    if e.nmspinning >= e.pol.wake_max_spinning:     # Go's: != 0 (Policy.wakeup)
        return 0
    e.nmspinning += 1
    p = pidlegetSpinning(e)
    if p < 0:
        e.nmspinning -= 1
        return 0
    e.n_spinning += 1
    return startm(e, p, True)


cdef inline void spin_clock_start(Engine* e, int32_t m) noexcept nogil:
    """The M runs spinning: spinning_ns gets now - start when it stops (the
    start is subtracted now, so that MRec needs only a flag)."""
    e.spinning_ns -= e.now
    e.ms[m].spin_clocked = 1


cdef inline void spin_clock_stop(Engine* e, int32_t m) noexcept nogil:
    """The M stops spinning: add the spin's length to spinning_ns."""
    if e.ms[m].spin_clocked:
        e.spinning_ns += e.now
        e.ms[m].spin_clocked = 0


cdef void become_spinning(Engine* e, int32_t m) noexcept nogil:
    e.ms[m].spinning = 1
    spin_clock_start(e, m)
    e.nmspinning += 1
    e.needspinning = 0
    e.n_spinning += 1
    log_ev(e, EV_SPIN, m, e.ms[m].p, -1, 1)


cdef int reset_spinning(Engine* e, int32_t m) noexcept nogil:
    """resetspinning (§3.1 step 6): the spinner found work; wake another."""
    e.ms[m].spinning = 0
    spin_clock_stop(e, m)
    e.nmspinning -= 1
    if e.nmspinning < 0:
        return fail(e, ERR_ASSERT, "findRunnable: negative nmspinning")
    log_ev(e, EV_SPIN, m, e.ms[m].p, -1, 0)
    return wakep(e)


cdef int handoffp(Engine* e, int32_t p) noexcept nogil:
    """handoffp (§3.6): a P without an M; start one if there is anything to do."""
    e.n_handoffs += 1
    log_ev(e, EV_HANDOFF, -1, p, -1, -1)
    if not runqempty(&e.q, p) or e.q.globrunq.size:
        return startm(e, p, False)
    if e.nmspinning + e.npidle == 0:
        e.nmspinning += 1
        e.needspinning = 0
        e.n_spinning += 1
        return startm(e, p, True)
    if e.gcwaiting:                             # the STW takes the P (§1.4)
        return p_gcstopped(e, p)
    if e.npidle == e.nprocs - 1 and e.lastpoll != 0:
        return startm(e, p, False)
    if pidleput(e, p) < 0:
        return -1
    if e.ps[p].timers.n:
        return wake_net_poller(e, timers_wake_time(e, p))
    return 0


cdef int ready(Engine* e, gid_t g, int32_t p) noexcept nogil:
    """ready / goready (§5.3): into `p`'s runnext, then wakep."""
    if e.g.a[g].status != G_WAITING:
        return fail(e, ERR_ASSERT, "bad g->status in ready")
    e.g.a[g].status = G_RUNNABLE
    e.g.a[g].waitreason = WAIT_NONE
    e.g.a[g].runnable_ns -= e.now
    e.g.since[g] = e.now
    e.n_waiting -= 1
    log_ev(e, EV_READY, -1, p, g, -1)
    if eng_runqput(e, p, g, True) < 0:
        return -1
    return wakep(e)


cdef bint runnext_allowed(Engine* e, int32_t p) noexcept nogil:
    """runnext off, or Policy.lifo_limit: after that many Gs in a row ran
    from this P's runnext (in the current slice's run), to the tail."""
    cdef int64_t* lifo = e.pol.lifo + 2 * p
    if not e.q.have_sysmon:
        return False
    return lifo[1] != e.ps[p].schedtick or lifo[0] < e.pol.lifo_limit


cdef inline int eng_runqput(Engine* e, int32_t p, gid_t g, bint next_) noexcept nogil:
    # reference runqput(): runqput (§2.1), counting a spill by the global
    # queue's growth as the reference does.
    cdef uint64_t before = e.q.globrunq.size
    if next_ and not e.use_runnext:
        next_ = runnext_allowed(e, p)
    cdef int rc = runqput(&e.q, p, g, next_)
    if rc == RQ_NOMEM:
        return nomem(e)
    if rc == RQ_CORRUPT:
        return fail(e, ERR_THROW, "runqputslow: queue is not full")
    if e.q.globrunq.size > before:
        e.n_spills += 1
        log_ev(e, EV_SPILL, -1, p, -1, <int64_t>(e.q.globrunq.size - before))
    return 0


cdef int eng_globrunqget(Engine* e, int32_t p, uint32_t mx, gid_t* out) noexcept nogil:
    # RefSched.globrunqget(p, max): a batch of min(max or 128, size,
    # size/gomaxprocs + 1); the first runs, the rest go to p's ring (§2.9).
    cdef gid_t batch[RUNQ_SIZE + 1]
    cdef uint32_t want = mx if mx else e.pol.global_batch
    cdef uint32_t k = globrunq_batch_size(&e.q, want)
    out[0] = NIL_G
    if k == 0:
        return 0
    if k - 1 > e.q.cap - runqsize(&e.q, p):
        return fail(e, ERR_THROW, "Couldn't put Gs into empty local runq")
    k = globrunqgetbatch(&e.q, want, batch)
    runqputbatch(&e.q, p, batch + 1, k - 1)
    out[0] = batch[0]
    return 0


cdef void dropg(Engine* e, int32_t m, gid_t g, int64_t reason) noexcept nogil:
    cdef MRec* mm = &e.ms[m]
    cdef int64_t ran = e.now - mm.run_start
    e.g.a[g].running_ns += ran
    e.ps[mm.p].busy_ns += ran
    mm.curg = -1
    log_ev(e, EV_STOP, m, mm.p, g, reason)


cdef int park(Engine* e, int32_t m, gid_t g, int reason, int64_t extra) noexcept nogil:
    """gopark (§3.7): the G waits; its M looks for other work."""
    dropg(e, m, g, STOP_PARK)
    e.g.a[g].status = G_WAITING
    e.g.a[g].waitreason = reason
    e.g.since[g] = e.now
    log_ev(e, EV_WAIT, m, e.ms[m].p, g, reason)
    e.n_waiting += 1
    return resume(e, m, e.now + extra + drawn(e, &e.c.park), PH_SCHEDULE)


cdef inline int schedule(Engine* e, int32_t m) noexcept nogil:
    if e.ms[m].lockedg != LOCKEDG_NONE:
        return schedule_locked_p(e, m)           # stoplockedm, or mexit after its G
    if e.ms[m].spinning and not runqempty(&e.q, e.ms[m].p):
        return fail(e, ERR_ASSERT, "schedule: spinning with local work")
    return find_runnable(e, m)


cdef bint runnext_run(Engine* e, int32_t p) noexcept nogil:
    """g comes from runnext under Policy.lifo_limit or runnext_inherit off:
    count it in the P's streak, which a new slice ends (execute bumps
    schedtick); without inheritance it starts one itself.  Returns whether
    it inherits the time slice."""
    cdef int64_t* lifo = e.pol.lifo + 2 * p
    if lifo[1] != e.ps[p].schedtick:
        lifo[0] = 0
    lifo[0] += 1
    lifo[1] = e.ps[p].schedtick + (0 if e.pol.inherit else 1)
    return e.pol.inherit


cdef int found(Engine* e, int32_t m, gid_t g, bint inherit) noexcept nogil:
    """findRunnable returned g: resetspinning, then execute after the switch cost."""
    if e.ms[m].spinning and reset_spinning(e, m) < 0:
        return -1
    e.ms[m].nextg = g
    e.ms[m].next_inherit = inherit
    prefetch(&e.g.a[g])                          # execute touches it next; long queues evict it
    cdef int64_t cost = drawn(e, &e.c.schedule)
    cost += cold_switch_ns(e)
    return resume(e, m, e.now + cost, PH_EXECUTE)


cdef inline bint global_check_due(Engine* e, int32_t p) noexcept nogil:
    # Policy.global_check_interval (Go: schedtick % 61 == 0); 0 never.
    if e.pol.global_check == GLOBAL_CHECK_PERIOD:
        return e.ps[p].schedtick % GLOBAL_CHECK_PERIOD == 0
    return e.pol.global_check != 0 and e.ps[p].schedtick % e.pol.global_check == 0


cdef int find_runnable(Engine* e, int32_t m) noexcept nogil:
    cdef MRec* mm = &e.ms[m]
    cdef int32_t p = mm.p
    cdef gid_t g = NIL_G
    cdef bint inherit = False
    cdef int64_t n, search
    if e.gcwaiting:                             # top: a STW wants our P (§1.4)
        return gcstopm(e, m)
    # 3. This P's expired timers (they ready Gs into our runnext).
    if e.ps[p].timers.n and check_timers(e, m, p, p) < 0:
        return -1
    # 6. Fairness: every 61st schedtick, one G from the global queue.
    if global_check_due(e, p) and e.q.globrunq.size:
        if eng_globrunqget(e, p, 1, &g) < 0:
            return -1
        return found(e, m, g, False)
    # 8. Local run queue.
    g = runqget(&e.q, p, &inherit)
    if g != NIL_G:
        if inherit and e.pol.runnext_special:
            inherit = runnext_run(e, p)
        return found(e, m, g, inherit)
    # 9. Global run queue, a batch.
    if e.q.globrunq.size:
        if eng_globrunqget(e, p, 0, &g) < 0:
            return -1
        return found(e, m, g, False)
    # 10. Non-blocking netpoll (paid for even when nothing is ready).
    if e.netpoll_inited and e.io_waiters and e.lastpoll != 0:
        n = netpoll(e, m)
        if n:
            log_ev(e, EV_NETPOLL, m, p, -1, n)
            g = e.ready_buf[0]
            if injectglist(e, e.ready_buf + 1, n - 1, m) < 0:
                return -1
            return found(e, m, g, False)
    # 11. Steal, if allowed to spin; the search takes time.
    if mm.spinning or e.pol.spin_factor * e.nmspinning < e.nprocs - e.npidle:
        if not mm.spinning:
            become_spinning(e, m)
        search = drawn(e, &e.c.steal_attempt) * (e.nprocs - 1)
        return resume(e, m, e.now + search, PH_STEAL)
    return drop_p(e, m)


cdef int find_after_spin(Engine* e, int32_t m) noexcept nogil:
    cdef MRec* mm = &e.ms[m]
    mm.st_pass = 0
    mm.st_enum_valid = 0
    mm.st_poll_until = 0
    mm.st_ran_timer = 0
    mm.st_timers_at = -1
    mm.st_bo_g = -1
    return steal_work_continue(e, m)


cdef int steal_work_continue(Engine* e, int32_t m) noexcept nogil:
    """stealWork (§3.3): 4 passes in random order; timers and runnext on the last."""
    cdef MRec* mm = &e.ms[m]
    cdef int32_t p = mm.p, victim
    cdef uint32_t r, n = <uint32_t>e.nprocs
    cdef bint last, inherit = False
    cdef int64_t ran, w
    cdef gid_t g = NIL_G, backed_off
    cdef uint32_t before
    cdef int rc
    while mm.st_pass < 4:
        last = mm.st_pass == 3
        if not mm.st_enum_valid:
            r = rand32(e)
            mm.st_pos = r % n
            mm.st_inc = e.order.coprimes[(r // n) % e.order.ncoprimes]
            mm.st_i = 0
            mm.st_enum_valid = 1
        while mm.st_i < n:
            if e.gcwaiting and mm.st_bo_g < 0:
                return find_runnable(e, m)     # newWork: back to the top, which stops (§1.4)
            victim = <int32_t>mm.st_pos
            if victim != p:
                if last and e.ps[victim].timers.n and mm.st_timers_at != <int32_t>mm.st_i:
                    mm.st_timers_at = <int32_t>mm.st_i     # not again after a back-off
                    ran = check_timers(e, m, victim, p)
                    if ran < 0:
                        return -1
                    if ran:
                        g = runqget(&e.q, p, &inherit)
                        if g != NIL_G:
                            if inherit and e.pol.runnext_special:
                                inherit = runnext_run(e, p)
                            return found(e, m, g, inherit)
                        mm.st_ran_timer = 1
                    w = timers_wake_time(e, victim)
                    if w:
                        if mm.st_poll_until == 0 or w < mm.st_poll_until:
                            mm.st_poll_until = w
                # The back-off is for this victim only (we resume at it).
                backed_off = mm.st_bo_g
                mm.st_bo_g = -1
                if not e.ps[victim].in_pidle:
                    if backed_off >= 0 and e.q.runnext[victim] == backed_off:
                        # After usleep(3) runqgrab's CAS on runnext succeeds:
                        # the thief takes it even if the ring refilled (§2.7).
                        e.q.runnext[victim] = NIL_G
                        return stolen(e, m, victim, backed_off, e.q.runqtail[p])
                    # runqgrab's back-off before taking a running P's runnext.
                    if (last and steal_amount(&e.q, runqsize(&e.q, victim)) == 0
                            and e.q.runnext[victim] != NIL_G
                            and e.q.status[victim] == P_RUNNING):
                        mm.st_bo_g = e.q.runnext[victim]
                        return resume(e, m, e.now + usleep_ns(e, RUNNEXT_BACKOFF), PH_BACKOFF)
                    before = e.q.runqtail[p]
                    rc = runqsteal(&e.q, p, victim, last, &g)
                    if rc == RQ_OVERFLOW:
                        return fail(e, ERR_THROW, "runqsteal: runq overflow")
                    if g != NIL_G:
                        return stolen(e, m, victim, g, before)
            mm.st_pos = (mm.st_pos + mm.st_inc) % n
            mm.st_i += 1
        mm.st_pass += 1
        mm.st_enum_valid = 0
        mm.st_timers_at = -1
    if mm.st_ran_timer:
        return find_runnable(e, m)             # newWork: start over (§3.2 step 11)
    mm.poll_until = mm.st_poll_until
    return drop_p(e, m)


cdef inline void count_steal(GRec* rec) noexcept nogil:
    if rec.steals < COUNTER_MAX_C:               # saturates (results.G_DTYPE)
        rec.steals += 1


cdef int stolen(Engine* e, int32_t m, int32_t victim, gid_t g, uint32_t before) noexcept nogil:
    """A steal succeeded: g runs now; ring slots [before, runqtail) of the
    thief's ring are the other Gs it took (reference stolen())."""
    cdef int32_t p = e.ms[m].p
    cdef gid_t* ring = ring_of(&e.q, p)
    cdef uint32_t i, moved = e.q.runqtail[p] - before     # counters wrap (§2)
    count_steal(&e.g.a[g])
    for i in range(moved):
        count_steal(&e.g.a[ring[(before + i) & RUNQ_MASK]])
    e.ps[p].steals += 1
    e.n_steals += 1
    log_ev(e, EV_STEAL, m, p, g, victim)
    return found(e, m, g, False)


cdef int drop_p(Engine* e, int32_t m) noexcept nogil:
    """§3.2 steps 14-17: give up the P, re-check, poll the network, or stop."""
    cdef MRec* mm = &e.ms[m]
    cdef int32_t p = mm.p, p2, p3, i
    cdef int64_t poll_until = mm.poll_until, w
    cdef bint was_spinning
    cdef gid_t g = NIL_G
    mm.poll_until = 0
    if e.gcwaiting:                             # the re-check under sched.lock (§1.4)
        return find_runnable(e, m)
    w = timers_wake_time(e, p)
    if w and (poll_until == 0 or w < poll_until):
        poll_until = w
    if e.q.globrunq.size:
        if eng_globrunqget(e, p, 0, &g) < 0:
            return -1
        return found(e, m, g, False)
    if not mm.spinning and e.needspinning == 1:
        become_spinning(e, m)
        return find_runnable(e, m)
    if releasep(e, m, &p) < 0:
        return -1
    if pidleput(e, p) < 0:
        return -1
    was_spinning = mm.spinning
    if mm.spinning:
        # The delicate dance: stop spinning first, then re-check everything.
        mm.spinning = 0
        spin_clock_stop(e, m)
        e.nmspinning -= 1
        if e.nmspinning < 0:
            return fail(e, ERR_ASSERT, "findRunnable: negative nmspinning")
        log_ev(e, EV_SPIN, m, p, -1, 0)
        if e.q.globrunq.size:
            p2 = pidlegetSpinning(e)
            if p2 >= 0:
                if acquirep(e, m, p2) < 0:
                    return -1
                become_spinning(e, m)
                if eng_globrunqget(e, p2, 0, &g) < 0:
                    return -1
                return found(e, m, g, False)
        for i in range(e.nprocs):
            if not e.ps[i].in_pidle and not runqempty(&e.q, i):
                p3 = pidlegetSpinning(e)
                if p3 >= 0:
                    if acquirep(e, m, p3) < 0:
                        return -1
                    become_spinning(e, m)
                    return find_runnable(e, m)
                break
        poll_until = 0
        for i in range(e.nprocs):
            w = timers_wake_time(e, i)
            if w:
                if poll_until == 0 or w < poll_until:
                    poll_until = w
    # 16. Block in netpoll until I/O or the earliest timer.
    if e.netpoll_inited and (e.io_waiters or poll_until) and e.lastpoll != 0:
        e.lastpoll = 0
        e.poll_until = poll_until
        e.poller = m
        mm.was_spinning = was_spinning
        mm.phase = PH_NETPOLL
        mm.gen += 1
        mm.debt = 0
        if e.cpu_on and not e.io_ready.size and cpu_release_m(e, m) < 0:
            return -1                               # blocked in epoll_wait
        if e.io_ready.size:
            return resume(e, m, e.now, PH_NETPOLL)
        elif poll_until:
            # epoll_wait takes whole milliseconds: under 1 ms waits 1 ms,
            # longer delays are rounded down; an early wake polls again.
            # The timeout's expiry comes late by the timer slack and the idle
            # CPU's wake-up (timer_wake).
            w = poll_until - e.now if poll_until > e.now else 0
            if w:
                w = NETPOLL_RESOLUTION if w < NETPOLL_RESOLUTION else w - w % NETPOLL_RESOLUTION
                w += drawn(e, &e.c.timer_wake)
            return push(e, e.now + w, E_M, m, mm.gen)
        return 0
    if poll_until and e.lastpoll == 0 and (e.poll_until == 0 or poll_until < e.poll_until):
        if netpoll_break(e) < 0:
            return -1
    return stopm(e, m)


cdef int checkdead(Engine* e) noexcept nogil:
    # mcount - nmidle - nmidlelocked - nmsys (sysmon, the template thread)
    cdef int64_t run = (e.nm - e.nmfreed) - e.nmidle - e.nmidlelocked - e.nmsys
    cdef int32_t i
    if run > 0:
        return 0
    if run < 0:
        return fail(e, ERR_THROW, "checkdead: inconsistent counts")
    if e.until_all and e.live == e.n_sys and not e.main_goexit:
        return 0
    # Go skips the runtime's goroutines (isSystemGoroutine) in both counts.
    if e.g.n - e.n_waiting - e.n_dead - (e.n_sys - e.n_sys_waiting) > 0:
        return fail(e, ERR_ASSERT, "checkdead: runnable g")
    if e.n_waiting == e.n_sys_waiting:
        return fail(e, ERR_DEADLOCK, "no goroutines (main called runtime.Goexit) - deadlock!")
    if e.io_waiters:
        return 0
    for i in range(e.nprocs):
        if e.ps[i].timers.n:
            return 0
    return fail(e, ERR_DEADLOCK, "all goroutines are asleep - deadlock!")
