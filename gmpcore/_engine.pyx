# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""The compiled simulation engine: Go's scheduler in virtual time, in C.

A line-by-line translation of the reference engine
(``gmpcore/reference/engine.py``, the oracle): the same workload, seed and
options give the same event log row for row, the same per-G records, per-P
figures, counters and makespan (docs/simulator-design.md).  Each function
below is one function of the reference, named as in Go's proc.go and citing
go-scheduler.md (§).

``run()`` validates its arguments, builds an :c:type:`Engine` (_engine.pxd)
and runs the whole simulation in one ``nogil`` call: no Python object exists
per goroutine or per event.  The GIL is taken back only to grow the G table,
to call ``progress`` and to let Ctrl-C through.  Errors leave the C code as
an error code and are raised afterwards with the reference's exception and
message.
"""

cimport cython
import numpy as np
cimport numpy as cnp

from cpython.exc cimport PyErr_CheckSignals
from cython.view cimport array as cvarray
from cpython.pycapsule cimport PyCapsule_GetPointer
from libc.math cimport exp, floor
from libc.stdint cimport int32_t, int64_t, uint8_t, uint32_t, uint64_t, INT32_MAX
from libc.stdlib cimport free, malloc, realloc
from libc.string cimport memcpy, memset
from numpy.random cimport bitgen_t
from numpy.random.c_distributions cimport (random_standard_exponential, random_standard_normal,
                                           random_standard_uniform)

from gmpcore._defs cimport (gid_t, MAX_GID, NIL_G, P_IDLE, P_RUNNING, P_SYSCALL, RUNQ_HALF,
                            RUNQ_MASK, RUNQ_SIZE)
from gmpcore._gqueue cimport GQueue, gq_at, gq_free, gq_init, gq_pop_front, gq_push_back
from gmpcore._latency cimport LAT_N_COUNTS, lat_index
from gmpcore._model cimport (FORCE_PREEMPT_NS, GLOBAL_CHECK_PERIOD, GOIDCACHE_BATCH,
                             NETPOLL_RESOLUTION, RETAKE_SYSCALL_NS,
                             REUSE_PROBE, RUNNEXT_BACKOFF, STACK_MIN, SYSMON_DEEP_SLEEP,
                             SYSMON_IDLE_CYCLES, SYSMON_MAX_DELAY, SYSMON_MIN_DELAY,
                             SYSMON_NETPOLL_PERIOD, ZERO_TIME_BUDGET)
from gmpcore._rand cimport cheaprand
from gmpcore._runq cimport (RQ_CORRUPT, RQ_NOMEM, RQ_OVERFLOW, RunQueues, globrunq_batch_size,
                            globrunqgetbatch, globrunqput, globrunqputbatch, ring_of,
                            runqempty, runqget, runqput, runqputbatch, runqsize, runqsteal)
from gmpcore._steal_order cimport random_order_free, random_order_reset

from gmpcore.errors import (Deadlock, GoFatalError, GoThrow, StackOverflow, ThreadExhaustion,
                           WorkloadPanic, goroutine_dump)
from gmpcore.results import G_DTYPE, MONITOR_FIELDS, P_DTYPE, monitor_dtype
from gmpcore.state import schedtrace_line
from gmpcore.workload import CompiledWorkload

cnp.import_array()

cdef extern from *:
    """
    #define gmp_prefetch(p) __builtin_prefetch((p), 1, 3)
    #define GMP_MAX_SAMPLE 9007199254740992LL
    #define GMP_TIME_LIMIT 4611686018427387904LL
    """
    # Largest duration a distribution may yield (reference MAX_SAMPLE, 2**53).
    const int64_t MAX_SAMPLE "GMP_MAX_SAMPLE"
    # Virtual times from 2**62 on raise OverflowError instead of wrapping int64
    # (the reference's Python ints would overflow only when results are built).
    const int64_t TIME_LIMIT "GMP_TIME_LIMIT"
    void prefetch "gmp_prefetch"(const void* p) noexcept nogil

cdef enum:
    SIGNAL_EVERY = 65536                   # events between PyErr_CheckSignals
    SIGNAL_STEPS_MASK = 0xFFFFFF           # instructions between checks inside run_g


# ================================================================ small helpers

cdef inline int fail(Engine* e, int kind, const char* msg) noexcept nogil:
    # The first error wins: later ones are consequences.
    if e.err == ERR_NONE:
        e.err = kind
        e.err_msg = msg
    return -1


cdef inline int nomem(Engine* e) noexcept nogil:
    return fail(e, ERR_NOMEM, NULL)


cdef inline bint in_sorted(const int64_t* a, int64_t n, int64_t x) noexcept nogil:
    # Binary search of a sorted array.
    cdef int64_t lo = 0, hi = n, mid
    while lo < hi:
        mid = (lo + hi) // 2
        if a[mid] < x:
            lo = mid + 1
        else:
            hi = mid
    return lo < n and a[lo] == x


cdef inline void log_ev(Engine* e, int64_t kind, int64_t m, int64_t p, int64_t g,
                        int64_t arg) noexcept nogil:
    # reference log(): one row (now, kind, m, p, g, arg), -1 where n/a.  A
    # failure to grow the log is sticky (e.err) and ends the run after the
    # current event: it does not corrupt scheduler state.
    cdef int64_t* row
    if not e.record or e.now < e.tw_start or e.now > e.tw_end:
        return
    if g >= 0 and e.goid_filter != NULL and not in_sorted(e.goid_filter, e.goid_filter_n,
                                                          e.g.a[g].goid):
        return
    if e.max_log >= 0 and e.log_n >= e.max_log:
        e.n_dropped += 1
        return
    if e.log_n == e.log_cap and grow_log(e) < 0:
        return
    row = e.log + e.log_n * LOG_COLS
    row[0] = e.now
    row[1] = kind
    row[2] = m
    row[3] = p
    row[4] = g
    row[5] = arg
    e.log_n += 1


# ---------------------------------------------------------------- the event heap (§2 of the design)

cdef inline bint ev_less(const Event* a, const Event* b) noexcept nogil:
    return a.when < b.when or (a.when == b.when and a.seq < b.seq)


cdef int push(Engine* e, int64_t when, int32_t kind, int32_t who, int64_t gen) noexcept nogil:
    # reference push(): every push takes the next seq, even one that will be stale.
    cdef EventHeap* h = &e.heap
    cdef Event ev
    if when >= TIME_LIMIT:
        return fail(e, ERR_OVERFLOW, "virtual time exceeds 2**62 ns")
    e.seq += 1
    ev.when = when
    ev.seq = e.seq
    ev.gen = gen
    ev.who = who
    ev.kind = kind
    if h.root_taken:
        # The root was popped: this event (or the front, if this one runs
        # first) fills its place.
        h.root_taken = False
        if h.has_front and ev_less(&ev, &h.front):
            bheap_replace_root(&h.b, &h.front)
            h.front = ev
        elif not h.has_front and bheap_below_root(&h.b, &ev):
            h.b.a[0] = ev                        # the new minimum: no sift
        else:
            bheap_replace_root(&h.b, &ev)
        return 0
    if h.has_front:
        if ev_less(&ev, &h.front):               # runs first: the old front joins the heap
            if heap_push_b(e, &h.front) < 0:
                return -1
            h.front = ev
            return 0
    elif h.b.n == 0 or ev_less(&ev, &h.b.a[0]):
        h.front = ev
        h.has_front = True
        return 0
    return heap_push_b(e, &ev)


cdef int heap_push_b(Engine* e, const Event* ev) noexcept nogil:
    # Push into the event heap's binary heap.  A full heap first drops its
    # cancelled events, and grows only if over half of it is live, so
    # memory follows the live events and each compaction's O(n) is paid
    # for by the n/2 pushes before the next one.
    cdef BinHeap* h = &e.heap.b
    if h.n == h.cap:
        compact_events(e)
        if 2 * h.n > h.cap and bheap_grow(h) < 0:
            return nomem(e)
    if bheap_push(h, ev) < 0:
        return nomem(e)
    return 0


cdef inline bint event_live(const Engine* e, const Event* ev) noexcept nogil:
    # A cancelled event (its M or sysmon moved on: lazy cancellation) is a
    # no-op when it comes due; only live events count and dispatch.
    if ev.kind == E_M or ev.kind == E_PREEMPT:
        return ev.gen == e.ms[ev.who].gen
    if ev.kind == E_SYSMON:
        return ev.gen == e.sm_gen
    return True                                  # E_IO


cdef void compact_events(Engine* e) noexcept nogil:
    # Drop cancelled events from the binary heap and re-heapify.  Called
    # before the heap grows: without it, every preemption of a long CPU
    # burst would leave the burst's end behind until its time came
    # (cpu("100000s") would grow the heap by 32 bytes per 10 ms slice).
    # Pop order is by (when, seq), a total order, so it is unchanged.
    cdef BinHeap* h = &e.heap.b
    cdef int64_t i, k = 0
    cdef Event ev
    for i in range(h.n):
        if event_live(e, &h.a[i]):
            h.a[k] = h.a[i]
            k += 1
    h.n = k
    i = k // 2 - 1
    while i >= 0:                                # Floyd's bottom-up heapify
        ev = h.a[i]
        bheap_sift_down(h, i, &ev)
        i -= 1


cdef inline int64_t heap_size(const EventHeap* h) noexcept nogil:
    # (not while a popped root is being dispatched)
    return h.b.n + h.has_front


cdef inline int64_t heap_min_when(const EventHeap* h) noexcept nogil:
    # When the earliest event is due (the caller checks that there is one).
    return h.front.when if h.has_front else h.b.a[0].when


cdef inline void heap_pop(EventHeap* h, Event* out) noexcept nogil:
    # The earliest event (the caller checks that there is one).  A root
    # event stays in place, taken, until heap_pop_done().
    if h.has_front:
        out[0] = h.front
        h.has_front = False
    else:
        out[0] = h.b.a[0]
        h.root_taken = True


cdef inline void heap_pop_done(EventHeap* h) noexcept nogil:
    # After the popped event's dispatch: a taken root no push replaced.
    cdef Event ev
    if h.root_taken:
        h.root_taken = False
        bheap_pop(&h.b, &ev)


# ---------------------------------------------------------------- binary heaps of Events

cdef int bheap_push(BinHeap* h, const Event* ev) noexcept nogil:
    # -1 if out of memory (nothing changed).
    cdef int64_t i, parent
    if h.n == h.cap and bheap_grow(h) < 0:
        return -1
    i = h.n
    h.n += 1
    while i > 0:
        parent = (i - 1) >> 1
        if ev_less(ev, &h.a[parent]):
            h.a[i] = h.a[parent]
            i = parent
        else:
            break
    h.a[i] = ev[0]
    return 0


cdef int bheap_grow(BinHeap* h) noexcept nogil:
    # Double the slots; -1 if out of memory (nothing changed).
    cdef int64_t ncap = h.cap * 2 if h.cap else 8
    cdef Event* na = <Event*>realloc(h.a, <size_t>ncap * sizeof(Event))
    if na == NULL:
        return -1
    h.a = na
    h.cap = ncap
    return 0


cdef inline bint bheap_below_root(const BinHeap* h, const Event* ev) noexcept nogil:
    # *ev runs before every entry but the root.
    return ((h.n < 2 or ev_less(ev, &h.a[1]))
            and (h.n < 3 or ev_less(ev, &h.a[2])))


cdef void bheap_replace_root(BinHeap* h, const Event* ev) noexcept nogil:
    # Pop the root and push *ev in one sift-down (the heap is not empty).
    bheap_sift_down(h, 0, ev)


cdef inline void bheap_sift_down(BinHeap* h, int64_t i, const Event* ev) noexcept nogil:
    # Put *ev at slot i (whose old entry is gone) and sift it down.
    cdef int64_t child, n = h.n
    while True:
        child = 2 * i + 1
        if child >= n:
            break
        if child + 1 < n and ev_less(&h.a[child + 1], &h.a[child]):
            child += 1
        if ev_less(&h.a[child], ev):
            h.a[i] = h.a[child]
            i = child
        else:
            break
    h.a[i] = ev[0]


cdef void bheap_pop(BinHeap* h, Event* out) noexcept nogil:
    # The earliest entry into *out (the caller checks that there is one).
    cdef Event last
    out[0] = h.a[0]
    h.n -= 1
    if h.n:
        last = h.a[h.n]
        bheap_replace_root(h, &last)


cdef int timer_push(BinHeap* h, int64_t when, int64_t seq, gid_t g) noexcept nogil:
    cdef Event t
    t.when = when
    t.seq = seq
    t.gen = 0
    t.who = g
    t.kind = 0
    return bheap_push(h, &t)


cdef gid_t timer_pop(BinHeap* h) noexcept nogil:
    cdef Event t
    bheap_pop(h, &t)
    return t.who


# ---------------------------------------------------------------- growth paths (take the GIL)

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


# ================================================================ randomness

cdef inline uint32_t rand32(Engine* e) noexcept nogil:
    return cheaprand(&e.cheaprand)


cdef int sample(Engine* e, int64_t dist, int64_t* out) noexcept nogil:
    """reference sample(): draw a duration (docs/simulator-design.md §1.2).

    The float formulas are the reference's, evaluated in the same double
    arithmetic; the draws are NumPy's C distributions on the run's PCG64, so
    the stream equals Generator.random() / standard_exponential() /
    standard_normal().
    """
    cdef const double* row = e.dists + 3 * dist
    cdef int kind = <int>row[0]
    cdef double p1 = row[1], p2 = row[2], x, v
    if kind == 0:
        out[0] = <int64_t>p1
        return 0
    if kind == 1:
        x = p1 + floor(random_standard_uniform(e.rng) * (p2 - p1 + 1.0))
    elif kind == 2:
        x = floor(p1 * random_standard_exponential(e.rng) + 0.5)
    else:
        v = p2 * random_standard_normal(e.rng)
        # exp() overflows past ~709; clamp before floor (as the reference).
        # A median of 0 draws 0 whatever the spread (0 * inf would be NaN).
        if p1 == 0.0:
            x = 0.0
        else:
            x = <double>MAX_SAMPLE if v > 709.0 else p1 * exp(v) + 0.5
        x = <double>MAX_SAMPLE if x >= <double>MAX_SAMPLE else floor(x)
    if x > <double>MAX_SAMPLE:                  # an unbounded draw is clamped
        out[0] = MAX_SAMPLE
    else:
        out[0] = <int64_t>x
    return 0


# ================================================================ Gs and Ps

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


cdef int pidleput(Engine* e, int32_t p) noexcept nogil:
    if not runqempty(&e.q, p):
        return fail(e, ERR_ASSERT, "pidleput: P has non-empty run queue")
    e.q.status[p] = P_IDLE
    e.ps[p].m = -1
    e.ps[p].idle_since = e.now
    e.ps[p].in_pidle = 1
    e.pidle[e.npidle] = p
    e.npidle += 1
    return 0


cdef int32_t pidleget(Engine* e) noexcept nogil:
    cdef int32_t p
    if e.npidle == 0:
        return -1
    e.npidle -= 1
    p = e.pidle[e.npidle]
    e.ps[p].in_pidle = 0
    e.ps[p].idle_ns += e.now - e.ps[p].idle_since
    return p


cdef int32_t pidlegetSpinning(Engine* e) noexcept nogil:
    cdef int32_t p = pidleget(e)
    if p < 0:
        e.needspinning = 1      # §3.5: a non-spinning M about to drop its P must spin
    return p


cdef int acquirep(Engine* e, int32_t m, int32_t p) noexcept nogil:
    if not (e.ms[m].p < 0 and e.q.status[p] == P_IDLE and e.ps[p].m < 0):
        return fail(e, ERR_ASSERT, "wirep: invalid p state")
    e.ms[m].p = p
    e.ps[p].m = m
    e.q.status[p] = P_RUNNING
    return 0


cdef int releasep(Engine* e, int32_t m, int32_t* out) noexcept nogil:
    cdef int32_t p = e.ms[m].p
    if not (e.q.status[p] == P_RUNNING and e.ps[p].m == m):
        return fail(e, ERR_ASSERT, "releasep: invalid p state")
    e.ms[m].p = -1
    e.ps[p].m = -1
    e.q.status[p] = P_IDLE
    out[0] = p
    return 0


# ================================================================ Ms

cdef inline int resume(Engine* e, int32_t m, int64_t when, int phase) noexcept nogil:
    """The M does `phase` at `when` (it is busy until then), plus any CPU
    it spent meanwhile running timers or polling the network."""
    cdef MRec* mm = &e.ms[m]
    mm.phase = phase
    mm.gen += 1
    when += mm.debt
    mm.debt = 0
    return push(e, when, E_M, m, mm.gen)


cdef void init_m(MRec* mm) noexcept nogil:
    memset(mm, 0, sizeof(MRec))
    mm.p = -1
    mm.curg = -1
    mm.nextp = -1
    mm.oldp = -1
    mm.nextg = -1
    mm.phase = PH_IDLE
    mm.st_timers_at = -1
    mm.st_bo_g = -1


cdef int newm(Engine* e, int32_t p, bint spinning) noexcept nogil:
    """newm (§3.6): a new thread that will start with nextp = p."""
    cdef int32_t m
    if e.nm >= e.max_threads:
        return fail(e, ERR_THREADS, NULL)
    m = e.nm
    e.nm += 1
    init_m(&e.ms[m])
    e.n_threads += 1
    e.ms[m].nextp = p
    e.ms[m].spinning = spinning
    log_ev(e, EV_THREAD_CREATE, m, p, -1, -1)
    return resume(e, m, e.now + e.c.thread_create, PH_START)


cdef int startm(Engine* e, int32_t p, bint spinning) noexcept nogil:
    """startm (§3.6): give `p` (or an idle P) to an idle or new M."""
    cdef int32_t m
    if p < 0:
        if spinning:
            return fail(e, ERR_ASSERT, "startm: P required for spinning=true")
        p = pidleget(e)
        if p < 0:
            return 0
    if e.nmidle == 0:
        return newm(e, p, spinning)
    e.nmidle -= 1
    m = e.midle[e.nmidle]
    if not (e.ms[m].p < 0 and e.ms[m].nextp < 0):
        return fail(e, ERR_ASSERT, "startm: m has p")
    e.ms[m].spinning = spinning
    e.ms[m].nextp = p
    log_ev(e, EV_M_WAKE, m, p, -1, spinning)
    return resume(e, m, e.now + e.c.thread_wake, PH_START)


cdef int stopm(Engine* e, int32_t m) noexcept nogil:
    """stopm (§3.6): park the M on the idle list until someone hands it a P."""
    cdef MRec* mm = &e.ms[m]
    if mm.p >= 0:
        return fail(e, ERR_ASSERT, "stopm holding p")
    if mm.spinning:
        return fail(e, ERR_ASSERT, "stopm spinning")
    mm.phase = PH_IDLE
    mm.gen += 1
    mm.debt = 0                 # poll/timer work before parking delays no later wake
    e.midle[e.nmidle] = m
    e.nmidle += 1
    log_ev(e, EV_M_PARK, m, -1, -1, -1)
    return checkdead(e)


cdef int wakep(Engine* e) noexcept nogil:
    """wakep (§3.5): start one more spinning M if there is an idle P and none spins."""
    cdef int32_t p
    if e.nmspinning != 0:
        return 0
    e.nmspinning = 1
    p = pidlegetSpinning(e)
    if p < 0:
        e.nmspinning -= 1
        return 0
    e.n_spinning += 1
    return startm(e, p, True)


cdef void become_spinning(Engine* e, int32_t m) noexcept nogil:
    e.ms[m].spinning = 1
    e.nmspinning += 1
    e.needspinning = 0
    e.n_spinning += 1
    log_ev(e, EV_SPIN, m, e.ms[m].p, -1, 1)


cdef int reset_spinning(Engine* e, int32_t m) noexcept nogil:
    """resetspinning (§3.1 step 6): the spinner found work; wake another."""
    e.ms[m].spinning = 0
    e.nmspinning -= 1
    if e.nmspinning < 0:
        return fail(e, ERR_ASSERT, "findRunnable: negative nmspinning")
    log_ev(e, EV_SPIN, m, e.ms[m].p, -1, 0)
    return wakep(e)


cdef int handoffp(Engine* e, int32_t p) noexcept nogil:
    """handoffp (§3.6): a P without an M; start one if there is anything to do."""
    e.n_handoffs += 1
    log_ev(e, EV_HANDOFF, -1, p, -1, -1)
    if not runqempty(&e.q, p) or e.q.globrunq.size:
        return startm(e, p, False)
    if e.nmspinning + e.npidle == 0:
        e.nmspinning += 1
        e.needspinning = 0
        e.n_spinning += 1
        return startm(e, p, True)
    if e.npidle == e.nprocs - 1 and e.lastpoll != 0:
        return startm(e, p, False)
    if pidleput(e, p) < 0:
        return -1
    if e.ps[p].timers.n:
        return wake_net_poller(e, e.ps[p].timers.a[0].when)
    return 0


# ================================================================ timers and netpoll

cdef int add_timer(Engine* e, int32_t p, int64_t when, gid_t g) noexcept nogil:
    cdef BinHeap* th = &e.ps[p].timers
    cdef bint wake = th.n == 0 or when < th.a[0].when
    if when >= TIME_LIMIT:
        return fail(e, ERR_OVERFLOW, "virtual time exceeds 2**62 ns")
    e.seq += 1
    if timer_push(th, when, e.seq, g) < 0:
        return nomem(e)
    e.netpoll_inited = True
    if wake:
        return wake_net_poller(e, when)
    return 0


cdef int64_t check_timers(Engine* e, int32_t m, int32_t p, int32_t readier) noexcept nogil:
    """Run `p`'s expired timers on M `m`; each readies its G into
    `readier`'s runnext.

    Returns how many ran, or -1 on error."""
    cdef BinHeap* th = &e.ps[p].timers
    cdef int64_t ran = 0
    cdef gid_t g
    while th.n and th.a[0].when <= e.now:
        g = timer_pop(th)
        log_ev(e, EV_TIMER, -1, p, g, -1)
        e.n_timers += 1
        if ready(e, g, readier) < 0:
            return -1
        e.ms[m].debt += e.c.timer_fire + e.c.ready
        ran += 1
    return ran


cdef int wake_net_poller(Engine* e, int64_t when) noexcept nogil:
    """wakeNetPoller (§3.6)."""
    if e.lastpoll == 0:
        if e.poll_until == 0 or e.poll_until > when:
            return netpoll_break(e)
        return 0
    return wakep(e)


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
    e.ms[m].debt += e.c.netpoll
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


# ================================================================ readying and parking

cdef int ready(Engine* e, gid_t g, int32_t p) noexcept nogil:
    """ready / goready (§5.3): into `p`'s runnext, then wakep."""
    if e.g.a[g].status != G_WAITING:
        return fail(e, ERR_ASSERT, "bad g->status in ready")
    e.g.a[g].status = G_RUNNABLE
    e.g.a[g].waitreason = WAIT_NONE
    e.g.a[g].runnable_ns -= e.now
    e.g.since[g] = e.now
    e.n_waiting -= 1
    log_ev(e, EV_READY, -1, p, g, -1)
    if eng_runqput(e, p, g, True) < 0:
        return -1
    return wakep(e)


cdef int eng_runqput(Engine* e, int32_t p, gid_t g, bint next_) noexcept nogil:
    # reference runqput(): runqput (§2.1), counting a spill by the global
    # queue's growth as the reference does.
    cdef uint64_t before = e.q.globrunq.size
    cdef int rc = runqput(&e.q, p, g, next_ and e.use_runnext)
    if rc == RQ_NOMEM:
        return nomem(e)
    if rc == RQ_CORRUPT:
        return fail(e, ERR_THROW, "runqputslow: queue is not full")
    if e.q.globrunq.size > before:
        e.n_spills += 1
        log_ev(e, EV_SPILL, -1, p, -1, <int64_t>(e.q.globrunq.size - before))
    return 0


cdef int eng_globrunqget(Engine* e, int32_t p, uint32_t mx, gid_t* out) noexcept nogil:
    # RefSched.globrunqget(p, max): a batch of min(max or 128, size,
    # size/gomaxprocs + 1); the first runs, the rest go to p's ring (§2.9).
    cdef gid_t batch[RUNQ_HALF + 1]
    cdef uint32_t want = mx if mx else RUNQ_HALF
    cdef uint32_t k = globrunq_batch_size(&e.q, want)
    out[0] = NIL_G
    if k == 0:
        return 0
    if k - 1 > RUNQ_SIZE - runqsize(&e.q, p):
        return fail(e, ERR_THROW, "Couldn't put Gs into empty local runq")
    k = globrunqgetbatch(&e.q, want, batch)
    runqputbatch(&e.q, p, batch + 1, k - 1)
    out[0] = batch[0]
    return 0


cdef void dropg(Engine* e, int32_t m, gid_t g, int64_t reason) noexcept nogil:
    cdef MRec* mm = &e.ms[m]
    cdef int64_t ran = e.now - mm.run_start
    e.g.a[g].running_ns += ran
    e.ps[mm.p].busy_ns += ran
    mm.curg = -1
    log_ev(e, EV_STOP, m, mm.p, g, reason)


cdef int park(Engine* e, int32_t m, gid_t g, int reason, int64_t extra) noexcept nogil:
    """gopark (§3.7): the G waits; its M looks for other work."""
    dropg(e, m, g, STOP_PARK)
    e.g.a[g].status = G_WAITING
    e.g.a[g].waitreason = reason
    e.g.since[g] = e.now
    log_ev(e, EV_WAIT, m, e.ms[m].p, g, reason)
    e.n_waiting += 1
    return resume(e, m, e.now + extra + e.c.park, PH_SCHEDULE)


# ================================================================ the run

cdef int start(Engine* e) noexcept nogil:
    """reference run() up to the event loop: m0 runs main on P0; sysmon starts."""
    cdef int32_t p, gmain = -1
    e.nm = 2
    init_m(&e.ms[0])
    init_m(&e.ms[1])
    e.n_threads += 1
    for p in range(e.nprocs - 1, 0, -1):        # procresize: P1 is popped first
        e.q.status[p] = P_IDLE
        e.ps[p].in_pidle = 1
        e.pidle[e.npidle] = p
        e.npidle += 1
    if acquirep(e, 0, 0) < 0:
        return -1
    if newg(e, -1, 0, 0, &gmain) < 0:
        return -1
    if runqput(&e.q, 0, gmain, True) == RQ_NOMEM:
        return nomem(e)
    # runtime.main starts sysmon on a new M without a P (§4.5, §5.5).
    e.n_threads += 1
    log_ev(e, EV_THREAD_CREATE, 1, -1, -1, -1)
    if sysmon_schedule(e, SYSMON_MIN_DELAY, True) < 0:
        return -1
    return schedule(e, 0)


cdef inline bint finished(Engine* e) noexcept nogil:
    if e.until_all:
        return e.live == 0
    return e.main_done


cdef int dispatch(Engine* e, int32_t m) noexcept nogil:
    cdef MRec* mm = &e.ms[m]
    cdef int32_t p
    cdef int phase = mm.phase
    if phase == PH_RUN:
        return run_g(e, m)
    elif phase == PH_EXECUTE:
        return execute(e, m, mm.nextg, mm.next_inherit)
    elif phase == PH_SCHEDULE:
        return schedule(e, m)
    elif phase == PH_STEAL:
        return find_after_spin(e, m)
    elif phase == PH_BACKOFF:
        return steal_work_continue(e, m)
    elif phase == PH_START:
        p = mm.nextp
        mm.nextp = -1
        if acquirep(e, m, p) < 0:
            return -1
        return schedule(e, m)
    elif phase == PH_SYSCALL:
        return exitsyscall(e, m)
    elif phase == PH_NETPOLL:
        return netpoll_return(e, m)
    return 0


# ================================================================ schedule (§3.1, §3.2)

cdef int schedule(Engine* e, int32_t m) noexcept nogil:
    if e.ms[m].spinning and not runqempty(&e.q, e.ms[m].p):
        return fail(e, ERR_ASSERT, "schedule: spinning with local work")
    return find_runnable(e, m)


cdef int found(Engine* e, int32_t m, gid_t g, bint inherit) noexcept nogil:
    """findRunnable returned g: resetspinning, then execute after the switch cost."""
    if e.ms[m].spinning and reset_spinning(e, m) < 0:
        return -1
    e.ms[m].nextg = g
    e.ms[m].next_inherit = inherit
    prefetch(&e.g.a[g])                          # execute touches it next; long queues evict it
    return resume(e, m, e.now + e.c.schedule, PH_EXECUTE)


cdef int find_runnable(Engine* e, int32_t m) noexcept nogil:
    cdef MRec* mm = &e.ms[m]
    cdef int32_t p = mm.p
    cdef gid_t g = NIL_G
    cdef bint inherit = False
    cdef int64_t n, search
    # 3. This P's expired timers (they ready Gs into our runnext).
    if e.ps[p].timers.n and check_timers(e, m, p, p) < 0:
        return -1
    # 6. Fairness: every 61st schedtick, one G from the global queue.
    if e.ps[p].schedtick % GLOBAL_CHECK_PERIOD == 0 and e.q.globrunq.size:
        if eng_globrunqget(e, p, 1, &g) < 0:
            return -1
        return found(e, m, g, False)
    # 8. Local run queue.
    g = runqget(&e.q, p, &inherit)
    if g != NIL_G:
        return found(e, m, g, inherit)
    # 9. Global run queue, a batch.
    if e.q.globrunq.size:
        if eng_globrunqget(e, p, 0, &g) < 0:
            return -1
        return found(e, m, g, False)
    # 10. Non-blocking netpoll (paid for even when nothing is ready).
    if e.netpoll_inited and e.io_waiters and e.lastpoll != 0:
        n = netpoll(e, m)
        if n:
            log_ev(e, EV_NETPOLL, m, p, -1, n)
            g = e.ready_buf[0]
            if injectglist(e, e.ready_buf + 1, n - 1, m) < 0:
                return -1
            return found(e, m, g, False)
    # 11. Steal, if allowed to spin; the search takes time.
    if mm.spinning or 2 * e.nmspinning < e.nprocs - e.npidle:
        if not mm.spinning:
            become_spinning(e, m)
        search = e.c.steal_attempt * (e.nprocs - 1)
        return resume(e, m, e.now + search, PH_STEAL)
    return drop_p(e, m)


cdef int find_after_spin(Engine* e, int32_t m) noexcept nogil:
    cdef MRec* mm = &e.ms[m]
    mm.st_pass = 0
    mm.st_enum_valid = 0
    mm.st_poll_until = 0
    mm.st_ran_timer = 0
    mm.st_timers_at = -1
    mm.st_bo_g = -1
    return steal_work_continue(e, m)


cdef int steal_work_continue(Engine* e, int32_t m) noexcept nogil:
    """stealWork (§3.3): 4 passes in random order; timers and runnext on the last."""
    cdef MRec* mm = &e.ms[m]
    cdef int32_t p = mm.p, victim
    cdef uint32_t r, n = <uint32_t>e.nprocs
    cdef bint last, inherit = False
    cdef int64_t ran, w
    cdef gid_t g = NIL_G, backed_off
    cdef uint32_t before
    cdef int rc
    while mm.st_pass < 4:
        last = mm.st_pass == 3
        if not mm.st_enum_valid:
            r = rand32(e)
            mm.st_pos = r % n
            mm.st_inc = e.order.coprimes[(r // n) % e.order.ncoprimes]
            mm.st_i = 0
            mm.st_enum_valid = 1
        while mm.st_i < n:
            victim = <int32_t>mm.st_pos
            if victim != p:
                if last and e.ps[victim].timers.n and mm.st_timers_at != <int32_t>mm.st_i:
                    mm.st_timers_at = <int32_t>mm.st_i     # not again after a back-off
                    ran = check_timers(e, m, victim, p)
                    if ran < 0:
                        return -1
                    if ran:
                        g = runqget(&e.q, p, &inherit)
                        if g != NIL_G:
                            return found(e, m, g, inherit)
                        mm.st_ran_timer = 1
                    if e.ps[victim].timers.n:
                        w = e.ps[victim].timers.a[0].when
                        if mm.st_poll_until == 0 or w < mm.st_poll_until:
                            mm.st_poll_until = w
                # The back-off is for this victim only (we resume at it).
                backed_off = mm.st_bo_g
                mm.st_bo_g = -1
                if not e.ps[victim].in_pidle:
                    if backed_off >= 0 and e.q.runnext[victim] == backed_off:
                        # After usleep(3) runqgrab's CAS on runnext succeeds:
                        # the thief takes it even if the ring refilled (§2.7).
                        e.q.runnext[victim] = NIL_G
                        return stolen(e, m, victim, backed_off, e.q.runqtail[p])
                    # runqgrab's back-off before taking a running P's runnext.
                    if (last and runqsize(&e.q, victim) == 0
                            and e.q.runnext[victim] != NIL_G
                            and e.q.status[victim] == P_RUNNING):
                        mm.st_bo_g = e.q.runnext[victim]
                        return resume(e, m, e.now + usleep_ns(e, RUNNEXT_BACKOFF), PH_BACKOFF)
                    before = e.q.runqtail[p]
                    rc = runqsteal(&e.q, p, victim, last, &g)
                    if rc == RQ_OVERFLOW:
                        return fail(e, ERR_THROW, "runqsteal: runq overflow")
                    if g != NIL_G:
                        return stolen(e, m, victim, g, before)
            mm.st_pos = (mm.st_pos + mm.st_inc) % n
            mm.st_i += 1
        mm.st_pass += 1
        mm.st_enum_valid = 0
        mm.st_timers_at = -1
    if mm.st_ran_timer:
        return find_runnable(e, m)             # newWork: start over (§3.2 step 11)
    mm.poll_until = mm.st_poll_until
    return drop_p(e, m)


cdef inline void count_steal(GRec* rec) noexcept nogil:
    if rec.steals < COUNTER_MAX_C:               # saturates (results.G_DTYPE)
        rec.steals += 1


cdef int stolen(Engine* e, int32_t m, int32_t victim, gid_t g, uint32_t before) noexcept nogil:
    """A steal succeeded: g runs now; ring slots [before, runqtail) of the
    thief's ring are the other Gs it took (reference stolen())."""
    cdef int32_t p = e.ms[m].p
    cdef gid_t* ring = ring_of(&e.q, p)
    cdef uint32_t i, moved = e.q.runqtail[p] - before     # counters wrap (§2)
    count_steal(&e.g.a[g])
    for i in range(moved):
        count_steal(&e.g.a[ring[(before + i) & RUNQ_MASK]])
    e.ps[p].steals += 1
    e.n_steals += 1
    log_ev(e, EV_STEAL, m, p, g, victim)
    return found(e, m, g, False)


cdef int drop_p(Engine* e, int32_t m) noexcept nogil:
    """§3.2 steps 14-17: give up the P, re-check, poll the network, or stop."""
    cdef MRec* mm = &e.ms[m]
    cdef int32_t p = mm.p, p2, p3, i
    cdef int64_t poll_until = mm.poll_until, w
    cdef bint was_spinning
    cdef gid_t g = NIL_G
    mm.poll_until = 0
    if e.ps[p].timers.n and (poll_until == 0 or e.ps[p].timers.a[0].when < poll_until):
        poll_until = e.ps[p].timers.a[0].when
    if e.q.globrunq.size:
        if eng_globrunqget(e, p, 0, &g) < 0:
            return -1
        return found(e, m, g, False)
    if not mm.spinning and e.needspinning == 1:
        become_spinning(e, m)
        return find_runnable(e, m)
    if releasep(e, m, &p) < 0:
        return -1
    if pidleput(e, p) < 0:
        return -1
    was_spinning = mm.spinning
    if mm.spinning:
        # The delicate dance: stop spinning first, then re-check everything.
        mm.spinning = 0
        e.nmspinning -= 1
        if e.nmspinning < 0:
            return fail(e, ERR_ASSERT, "findRunnable: negative nmspinning")
        log_ev(e, EV_SPIN, m, p, -1, 0)
        if e.q.globrunq.size:
            p2 = pidlegetSpinning(e)
            if p2 >= 0:
                if acquirep(e, m, p2) < 0:
                    return -1
                become_spinning(e, m)
                if eng_globrunqget(e, p2, 0, &g) < 0:
                    return -1
                return found(e, m, g, False)
        for i in range(e.nprocs):
            if not e.ps[i].in_pidle and not runqempty(&e.q, i):
                p3 = pidlegetSpinning(e)
                if p3 >= 0:
                    if acquirep(e, m, p3) < 0:
                        return -1
                    become_spinning(e, m)
                    return find_runnable(e, m)
                break
        poll_until = 0
        for i in range(e.nprocs):
            if e.ps[i].timers.n:
                w = e.ps[i].timers.a[0].when
                if poll_until == 0 or w < poll_until:
                    poll_until = w
    # 16. Block in netpoll until I/O or the earliest timer.
    if e.netpoll_inited and (e.io_waiters or poll_until) and e.lastpoll != 0:
        e.lastpoll = 0
        e.poll_until = poll_until
        e.poller = m
        mm.was_spinning = was_spinning
        mm.phase = PH_NETPOLL
        mm.gen += 1
        mm.debt = 0
        if e.io_ready.size:
            return resume(e, m, e.now, PH_NETPOLL)
        elif poll_until:
            # epoll_wait takes whole milliseconds: under 1 ms waits 1 ms,
            # longer delays are rounded down; an early wake polls again.
            w = poll_until - e.now if poll_until > e.now else 0
            if w:
                w = NETPOLL_RESOLUTION if w < NETPOLL_RESOLUTION else w - w % NETPOLL_RESOLUTION
            return push(e, e.now + w, E_M, m, mm.gen)
        return 0
    if poll_until and e.lastpoll == 0 and (e.poll_until == 0 or poll_until < e.poll_until):
        if netpoll_break(e) < 0:
            return -1
    return stopm(e, m)


cdef int netpoll_return(Engine* e, int32_t m) noexcept nogil:
    """The blocked netpoll returned (I/O, timeout or break)."""
    cdef int64_t n
    cdef int32_t p
    e.poller = -1
    e.poll_until = 0
    e.lastpoll = e.now
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


# ================================================================ running Gs

cdef int execute(Engine* e, int32_t m, gid_t g, bint inherit) noexcept nogil:
    """execute (§3.4): a new time slice unless inheritTime."""
    cdef MRec* mm = &e.ms[m]
    cdef int32_t p = mm.p
    cdef GRec* rec = &e.g.a[g]
    cdef int64_t now = e.now
    cdef uint8_t flags = rec.flags
    mm.nextg = -1
    mm.curg = g
    rec.status = G_RUNNING
    rec.runnable_ns += now
    # /sched/latencies (casgstatus): the time runnable, every time (Go samples 1 in 8).
    e.lat_counts[lat_index(now - e.g.since[g])] += 1
    e.lat_sum += now - e.g.since[g]
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
    cdef int64_t op, a, b, c, d = 0
    cdef int64_t* slot
    # Only OP_GO can grow (move) the G table, and it returns at once.
    cdef GRec* rec = &e.g.a[g]
    cdef int budget = ZERO_TIME_BUDGET
    while True:
        if rec.flags & GF_PREEMPT:
            return gopreempt(e, m, g, e.c.gosched)  # a safe point: gopreempt_m
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
            if newproc(e, p, g, a) < 0:
                return -1
            return resume(e, m, e.now + e.c.newproc, PH_RUN)
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
            return gosched(e, m, g, STOP_GOSCHED, e.c.gosched)
        if op == OP_SEND:
            return chansend(e, m, g, &e.chans[a])
        if op == OP_RECV:
            return chanrecv(e, m, g, &e.chans[a])
        if op == OP_WG_ADD:
            return wg_add(e, m, g, &e.wgs[a], b)
        if op == OP_WG_WAIT:
            if e.wgs[a].counter == 0:
                return resume(e, m, e.now + e.c.wg_op, PH_RUN)
            if gq_push_back(&e.wgs[a].waiters, g) < 0:
                return nomem(e)
            return park(e, m, g, WAIT_WAITGROUP, e.c.wg_op)
        if op == OP_SLEEP:
            if sample(e, a, &d) < 0:
                return -1
            if d <= 0:                              # timeSleep returns at once
                continue
            if add_timer(e, p, e.now + d, g) < 0:
                return -1
            return park(e, m, g, WAIT_SLEEP, e.c.timer_add)
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
        e.err_arg = op
        return fail(e, ERR_OPCODE, NULL)


cdef int newproc(Engine* e, int32_t p, gid_t parent, int64_t program) noexcept nogil:
    """newproc (§5.1): the new G takes runnext; wakep."""
    cdef int32_t g = NIL_G
    if newg(e, parent, program, p, &g) < 0:
        return -1
    if eng_runqput(e, p, g, True) < 0:
        return -1
    return wakep(e)


cdef int goexit(Engine* e, int32_t m, gid_t g) noexcept nogil:
    """goexit0 (§5.2)."""
    cdef GRec* rec = &e.g.a[g]
    dropg(e, m, g, STOP_EXIT)
    rec.status = G_DEAD                      # gfput: when recycling, newg may reuse the row
    rec.rem = e.now                          # finished
    e.n_dead += 1
    e.stack_inuse -= rec.stack
    if e.g.loops != NULL and e.g.loops[g] >= 0:
        loops_free(e, e.g.loops[g])
        e.g.loops[g] = -1
    e.live -= 1
    if g == 0:
        e.main_done = True
        e.makespan = e.now
    return resume(e, m, e.now + e.c.goexit, PH_SCHEDULE)


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


# ================================================================ channels, WaitGroups

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


# ================================================================ system calls (§4.1-§4.3)

cdef int entersyscall(Engine* e, int32_t m, gid_t g, int64_t duration, bint blocking) noexcept nogil:
    """entersyscall (§4.1), or entersyscallblock (§4.2) for a known-blocking call."""
    cdef MRec* mm = &e.ms[m]
    cdef int32_t p = mm.p
    dropg(e, m, g, STOP_SYSCALL)
    mm.curg = g
    e.g.a[g].status = G_SYSCALL
    e.n_syscalls += 1
    log_ev(e, EV_SYSCALL_ENTER, m, p, g, -1)
    mm.syscalltick = e.ps[p].syscalltick
    if blocking:
        e.ps[p].syscalltick += 1
        if releasep(e, m, &p) < 0:
            return -1
        if handoffp(e, p) < 0:
            return -1
    else:
        if e.sm_wait and sysmon_wake(e) < 0:      # only the plain entersyscall wakes it
            return -1
        e.ps[p].m = -1
        mm.oldp = p
        mm.p = -1
        e.q.status[p] = P_SYSCALL
    return resume(e, m, e.now + e.c.syscall_enter + duration, PH_SYSCALL)


cdef int exitsyscall(Engine* e, int32_t m) noexcept nogil:
    cdef MRec* mm = &e.ms[m]
    cdef gid_t g = mm.curg
    cdef int32_t oldp = mm.oldp, p
    cdef int64_t how
    mm.oldp = -1
    if oldp >= 0 and e.q.status[oldp] == P_SYSCALL:
        # Fast path: our P is still ours (§4.3 step 2b).
        e.q.status[oldp] = P_IDLE
        if acquirep(e, m, oldp) < 0:
            return -1
        if mm.syscalltick != e.ps[oldp].syscalltick:
            e.ps[oldp].syscalltick += 1
        how = 0
    else:
        p = pidleget(e)
        if p >= 0:
            if e.sm_wait and sysmon_wake(e) < 0:
                return -1
            if acquirep(e, m, p) < 0:
                return -1
            how = 1
        else:
            return exitsyscall0(e, m, g)
    e.ps[mm.p].syscalltick += 1
    e.g.a[g].status = G_RUNNING
    mm.run_start = e.now
    log_ev(e, EV_SYSCALL_EXIT, m, mm.p, g, how)
    return resume(e, m, e.now + e.c.syscall_exit, PH_RUN)


cdef int exitsyscall0(Engine* e, int32_t m, gid_t g) noexcept nogil:
    """The slow path: no P; the G goes to the global queue, the M stops."""
    cdef MRec* mm = &e.ms[m]
    cdef int32_t p
    e.g.a[g].status = G_RUNNABLE
    mm.curg = -1
    e.g.a[g].runnable_ns -= e.now
    e.g.since[g] = e.now
    e.g.a[g].flags |= GF_SLOWSYSCALL
    log_ev(e, EV_SYSCALL_EXIT, m, -1, g, 2)
    p = pidleget(e)
    if p < 0:
        if globrunqput(&e.q, g) < 0:
            return nomem(e)
    elif e.sm_wait:
        if sysmon_wake(e) < 0:
            return -1
    if p >= 0:
        if acquirep(e, m, p) < 0:
            return -1
        mm.nextg = g
        mm.next_inherit = 0
        return resume(e, m, e.now + e.c.syscall_exit_slow, PH_EXECUTE)
    return stopm(e, m)


# ================================================================ sysmon (§4.5, §4.6)

cdef inline int64_t usleep_ns(Engine* e, int64_t d) noexcept nogil:
    """How long the runtime's usleep(d) really sleeps: d plus the timer
    slack measured as sysmon_tick - 20 us (docs/cost-model.md)."""
    cdef int64_t slack = e.c.sysmon_tick - SYSMON_MIN_DELAY
    return d + (slack if slack > 0 else 0)


cdef int sysmon_schedule(Engine* e, int64_t delay, bint slack) noexcept nogil:
    e.sm_gen += 1
    return push(e, e.now + (usleep_ns(e, delay) if slack else delay), E_SYSMON, -1, e.sm_gen)


cdef int sysmon_wake(Engine* e) noexcept nogil:
    """entersyscall/exitsyscall wake a deep-sleeping sysmon."""
    e.sm_wait = False
    e.sm_woken = True
    e.sm_idle = 0
    e.sm_delay = SYSMON_MIN_DELAY
    return sysmon_schedule(e, 0, False)


cdef int sysmon_loop(Engine* e) noexcept nogil:
    cdef int64_t nxt = -1, w, sleep, n, ret
    cdef int32_t i
    # Woken from its deep sleep, sysmon finishes that loop iteration
    # rather than checking for idleness again (§4.5 step 2).
    cdef bint from_deep_sleep = e.sm_wait or e.sm_woken
    e.sm_woken = False
    e.sm_wait = False
    if e.schedtrace_ns <= 0 and e.npidle == e.nprocs and not from_deep_sleep:
        # Deep sleep until the next timer (or 60 s) unless woken (§4.5 step 2).
        for i in range(e.nprocs):
            if e.ps[i].timers.n:
                w = e.ps[i].timers.a[0].when
                if nxt < 0 or w < nxt:
                    nxt = w
        if nxt < 0 or nxt > e.now:
            if nxt < 0:
                sleep = SYSMON_DEEP_SLEEP
            else:
                sleep = nxt - e.now if nxt - e.now < SYSMON_DEEP_SLEEP else SYSMON_DEEP_SLEEP
            e.sm_wait = True
            return sysmon_schedule(e, sleep, False)
    if e.netpoll_inited and e.lastpoll != 0 and e.lastpoll + SYSMON_NETPOLL_PERIOD < e.now:
        e.lastpoll = e.now
        n = netpoll(e, 1)
        e.ms[1].debt = 0                        # sysmon's own time is not modelled
        if n:
            log_ev(e, EV_NETPOLL, 1, -1, -1, n)
            if injectglist(e, e.ready_buf, n, -1) < 0:
                return -1
    ret = retake(e)
    if ret < 0:
        return -1
    if ret:
        e.sm_idle = 0
    else:
        e.sm_idle += 1
    if e.schedtrace_ns > 0 and (e.sm_lasttrace < 0
                                or e.sm_lasttrace + e.schedtrace_ns <= e.now):
        if e.sm_lasttrace < 0:
            e.sm_starttime = e.now              # so the first line reads SCHED 0ms
        e.sm_lasttrace = e.now
        if (call_owner(e, OWNER_TRACE) if e.trace_py else schedtrace_snap(e)) < 0:
            return -1
    if e.sm_idle == 0:
        e.sm_delay = SYSMON_MIN_DELAY
    elif e.sm_idle > SYSMON_IDLE_CYCLES:
        e.sm_delay *= 2
    if e.sm_delay > SYSMON_MAX_DELAY:
        e.sm_delay = SYSMON_MAX_DELAY
    return sysmon_schedule(e, e.sm_delay, True)


cdef int64_t retake(Engine* e) noexcept nogil:
    """retake (§4.6): preempt long-running Gs, retake Ps from syscalls.

    Returns how many Ps were retaken, or -1 on error."""
    cdef int64_t n = 0
    cdef int32_t i
    cdef PRec* pp
    cdef bint sysretake
    cdef uint8_t st
    for i in range(e.nprocs):
        pp = &e.ps[i]
        sysretake = False
        st = e.q.status[i]
        if st == P_RUNNING or st == P_SYSCALL:
            if pp.sm_schedtick != pp.schedtick:
                pp.sm_schedtick = pp.schedtick
                pp.sm_schedwhen = e.now
            elif pp.sm_schedwhen + FORCE_PREEMPT_NS <= e.now:
                if preemptone(e, i) < 0:
                    return -1
                sysretake = True
        if e.q.status[i] == P_SYSCALL:
            if not sysretake and pp.sm_syscalltick != pp.syscalltick:
                pp.sm_syscalltick = pp.syscalltick
                pp.sm_syscallwhen = e.now
                continue
            if (runqempty(&e.q, i) and e.nmspinning + e.npidle > 0
                    and pp.sm_syscallwhen + RETAKE_SYSCALL_NS > e.now):
                continue
            e.q.status[i] = P_IDLE
            n += 1
            pp.syscalltick += 1
            if handoffp(e, i) < 0:
                return -1
    return n


cdef int preemptone(Engine* e, int32_t p) noexcept nogil:
    """preemptone (§4.7): ask the P's G to stop; signal it if async is on."""
    cdef int32_t m = e.ps[p].m
    cdef gid_t g
    if m < 0 or e.ms[m].curg < 0:
        return 0
    g = e.ms[m].curg
    e.g.a[g].flags |= GF_PREEMPT
    log_ev(e, EV_PREEMPT, m, p, g, e.async_preempt)
    if ((e.g.a[g].flags & GF_INBURST) and e.g.a[g].rem > e.now          # burst_end > now
            and (e.g.a[g].flags & GF_PREEMPTIBLE or e.async_preempt)):
        # At its next function call, or at once by SIGURG; either way the
        # G's work stops now and its M pays the cost (gopreempt).
        return push(e, e.now, E_PREEMPT, m, e.ms[m].gen)
    return 0


cdef int async_preempt_arrives(Engine* e, int32_t m, int64_t gen) noexcept nogil:
    """The preemption takes effect if the same CPU burst is still running."""
    cdef MRec* mm = &e.ms[m]
    cdef gid_t g = mm.curg
    if gen != mm.gen or g < 0 or not (e.g.a[g].flags & GF_PREEMPT) or mm.phase != PH_RUN:
        return 0
    if not (e.g.a[g].flags & GF_INBURST) or e.g.a[g].rem <= e.now:   # burst_end <= now
        return 0
    e.g.a[g].rem = e.g.a[g].rem - e.now             # remaining = burst_end - now
    e.g.a[g].flags &= ~GF_INBURST                 # burst_end = -1
    mm.gen += 1                                 # cancel the burst's end
    return gopreempt(e, m, g, e.c.gosched if e.g.a[g].flags & GF_PREEMPTIBLE
                     else e.c.preempt_signal)


# ================================================================ deadlock (§3.12)

cdef int checkdead(Engine* e) noexcept nogil:
    cdef int64_t run = e.nm - e.nmidle - 1          # sysmon is nmsys
    cdef int32_t i
    if run > 0:
        return 0
    if e.until_all and e.live == 0:
        return 0
    if e.g.n - e.n_waiting - e.n_dead > 0:
        return fail(e, ERR_ASSERT, "checkdead: runnable g")
    if e.n_waiting == 0:
        return fail(e, ERR_DEADLOCK, "no goroutines (main called runtime.Goexit) - deadlock!")
    if e.io_waiters:
        return 0
    for i in range(e.nprocs):
        if e.ps[i].timers.n:
            return 0
    return fail(e, ERR_DEADLOCK, "all goroutines are asleep - deadlock!")


# ================================================================ output

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
    cdef int64_t rec = 7 + 2 * <int64_t>e.nprocs
    cdef int64_t* row = append_row(&e.trace, &e.trace_n, &e.trace_cap, rec)
    cdef int32_t i
    if row == NULL:
        return nomem(e)
    row[0] = e.now - e.sm_starttime
    row[1] = e.npidle
    row[2] = e.nm
    row[3] = e.nmspinning
    row[4] = e.needspinning
    row[5] = e.nmidle
    row[6] = <int64_t>e.q.globrunq.size
    for i in range(e.nprocs):
        row[7 + i] = runqsize(&e.q, i)
        row[7 + e.nprocs + i] = e.ps[i].schedtick
    return 0


# ================================================================ checking mode

cdef int chk_put(Engine* e, int64_t g, int kind, int64_t ident) noexcept nogil:
    if g < 0 or g >= e.g.rows:
        return fail(e, ERR_ASSERT, "check: a queue holds an invalid G index")
    if e.where[g] != PL_NOWHERE:
        e.chk_code = CHK_TWICE
        e.chk_g = g
        e.chk_a_kind = e.where[g]
        e.chk_a_id = e.where_id[g]
        e.chk_b_kind = kind
        e.chk_b_id = ident
        return fail(e, ERR_CHECK, NULL)
    e.where[g] = kind
    e.where_id[g] = <int32_t>ident
    return 0


cdef inline int chk_fail(Engine* e, int code, int64_t g) noexcept nogil:
    e.chk_code = code
    e.chk_g = g
    return fail(e, ERR_CHECK, NULL)


cdef int check_invariants(Engine* e) noexcept nogil:
    """Every G is in exactly one place; the scheduler's own assertions hold (§9)."""
    cdef int64_t n = e.g.rows, i, j, io_pending = 0, spinning = 0, waiting = 0, dead = 0, ncap
    cdef int64_t stack = 0
    cdef int32_t p, m, k
    cdef uint32_t h
    cdef int32_t* nw
    cdef int32_t* nwi
    cdef GQueue* gq
    cdef uint8_t st
    cdef bint inw
    if n > e.where_cap:
        ncap = e.where_cap * 2 if e.where_cap else 1024
        while ncap < n:
            ncap *= 2
        nw = <int32_t*>realloc(e.where, <size_t>ncap * sizeof(int32_t))
        if nw == NULL:
            return nomem(e)
        e.where = nw
        nwi = <int32_t*>realloc(e.where_id, <size_t>ncap * sizeof(int32_t))
        if nwi == NULL:
            return nomem(e)
        e.where_id = nwi
        e.where_cap = ncap
    memset(e.where, 0, <size_t>n * sizeof(int32_t))
    for p in range(e.nprocs):
        h = e.q.runqhead[p]
        for k in range(<int32_t>runqsize(&e.q, p)):
            if chk_put(e, ring_of(&e.q, p)[(h + k) & (RUNQ_SIZE - 1)], PL_RUNQ, p) < 0:
                return -1
        if e.q.runnext[p] != NIL_G:
            if chk_put(e, e.q.runnext[p], PL_RUNNEXT, p) < 0:
                return -1
        for j in range(e.ps[p].timers.n):
            if chk_put(e, e.ps[p].timers.a[j].who, PL_TIMER, p) < 0:
                return -1
    for j in range(<int64_t>e.q.globrunq.size):
        if chk_put(e, gq_at(&e.q.globrunq, j), PL_GLOBAL, 0) < 0:
            return -1
    for m in range(e.nm):
        if e.ms[m].curg >= 0 and chk_put(e, e.ms[m].curg, PL_RUNNING, m) < 0:
            return -1
        if e.ms[m].nextg >= 0 and chk_put(e, e.ms[m].nextg, PL_HAND, m) < 0:
            return -1
        if e.ms[m].spinning:
            spinning += 1
            if e.ms[m].p < 0 and e.ms[m].nextp < 0:
                return chk_fail(e, CHK_SPIN_NO_P, -1)
    for i in range(e.nchans):
        gq = &e.chans[i].recvq
        for j in range(<int64_t>gq.size):
            if chk_put(e, gq_at(gq, j), PL_CHAN, 0) < 0:
                return -1
        gq = &e.chans[i].sendq
        for j in range(<int64_t>gq.size):
            if chk_put(e, gq_at(gq, j), PL_CHAN, 0) < 0:
                return -1
    for i in range(e.nwgs):
        gq = &e.wgs[i].waiters
        for j in range(<int64_t>gq.size):
            if chk_put(e, gq_at(gq, j), PL_WG, 0) < 0:
                return -1
    for j in range(<int64_t>e.io_ready.size):
        if chk_put(e, gq_at(&e.io_ready, j), PL_IOREADY, 0) < 0:
            return -1
    for i in range(n):
        if e.g.a[i].status == G_WAITING and e.g.a[i].waitreason == WAIT_IO:
            io_pending += 1
    if io_pending != e.io_waiters:
        return fail(e, ERR_ASSERT, "netpoll waiter count")
    for i in range(n):
        st = e.g.a[i].status
        inw = e.where[i] != PL_NOWHERE
        waiting += st == G_WAITING
        dead += st == G_DEAD
        if st != G_DEAD:
            stack += e.g.a[i].stack
        if st == G_DEAD or (st == G_WAITING and e.g.a[i].waitreason == WAIT_IO and not inw):
            if inw and st == G_DEAD:
                return chk_fail(e, CHK_DEAD_QUEUED, i)
            continue
        if not inw:
            e.err_arg = st
            return chk_fail(e, CHK_NOWHERE, i)
    if e.nmspinning != spinning:
        return chk_fail(e, CHK_NMSPINNING, -1)
    for k in range(e.npidle):
        if e.q.status[e.pidle[k]] != P_IDLE:
            return chk_fail(e, CHK_PIDLE_STATUS, -1)
    for k in range(e.npidle):
        for p in range(k):
            if e.pidle[p] == e.pidle[k]:
                return chk_fail(e, CHK_PIDLE_TWICE, -1)
    for p in range(e.nprocs):
        if e.q.status[p] == P_RUNNING:
            m = e.ps[p].m
            if m < 0 or e.ms[m].p != p:
                return chk_fail(e, CHK_P_NO_M, p)
    # The compiled engine's own bookkeeping (no reference counterpart).
    # Recycling: each reuse took a dead row, so the table holds n_dead - (n - rows) dead Gs.
    if (waiting != e.n_waiting or dead != e.n_dead - (e.g.n - e.g.rows)
            or stack != e.stack_inuse):
        return chk_fail(e, CHK_COUNTS, -1)
    j = 0
    for p in range(e.nprocs):
        j += e.ps[p].in_pidle
    if j != e.npidle:
        return chk_fail(e, CHK_COUNTS, -1)
    return 0


# ================================================================ the event loop

cdef inline int poll_signals(Engine* e) noexcept nogil:
    # Ctrl-C: its KeyboardInterrupt ends the run.
    return call_owner(e, OWNER_SIGNALS)


cdef int call_owner(Engine* e, int what) noexcept nogil:
    # The rare steps that need Python: take the GIL, call the run object (or
    # check for signals); a Python exception ends the run and is re-raised.
    cdef int rc = 0
    with gil:
        try:
            if what == OWNER_SIGNALS:
                PyErr_CheckSignals()
                # A run in another thread never sees SIGINT's KeyboardInterrupt:
                # the main thread's handler sets its token (gmpcore.simulate).
                token = (<_Run>e.owner).cancel
                if token is not None and token.cancelled:
                    raise KeyboardInterrupt("simulation interrupted (Ctrl-C in the main thread)")
            elif what == OWNER_PROGRESS:
                (<_Run>e.owner).progress(e.n_events, e.now)
            elif what == OWNER_TRACE:
                (<_Run>e.owner).trace_py()
            else:
                view = (<_Run>e.owner).view()
                view["time"] = e.snap_time
                (<_Run>e.owner).snapshot = view
        except BaseException as exc:
            (<_Run>e.owner).exc = exc
            rc = -1
    if rc < 0:
        return fail(e, ERR_PYEXC, NULL)
    return 0


cdef int monitor_sample(Engine* e, int64_t t) noexcept nogil:
    # One row of res.monitor (results.MONITOR_FIELDS): the state now, at time t.
    cdef int64_t running = 0, syscall = 0
    cdef int64_t* row = append_row(&e.mon, &e.mon_n, &e.mon_cap, MON_COLS + <int64_t>e.nprocs)
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
    row[1] = e.g.n - e.n_dead
    row[2] = e.g.n - e.n_dead - e.n_waiting - running - syscall
    row[3] = running
    row[4] = <int64_t>e.q.globrunq.size
    row[5] = e.nm
    row[6] = e.nmidle
    row[7] = e.nmspinning
    row[8] = e.npidle
    row[9] = e.stack_inuse
    for i in range(e.nprocs):
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


cdef int run_loop(Engine* e) noexcept nogil:
    """Simulate until main exits (or every G has, with until="all")."""
    cdef Event ev
    cdef int rc
    if start(e) < 0:
        return -1
    if e.err != ERR_NONE:
        return -1
    while not finished(e):
        if heap_size(&e.heap) == 0:
            return fail(e, ERR_ASSERT, "the event heap ran dry")
        if (e.mon_period or e.snap_at >= 0) and observe(e, heap_min_when(&e.heap) - 1, False) < 0:
            return -1
        heap_pop(&e.heap, &ev)
        if not event_live(e, &ev):
            heap_pop_done(&e.heap)                 # cancelled: as if never pushed
            continue
        e.now = ev.when
        e.n_events += 1
        if ev.kind == E_M:
            rc = dispatch(e, ev.who)
        elif ev.kind == E_PREEMPT:
            rc = async_preempt_arrives(e, ev.who, ev.gen)
        elif ev.kind == E_IO:
            rc = io_complete(e, ev.who)
        else:
            rc = sysmon_loop(e)
        heap_pop_done(&e.heap)
        if rc < 0 or e.err != ERR_NONE:
            return -1
        if e.check and check_invariants(e) < 0:
            return -1
        if e.n_events >= e.next_slow:
            # One comparison per event for max_events, Ctrl-C and progress.
            if e.max_events >= 0 and e.n_events >= e.max_events:
                break
            if e.n_events >= e.next_signals:
                e.next_signals = e.n_events + SIGNAL_EVERY
                if poll_signals(e) < 0:
                    return -1
            if e.has_progress and e.n_events >= e.next_progress:
                e.next_progress = e.n_events + e.progress_every
                if call_owner(e, OWNER_PROGRESS) < 0:
                    return -1
            set_next_slow(e)
    return observe(e, e.now, True)


cdef inline void set_next_slow(Engine* e) noexcept nogil:
    # The event count at which run_loop must next look at max_events,
    # signals or progress.
    e.next_slow = e.next_signals
    if e.has_progress and e.next_progress < e.next_slow:
        e.next_slow = e.next_progress
    if e.max_events >= 0 and e.max_events < e.next_slow:
        e.next_slow = e.max_events


# ================================================================ the Python face

#: Bytes per G of the G table (GRec, the rows of results.G_DTYPE), plus 4
#: for loop counters when some program uses ``repeat``.
G_BYTES = sizeof(GRec)

#: The model's constants (_model.pxd), for gmpcore.model.
MODEL = dict(
    FORCE_PREEMPT_NS=FORCE_PREEMPT_NS, SYSMON_MIN_DELAY=SYSMON_MIN_DELAY,
    SYSMON_MAX_DELAY=SYSMON_MAX_DELAY, SYSMON_IDLE_CYCLES=SYSMON_IDLE_CYCLES,
    SYSMON_NETPOLL_PERIOD=SYSMON_NETPOLL_PERIOD, SYSMON_DEEP_SLEEP=SYSMON_DEEP_SLEEP,
    RETAKE_SYSCALL_NS=RETAKE_SYSCALL_NS, RUNNEXT_BACKOFF=RUNNEXT_BACKOFF,
    GLOBAL_CHECK_PERIOD=GLOBAL_CHECK_PERIOD, GOIDCACHE_BATCH=GOIDCACHE_BATCH,
    STACK_MIN=STACK_MIN, NETPOLL_MAX_EVENTS=NETPOLL_MAX_EVENTS,
    NETPOLL_RESOLUTION=NETPOLL_RESOLUTION, ZERO_TIME_BUDGET=ZERO_TIME_BUDGET,
    REUSE_PROBE=REUSE_PROBE,
)

#: The codes _engine.pxd declares that gmpcore.events also defines (a test
#: checks that the two agree).
CODES = dict(
    G_RUNNABLE=G_RUNNABLE, G_RUNNING=G_RUNNING, G_SYSCALL=G_SYSCALL, G_WAITING=G_WAITING,
    G_DEAD=G_DEAD, WAIT_NONE=WAIT_NONE, WAIT_CHAN_RECEIVE=WAIT_CHAN_RECEIVE,
    WAIT_CHAN_SEND=WAIT_CHAN_SEND, WAIT_SLEEP=WAIT_SLEEP, WAIT_IO=WAIT_IO,
    WAIT_WAITGROUP=WAIT_WAITGROUP, EV_CREATE=EV_CREATE, EV_RUN=EV_RUN, EV_STOP=EV_STOP,
    EV_READY=EV_READY, EV_STEAL=EV_STEAL, EV_SPILL=EV_SPILL, EV_SYSCALL_ENTER=EV_SYSCALL_ENTER,
    EV_SYSCALL_EXIT=EV_SYSCALL_EXIT, EV_HANDOFF=EV_HANDOFF, EV_THREAD_CREATE=EV_THREAD_CREATE,
    EV_M_PARK=EV_M_PARK, EV_M_WAKE=EV_M_WAKE, EV_SPIN=EV_SPIN, EV_TIMER=EV_TIMER,
    EV_NETPOLL=EV_NETPOLL, EV_PREEMPT=EV_PREEMPT, EV_IO_READY=EV_IO_READY, EV_WAIT=EV_WAIT,
    STOP_EXIT=STOP_EXIT, STOP_PARK=STOP_PARK, STOP_GOSCHED=STOP_GOSCHED,
    STOP_PREEMPT=STOP_PREEMPT, STOP_SYSCALL=STOP_SYSCALL,
    P_IDLE=P_IDLE, P_RUNNING=P_RUNNING, P_SYSCALL=P_SYSCALL,
)

#: GRec field offsets, for the test that results.G_DTYPE views GRec exactly.
GREC_OFFSETS = dict(
    goid=<Py_ssize_t>&(<GRec*>NULL).goid, parent=<Py_ssize_t>&(<GRec*>NULL).parent,
    program=<Py_ssize_t>&(<GRec*>NULL).pc, stack=<Py_ssize_t>&(<GRec*>NULL).stack,
    preemptions=<Py_ssize_t>&(<GRec*>NULL).preemptions,
    steals=<Py_ssize_t>&(<GRec*>NULL).steals, state=<Py_ssize_t>&(<GRec*>NULL).status,
    wait_reason=<Py_ssize_t>&(<GRec*>NULL).waitreason,
    created=<Py_ssize_t>&(<GRec*>NULL).created, first_run=<Py_ssize_t>&(<GRec*>NULL).first_run,
    finished=<Py_ssize_t>&(<GRec*>NULL).rem, runnable_ns=<Py_ssize_t>&(<GRec*>NULL).runnable_ns,
    running_ns=<Py_ssize_t>&(<GRec*>NULL).running_ns,
)

#: Where each cost lives in the Costs struct: setup() fills it by name, so
#: the struct's field order is free (tests check the names cover
#: costs.FIELDS and the struct holds nothing else).
COST_OFFSETS = dict(
    newproc=<Py_ssize_t>&(<Costs*>NULL).newproc,
    goexit=<Py_ssize_t>&(<Costs*>NULL).goexit,
    schedule=<Py_ssize_t>&(<Costs*>NULL).schedule,
    gosched=<Py_ssize_t>&(<Costs*>NULL).gosched,
    park=<Py_ssize_t>&(<Costs*>NULL).park,
    ready=<Py_ssize_t>&(<Costs*>NULL).ready,
    chan_op=<Py_ssize_t>&(<Costs*>NULL).chan_op,
    wg_op=<Py_ssize_t>&(<Costs*>NULL).wg_op,
    syscall_enter=<Py_ssize_t>&(<Costs*>NULL).syscall_enter,
    syscall_exit=<Py_ssize_t>&(<Costs*>NULL).syscall_exit,
    syscall_exit_slow=<Py_ssize_t>&(<Costs*>NULL).syscall_exit_slow,
    thread_create=<Py_ssize_t>&(<Costs*>NULL).thread_create,
    thread_wake=<Py_ssize_t>&(<Costs*>NULL).thread_wake,
    steal_attempt=<Py_ssize_t>&(<Costs*>NULL).steal_attempt,
    timer_add=<Py_ssize_t>&(<Costs*>NULL).timer_add,
    preempt_signal=<Py_ssize_t>&(<Costs*>NULL).preempt_signal,
    timer_fire=<Py_ssize_t>&(<Costs*>NULL).timer_fire,
    netpoll=<Py_ssize_t>&(<Costs*>NULL).netpoll,
    sysmon_tick=<Py_ssize_t>&(<Costs*>NULL).sysmon_tick,
)
COSTS_BYTES = sizeof(Costs)

_PLACES = {
    PL_RUNQ: "runq of P{}", PL_RUNNEXT: "runnext of P{}", PL_TIMER: "a timer of P{}",
    PL_GLOBAL: "the global queue", PL_RUNNING: "running on M{}", PL_HAND: "in M{}'s hand",
    PL_CHAN: "a channel queue", PL_WG: "a WaitGroup", PL_IOREADY: "the netpoller's ready list",
}

_MAX_INITIAL_G = 1 << 25


def _lat_index(int64_t d):
    """The histogram count `d` ns adds to (_latency.pxd), for tests/test_latency.py."""
    return lat_index(d)


@cython.boundscheck(True)
@cython.wraparound(True)
def estimate_goroutines(compiled):
    """Goroutines the workload creates, from its bytecode: ``GO`` counts
    times enclosing ``repeat`` counts, through the program call graph.

    Returns None when the count is unbounded (a program that starts itself,
    directly or not).  Programs are taken to span from their entry pc to the
    next program's, as Workload.compile lays them out.
    """
    cdef const int64_t[:, ::1] code = np.ascontiguousarray(compiled.code, dtype=np.int64)
    cdef int64_t n = code.shape[0], pc, lo, hi, top, op, a, b, c
    cdef double mult
    cdef int64_t ends[MAX_LOOP_DEPTH + 1]
    cdef double mults[MAX_LOOP_DEPTH + 1]
    entry = [int(x) for x in np.asarray(compiled.entry)]
    nprog = len(entry)
    order = sorted(range(nprog), key=entry.__getitem__)
    direct = {}
    for k in range(nprog):
        prog = order[k]
        lo = entry[prog]
        hi = entry[order[k + 1]] if k + 1 < nprog else n
        calls = {}
        top = 0
        mult = 1.0
        for pc in range(lo, hi):
            while top and pc >= ends[top - 1]:
                top -= 1
                mult = mults[top - 1] if top else 1.0
            op = code[pc, 0]
            a = code[pc, 1]
            b = code[pc, 2]
            c = code[pc, 3]
            if op == OP_LOOP and a > 0 and c > pc and top < MAX_LOOP_DEPTH:
                mult *= <double>a
                ends[top] = c
                mults[top] = mult
                top += 1
            elif op == OP_GO and b > 0 and 0 <= a < nprog:
                calls[a] = calls.get(a, 0.0) + <double>b * mult
        direct[prog] = calls
    memo, active = {}, set()

    def total(prog):                      # Gs started by one run of `prog`
        if prog in memo:
            return memo[prog]
        if prog in active:
            raise RecursionError
        active.add(prog)
        s = 0.0
        for callee, k in direct[prog].items():
            s += k * (1.0 + total(callee))
        active.discard(prog)
        memo[prog] = s
        return s

    try:
        est = 1.0 + total(0)
    except RecursionError:
        return None
    return int(min(est, 2.0**62))


cdef class _Run:
    """One compiled run: owns every buffer the C engine points into."""

    cdef Engine e
    cdef object code, dists, entry, depth     # the workload arrays, kept alive
    cdef object bitgen
    cdef object ms_buf, ps_buf, pidle_buf, midle_buf, chans_buf, wgs_buf
    cdef object log_arr
    cdef object goid_filter_arr          # sorted int64 goids, kept alive for e.goid_filter
    cdef object on_schedtrace
    cdef tuple program_names             # for the deadlock dump
    cdef bint scheddetail
    cdef list py_lines                   # schedtrace text made under the GIL
    cdef public object snapshot          # the view at snapshot_at
    cdef public object progress
    cdef public object cancel            # an object whose .cancelled ends the run, or None
    cdef int stage                       # 0 new, 1 set up, 2 ran: each method needs its stage
    cdef public object exc

    def __cinit__(self):
        memset(&self.e, 0, sizeof(Engine))
        gq_init(&self.e.q.globrunq)
        gq_init(&self.e.io_ready)

    def __dealloc__(self):
        cdef int64_t i
        cdef Engine* e = &self.e
        gq_free(&e.q.globrunq)
        gq_free(&e.io_ready)
        random_order_free(&e.order)
        free(e.heap.b.a)
        free(e.pool.slots)
        free(e.trace)
        free(e.mon)
        free(e.g.a)
        free(e.g.since)
        free(e.g.loops)
        free(e.where)
        free(e.where_id)
        if e.ps != NULL:
            for i in range(e.nprocs):
                free(e.ps[i].timers.a)
        if e.chans != NULL:
            for i in range(e.nchans):
                gq_free(&e.chans[i].recvq)
                gq_free(&e.chans[i].sendq)
        if e.wgs != NULL:
            for i in range(e.nwgs):
                gq_free(&e.wgs[i].waiters)

    cdef need(self, int stage, str what):
        # _Run is built only by run(); a hand-made one must not reach the C code.
        if self.stage != stage:
            raise RuntimeError(f"_Run.{what}: use gmpcore._engine.run() (or gmpcore.simulate); "
                               f"this run object is {('new', 'set up', 'finished')[self.stage]}")

    def observe_options(self, scheddetail, on_schedtrace, int64_t monitor, int64_t max_samples,
                        int64_t snapshot_at, trace_window, trace_goroutines, max_trace_events):
        """The options that watch a run without changing it (simulate checks them)."""
        cdef Engine* e = &self.e
        self.need(1, "observe_options")
        self.scheddetail = scheddetail
        self.on_schedtrace = on_schedtrace
        self.py_lines = []
        e.trace_py = bool(scheddetail) or on_schedtrace is not None
        e.mon_period = monitor
        e.max_samples = max_samples
        e.snap_at = snapshot_at
        e.tw_start, e.tw_end = trace_window if trace_window is not None else (0, TIME_LIMIT)
        e.max_log = -1 if max_trace_events is None else max_trace_events
        if trace_goroutines is not None:
            goids = np.asarray(trace_goroutines, dtype=np.int64)
            self.goid_filter_arr = np.unique(goids) if goids.size else np.zeros(1, np.int64)
            e.goid_filter = <const int64_t*>cnp.PyArray_DATA(self.goid_filter_arr)
            e.goid_filter_n = goids.size and self.goid_filter_arr.shape[0]

    def view(self):
        """The scheduler's state now, as gmpcore.state describes it (reference view())."""
        cdef Engine* e = &self.e
        if self.stage == 0:
            self.need(1, "view")
        if e.g.a == NULL:
            raise RuntimeError("_Run.view: the run's G table went to its result")
        cdef int64_t i, k, sleeping = 0
        cdef int32_t p
        cdef gid_t* ring
        idle = set(e.midle[k] for k in range(e.nmidle))
        ps = []
        for p in range(e.nprocs):
            ring = ring_of(&e.q, p)
            sleeping += e.ps[p].timers.n
            ps.append(dict(id=p, status=e.q.status[p], schedtick=e.ps[p].schedtick,
                           syscalltick=e.ps[p].syscalltick, m=e.ps[p].m,
                           runq=[ring[(e.q.runqhead[p] + k) & RUNQ_MASK]
                                 for k in range(runqsize(&e.q, p))],
                           runnext=-1 if e.q.runnext[p] == NIL_G else e.q.runnext[p],
                           timers=e.ps[p].timers.n, idle=bool(e.ps[p].in_pidle)))
        ms = [dict(id=i, p=e.ms[i].p, curg=e.ms[i].curg, nextp=e.ms[i].nextp,
                   spinning=bool(e.ms[i].spinning), idle=i in idle, poller=e.poller == i,
                   sysmon=i == 1) for i in range(e.nm)]
        gs = self.g_rows(False)
        return dict(
            time=e.now, since_start=e.now - e.sm_starttime, gomaxprocs=e.nprocs,
            npidle=e.npidle, threads=e.nm, nmspinning=e.nmspinning,
            needspinning=e.needspinning, nmidle=e.nmidle, sysmonwait=bool(e.sm_wait),
            global_queue=[gq_at(&e.q.globrunq, k) for k in range(<int64_t>e.q.globrunq.size)],
            ps=ps, ms=ms,
            goid=gs["goid"].astype(np.int64),
            g_status=gs["state"].copy(),
            g_waitreason=gs["wait_reason"].copy(),
            io_waiting=e.io_waiters, sleeping=sleeping)

    def trace_py(self):
        """sysmon prints a schedtrace line (or a scheddetail block) now."""
        if self.stage == 0 or self.py_lines is None:
            raise RuntimeError("_Run.trace_py: use gmpcore._engine.run() (or gmpcore.simulate); "
                               "this run object has no schedtrace options")
        from gmpcore.state import scheddetail, view_line
        view = self.view()
        text = scheddetail(view) if self.scheddetail else view_line(view)
        self.py_lines.append(text)
        if self.on_schedtrace is not None:
            self.on_schedtrace(text)

    cdef object g_rows(self, bint final):
        """The G table as a G_DTYPE array without copying.  `final`: the run
        is over; the array takes the table over (frees it when it dies)."""
        cdef Engine* e = &self.e
        cdef int64_t n = e.g.rows
        cdef cvarray buf
        if final:
            if resize_g(&e.g, n if n else 1) < 0:   # give back the rows never used
                raise MemoryError("cannot shrink the G table")
        buf = <char[:(n if n else 1) * sizeof(GRec)]> <char*> e.g.a
        if final:
            buf.callback_free_data = free
            e.g.a = NULL
        return np.frombuffer(buf, dtype=G_DTYPE, count=n)

    @cython.boundscheck(True)
    @cython.wraparound(True)
    def grow_log(self):
        cdef int64_t cap = max(1024, self.e.log_cap * 2)
        arr = np.empty((cap, LOG_COLS), dtype=np.int64)
        if self.log_arr is not None:
            arr[:self.e.log_n] = self.log_arr[:self.e.log_n]
        self.log_arr = arr
        self.e.log = <int64_t*>cnp.PyArray_DATA(arr)
        self.e.log_cap = cap

    @cython.boundscheck(True)
    @cython.wraparound(True)
    def setup(self, compiled, int gomaxprocs, seed, costs, bint async_preempt, bint runnext,
              int64_t max_threads, int64_t max_stack, until, int64_t schedtrace,
              bint record_events, max_events, bint check, progress, int64_t progress_every,
              bint record_goroutines=True):
        cdef Engine* e = &self.e
        cdef int64_t i, nchans, nwg, est
        cdef const int64_t[::1] caps
        self.need(0, "setup")
        # Only a CompiledWorkload, validated when made (workload._check_compiled:
        # every operand in range), may reach the C code, which trusts it.
        if not isinstance(compiled, CompiledWorkload):
            raise TypeError(f"compiled must be a gmpcore.CompiledWorkload, "
                            f"got {type(compiled).__name__}")
        if not 1 <= gomaxprocs <= 1 << 20:
            raise ValueError(f"gomaxprocs must be in [1, {1 << 20}], got {gomaxprocs}")
        if not STACK_MIN <= max_stack <= 1 << 31:      # GRec.stack is a uint32
            raise ValueError(f"max_stack must be in [{STACK_MIN}, 2**31], got {max_stack}")
        if not 2 <= max_threads <= 1 << 30:
            raise ValueError(f"max_threads must be in [2, 2**30], got {max_threads}")
        if progress is not None and not callable(progress):
            raise TypeError("progress must be callable or None")
        if progress_every < 1:
            raise ValueError(f"progress_every must be >= 1, got {progress_every}")
        if not record_goroutines and record_events:
            raise ValueError("record_events needs record_goroutines=True: the event log names "
                             "Gs by their row in res.goroutines")
        self.code = np.ascontiguousarray(compiled.code, dtype=np.int64)
        self.program_names = tuple(compiled.program_names)
        self.dists = np.ascontiguousarray(compiled.dists, dtype=np.float64).reshape(-1)
        self.entry = np.ascontiguousarray(compiled.entry, dtype=np.int64)
        self.depth = np.ascontiguousarray(compiled.loop_depth, dtype=np.int64)
        e.code = <const int64_t*>cnp.PyArray_DATA(self.code)
        e.n_code = self.code.shape[0]
        e.dists = <const double*>cnp.PyArray_DATA(self.dists)
        e.entry = <const int64_t*>cnp.PyArray_DATA(self.entry)
        e.depth = <const int64_t*>cnp.PyArray_DATA(self.depth)
        e.n_programs = self.entry.shape[0]
        e.nprocs = gomaxprocs
        e.async_preempt = async_preempt
        e.use_runnext = runnext
        e.until_all = until == "all"
        e.record = record_events
        e.check = check
        e.max_threads = max_threads
        e.max_stack = max_stack
        e.schedtrace_ns = schedtrace
        e.max_events = -1 if max_events is None else max_events
        for name, offset in COST_OFFSETS.items():
            (<int64_t*>(<char*>&e.c + <Py_ssize_t>offset))[0] = <int64_t>getattr(costs, name)
        # Randomness: NumPy's PCG64 for durations, cheaprand for the steal order.
        self.bitgen = np.random.PCG64(seed)
        e.rng = <bitgen_t*>PyCapsule_GetPointer(self.bitgen.capsule, "BitGenerator")
        e.cheaprand = int(np.random.SeedSequence(seed).generate_state(1, np.uint64)[0])
        # Queues: RunQueues over NumPy tables, as Sched builds them.
        self.ps_buf = np.zeros(gomaxprocs * sizeof(PRec), dtype=np.uint8)
        e.ps = <PRec*>cnp.PyArray_DATA(self.ps_buf)
        qrunq = np.full(gomaxprocs * RUNQ_SIZE, NIL_G, dtype=np.int32)
        qhead = np.zeros(gomaxprocs, dtype=np.uint32)
        qtail = np.zeros(gomaxprocs, dtype=np.uint32)
        qnext = np.full(gomaxprocs, NIL_G, dtype=np.int32)
        qstatus = np.full(gomaxprocs, P_IDLE, dtype=np.uint8)
        self.pidle_buf = (qrunq, qhead, qtail, qnext, qstatus, np.zeros(gomaxprocs, dtype=np.int32))
        e.q.nprocs = gomaxprocs
        e.q.runq = <gid_t*>cnp.PyArray_DATA(qrunq)
        e.q.runqhead = <uint32_t*>cnp.PyArray_DATA(qhead)
        e.q.runqtail = <uint32_t*>cnp.PyArray_DATA(qtail)
        e.q.runnext = <gid_t*>cnp.PyArray_DATA(qnext)
        e.q.status = <uint8_t*>cnp.PyArray_DATA(qstatus)
        e.q.randomize = False
        e.q.have_sysmon = runnext            # RefSched(..., sysmon=runnext)
        e.pidle = <int32_t*>cnp.PyArray_DATA(self.pidle_buf[5])
        for i in range(gomaxprocs):
            e.ps[i].m = -1
        if random_order_reset(&e.order, <uint32_t>gomaxprocs) < 0:
            raise MemoryError("cannot allocate the steal order")
        # The M table is allocated once for max_threads Ms (pages are touched
        # only as Ms are created), so MRec pointers stay valid for the run.
        self.ms_buf = np.empty(max_threads * sizeof(MRec), dtype=np.uint8)
        self.midle_buf = np.empty(max_threads, dtype=np.int32)
        e.ms = <MRec*>cnp.PyArray_DATA(self.ms_buf)
        e.midle = <int32_t*>cnp.PyArray_DATA(self.midle_buf)
        e.cap_m = <int32_t>max_threads
        # Channels and WaitGroups.
        caps_arr = np.ascontiguousarray(compiled.chan_cap, dtype=np.int64)
        nchans = caps_arr.shape[0]
        nwg = int(compiled.n_waitgroups)
        self.chans_buf = np.zeros(max(nchans, 1) * sizeof(Chan), dtype=np.uint8)
        self.wgs_buf = np.zeros(max(nwg, 1) * sizeof(WaitGroup), dtype=np.uint8)
        e.chans = <Chan*>cnp.PyArray_DATA(self.chans_buf)
        e.wgs = <WaitGroup*>cnp.PyArray_DATA(self.wgs_buf)
        e.nchans = nchans
        e.nwgs = nwg
        if nchans:
            caps = caps_arr
            for i in range(nchans):
                e.chans[i].cap = caps[i]
        # The event heap.
        e.heap.b.a = <Event*>malloc(64 * sizeof(Event))
        if e.heap.b.a == NULL:
            raise MemoryError("cannot allocate the event heap")
        e.heap.b.cap = 64
        # The G table, sized from the bytecode when it says how many Gs run.
        est = estimate_goroutines(compiled) or 1024
        if not record_goroutines:
            est = 1024                  # rows are reused: the table grows with the Gs alive at once
        e.g.recycle = not record_goroutines
        loops = bool(self.depth.shape[0]) and int(np.max(self.depth)) > 0
        e.g.has_loops = loops
        if resize_g(&e.g, max(16, min(est, _MAX_INITIAL_G))) < 0:
            raise MemoryError("cannot allocate the G table")
        for i in range(MAX_LOOP_DEPTH + 1):
            e.pool.free_head[i] = -1
        # Scheduler globals.
        e.lastpoll = 1
        e.poller = -1
        e.makespan = -1
        e.sm_delay = SYSMON_MIN_DELAY
        e.sm_lasttrace = -1
        if record_events:
            self.grow_log()
        self.progress = progress
        e.has_progress = progress is not None
        e.progress_every = progress_every
        e.next_progress = progress_every
        e.next_signals = SIGNAL_EVERY
        set_next_slow(e)
        e.owner = <void*>self
        self.stage = 1

    def go(self):
        cdef int rc
        self.need(1, "go")
        self.stage = 2
        with nogil:
            rc = run_loop(&self.e)
        if rc < 0 or self.e.err != ERR_NONE:
            try:
                self.raise_error()
            except GoFatalError as exc:
                exc.time_ns = self.e.now              # when the program died
                raise

    cdef raise_error(self):
        cdef Engine* e = &self.e
        err = e.err
        msg = e.err_msg.decode() if e.err_msg != NULL else None
        if err == ERR_PYEXC:
            raise self.exc
        if err == ERR_NOMEM:
            raise MemoryError(msg or "out of memory")
        if err == ERR_ASSERT:
            raise AssertionError(msg)
        if err == ERR_DEADLOCK:
            raise Deadlock(msg, self.goroutine_dump() if e.n_waiting else None)
        if err == ERR_THREADS:
            raise ThreadExhaustion(e.max_threads)
        if err == ERR_STACK:
            raise StackOverflow(e.max_stack, e.err_goid)
        if err == ERR_PANIC:
            raise WorkloadPanic(msg, e.err_goid)
        if err == ERR_THROW:
            raise GoThrow(msg)
        if err == ERR_OVERFLOW:
            raise OverflowError(msg)
        if err == ERR_INDEX:
            raise IndexError(msg)
        if err == ERR_OPCODE:
            raise AssertionError(f"unknown opcode {e.err_arg}")
        if err == ERR_CHECK:
            raise AssertionError(self.check_message())
        raise RuntimeError(f"the compiled engine failed (error {err})")

    cdef list goroutine_dump(self):
        """Every live G for Deadlock's message, as RefEngine.checkdead lists them."""
        cdef Engine* e = &self.e
        cdef int64_t i
        cdef GRec* rec
        rows = []
        for i in range(e.g.rows):
            rec = &e.g.a[i]
            if rec.status != G_DEAD:
                rows.append((rec.goid, rec.status, rec.waitreason, e.g.since[i],
                             program_of(e, rec.pc)))
        return goroutine_dump(rows, e.now, self.program_names)

    cdef str check_message(self):
        cdef Engine* e = &self.e
        code = e.chk_code
        if code == CHK_TWICE:
            a = _PLACES[e.chk_a_kind].format(e.chk_a_id)
            b = _PLACES[e.chk_b_kind].format(e.chk_b_id)
            return f"G{e.chk_g} is both {a} and {b}"
        if code == CHK_SPIN_NO_P:
            return "a spinning M holds a P (or is about to)"
        if code == CHK_DEAD_QUEUED:
            return f"dead G{e.chk_g} is queued"
        if code == CHK_NOWHERE:
            return f"G{e.chk_g} (status {e.err_arg}) is nowhere"
        if code == CHK_NMSPINNING:
            return "nmspinning"
        if code == CHK_PIDLE_STATUS:
            return "an idle-list P is not idle"
        if code == CHK_PIDLE_TWICE:
            return "a P is on the idle list twice"
        if code == CHK_P_NO_M:
            return f"P{e.chk_g} running without its M"
        return "compiled engine: G or P bookkeeping counts disagree with the tables"

    @cython.boundscheck(True)
    @cython.wraparound(True)
    def result(self):
        cdef Engine* e = &self.e
        cdef int64_t i, k, rec
        cdef int32_t p, m
        cdef gid_t g
        self.need(2, "result")
        if e.g.a == NULL and not e.g.recycle:
            raise RuntimeError("_Run.result: the result was already taken")
        # Close the intervals still open when the run stopped.
        for m in range(e.nm):
            g = e.ms[m].curg
            if g >= 0 and e.g.a[g].status == G_RUNNING:
                e.g.a[g].running_ns += e.now - e.ms[m].run_start
                e.ps[e.ms[m].p].busy_ns += e.now - e.ms[m].run_start
                e.ms[m].run_start = e.now
        if not e.g.recycle:
            finalize_rows(e)
        for k in range(e.npidle):
            p = e.pidle[k]
            e.ps[p].idle_ns += e.now - e.ps[p].idle_since
            e.ps[p].idle_since = e.now
        gs = None if e.g.recycle else self.g_rows(True)
        procs = np.zeros(e.nprocs, dtype=P_DTYPE)
        for i in range(e.nprocs):
            procs[i] = (i, e.ps[i].busy_ns, e.ps[i].schedtick, e.ps[i].steals, e.ps[i].idle_ns)
        if self.log_arr is not None:
            events = self.log_arr[:e.log_n]
        else:
            events = np.zeros((0, LOG_COLS), dtype=np.int64)
        lines = list(self.py_lines)
        rec = 7 + 2 * <int64_t>e.nprocs
        for i in range(e.trace_n):
            row = [e.trace[i * rec + k] for k in range(rec)]
            lines.append(schedtrace_line(row[0], e.nprocs, *row[1:7], row[7:7 + e.nprocs],
                                         row[7 + e.nprocs:]))
        monitor = None
        if e.mon_n:
            rec = MON_COLS + <int64_t>e.nprocs
            flat = np.array(<int64_t[:e.mon_n * rec]>e.mon).reshape(e.mon_n, rec)
            monitor = np.zeros(e.mon_n, dtype=monitor_dtype(e.nprocs))
            for i, name in enumerate(MONITOR_FIELDS):
                monitor[name[0]] = flat[:, i]
            monitor["local_queues"] = flat[:, MON_COLS:]
        return {
            # until main exits; with until="all", until the last G exits
            "makespan_ns": e.makespan if e.main_done and not e.until_all else e.now,
            "now": e.now,
            "events": events,
            "counters": dict(threads=e.n_threads, steals=e.n_steals, spills=e.n_spills,
                             handoffs=e.n_handoffs, preemptions=e.n_preemptions,
                             syscalls=e.n_syscalls, spinning=e.n_spinning,
                             netpolls=e.n_netpolls, timers=e.n_timers, events=e.n_events,
                             events_dropped=e.n_dropped, goroutines=e.g.n),
            "monitor": monitor,
            "snapshot": self.snapshot,
            "goroutines": gs,
            "procs": procs,
            "schedtrace": lines,
            "sched_latencies": np.array(<uint64_t[:LAT_N_COUNTS]>e.lat_counts, dtype=np.uint64),
            "sched_latency_sum": e.lat_sum,
            "heap_slots": e.heap.b.cap,          # event-heap memory, for tests
        }

    def g_bytes(self):
        """Bytes per G of the G table in this run (the record, its `since`
        stamp, and a loop-counter offset when some program uses ``repeat``)."""
        if self.stage == 0:
            self.need(1, "g_bytes")
        return G_BYTES + 8 + (4 if self.e.g.has_loops else 0)


cdef inline int32_t program_of(Engine* e, int32_t pc) noexcept nogil:
    # Programs are laid out one after another: the last entry <= pc owns pc.
    cdef int64_t lo = 0, hi = e.n_programs - 1, mid
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if e.entry[mid] <= pc:
            lo = mid
        else:
            hi = mid - 1
    return <int32_t>lo


cdef void finalize_rows(Engine* e) noexcept nogil:
    # The run is over: turn each GRec's run-time fields into result fields,
    # in place (see GRec): close open runnable intervals, pc -> program,
    # rem -> finished.
    cdef int64_t i
    cdef GRec* rec
    for i in range(e.g.rows):
        rec = &e.g.a[i]
        if rec.status == G_RUNNABLE:                 # queued, or in an M's hand
            rec.runnable_ns += e.now
        rec.pc = program_of(e, rec.pc)
        if rec.status != G_DEAD:
            rec.rem = -1
        rec.flags = 0
        rec.spare = 0


@cython.boundscheck(True)
@cython.wraparound(True)
def run(compiled, gomaxprocs=1, seed=0, costs=None, async_preempt=True, runnext=True,
        max_threads=10_000, max_stack=1_000_000_000, until="main", schedtrace=0,
        record_events=True, max_events=None, check=False, progress=None,
        progress_every=1_000_000, scheddetail=False, on_schedtrace=None, monitor=0,
        max_samples=1_000_000, snapshot_at=-1, trace_window=None, trace_goroutines=None,
        max_trace_events=None, record_goroutines=True, cancel=None):
    """Run one simulation; returns the dict ``RefEngine.run()`` returns.

    ``goroutines`` and ``procs`` are NumPy structured arrays in
    :data:`gmpcore.results.G_DTYPE` / :data:`~gmpcore.results.P_DTYPE`
    order (``goroutines`` is None with ``record_goroutines=False``: dead
    Gs' rows are then reused).  Arguments are those of :class:`RefEngine`
    (checked by :func:`gmpcore.simulate`), plus ``progress(events, now_ns)``,
    called at most every ``progress_every`` events.  A fatal error carries
    the run so far as ``exc.partial`` (this dict).
    """
    from gmpcore.costs import CostModel
    if costs is None:
        costs = CostModel()
    r = _Run()
    r.setup(compiled, gomaxprocs, seed, costs, async_preempt, runnext, max_threads, max_stack,
            until, schedtrace, record_events, max_events, check, progress, progress_every,
            record_goroutines)
    r.observe_options(scheddetail, on_schedtrace, monitor, max_samples, snapshot_at,
                      trace_window, trace_goroutines, max_trace_events)
    r.cancel = cancel
    try:
        r.go()
    except GoFatalError as exc:
        exc.partial = r.result()                  # the run up to its death
        raise
    return r.result()
