# Go's run-queue algorithms (go-scheduler.md §2) over flat tables.
#
# The tables are NumPy arrays owned by a Python object (Sched, later the
# simulator); RunQueues holds raw pointers into them so the hot paths below
# are plain C: no GIL, no Python objects, no bounds checks.  Callers validate
# P indices once at the Python boundary.
#
# These are the atomic forms used by a discrete-event simulation: every
# load/CAS sequence of the runtime collapses into one step (§0).  The same
# algorithms split into their individual loads, CASes and stores live in
# _sched.pyx (class Op), for tests that interleave owners and thieves.
#
# Invariants, per P `p`:
#   * ring slots are runq[p*RUNQ_SIZE + (i & RUNQ_MASK)] for runqhead[p] <= i < runqtail[p];
#   * runqtail[p] - runqhead[p] (uint32 arithmetic) is the ring size, 0..cap (<= RUNQ_SIZE);
#   * runnext[p] is NIL_G or one G, not counted in the ring size;
#   * only the owner writes runqtail[p] and sets runnext[p] to a non-nil G;
#     anyone may advance runqhead[p] or clear runnext[p] (§1.4).
#
# The inline bodies live in this .pxd, not a .pyx, because Cython can only
# inline a function across modules when its body is in the .pxd.

from libc.stdint cimport int32_t, uint8_t, uint32_t, uint64_t

from gmpcore._defs cimport gid_t, NIL_G, RUNQ_SIZE, RUNQ_MASK, RUNQ_HALF, P_RUNNING
from gmpcore._gqueue cimport (GQueue, gq_reserve, gq_push_back, gq_push_front,
                              gq_pop_front)
from gmpcore._rand cimport cheaprandn

# Return codes of the operations that can fail.
cdef enum:
    RQ_OK = 0
    RQ_SPILLED = 1        # runqput moved half the ring to the global queue
    RQ_NOMEM = -1         # the global queue could not grow
    RQ_OVERFLOW = -2      # Go throws "runqsteal: runq overflow"; nothing was changed
    RQ_CORRUPT = -3       # Go throws "runqputslow: queue is not full"; nothing was changed

# Steal rules (Policy.steal): how many of a victim's n ring Gs a thief takes.
cdef enum:
    STEAL_HALF = 0        # Go: n - n/2
    STEAL_HALF_DOWN = 1   # n/2
    STEAL_ONE = 2         # min(n, 1)
    STEAL_ALL = 3         # n

cdef struct RunQueues:
    int32_t nprocs        # len(allp); also gomaxprocs for the global batch size
    uint32_t cap          # the ring's capacity, 1..RUNQ_SIZE (Policy.runq_size)
    uint8_t steal_rule    # STEAL_*
    gid_t* runq           # nprocs * RUNQ_SIZE ring slots, P-major
    uint32_t* runqhead    # per P: free-running consumer counter
    uint32_t* runqtail    # per P: free-running producer counter (owner only)
    gid_t* runnext        # per P: the runnext slot, NIL_G when empty
    uint8_t* status       # per P: PStatus (only _Prunning matters here, §2.7)
    GQueue globrunq       # sched.runq
    uint64_t rand         # cheaprand state (wyrand), seeded by the owner
    bint randomize        # race-detector randomization (§2.1 step 2, §2.2 step 4, §2.3)
    bint have_sysmon      # without sysmon runqput never uses runnext (§2.1 step 1)


cdef inline gid_t* ring_of(RunQueues* q, int32_t p) noexcept nogil:
    return q.runq + <Py_ssize_t>p * RUNQ_SIZE


cdef inline uint32_t runqsize(RunQueues* q, int32_t p) noexcept nogil:
    # Ring only; runnext is not counted (schedtrace prints exactly this, §6.3).
    return q.runqtail[p] - q.runqhead[p]


cdef inline bint runqempty(RunQueues* q, int32_t p) noexcept nogil:
    # §2.5.  In one atomic step the tail double-read cannot disagree.
    return q.runqhead[p] == q.runqtail[p] and q.runnext[p] == NIL_G


cdef inline void shuffle_batch(RunQueues* q, gid_t* batch, uint32_t n) noexcept nogil:
    # Race-mode shuffle of runqputslow (§2.2 step 4): Fisher-Yates from index 1.
    cdef uint32_t i, j
    cdef gid_t tmp
    for i in range(1, n):
        j = cheaprandn(&q.rand, i + 1)
        tmp = batch[i]
        batch[i] = batch[j]
        batch[j] = tmp


cdef inline int runqputslow(RunQueues* q, int32_t p, gid_t g, uint32_t h, uint32_t t) noexcept nogil:
    # §2.2 (proc.go runqputslow): the 128 oldest Gs plus g go to the global tail.
    cdef gid_t batch[RUNQ_HALF + 1]
    cdef gid_t* ring = ring_of(q, p)
    cdef uint32_t n = (t - h) // 2, i
    if n != q.cap // 2:
        return RQ_CORRUPT         # Go throws "runqputslow: queue is not full"
    # Reserve first so running out of memory leaves the ring untouched.
    if gq_reserve(&q.globrunq, n + 1) < 0:
        return RQ_NOMEM
    for i in range(n):
        batch[i] = ring[(h + i) & RUNQ_MASK]
    q.runqhead[p] = h + n
    batch[n] = g
    if q.randomize:
        shuffle_batch(q, batch, n + 1)
    for i in range(n + 1):
        gq_push_back(&q.globrunq, batch[i])
    return RQ_SPILLED


cdef inline int runqput(RunQueues* q, int32_t p, gid_t g, bint next) noexcept nogil:
    # §2.1 (proc.go runqput).  Returns RQ_OK, RQ_SPILLED or RQ_NOMEM.
    cdef gid_t oldnext
    cdef uint32_t h, t
    if not q.have_sysmon:
        next = False
    if q.randomize and next and cheaprandn(&q.rand, 2) == 0:
        next = False
    if next:
        oldnext = q.runnext[p]
        q.runnext[p] = g
        if oldnext == NIL_G:
            return RQ_OK
        g = oldnext       # kicked out of runnext: goes to the ring tail
    h = q.runqhead[p]
    t = q.runqtail[p]
    if t - h < q.cap:
        ring_of(q, p)[t & RUNQ_MASK] = g
        q.runqtail[p] = t + 1
        return RQ_OK
    return runqputslow(q, p, g, h, t)


cdef inline uint32_t runqputbatch(RunQueues* q, int32_t p, const gid_t* gs, uint32_t n) noexcept nogil:
    # §2.3 (proc.go runqputbatch): append while there is room; returns how
    # many were appended, the caller keeps the rest (gs[k:]).
    cdef gid_t* ring = ring_of(q, p)
    cdef uint32_t h = q.runqhead[p], t0 = q.runqtail[p], t = t0, k = 0, i, j
    cdef gid_t tmp
    while k < n and t - h < q.cap:
        ring[t & RUNQ_MASK] = gs[k]
        t += 1
        k += 1
    if q.randomize:
        for i in range(1, k):
            j = cheaprandn(&q.rand, i + 1)
            tmp = ring[(t0 + i) & RUNQ_MASK]
            ring[(t0 + i) & RUNQ_MASK] = ring[(t0 + j) & RUNQ_MASK]
            ring[(t0 + j) & RUNQ_MASK] = tmp
    q.runqtail[p] = t
    return k


cdef inline gid_t runqget(RunQueues* q, int32_t p, bint* inherit_time) noexcept nogil:
    # §2.4 (proc.go runqget): runnext first, sharing the current time slice.
    cdef gid_t g = q.runnext[p]
    cdef uint32_t h
    if g != NIL_G:
        q.runnext[p] = NIL_G
        inherit_time[0] = True
        return g
    inherit_time[0] = False
    h = q.runqhead[p]
    if h == q.runqtail[p]:
        return NIL_G
    q.runqhead[p] = h + 1
    return ring_of(q, p)[h & RUNQ_MASK]


cdef inline uint32_t runqdrain(RunQueues* q, int32_t p, gid_t* out) noexcept nogil:
    # §2.6 (proc.go runqdrain): runnext, then the whole ring; `out` needs
    # RUNQ_SIZE + 1 slots.  Returns the count.
    cdef gid_t* ring = ring_of(q, p)
    cdef uint32_t h = q.runqhead[p], qn = q.runqtail[p] - h, i, k = 0
    if q.runnext[p] != NIL_G:
        out[0] = q.runnext[p]
        q.runnext[p] = NIL_G
        k = 1
    for i in range(qn):
        out[k + i] = ring[(h + i) & RUNQ_MASK]
    q.runqhead[p] = h + qn
    return k + qn


cdef inline uint32_t steal_amount(RunQueues* q, uint32_t n) noexcept nogil:
    # Policy.steal; Go's is the larger half, ceil(n/2).
    if q.steal_rule == STEAL_HALF:
        return n - n // 2
    if q.steal_rule == STEAL_HALF_DOWN:
        return n // 2
    if q.steal_rule == STEAL_ONE:
        return 1 if n else 0
    return n


cdef inline int runqgrab(RunQueues* q, int32_t victim, gid_t* batch, uint32_t batch_head,
                         uint32_t room, bint steal_runnext, uint32_t* grabbed) noexcept nogil:
    # §2.7 (proc.go runqgrab): take ceil(n/2) of the victim's oldest Gs into
    # the ring `batch` starting at batch_head; with an empty ring, runnext if
    # allowed.  Go's 3 us back-off before taking runnext is a pause of the
    # thief's M, so it belongs to the caller's clock, not to this atomic step.
    # `room` is how many slots the batch may take; more would overwrite live
    # entries (Go throws "runqsteal: runq overflow" after the fact; we refuse
    # before changing anything).
    cdef gid_t* ring = ring_of(q, victim)
    cdef uint32_t h = q.runqhead[victim], t = q.runqtail[victim], n, i
    n = steal_amount(q, t - h)
    grabbed[0] = 0
    if n == 0:
        if steal_runnext and q.runnext[victim] != NIL_G:
            if room < 1:
                return RQ_OVERFLOW
            batch[batch_head & RUNQ_MASK] = q.runnext[victim]
            q.runnext[victim] = NIL_G
            grabbed[0] = 1
        return RQ_OK
    if n > room:
        return RQ_OVERFLOW
    for i in range(n):
        batch[(batch_head + i) & RUNQ_MASK] = ring[(h + i) & RUNQ_MASK]
    q.runqhead[victim] = h + n
    grabbed[0] = n
    return RQ_OK


cdef inline int runqsteal(RunQueues* q, int32_t thief, int32_t victim, bint steal_runnext,
                          gid_t* stolen) noexcept nogil:
    # §2.8 (proc.go runqsteal): grab into the thief's own ring at its tail,
    # keep n-1 there and hand back the last one grabbed.  Returns RQ_OK (with
    # *stolen = NIL_G if there was nothing) or RQ_OVERFLOW.
    cdef uint32_t t = q.runqtail[thief], n
    cdef uint32_t room = q.cap - (t - q.runqhead[thief])
    cdef int rc = runqgrab(q, victim, ring_of(q, thief), t, room, steal_runnext, &n)
    stolen[0] = NIL_G
    if rc != RQ_OK or n == 0:
        return rc
    n -= 1
    stolen[0] = ring_of(q, thief)[(t + n) & RUNQ_MASK]
    q.runqtail[thief] = t + n
    return RQ_OK


# ---- the global run queue (§2.9); the caller holds sched.lock ----

cdef inline int globrunqput(RunQueues* q, gid_t g) noexcept nogil:
    return gq_push_back(&q.globrunq, g)


cdef inline int globrunqputhead(RunQueues* q, gid_t g) noexcept nogil:
    return gq_push_front(&q.globrunq, g)


cdef inline int globrunqputbatch(RunQueues* q, const gid_t* gs, uint64_t n) noexcept nogil:
    cdef uint64_t i
    if gq_reserve(&q.globrunq, n) < 0:
        return RQ_NOMEM
    for i in range(n):
        gq_push_back(&q.globrunq, gs[i])
    return RQ_OK


cdef inline gid_t globrunqget(RunQueues* q) noexcept nogil:
    # Go 1.25 globrunqget(): exactly one G from the head (the 1-in-61 check).
    return gq_pop_front(&q.globrunq)


cdef inline uint32_t globrunq_batch_size(RunQueues* q, uint32_t n) noexcept nogil:
    # min(n, size, size/gomaxprocs + 1) (§2.9).
    cdef uint64_t size = q.globrunq.size
    cdef uint64_t share = size // <uint64_t>q.nprocs + 1
    cdef uint64_t k = n
    if size < k:
        k = size
    if share < k:
        k = share
    return <uint32_t>k


cdef inline uint32_t globrunqgetbatch(RunQueues* q, uint32_t n, gid_t* out) noexcept nogil:
    # Go 1.25 globrunqgetbatch(n): out[0] is the G to run, out[1:k] the rest
    # in FIFO order for the caller's runqputbatch.  Returns k (0 if empty).
    cdef uint32_t k = globrunq_batch_size(q, n), i
    for i in range(k):
        out[i] = gq_pop_front(&q.globrunq)
    return k
