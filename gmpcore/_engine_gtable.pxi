# The G table (_engine.pxd GTable, GRec): one row per goroutine, grown by
# realloc, rows of dead Gs reused without per-G records; the loop-counter
# pool of `repeat`.  Reference: gmpcore/reference/gtable.py.
#
# Contract: newg is the only place a row comes to life (newproc1, §5.1);
# goexit (program) marks it dead.  Growth takes no GIL and may move e.g.a:
# callers re-read row pointers after newg.


cdef int resize_g(GTable* t, int64_t cap) noexcept nogil:
    # realloc the G table (and its loop column) to `cap` rows: in place, or
    # by mremap for big tables, so growth never needs two tables at once.
    # The engine's own malloc, not NumPy's: no transparent-huge-page
    # madvise, whose zeroing and compaction cost more than they save here.
    cdef GRec* na = <GRec*>realloc(t.a, <size_t>cap * sizeof(GRec))
    cdef int64_t* ns
    cdef int32_t* nl
    if na == NULL:
        return -1
    t.a = na
    ns = <int64_t*>realloc(t.since, <size_t>cap * sizeof(int64_t))
    if ns == NULL:
        return -1
    t.since = ns
    if t.has_loops:
        nl = <int32_t*>realloc(t.loops, <size_t>cap * sizeof(int32_t))
        if nl == NULL:
            return -1
        t.loops = nl
    t.cap = cap
    return 0


cdef int grow_g(Engine* e) noexcept nogil:
    if resize_g(&e.g, e.g.cap * 2 if e.g.cap >= 8 else 16) < 0:
        return nomem(e)
    return 0


cdef int64_t loops_alloc(Engine* e, int64_t depth) noexcept nogil:
    # A block [depth, counter 0 .. counter depth-1] from the pool; -1 if out of memory.
    cdef LoopPool* pl = &e.pool
    cdef int64_t off, ncap
    cdef int64_t* ns
    off = pl.free_head[depth]
    if off >= 0:
        pl.free_head[depth] = pl.slots[off + 1]
        return off
    if pl.n + depth + 1 > pl.cap:
        ncap = pl.cap * 2 if pl.cap else 1024
        while ncap < pl.n + depth + 1:
            ncap *= 2
        ns = <int64_t*>realloc(pl.slots, <size_t>ncap * sizeof(int64_t))
        if ns == NULL:
            return -1
        pl.slots = ns
        pl.cap = ncap
    off = pl.n
    pl.n += depth + 1
    pl.slots[off] = depth
    return off


cdef inline void loops_free(Engine* e, int64_t off) noexcept nogil:
    cdef LoopPool* pl = &e.pool
    cdef int64_t depth = pl.slots[off]
    pl.slots[off + 1] = pl.free_head[depth]
    pl.free_head[depth] = off


cdef inline int64_t reuse_row(GTable* t, int64_t live) noexcept nogil:
    # A dead G's row for newg, or -1 for a new one (GTable.cursor).  `live`
    # Gs hold a row each, so rows - live are dead.  Past REUSE_PROBE rows
    # the walk goes on while at least half the table is dead: the table
    # stays under twice the most Gs alive at once, and the walk, which
    # only ever moves forward, costs at most two rows per newg on average.
    cdef int64_t k = 0, idx, dead = t.rows - live
    if dead <= 0:
        return -1
    while True:
        idx = t.cursor
        t.cursor += 1
        if t.cursor == t.rows:
            t.cursor = 0
        if t.a[idx].status == G_DEAD:
            return idx
        k += 1
        if k >= REUSE_PROBE and 2 * dead < t.rows:
            return -1


cdef void gfget_refill(Engine* e, PRec* pp) noexcept nogil:
    # gfget's batch from the global lists (Gs with stacks first), up to GFREE_BATCH.
    while pp.gfree_n < GFREE_BATCH:
        if e.gfree_stack:
            e.gfree_stack -= 1
            pp.gfree_bits |= (<uint64_t>1) << pp.gfree_n
        elif e.gfree_nostack:
            e.gfree_nostack -= 1
            pp.gfree_bits &= ~((<uint64_t>1) << pp.gfree_n)
        else:
            break
        pp.gfree_n += 1


cdef inline int64_t gfget(Engine* e, int32_t p) noexcept nogil:
    """gfget (§5.1) for newproc: the P's gFree, an empty one refilled from
    the global lists (Gs with stacks first) up to GFREE_BATCH.  Returns the
    CPU the creator pays beyond newproc: 0 for a free G with its stack,
    stackalloc for one without, newproc_fresh (malg) when there is none.
    Only the kinds are kept (the model's rows are reused by newg)."""
    cdef PRec* pp = &e.ps[p]
    if pp.gfree_n == 0 and (e.gfree_stack or e.gfree_nostack):
        gfget_refill(e, pp)
    if pp.gfree_n == 0:
        return drawn(e, &e.c.newproc_fresh)
    pp.gfree_n -= 1
    if (pp.gfree_bits >> pp.gfree_n) & 1:
        return 0
    return drawn(e, &e.c.stackalloc)


cdef void gfput_trim(Engine* e, PRec* pp) noexcept nogil:
    # gfput at GFREE_TRIM: the top ones to the global lists until GFREE_BATCH - 1 are left.
    while pp.gfree_n >= GFREE_BATCH:
        pp.gfree_n -= 1
        if (pp.gfree_bits >> pp.gfree_n) & 1:
            e.gfree_stack += 1
        else:
            e.gfree_nostack += 1


cdef inline void gfput(Engine* e, int32_t p, bint has_stack) noexcept nogil:
    """gfput (§5.2): a dead G onto the P's gFree (its stack freed if it had
    grown); at GFREE_TRIM, the top ones go to the global lists until
    GFREE_BATCH - 1 are left."""
    cdef PRec* pp = &e.ps[p]
    if has_stack:
        pp.gfree_bits |= (<uint64_t>1) << pp.gfree_n
    else:
        pp.gfree_bits &= ~((<uint64_t>1) << pp.gfree_n)
    pp.gfree_n += 1
    if pp.gfree_n >= GFREE_TRIM:
        gfput_trim(e, pp)


cdef inline void gfpurge(Engine* e, int32_t p) noexcept nogil:
    """gfpurge: a destroyed P's free Gs to the global lists."""
    cdef PRec* pp = &e.ps[p]
    while pp.gfree_n:
        pp.gfree_n -= 1
        if (pp.gfree_bits >> pp.gfree_n) & 1:
            e.gfree_stack += 1
        else:
            e.gfree_nostack += 1


cdef inline int64_t cold_switch_ns(Engine* e) noexcept nogil:
    """The working-set model: a switch pays cold_switch times the chance
    that the G's stack and state left the cache, 1 - cache / working set,
    where the working set is every live G's stack and state."""
    cdef int64_t ws = e.stack_inuse + e.live * G_STATE_BYTES
    if ws <= e.c.cache_bytes:
        return 0
    return drawn(e, &e.c.cold_switch) * (ws - e.c.cache_bytes) // ws


cdef int newg(Engine* e, int32_t parent, int64_t program, int32_t p, int32_t* out) noexcept nogil:
    """newproc1 (§5.1): a fresh G with the next goid of `p`'s cache."""
    cdef PRec* pp = &e.ps[p]
    cdef GTable* t = &e.g
    cdef int64_t idx, depth, off
    cdef GRec* rec
    if pp.goidcache == pp.goidcacheend:
        e.goidgen += GOIDCACHE_BATCH
        pp.goidcache = e.goidgen - GOIDCACHE_BATCH + 1
        pp.goidcacheend = e.goidgen + 1
    if pp.goidcache > INT32_MAX:
        return fail(e, ERR_NOMEM, "more goroutines than the G table can index")
    idx = reuse_row(t, e.live) if t.recycle else -1     # gfget: a dead G's row
    if idx < 0:
        if t.rows >= MAX_GID:
            return fail(e, ERR_NOMEM, "more goroutines than the G table can index")
        if t.rows == t.cap and grow_g(e) < 0:
            return -1
        idx = t.rows
        t.rows += 1
    t.n += 1
    rec = &t.a[idx]
    rec.goid = <int32_t>pp.goidcache
    rec.parent = t.a[parent].goid if parent >= 0 else 0
    rec.pc = <int32_t>e.entry[program]
    rec.stack = STACK_MIN
    rec.preemptions = 0
    rec.steals = 0
    rec.status = G_RUNNABLE
    rec.waitreason = WAIT_NONE
    rec.flags = GF_PREEMPTIBLE
    rec.spare = 0
    rec.created = e.now
    rec.first_run = -1
    rec.rem = -1
    rec.runnable_ns = -e.now            # runnable from now (GRec.runnable_ns)
    t.since[idx] = e.now
    rec.running_ns = 0
    if t.loops != NULL:
        depth = e.depth[program]
        off = -1
        if depth > 0:
            off = loops_alloc(e, depth)
            if off < 0 or off > INT32_MAX:
                return nomem(e)
        t.loops[idx] = <int32_t>off
    pp.goidcache += 1
    e.live += 1
    e.stack_inuse += STACK_MIN
    log_ev(e, EV_CREATE, -1, p, idx, parent)
    out[0] = <int32_t>idx
    return 0
