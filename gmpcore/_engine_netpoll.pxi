# The network poller (§3.9): network waits complete into io_ready; an M
# polls (netpoll, at most NETPOLL_MAX_EVENTS Gs, newest first), blocks in
# netpoll or is woken by netpoll_break; injectglist spreads what it found.
# Reference: gmpcore/reference/netpoll.py.
#
# Contract: a G waiting for I/O is in exactly one of: a pending E_IO event,
# io_ready; e.io_waiters counts both.


cdef int netpoll_break(Engine* e) noexcept nogil:
    cdef int32_t m = e.poller
    if m >= 0 and e.ms[m].phase == PH_NETPOLL:
        return resume(e, m, e.now, PH_NETPOLL)
    return 0


cdef int64_t netpoll(Engine* e, int32_t m) noexcept nogil:
    """One epoll_wait on M `m`: up to 128 ready Gs, newest first (netpollready
    pushes each at the head of its list).

    The Gs are left in e.ready_buf[0:n]; returns n."""
    cdef int64_t n = <int64_t>e.io_ready.size, i
    cdef gid_t g
    if n > NETPOLL_MAX_EVENTS:
        n = NETPOLL_MAX_EVENTS
    for i in range(n - 1, -1, -1):
        g = gq_pop_front(&e.io_ready)
        e.ready_buf[i] = g
        e.g.a[g].status = G_RUNNABLE
        e.g.a[g].waitreason = WAIT_NONE
        e.g.a[g].runnable_ns -= e.now
        e.g.since[g] = e.now
        log_ev(e, EV_READY, m, -1, g, 1)
    e.io_waiters -= n
    e.n_waiting -= n
    e.n_netpolls += 1
    e.ms[m].debt += drawn(e, &e.c.netpoll)
    return n


cdef int injectglist(Engine* e, const gid_t* gs, int64_t n, int32_t m) noexcept nogil:
    """injectglist (§3.9): netpoll's Gs to idle Ps via the global queue, the rest local."""
    cdef int32_t p
    cdef int64_t n2, rest
    cdef uint32_t k
    if n == 0:
        return 0
    p = e.ms[m].p if m >= 0 else -1
    if p < 0:
        if globrunqputbatch(&e.q, gs, n) < 0:
            return nomem(e)
        return start_idle(e, n)
    n2 = e.npidle if e.npidle < n else n
    if n2:
        if globrunqputbatch(&e.q, gs, n2) < 0:
            return nomem(e)
        if start_idle(e, n2) < 0:
            return -1
    rest = n - n2
    if rest:
        # runqputbatch appends at most RUNQ_SIZE; the rest go global.
        k = runqputbatch(&e.q, p, gs + n2, <uint32_t>(rest if rest < RUNQ_SIZE + 1 else RUNQ_SIZE + 1))
        if k < rest:
            if globrunqputbatch(&e.q, gs + n2 + k, rest - k) < 0:
                return nomem(e)
    return wakep(e)


cdef int start_idle(Engine* e, int64_t n) noexcept nogil:
    cdef int64_t i
    cdef int32_t p
    for i in range(n):
        p = pidlegetSpinning(e)
        if p < 0:
            break
        if startm(e, p, False) < 0:
            return -1
    return 0


cdef int netpoll_return(Engine* e, int32_t m) noexcept nogil:
    """The blocked netpoll returned (I/O, timeout or break)."""
    cdef int64_t n
    cdef int32_t p
    e.poller = -1
    e.poll_until = 0
    e.lastpoll = e.now if e.now else 1           # Go's nanotime() is never 0 (0 = polling)
    n = netpoll(e, m)
    log_ev(e, EV_NETPOLL, m, -1, -1, n)
    p = pidleget(e)
    if p < 0:
        if injectglist(e, e.ready_buf, n, -1) < 0:
            return -1
        return stopm(e, m)
    if acquirep(e, m, p) < 0:
        return -1
    if n:
        if injectglist(e, e.ready_buf + 1, n - 1, m) < 0:
            return -1
        return found(e, m, e.ready_buf[0], False)
    if e.ms[m].was_spinning:
        become_spinning(e, m)
    return find_runnable(e, m)


cdef int io_complete(Engine* e, gid_t g) noexcept nogil:
    """A network wait is over: the fd is ready; a blocked poller returns now."""
    if gq_push_back(&e.io_ready, g) < 0:
        return nomem(e)
    log_ev(e, EV_IO_READY, -1, -1, g, -1)
    if e.lastpoll == 0:
        return netpoll_break(e)
    return 0
