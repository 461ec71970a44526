# The event heap (docs/simulator-design.md §2): what happens next, in
# (when, seq) order.  Reference: gmpcore/reference/heap.py.
#
# Contract: push() is the only way in; run_loop pops with heap_pop /
# heap_pop_done.  An E_M or E_PREEMPT event is live only while its gen
# equals its M's gen, an E_SYSMON event while its gen is sysmon's
# (lazy cancellation: event_live); cancelled events are dropped by
# compact_events before the binary heap grows, and never dispatched or
# counted.  The binary-heap helpers (bheap_*) also order each P's timers.


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
    if ev.kind == E_CPU:
        return ev.gen == e.cl.gen[ev.who]
    if ev.kind == E_THROTTLE:
        return ev.gen == e.cl.q_tgen
    if ev.kind == E_PERIOD:
        return ev.gen == e.cl.q_pgen
    return True                                  # E_IO, E_QUOTA


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
