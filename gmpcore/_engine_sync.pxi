# Synchronisation objects: channels and WaitGroups (Go's chan.go and
# sync.WaitGroup).  Reference: gmpcore/reference/sync.py.
# (select, mutexes, RWMutexes and Conds join this file.)
#
# Contract: a blocked G waits in exactly one FIFO (a channel's recvq or
# sendq, a WaitGroup's waiters) and is released with ready() into the
# releaser's P's runnext.  A closed channel's queues stay empty.


cdef int chansend(Engine* e, int32_t m, gid_t g, int64_t chi) noexcept nogil:
    # chan_send_try (_engine_select.pxi) decides, as a select's send case does.
    cdef int64_t cost = drawn(e, &e.c.chan_op)
    cdef int r = chan_send_try(e, m, g, chi, &cost)
    if r < 0:
        return -1
    if r == 0:
        if gq_push_back(&e.chans[chi].sendq, g) < 0:
            return nomem(e)
        return park(e, m, g, WAIT_CHAN_SEND, drawn(e, &e.c.chan_op))
    return resume(e, m, e.now + cost, PH_RUN)


cdef int chanrecv(Engine* e, int32_t m, gid_t g, int64_t chi) noexcept nogil:
    # chan_recv_try (_engine_select.pxi) decides, as a select's receive case does.
    cdef int64_t cost = drawn(e, &e.c.chan_op)
    cdef int r = chan_recv_try(e, m, chi, &cost)
    if r < 0:
        return -1
    if r == 0:
        if gq_push_back(&e.chans[chi].recvq, g) < 0:
            return nomem(e)
        return park(e, m, g, WAIT_CHAN_RECEIVE, drawn(e, &e.c.chan_op))
    return resume(e, m, e.now + cost, PH_RUN)


cdef int closechan(Engine* e, int32_t m, gid_t g, int64_t chi) noexcept nogil:
    cdef Chan* ch = &e.chans[chi]
    # closechan: gathers every parked receiver, then every parked sender, on
    # a gList (a LIFO) and goready's them off it into this P's runnext: the
    # last sender first, the first receiver last, so it ends in runnext.
    cdef int64_t cost = drawn(e, &e.c.chan_op)
    cdef gid_t w
    cdef GRec* wrec
    cdef const int64_t* ins
    if ch.closed:
        e.err_goid = e.g.a[g].goid
        return fail(e, ERR_PANIC, "close of closed channel")
    ch.closed = True
    # Selects parked here are claimed (success == false) and their stale
    # sudogs dropped, receivers first, as closechan's dequeue loops do.
    waitq_claim_all(e, &ch.recvq, chi, SEL_RECV)
    waitq_claim_all(e, &ch.sendq, chi, SEL_SEND)
    while ch.sendq.size:
        ch.sendq.size -= 1
        w = gq_at(&ch.sendq, ch.sendq.size)
        if sel_state(e, w) == SEL_NONE:
            e.g.a[w].pc -= 1         # back to its SEND, which panics when it runs
        if ready(e, w, e.ms[m].p) < 0:
            return -1
        cost += drawn(e, &e.c.ready)
    while ch.recvq.size:
        ch.recvq.size -= 1
        w = gq_at(&ch.recvq, ch.recvq.size)
        wrec = &e.g.a[w]
        if sel_state(e, w) == SEL_NONE:     # (a select's G resumes at its SELECT: pass 3)
            ins = e.code + 4 * (<int64_t>wrec.pc - 1)
            if ins[0] == OP_RANGE:           # ok == false ends a for-range loop
                wrec.pc = <int32_t>ins[3]
        if ready(e, w, e.ms[m].p) < 0:
            return -1
        cost += drawn(e, &e.c.ready)
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
    cost = drawn(e, &e.c.wg_op)
    if wg.counter == 0:
        while wg.waiters.size:                    # semrelease, FIFO
            if ready(e, gq_pop_front(&wg.waiters), e.ms[m].p) < 0:
                return -1
            cost += drawn(e, &e.c.ready)
    return resume(e, m, e.now + cost, PH_RUN)
