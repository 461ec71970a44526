# The global run queue `sched.runq` (go-scheduler.md §1.5, §2.9): an unbounded
# FIFO of G ids with push at either end and batch moves.
#
# Go links Gs through g.schedlink, which forbids a G being queued twice.  The
# queue core lets callers queue the same id many times (Go's own
# TestSchedLocalQueue does that on the local ring), so the global queue is a
# growable ring buffer of ids instead: 4 bytes per queued G, amortised O(1)
# pushes, and no per-G link word when the queue is empty.
#
# Invariants: `cap` is 0 or a power of two; live entries are
# buf[(head + i) & (cap - 1)] for 0 <= i < size.

from libc.stdint cimport uint64_t
from libc.stdlib cimport free, malloc
from libc.string cimport memcpy

from gmpcore._defs cimport gid_t, NIL_G

cdef struct GQueue:
    gid_t* buf        # ring storage, malloc'd; NULL while cap == 0
    uint64_t cap      # slots in buf (0 or a power of two)
    uint64_t head     # slot of the oldest entry
    uint64_t size     # live entries (Go 1.25's sched.runq.size)


cdef inline void gq_init(GQueue* q) noexcept nogil:
    q.buf = NULL
    q.cap = 0
    q.head = 0
    q.size = 0


cdef inline void gq_free(GQueue* q) noexcept nogil:
    free(q.buf)
    gq_init(q)


cdef inline int gq_reserve(GQueue* q, uint64_t extra) noexcept nogil:
    """Make room for `extra` more entries; 0 on success, -1 if out of memory."""
    cdef uint64_t need = q.size + extra
    cdef uint64_t newcap, first
    cdef gid_t* newbuf
    if need <= q.cap:
        return 0
    newcap = q.cap if q.cap else 64
    while newcap < need:
        newcap <<= 1
    newbuf = <gid_t*>malloc(newcap * sizeof(gid_t))
    if newbuf == NULL:
        return -1
    if q.size:
        # Unwrap the old ring so the live entries start at slot 0.
        first = q.cap - q.head
        if first > q.size:
            first = q.size
        memcpy(newbuf, q.buf + q.head, first * sizeof(gid_t))
        memcpy(newbuf + first, q.buf, (q.size - first) * sizeof(gid_t))
    free(q.buf)
    q.buf = newbuf
    q.cap = newcap
    q.head = 0
    return 0


cdef inline int gq_push_back(GQueue* q, gid_t g) noexcept nogil:
    if q.size == q.cap and gq_reserve(q, 1) < 0:
        return -1
    q.buf[(q.head + q.size) & (q.cap - 1)] = g
    q.size += 1
    return 0


cdef inline int gq_push_front(GQueue* q, gid_t g) noexcept nogil:
    if q.size == q.cap and gq_reserve(q, 1) < 0:
        return -1
    q.head = (q.head - 1) & (q.cap - 1)
    q.buf[q.head] = g
    q.size += 1
    return 0


cdef inline gid_t gq_pop_front(GQueue* q) noexcept nogil:
    cdef gid_t g
    if q.size == 0:
        return NIL_G
    g = q.buf[q.head]
    q.head = (q.head + 1) & (q.cap - 1)
    q.size -= 1
    return g


cdef inline gid_t gq_at(const GQueue* q, uint64_t i) noexcept nogil:
    """The i-th entry from the head (caller guarantees i < size)."""
    return q.buf[(q.head + i) & (q.cap - 1)]
