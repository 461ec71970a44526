# Synchronisation objects: channels and WaitGroups (Go's chan.go and
# sync.WaitGroup).  Reference: gmpcore/reference/sync.py.
# (select, mutexes, RWMutexes and Conds join this file.)
#
# Contract: a blocked G waits in exactly one FIFO (a channel's recvq or
# sendq, a WaitGroup's waiters) and is released with ready() into the
# releaser's P's runnext.  A closed channel's queues stay empty.
#
# Carried spans (send(ch, span=...)): when the workload has any (stamps_on),
# every value carries a Stamp (span 0: none) and every receive replaces the
# receiver's GSync.in_* with the value's: a buffered value's stamp waits in
# the channel's ring (FIFO, like the values), a parked sender's in its
# GSync.out_*, a hand-off to a parked receiver goes straight to it, and a
# receive from a closed channel carries none.


cdef int stamp_in(Engine* e, gid_t g, int64_t span, int64_t start, int64_t goid) noexcept nogil:
    # The receiver g now holds the received value's stamp (span 0: none).
    cdef GSync* loc = gsync_local(e, g)
    if loc == NULL:
        return nomem(e)
    loc.in_span = <int32_t>span
    loc.in_start = start
    loc.in_goid = <int32_t>goid
    return 0


cdef int stamp_push(Engine* e, Chan* ch, int64_t span, int64_t start, int64_t goid) noexcept nogil:
    # A buffered value's stamp to the ring's tail (the ring doubles up to cap).
    cdef int64_t ncap, first
    cdef Stamp* nr
    cdef Stamp* st
    if ch.count == ch.ring_cap:
        ncap = ch.ring_cap * 2 if ch.ring_cap else 8
        if ncap > ch.cap:
            ncap = ch.cap
        nr = <Stamp*>malloc(<size_t>ncap * sizeof(Stamp))
        if nr == NULL:
            return nomem(e)
        if ch.count:                             # unwrap: the oldest to slot 0
            first = ch.ring_cap - ch.head
            if first > ch.count:
                first = ch.count
            memcpy(nr, ch.ring + ch.head, <size_t>first * sizeof(Stamp))
            memcpy(nr + first, ch.ring, <size_t>(ch.count - first) * sizeof(Stamp))
        free(ch.ring)
        ch.ring = nr
        ch.ring_cap = ncap
        ch.head = 0
    st = &ch.ring[(ch.head + ch.count) % ch.ring_cap]
    st.span = <int32_t>span
    st.start = start
    st.goid = <int32_t>goid
    return 0


cdef int stamp_pop(Engine* e, Chan* ch, gid_t g) noexcept nogil:
    # The oldest buffered value's stamp to the receiver g (before count -= 1).
    cdef Stamp st = ch.ring[ch.head]
    ch.head = (ch.head + 1) % ch.ring_cap
    return stamp_in(e, g, st.span, st.start, st.goid)


cdef int chansend(Engine* e, int32_t m, gid_t g, int64_t chi, int64_t span) noexcept nogil:
    # chan_send_try (_engine_select.pxi) decides, as a select's send case does;
    # span: the SEND's b, a span name + 1 whose start the value carries (0: none).
    cdef int64_t cost = drawn(e, &e.c.chan_op)
    cdef GSync* loc
    cdef int r = chan_send_try(e, m, g, chi, span, &cost)
    if r < 0:
        return -1
    if r == 0:
        if e.stamps_on:                          # the parked sender keeps its value's stamp
            loc = gsync_local(e, g)
            if loc == NULL:
                return nomem(e)
            loc.out_span = <int32_t>span
            loc.out_start = e.now
        if gq_push_back(&e.chans[chi].sendq, g) < 0:
            return nomem(e)
        return park(e, m, g, WAIT_CHAN_SEND, drawn(e, &e.c.chan_op))
    return resume(e, m, e.now + cost, PH_RUN)


cdef int chanrecv(Engine* e, int32_t m, gid_t g, int64_t chi) noexcept nogil:
    # chan_recv_try (_engine_select.pxi) decides, as a select's receive case does.
    cdef int64_t cost = drawn(e, &e.c.chan_op)
    cdef int r = chan_recv_try(e, m, g, chi, &cost)
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
        cost += drawn(e, &e.c.close_waiter)
    while ch.recvq.size:
        ch.recvq.size -= 1
        w = gq_at(&ch.recvq, ch.recvq.size)
        wrec = &e.g.a[w]
        if sel_state(e, w) == SEL_NONE:     # (a select's G resumes at its SELECT: pass 3)
            ins = e.code + 4 * (<int64_t>wrec.pc - 1)
            if ins[0] == OP_RANGE:           # ok == false ends a for-range loop
                wrec.pc = <int32_t>ins[3]
        if e.stamps_on and stamp_in(e, w, 0, 0, 0) < 0:     # the zero value carries no stamp
            return -1
        if ready(e, w, e.ms[m].p) < 0:
            return -1
        cost += drawn(e, &e.c.close_waiter)
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
