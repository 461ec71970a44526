# Observing a run without changing it: the event log's growth, schedtrace
# snapshots, monitor samples and the snapshot.  Reference:
# gmpcore/reference/observe.py.
#
# Contract: nothing here changes the schedule; observe(until) records the
# state after every event at or before `until`.


cdef int grow_log(Engine* e) noexcept nogil:
    cdef int rc = 0
    with gil:
        try:
            (<_Run>e.owner).grow_log()
        except MemoryError:
            rc = -1
    if rc < 0:
        return nomem(e)
    return 0


cdef int64_t* append_row(int64_t** buf, int64_t* n, int64_t* cap, int64_t rec) noexcept nogil:
    # A new row of `rec` int64 at the end of a malloc'd table (grown by
    # doubling); NULL when out of memory.  *n counts the row.
    cdef int64_t ncap
    cdef int64_t* nb
    if n[0] == cap[0]:
        ncap = cap[0] * 2 if cap[0] else 16
        nb = <int64_t*>realloc(buf[0], <size_t>(ncap * rec) * sizeof(int64_t))
        if nb == NULL:
            return NULL
        buf[0] = nb
        cap[0] = ncap
    n[0] += 1
    return buf[0] + (n[0] - 1) * rec


cdef int schedtrace_snap(Engine* e) noexcept nogil:
    # The numbers of schedtrace_line() (§6.2, §6.3); Python formats them.
    # A fixed-width row for the most Ps the run can have; row[7] is gomaxprocs then.
    cdef int64_t rec = 8 + 2 * <int64_t>e.np_alloc
    cdef int64_t* row = append_row(&e.trace, &e.trace_n, &e.trace_cap, rec)
    cdef int32_t i
    if row == NULL:
        return nomem(e)
    row[7] = e.nprocs
    row[0] = e.now - e.sm_starttime
    row[1] = e.npidle
    row[2] = e.nm - e.nmfreed                   # mcount
    row[3] = e.nmspinning
    row[4] = e.needspinning
    row[5] = e.nmidle
    row[6] = <int64_t>e.q.globrunq.size
    for i in range(e.nprocs):
        row[8 + i] = runqsize(&e.q, i)
        row[8 + e.np_alloc + i] = e.ps[i].schedtick
    return 0


cdef int monitor_sample(Engine* e, int64_t t) noexcept nogil:
    # One row of res.monitor (results.MONITOR_FIELDS): the state now, at time t.
    cdef int64_t running = 0, syscall = 0
    cdef int64_t* row = append_row(&e.mon, &e.mon_n, &e.mon_cap, MON_COLS + <int64_t>e.np_alloc)
    cdef int32_t i
    cdef gid_t g
    if row == NULL:
        return nomem(e)
    for i in range(e.nm):
        g = e.ms[i].curg
        if g >= 0:
            running += e.g.a[g].status == G_RUNNING
            syscall += e.g.a[g].status == G_SYSCALL
    row[0] = t
    row[1] = e.g.n - e.n_dead - e.n_sys           # runtime.NumGoroutine: not the runtime's
    row[2] = e.g.n - e.n_dead - e.n_waiting - running - syscall
    row[3] = running
    row[4] = <int64_t>e.q.globrunq.size
    row[5] = e.nm - e.nmfreed
    row[6] = e.nmidle
    row[7] = e.nmspinning
    row[8] = e.npidle
    row[9] = e.stack_inuse
    for i in range(e.np_alloc):                   # a column per P allocated; dead Ps hold 0
        row[MON_COLS + i] = runqsize(&e.q, i)
    return 0


cdef int observe(Engine* e, int64_t until, bint final) noexcept nogil:
    """reference observe(): monitor samples and the snapshot for the times
    up to `until` (the state after every event at or before it)."""
    while e.mon_period and e.mon_next <= until and e.mon_n < e.max_samples:
        if monitor_sample(e, e.mon_next) < 0:
            return -1
        e.mon_next += e.mon_period
    if e.snap_at >= 0 and not e.snap_taken and (e.snap_at <= until or final):
        e.snap_taken = True
        e.snap_time = e.snap_at if e.snap_at <= until else e.now
        return call_owner(e, OWNER_SNAPSHOT)
    return 0
