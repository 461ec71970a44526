# The runtime's start (simulate(runtime_init=True); docs/model.md "Start-up"):
# G1 runs runtime.main's scheduling-visible steps before main.main, and the
# runtime's own goroutines live as Go's do where the model has no GC.
# Reference: gmpcore/reference/runtime.py.
#
# runtime.main, as Go 1.25 runs it: lockOSThread (m0 is wired to G1 while
# the inits run: lockedInt, so no template thread); the runtime's init
# starts forcegchelper; gcenable starts bgsweep and bgscavenge and receives
# twice on a buffered chan(2) each of them sends on before parking;
# defaultGOMAXPROCSUpdateEnable starts updateMaxProcsGoroutine (unless
# GODEBUG=updatemaxprocs=0); the os package's init starts the finalizer
# goroutine (createfing: os.NewFile sets a finalizer); unlockOSThread; then
# main.main on the same G.  The program lives in the bytecode after the
# workload's (Run.__init__ appends it, as RefEngine does) and its ops are
# internal (never in a user workload).
#
# Contract: a runtime goroutine has GF_SYSTEM and is counted in n_sys (and,
# parked, in n_sys_waiting); checkdead and until="all" count only the
# others, as Go's checkdead skips isSystemGoroutine.  Without a GC the
# forced GC never comes (gcTrigger's time test needs a previous GC), the
# sweeper and scavenger are never woken, no finalizer is queued: they park
# for good.  The updater parks idle until sysmon injects it.


cdef int64_t run_runtime_op(Engine* e, int32_t m, gid_t g, int32_t p, int64_t op,
                            int64_t a) noexcept nogil:
    """run_g's internal runtime ops (OP_RT_LOCK .. OP_UPDATE_DONE): the G's
    next step, or TIMER_OP_CONTINUE when it goes on to its next op at once."""
    cdef GRec* rec = &e.g.a[g]
    cdef MRec* mm = &e.ms[m]
    cdef int64_t cost
    cdef gid_t ng = NIL_G
    if op == OP_JUMP:
        rec.pc = <int32_t>a
        return TIMER_OP_CONTINUE
    if op == OP_GO_SYS:
        cost = gfget(e, p)
        if newg(e, g, a, p, &ng) < 0:
            return -1
        e.g.a[ng].flags |= GF_SYSTEM
        e.n_sys += 1
        e.n_sys_made += 1
        if a == e.upd_program:
            e.upd_g = ng
        if eng_runqput(e, p, ng, True) < 0 or wakep(e) < 0:
            return -1
        cost += drawn(e, &e.c.newproc)
        return resume(e, m, e.now + cost, PH_RUN)
    if op == OP_PARK_SYS:
        e.n_sys_waiting += 1
        return park(e, m, g, <int>a, 0)
    if op == OP_RT_LOCK:
        # lockOSThread: lockedInt only, so newm never goes through a template thread.
        mm.locked_int += 1
        mm.lockedg = <int32_t>g
        rec.flags |= GF_LOCKED
        return TIMER_OP_CONTINUE
    if op == OP_RT_UNLOCK:
        mm.locked_int -= 1
        if mm.locked_int == 0 and mm.locked_ext == 0:
            mm.lockedg = LOCKEDG_NONE
            rec.flags &= ~GF_LOCKED
        return TIMER_OP_CONTINUE
    if op == OP_UPDATE_PARK:
        # updateMaxProcsGoroutine: idle, parked until sysmon injects it.
        e.upd_idle = True
        e.n_sys_waiting += 1
        return park(e, m, g, WAIT_UPDATE_IDLE, 0)
    if op == OP_UPDATE_PROCS:
        # stop the world with sysmon's value, unless the program has set
        # GOMAXPROCS since: then the updater's work is over (past the
        # started-at-start-up updater's loop, to its exit).
        if e.custom:
            if rec.flags & GF_SYSTEM:
                rec.pc += 1
            return TIMER_OP_CONTINUE
        return gomaxprocs_stw(e, m, g, e.upd_procs, CAUSE_UPDATE)
    if op == OP_UPDATE_DONE:
        e.upd_g = -1                           # the updater is gone (made-when-needed: idle again)
        if rec.flags & GF_SYSTEM:
            e.n_sys -= 1
        return TIMER_OP_CONTINUE
    e.err_arg = op
    return fail(e, ERR_OPCODE, NULL)


cdef int inject_updater(Engine* e) noexcept nogil:
    """sysmonUpdateGOMAXPROCS's end with the updater started at start-up:
    if it is idle, mark it busy and injectglist it (sysmon has no P)."""
    cdef gid_t g = e.upd_g
    cdef GRec* rec
    if not e.upd_idle or g < 0:
        return 0                              # an update is still pending
    rec = &e.g.a[g]
    e.upd_idle = False
    e.n_sys_waiting -= 1
    e.n_waiting -= 1
    rec.status = G_RUNNABLE
    rec.waitreason = WAIT_NONE
    rec.runnable_ns -= e.now
    e.g.since[g] = e.now
    log_ev(e, EV_READY, -1, -1, g, READY_SYSMON)
    return injectglist(e, &g, 1, -1)
