# sync.Mutex (Go 1.25 internal/sync/mutex.go) on the runtime's semaphore
# (runtime/sema.go): the fast path's CAS, lockSlow's spins under canSpin,
# the semaphore queue (new waiters at the tail, old ones at the head),
# normal and starvation mode, unlockSlow's wake-up or hand-off.
# Reference: gmpcore/reference/mutex.py.
#
# Contract: the state word is Go's (_engine.pxd Mutex); atomics take no
# time and nothing runs between an event's read and its CAS, so every CAS
# succeeds.  A G inside Lock keeps lockSlow's locals in e.mul[g] (step !=
# MU_NONE); each spin and each wake-up re-runs the LOCK instruction, so a
# Lock that has not returned moves the G's pc back (run_g moved it on).


cdef MuLocal* mutex_local(Engine* e, gid_t g) noexcept nogil:
    # e.mul[g], growing the table (zeroed: step MU_NONE) on first use; NULL if out of memory.
    cdef int64_t ncap
    cdef MuLocal* nl
    if g >= e.mul_cap:
        ncap = e.mul_cap * 2 if e.mul_cap else 64
        while ncap <= g:
            ncap *= 2
        nl = <MuLocal*>realloc(e.mul, <size_t>ncap * sizeof(MuLocal))
        if nl == NULL:
            return NULL
        memset(nl + e.mul_cap, 0, <size_t>(ncap - e.mul_cap) * sizeof(MuLocal))
        e.mul = nl
        e.mul_cap = ncap
    return &e.mul[g]


cdef int Lock(Engine* e, int32_t m, gid_t g, Mutex* mu) noexcept nogil:
    """Mutex.Lock: CAS 0 -> locked, else lockSlow (or where it left off)."""
    cdef MuLocal* loc
    cdef bint inside = g < e.mul_cap and e.mul[g].step != MU_NONE
    if not inside:
        if mu.state == 0:
            mu.state = MUTEX_LOCKED
            return resume(e, m, e.now + drawn(e, &e.c.mutex_lock), PH_RUN)
        loc = mutex_local(e, g)
        if loc == NULL:
            return nomem(e)
        memset(loc, 0, sizeof(MuLocal))
        loc.step = MU_LOOP
    else:
        loc = &e.mul[g]
        if loc.step == MU_SEMA:
            return semacquire_woken(e, m, g, mu, loc)
    return lockSlow(e, m, g, mu, loc)


cdef int lockSlow(Engine* e, int32_t m, gid_t g, Mutex* mu, MuLocal* loc) noexcept nogil:
    """lockSlow's loop from `old = m.state`: one spin, or the CAS and then
    the lock, a park on the semaphore, or (its count free) the loop again."""
    cdef int64_t old = mu.state, new
    cdef bint lifo
    if old & (MUTEX_LOCKED | MUTEX_STARVING) == MUTEX_LOCKED and canSpin(e, m, loc.iter):
        # Set Woken so that Unlock does not wake another waiter.
        if not loc.awoke and old & MUTEX_WOKEN == 0 and old >> MUTEX_WAITER_SHIFT:
            mu.state = old | MUTEX_WOKEN
            loc.awoke = True
        loc.iter += 1                               # runtime_doSpin: procyield(30)
        e.g.a[g].pc -= 1
        return resume(e, m, e.now + drawn(e, &e.c.mutex_spin), PH_RUN)
    new = old
    if old & MUTEX_STARVING == 0:
        new |= MUTEX_LOCKED                         # starving: newcomers queue instead
    if old & (MUTEX_LOCKED | MUTEX_STARVING):
        new += 1 << MUTEX_WAITER_SHIFT
    if loc.starving and old & MUTEX_LOCKED:
        new |= MUTEX_STARVING
    if loc.awoke:
        if new & MUTEX_WOKEN == 0:
            return fail(e, ERR_THROW, "sync: inconsistent mutex state")
        new &= ~MUTEX_WOKEN
    mu.state = new                                  # the CAS
    if old & (MUTEX_LOCKED | MUTEX_STARVING) == 0:
        loc.step = MU_NONE
        return resume(e, m, e.now + drawn(e, &e.c.mutex_lock), PH_RUN)
    lifo = loc.waited                               # waited before: queue at the head
    if not loc.waited:
        loc.waited = True
        loc.wait_start = e.now
    return semacquire(e, m, g, mu, loc, lifo)


cdef bint canSpin(Engine* e, int32_t m, int64_t i) noexcept nogil:
    """sync_runtime_canSpin: few spins, a multicore machine, another P
    running and nothing in our P's run queue.  The ideal machine (no CPU
    layer) has a CPU per thread: multicore."""
    if i >= ACTIVE_SPIN or (e.cpu_on and e.cl.ncpu <= 1):
        return False
    if e.nprocs <= e.npidle + e.nmspinning + 1:
        return False
    return runqempty(&e.q, e.ms[m].p)


cdef int semacquire(Engine* e, int32_t m, gid_t g, Mutex* mu, MuLocal* loc, bint lifo) noexcept nogil:
    """semacquire1 (lifo, waitReasonSyncMutexLock): take the count, or queue and park."""
    if mu.sema > 0:                                 # cansemacquire
        mu.sema -= 1
        return lockSlow_woken(e, m, g, mu, loc)
    cdef int rc
    if lifo:
        rc = gq_push_front(&mu.semq, g)
    else:
        rc = gq_push_back(&mu.semq, g)
    if rc < 0:
        return nomem(e)
    loc.step = MU_SEMA
    loc.lifo = lifo
    e.g.a[g].pc -= 1
    return park(e, m, g, WAIT_SYNC_MUTEX_LOCK, drawn(e, &e.c.mutex_lock))


cdef int semacquire_woken(Engine* e, int32_t m, gid_t g, Mutex* mu, MuLocal* loc) noexcept nogil:
    """semacquire1 after goparkunlock: a hand-off, or the count if a
    newcomer has not taken it; otherwise queue again."""
    loc.step = MU_LOOP
    if loc.ticket:
        loc.ticket = False
        return lockSlow_woken(e, m, g, mu, loc)
    if mu.sema > 0:
        mu.sema -= 1
        return lockSlow_woken(e, m, g, mu, loc)
    return semacquire(e, m, g, mu, loc, loc.lifo)


cdef int lockSlow_woken(Engine* e, int32_t m, gid_t g, Mutex* mu, MuLocal* loc) noexcept nogil:
    """lockSlow after semacquire: starving after 1 ms of waiting; in
    starvation mode the lock was handed to us, else compete again."""
    cdef int64_t old, delta
    if e.now - loc.wait_start > STARVATION_THRESHOLD_NS:
        loc.starving = True
    old = mu.state
    if old & MUTEX_STARVING:
        if old & (MUTEX_LOCKED | MUTEX_WOKEN) or old >> MUTEX_WAITER_SHIFT == 0:
            return fail(e, ERR_THROW, "sync: inconsistent mutex state")
        delta = MUTEX_LOCKED - (1 << MUTEX_WAITER_SHIFT)
        if not loc.starving or old >> MUTEX_WAITER_SHIFT == 1:
            delta -= MUTEX_STARVING                 # leave starvation mode
        mu.state = old + delta
        loc.step = MU_NONE
        return resume(e, m, e.now + drawn(e, &e.c.mutex_lock), PH_RUN)
    loc.awoke = True
    loc.iter = 0
    return lockSlow(e, m, g, mu, loc)


cdef int Unlock(Engine* e, int32_t m, gid_t g, Mutex* mu) noexcept nogil:
    """Mutex.Unlock: drop Locked; anything else left means unlockSlow."""
    cdef int64_t new = mu.state - MUTEX_LOCKED
    mu.state = new
    if new == 0:
        return resume(e, m, e.now + drawn(e, &e.c.mutex_unlock), PH_RUN)
    return unlockSlow(e, m, g, mu, new)


cdef int unlockSlow(Engine* e, int32_t m, gid_t g, Mutex* mu, int64_t new) noexcept nogil:
    """unlockSlow: fatal if it was not locked; normal mode wakes one waiter
    unless someone is awake or the lock is taken; starvation hands off."""
    cdef int64_t cost = drawn(e, &e.c.mutex_unlock)
    if (new + MUTEX_LOCKED) & MUTEX_LOCKED == 0:
        e.err_goid = e.g.a[g].goid
        return fail(e, ERR_FATAL, "sync: unlock of unlocked mutex")
    if new & MUTEX_STARVING == 0:
        if new >> MUTEX_WAITER_SHIFT == 0 or new & (MUTEX_LOCKED | MUTEX_WOKEN | MUTEX_STARVING):
            return resume(e, m, e.now + cost, PH_RUN)
        mu.state = (new - (1 << MUTEX_WAITER_SHIFT)) | MUTEX_WOKEN
        return semrelease(e, m, g, mu, False, cost)
    return semrelease(e, m, g, mu, True, cost)


cdef int semrelease(Engine* e, int32_t m, gid_t g, Mutex* mu, bint handoff, int64_t cost) noexcept nogil:
    """semrelease1: one more count; the head waiter is readied into our
    runnext.  With handoff the count is taken for it (ticket) and we goyield."""
    cdef gid_t w
    cdef MuLocal* loc
    mu.sema += 1
    if not mu.semq.size:
        return resume(e, m, e.now + cost, PH_RUN)
    w = gq_pop_front(&mu.semq)
    loc = &e.mul[w]
    if handoff and mu.sema > 0:
        mu.sema -= 1
        loc.ticket = True
    if ready(e, w, e.ms[m].p) < 0:
        return -1
    cost += drawn(e, &e.c.ready)
    if loc.ticket:
        return goyield(e, m, g, cost)
    return resume(e, m, e.now + cost, PH_RUN)


cdef int goyield(Engine* e, int32_t m, gid_t g, int64_t cost) noexcept nogil:
    """goyield_m: to our P's run queue tail (the woken waiter holds
    runnext), no wakep, then schedule."""
    dropg(e, m, g, STOP_GOSCHED)
    e.g.a[g].status = G_RUNNABLE
    e.g.a[g].runnable_ns -= e.now
    e.g.since[g] = e.now
    if eng_runqput(e, e.ms[m].p, g, False) < 0:
        return -1
    return resume(e, m, e.now + cost, PH_SCHEDULE)
