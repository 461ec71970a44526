# System calls (§4.1-§4.3): entersyscall / entersyscallblock and the fast
# and slow exitsyscall paths.  Reference: gmpcore/reference/syscalls.py.
#
# Contract: an M in a syscall keeps its G (curg) and leaves its P in
# _Psyscall (oldp) for sysmon to retake, or hands it off at once when the
# call is known to block.


cdef int entersyscall(Engine* e, int32_t m, gid_t g, int64_t duration, bint blocking) noexcept nogil:
    """entersyscall (§4.1), or entersyscallblock (§4.2) for a known-blocking call."""
    cdef MRec* mm = &e.ms[m]
    cdef int32_t p = mm.p
    dropg(e, m, g, STOP_SYSCALL)
    mm.curg = g
    e.g.a[g].status = G_SYSCALL
    e.n_syscalls += 1
    log_ev(e, EV_SYSCALL_ENTER, m, p, g, -1)
    mm.syscalltick = e.ps[p].syscalltick
    if blocking:
        e.ps[p].syscalltick += 1
        if releasep(e, m, &p) < 0:
            return -1
        if handoffp(e, p) < 0:
            return -1
    else:
        if e.sm_wait and sysmon_wake(e) < 0:      # only the plain entersyscall wakes it
            return -1
        e.ps[p].m = -1
        mm.oldp = p
        mm.p = -1
        e.q.status[p] = P_SYSCALL
        if e.gcwaiting and entersyscall_gcwait(e, p) < 0:
            return -1
    return resume(e, m, e.now + drawn(e, &e.c.syscall_enter) + duration, PH_SYSCALL)


cdef int exitsyscall(Engine* e, int32_t m) noexcept nogil:
    cdef MRec* mm = &e.ms[m]
    cdef gid_t g = mm.curg
    cdef int32_t oldp = mm.oldp, p
    cdef int64_t how
    mm.oldp = -1
    if oldp >= 0 and e.q.status[oldp] == P_SYSCALL:
        # Fast path: our P is still ours (§4.3 step 2b).
        e.q.status[oldp] = P_IDLE
        if acquirep(e, m, oldp) < 0:
            return -1
        if mm.syscalltick != e.ps[oldp].syscalltick:
            e.ps[oldp].syscalltick += 1
        how = 0
    else:
        p = pidleget(e)
        if p >= 0:
            if e.sm_wait and sysmon_wake(e) < 0:
                return -1
            if acquirep(e, m, p) < 0:
                return -1
            how = 1
        else:
            return exitsyscall0(e, m, g)
    e.ps[mm.p].syscalltick += 1
    e.g.a[g].status = G_RUNNING
    mm.run_start = e.now
    log_ev(e, EV_SYSCALL_EXIT, m, mm.p, g, how)
    return resume(e, m, e.now + drawn(e, &e.c.syscall_exit), PH_RUN)


cdef int exitsyscall0(Engine* e, int32_t m, gid_t g) noexcept nogil:
    """The slow path: no P; the G goes to the global queue, the M stops."""
    cdef MRec* mm = &e.ms[m]
    cdef int32_t p
    e.g.a[g].status = G_RUNNABLE
    mm.curg = -1
    e.g.a[g].runnable_ns -= e.now
    e.g.since[g] = e.now
    e.g.a[g].flags |= GF_SLOWSYSCALL
    log_ev(e, EV_SYSCALL_EXIT, m, -1, g, 2)
    p = pidleget(e)
    if p < 0:
        if globrunqput(&e.q, g) < 0:
            return nomem(e)
    elif e.sm_wait:
        if sysmon_wake(e) < 0:
            return -1
    if p >= 0:
        if acquirep(e, m, p) < 0:
            return -1
        mm.nextg = g
        mm.next_inherit = 0
        return resume(e, m, e.now + drawn(e, &e.c.syscall_exit_slow), PH_EXECUTE)
    if mm.lockedg >= 0:
        return stoplockedm(e, m)                # until an M picks g and hands us a P
    return stopm(e, m)
