# Locked threads (docs/design/machine.md §1.6, §3.8): LockOSThread and
# UnlockOSThread, the template thread, a locked M parking (stoplockedm) and
# being handed a P (startlockedm), and a locked G's exit killing its thread
# (mexit).  Reference: gmpcore/reference/lockedm.py.
#
# Contract: a G with GF_LOCKED runs only on the M whose lockedg names it;
# that M never looks for other work: it runs its G or parks in PH_LOCKED
# (counted in nmidlelocked) until an M that picked the G hands it a P.  A
# workload without the ops never reaches this file: the hot paths test
# only GF_LOCKED (execute, goexit) and MRec.lockedg (schedule), and call
# in here through the pointers below, so that the C compiler keeps these
# functions out of execute and schedule (it inlines those two into the
# event loop only while they stay small: a direct call to a function used
# once would be inlined into them).


ctypedef int (*m_step_fn)(Engine*, int32_t) noexcept nogil
ctypedef int (*m_g_step_fn)(Engine*, int32_t, gid_t) noexcept nogil
cdef m_step_fn schedule_locked_p = schedule_locked
cdef m_g_step_fn startlockedm_p = startlockedm


cdef int startTemplateThread(Engine* e) noexcept nogil:
    """startTemplateThread: an M that only clones threads for locked Ms.
    A system M (nmsys) that never runs Gs; its creator pays nothing (§3.8)."""
    cdef int32_t m
    if e.nm >= e.max_threads:
        return fail(e, ERR_THREADS, NULL)
    m = e.nm
    e.nm += 1
    init_m(&e.ms[m])
    e.ms[m].created = e.now
    init_thread(&e.ms[m].t, m, True)        # off-CPU for good: it clones no thread here
    e.n_threads += 1
    e.nmsys += 1
    e.template_m = m
    log_ev(e, EV_THREAD_CREATE, m, -1, -1, -1)
    return 0


cdef int LockOSThread(Engine* e, int32_t m, gid_t g) noexcept nogil:
    """runtime.LockOSThread: wire g and its M (nesting counted in lockedExt)."""
    cdef MRec* mm = &e.ms[m]
    if e.template_m < 0 and startTemplateThread(e) < 0:
        return -1
    if mm.locked_ext == UINT32_MAX:            # lockedExt is a uint32: Go panics on the wrap
        e.err_goid = e.g.a[g].goid
        return fail(e, ERR_PANIC, "LockOSThread nesting overflow")
    mm.locked_ext += 1
    mm.lockedg = <int32_t>g
    e.g.a[g].flags |= GF_LOCKED
    return 0


cdef void UnlockOSThread(Engine* e, int32_t m, gid_t g) noexcept nogil:
    """runtime.UnlockOSThread: a no-op without a lock; the last one unwires."""
    cdef MRec* mm = &e.ms[m]
    if mm.locked_ext == 0:
        return
    mm.locked_ext -= 1
    if mm.locked_ext == 0 and mm.locked_int == 0:
        mm.lockedg = LOCKEDG_NONE
        e.g.a[g].flags &= ~GF_LOCKED


cdef int32_t lockedm_of(Engine* e, gid_t g) noexcept nogil:
    # g.lockedm: the M whose lockedg is g (GRec has no room for it; few Ms lock).
    cdef int32_t m
    for m in range(e.nm):
        if e.ms[m].lockedg == g:
            return m
    return -1


cdef int run_locked(Engine* e, int32_t m) noexcept nogil:
    # The end of stoplockedm once woken: acquirep(nextp), then schedule's
    # execute(lockedg, inheritTime=false), as a step at once (PH_EXECUTE).
    cdef MRec* mm = &e.ms[m]
    cdef int32_t p = mm.nextp
    mm.nextp = -1
    if acquirep(e, m, p) < 0:
        return -1
    if e.g.a[mm.nextg].status != G_RUNNABLE:
        return fail(e, ERR_THROW, "stoplockedm: not runnable")
    mm.next_inherit = 0
    return resume(e, m, e.now, PH_EXECUTE)


cdef int schedule_locked(Engine* e, int32_t m) noexcept nogil:
    # schedule on a locked M: it runs only its G (stoplockedm), or exits after it.
    if e.ms[m].lockedg == LOCKEDG_EXIT:
        return mexit(e, m)
    return stoplockedm(e, m)


cdef int stoplockedm(Engine* e, int32_t m) noexcept nogil:
    """stoplockedm: the M's G cannot run; hand off the P and park until an
    M that picks the G hands this one a P (startlockedm)."""
    cdef MRec* mm = &e.ms[m]
    cdef int32_t p
    if mm.p >= 0:
        if releasep(e, m, &p) < 0:
            return -1
        if handoffp(e, p) < 0:
            return -1
    if mm.nextp >= 0:
        # startlockedm came first (the G was picked while this M was still
        # on its way here): the wake-up is already posted, mPark returns at
        # once.  Go's incidlelocked(-1) then (+1) cancel out.
        return run_locked(e, m)
    e.nmidlelocked += 1
    mm.phase = PH_LOCKED
    mm.gen += 1
    mm.debt = 0
    if e.cpu_on and cpu_release_m(e, m) < 0:     # parked: off its CPU
        return -1
    log_ev(e, EV_M_PARK, m, -1, mm.lockedg, 1)
    return checkdead(e)


cdef int startlockedm(Engine* e, int32_t m, gid_t g) noexcept nogil:
    """startlockedm: g, which findRunnable gave this M, is wired to another
    M: hand that M this M's P and wake it; this M stops (when woken it
    starts schedule over).  schedule's cost stays charged to this M."""
    cdef int32_t lm = lockedm_of(e, g), p
    cdef MRec* lmm
    if lm < 0 or lm == m:
        return fail(e, ERR_THROW, "startlockedm: locked to me")
    lmm = &e.ms[lm]
    if lmm.nextp >= 0:
        return fail(e, ERR_THROW, "startlockedm: m has p")
    e.ms[m].nextg = -1
    if releasep(e, m, &p) < 0:
        return -1
    lmm.nextp = p
    lmm.nextg = g
    lmm.next_inherit = 0
    e.n_thread_wakes += 1
    log_ev(e, EV_M_WAKE, lm, p, g, 0)
    if lmm.phase == PH_LOCKED:
        e.nmidlelocked -= 1
        if resume(e, lm, e.now + drawn(e, &e.c.thread_wake), PH_START) < 0:
            return -1
    return stopm(e, m)


cdef int mexit(Engine* e, int32_t m) noexcept nogil:
    """mexit: the locked G exited, so its thread exits: hand off the P,
    count the M freed (mcount falls), checkdead.  Go parks m0 forever
    instead, also counted freed: either way the M never runs again."""
    cdef MRec* mm = &e.ms[m]
    cdef int32_t p
    mm.lockedg = LOCKEDG_NONE
    mm.phase = PH_DEAD
    mm.gen += 1
    mm.debt = 0
    if e.cpu_on and cpu_release_m(e, m) < 0:     # the thread exits
        return -1
    log_ev(e, EV_M_PARK, m, mm.p, -1, 2)
    if releasep(e, m, &p) < 0:
        return -1
    # locked_ext is still set: an M this handoff starts is cloned by the template thread.
    if handoffp(e, p) < 0:
        return -1
    mm.locked_ext = 0
    e.nmfreed += 1
    return checkdead(e)
