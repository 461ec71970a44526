# Running goroutines: execute (a new or inherited time slice), the
# bytecode interpreter run_g, and how a G leaves its M (goexit, gosched,
# gopreempt) or grows its stack.  Reference: gmpcore/reference/program.py.
#
# Contract: run_g interprets until the G blocks or time must pass, at most
# ZERO_TIME_BUDGET zero-time instructions per event; every path ends in
# resume() for its M or hands the M to the scheduler core.


cdef int execute(Engine* e, int32_t m, gid_t g, bint inherit) noexcept nogil:
    """execute (§3.4): a new time slice unless inheritTime."""
    cdef MRec* mm = &e.ms[m]
    cdef int32_t p = mm.p
    cdef GRec* rec = &e.g.a[g]
    cdef int64_t now = e.now
    cdef uint8_t flags = rec.flags
    if flags & GF_LOCKED and mm.lockedg != g:
        return startlockedm_p(e, m, g)          # wired to another M: hand it our P
    mm.nextg = -1
    mm.curg = g
    rec.status = G_RUNNING
    rec.runnable_ns += now
    # /sched/latencies (casgstatus): the time runnable, every time (Go samples 1 in 8).
    cdef int64_t waited = now - e.g.since[g]
    e.lat_counts[lat_index(waited)] += 1
    e.lat_sum += waited
    if rec.first_run < 0:
        rec.first_run = now
    mm.run_start = now
    if not inherit:
        e.ps[p].schedtick += 1
    if flags & GF_SLOWSYSCALL:                    # §4.3 step 5
        e.ps[p].syscalltick += 1
    rec.flags = flags & ~(GF_PREEMPT | GF_SLOWSYSCALL)
    log_ev(e, EV_RUN, m, p, g, inherit)
    return run_g(e, m)


cdef int64_t* loop_slot(Engine* e, gid_t g, int64_t b) noexcept nogil:
    # g.loops[b]; NULL (IndexError) outside the G's loop levels.
    cdef int64_t off
    if e.g.loops == NULL:
        return NULL
    off = e.g.loops[g]
    if off < 0 or b >= e.pool.slots[off]:
        return NULL
    return &e.pool.slots[off + 1 + b]


cdef int run_g(Engine* e, int32_t m) noexcept nogil:
    """Interpret the current G's program until it blocks or time must pass."""
    cdef MRec* mm = &e.ms[m]
    cdef gid_t g = mm.curg
    cdef int32_t p = mm.p
    cdef const int64_t* ins
    cdef int64_t op, a, b, c, d = 0, cost
    cdef int64_t* slot
    # Only OP_GO can grow (move) the G table, and it returns at once.
    cdef GRec* rec = &e.g.a[g]
    cdef int budget = ZERO_TIME_BUDGET
    while True:
        if rec.flags & GF_PREEMPT:
            return gopreempt(e, m, g, drawn(e, &e.c.gosched))  # a safe point: gopreempt_m
        budget -= 1
        if budget == 0:
            # Instructions that take no time: let the event loop (and
            # max_events, progress) in.  An event interprets at most
            # ZERO_TIME_BUDGET of them, so Ctrl-C is polled here too, every
            # SIGNAL_STEPS_MASK + 1 instructions, besides every SIGNAL_EVERY events.
            e.steps += ZERO_TIME_BUDGET
            if (e.steps & SIGNAL_STEPS_MASK) < ZERO_TIME_BUDGET and poll_signals(e) < 0:
                return -1
            return resume(e, m, e.now, PH_RUN)
        if rec.pc >= e.n_code:
            return fail(e, ERR_INDEX, "list index out of range")
        ins = e.code + 4 * <int64_t>rec.pc
        op = ins[0]
        a = ins[1]
        b = ins[2]
        c = ins[3]
        if op == OP_CPU:
            # rem holds `remaining`, or the burst's end under GF_INBURST
            # (the reference's remaining == 0 with burst_end set).
            if rec.flags & GF_INBURST:
                rec.flags &= ~GF_INBURST
                rec.rem = -1
                rec.pc += 1
                continue
            if rec.rem < 0:
                if sample(e, a, &d) < 0:
                    return -1
                rec.rem = d
                if b:
                    rec.flags |= GF_PREEMPTIBLE
                else:
                    rec.flags &= ~GF_PREEMPTIBLE
            if rec.rem == 0:
                rec.rem = -1
                rec.pc += 1
                continue
            rec.rem = e.now + rec.rem
            rec.flags |= GF_INBURST
            return resume(e, m, rec.rem, PH_RUN)
        rec.flags &= ~GF_INBURST                  # burst_end = -1
        if op == OP_EXIT:
            return goexit(e, m, g)
        if op == OP_GO:
            if rec.rem < 0:
                rec.rem = b
            if rec.rem == 0:
                rec.rem = -1
                rec.pc += 1
                continue
            rec.rem -= 1
            cost = gfget(e, p)
            if newproc(e, p, g, a) < 0:
                return -1
            cost += drawn(e, &e.c.newproc)
            return resume(e, m, e.now + cost, PH_RUN)
        rec.pc += 1
        if op == OP_LOOP:
            if a == 0:
                rec.pc = <int32_t>c
            else:
                slot = loop_slot(e, g, b)
                if slot == NULL:
                    return fail(e, ERR_INDEX, "list assignment index out of range")
                slot[0] = a
            continue
        if op == OP_ENDLOOP:
            slot = loop_slot(e, g, b)
            if slot == NULL:
                return fail(e, ERR_INDEX, "list index out of range")
            slot[0] -= 1
            if slot[0] > 0:
                rec.pc = <int32_t>a
            continue
        if op == OP_STACK:
            if grow_stack(e, g, a) < 0:
                return -1
            continue
        if op == OP_GOSCHED:
            return gosched(e, m, g, STOP_GOSCHED, drawn(e, &e.c.gosched))
        if op == OP_SEND:
            return chansend(e, m, g, a, b)
        if op == OP_RECV:
            return chanrecv(e, m, g, a)
        if op == OP_WG_ADD:
            return wg_add(e, m, g, &e.wgs[a], b)
        if op == OP_WG_WAIT:
            if e.wgs[a].counter == 0:
                return resume(e, m, e.now + drawn(e, &e.c.wg_op), PH_RUN)
            if gq_push_back(&e.wgs[a].waiters, g) < 0:
                return nomem(e)
            return park(e, m, g, WAIT_WAITGROUP, drawn(e, &e.c.wg_op))
        if op == OP_SLEEP:
            if sample(e, a, &d) < 0:
                return -1
            if d <= 0:                              # timeSleep returns at once
                continue
            if add_timer(e, p, e.now + d, g) < 0:
                return -1
            return park(e, m, g, WAIT_SLEEP, drawn(e, &e.c.timer_add))
        if op == OP_NETWAIT:
            if sample(e, a, &d) < 0:
                return -1
            e.netpoll_inited = True
            e.io_waiters += 1
            if push(e, e.now + d, E_IO, g, 0) < 0:
                return -1
            return park(e, m, g, WAIT_IO, 0)
        if op == OP_SYSCALL:
            if sample(e, a, &d) < 0:
                return -1
            return entersyscall(e, m, g, d, b != 0)
        if op == OP_GOMAXPROCS:
            # runtime.GOMAXPROCS(a) (§1.3): a <= 0 only reads it; otherwise
            # custom from now on, and a STW unless a is the current value
            # (rem >= 0: woken from gcsema, the check was done).
            if a <= 0:
                continue
            if rec.rem < 0:
                e.custom = True
                if a == e.nprocs:
                    continue
            return gomaxprocs_stw(e, m, g, a, CAUSE_USER)
        if op == OP_LOCKOSTHREAD:
            if LockOSThread(e, m, g) < 0:
                return -1
            continue
        if op == OP_UNLOCKOSTHREAD:
            UnlockOSThread(e, m, g)
            continue
        if op == OP_CLOSE:
            return closechan(e, m, g, a)
        if op == OP_RANGE:
            # v, ok := <-ch; if !ok, leave the loop (closed and drained).
            if e.chans[a].closed and e.chans[a].count == 0:
                rec.pc = <int32_t>c
                if e.stamps_on and stamp_in(e, g, 0, 0, 0) < 0:
                    return -1
                return resume(e, m, e.now + drawn(e, &e.c.chan_op), PH_RUN)
            return chanrecv(e, m, g, a)
        if op == OP_ENDRANGE:
            rec.pc = <int32_t>a
            continue
        if op == OP_LOCK:
            return Lock(e, m, g, &e.mus[a])
        if op == OP_UNLOCK:
            return Unlock(e, m, g, &e.mus[a])
        if op == OP_RLOCK:
            return RLock(e, m, g, &e.rws[a])
        if op == OP_RUNLOCK:
            return RUnlock(e, m, g, &e.rws[a])
        if op == OP_RWLOCK:
            return rwLock(e, m, g, &e.rws[a], b)
        if op == OP_RWUNLOCK:
            return rwUnlock(e, m, g, &e.rws[a], b)
        if op == OP_NOTIFY_ADD:
            return notifyListAdd(e, m, g, &e.conds[a])
        if op == OP_NOTIFY_WAIT:
            return notifyListWait(e, m, g, &e.conds[a])
        if op == OP_NOTIFY:
            if b:
                return notifyListNotifyAll(e, m, g, &e.conds[a])
            return notifyListNotifyOne(e, m, g, &e.conds[a])
        if op == OP_CHOICE:
            # A zero-time test: a == 0 jumps and a == 2**53 falls through without
            # a draw; otherwise random() = k / 2**53 exactly, so k < a is exact.
            if a == 0:
                rec.pc = <int32_t>c
            elif a < (<int64_t>1 << 53):               # workload.CHOICE_ONE
                if <int64_t>(random_standard_uniform(e.rng) * 9007199254740992.0) >= a:
                    rec.pc = <int32_t>c
            continue
        if op == OP_LOOPDRAW:
            # OP_LOOP with the count drawn when the loop starts.
            if sample(e, a, &d) < 0:
                return -1
            if d == 0:
                rec.pc = <int32_t>c
            else:
                slot = loop_slot(e, g, b)
                if slot == NULL:
                    return fail(e, ERR_INDEX, "list assignment index out of range")
                slot[0] = d
            continue
        if op == OP_GOEXIT:
            if g == 0:
                e.main_goexit = True
            return goexit(e, m, g)
        if op == OP_PANIC:
            e.err_goid = rec.goid
            e.err_arg = a
            return fail(e, ERR_PANIC, NULL)
        if op == OP_SPAN_BEGIN:
            # The start time sits in the G's loop slot b (a span takes a level).
            slot = loop_slot(e, g, b)
            if slot == NULL:
                return fail(e, ERR_INDEX, "list assignment index out of range")
            slot[0] = e.now
            continue
        if op == OP_SPAN_END:
            slot = loop_slot(e, g, b)
            if slot == NULL:
                return fail(e, ERR_INDEX, "list index out of range")
            if span_row(e, a, rec.goid, slot[0], rec.goid) < 0:
                return -1
            continue
        if op == OP_SELECT:
            return selectgo(e, m, g, rec.pc - 1)
        if op == OP_SELEND:
            rec.pc = <int32_t>a
            continue
        if op == OP_BLOCK:
            return park(e, m, g, WAIT_SELECT_NO_CASES, 0)     # select {}: forever
        if op == OP_SPAN_RECV_END:
            # The span carried by the last value received, if it is span a.
            if g < e.gsy_cap and e.gsy[g].in_span == a + 1:
                e.gsy[g].in_span = 0
                if span_row(e, a, rec.goid, e.gsy[g].in_start, e.gsy[g].in_goid) < 0:
                    return -1
            else:
                e.n_spans_unstamped += 1
            continue
        if OP_TIMER_RESET <= op <= OP_AFTER:
            # (out of line: run_g stays small enough for the compiler to inline its hot helpers)
            c = run_timer_op(e, m, g, p, op, a, b)
            if c != TIMER_OP_CONTINUE:
                return <int>c
            continue
        if OP_RT_LOCK <= op <= OP_UPDATE_DONE:
            # runtime.main and the runtime's goroutines (_engine_runtime.pxi; out of line too)
            c = run_runtime_op(e, m, g, p, op, a)
            if c != TIMER_OP_CONTINUE:
                return <int>c
            continue
        e.err_arg = op                           # (OP_SELCASE is a select's data, never run)
        return fail(e, ERR_OPCODE, NULL)


cdef int span_row(Engine* e, int64_t name, int32_t goid, int64_t start, int64_t start_goid) noexcept nogil:
    # reference span_row(): one row, or counted as dropped past max_spans.
    cdef SpanRow* nb
    cdef int64_t ncap
    if e.spans_n >= e.max_spans:
        e.n_spans_dropped += 1
        return 0
    if e.spans_n == e.spans_cap:
        ncap = e.spans_cap * 2 if e.spans_cap else 64
        nb = <SpanRow*>realloc(e.spans, <size_t>ncap * sizeof(SpanRow))
        if nb == NULL:
            return nomem(e)
        e.spans = nb
        e.spans_cap = ncap
    nb = &e.spans[e.spans_n]
    nb.name = <int32_t>name
    nb.goid = goid
    nb.start = start
    nb.end = e.now
    nb.start_goid = start_goid
    e.spans_n += 1
    return 0


cdef int newproc(Engine* e, int32_t p, gid_t parent, int64_t program) noexcept nogil:
    """newproc (§5.1): the new G takes runnext; wakep."""
    cdef int32_t g = NIL_G
    if newg(e, parent, program, p, &g) < 0:
        return -1
    if eng_runqput(e, p, g, True) < 0:
        return -1
    return wakep(e)


cdef inline int goexit(Engine* e, int32_t m, gid_t g) noexcept nogil:
    """goexit0 (§5.2)."""
    cdef GRec* rec = &e.g.a[g]
    dropg(e, m, g, STOP_EXIT)
    if rec.flags & GF_LOCKED:
        # gdestroy: unwire; the thread exits (mexit) instead of scheduling.
        rec.flags &= ~GF_LOCKED
        e.ms[m].lockedg = LOCKEDG_EXIT
    rec.status = G_DEAD                      # when recycling, newg may reuse the row
    rec.rem = e.now                          # finished
    gfput(e, e.ms[m].p, rec.stack == STACK_MIN)
    e.n_dead += 1
    e.stack_inuse -= rec.stack
    if e.g.loops != NULL and e.g.loops[g] >= 0:
        loops_free(e, e.g.loops[g])
        e.g.loops[g] = -1
    if g < e.gsy_cap:
        e.gsy[g].in_span = 0                 # a reused row carries no stamp
    e.live -= 1
    if g == 0 and not e.main_goexit:
        e.main_done = True
        e.makespan = e.now
    return resume(e, m, e.now + drawn(e, &e.c.goexit), PH_SCHEDULE)


cdef int gosched(Engine* e, int32_t m, gid_t g, int64_t reason, int64_t cost) noexcept nogil:
    """goschedImpl (§3.7): to the global queue tail; wakep."""
    dropg(e, m, g, reason)
    e.g.a[g].status = G_RUNNABLE
    e.g.a[g].runnable_ns -= e.now
    e.g.since[g] = e.now
    if globrunqput(&e.q, g) < 0:
        return nomem(e)
    if wakep(e) < 0:
        return -1
    return resume(e, m, e.now + cost, PH_SCHEDULE)


cdef int gopreempt(Engine* e, int32_t m, gid_t g, int64_t cost) noexcept nogil:
    """gopreempt_m (§4.7): like Gosched; `cost` is the CPU its M spends
    getting there (a gosched, or the signal handler's round trip too)."""
    e.g.a[g].flags &= ~GF_PREEMPT
    if e.g.a[g].preemptions < COUNTER_MAX_C:     # saturates (results.G_DTYPE)
        e.g.a[g].preemptions += 1
    e.n_preemptions += 1
    return gosched(e, m, g, STOP_PREEMPT, cost)


cdef int grow_stack(Engine* e, gid_t g, int64_t need) noexcept nogil:
    """newstack (§5.4): double until it fits; beyond max_stack is fatal."""
    cdef int64_t size = e.g.a[g].stack
    while size < need:
        size *= 2
        if size > e.max_stack:
            e.err_goid = e.g.a[g].goid
            return fail(e, ERR_STACK, NULL)
    e.stack_inuse += size - e.g.a[g].stack
    e.g.a[g].stack = <uint32_t>size             # max_stack <= 2**31 (simulate checks)
    return 0
