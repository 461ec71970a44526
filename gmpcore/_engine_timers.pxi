# Timers (§3.2 step 3; wave2 §4): each P's binary heap of (when, seq,
# who, kind) entries, run by the M that checks them.  An entry is a
# sleeping G (TE_SLEEP, time.Sleep) or a Timer (TE_TIMER: time.Timer,
# time.Ticker, AfterFunc) with Go 1.23+'s rules: a channel timer is in a
# heap only while a goroutine is blocked on its channel (needsAdd), stopped
# and modified timers stay in the heap as zombies / with a stale when until
# the heap's head or adjust reaches them, and a receive runs an expired
# unheaped timer inline (maybeRunChan).  Reference: gmpcore/reference/timers.py.
#
# Contract: add_timer / maybe_add wake the netpoller when the new timer is
# the earliest (wakeNetPoller); check_timers runs expired timers on the
# checking M, readying each receiver (or creating each AfterFunc G) into
# `readier`'s runnext, and charges timer_fire (+ ready or newproc) to it.
# Differences from Go, none visible in the order of events: no timer
# function runs concurrently with Stop/Reset here, so seq/isSending never
# cancel a send; cleanHead does not drop zombies from the heap's tail (the
# two engines' heaps are laid out differently); a modified head is
# re-sifted keeping its push order.


cdef int timer_push(BinHeap* h, int64_t when, int64_t seq, int32_t who, int32_t kind) noexcept nogil:
    cdef Event t
    t.when = when
    t.seq = seq
    t.gen = 0
    t.who = who
    t.kind = kind
    return bheap_push(h, &t)


cdef inline int64_t timers_wake_time(Engine* e, int32_t p) noexcept nogil:
    """ts.wakeTime(): the earlier non-zero of the heap's head and minWhenModified; 0 none."""
    cdef int64_t when = e.ps[p].timers.a[0].when if e.ps[p].timers.n else 0
    cdef int64_t nxt = e.ps[p].tmin_modified
    if when == 0 or (nxt != 0 and nxt < when):
        return nxt
    return when


cdef int add_timer(Engine* e, int32_t p, int64_t when, gid_t g) noexcept nogil:
    """time.Sleep's timer (resetForSleep -> modify -> maybeAdd): G `g` wakes at `when`."""
    return add_timer_tag(e, p, when, g, -1)


cdef int add_timer_tag(Engine* e, int32_t p, int64_t when, gid_t g, int64_t tag) noexcept nogil:
    """add_timer, or (tag >= 0) the timer of a blocked select's time.After
    case `tag` (blockTimerChan): an entry of kind TE_AFTER + tag for G `g`."""
    cdef BinHeap* th = &e.ps[p].timers
    cdef int64_t wt
    if when >= TIME_LIMIT:
        return fail(e, ERR_OVERFLOW, "virtual time exceeds 2**62 ns")
    if clean_head(e, p) < 0:
        return -1
    wt = timers_wake_time(e, p)
    e.seq += 1
    if timer_push(th, when, e.seq, g, TE_SLEEP if tag < 0 else TE_AFTER + tag) < 0:
        return nomem(e)
    e.netpoll_inited = True
    if wt == 0 or when < wt:
        return wake_net_poller(e, when)
    return 0


cdef inline int64_t timer_when(const Engine* e, int64_t d) noexcept nogil:
    """time.when(d): now + d, now for d <= 0; at least 1, since when 0 means
    stopped (Go's clock is never 0; ours starts there)."""
    cdef int64_t when = e.now + d if d > 0 else e.now
    return when if when > 0 else 1


cdef inline bint needs_add(const Timer* t) noexcept nogil:
    """timer.needsAdd: not heaped, active, and a func timer or watched."""
    return t.ts < 0 and t.when > 0 and (t.kind == TK_FUNC or t.blocked > 0)


cdef int add_heap(Engine* e, int32_t p, int64_t tid) noexcept nogil:
    """timers.addHeap: timer `tid` joins `p`'s heap."""
    cdef Timer* t = &e.tms[tid]
    if t.when >= TIME_LIMIT:
        return fail(e, ERR_OVERFLOW, "virtual time exceeds 2**62 ns")
    e.netpoll_inited = True
    t.ts = p
    e.seq += 1
    if timer_push(&e.ps[p].timers, t.when, e.seq, <int32_t>tid, TE_TIMER) < 0:
        return nomem(e)
    return 0


cdef int maybe_add(Engine* e, int32_t p, int64_t tid) noexcept nogil:
    """timer.maybeAdd: into the current P's heap if it needs to be in one;
    wakeNetPoller if it is now the earliest."""
    cdef int64_t when, wt
    if clean_head(e, p) < 0:
        return -1
    if not needs_add(&e.tms[tid]):
        return 0
    when = e.tms[tid].when
    wt = timers_wake_time(e, p)
    if add_heap(e, p, tid) < 0:
        return -1
    if wt == 0 or when < wt:
        return wake_net_poller(e, when)
    return 0


cdef int timer_modify(Engine* e, int32_t p, int64_t tid, int64_t when, int64_t period) noexcept nogil:
    """timer.modify (NewTimer, Reset, NewTicker, Ticker.Reset, AfterFunc) from
    a G on P `p`: a heaped timer is marked modified (its entry keeps the old
    when); a channel timer's stale value is drained (timerchandrain)."""
    cdef Timer* t = &e.tms[tid]
    cdef PRec* ts
    cdef bint wake = False
    t.period = period
    t.when = when
    if t.ts >= 0:
        ts = &e.ps[t.ts]
        t.state |= TS_MODIFIED
        if t.state & TS_ZOMBIE:
            ts.tzombies -= 1
            t.state &= ~TS_ZOMBIE
        if ts.tmin_modified == 0 or when < ts.tmin_modified:
            wake = True
            ts.tmin_modified = when
    t.count = 0                                  # timerchandrain (a func timer has none)
    if needs_add(t) and maybe_add(e, p, tid) < 0:
        return -1
    if wake:
        return wake_net_poller(e, when)
    return 0


cdef void timer_stop(Engine* e, int64_t tid) noexcept nogil:
    """timer.stop: inactive; a heaped timer becomes a zombie; drain t.C."""
    cdef Timer* t = &e.tms[tid]
    if t.ts >= 0:
        t.state |= TS_MODIFIED
        if not t.state & TS_ZOMBIE:
            t.state |= TS_ZOMBIE
            e.ps[t.ts].tzombies += 1
    t.when = 0
    t.count = 0


cdef int update_heap(Engine* e, int32_t p) noexcept nogil:
    """timer.updateHeap for the Timer at the head of `p`'s heap: drop a
    zombie, re-sift a modified entry.  Returns 1 if the head changed."""
    cdef BinHeap* th = &e.ps[p].timers
    cdef Timer* t = &e.tms[th.a[0].who]
    cdef Event ev
    if t.state & TS_ZOMBIE:
        t.state = 0
        t.ts = -1
        e.ps[p].tzombies -= 1
        bheap_pop(th, &ev)                        # deleteMin
        if th.n == 0:
            e.ps[p].tmin_modified = 0
        return 1
    if t.state & TS_MODIFIED:
        t.state &= ~TS_MODIFIED
        if t.when >= TIME_LIMIT:
            return fail(e, ERR_OVERFLOW, "virtual time exceeds 2**62 ns")
        ev = th.a[0]
        ev.when = t.when
        bheap_replace_root(th, &ev)
        return 1
    return 0


cdef int clean_head(Engine* e, int32_t p) noexcept nogil:
    """timers.cleanHead: fix the head while it is a zombie or modified."""
    cdef BinHeap* th = &e.ps[p].timers
    cdef int rc
    while th.n and th.a[0].kind == TE_TIMER and e.tms[th.a[0].who].state:
        rc = update_heap(e, p)
        if rc < 0:
            return -1
        if rc == 0:
            break
    return 0


cdef int timers_adjust(Engine* e, int32_t p, bint force) noexcept nogil:
    """timers.adjust: once the earliest modified timer is due (or forced),
    drop every zombie, refresh every modified entry, and re-heap."""
    cdef BinHeap* th = &e.ps[p].timers
    cdef int64_t i = 0, first = e.ps[p].tmin_modified
    cdef bint changed = False
    cdef Timer* t
    cdef Event tmp
    if not force and (first == 0 or first > e.now):
        return 0
    e.ps[p].tmin_modified = 0
    while i < th.n:
        if th.a[i].kind == TE_TIMER:
            t = &e.tms[th.a[i].who]
            if t.state & TS_ZOMBIE:
                e.ps[p].tzombies -= 1
                t.state = 0
                t.ts = -1
                th.n -= 1
                th.a[i] = th.a[th.n]
                changed = True
                continue
            if t.state & TS_MODIFIED:
                if t.when >= TIME_LIMIT:
                    return fail(e, ERR_OVERFLOW, "virtual time exceeds 2**62 ns")
                th.a[i].when = t.when
                t.state &= ~TS_MODIFIED
                changed = True
        i += 1
    if changed and th.n > 1:                      # initHeap
        i = th.n // 2 - 1
        while i >= 0:
            tmp = th.a[i]
            bheap_sift_down(th, i, &tmp)
            i -= 1
    return 0


cdef int64_t check_timers(Engine* e, int32_t m, int32_t p, int32_t readier) noexcept nogil:
    """timers.check on M `m` for `p`'s heap: run every expired timer; each
    readies its G (a sleeper, or a timer channel's receiver) or creates its
    AfterFunc G in `readier`'s runnext.

    Returns how many ran, or -1 on error."""
    cdef BinHeap* th = &e.ps[p].timers
    cdef int64_t ran = 0, nxt = timers_wake_time(e, p), cost
    cdef Event ev
    cdef Timer* t
    cdef int rc
    cdef bint force
    cdef SelLocal* loc
    if nxt == 0:
        return 0
    force = p == e.ms[m].p and e.ps[p].tzombies > th.n // 4
    if e.now < nxt and not force:
        return 0
    if th.n:
        if timers_adjust(e, p, False) < 0:
            return -1
        while th.n:                               # timers.run
            if th.a[0].kind != TE_TIMER:             # a sleeping G, or a select's time.After
                if th.a[0].when > e.now:
                    break
                bheap_pop(th, &ev)
                if ev.kind >= TE_AFTER:
                    # time.After's channel timer: it wins its select, unless the
                    # select is over (a zombie: dropped without running).
                    if not sel_timer_live(e, &ev):
                        continue
                    loc = &e.sel[ev.who]
                    loc.state = SEL_WON
                    loc.won = ev.kind - TE_AFTER
                    loc.closed = False
                log_ev(e, EV_TIMER, -1, p, ev.who, -1)
                e.n_timers += 1
                if ready(e, ev.who, readier) < 0:
                    return -1
                e.ms[m].debt += drawn(e, &e.c.timer_fire)
                e.ms[m].debt += drawn(e, &e.c.ready)
                ran += 1
                continue
            t = &e.tms[th.a[0].who]
            if not t.state and th.a[0].when > e.now:
                break
            rc = update_heap(e, p)
            if rc < 0:
                return -1
            if rc:
                continue
            if t.when > e.now:
                break
            cost = 0
            if unlock_and_run(e, th.a[0].who, readier, &cost) < 0:
                return -1
            e.ms[m].debt += cost
            ran += 1
        force = p == e.ms[m].p and e.ps[p].tzombies > th.n // 4
        if force and timers_adjust(e, p, True) < 0:
            return -1
    return ran


cdef int unlock_and_run(Engine* e, int64_t tid, int32_t readier, int64_t* cost) noexcept nogil:
    """timer.unlockAndRun: re-arm a ticker at when + period * (1 + delay /
    period) (missed ticks skipped), retire a one-shot timer, then run its
    function: sendTime (a non-blocking send into t.C's one slot, handing the
    value to a parked receiver) or goFunc (newproc on `readier`).  Adds the
    CPU it takes to *cost."""
    cdef Timer* t = &e.tms[tid]
    cdef int64_t nxt = 0, delay = e.now - t.when
    cdef int32_t p = t.ts
    cdef gid_t w
    if t.period > 0:
        nxt = t.when + t.period * (1 + delay // t.period)
    t.when = nxt
    if p >= 0:
        t.state |= TS_MODIFIED
        if nxt == 0:
            t.state |= TS_ZOMBIE
            e.ps[p].tzombies += 1
        if update_heap(e, p) < 0:
            return -1
    log_ev(e, EV_TIMER, -1, p if p >= 0 else readier, -1, tid)
    e.n_timers += 1
    cost[0] += drawn(e, &e.c.timer_fire)
    if t.kind == TK_FUNC:
        cost[0] += gfget(e, readier)             # goFunc's `go f()`: a free G, or a malg
        if newproc_timer(e, readier, t.func) < 0:
            return -1
        cost[0] += drawn(e, &e.c.newproc)
        return 0
    # The send's recvq.dequeue: stale entries of selects another case won
    # are dropped; a waiting select is claimed by its case on t.C.
    w = waitq_dequeue(e, &t.recvq, tid, SEL_RECV_TIMER)
    if w != NIL_G:
        if ready(e, w, readier) < 0:
            return -1
        cost[0] += drawn(e, &e.c.ready)
    elif t.count == 0:
        t.count = 1
    return 0                                      # the slot is full: the value is dropped


cdef int maybe_run_chan(Engine* e, int32_t p, int64_t tid, int64_t* cost) noexcept nogil:
    """timer.maybeRunChan, before a receive on t.C: an expired timer that is
    in no heap (nobody watched it) runs now, so its value is in t.C."""
    cdef Timer* t = &e.tms[tid]
    if t.ts >= 0 or t.when == 0 or t.when > e.now:
        return 0
    return unlock_and_run(e, tid, p, cost)


cdef int block_timer_chan(Engine* e, int32_t p, int64_t tid) noexcept nogil:
    """blockTimerChan: a receiver is about to park on t.C; a pending zombie
    comes back to life, an unheaped active timer joins `p`'s heap."""
    cdef Timer* t = &e.tms[tid]
    t.blocked += 1
    if t.ts >= 0 and t.state & TS_ZOMBIE and t.when > 0:
        t.state &= ~TS_ZOMBIE
        e.ps[t.ts].tzombies -= 1
    if needs_add(t):
        return maybe_add(e, p, tid)
    return 0


cdef void unblock_timer_chan(Engine* e, int64_t tid) noexcept nogil:
    """unblockTimerChan: a receiver parked on t.C has woken; with nobody
    left watching, a heaped timer becomes a zombie (keeping its when)."""
    cdef Timer* t = &e.tms[tid]
    t.blocked -= 1
    if t.blocked == 0 and t.ts >= 0 and not t.state & TS_ZOMBIE:
        t.state |= TS_ZOMBIE
        e.ps[t.ts].tzombies += 1


cdef int64_t after_timer(Engine* e, gid_t g) noexcept nogil:
    """The index of G row `g`'s time.After timer (grown on first use), -1 if
    out of memory.  A G waits on one time.After at a time, and the timer
    has left every heap by the time the G runs again."""
    cdef int64_t tid = e.ntms + g, ncap, i
    cdef Timer* nt
    if tid >= e.tms_cap:
        ncap = e.tms_cap * 2 if e.tms_cap else 64
        while ncap <= tid:
            ncap *= 2
        nt = <Timer*>realloc(e.tms, <size_t>ncap * sizeof(Timer))
        if nt == NULL:
            return -1
        memset(nt + e.tms_cap, 0, <size_t>(ncap - e.tms_cap) * sizeof(Timer))
        for i in range(e.tms_cap, ncap):
            nt[i].ts = -1
            nt[i].func = -1
        e.tms = nt
        e.tms_cap = ncap
    return tid


cdef int timer_recv(Engine* e, int32_t m, gid_t g, int64_t tid, int64_t extra) noexcept nogil:
    """chanrecv on a timer channel t.C: maybeRunChan, take the buffered
    value, or park (wait reason chan receive) after blockTimerChan; the G
    comes back to this op (rem 0) to call unblockTimerChan when it wakes."""
    cdef int64_t cost = drawn(e, &e.c.chan_op) + extra
    cdef GRec* rec = &e.g.a[g]
    if maybe_run_chan(e, e.ms[m].p, tid, &cost) < 0:
        return -1
    if e.tms[tid].count:
        e.tms[tid].count = 0
        return resume(e, m, e.now + cost, PH_RUN)
    if gq_push_back(&e.tms[tid].recvq, g) < 0:
        return nomem(e)
    if block_timer_chan(e, e.ms[m].p, tid) < 0:
        return -1
    rec.pc -= 1
    rec.rem = 0
    return park(e, m, g, WAIT_CHAN_RECEIVE, cost)


cdef int wake_net_poller(Engine* e, int64_t when) noexcept nogil:
    """wakeNetPoller (§3.6)."""
    if e.lastpoll == 0:
        if e.poll_until == 0 or e.poll_until > when:
            return netpoll_break(e)
        return 0
    return wakep(e)


cdef int newproc_timer(Engine* e, int32_t p, int64_t program) noexcept nogil:
    """newproc for an AfterFunc's goroutine (no parent G): its own call site,
    so that run_g's newproc keeps a single caller and stays inlined."""
    cdef int32_t g = NIL_G
    if newg(e, -1, program, p, &g) < 0:
        return -1
    if eng_runqput(e, p, g, True) < 0:
        return -1
    return wakep(e)


cdef int64_t run_timer_op(Engine* e, int32_t m, gid_t g, int32_t p, int64_t op, int64_t a,
                          int64_t b) noexcept nogil:
    """run_g's timer ops (TIMER_RESET/STOP/RECV, AFTER): the G's next step,
    or TIMER_OP_CONTINUE when it goes on to its next op at once."""
    cdef GRec* rec = &e.g.a[g]
    cdef int64_t c, d = 0
    if op == OP_TIMER_RECV or op == OP_AFTER:
        c = a if op == OP_TIMER_RECV else e.ntms + g        # the timer
        if rec.rem >= 0:                     # woken by its send: unblockTimerChan
            rec.rem = -1
            unblock_timer_chan(e, c)
            return TIMER_OP_CONTINUE
        if op == OP_TIMER_RECV:
            return timer_recv(e, m, g, c, 0)
        # <-time.After(d): NewTimer(d) (a fresh channel timer, in no
        # heap), then the receive.
        if sample(e, a, &d) < 0:
            return -1
        c = after_timer(e, g)
        if c < 0:
            return nomem(e)
        e.tms[c].when = timer_when(e, d)
        e.tms[c].period = 0
        e.tms[c].count = 0
        return timer_recv(e, m, g, c, drawn(e, &e.c.timer_add))
    if op == OP_TIMER_RESET:
        if sample(e, b, &d) < 0:
            return -1
        if e.tms[a].kind == TK_TICKER and d <= 0:
            e.err_goid = rec.goid
            if e.tms[a].period == 0:
                return fail(e, ERR_PANIC, "non-positive interval for NewTicker")
            return fail(e, ERR_PANIC, "non-positive interval for Ticker.Reset")
        if timer_modify(e, p, a, timer_when(e, d), d if e.tms[a].kind == TK_TICKER else 0) < 0:
            return -1
        return resume(e, m, e.now + drawn(e, &e.c.timer_modify), PH_RUN)
    timer_stop(e, a)                             # OP_TIMER_STOP
    return resume(e, m, e.now + drawn(e, &e.c.timer_modify), PH_RUN)
