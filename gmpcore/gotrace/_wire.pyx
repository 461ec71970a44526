# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Byte level of Go execution traces, and the ordering of their events.

Restated from Go's internal/trace (batch.go, batchcursor.go, generation.go,
order.go, reader.go); no Go code is copied.  Everything here is bounded by
the input length: every varint read checks the end of its buffer, every loop
consumes at least one byte or one event.

Three parts:

- :func:`read_batch_header`: one batch header (Go's readBatch).
- :func:`decode_events`: every timed event of a generation's per-M batches,
  decoded in C without the GIL into flat arrays (type, time, 4 arguments,
  byte offset).
- :class:`Orderer`: Go's ordering (order.go): the goroutine, proc and thread
  state machines that decide which M's next event may happen next, and the
  frontier of per-M cursors (a min-heap on time, reader.go).  Its hot path
  is typed C on C arrays and open-addressing tables; Python objects are
  touched only for the rare range, task and region events.
"""

from libc.stdint cimport int8_t, uint8_t, int64_t, uint64_t, int32_t, uint32_t, INT64_MAX
from libc.stdlib cimport malloc, calloc, free
from libc.string cimport memcpy, memset

import numpy as np
cimport numpy as cnp

from gmpcore.errors import GoTraceError

cnp.import_array()

# --- wire types (tracev2 numbering; see events.py) -------------------------
DEF EvEventBatch = 1
DEF EvCPUSample = 7
DEF EvProcsChange = 9
DEF EvProcStart = 10
DEF EvProcStop = 11
DEF EvProcSteal = 12
DEF EvProcStatus = 13
DEF EvGoCreate = 14
DEF EvGoCreateSyscall = 15
DEF EvGoStart = 16
DEF EvGoDestroy = 17
DEF EvGoDestroySyscall = 18
DEF EvGoStop = 19
DEF EvGoBlock = 20
DEF EvGoUnblock = 21
DEF EvGoSyscallBegin = 22
DEF EvGoSyscallEnd = 23
DEF EvGoSyscallEndBlocked = 24
DEF EvGoStatus = 25
DEF EvSTWBegin = 26
DEF EvSTWEnd = 27
DEF EvGCActive = 28
DEF EvGCBegin = 29
DEF EvGCEnd = 30
DEF EvGCSweepActive = 31
DEF EvGCSweepBegin = 32
DEF EvGCSweepEnd = 33
DEF EvGCMarkAssistActive = 34
DEF EvGCMarkAssistBegin = 35
DEF EvGCMarkAssistEnd = 36
DEF EvHeapAlloc = 37
DEF EvHeapGoal = 38
DEF EvGoLabel = 39
DEF EvUserTaskBegin = 40
DEF EvUserTaskEnd = 41
DEF EvUserRegionBegin = 42
DEF EvUserRegionEnd = 43
DEF EvUserLog = 44
DEF EvGoSwitch = 45
DEF EvGoSwitchDestroy = 46
DEF EvGoCreateBlocked = 47
DEF EvGoStatusStack = 48
DEF EvExperimentalBatch = 49
DEF EvEndOfGeneration = 52
DEF EvFirstExperimental = 128
DEF EvLastExperimental = 136
DEF EvSyncOut = 0              # the Sync event this reader emits per generation

# tracev2 statuses
DEF GoRunnable_ = 1
DEF GoRunning_ = 2
DEF GoSyscall_ = 3
DEF GoWaiting_ = 4
DEF ProcRunning_ = 1
DEF ProcIdle_ = 2
DEF ProcSyscall_ = 3
DEF ProcSyscallAbandoned_ = 4
# trace.GoState / trace.ProcState (the "old state" smuggled into events)
DEF StUndetermined = 0
DEF StNotExist = 1
DEF PStRunning = 2
DEF PStIdle = 3

DEF NONE = -1                   # NoGoroutine, NoProc, NoThread
DEF MAX_BATCH = 65536
DEF GC_UNDETERMINED = 0
DEF GC_NOT_RUNNING = 1
DEF GC_RUNNING = 2


cdef inline int read_uvarint(const uint8_t* b, Py_ssize_t n, Py_ssize_t* pos,
                             uint64_t* out) noexcept nogil:
    """Go's binary.Uvarint: 0 on success, -1 if the buffer ends, -2 on overflow."""
    cdef uint64_t x = 0
    cdef unsigned int s = 0
    cdef Py_ssize_t i = pos[0]
    cdef int k = 0
    cdef uint8_t c
    while True:
        if i >= n:
            return -1
        c = b[i]
        i += 1
        if k == 9 and c > 1:
            return -2
        if c < 0x80:
            x |= (<uint64_t>c) << s
            pos[0] = i
            out[0] = x
            return 0
        x |= (<uint64_t>(c & 0x7f)) << s
        s += 7
        k += 1


cdef inline int64_t fmul(double f, uint64_t t) noexcept nogil:
    """Go's frequency.mul: ticks to nanoseconds, saturating instead of UB."""
    cdef double v = <double>t * f
    if v >= 9.2e18:
        return INT64_MAX
    return <int64_t>v


def _varint_error(code, what, offset):
    if code == -1:
        return GoTraceError(f"expected {what} (a varint), found the end of the data", offset)
    return GoTraceError(f"expected {what} (a varint), found one longer than 64 bits", offset)


def read_uvarints(const uint8_t[::1] buf, Py_ssize_t pos, Py_ssize_t end, names):
    """Read len(names) varints at pos (not past end): (values, next position).

    >>> read_uvarints(bytes([0x96, 0x01, 5]), 0, 3, ("a", "b"))
    ([150, 5], 3)
    """
    cdef uint64_t v
    cdef int rc
    cdef Py_ssize_t start
    out = []
    if end > buf.shape[0]:
        end = buf.shape[0]
    for name in names:
        start = pos
        rc = read_uvarint(&buf[0] if buf.shape[0] else NULL, end, &pos, &v)
        if rc:
            raise _varint_error(rc, name, start)
        out.append(v)
    return out, pos


def read_batch_header(const uint8_t[::1] buf, Py_ssize_t pos):
    """One batch header at pos (Go's readBatch).

    Returns ``(kind, exp, gen, m, time, data_start, data_end)``: kind 1 for
    an event batch, 49 for an experimental batch, 52 for the end of a
    generation (then the rest is 0).  Raises GoTraceError naming the offset.
    """
    cdef Py_ssize_t n = buf.shape[0]
    cdef uint8_t typ
    cdef int exp = 0
    if pos >= n:
        raise GoTraceError("expected a batch, found the end of the file", pos)
    typ = buf[pos]
    if typ == EvEndOfGeneration:
        return (EvEndOfGeneration, 0, 0, -1, 0, pos + 1, pos + 1)
    if typ != EvEventBatch and typ != EvExperimentalBatch:
        raise GoTraceError(f"expected a batch (type 1, 49 or 52), got type {typ}", pos)
    pos += 1
    if typ == EvExperimentalBatch:
        if pos >= n:
            raise GoTraceError("expected an experiment ID byte, found the end of the file", pos)
        exp = buf[pos]
        pos += 1
    (gen, m, time, size), data = read_uvarints(
        buf, pos, n, ("the batch's generation", "the batch's thread ID",
                      "the batch's timestamp", "the batch's size"))
    if size > MAX_BATCH:
        raise GoTraceError(f"expected a batch size of at most {MAX_BATCH}, got {size}", pos)
    if data + size > n:
        raise GoTraceError(f"expected {size} bytes of batch data, found only {n - data} "
                           "(the trace is truncated)", data)
    if m >= 1 << 63:
        m -= 1 << 64
    return (typ, exp, gen, m, time, data, data + size)


def decode_events(const uint8_t[::1] buf, const int64_t[::1] starts,
                  const int64_t[::1] ends, const uint64_t[::1] btimes,
                  double freq, const uint8_t[::1] nargs):
    """Decode every timed event of the given event batches, in order.

    ``nargs[t]`` is the argument count of timed type t (0 if t is not a
    timed event).  Returns ``(typ, time, args, offset, first)``: per event its
    type, time in ns (Go's batchCursor arithmetic), up to 4 arguments after
    the time delta, its byte offset; ``first[b]`` is the index of batch b's
    first event (``first[-1]`` the total).
    """
    cdef Py_ssize_t nb = starts.shape[0]
    cdef Py_ssize_t total = 0, b, i, pos, end, k, nbuf = buf.shape[0]
    for b in range(nb):
        total += (ends[b] - starts[b]) // 2 + 1
    typ_a = np.empty(total, np.uint8)
    time_a = np.empty(total, np.int64)
    args_a = np.zeros((total, 4), np.uint64)
    off_a = np.empty(total, np.int64)
    first_a = np.empty(nb + 1, np.int64)
    cdef uint8_t[::1] typ = typ_a
    cdef int64_t[::1] tm = time_a
    cdef uint64_t[:, ::1] args = args_a
    cdef int64_t[::1] off = off_a
    cdef int64_t[::1] first = first_a
    cdef const uint8_t* p = &buf[0] if nbuf else NULL
    cdef uint64_t v
    cdef int64_t last
    cdef int rc = 0, na
    cdef Py_ssize_t e = 0, err_at = 0
    cdef uint8_t t
    cdef int err_kind = 0
    with nogil:
        for b in range(nb):
            first[b] = e
            pos = starts[b]
            end = ends[b]
            if end > nbuf:
                end = nbuf
            last = fmul(freq, btimes[b])
            while pos < end:
                t = p[pos]
                err_at = pos
                na = nargs[t]
                if na == 0:
                    err_kind = 1
                    break
                pos += 1
                rc = read_uvarint(p, end, &pos, &v)
                if rc:
                    err_kind = 2
                    break
                last = <int64_t>(<uint64_t>fmul(freq, v) + <uint64_t>last)
                typ[e] = t
                tm[e] = last
                off[e] = err_at
                for k in range(na - 1):
                    rc = read_uvarint(p, end, &pos, &v)
                    if rc:
                        err_kind = 3
                        break
                    args[e, k] = v
                if err_kind:
                    break
                e += 1
            if err_kind:
                break
        first[nb] = e
    if err_kind == 1:
        raise GoTraceError(f"expected a timed event in an event batch, got type {t}", err_at)
    if err_kind:
        raise _varint_error(rc, "an event argument" if err_kind == 3 else "an event's time delta",
                            err_at)
    return typ_a[:e], time_a[:e], args_a[:e], off_a[:e], first_a


# --- an int64 -> slot table (open addressing) -------------------------------

cdef struct IdMap:
    int64_t* keys
    int32_t* vals
    uint8_t* used
    Py_ssize_t cap
    Py_ssize_t n


cdef int idmap_init(IdMap* m, Py_ssize_t cap) except -1:
    m.cap = cap
    m.n = 0
    m.keys = <int64_t*>calloc(cap, sizeof(int64_t))
    m.vals = <int32_t*>calloc(cap, sizeof(int32_t))
    m.used = <uint8_t*>calloc(cap, sizeof(uint8_t))
    if not m.keys or not m.vals or not m.used:
        raise MemoryError()
    return 0


cdef void idmap_free(IdMap* m) noexcept nogil:
    free(m.keys)
    free(m.vals)
    free(m.used)
    m.keys = NULL
    m.vals = NULL
    m.used = NULL


cdef inline Py_ssize_t idmap_slot(IdMap* m, int64_t key) noexcept nogil:
    cdef uint64_t h = (<uint64_t>key) * 0x9E3779B97F4A7C15ULL
    cdef Py_ssize_t i = <Py_ssize_t>(h >> 20) & (m.cap - 1)
    while m.used[i] and m.keys[i] != key:
        i = (i + 1) & (m.cap - 1)
    return i


cdef inline int32_t idmap_get(IdMap* m, int64_t key) noexcept nogil:
    cdef Py_ssize_t i = idmap_slot(m, key)
    if m.used[i]:
        return m.vals[i]
    return -1


cdef int idmap_put(IdMap* m, int64_t key, int32_t val) except -1:
    cdef Py_ssize_t i, j
    cdef IdMap old
    if 2 * (m.n + 1) > m.cap:
        old = m[0]
        idmap_init(m, old.cap * 2)
        for j in range(old.cap):
            if old.used[j]:
                i = idmap_slot(m, old.keys[j])
                m.used[i] = 1
                m.keys[i] = old.keys[j]
                m.vals[i] = old.vals[j]
                m.n += 1
        idmap_free(&old)
    i = idmap_slot(m, key)
    if not m.used[i]:
        m.used[i] = 1
        m.keys[i] = key
        m.n += 1
    m.vals[i] = val
    return 0


cdef void* grown(void* a, Py_ssize_t n, Py_ssize_t* cap, size_t size) except NULL:
    """a (n elements of size bytes, capacity cap[0]) with room for one more:
    doubled into a new zeroed block when full (cap[0] updated)."""
    cdef void* b
    if n < cap[0]:
        return a
    b = calloc(2 * cap[0], size)
    if not b:
        raise MemoryError()
    memcpy(b, a, n * size)
    free(a)
    cap[0] *= 2
    return b


cdef struct GState:
    int64_t id
    uint8_t present
    uint8_t status
    uint64_t seq_gen
    uint64_t seq


cdef struct PState:
    int64_t id
    uint8_t status
    uint64_t seq_gen
    uint64_t seq


cdef struct MState:
    int64_t id
    int64_t g
    int64_t p


cdef struct Ctx:
    int64_t g
    int64_t p
    int64_t m


cdef inline bint succeeds(uint64_t gen, uint64_t seq, uint64_t ogen, uint64_t oseq) noexcept nogil:
    return gen == ogen and seq == oseq + 1


cdef class Orderer:
    """Go's event ordering over all generations of one trace (order.go).

    ``run_generation`` takes one generation's decoded events, grouped by M,
    and appends the events in Go's order to its output arrays (``result()``).
    """

    cdef IdMap gmap, pmap, mmap
    cdef GState* gs
    cdef PState* ps
    cdef MState* ms
    cdef Py_ssize_t ng, np_, nm, gcap, pcap, mcap
    cdef uint64_t initial_gen, gc_seq
    cdef int gc_state
    cdef int64_t last_ts
    cdef public object ranges        # ("g"|"p", id) -> list of (type, desc)
    cdef public object regions       # goid -> list of (task, name)
    cdef public object tasks         # task id -> (name, parent)
    cdef public object extra_names   # (output index, name) of UserTaskEnd events
    cdef public object strings       # this generation's string table (id -> str)
    # output
    cdef object o_arrays
    cdef uint8_t[::1] o_typ
    cdef int64_t[::1] o_time, o_g, o_p, o_m, o_extra, o_gen, o_off
    cdef uint64_t[:, ::1] o_args
    cdef Py_ssize_t o_n, o_cap
    # the generation being ordered
    cdef const uint8_t[::1] typ
    cdef const int64_t[::1] tm
    cdef const int64_t[::1] off
    cdef uint64_t[:, ::1] args
    cdef uint64_t gen
    cdef int64_t[::1] cur_pos, cur_end, cur_m
    cdef int32_t* heap
    cdef Py_ssize_t nheap

    def __cinit__(self):
        idmap_init(&self.gmap, 64)
        idmap_init(&self.pmap, 16)
        idmap_init(&self.mmap, 16)
        self.gcap = self.pcap = self.mcap = 16
        self.gs = <GState*>calloc(self.gcap, sizeof(GState))
        self.ps = <PState*>calloc(self.pcap, sizeof(PState))
        self.ms = <MState*>calloc(self.mcap, sizeof(MState))
        self.heap = NULL
        if not self.gs or not self.ps or not self.ms:
            raise MemoryError()

    def __init__(self):
        self.ranges = {}
        self.regions = {}
        self.tasks = {}
        self.extra_names = []
        self.strings = {}
        self.last_ts = -(1 << 62)
        self.o_arrays = []
        self.o_n = self.o_cap = 0
        self._grow(1024)

    def __dealloc__(self):
        idmap_free(&self.gmap)
        idmap_free(&self.pmap)
        idmap_free(&self.mmap)
        free(self.gs)
        free(self.ps)
        free(self.ms)
        free(self.heap)

    # --- output ---------------------------------------------------------
    def _grow(self, Py_ssize_t need):
        cdef Py_ssize_t cap = max(need, 2 * self.o_cap, 1024)
        old = self.o_arrays
        typ = np.empty(cap, np.uint8)
        arrays = [typ] + [np.empty(cap, np.int64) for _ in range(7)] + [np.empty((cap, 4), np.uint64)]
        if old:
            for a, b in zip(arrays, old):
                a[:self.o_n] = b[:self.o_n]
        self.o_arrays = arrays
        self.o_typ = arrays[0]
        self.o_time, self.o_g, self.o_p, self.o_m, self.o_extra, self.o_gen, self.o_off = arrays[1:8]
        self.o_args = arrays[8]
        self.o_cap = cap

    cdef inline void emit(self, uint8_t typ, int64_t t, Ctx c, uint64_t a0, uint64_t a1,
                          uint64_t a2, uint64_t a3, int64_t extra, int64_t off) noexcept:
        # reader.go: each event's time is strictly after the previous one's.
        cdef Py_ssize_t i = self.o_n
        if t <= self.last_ts:
            t = self.last_ts + 1
        self.last_ts = t
        self.o_typ[i] = typ
        self.o_time[i] = t
        self.o_g[i] = c.g
        self.o_p[i] = c.p
        self.o_m[i] = c.m
        self.o_extra[i] = extra
        self.o_gen[i] = <int64_t>self.gen
        self.o_off[i] = off
        self.o_args[i, 0] = a0
        self.o_args[i, 1] = a1
        self.o_args[i, 2] = a2
        self.o_args[i, 3] = a3
        self.o_n = i + 1

    cdef inline void emit_ev(self, Py_ssize_t e, Ctx c, int64_t extra) noexcept:
        self.emit(self.typ[e], self.tm[e], c, self.args[e, 0], self.args[e, 1],
                  self.args[e, 2], self.args[e, 3], extra, self.off[e])

    def result(self):
        """(typ, time, g, p, m, extra, gen, off, args) trimmed to the events emitted."""
        n = self.o_n
        return tuple(a[:n] for a in self.o_arrays)

    def clear_output(self):
        """Forget the events emitted so far (the state machines stay): the
        reader takes one generation's events at a time."""
        self.o_n = 0
        self.extra_names = []

    def emit_sync(self, int64_t t, uint64_t gen, uint64_t n):
        """A Sync event (kind 0) at t, its argument the sync count."""
        cdef Ctx c
        c.g = c.p = c.m = NONE
        if self.o_n + 1 > self.o_cap:
            self._grow(self.o_n + 1)
        self.gen = gen
        self.emit(EvSyncOut, t, c, n, 0, 0, 0, 0, -1)

    @property
    def last_time(self):
        return self.last_ts

    # --- state tables ---------------------------------------------------
    cdef int32_t g_find(self, int64_t gid) noexcept:
        cdef int32_t s = idmap_get(&self.gmap, gid)
        if s >= 0 and self.gs[s].present:
            return s
        return -1

    cdef int32_t g_add(self, int64_t gid, uint8_t status) except -1:
        cdef int32_t s = idmap_get(&self.gmap, gid)
        if s < 0:
            self.gs = <GState*>grown(self.gs, self.ng, &self.gcap, sizeof(GState))
            s = <int32_t>self.ng
            self.ng += 1
            idmap_put(&self.gmap, gid, s)
        self.gs[s].id = gid
        self.gs[s].present = 1
        self.gs[s].status = status
        self.gs[s].seq_gen = self.gen
        self.gs[s].seq = 0
        return s

    cdef int32_t p_find(self, int64_t pid) noexcept:
        return idmap_get(&self.pmap, pid)

    cdef int32_t p_add(self, int64_t pid, uint8_t status) except -1:
        cdef int32_t s
        self.ps = <PState*>grown(self.ps, self.np_, &self.pcap, sizeof(PState))
        s = <int32_t>self.np_
        self.np_ += 1
        idmap_put(&self.pmap, pid, s)
        self.ps[s].id = pid
        self.ps[s].status = status
        self.ps[s].seq_gen = self.gen
        self.ps[s].seq = 0
        return s

    cdef int32_t m_get(self, int64_t mid) except -1:
        cdef int32_t s = idmap_get(&self.mmap, mid)
        if s >= 0:
            return s
        self.ms = <MState*>grown(self.ms, self.nm, &self.mcap, sizeof(MState))
        s = <int32_t>self.nm
        self.nm += 1
        idmap_put(&self.mmap, mid, s)
        self.ms[s].id = mid
        self.ms[s].g = NONE
        self.ms[s].p = NONE
        return s

    cdef inline void g_set(self, int32_t s, uint8_t status, uint64_t gen, uint64_t seq) noexcept:
        """Goroutine slot s is now in status at sequence (gen, seq)."""
        self.gs[s].status = status
        self.gs[s].seq_gen = gen
        self.gs[s].seq = seq

    cdef inline void p_set(self, int32_t s, uint8_t status, uint64_t gen, uint64_t seq) noexcept:
        """P slot s is now in status at sequence (gen, seq)."""
        self.ps[s].status = status
        self.ps[s].seq_gen = gen
        self.ps[s].seq = seq

    cdef int32_t current_g(self, Py_ssize_t e, int64_t gid, uint8_t status) except -1:
        """The slot of the thread's goroutine, which must exist in status."""
        cdef int32_t s = self.g_find(gid)
        if s < 0:
            raise self.fail(e, f"event for goroutine ({gid}) that doesn't exist")
        if self.gs[s].status != status:
            raise self.fail(e, "event for goroutine that's not " +
                            ("Running" if status == GoRunning_ else "in a syscall"))
        return s

    cdef int32_t current_p(self, Py_ssize_t e, int64_t pid) except -1:
        """The slot of the thread's P, which must be known."""
        cdef int32_t s = self.p_find(pid)
        if s < 0:
            raise self.fail(e, f"uninitialized proc {pid}")
        return s

    # --- errors -----------------------------------------------------------
    cdef object fail(self, Py_ssize_t e, str msg):
        from gmpcore.gotrace.events import SPECS
        name = SPECS[self.typ[e]].name
        return GoTraceError(f"{msg} (event {name} at time {self.tm[e]} on thread "
                            f"{self.cur_m_of(e)}, generation {self.gen})", self.off[e])

    cdef int64_t cur_m_of(self, Py_ssize_t e):
        cdef Py_ssize_t k
        for k in range(self.cur_m.shape[0]):
            if self.cur_pos[k] == e:
                return self.cur_m[k]
        return NONE

    cdef int check_ctx(self, Py_ssize_t e, Ctx c, int mreq, int preq, int greq) except -1:
        # constraint codes: 0 must not have, 1 may have, 2 must have
        if mreq == 2 and c.m == NONE:
            raise self.fail(e, "expected a thread but didn't have one")
        if mreq == 0 and c.m != NONE:
            raise self.fail(e, "expected no thread but had one")
        if preq == 2 and c.p == NONE:
            raise self.fail(e, "expected a proc but didn't have one")
        if preq == 0 and c.p != NONE:
            raise self.fail(e, "expected no proc but had one")
        if greq == 2 and c.g == NONE:
            raise self.fail(e, "expected a goroutine but didn't have one")
        if greq == 0 and c.g != NONE:
            raise self.fail(e, "expected no goroutine but had one")
        return 0

    # --- ranges (rare: Python lists) --------------------------------------
    cdef object start_of(self, int typ):
        if typ == EvSTWEnd:
            return EvSTWBegin
        if typ == EvGCActive or typ == EvGCEnd:
            return EvGCBegin
        if typ == EvGCSweepActive or typ == EvGCSweepEnd:
            return EvGCSweepBegin
        if typ == EvGCMarkAssistActive or typ == EvGCMarkAssistEnd:
            return EvGCMarkAssistBegin
        return typ

    cdef int range_begin(self, Py_ssize_t e, key, int typ, desc) except -1:
        lst = self.ranges.setdefault(key, [])
        r = (self.start_of(typ), desc)
        if r in lst:
            raise self.fail(e, "discovered event already in-flight when starting the range")
        lst.append(r)
        return 0

    cdef int range_active(self, Py_ssize_t e, key, int typ) except -1:
        lst = self.ranges.setdefault(key, [])
        r = (self.start_of(typ), 0)
        if self.gen == self.initial_gen:
            if r in lst:
                raise self.fail(e, "found named active range already in first generation")
            lst.append(r)
        elif r not in lst:
            raise self.fail(e, "resource is missing active range")
        return 0

    cdef object range_end(self, Py_ssize_t e, key, int typ):
        lst = self.ranges.setdefault(key, [])
        st = self.start_of(typ)
        for i, r in enumerate(lst):
            if r[0] == st:
                lst[i] = lst[len(lst) - 1]
                lst.pop()
                return r[1]
        raise self.fail(e, "tried to end a range that is not in flight")

    # --- one event ----------------------------------------------------------
    cdef int advance(self, Py_ssize_t e, int64_t m) except -1:
        """Go's ordering.Advance: 1 if event e happened (and was emitted), 0 if
        it must wait, raises GoTraceError if it can never happen."""
        cdef Ctx cur, new
        cdef int32_t msl = -1, s, s2
        cdef int t = self.typ[e]
        cdef int ok = 1
        cdef uint64_t a0 = self.args[e, 0], a1 = self.args[e, 1], a2 = self.args[e, 2]
        cdef uint64_t gen = self.gen
        cdef uint64_t st
        cdef int64_t gid, pid, mid, old
        cdef Py_ssize_t k
        if self.initial_gen == 0:
            self.initial_gen = gen
        cur.m = m
        cur.g = NONE
        cur.p = NONE
        if m != NONE:
            msl = self.m_get(m)
            cur.g = self.ms[msl].g
            cur.p = self.ms[msl].p
        new = cur

        if t == EvGoStart:
            s = self.g_find(<int64_t>a0)
            if s < 0 or self.gs[s].status != GoRunnable_ or not succeeds(gen, a1, self.gs[s].seq_gen, self.gs[s].seq):
                return 0
            self.check_ctx(e, cur, 2, 2, 0)
            self.g_set(s, GoRunning_, gen, a1)
            new.g = <int64_t>a0
            self.emit_ev(e, cur, 0)
        elif t == EvGoStop or t == EvGoBlock or t == EvGoDestroy:
            self.check_ctx(e, cur, 2, 2, 2)
            s = self.current_g(e, cur.g, GoRunning_)
            if t == EvGoDestroy:
                self.gs[s].present = 0
            elif t == EvGoStop:
                self.gs[s].status = GoRunnable_
            else:
                self.gs[s].status = GoWaiting_
            new.g = NONE
            self.emit_ev(e, cur, 0)
        elif t == EvGoUnblock:
            s = self.g_find(<int64_t>a0)
            if s < 0 or self.gs[s].status != GoWaiting_ or not succeeds(gen, a1, self.gs[s].seq_gen, self.gs[s].seq):
                return 0
            self.g_set(s, GoRunnable_, gen, a1)
            self.emit_ev(e, cur, 0)
        elif t == EvGoCreate or t == EvGoCreateBlocked:
            self.check_ctx(e, cur, 2, 2, 1)
            s = self.g_find(cur.g)
            if s >= 0 and self.gs[s].status != GoRunning_:
                raise self.fail(e, "create event for goroutine that's not Running")
            if self.g_find(<int64_t>a0) >= 0:
                raise self.fail(e, f"tried to create goroutine ({<int64_t>a0}) that already exists")
            self.g_add(<int64_t>a0, GoWaiting_ if t == EvGoCreateBlocked else GoRunnable_)
            self.emit_ev(e, cur, 0)
        elif t == EvGoSyscallBegin:
            self.check_ctx(e, cur, 2, 2, 2)
            s = self.current_g(e, cur.g, GoRunning_)
            self.gs[s].status = GoSyscall_
            s2 = self.current_p(e, cur.p)
            self.ps[s2].status = ProcSyscall_
            if not succeeds(gen, a0, self.ps[s2].seq_gen, self.ps[s2].seq):
                raise self.fail(e, f"can't make proc sequence {self.ps[s2].seq} -> {a0}")
            self.ps[s2].seq_gen = gen
            self.ps[s2].seq = a0
            self.emit_ev(e, cur, 0)
        elif t == EvGoSyscallEnd:
            self.check_ctx(e, cur, 2, 2, 2)
            s = self.current_g(e, cur.g, GoSyscall_)
            self.gs[s].status = GoRunning_
            s2 = self.current_p(e, cur.p)
            if self.ps[s2].status != ProcSyscall_:
                raise self.fail(e, f"expected proc {cur.p} in state Syscall")
            self.ps[s2].status = ProcRunning_
            self.emit_ev(e, cur, 0)
        elif t == EvGoSyscallEndBlocked:
            if cur.p != NONE:
                s2 = self.p_find(cur.p)
                if s2 < 0:
                    raise self.fail(e, f"uninitialized proc {cur.p}")
                if self.ps[s2].status == ProcSyscall_:
                    return 0     # wait for the ProcSteal
            self.check_ctx(e, cur, 2, 1, 2)
            s = self.current_g(e, cur.g, GoSyscall_)
            new.g = NONE
            self.gs[s].status = GoRunnable_
            self.emit_ev(e, cur, 0)
        elif t == EvProcStart:
            s2 = self.p_find(<int64_t>a0)
            if s2 < 0 or self.ps[s2].status != ProcIdle_ or not succeeds(gen, a1, self.ps[s2].seq_gen, self.ps[s2].seq) or cur.p != NONE:
                return 0
            self.check_ctx(e, cur, 2, 0, 1)
            self.p_set(s2, ProcRunning_, gen, a1)
            new.p = <int64_t>a0
            self.emit_ev(e, cur, 0)
        elif t == EvProcStop:
            s2 = self.p_find(cur.p)
            if s2 < 0:
                raise self.fail(e, f"event for proc ({cur.p}) that doesn't exist")
            if self.ps[s2].status != ProcRunning_ and self.ps[s2].status != ProcSyscall_:
                raise self.fail(e, "event for proc that's not Running or Syscall")
            self.check_ctx(e, cur, 2, 2, 1)
            self.ps[s2].status = ProcIdle_
            new.p = NONE
            self.emit_ev(e, cur, 0)
        elif t == EvProcSteal:
            s2 = self.p_find(<int64_t>a0)
            if s2 < 0 or (self.ps[s2].status != ProcSyscall_ and self.ps[s2].status != ProcSyscallAbandoned_) or not succeeds(gen, a1, self.ps[s2].seq_gen, self.ps[s2].seq):
                return 0
            self.check_ctx(e, cur, 2, 1, 1)
            old = self.ps[s2].status
            self.p_set(s2, ProcIdle_, gen, a1)
            if old != ProcSyscallAbandoned_:
                mid = <int64_t>a2
                if mid == cur.m:
                    if cur.p != <int64_t>a0:
                        raise self.fail(e, f"tried to self-steal proc {<int64_t>a0} (thread {mid}), but got proc {cur.p} instead")
                    new.p = NONE
                else:
                    s = idmap_get(&self.mmap, mid)
                    if s < 0:
                        raise self.fail(e, f"stole proc from non-existent thread {mid}")
                    if self.ms[s].p != <int64_t>a0:
                        raise self.fail(e, f"tried to steal proc {<int64_t>a0} from thread {mid}, but got proc {self.ms[s].p} instead")
                    self.ms[s].p = NONE
            self.emit_ev(e, cur, old)
        elif t == EvProcStatus:
            pid = <int64_t>a0
            st = a1
            if st > ProcSyscallAbandoned_ or st == 0:
                raise self.fail(e, f"invalid status for proc {pid}: {st}")
            old = PStIdle if (st == ProcIdle_ or st == ProcSyscallAbandoned_) else PStRunning
            s2 = self.p_find(pid)
            if s2 >= 0:
                if st == ProcSyscallAbandoned_ and self.ps[s2].status == ProcSyscall_:
                    old = PStRunning
                    self.args[e, 1] = ProcSyscall_
                elif st == ProcSyscallAbandoned_ and self.ps[s2].status == ProcSyscallAbandoned_:
                    old = PStIdle
                    self.args[e, 1] = ProcSyscallAbandoned_
                elif self.ps[s2].status != st:
                    raise self.fail(e, f"inconsistent status for proc {pid}: old {self.ps[s2].status} vs. new {st}")
                self.ps[s2].seq_gen = gen
                self.ps[s2].seq = 0
            else:
                self.p_add(pid, <uint8_t>st)
                old = StUndetermined if gen == self.initial_gen else StNotExist
            if st == ProcRunning_ or st == ProcSyscall_:
                new.p = pid
            if st == ProcSyscallAbandoned_ and old == PStRunning:
                found = False
                for k in range(self.nm):
                    if self.ms[k].p == pid:
                        cur.m = self.ms[k].id
                        cur.p = pid
                        cur.g = self.ms[k].g
                        found = True
                if not found:
                    raise self.fail(e, f"failed to find sched context for proc {pid} that's about to be stolen")
            self.emit_ev(e, cur, old)
        elif t == EvGoStatus or t == EvGoStatusStack:
            gid = <int64_t>a0
            mid = <int64_t>a1
            st = a2
            if st > GoWaiting_ or st == 0:
                raise self.fail(e, f"invalid status for goroutine {gid}: {st}")
            old = {GoRunnable_: 2, GoRunning_: 3, GoWaiting_: 4, GoSyscall_: 5}[st]
            s = self.g_find(gid)
            if s >= 0:
                if self.gs[s].status != st:
                    raise self.fail(e, f"inconsistent status for goroutine {gid}: old {self.gs[s].status} vs. new {st}")
                self.gs[s].seq_gen = gen
                self.gs[s].seq = 0
            elif gen == self.initial_gen:
                self.g_add(gid, <uint8_t>st)
                old = StUndetermined
            else:
                raise self.fail(e, f"found goroutine status for new goroutine after the first generation: id={gid}")
            self.args[e, 2] = (<uint64_t>old << 32) | st
            if st == GoRunning_:
                new.g = gid
            elif st == GoSyscall_:
                if mid == NONE:
                    raise self.fail(e, f"found goroutine {gid} in syscall without a thread")
                if mid == cur.m:
                    if gen != self.initial_gen and cur.g != gid:
                        raise self.fail(e, f"inconsistent thread for syscalling goroutine {gid}: thread has goroutine {cur.g}")
                    new.g = gid
                else:
                    s2 = idmap_get(&self.mmap, mid)
                    if s2 >= 0:
                        if self.ms[s2].g != gid:
                            raise self.fail(e, f"inconsistent thread for syscalling goroutine {gid}: thread has goroutine {self.ms[s2].g}")
                        cur.g = self.ms[s2].g
                    else:
                        s2 = self.m_get(mid)
                        self.ms[s2].g = gid
                    cur.m = mid
            self.emit_ev(e, cur, old)
        elif t == EvGoCreateSyscall:
            self.check_ctx(e, cur, 2, 1, 0)
            if self.g_find(<int64_t>a0) >= 0:
                raise self.fail(e, f"tried to create goroutine ({<int64_t>a0}) in syscall that already exists")
            self.g_add(<int64_t>a0, GoSyscall_)
            new.g = <int64_t>a0
            self.emit_ev(e, cur, 0)
        elif t == EvGoDestroySyscall:
            self.check_ctx(e, cur, 2, 1, 2)
            s = self.current_g(e, cur.g, GoSyscall_)
            self.gs[s].present = 0
            new.g = NONE
            if cur.p != NONE:
                s2 = self.p_find(cur.p)
                if s2 < 0:
                    raise self.fail(e, f"found invalid proc {cur.p}")
                if self.ps[s2].status != ProcSyscall_:
                    raise self.fail(e, f"proc {cur.p} in unexpected state")
                self.ps[s2].status = ProcSyscallAbandoned_
                new.p = NONE
                self.emit(EvProcSteal, self.tm[e], cur, <uint64_t>cur.p, 0, 0, 0, ProcSyscall_, self.off[e])
            self.emit_ev(e, cur, 0)
        elif t == EvGoSwitch or t == EvGoSwitchDestroy:
            self.check_ctx(e, cur, 2, 2, 2)
            s = self.current_g(e, cur.g, GoRunning_)
            s2 = self.g_find(<int64_t>a0)
            if s2 < 0 or self.gs[s2].status != GoWaiting_ or not succeeds(gen, a1, self.gs[s2].seq_gen, self.gs[s2].seq):
                return 0
            self.emit_ev(e, cur, 0)
            if t == EvGoSwitch:
                self.gs[s].status = GoWaiting_
                self.emit(EvGoBlock, self.tm[e], cur, 0, 0, 0, 0, 0, self.off[e])
            else:
                self.gs[s].present = 0
                self.emit(EvGoDestroy, self.tm[e], cur, 0, 0, 0, 0, 0, self.off[e])
            self.g_set(s2, GoRunning_, gen, a1)
            new.g = <int64_t>a0
            cur.g = NONE
            self.emit(EvGoStart, self.tm[e], cur, a0, a1, 0, 0, 0, self.off[e])
        elif t == EvProcsChange or t == EvGoLabel or t == EvUserLog:
            self.check_ctx(e, cur, 2, 2, 2)
            self.emit_ev(e, cur, 0)
        elif t == EvHeapAlloc or t == EvHeapGoal:
            self.check_ctx(e, cur, 2, 2, 1)
            self.emit_ev(e, cur, 0)
        elif t >= EvFirstExperimental and t <= EvLastExperimental:
            self.check_ctx(e, cur, 2, 1, 1)
            self.emit_ev(e, cur, 0)
        elif t == EvGCActive:
            if gen == self.initial_gen:
                if self.gc_state != GC_UNDETERMINED:
                    raise self.fail(e, "GCActive in the first generation isn't first GC event")
                self.gc_seq = a0
                self.gc_state = GC_RUNNING
                self.emit_ev(e, cur, 0)
            else:
                if a0 != self.gc_seq + 1:
                    return 0
                if self.gc_state != GC_RUNNING:
                    raise self.fail(e, "encountered GCActive while GC was not in progress")
                self.gc_seq = a0
                self.check_ctx(e, cur, 2, 2, 2)
                self.emit_ev(e, cur, 0)
        elif t == EvGCBegin:
            if self.gc_state == GC_UNDETERMINED:
                self.gc_seq = a0
                self.gc_state = GC_RUNNING
                self.emit_ev(e, cur, 0)
            else:
                if a0 != self.gc_seq + 1:
                    return 0
                if self.gc_state == GC_RUNNING:
                    raise self.fail(e, "encountered GCBegin while GC was already in progress")
                self.gc_seq = a0
                self.gc_state = GC_RUNNING
                self.check_ctx(e, cur, 2, 2, 2)
                self.emit_ev(e, cur, 0)
        elif t == EvGCEnd:
            if a0 != self.gc_seq + 1:
                return 0
            if self.gc_state == GC_NOT_RUNNING:
                raise self.fail(e, "encountered GCEnd when GC was not in progress")
            if self.gc_state == GC_UNDETERMINED:
                raise self.fail(e, "encountered GCEnd when GC was in an undetermined state")
            self.gc_seq = a0
            self.gc_state = GC_NOT_RUNNING
            self.check_ctx(e, cur, 2, 2, 2)
            self.emit_ev(e, cur, 0)
        elif t == EvGCSweepBegin:
            self.check_ctx(e, cur, 2, 2, 1)
            self.range_begin(e, ("p", cur.p), t, 0)
            self.emit_ev(e, cur, 0)
        elif t == EvGCSweepActive:
            if self.p_find(<int64_t>a0) < 0:
                raise self.fail(e, f"encountered GCSweepActive for unknown proc {<int64_t>a0}")
            self.range_active(e, ("p", <int64_t>a0), t)
            self.emit_ev(e, cur, 0)
        elif t == EvGCSweepEnd:
            self.check_ctx(e, cur, 2, 2, 1)
            self.range_end(e, ("p", cur.p), t)
            self.emit_ev(e, cur, 0)
        elif t == EvSTWBegin or t == EvGCMarkAssistBegin:
            self.check_ctx(e, cur, 2, 2, 2)
            if self.g_find(cur.g) < 0:
                raise self.fail(e, f"encountered event without known state for current goroutine {cur.g}")
            self.range_begin(e, ("g", cur.g), t, a0 if t == EvSTWBegin else 0)
            self.emit_ev(e, cur, 0)
        elif t == EvGCMarkAssistActive:
            if self.g_find(<int64_t>a0) < 0:
                raise self.fail(e, f"uninitialized goroutine {<int64_t>a0} found during GCMarkAssistActive")
            self.range_active(e, ("g", <int64_t>a0), t)
            self.emit_ev(e, cur, 0)
        elif t == EvSTWEnd or t == EvGCMarkAssistEnd:
            self.check_ctx(e, cur, 2, 2, 2)
            if self.g_find(cur.g) < 0:
                raise self.fail(e, f"encountered event without known state for current goroutine {cur.g}")
            desc = self.range_end(e, ("g", cur.g), t)
            if t == EvSTWEnd:
                self.args[e, 0] = desc
            self.emit_ev(e, cur, 0)
        elif t == EvUserTaskBegin:
            if a0 in self.tasks:
                raise self.fail(e, f"task ID conflict: {a0}")
            parent = a1
            if parent == 0:                     # the background task
                parent = 0xFFFFFFFFFFFFFFFF     # NoTask
                self.args[e, 1] = parent
            if a2 != 0 and a2 not in self.strings:
                raise self.fail(e, f"invalid string ID {a2}")
            self.tasks[a0] = (self.strings.get(a2, ""), parent)
            self.check_ctx(e, cur, 2, 2, 2)
            self.emit_ev(e, cur, 0)
        elif t == EvUserTaskEnd:
            name, parent = self.tasks.pop(a0, ("", 0xFFFFFFFFFFFFFFFF))
            self.check_ctx(e, cur, 2, 2, 2)
            self.extra_names.append((self.o_n, name))
            st = parent
            self.emit_ev(e, cur, <int64_t>st)
        elif t == EvUserRegionBegin or t == EvUserRegionEnd:
            self.check_ctx(e, cur, 2, 2, 2)
            if a1 != 0 and a1 not in self.strings:
                raise self.fail(e, f"invalid string ID {a1}")
            region = (a0, self.strings.get(a1, ""))
            if self.g_find(cur.g) < 0:
                raise self.fail(e, f"encountered region event without known state for current goroutine {cur.g}")
            lst = self.regions.setdefault(cur.g, [])
            if t == EvUserRegionBegin:
                lst.append(region)
            elif lst:
                if lst[len(lst) - 1] != region:
                    raise self.fail(e, f"misuse of region in goroutine {cur.g}: region end {region} "
                                       f"when the inner-most active region start event is {lst[len(lst) - 1]}")
                lst.pop()
            self.emit_ev(e, cur, 0)
        else:
            raise self.fail(e, f"bad event type found while ordering: {t}")
        if msl >= 0:
            self.ms[msl].g = new.g
            self.ms[msl].p = new.p
        return 1

    # --- the frontier (reader.go / batchcursor.go) ---------------------------
    cdef inline int64_t htime(self, Py_ssize_t i) noexcept:
        return self.tm[self.cur_pos[self.heap[i]]]

    cdef Py_ssize_t sift_up(self, Py_ssize_t i) noexcept:
        cdef int32_t tmp
        while i > 0 and self.htime((i - 1) // 2) > self.htime(i):
            tmp = self.heap[(i - 1) // 2]
            self.heap[(i - 1) // 2] = self.heap[i]
            self.heap[i] = tmp
            i = (i - 1) // 2
        return i

    cdef Py_ssize_t sift_down(self, Py_ssize_t i) noexcept:
        cdef Py_ssize_t m, c
        cdef int32_t tmp
        cdef int64_t mt
        while True:
            m = i
            mt = INT64_MAX
            if i < self.nheap:
                mt = self.htime(i)
            for c in range(2 * i + 1, 2 * i + 3):
                if c < self.nheap and self.htime(c) < mt:
                    mt = self.htime(c)
                    m = c
            if m == i:
                break
            tmp = self.heap[i]
            self.heap[i] = self.heap[m]
            self.heap[m] = tmp
            i = m
        return i

    cdef void heap_remove(self, Py_ssize_t i) noexcept:
        cdef int32_t tmp
        while i > 0:
            tmp = self.heap[(i - 1) // 2]
            self.heap[(i - 1) // 2] = self.heap[i]
            self.heap[i] = tmp
            i = (i - 1) // 2
        tmp = self.heap[0]
        self.heap[0] = self.heap[self.nheap - 1]
        self.heap[self.nheap - 1] = tmp
        self.nheap -= 1
        self.sift_down(0)

    cdef int try_advance(self, Py_ssize_t i) except -1:
        cdef int32_t k = self.heap[i]
        cdef Py_ssize_t e = self.cur_pos[k]
        if self.o_n + 3 > self.o_cap:
            self._grow(self.o_n + 3)
        if not self.advance(e, self.cur_m[k]):
            return 0
        self.cur_pos[k] = e + 1
        if e + 1 < self.cur_end[k]:
            if self.sift_up(i) == i:
                self.sift_down(i)
        else:
            self.heap_remove(i)
        return 1

    def run_generation(self, uint64_t gen, typ, tm, args, off, int64_t[::1] first_by_m,
                       int64_t[::1] ms, samples):
        """Order one generation: events (as from decode_events) grouped by M,
        M k's events at ``[first_by_m[k], first_by_m[k+1])``; ``samples`` the
        generation's CPU samples (time, m, p, g, stack arrays, time-sorted)."""
        cdef Py_ssize_t nm = ms.shape[0], k, i, j, ns, si = 0
        cdef int32_t tmp
        cdef Ctx c
        cdef int64_t[::1] s_time, s_m, s_p, s_g
        cdef uint64_t[::1] s_stack
        self.gen = gen
        self.typ = typ
        self.tm = tm
        self.args = args
        self.off = off
        self.cur_pos = np.array(first_by_m[:nm], np.int64)
        self.cur_end = np.array(first_by_m[1:nm + 1], np.int64)
        self.cur_m = np.array(ms, np.int64)
        s_time, s_m, s_p, s_g, s_stack = samples
        ns = s_time.shape[0]
        # Room for every event (a GoSwitch makes 3), so the loop never grows.
        if self.o_n + 3 * typ.shape[0] + ns + 2 > self.o_cap:
            self._grow(self.o_n + 3 * typ.shape[0] + ns + 2)
        free(self.heap)
        self.heap = <int32_t*>malloc((nm + 1) * sizeof(int32_t))
        if not self.heap:
            raise MemoryError()
        self.nheap = 0
        for k in range(nm):
            if self.cur_pos[k] < self.cur_end[k]:
                self.heap[self.nheap] = <int32_t>k
                self.nheap += 1
                self.sift_up(self.nheap - 1)
        while self.nheap > 0 or si < ns:
            if si < ns and (self.nheap == 0 or s_time[si] < self.htime(0)):
                c.m = s_m[si]
                c.p = s_p[si]
                c.g = s_g[si]
                if self.o_n + 1 > self.o_cap:
                    self._grow(self.o_n + 1)
                self.emit(EvCPUSample, s_time[si], c, s_stack[si], 0, 0, 0, 0, -1)
                si += 1
                continue
            if self.try_advance(0):
                continue
            # Go sorts the frontier by time and tries the others in order
            # (pdqsort; for up to 12 Ms that is a stable insertion sort).
            for i in range(1, self.nheap):
                j = i
                while j > 0 and self.htime(j) < self.htime(j - 1):
                    tmp = self.heap[j]
                    self.heap[j] = self.heap[j - 1]
                    self.heap[j - 1] = tmp
                    j -= 1
            for i in range(1, self.nheap):
                if self.try_advance(i):
                    break
            else:
                k = self.heap[0]
                e = self.cur_pos[k]
                raise GoTraceError(
                    f"broken trace: failed to advance in generation {gen}: no thread's next "
                    f"event can happen in any order (the first waits: "
                    f"{__import__('gmpcore.gotrace.events', fromlist=['SPECS']).SPECS[self.typ[e]].name} "
                    f"on thread {self.cur_m[k]} at time {self.tm[e]})", self.off[e])
        return self.o_n


# --- the output rows ---------------------------------------------------------

cdef packed struct EventRow:
    # Must match reader.EVENT_DTYPE field for field (numpy packs it).
    int64_t time_ns
    uint8_t kind
    int64_t g
    int64_t p
    int64_t m
    int64_t target
    int8_t from_state
    int8_t to_state
    int32_t stack
    int32_t new_stack
    int32_t str_
    int32_t str2
    uint64_t arg0
    uint64_t arg1
    uint32_t gen
    int64_t offset



cdef inline Py_ssize_t find_id(const uint64_t* keys, Py_ssize_t n, uint64_t id) noexcept nogil:
    """Index of id in the sorted keys, or -1."""
    cdef Py_ssize_t lo = 0, hi = n, mid
    while lo < hi:
        mid = (lo + hi) >> 1
        if keys[mid] < id:
            lo = mid + 1
        else:
            hi = mid
    if lo < n and keys[lo] == id:
        return lo
    return -1


def fill_events(EventRow[::1] out, const uint8_t[::1] typ, const int64_t[::1] tm,
                const int64_t[::1] g, const int64_t[::1] p, const int64_t[::1] m,
                const int64_t[::1] extra, const int64_t[::1] gen, const int64_t[::1] off,
                const uint64_t[:, ::1] args, int64_t start, const int8_t[:, ::1] cols,
                const int8_t[:, ::1] trans, const uint64_t[::1] stack_keys,
                const int32_t[::1] stack_vals, const uint64_t[::1] str_keys,
                const int32_t[::1] str_vals):
    """Write one generation's ordered events as EVENT_DTYPE rows, in one pass.

    ``cols[k]`` gives, for kind k, the argument index (after the time delta)
    of its main stack, new stack, first and second string (-1: none);
    ``trans[k]`` its transition's (target source, from, to): source 1 the
    first argument, 2 the event's goroutine, 3 its P; from/to -1 when they
    come from the event itself (ProcSteal, ProcStatus, GoStatus*).  Stack
    and string IDs become global indices through the sorted (keys, vals)
    tables.  Returns -1, or ``(i << 2) | what`` for the first event i whose
    ID is not in its table (what: 0 stack, 1 string) so the caller names it.
    """
    cdef Py_ssize_t n = typ.shape[0], i, j, ns = stack_keys.shape[0], nstr = str_keys.shape[0]
    cdef int k, c, src
    cdef uint64_t id_, packed
    cdef Py_ssize_t bad = -1
    cdef EventRow* r
    cdef int32_t* dst
    with nogil:
        for i in range(n):
            r = &out[i]
            k = typ[i]
            r.time_ns = tm[i] - start
            r.kind = <uint8_t>k
            r.g = g[i]
            r.p = p[i]
            r.m = m[i]
            r.arg0 = args[i, 0]
            r.arg1 = args[i, 1]
            r.gen = <uint32_t>gen[i]
            r.offset = off[i]
            # stacks and strings
            for c in range(4):
                if c == 0:
                    dst = &r.stack
                elif c == 1:
                    dst = &r.new_stack
                elif c == 2:
                    dst = &r.str_
                else:
                    dst = &r.str2
                dst[0] = 0
                if cols[k, c] < 0:
                    continue
                id_ = args[i, cols[k, c]]
                if id_ == 0:
                    continue
                if c < 2:
                    j = find_id(&stack_keys[0] if ns else NULL, ns, id_)
                    if j < 0:
                        if k == EvCPUSample:
                            continue        # Go does not check a sample's stack
                        bad = (i << 2) | 0
                        break
                    dst[0] = stack_vals[j]
                else:
                    j = find_id(&str_keys[0] if nstr else NULL, nstr, id_)
                    if j < 0:
                        bad = (i << 2) | 1
                        break
                    dst[0] = str_vals[j]
            if bad >= 0:
                break
            # the state transition
            src = trans[k, 0]
            r.target = -1
            r.from_state = trans[k, 1]
            r.to_state = trans[k, 2]
            if src == 1:
                r.target = <int64_t>args[i, 0]
            elif src == 2:
                r.target = g[i]
            elif src == 3:
                r.target = p[i]
            if k == EvProcSteal:
                r.from_state = PStIdle if extra[i] == ProcSyscallAbandoned_ else PStRunning
            elif k == EvProcStatus:
                r.from_state = <int8_t>extra[i]
                id_ = args[i, 1]
                r.to_state = PStIdle if (id_ == ProcIdle_ or id_ == ProcSyscallAbandoned_) else (
                    PStRunning if (id_ == ProcRunning_ or id_ == ProcSyscall_) else 0)
            elif k == EvGoStatus or k == EvGoStatusStack:
                packed = args[i, 2]
                r.from_state = <int8_t>(packed >> 32)
                id_ = packed & <uint64_t>0xFFFFFFFFU
                r.to_state = (2 if id_ == GoRunnable_ else 3 if id_ == GoRunning_ else
                              5 if id_ == GoSyscall_ else 4 if id_ == GoWaiting_ else 0)
    return bad
