# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""The queue core's Python face: validate once, then run Go's algorithms in C.

``Sched`` owns the P table and the global run queue (go-scheduler.md §1.4,
§1.5) as NumPy arrays and calls the inline algorithms of ``_runq.pxd``.
``Op`` runs the same algorithms one shared-memory access at a time
(§2.1-§2.8), so tests can interleave owners and thieves exactly where Go's
atomics allow it.
"""

import operator

import numpy as np
cimport numpy as cnp

from gmpcore.errors import GoThrow

from libc.stdint cimport int32_t, uint8_t, uint32_t, uint64_t

from gmpcore._defs cimport (gid_t, NIL_G, MAX_GID, RUNQ_SIZE, RUNQ_MASK, RUNQ_HALF,
                            MAX_PROCS, P_IDLE, P_RUNNING, P_DEAD)
from gmpcore._gqueue cimport (GQueue, gq_init, gq_free, gq_reserve, gq_push_back,
                              gq_at)
from gmpcore._rand cimport cheaprand, cheaprandn
from gmpcore._runq cimport (RunQueues, STEAL_HALF, RQ_OK, RQ_SPILLED, RQ_NOMEM, RQ_OVERFLOW, RQ_CORRUPT,
                            ring_of, runqsize, runqempty, runqput, runqputbatch,
                            runqget, runqdrain, runqgrab, runqsteal, shuffle_batch,
                            globrunqput, globrunqputhead, globrunqputbatch,
                            globrunqget, globrunqgetbatch, globrunq_batch_size)
from gmpcore._steal_order cimport (RandomOrder as COrder, RandomEnum,
                                   random_order_reset, random_order_free,
                                   random_order_start, random_enum_done,
                                   random_enum_next)

cnp.import_array()

RUNQ_CAPACITY = RUNQ_SIZE
MAX_G = MAX_GID
MAX_NPROCS = MAX_PROCS


# ---------------------------------------------------------------- validation

cdef object int64_index(object value, str name, str what):
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be {what}, got bool")
    try:
        return operator.index(value)
    except TypeError:
        raise TypeError(f"{name} must be {what}, got {type(value).__name__}") from None


cdef object check_gid(object g, str name="g"):
    v = int64_index(g, name, f"an integer G id in [0, {MAX_GID}]")
    if not 0 <= v <= MAX_GID:
        raise ValueError(f"{name} must be in [0, {MAX_GID}], got {v}")
    return v


cdef bint check_bool(object flag, str name) except -1:
    if not isinstance(flag, (bool, np.bool_)):
        raise TypeError(f"{name} must be a bool, got {type(flag).__name__}")
    return bool(flag)


cdef cnp.ndarray check_gids(object gs, str name="gs"):
    """A fresh 1-D int32 array of `gs`, every entry a valid G id."""
    if isinstance(gs, (set, frozenset, dict)):
        raise TypeError(f"{name} must be an ordered sequence of G ids, got {type(gs).__name__}")
    if not hasattr(gs, "__len__") and hasattr(gs, "__iter__"):
        gs = list(gs)                       # a generator or other one-shot iterable
    try:
        arr = np.asarray(gs)
    except (ValueError, TypeError) as err:
        raise ValueError(f"{name} must be a one-dimensional sequence of G ids ({err})") from None
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {arr.shape}")
    if arr.size == 0:
        return np.empty(0, dtype=np.int32)
    if arr.dtype == object:                 # Python ints too big for int64, or mixed types
        for x in arr:
            if isinstance(x, (bool, np.bool_)) or not hasattr(x, "__index__"):
                raise TypeError(f"{name} must hold integer G ids, got {type(x).__name__}")
        values = [operator.index(x) for x in arr]
        lo, hi = min(values), max(values)
    elif arr.dtype.kind not in "iu":
        raise TypeError(f"{name} must hold integer G ids, got dtype {arr.dtype}")
    else:
        lo, hi = arr.min(), arr.max()
    if lo < 0 or hi > MAX_GID:
        bad = lo if lo < 0 else hi
        raise ValueError(f"{name} entries must be in [0, {MAX_GID}], got {bad}")
    # Always a private, writable copy: the caller's array may be read-only
    # or change later.
    return np.array(arr, dtype=np.int32, order="C", copy=True)


cdef uint64_t seed_state(object seed) except? 0:
    if seed is not None:
        int64_index(seed, "seed", "a non-negative integer or None")
        if seed < 0:
            raise ValueError(f"seed must be a non-negative integer or None, got {seed}")
    return int(np.random.SeedSequence(seed).generate_state(1, np.uint64)[0])


def _readonly(cnp.ndarray arr):
    # A view through a read-only buffer: unlike a cleared flag, it cannot be
    # made writable again, so Python can never corrupt the tables.
    return np.asarray(memoryview(arr).toreadonly())


# ---------------------------------------------------------------- Sched

cdef class Sched:
    """Go's per-P run queues and the global run queue, with Go's algorithms.

    Parameters
    ----------
    nprocs : int
        Number of Ps (``gomaxprocs``), 1 to 1,048,576.
    seed : int or None
        Seeds the ``cheaprand`` stream used by race-mode randomization.
    randomize : bool
        Go's race-detector scheduling randomization (§2.1-§2.3): ``runqput``
        refuses ``runnext`` half the time and spilled or batched Gs are
        shuffled.
    sysmon : bool
        Whether a sysmon exists.  Without one (wasm) ``runqput`` never uses
        ``runnext`` (§2.1 step 1).
    runq_origin : int
        Starting value of every ``runqhead``/``runqtail`` counter, so tests
        can start near the 2**32 wrap-around.

    Examples
    --------
    >>> import gmpcore as gmp
    >>> s = gmp.Sched(nprocs=2)
    >>> s.runqput(0, 7)
    >>> s.runqput(0, 8, next=True)
    >>> s.runqget(0)          # runnext first, inheriting the time slice
    (8, True)
    >>> s.runqsteal(1, 0)     # P1 steals the last G it grabbed
    7
    >>> s.runqempty(0)
    True
    """

    cdef RunQueues q
    cdef COrder order
    cdef int _nprocs
    cdef object _seed
    cdef bint ready       # __init__ completed; every method checks it first
    cdef cnp.ndarray _runq, _runqhead, _runqtail, _runnext, _schedtick, _syscalltick
    cdef cnp.ndarray _status
    cdef int32_t[:, ::1] runq_mv
    cdef uint32_t[::1] runqhead_mv, runqtail_mv
    cdef int32_t[::1] runnext_mv
    cdef uint8_t[::1] status_mv
    cdef uint8_t[::1] _busy     # 1 while an Op is running as this P's owner
    cdef object _busy_kind

    def __cinit__(self):
        # Zero state: Sched.__new__(Sched) (or a subclass that skips or
        # swallows __init__) has NULL tables and ready == False, and every
        # method refuses it (_ready) instead of reading them.
        gq_init(&self.q.globrunq)
        self.q.runq = NULL
        self.q.nprocs = 0
        self.order.coprimes = NULL
        self.order.count = 0
        self.order.ncoprimes = 0
        self.ready = False

    def __init__(self, nprocs, seed=0, randomize=False, sysmon=True, runq_origin=0):
        if self.ready:
            raise RuntimeError("Sched.__init__ may only run once; create a new Sched")
        # Every argument is checked before any state changes, so a failed
        # __init__ leaves the object as __new__ made it.
        n = int64_index(nprocs, "nprocs", f"an integer in [1, {MAX_PROCS}]")
        if not 1 <= n <= MAX_PROCS:
            raise ValueError(f"nprocs must be in [1, {MAX_PROCS}], got {n}")
        origin = int64_index(runq_origin, "runq_origin", "an integer in [0, 2**32 - 1]")
        if not 0 <= origin <= 0xFFFFFFFF:
            raise ValueError(f"runq_origin must be in [0, 2**32 - 1], got {origin}")
        cdef uint64_t rand = seed_state(seed)
        cdef bint rnd = check_bool(randomize, "randomize")
        cdef bint smon = check_bool(sysmon, "sysmon")
        runq = np.full((n, RUNQ_SIZE), NIL_G, dtype=np.int32)
        runqhead = np.full(n, origin, dtype=np.uint32)
        runqtail = np.full(n, origin, dtype=np.uint32)
        runnext = np.full(n, NIL_G, dtype=np.int32)
        status = np.full(n, P_IDLE, dtype=np.uint8)
        busy = np.zeros(n, dtype=np.uint8)
        if random_order_reset(&self.order, n) < 0:
            raise MemoryError("cannot allocate the steal order")
        self._nprocs = n
        self._seed = seed
        self.q.rand = rand
        self.q.randomize = rnd
        self.q.have_sysmon = smon
        self.q.cap = RUNQ_SIZE               # Go's rings; policies are the engines' (gmpcore.policy)
        self.q.steal_rule = STEAL_HALF
        self._runq, self._runqhead, self._runqtail = runq, runqhead, runqtail
        self._runnext, self._status = runnext, status
        self._schedtick = np.zeros(n, dtype=np.uint32)
        self._syscalltick = np.zeros(n, dtype=np.uint32)
        self.runq_mv = self._runq
        self.runqhead_mv = self._runqhead
        self.runqtail_mv = self._runqtail
        self.runnext_mv = self._runnext
        self.status_mv = self._status
        self._busy = busy
        self._busy_kind = {}
        self.q.nprocs = n
        self.q.runq = &self.runq_mv[0, 0]
        self.q.runqhead = &self.runqhead_mv[0]
        self.q.runqtail = &self.runqtail_mv[0]
        self.q.runnext = &self.runnext_mv[0]
        self.q.status = &self.status_mv[0]
        self.ready = True

    def __dealloc__(self):
        gq_free(&self.q.globrunq)
        random_order_free(&self.order)

    def __reduce__(self):
        raise TypeError("Sched objects cannot be copied or pickled (Ops may be half way "
                        "through their queues); build a new Sched and replay the operations")

    cdef int _ready(self) except -1:
        if not self.ready:
            raise RuntimeError("Sched was not initialised; construct it with Sched(nprocs)")
        return 0

    @property
    def nprocs(self):
        """Number of Ps."""
        self._ready()
        return self._nprocs

    @property
    def seed(self):
        """The seed given to the constructor."""
        self._ready()
        return self._seed

    def __repr__(self):
        if not self.ready:
            return "<Sched, not initialised>"
        return (f"Sched(nprocs={self.nprocs}, seed={self.seed!r}, "
                f"randomize={bool(self.q.randomize)}, globrunqsize={self.q.globrunq.size})")

    # -- checks shared by every entry point

    cdef int32_t _p(self, object p, str name="p") except -1:
        self._ready()
        v = int64_index(p, name, f"an integer P index in [0, {self._nprocs - 1}]")
        if not 0 <= v < self._nprocs:
            raise ValueError(f"{name} must be in [0, {self._nprocs - 1}], got {v}")
        return v

    cdef int32_t _owner(self, object p, str name="p") except -1:
        # Only one thread runs a P at a time: its owner cannot start a new
        # operation while one of its Ops is half done.
        cdef int32_t v = self._p(p, name)
        if self._busy[v]:
            raise RuntimeError(
                f"P {v} is in the middle of {self._busy_kind[v]}; finish that Op "
                f"(step() or run()) before its owner starts another operation")
        return v

    cdef void _claim(self, int32_t p, str kind):
        self._busy[p] = 1
        self._busy_kind[p] = kind

    cdef void _release(self, int32_t p):
        self._busy[p] = 0
        self._busy_kind.pop(p, None)

    # -- local run queue (§2.1-§2.8)

    def runqput(self, p, g, next=False):
        """Put G `g` on P `p`'s local run queue (Go's ``runqput``, §2.1).

        With ``next=True`` g goes to ``runnext``; a G it displaces goes to
        the ring tail.  When the ring is full, ``runqputslow`` moves its 128
        oldest Gs plus the new one to the global queue tail (§2.2).

        >>> s = Sched(1)
        >>> for g in range(257):
        ...     s.runqput(0, g)
        >>> s.runqsize(0), s.globrunqsize()
        (128, 129)
        """
        cdef int32_t pp = self._owner(p)
        cdef gid_t gg = check_gid(g)
        cdef bint nx = check_bool(next, "next")
        rc = runqput(&self.q, pp, gg, nx)
        if rc == RQ_NOMEM:
            raise MemoryError("the global run queue cannot grow")
        if rc == RQ_CORRUPT:
            raise GoThrow("runqputslow: queue is not full")

    def runqputbatch(self, p, gs):
        """Append `gs` in order while P `p`'s ring has room (§2.3).

        Returns the Gs that did not fit, as Go leaves them in its queue.

        >>> s = Sched(1)
        >>> s.runqputbatch(0, range(250))
        array([], dtype=int32)
        >>> s.runqputbatch(0, range(250, 260))   # only 6 fit
        array([256, 257, 258, 259], dtype=int32)
        """
        cdef int32_t pp = self._owner(p)
        cdef cnp.ndarray arr = check_gids(gs)
        cdef int32_t[::1] mv = arr
        cdef uint32_t n = <uint32_t>min(arr.shape[0], RUNQ_SIZE + 1), k
        if arr.shape[0] == 0:
            return arr
        k = runqputbatch(&self.q, pp, &mv[0], n)
        return arr[k:].copy()

    def runqget(self, p):
        """Take the next G of P `p` (§2.4): ``(g, inherit_time)`` or ``None``.

        ``inherit_time`` is true for the ``runnext`` G, which shares the
        current time slice; a ring G starts a new one.
        """
        cdef int32_t pp = self._owner(p)
        cdef bint inherit = False
        cdef gid_t g = runqget(&self.q, pp, &inherit)
        if g == NIL_G:
            return None
        return (g, bool(inherit))

    def runqempty(self, p):
        """True when P `p` has neither ring entries nor ``runnext`` (§2.5)."""
        return bool(runqempty(&self.q, self._p(p)))

    def runqdrain(self, p):
        """Remove and return all of P `p`'s Gs, ``runnext`` first (§2.6)."""
        cdef int32_t pp = self._owner(p)
        cdef cnp.ndarray out = np.empty(RUNQ_SIZE + 1, dtype=np.int32)
        cdef int32_t[::1] mv = out
        cdef uint32_t n = runqdrain(&self.q, pp, &mv[0])
        return out[:n].copy()

    def runqgrab(self, victim, steal_runnext=False):
        """Remove ⌈n/2⌉ of `victim`'s oldest ring Gs and return them (§2.7).

        With an empty ring and ``steal_runnext``, takes ``runnext`` instead.

        >>> s = Sched(1)
        >>> s.runqputbatch(0, [1, 2, 3])
        array([], dtype=int32)
        >>> s.runqgrab(0)
        array([1, 2], dtype=int32)
        """
        cdef int32_t v = self._p(victim, "victim")
        cdef bint srn = check_bool(steal_runnext, "steal_runnext")
        cdef cnp.ndarray out = np.empty(RUNQ_SIZE, dtype=np.int32)
        cdef int32_t[::1] mv = out
        cdef uint32_t n = 0
        runqgrab(&self.q, v, &mv[0], 0, RUNQ_SIZE, srn, &n)
        return out[:n].copy()

    def runqsteal(self, thief, victim, steal_runnext=True):
        """P `thief` steals half of P `victim`'s queue (§2.8).

        The stolen Gs go to the thief's ring except the last one grabbed,
        which is returned (``None`` if there was nothing to steal).  Raises
        GoThrow("runqsteal: runq overflow") if the thief's ring could not
        hold them; nothing is changed then.
        """
        cdef int32_t t = self._owner(thief, "thief")
        cdef int32_t v = self._p(victim, "victim")
        cdef bint srn = check_bool(steal_runnext, "steal_runnext")
        cdef gid_t g = NIL_G
        if t == v:
            raise ValueError(f"thief and victim must differ, both are {t}")
        if runqsteal(&self.q, t, v, srn, &g) == RQ_OVERFLOW:
            raise GoThrow("runqsteal: runq overflow")
        return None if g == NIL_G else g

    def runqsize(self, p):
        """Entries in P `p`'s ring, ``runqtail - runqhead`` (runnext not counted)."""
        return runqsize(&self.q, self._p(p))

    def runnext(self, p):
        """The G in P `p`'s ``runnext`` slot, or ``None``."""
        cdef gid_t g = self.q.runnext[self._p(p)]
        return None if g == NIL_G else g

    def runq(self, p):
        """P `p`'s ring entries as a new int32 array, oldest first."""
        cdef int32_t pp = self._p(p)
        cdef uint32_t h = self.q.runqhead[pp], n = runqsize(&self.q, pp)
        idx = (np.arange(n, dtype=np.uint64) + h) & RUNQ_MASK
        return self._runq[pp, idx]

    # -- global run queue (§2.9)

    def globrunqput(self, g):
        """Append G `g` to the global run queue tail."""
        self._ready()
        if globrunqput(&self.q, check_gid(g)) < 0:
            raise MemoryError("the global run queue cannot grow")

    def globrunqputhead(self, g):
        """Push G `g` at the global run queue head (a destroyed P's Gs, §3.11)."""
        self._ready()
        if globrunqputhead(&self.q, check_gid(g)) < 0:
            raise MemoryError("the global run queue cannot grow")

    def globrunqputbatch(self, gs):
        """Append all of `gs`, in order, to the global run queue tail."""
        self._ready()
        cdef cnp.ndarray arr = check_gids(gs)
        cdef int32_t[::1] mv = arr
        if arr.shape[0] and globrunqputbatch(&self.q, &mv[0], arr.shape[0]) < 0:
            raise MemoryError("the global run queue cannot grow")

    def globrunqget(self, p, max=0):
        """P `p` takes work from the global queue; returns the G to run or None.

        ``max=1`` is Go 1.25's ``globrunqget()`` (one G, the 1-in-61 check);
        ``max=0`` is ``globrunqgetbatch(128)`` with the extra Gs appended to
        `p`'s ring by ``runqputbatch`` (findRunnable, §3.2 step 9).  This is
        the signature of Go ≤1.24's ``globrunqget(pp, max)``, whose effect is
        the same whenever the ring has room for the batch (≤1.24 put the extras
        one by one with ``runqput``).  The batch is min(max or 128, size,
        size/nprocs + 1).  If `p`'s ring cannot take the extras, raises
        GoThrow("Couldn't put Gs into empty local runq") before popping
        anything (Go only calls this with an empty ring).

        >>> s = Sched(4)
        >>> s.globrunqputbatch(range(10))
        >>> s.globrunqget(0)      # 10/4 + 1 = 3: run one, queue two
        0
        >>> s.runq(0)
        array([1, 2], dtype=int32)
        """
        cdef int32_t pp = self._owner(p)
        mx = int64_index(max, "max", f"an integer in [0, {RUNQ_HALF}]")
        if not 0 <= mx <= RUNQ_HALF:
            raise ValueError(f"max must be in [0, {RUNQ_HALF}], got {mx}")
        cdef uint32_t want = mx if mx else RUNQ_HALF
        cdef uint32_t k = globrunq_batch_size(&self.q, want)
        cdef gid_t out[RUNQ_HALF]
        if k == 0:
            return None
        if k - 1 > RUNQ_SIZE - runqsize(&self.q, pp):
            # Go only gets here with an empty ring; refuse rather than lose Gs.
            raise GoThrow("Couldn't put Gs into empty local runq")
        globrunqgetbatch(&self.q, want, out)
        runqputbatch(&self.q, pp, out + 1, k - 1)
        return out[0]

    def globrunqgetbatch(self, n=RUNQ_HALF):
        """Go 1.25's ``globrunqgetbatch(n)``: ``(g, rest)`` or ``None``.

        Pops min(n, size, size/nprocs + 1) Gs: `g` to run and `rest` (FIFO)
        for the caller's local queue.
        """
        self._ready()
        nn = int64_index(n, "n", "an integer in [1, 2**31 - 1]")
        if not 1 <= nn <= 0x7FFFFFFF:
            raise ValueError(f"n must be in [1, 2**31 - 1], got {nn}")
        cdef uint32_t k = globrunq_batch_size(&self.q, nn)
        cdef cnp.ndarray out
        cdef int32_t[::1] mv
        if k == 0:
            return None
        out = np.empty(k, dtype=np.int32)
        mv = out
        globrunqgetbatch(&self.q, nn, &mv[0])
        return int(out[0]), out[1:].copy()

    def globrunqsize(self):
        """Number of Gs in the global run queue (schedtrace's ``runqueue=``)."""
        self._ready()
        return self.q.globrunq.size

    def global_runq(self):
        """The global run queue as a new int32 array, head first."""
        self._ready()
        cdef uint64_t i, n = self.q.globrunq.size
        cdef cnp.ndarray out = np.empty(n, dtype=np.int32)
        cdef int32_t[::1] mv = out
        for i in range(n):
            mv[i] = gq_at(&self.q.globrunq, i)
        return out

    # -- P status and tables

    def set_status(self, p, status):
        """Set P `p`'s status (0 idle … 4 dead, §1.4).

        Only ``_Prunning`` (1) matters to the queues: a thief backs off 3 µs
        before stealing a running P's ``runnext`` (§2.7).
        """
        cdef int32_t pp = self._p(p)
        st = int64_index(status, "status", f"an integer in [{P_IDLE}, {P_DEAD}]")
        if not P_IDLE <= st <= P_DEAD:
            raise ValueError(f"status must be in [{P_IDLE}, {P_DEAD}], got {st}")
        self.q.status[pp] = st

    @property
    def randomize(self):
        """Whether race-mode randomization is on."""
        self._ready()
        return bool(self.q.randomize)

    @property
    def sysmon(self):
        """Whether a sysmon exists (else ``runqput`` never uses ``runnext``)."""
        self._ready()
        return bool(self.q.have_sysmon)

    @property
    def steal_order(self):
        """A :class:`RandomOrder` over this Sched's Ps (§3.3)."""
        self._ready()
        return RandomOrder(self._nprocs)

    @property
    def tables(self):
        """Read-only NumPy views of the P table, no copies.

        ``runq`` (nprocs × 256, int32, slot ``counter % 256``), ``runqhead``
        and ``runqtail`` (uint32 counters), ``runnext`` (int32, -1 = nil),
        ``schedtick``, ``syscalltick`` (uint32) and ``status`` (uint8).
        """
        self._ready()
        return {
            "runq": _readonly(self._runq),
            "runqhead": _readonly(self._runqhead),
            "runqtail": _readonly(self._runqtail),
            "runnext": _readonly(self._runnext),
            "schedtick": _readonly(self._schedtick),
            "syscalltick": _readonly(self._syscalltick),
            "status": _readonly(self._status),
        }

    # -- step-wise operations

    def busy(self, p):
        """True while an unfinished Op runs as P `p`'s owner."""
        cdef int32_t pp = self._p(p)
        return bool(self._busy[pp])

    def start_runqput(self, p, g, next=False):
        """An :class:`Op` performing ``runqput(p, g, next)`` step by step."""
        cdef int32_t pp = self._owner(p)
        cdef Op op = Op.__new__(Op, _OP_TOKEN)
        op._begin(self, OP_RUNQPUT, pp, -1)
        op.s.g = check_gid(g)
        op.s.next = check_bool(next, "next")
        if not self.q.have_sysmon:
            op.s.next = False
        if self.q.randomize and op.s.next and cheaprandn(&self.q.rand, 2) == 0:
            op.s.next = False
        op.s.step = S_LOAD_RUNNEXT if op.s.next else S_LOAD_HEAD
        op._claim()
        return op

    def start_runqget(self, p):
        """An :class:`Op` performing ``runqget(p)`` step by step."""
        cdef Op op = Op.__new__(Op, _OP_TOKEN)
        op._begin(self, OP_RUNQGET, self._owner(p), -1)
        op.s.step = S_LOAD_RUNNEXT
        op._claim()
        return op

    def start_runqdrain(self, p):
        """An :class:`Op` performing ``runqdrain(p)`` step by step."""
        cdef Op op = Op.__new__(Op, _OP_TOKEN)
        op._begin(self, OP_RUNQDRAIN, self._owner(p), -1)
        op.s.step = S_LOAD_RUNNEXT
        op._claim()
        return op

    def start_runqempty(self, p):
        """An :class:`Op` performing ``runqempty(p)`` step by step.

        Any P may ask, so this does not occupy `p`'s owner.
        """
        cdef Op op = Op.__new__(Op, _OP_TOKEN)
        op._begin(self, OP_RUNQEMPTY, self._p(p), -1)
        op.s.step = S_LOAD_HEAD
        return op

    def start_runqsteal(self, thief, victim, steal_runnext=True):
        """An :class:`Op` performing ``runqsteal(thief, victim)`` step by step."""
        cdef int32_t t = self._owner(thief, "thief")
        cdef int32_t v = self._p(victim, "victim")
        cdef Op op = Op.__new__(Op, _OP_TOKEN)
        if t == v:
            raise ValueError(f"thief and victim must differ, both are {t}")
        op._begin(self, OP_RUNQSTEAL, t, v)
        op.s.steal_runnext = check_bool(steal_runnext, "steal_runnext")
        op.s.tt = self.q.runqtail[t]      # the thief reads its own tail first
        op.s.step = S_LOAD_HEAD
        op._claim()
        return op


# ---------------------------------------------------------------- Op

cdef enum OpKind:
    OP_RUNQPUT
    OP_RUNQGET
    OP_RUNQEMPTY
    OP_RUNQDRAIN
    OP_RUNQSTEAL

# The next shared-memory access an Op will make.  Each is one atomic step of
# the runtime: a load, a CAS, a store-release, or a block under sched.lock.
cdef enum Step:
    S_DONE
    S_LOAD_RUNNEXT
    S_CAS_RUNNEXT
    S_LOAD_HEAD
    S_LOAD_TAIL
    S_RELOAD_TAIL
    S_COPY_BATCH
    S_CAS_HEAD
    S_STORE_TAIL
    S_BACKOFF
    S_GLOBRUNQPUTBATCH

_OP_TOKEN = object()
_OP_ONLY_FROM_SCHED = ("Op objects are made by Sched.start_runqput(), start_runqget(), "
                       "start_runqsteal(), start_runqempty() and start_runqdrain()")

STEP_NAMES = ("done", "load_runnext", "cas_runnext", "load_head", "load_tail",
              "reload_tail", "copy_batch", "cas_head", "store_tail", "backoff",
              "globrunqputbatch")
KIND_NAMES = ("runqput", "runqget", "runqempty", "runqdrain", "runqsteal")

cdef struct OpState:
    int kind              # OpKind
    int step              # Step to run next
    int32_t p             # owner P (thief for runqsteal)
    int32_t victim        # runqsteal victim, else -1
    gid_t g               # runqput: the G still in hand
    bint next             # runqput: aiming for runnext
    bint steal_runnext    # runqsteal: runnext allowed
    uint32_t h            # victim/own runqhead as loaded
    uint32_t t            # victim/own runqtail as loaded
    uint32_t tt           # runqsteal: thief's own tail, fixed for the whole op
    uint32_t n            # entries being moved
    gid_t seen_next       # runnext as loaded
    gid_t batch[RUNQ_SIZE + 1]   # runqputslow batch / runqdrain output
    uint32_t nbatch       # committed entries of batch
    uint32_t nheld        # runqsteal: committed Gs in the thief's ring beyond its tail
    gid_t result_g
    bint result_flag      # inherit_time / runqempty answer / spilled
    uint32_t retries      # failed CASes and inconsistent reads
    uint32_t steps
    uint32_t backoffs


cdef class Op:
    """One of Go's queue operations, advanced one atomic step at a time.

    Created by ``Sched.start_*``.  Between any two ``step()`` calls other
    operations may run, exactly where the runtime's loads, CASes and stores
    let other threads in.  ``next_step`` names the access about to happen;
    ``held`` lists the Gs this operation has taken out of every queue but not
    yet placed or handed out (a thief's copy counts only once its CAS
    commits).

    >>> import gmpcore as gmp
    >>> s = gmp.Sched(2)
    >>> s.runqput(0, 1)
    >>> steal = s.start_runqsteal(1, 0)
    >>> steal.next_step
    'load_head'
    >>> steal.step(); steal.step(); steal.next_step
    False
    False
    'copy_batch'
    >>> s.runqget(0)          # the owner runs between the thief's steps
    (1, False)
    >>> steal.run() is None   # its CAS failed, it retried and found nothing
    True
    >>> steal.retries
    1
    """

    cdef Sched sched
    cdef OpState s
    cdef bint claimed

    def __cinit__(self, *args, **kwargs):
        # Only Sched.start_*() holds the token: an Op without its Sched (made
        # by __new__ directly, or by a subclass) cannot exist, so no member
        # ever follows a missing Sched.
        if len(args) != 1 or args[0] is not _OP_TOKEN or kwargs:
            raise TypeError(_OP_ONLY_FROM_SCHED)

    def __init__(self, *args, **kwargs):
        raise TypeError(_OP_ONLY_FROM_SCHED)

    def __reduce__(self):
        raise TypeError("Op objects cannot be copied or pickled: an Op is one step of "
                        "an operation on its own Sched")

    cdef void _begin(self, Sched sched, int kind, int32_t p, int32_t victim):
        self.sched = sched
        self.s.kind = kind
        self.s.p = p
        self.s.victim = victim
        self.s.g = NIL_G
        self.s.seen_next = NIL_G
        self.s.result_g = NIL_G
        self.s.result_flag = False
        self.s.nbatch = 0
        self.s.nheld = 0
        self.s.retries = 0
        self.s.steps = 0
        self.s.backoffs = 0

    cdef void _claim(self):
        self.sched._claim(self.s.p, KIND_NAMES[self.s.kind])
        self.claimed = True

    cdef void _finish(self):
        self.s.step = S_DONE
        if self.claimed:
            self.sched._release(self.s.p)
            self.claimed = False

    def __dealloc__(self):
        # An abandoned Op frees its P; Gs it held are gone with it.
        if self.claimed and self.sched is not None:
            self.sched._release(self.s.p)

    @property
    def kind(self):
        return KIND_NAMES[self.s.kind]

    @property
    def p(self):
        return self.s.p

    @property
    def victim(self):
        return None if self.s.victim < 0 else self.s.victim

    @property
    def done(self):
        return self.s.step == S_DONE

    @property
    def next_step(self):
        return STEP_NAMES[self.s.step]

    @property
    def retries(self):
        return self.s.retries

    @property
    def steps(self):
        return self.s.steps

    @property
    def backoffs(self):
        return self.s.backoffs

    @property
    def held(self):
        cdef OpState* s = &self.s
        cdef gid_t* ring
        if s.step == S_DONE:
            return np.empty(0, dtype=np.int32)
        if s.kind == OP_RUNQPUT:
            if s.nbatch:
                return np.array([s.batch[i] for i in range(s.nbatch)], dtype=np.int32)
            return np.array([s.g], dtype=np.int32)
        if s.kind == OP_RUNQDRAIN:
            return np.array([s.batch[i] for i in range(s.nbatch)], dtype=np.int32)
        if s.kind == OP_RUNQSTEAL and s.nheld:
            ring = ring_of(&self.sched.q, s.p)
            return np.array([ring[(s.tt + i) & RUNQ_MASK] for i in range(s.nheld)],
                            dtype=np.int32)
        return np.empty(0, dtype=np.int32)

    @property
    def result(self):
        """The operation's return value, as the matching Sched method gives it.

        ``None`` while not done.
        """
        cdef OpState* s = &self.s
        if s.step != S_DONE:
            return None
        if s.kind == OP_RUNQGET:
            return None if s.result_g == NIL_G else (s.result_g, bool(s.result_flag))
        if s.kind == OP_RUNQEMPTY:
            return bool(s.result_flag)
        if s.kind == OP_RUNQDRAIN:
            return np.array([s.batch[i] for i in range(s.nbatch)], dtype=np.int32)
        if s.kind == OP_RUNQSTEAL:
            return None if s.result_g == NIL_G else s.result_g
        return None

    def step(self):
        """Perform the next atomic step; returns True once the op is done."""
        if self.s.step == S_DONE:
            raise RuntimeError(f"this {self.kind} has already finished")
        rc = op_step(&self.sched.q, &self.s)
        if rc == RQ_NOMEM:
            raise MemoryError("the global run queue cannot grow")
        if self.s.step == S_DONE:
            self._finish()
        if rc == RQ_OVERFLOW:
            raise GoThrow("runqsteal: runq overflow")
        return self.s.step == S_DONE

    def run(self):
        """Step until done and return ``result``."""
        while self.s.step != S_DONE:
            self.step()
        return self.result

    def __repr__(self):
        who = f"p={self.s.p}" if self.s.victim < 0 else f"thief={self.s.p} victim={self.s.victim}"
        return f"<Op {self.kind} {who} next_step={self.next_step} retries={self.s.retries}>"


cdef int op_step(RunQueues* q, OpState* s) noexcept nogil:
    """One atomic step of a queue operation (§2.1-§2.8, step by step).

    Each branch is one shared-memory access of the runtime; the comments name
    Go's statement.  Returns RQ_OK, RQ_NOMEM or RQ_OVERFLOW.
    """
    cdef int32_t p = s.p, v = s.victim
    cdef gid_t* ring = ring_of(q, p)
    cdef gid_t* vring
    cdef uint32_t n, i, room
    s.steps += 1

    if s.kind == OP_RUNQPUT:
        if s.step == S_LOAD_RUNNEXT:              # oldnext := pp.runnext
            s.seen_next = q.runnext[p]
            s.step = S_CAS_RUNNEXT
        elif s.step == S_CAS_RUNNEXT:             # pp.runnext.cas(oldnext, gp)
            if q.runnext[p] != s.seen_next:
                s.retries += 1
                s.step = S_LOAD_RUNNEXT
            else:
                q.runnext[p] = s.g
                if s.seen_next == NIL_G:
                    s.step = S_DONE
                else:
                    s.g = s.seen_next             # kicked out: to the ring tail
                    s.step = S_LOAD_HEAD
        elif s.step == S_LOAD_HEAD:               # h := LoadAcq(&runqhead); t := runqtail
            s.h = q.runqhead[p]
            s.t = q.runqtail[p]
            s.step = S_STORE_TAIL if s.t - s.h < RUNQ_SIZE else S_COPY_BATCH
        elif s.step == S_STORE_TAIL:              # runq[t%256] = gp; StoreRel(&runqtail, t+1)
            ring[s.t & RUNQ_MASK] = s.g
            q.runqtail[p] = s.t + 1
            s.step = S_DONE
        elif s.step == S_COPY_BATCH:              # runqputslow: copy the 128 oldest
            s.n = (s.t - s.h) // 2
            for i in range(s.n):
                s.batch[i] = ring[(s.h + i) & RUNQ_MASK]
            s.step = S_CAS_HEAD
        elif s.step == S_CAS_HEAD:                # CasRel(&runqhead, h, h+n)
            if q.runqhead[p] != s.h:
                s.retries += 1                    # a thief took some: the ring has room now
                s.step = S_LOAD_HEAD
            else:
                q.runqhead[p] = s.h + s.n
                s.batch[s.n] = s.g
                s.nbatch = s.n + 1
                if q.randomize:
                    shuffle_batch(q, s.batch, s.nbatch)
                s.step = S_GLOBRUNQPUTBATCH
        elif s.step == S_GLOBRUNQPUTBATCH:        # lock; globrunqputbatch; unlock
            if globrunqputbatch(q, s.batch, s.nbatch) < 0:
                return RQ_NOMEM
            s.nbatch = 0
            s.result_flag = True
            s.step = S_DONE

    elif s.kind == OP_RUNQGET:
        if s.step == S_LOAD_RUNNEXT:              # next := pp.runnext
            s.seen_next = q.runnext[p]
            s.step = S_LOAD_HEAD if s.seen_next == NIL_G else S_CAS_RUNNEXT
        elif s.step == S_CAS_RUNNEXT:             # pp.runnext.cas(next, 0); no retry
            if q.runnext[p] == s.seen_next:
                q.runnext[p] = NIL_G
                s.result_g = s.seen_next
                s.result_flag = True
                s.step = S_DONE
            else:
                s.retries += 1
                s.step = S_LOAD_HEAD
        elif s.step == S_LOAD_HEAD:               # h := LoadAcq(&runqhead); t := runqtail
            s.h = q.runqhead[p]
            s.t = q.runqtail[p]
            s.step = S_DONE if s.t == s.h else S_CAS_HEAD
        elif s.step == S_CAS_HEAD:                # gp := runq[h%256]; CasRel(&runqhead, h, h+1)
            if q.runqhead[p] != s.h:
                s.retries += 1
                s.step = S_LOAD_HEAD
            else:
                s.result_g = ring[s.h & RUNQ_MASK]
                q.runqhead[p] = s.h + 1
                s.step = S_DONE

    elif s.kind == OP_RUNQEMPTY:
        if s.step == S_LOAD_HEAD:                 # head := Load(&runqhead)
            s.h = q.runqhead[p]
            s.step = S_LOAD_TAIL
        elif s.step == S_LOAD_TAIL:               # tail := Load(&runqtail)
            s.t = q.runqtail[p]
            s.step = S_LOAD_RUNNEXT
        elif s.step == S_LOAD_RUNNEXT:            # runnext := Load(&runnext)
            s.seen_next = q.runnext[p]
            s.step = S_RELOAD_TAIL
        elif s.step == S_RELOAD_TAIL:             # if tail == Load(&runqtail) { return ... }
            if q.runqtail[p] == s.t:
                s.result_flag = s.h == s.t and s.seen_next == NIL_G
                s.step = S_DONE
            else:
                s.retries += 1
                s.step = S_LOAD_HEAD

    elif s.kind == OP_RUNQDRAIN:
        if s.step == S_LOAD_RUNNEXT:              # oldNext := pp.runnext
            s.seen_next = q.runnext[p]
            s.step = S_LOAD_HEAD if s.seen_next == NIL_G else S_CAS_RUNNEXT
        elif s.step == S_CAS_RUNNEXT:             # pp.runnext.cas(oldNext, 0)
            if q.runnext[p] == s.seen_next:
                q.runnext[p] = NIL_G
                s.batch[0] = s.seen_next
                s.nbatch = 1
            else:
                s.retries += 1
            s.step = S_LOAD_HEAD
        elif s.step == S_LOAD_HEAD:               # h := LoadAcq(&runqhead); t := runqtail
            s.h = q.runqhead[p]
            s.t = q.runqtail[p]
            s.n = s.t - s.h
            if s.n == 0:
                s.step = S_DONE
            elif s.n > RUNQ_SIZE:                 # inconsistent h and t: read again
                s.retries += 1
            else:
                s.step = S_CAS_HEAD
        elif s.step == S_CAS_HEAD:                # CasRel(&runqhead, h, h+qn), then collect
            if q.runqhead[p] != s.h:
                s.retries += 1
                s.step = S_LOAD_HEAD
            else:
                q.runqhead[p] = s.h + s.n
                for i in range(s.n):
                    s.batch[s.nbatch + i] = ring[(s.h + i) & RUNQ_MASK]
                s.nbatch += s.n
                s.step = S_DONE

    elif s.kind == OP_RUNQSTEAL:
        vring = ring_of(q, v)
        if s.step == S_LOAD_HEAD:                 # h := LoadAcq(&victim.runqhead)
            s.h = q.runqhead[v]
            s.step = S_LOAD_TAIL
        elif s.step == S_LOAD_TAIL:               # t := LoadAcq(&victim.runqtail); n -= n/2
            s.t = q.runqtail[v]
            n = s.t - s.h
            s.n = n - n // 2
            if s.n == 0:
                s.step = S_LOAD_RUNNEXT if s.steal_runnext else S_DONE
            elif s.n > RUNQ_HALF:                 # inconsistent h and t: start over
                s.retries += 1
                s.step = S_LOAD_HEAD
            else:
                s.step = S_COPY_BATCH
        elif s.step == S_LOAD_RUNNEXT:            # next := victim.runnext
            s.seen_next = q.runnext[v]
            if s.seen_next == NIL_G:
                s.step = S_DONE
            elif q.status[v] == P_RUNNING:        # let it run the G it just readied
                s.step = S_BACKOFF
            else:
                s.step = S_CAS_RUNNEXT
        elif s.step == S_BACKOFF:                 # usleep(3)
            s.backoffs += 1
            s.step = S_CAS_RUNNEXT
        elif s.step == S_CAS_RUNNEXT:             # victim.runnext.cas(next, 0)
            if q.runnext[v] != s.seen_next:
                s.retries += 1
                s.step = S_LOAD_HEAD
            else:
                if RUNQ_SIZE - (s.tt - q.runqhead[p]) < 1:
                    s.step = S_DONE
                    return RQ_OVERFLOW
                q.runnext[v] = NIL_G
                ring[s.tt & RUNQ_MASK] = s.seen_next
                s.result_g = s.seen_next
                s.step = S_DONE
        elif s.step == S_COPY_BATCH:              # batch[(t+i)%256] = victim.runq[(h+i)%256]
            room = RUNQ_SIZE - (s.tt - q.runqhead[p])
            if s.n > room:                        # would overwrite live entries
                s.step = S_DONE
                return RQ_OVERFLOW
            for i in range(s.n):
                ring[(s.tt + i) & RUNQ_MASK] = vring[(s.h + i) & RUNQ_MASK]
            s.step = S_CAS_HEAD
        elif s.step == S_CAS_HEAD:                # CasRel(&victim.runqhead, h, h+n)
            if q.runqhead[v] != s.h:
                s.retries += 1
                s.step = S_LOAD_HEAD
            else:
                q.runqhead[v] = s.h + s.n
                s.nheld = s.n
                if s.n == 1:                      # nothing to publish
                    s.result_g = ring[s.tt & RUNQ_MASK]
                    s.nheld = 0
                    s.step = S_DONE
                else:
                    s.step = S_STORE_TAIL
        elif s.step == S_STORE_TAIL:              # StoreRel(&runqtail, t+n-1); return the last
            s.result_g = ring[(s.tt + s.n - 1) & RUNQ_MASK]
            q.runqtail[p] = s.tt + s.n - 1
            s.nheld = 0
            s.step = S_DONE
    return RQ_OK


# ---------------------------------------------------------------- steal order

cdef class RandomOrder:
    """Go's random steal order over `count` Ps (§3.3).

    >>> o = RandomOrder(6)
    >>> o.coprimes
    array([1, 5], dtype=uint32)
    >>> o.start(13)           # pos = 13 % 6, inc = coprimes[13 // 6 % 2]
    (1, 1)
    >>> o.order(13)
    array([1, 2, 3, 4, 5, 0], dtype=uint32)
    """

    cdef COrder o

    def __cinit__(self):
        # Zero state: count 0 and no coprimes.  RandomOrder.__new__(RandomOrder)
        # stays so, and every member refuses it (_ready) rather than take a
        # number modulo 0.
        self.o.coprimes = NULL
        self.o.count = 0
        self.o.ncoprimes = 0

    def __init__(self, count):
        if self.o.coprimes != NULL:
            raise RuntimeError("RandomOrder.__init__ may only run once; create a new "
                               "RandomOrder")
        c = int64_index(count, "count", f"an integer in [1, {MAX_PROCS}]")
        if not 1 <= c <= MAX_PROCS:
            raise ValueError(f"count must be in [1, {MAX_PROCS}], got {c}")
        if random_order_reset(&self.o, c) < 0:      # leaves the zero state
            raise MemoryError("cannot allocate the steal order")

    def __dealloc__(self):
        random_order_free(&self.o)

    cdef int _ready(self) except -1:
        if self.o.coprimes == NULL or self.o.count == 0 or self.o.ncoprimes == 0:
            raise RuntimeError("RandomOrder was not initialised; construct it with "
                               "RandomOrder(count)")
        return 0

    def __reduce__(self):
        self._ready()
        return (RandomOrder, (self.o.count,))

    def __repr__(self):
        if self.o.coprimes == NULL:
            return "<RandomOrder, not initialised>"
        return f"RandomOrder({self.o.count})"

    @property
    def count(self):
        """Number of Ps enumerated."""
        self._ready()
        return self.o.count

    @property
    def coprimes(self):
        """Every i in 1..count with gcd(i, count) == 1, ascending."""
        self._ready()
        return np.array([self.o.coprimes[i] for i in range(self.o.ncoprimes)],
                        dtype=np.uint32)

    cdef uint32_t _r(self, object r) except? 0:
        v = int64_index(r, "r", "an integer in [0, 2**32 - 1]")
        if not 0 <= v <= 0xFFFFFFFF:
            raise ValueError(f"r must be in [0, 2**32 - 1], got {v}")
        return v

    def start(self, r):
        """``(pos, inc)`` of the enumeration started by the 32-bit random `r`."""
        self._ready()
        cdef RandomEnum e = random_order_start(&self.o, self._r(r))
        return (e.pos, e.inc)

    def order(self, r):
        """Every P once, in the order an enumeration started by `r` visits them."""
        self._ready()
        cdef RandomEnum e = random_order_start(&self.o, self._r(r))
        cdef cnp.ndarray out = np.empty(self.o.count, dtype=np.uint32)
        cdef uint32_t[::1] mv = out
        cdef uint32_t k = 0
        while not random_enum_done(&e):
            mv[k] = e.pos
            k += 1
            random_enum_next(&e)
        return out


def cheaprand_stream(seed, n):
    """The first `n` 32-bit draws of Go's cheaprand seeded as Sched seeds it.

    Lets the pure-Python reference check its wyrand against the C one.
    """
    cdef uint64_t state = seed_state(seed)
    cdef cnp.ndarray out = np.empty(int(n), dtype=np.uint32)
    cdef uint32_t[::1] mv = out
    cdef Py_ssize_t i
    for i in range(out.shape[0]):
        mv[i] = cheaprand(&state)
    return out
