# select (runtime/select.go selectgo, wave2 reference §1) and the channel
# wait-queue dequeue it shares with plain sends, receives and close
# (chan.go waitq.dequeue and its selectDone CAS).  Reference:
# gmpcore/reference/select.py.
#
# Contract: a G blocked in a select (SEL_WAITING) has one entry per case in
# its channels' queues (a Timer's or Ticker's own recvq for a case on its
# t.C, SEL_RECV_TIMER, which blockTimerChan keeps in a heap while watched)
# and one timer per time.After case; the first
# operation that dequeues it (waitq_dequeue, close, a timer's send, its
# time.After timer) claims it
# (SEL_WON, Go's selectDone) and readies it; its other entries are stale
# and skipped by later dequeues until it runs its SELECT row again (pass 3)
# and removes them (unblockTimerChan for each timer channel case).  Its
# time.After timers left in a heap are zombies: check_timers drops them.  The receive and send paths decide readiness and act in
# chan_recv_try and chan_send_try, one per case kind, for plain operations
# and select alike.


cdef SelLocal* select_local(Engine* e, gid_t g) noexcept nogil:
    # e.sel[g] (and g's lock-order row), growing both (zeroed: SEL_NONE) on first use; NULL if out of memory.
    cdef int64_t ncap
    cdef SelLocal* nl
    cdef int32_t* nk
    if g >= e.sel_cap:
        ncap = e.sel_cap * 2 if e.sel_cap else 64
        while ncap <= g:
            ncap *= 2
        nl = <SelLocal*>realloc(e.sel, <size_t>ncap * sizeof(SelLocal))
        if nl == NULL:
            return NULL
        memset(nl + e.sel_cap, 0, <size_t>(ncap - e.sel_cap) * sizeof(SelLocal))
        e.sel = nl
        nk = <int32_t*>realloc(e.sel_lock, <size_t>(ncap * e.sel_stride) * sizeof(int32_t))
        if nk == NULL:
            return NULL
        e.sel_lock = nk
        e.sel_cap = ncap
    return &e.sel[g]


cdef inline uint8_t sel_state(Engine* e, gid_t g) noexcept nogil:
    return e.sel[g].state if g < e.sel_cap else SEL_NONE


cdef int32_t sel_case_of(Engine* e, gid_t g, int64_t chi, int64_t kind) noexcept nogil:
    # The first case in g's lock order on channel chi of this kind: the
    # sudog nearest the queue's head (pass 2 enqueued in lock order).
    cdef const int64_t* sel = e.code + 4 * <int64_t>e.g.a[g].pc
    cdef const int32_t* lock = e.sel_lock + g * e.sel_stride
    cdef const int64_t* row
    cdef int64_t i
    for i in range(sel[1]):
        row = sel + 4 * (1 + lock[i])
        if row[1] == kind and row[2] == chi:
            return lock[i]
    return -1


cdef gid_t waitq_dequeue(Engine* e, GQueue* q, int64_t chi, int64_t kind) noexcept nogil:
    """waitq.dequeue: the first waiter, skipping (and dropping) the stale
    entries of selects another case already won; a selecting G is claimed
    (selectDone 0 -> 1) by the case of `kind` on channel `chi`."""
    cdef gid_t w
    cdef SelLocal* loc
    while q.size:
        w = gq_pop_front(q)
        if w >= e.sel_cap or e.sel[w].state == SEL_NONE:
            return w
        loc = &e.sel[w]
        if loc.state == SEL_WON:
            continue                             # the CAS fails: another case won it
        loc.state = SEL_WON
        loc.won = sel_case_of(e, w, chi, kind)
        loc.closed = False
        return w
    return NIL_G


cdef int chan_send_try(Engine* e, int32_t m, gid_t g, int64_t chi, int64_t span,
                       int64_t* cost) noexcept nogil:
    """Whether a send on channel chi completes now (1: done, 0: it would
    block, -1: error): closed panics, a waiting receiver takes the value
    (readied into this P's runnext), else the buffer if it has room.  With
    carried spans the value's stamp (span, now, g) goes with it."""
    cdef Chan* ch = &e.chans[chi]
    cdef gid_t w
    if ch.closed:
        e.err_goid = e.g.a[g].goid
        return fail(e, ERR_PANIC, "send on closed channel")
    w = waitq_dequeue(e, &ch.recvq, chi, SEL_RECV)
    if w != NIL_G:
        if e.stamps_on and stamp_in(e, w, span, e.now, e.g.a[g].goid) < 0:
            return -1
        if ready(e, w, e.ms[m].p) < 0:       # hand the value over
            return -1
        cost[0] += drawn(e, &e.c.ready)
        return 1
    if ch.count < ch.cap:
        if ch.stamped and stamp_push(e, ch, span, e.now, e.g.a[g].goid) < 0:
            return -1
        ch.count += 1
        return 1
    return 0


cdef int chan_recv_try(Engine* e, int32_t m, gid_t g, int64_t chi, int64_t* cost) noexcept nogil:
    """Whether a receive by g on channel chi completes now (1: done, 0: it
    would block, -1: error): a waiting sender, the buffer, or closed (zero
    value).  With carried spans g takes the value's stamp (none for the
    zero value)."""
    cdef Chan* ch = &e.chans[chi]
    cdef gid_t w = waitq_dequeue(e, &ch.sendq, chi, SEL_SEND)
    cdef GSync* wl
    if w != NIL_G:
        # Unbuffered: take the sender's value.  Buffered and full: take the
        # head; the sender's value fills the freed slot.
        if e.stamps_on:
            wl = gsync_local(e, w)
            if wl == NULL:
                return nomem(e)
            if ch.stamped and ch.count:
                if stamp_pop(e, ch, g) < 0:
                    return -1
                ch.count -= 1                    # the freed slot takes the sender's stamp
                if stamp_push(e, ch, wl.out_span, wl.out_start, e.g.a[w].goid) < 0:
                    return -1
                ch.count += 1
            elif ch.count:
                if stamp_in(e, g, 0, 0, 0) < 0:
                    return -1
            elif stamp_in(e, g, wl.out_span, wl.out_start, e.g.a[w].goid) < 0:
                return -1
        if ready(e, w, e.ms[m].p) < 0:
            return -1
        cost[0] += drawn(e, &e.c.ready)
        return 1
    if ch.count:
        if e.stamps_on:
            if ch.stamped:
                if stamp_pop(e, ch, g) < 0:
                    return -1
            elif stamp_in(e, g, 0, 0, 0) < 0:
                return -1
        ch.count -= 1
        return 1
    if ch.closed:                                # drained and closed: the zero value, ok == false
        if e.stamps_on and stamp_in(e, g, 0, 0, 0) < 0:
            return -1
        return 1
    return 0


cdef void waitq_claim_all(Engine* e, GQueue* q, int64_t chi, int64_t kind) noexcept nogil:
    # closechan's dequeue loop, as far as selects go: in queue order, claim
    # each waiting select (success == false) and drop stale entries, so the
    # queue keeps exactly the Gs close will ready.
    cdef uint64_t j, k = 0
    cdef gid_t w
    cdef SelLocal* loc
    for j in range(q.size):
        w = gq_at(q, j)
        if w < e.sel_cap and e.sel[w].state != SEL_NONE:
            loc = &e.sel[w]
            if loc.state == SEL_WON:
                continue
            loc.state = SEL_WON
            loc.won = sel_case_of(e, w, chi, kind)
            loc.closed = True
        q.buf[(q.head + k) & (q.cap - 1)] = w
        k += 1
    q.size = k


cdef void dequeue_sudog(GQueue* q, gid_t g) noexcept nogil:
    # dequeueSudoG for every entry of g left in q (pass 3).
    cdef uint64_t j, k = 0
    cdef gid_t w
    for j in range(q.size):
        w = gq_at(q, j)
        if w != g:
            q.buf[(q.head + k) & (q.cap - 1)] = w
            k += 1
    q.size = k


cdef int selectgo(Engine* e, int32_t m, gid_t g, int64_t s) noexcept nogil:
    """The SELECT at pc s: pass 3 if a case won the G while it was parked;
    else the poll order (cheaprandn), the lock order (heap sort by channel),
    pass 1, the default, or pass 2 and a park."""
    cdef GRec* rec = &e.g.a[g]
    cdef const int64_t* sel = e.code + 4 * s
    cdef const int64_t* row
    cdef int64_t n = sel[1], i, j, k, o, key, cost, d = 0
    cdef int64_t* poll = e.sel_scratch
    cdef int64_t* lock = e.sel_scratch + e.sel_stride
    cdef int64_t* dur = e.sel_scratch + 2 * e.sel_stride
    cdef int r
    cdef SelLocal* loc
    cdef GSync* wl
    cdef int32_t* lrow
    if sel_state(e, g) == SEL_WON:
        return selectgo_woken(e, m, g, s)
    # The case expressions, in source order: each time.After(d) draws d.
    for k in range(n):
        row = sel + 4 * (1 + k)
        if row[1] == SEL_AFTER:
            if sample(e, row[2], &d) < 0:
                return -1
            dur[k] = d
    if n == 1:
        # Lowered by the compiler (selectnbsend/selectnbrecv, or a plain
        # receive from time.After): no selectgo, no draw.
        cost = drawn(e, &e.c.chan_op)
        poll[0] = 0
        lock[0] = 0
    else:
        cost = drawn(e, &e.c.select_base)
        cost += n * drawn(e, &e.c.select_case)
    # Timer channels, in case order: maybeRunChan runs an expired timer in
    # no heap, so that its value is in t.C for pass 1.  (Go does it in the
    # pollorder loop, between the cheaprandn draws, which it does not touch.)
    for k in range(n):
        row = sel + 4 * (1 + k)
        if row[1] == SEL_RECV_TIMER and maybe_run_chan(e, e.ms[m].p, row[2], &cost) < 0:
            return -1
    if n > 1:
        # pollorder: the inside-out Fisher-Yates shuffle, j = cheaprandn(norder + 1).
        for i in range(n):
            j = <int64_t>((<uint64_t>rand32(e) * <uint64_t>(i + 1)) >> 32)
            poll[i] = poll[j]
            poll[j] = i
        # lockorder: heap sort by sortkey, inserted in poll order (sift up),
        # then extracted (sift down); not stable.
        for i in range(n):
            j = i
            key = sel_sortkey(e, sel, poll[i])
            while j > 0 and sel_sortkey(e, sel, lock[(j - 1) // 2]) < key:
                k = (j - 1) // 2
                lock[j] = lock[k]
                j = k
            lock[j] = poll[i]
        for i in range(n - 1, -1, -1):
            o = lock[i]
            key = sel_sortkey(e, sel, o)
            lock[i] = lock[0]
            j = 0
            while True:
                k = j * 2 + 1
                if k >= i:
                    break
                if k + 1 < i and sel_sortkey(e, sel, lock[k]) < sel_sortkey(e, sel, lock[k + 1]):
                    k += 1
                if key < sel_sortkey(e, sel, lock[k]):
                    lock[j] = lock[k]
                    j = k
                    continue
                break
            lock[j] = o
    # Pass 1: the first ready case in poll order.
    for i in range(n):
        k = poll[i]
        row = sel + 4 * (1 + k)
        if row[1] == SEL_RECV:
            r = chan_recv_try(e, m, g, row[2], &cost)
        elif row[1] == SEL_SEND:
            r = chan_send_try(e, m, g, row[2], 0, &cost)
        elif row[1] == SEL_RECV_TIMER:
            r = timer_chan_take(&e.tms[row[2]])
        else:
            r = after_ready(dur[k])
        if r < 0:
            return -1
        if r:
            rec.pc = <int32_t>row[3]
            return resume(e, m, e.now + cost, PH_RUN)
    if sel[2]:                                   # the default
        rec.pc = <int32_t>(s + 1 + n)
        return resume(e, m, e.now + cost, PH_RUN)
    # Pass 2: a sudog on every case's channel, in lock order; timers join the heap.
    loc = select_local(e, g)
    if loc == NULL:
        return nomem(e)
    if e.stamps_on:                              # a select's sent values carry no span
        wl = gsync_local(e, g)
        if wl == NULL:
            return nomem(e)
        wl.out_span = 0
    loc.state = SEL_WAITING
    loc.won = -1
    loc.closed = False
    loc.seq = e.seq
    lrow = e.sel_lock + g * e.sel_stride
    for i in range(n):
        k = lock[i]
        lrow[i] = <int32_t>k
        row = sel + 4 * (1 + k)
        if row[1] == SEL_RECV:
            if gq_push_back(&e.chans[row[2]].recvq, g) < 0:
                return nomem(e)
        elif row[1] == SEL_SEND:
            if gq_push_back(&e.chans[row[2]].sendq, g) < 0:
                return nomem(e)
        elif row[1] == SEL_RECV_TIMER:
            if gq_push_back(&e.tms[row[2]].recvq, g) < 0:
                return nomem(e)
            if block_timer_chan(e, e.ms[m].p, row[2]) < 0:
                return -1
        elif add_timer_tag(e, e.ms[m].p, e.now + dur[k], g, k) < 0:    # blockTimerChan
            return -1
    rec.pc = <int32_t>s                          # it runs its SELECT again (pass 3) when woken
    if n == 1:
        return park(e, m, g, WAIT_CHAN_SEND if sel[5] == SEL_SEND else WAIT_CHAN_RECEIVE, cost)
    return park(e, m, g, WAIT_SELECT, cost)


cdef inline int timer_chan_take(Timer* t) noexcept nogil:
    # A timer channel's case in pass 1: its one-slot buffer holds a value.
    if t.count:
        t.count = 0
        return 1
    return 0


cdef inline int after_ready(int64_t d) noexcept nogil:
    # time.After(d)'s channel in pass 1: maybeRunChan runs an expired timer.
    return d <= 0


cdef inline int64_t sel_sortkey(Engine* e, const int64_t* sel, int64_t k) noexcept nogil:
    # hchan.sortkey (its address): the channel index; a Timer's channel
    # sorts after every workload channel, by timer index, and a time.After
    # channel, made by the select itself, after those.
    cdef const int64_t* row = sel + 4 * (1 + k)
    if row[1] == SEL_RECV_TIMER:
        return e.nchans + row[2]
    return e.nchans + e.ntms + k if row[1] == SEL_AFTER else row[2]


cdef int selectgo_woken(Engine* e, int32_t m, gid_t g, int64_t s) noexcept nogil:
    """Pass 3: drop the G's sudogs from every other channel (unblockTimerChan
    for a timer channel's), take the case that won it; a send case won by
    close panics."""
    cdef const int64_t* sel = e.code + 4 * s
    cdef const int64_t* row
    cdef int64_t n = sel[1], k
    cdef SelLocal* loc = &e.sel[g]
    for k in range(n):
        row = sel + 4 * (1 + k)
        if row[1] == SEL_RECV:
            dequeue_sudog(&e.chans[row[2]].recvq, g)
        elif row[1] == SEL_SEND:
            dequeue_sudog(&e.chans[row[2]].sendq, g)
        elif row[1] == SEL_RECV_TIMER:
            unblock_timer_chan(e, row[2])
            dequeue_sudog(&e.tms[row[2]].recvq, g)
    loc.state = SEL_NONE
    row = sel + 4 * (1 + loc.won)
    if row[1] == SEL_SEND and loc.closed:
        e.err_goid = e.g.a[g].goid
        return fail(e, ERR_PANIC, "send on closed channel")
    e.g.a[g].pc = <int32_t>row[3]
    return resume(e, m, e.now + (0 if n == 1 else n * drawn(e, &e.c.select_wake)), PH_RUN)


cdef inline bint sel_timer_live(Engine* e, const Event* t) noexcept nogil:
    # A select's timer (kind TE_AFTER + its case) whose select still waits; else a zombie.
    cdef gid_t g = t.who
    return g < e.sel_cap and e.sel[g].state == SEL_WAITING and t.seq > e.sel[g].seq
