# Checking mode (simulate(check=True)): after every event, every G is in
# exactly one place and Go's own scheduler assertions hold (_engine.pxd's
# invariants).  Reference: gmpcore/reference/check.py.
#
# Contract: check_invariants only reads the engine; a failure sets
# ERR_CHECK with the G and the two places (chk_*), worded as the
# reference words its AssertionError.


cdef int chk_put(Engine* e, int64_t g, int kind, int64_t ident) noexcept nogil:
    if g < 0 or g >= e.g.rows:
        return fail(e, ERR_ASSERT, "check: a queue holds an invalid G index")
    if e.where[g] != PL_NOWHERE:
        e.chk_code = CHK_TWICE
        e.chk_g = g
        e.chk_a_kind = e.where[g]
        e.chk_a_id = e.where_id[g]
        e.chk_b_kind = kind
        e.chk_b_id = ident
        return fail(e, ERR_CHECK, NULL)
    e.where[g] = kind
    e.where_id[g] = <int32_t>ident
    return 0


cdef int chk_put_sel(Engine* e, int64_t g, int kind, int64_t ident) noexcept nogil:
    # A queue entry or timer of a G in a select: the G's first entry puts
    # it; its other entries (channel queues, timer channels' queues, timers)
    # join it; entries of a
    # select another case already won are stale and skipped.
    if g < 0 or g >= e.g.rows:
        return fail(e, ERR_ASSERT, "check: a queue holds an invalid G index")
    if e.sel[g].state == SEL_WON:
        return 0
    if e.where[g] == PL_CHAN or e.where[g] == PL_TIMER or e.where[g] == PL_TIMER_CHAN:
        return 0
    return chk_put(e, g, kind, ident)


cdef inline int chk_fail(Engine* e, int code, int64_t g) noexcept nogil:
    e.chk_code = code
    e.chk_g = g
    return fail(e, ERR_CHECK, NULL)


cdef int check_invariants(Engine* e) noexcept nogil:
    """Every G is in exactly one place; the scheduler's own assertions hold (§9)."""
    cdef bint sys_parked
    cdef int64_t n = e.g.rows, i, j, io_pending = 0, spinning = 0, waiting = 0, dead = 0, ncap
    cdef int64_t stack = 0, nlocked = 0, nlinks = 0, nsys = 0, nsys_parked = 0
    cdef MRec* mm
    cdef int32_t p, m, k
    cdef uint32_t h
    cdef int32_t* nw
    cdef int32_t* nwi
    cdef GQueue* gq
    cdef uint8_t st
    cdef bint inw
    if n > e.where_cap:
        ncap = e.where_cap * 2 if e.where_cap else 1024
        while ncap < n:
            ncap *= 2
        nw = <int32_t*>realloc(e.where, <size_t>ncap * sizeof(int32_t))
        if nw == NULL:
            return nomem(e)
        e.where = nw
        nwi = <int32_t*>realloc(e.where_id, <size_t>ncap * sizeof(int32_t))
        if nwi == NULL:
            return nomem(e)
        e.where_id = nwi
        e.where_cap = ncap
    memset(e.where, 0, <size_t>n * sizeof(int32_t))
    for p in range(e.nprocs):
        h = e.q.runqhead[p]
        for k in range(<int32_t>runqsize(&e.q, p)):
            if chk_put(e, ring_of(&e.q, p)[(h + k) & (RUNQ_SIZE - 1)], PL_RUNQ, p) < 0:
                return -1
        if e.q.runnext[p] != NIL_G:
            if chk_put(e, e.q.runnext[p], PL_RUNNEXT, p) < 0:
                return -1
        for j in range(e.ps[p].timers.n):
            if e.ps[p].timers.a[j].kind >= TE_AFTER:     # a select's time.After
                if sel_timer_live(e, &e.ps[p].timers.a[j]) and \
                        chk_put_sel(e, e.ps[p].timers.a[j].who, PL_TIMER, p) < 0:
                    return -1
            elif e.ps[p].timers.a[j].kind == TE_SLEEP and chk_put(
                    e, e.ps[p].timers.a[j].who, PL_TIMER, p) < 0:
                return -1
    for j in range(<int64_t>e.q.globrunq.size):
        if chk_put(e, gq_at(&e.q.globrunq, j), PL_GLOBAL, 0) < 0:
            return -1
    for m in range(e.nm):
        if e.ms[m].curg >= 0 and chk_put(e, e.ms[m].curg, PL_RUNNING, m) < 0:
            return -1
        if e.ms[m].nextg >= 0 and chk_put(e, e.ms[m].nextg, PL_HAND, m) < 0:
            return -1
        if e.ms[m].spinning:
            spinning += 1
            if e.ms[m].p < 0 and e.ms[m].nextp < 0:
                return chk_fail(e, CHK_SPIN_NO_P, -1)
    for i in range(e.nchans):
        if e.chans[i].closed and (e.chans[i].recvq.size or e.chans[i].sendq.size):
            return fail(e, ERR_ASSERT, "a closed channel has parked goroutines")
        gq = &e.chans[i].recvq
        for j in range(<int64_t>gq.size):
            k = <int32_t>gq_at(gq, j)
            if (chk_put_sel(e, k, PL_CHAN, 0) if sel_state(e, k) != SEL_NONE
                    else chk_put(e, k, PL_CHAN, 0)) < 0:
                return -1
        gq = &e.chans[i].sendq
        for j in range(<int64_t>gq.size):
            k = <int32_t>gq_at(gq, j)
            if (chk_put_sel(e, k, PL_CHAN, 0) if sel_state(e, k) != SEL_NONE
                    else chk_put(e, k, PL_CHAN, 0)) < 0:
                return -1
    for i in range(e.nwgs):
        gq = &e.wgs[i].waiters
        for j in range(<int64_t>gq.size):
            if chk_put(e, gq_at(gq, j), PL_WG, 0) < 0:
                return -1
    for j in range(<int64_t>e.io_ready.size):
        if chk_put(e, gq_at(&e.io_ready, j), PL_IOREADY, 0) < 0:
            return -1
    for j in range(<int64_t>e.stw_sema.size):
        if chk_put(e, gq_at(&e.stw_sema, j), PL_SEMA, 0) < 0:
            return -1
    for i in range(e.nmus):
        gq = &e.mus[i].semq
        for j in range(<int64_t>gq.size):
            k = <int32_t>gq_at(gq, j)
            if chk_put(e, k, PL_MUTEX, 0) < 0:
                return -1
            if e.g.a[k].status != G_WAITING or e.g.a[k].waitreason != WAIT_SYNC_MUTEX_LOCK:
                return fail(e, ERR_ASSERT, "a mutex's semaphore holds a G not parked in sync.Mutex.Lock")
        if e.mus[i].sema < 0 or e.mus[i].state < 0:
            return fail(e, ERR_ASSERT, "a mutex's state or count is negative")
        if gq.size and not e.mus[i].state >> MUTEX_WAITER_SHIFT:
            return fail(e, ERR_ASSERT, "a mutex's semaphore has waiters the mutex does not count")
    for i in range(e.nrws):
        gq = &e.rws[i].w.semq
        for j in range(<int64_t>gq.size):
            k = <int32_t>gq_at(gq, j)
            if chk_put(e, k, PL_MUTEX, 0) < 0:
                return -1
            if e.g.a[k].status != G_WAITING or e.g.a[k].waitreason != WAIT_SYNC_MUTEX_LOCK:
                return fail(e, ERR_ASSERT, "a mutex's semaphore holds a G not parked in sync.Mutex.Lock")
        gq = &e.rws[i].readerSem.q
        for j in range(<int64_t>gq.size):
            k = <int32_t>gq_at(gq, j)
            if chk_put(e, k, PL_RWSEMA, 0) < 0:
                return -1
            if e.g.a[k].status != G_WAITING or e.g.a[k].waitreason != WAIT_SYNC_RWMUTEX_RLOCK:
                return fail(e, ERR_ASSERT, "an RWMutex's readerSem holds a G not parked in RLock")
        gq = &e.rws[i].writerSem.q
        for j in range(<int64_t>gq.size):
            k = <int32_t>gq_at(gq, j)
            if chk_put(e, k, PL_RWSEMA, 0) < 0:
                return -1
            if e.g.a[k].status != G_WAITING or e.g.a[k].waitreason != WAIT_SYNC_RWMUTEX_LOCK:
                return fail(e, ERR_ASSERT, "an RWMutex's writerSem holds a G not parked in Lock")
    for i in range(e.nconds):
        gq = &e.conds[i].waiters
        for j in range(<int64_t>gq.size):
            k = <int32_t>gq_at(gq, j)
            if chk_put(e, k, PL_COND, 0) < 0:
                return -1
            if e.g.a[k].status != G_WAITING or e.g.a[k].waitreason != WAIT_SYNC_COND_WAIT:
                return fail(e, ERR_ASSERT, "a Cond's notify list holds a G not parked in Cond.Wait")
    for i in range(e.tms_cap):
        gq = &e.tms[i].recvq
        for j in range(<int64_t>gq.size):
            k = <int32_t>gq_at(gq, j)
            if (chk_put_sel(e, k, PL_TIMER_CHAN, 0) if sel_state(e, k) != SEL_NONE
                    else chk_put(e, k, PL_TIMER_CHAN, 0)) < 0:
                return -1
    for i in range(n):
        if e.g.a[i].status == G_WAITING and e.g.a[i].waitreason == WAIT_IO:
            io_pending += 1
    if io_pending != e.io_waiters:
        return fail(e, ERR_ASSERT, "netpoll waiter count")
    for i in range(n):
        st = e.g.a[i].status
        nlocked += (e.g.a[i].flags & GF_LOCKED) != 0
        inw = e.where[i] != PL_NOWHERE
        waiting += st == G_WAITING
        dead += st == G_DEAD
        if st != G_DEAD:
            stack += e.g.a[i].stack
            nsys += (e.g.a[i].flags & GF_SYSTEM) != 0
        # A runtime goroutine parked for good (or the idle updater) waits on nothing.
        sys_parked = (st == G_WAITING and e.g.a[i].waitreason >= WAIT_GC_SWEEP)
        nsys_parked += sys_parked
        if st == G_DEAD or (st == G_WAITING and not inw and (e.g.a[i].waitreason == WAIT_IO
                                                            or e.g.a[i].waitreason == WAIT_SELECT_NO_CASES
                                                            or sys_parked)):
            if inw and st == G_DEAD:
                return chk_fail(e, CHK_DEAD_QUEUED, i)
            continue
        if not inw:
            e.err_arg = st
            return chk_fail(e, CHK_NOWHERE, i)
    if nsys != e.n_sys or nsys_parked != e.n_sys_waiting:
        return fail(e, ERR_ASSERT, "runtime goroutine counts")
    if e.nmspinning != spinning:
        return chk_fail(e, CHK_NMSPINNING, -1)
    for k in range(e.npidle):
        if e.q.status[e.pidle[k]] != P_IDLE:
            return chk_fail(e, CHK_PIDLE_STATUS, -1)
    for k in range(e.npidle):
        for p in range(k):
            if e.pidle[p] == e.pidle[k]:
                return chk_fail(e, CHK_PIDLE_TWICE, -1)
    for p in range(e.nprocs):
        if e.q.status[p] == P_RUNNING:
            m = e.ps[p].m
            if m < 0 or e.ms[m].p != p:
                return chk_fail(e, CHK_P_NO_M, p)
    # Stop the world (docs/design/machine.md §6 item 6); chk_g: STW_CHECKS index.
    if e.stopwait < 0:
        return chk_fail(e, CHK_STW, 0)
    j = 0
    for p in range(e.nprocs):
        j += e.q.status[p] != P_GCSTOP
    if e.gcwaiting and j != e.stopwait:
        return chk_fail(e, CHK_STW, 1)
    if not e.gcwaiting and j != e.nprocs:
        return chk_fail(e, CHK_STW, 2)
    for p in range(e.nprocs, e.np_alloc):
        if (e.q.status[p] != P_DEAD or e.ps[p].m >= 0 or not runqempty(&e.q, p)
                or e.ps[p].timers.n or e.ps[p].in_pidle):
            return chk_fail(e, CHK_STW, 3)
    # Locked threads (machine.md §6 item 6).
    j = 0
    for m in range(e.nm):
        mm = &e.ms[m]
        j += mm.phase == PH_LOCKED
        if mm.phase == PH_DEAD and (mm.p >= 0 or mm.curg >= 0 or mm.nextp >= 0 or mm.nextg >= 0):
            return chk_fail(e, CHK_DEAD_M, m)
        if mm.lockedg >= 0:
            nlinks += 1
            if not e.g.a[mm.lockedg].flags & GF_LOCKED:
                return chk_fail(e, CHK_LOCK_LINK, m)
            for k in range(m):
                if e.ms[k].lockedg == mm.lockedg:
                    return chk_fail(e, CHK_LOCK_LINK, m)
    if j != e.nmidlelocked:
        return chk_fail(e, CHK_NMIDLELOCKED, -1)
    if nlinks != nlocked:
        return chk_fail(e, CHK_LOCK_LINK, -1)
    if (e.nm - e.nmfreed) - e.nmidle - e.nmidlelocked - e.nmsys < 0:
        return chk_fail(e, CHK_RUN, -1)
    # The compiled engine's own bookkeeping (no reference counterpart).
    # Recycling: each reuse took a dead row, so the table holds n_dead - (n - rows) dead Gs.
    if (waiting != e.n_waiting or dead != e.n_dead - (e.g.n - e.g.rows)
            or stack != e.stack_inuse):
        return chk_fail(e, CHK_COUNTS, -1)
    j = 0
    for p in range(e.nprocs):
        j += e.ps[p].in_pidle
    if j != e.npidle:
        return chk_fail(e, CHK_COUNTS, -1)
    if e.cpu_on:
        return cpu_check(e)
    return 0
