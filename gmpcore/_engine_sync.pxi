# Synchronisation objects: channels and WaitGroups (Go's chan.go and
# sync.WaitGroup).  Reference: gmpcore/reference/sync.py.
# (close, select, mutexes, RWMutexes and Conds join this file.)
#
# Contract: a blocked G waits in exactly one FIFO (a channel's recvq or
# sendq, a WaitGroup's waiters) and is released with ready() into the
# releaser's P's runnext.


cdef int chansend(Engine* e, int32_t m, gid_t g, Chan* ch) noexcept nogil:
    cdef int64_t cost = e.c.chan_op
    if ch.recvq.size:
        if ready(e, gq_pop_front(&ch.recvq), e.ms[m].p) < 0:    # hand the value over
            return -1
        cost += e.c.ready
    elif ch.count < ch.cap:
        ch.count += 1
    else:
        if gq_push_back(&ch.sendq, g) < 0:
            return nomem(e)
        return park(e, m, g, WAIT_CHAN_SEND, e.c.chan_op)
    return resume(e, m, e.now + cost, PH_RUN)


cdef int chanrecv(Engine* e, int32_t m, gid_t g, Chan* ch) noexcept nogil:
    cdef int64_t cost = e.c.chan_op
    if ch.sendq.size:
        # Unbuffered: take the sender's value.  Buffered and full: take the
        # head; the sender's value fills the freed slot.
        if ready(e, gq_pop_front(&ch.sendq), e.ms[m].p) < 0:
            return -1
        cost += e.c.ready
    elif ch.count:
        ch.count -= 1
    else:
        if gq_push_back(&ch.recvq, g) < 0:
            return nomem(e)
        return park(e, m, g, WAIT_CHAN_RECEIVE, e.c.chan_op)
    return resume(e, m, e.now + cost, PH_RUN)


cdef int wg_add(Engine* e, int32_t m, gid_t g, WaitGroup* wg, int64_t delta) noexcept nogil:
    cdef int64_t cost
    # WaitGroup.Add: the counter is the high 32 bits of a uint64 state, read
    # back as an int32, so it wraps: Add(1 << 31) from 0 reads as negative.
    # (the sum in uint64, where overflow is defined; the narrowing is two's
    # complement in gcc, clang and MSVC)
    wg.counter = <int32_t><uint32_t>(<uint64_t>wg.counter + <uint64_t>delta)
    if wg.counter < 0:
        e.err_goid = e.g.a[g].goid
        return fail(e, ERR_PANIC, "sync: negative WaitGroup counter")
    cost = e.c.wg_op
    if wg.counter == 0:
        while wg.waiters.size:                    # semrelease, FIFO
            if ready(e, gq_pop_front(&wg.waiters), e.ms[m].p) < 0:
                return -1
            cost += e.c.ready
    return resume(e, m, e.now + cost, PH_RUN)
