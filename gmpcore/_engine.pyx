# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""The compiled simulation engine: Go's scheduler in virtual time, in C.

A line-by-line translation of the reference engine
(``gmpcore/reference/``, the oracle): the same workload, seed and options
give the same event log row for row, the same per-G records, per-P figures,
counters and makespan (docs/simulator-design.md).  Each function is one
function of the reference, named as in Go's proc.go and citing
go-scheduler.md (§).

The engine is split by concept: this file holds the small helpers, the
duration draws and the Python face, and includes one ``_engine_<concept>.pxi``
per concept (event heap, G table, scheduler core, timers, network poller,
running goroutines, sync objects, system calls, sysmon, checks, observing,
the event loop), each with its contract at the top and a twin module
``gmpcore/reference/<concept>.py``.  Textual inclusion keeps one C file, so
the compiler still inlines across concepts.

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
from libc.stdint cimport int32_t, int64_t, uint8_t, uint32_t, uint64_t, INT32_MAX, UINT32_MAX
from libc.stdlib cimport calloc, free, malloc, realloc
from libc.string cimport memcpy, memmove, memset
from numpy.random cimport bitgen_t
from numpy.random.c_distributions cimport (random_standard_exponential, random_standard_normal,
                                           random_standard_uniform)

from gmpcore._defs cimport (gid_t, MAX_GID, NIL_G, P_DEAD, P_GCSTOP, P_IDLE, P_RUNNING,
                            P_SYSCALL, RUNQ_HALF, RUNQ_MASK, RUNQ_SIZE)
from gmpcore._gqueue cimport GQueue, gq_at, gq_free, gq_init, gq_pop_front, gq_push_back, gq_push_front
from gmpcore._latency cimport LAT_N_COUNTS, lat_index
from gmpcore._model cimport (FORCE_PREEMPT_NS, GLOBAL_CHECK_PERIOD, GOIDCACHE_BATCH,
                             NETPOLL_RESOLUTION, RETAKE_SYSCALL_NS,
                             REUSE_PROBE, NOISE_QUANTILES, G_STATE_BYTES, GFREE_TRIM, GFREE_BATCH, RUNNEXT_BACKOFF, STACK_MIN, STW_PREEMPT_PERIOD,
                             UPDATE_MAXPROCS_PERIOD, STARVATION_THRESHOLD_NS, ACTIVE_SPIN,
                             ACTIVE_SPIN_CNT, RWMUTEX_MAX_READERS,
                             SYSMON_DEEP_SLEEP,
                             SYSMON_IDLE_CYCLES, SYSMON_MAX_DELAY, SYSMON_MIN_DELAY,
                             SYSMON_NETPOLL_PERIOD, ZERO_TIME_BUDGET, OS_BASE_SLICE,
                             OS_SLICE_MAX_CPUS, OS_TICK, OS_CTX_SWITCH, CFS_QUOTA_MIN,
                             CFS_PERIOD_MAX)
from gmpcore._rand cimport cheaprand
from gmpcore._runq cimport (STEAL_ALL, STEAL_HALF, STEAL_HALF_DOWN, STEAL_ONE, RQ_CORRUPT, RQ_NOMEM, RQ_OVERFLOW, RunQueues, globrunq_batch_size,
                            globrunqgetbatch, globrunqput, globrunqputbatch, globrunqputhead,
                            ring_of,
                            runqempty, runqget, runqput, runqputbatch, runqsize, runqsteal,
                            steal_amount)
from gmpcore._steal_order cimport random_order_free, random_order_reset

from gmpcore.events import CAUSES as _CAUSES
from gmpcore.startup import runtime_programs
from gmpcore.errors import (Deadlock, GoFatalError, GoThrow, StackOverflow, SyncFatal, ThreadExhaustion,
                           WorkloadPanic, goroutine_dump)
from gmpcore.results import (
    G_DTYPE, MONITOR_FIELDS, P_DTYPE, SPAN_DTYPE, THREAD_DTYPE, monitor_dtype,
)
from gmpcore.state import schedtrace_line
from gmpcore.workload import CompiledWorkload

cnp.import_array()

cdef extern from *:
    """
    #if defined(_MSC_VER)
    #define gmp_prefetch(p) ((void)(p))
    #else
    #define gmp_prefetch(p) __builtin_prefetch((p), 1, 3)
    #endif
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


# ================================================================ randomness


cdef inline uint32_t rand32(Engine* e) noexcept nogil:
    return cheaprand(&e.cheaprand)


cdef inline int64_t drawn(Engine* e, const int64_t* field) noexcept nogil:
    """reference draw_cost(): one charge of the cost at `field` (a member of
    e.c).  Without noise, its value; with noise, a draw from its quantile
    table on the noise stream (gmpcore.noise): integers only, so both engines
    agree bit for bit.  Call it once per charge, in the reference's order (C
    leaves the order of operands of + open: never two draws in one expression)."""
    cdef uint32_t r
    if not e.noise_on:
        return field[0]
    r = cheaprand(&e.noise_rng) >> 24
    return (field[0] * e.noise_tab[(field - <const int64_t*>&e.c) * NOISE_QUANTILES + r]) >> 16


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


# ================================================================ the engine, by concept
# Each file is one concept with its contract at the top, textually included
# so that the C compiler still sees one translation unit and inlines across
# them; gmpcore/reference/ has a module for each, with the same function names.

include "_engine_heap.pxi"
include "_engine_gtable.pxi"
include "_engine_cpu.pxi"
include "_engine_sched.pxi"
include "_engine_lockedm.pxi"
include "_engine_timers.pxi"
include "_engine_netpoll.pxi"
include "_engine_program.pxi"
include "_engine_sync.pxi"
include "_engine_mutex.pxi"
include "_engine_select.pxi"
include "_engine_rwmutex.pxi"
include "_engine_syscalls.pxi"
include "_engine_sysmon.pxi"
include "_engine_stw.pxi"
include "_engine_runtime.pxi"
include "_engine_check.pxi"
include "_engine_observe.pxi"
include "_engine_loop.pxi"


# ================================================================ the Python face

#: Bytes per G of the G table (GRec, the rows of results.G_DTYPE), plus 4
#: for loop counters when some program uses ``repeat``.
G_BYTES = sizeof(GRec)
#: Bytes per span row (SpanRow, the rows of results.SPAN_DTYPE).
SPAN_BYTES = sizeof(SpanRow)

#: Policy.steal's names and the run queues' STEAL_* codes.
STEAL_RULE_CODES = dict(half=STEAL_HALF, half_down=STEAL_HALF_DOWN, one=STEAL_ONE, all=STEAL_ALL)

#: The model's constants (_model.pxd), for gmpcore.model.
MODEL = dict(
    FORCE_PREEMPT_NS=FORCE_PREEMPT_NS, SYSMON_MIN_DELAY=SYSMON_MIN_DELAY,
    SYSMON_MAX_DELAY=SYSMON_MAX_DELAY, SYSMON_IDLE_CYCLES=SYSMON_IDLE_CYCLES,
    SYSMON_NETPOLL_PERIOD=SYSMON_NETPOLL_PERIOD, SYSMON_DEEP_SLEEP=SYSMON_DEEP_SLEEP,
    RETAKE_SYSCALL_NS=RETAKE_SYSCALL_NS, RUNNEXT_BACKOFF=RUNNEXT_BACKOFF,
    GLOBAL_CHECK_PERIOD=GLOBAL_CHECK_PERIOD, GOIDCACHE_BATCH=GOIDCACHE_BATCH,
    STACK_MIN=STACK_MIN, NETPOLL_MAX_EVENTS=NETPOLL_MAX_EVENTS,
    NETPOLL_RESOLUTION=NETPOLL_RESOLUTION, ZERO_TIME_BUDGET=ZERO_TIME_BUDGET,
    REUSE_PROBE=REUSE_PROBE, NOISE_QUANTILES=NOISE_QUANTILES, G_STATE_BYTES=G_STATE_BYTES,
    GFREE_TRIM=GFREE_TRIM, GFREE_BATCH=GFREE_BATCH, OS_BASE_SLICE=OS_BASE_SLICE, OS_SLICE_MAX_CPUS=OS_SLICE_MAX_CPUS,
    OS_TICK=OS_TICK, OS_CTX_SWITCH=OS_CTX_SWITCH, CFS_QUOTA_MIN=CFS_QUOTA_MIN,
    CFS_PERIOD_MAX=CFS_PERIOD_MAX, STW_PREEMPT_PERIOD=STW_PREEMPT_PERIOD,
    UPDATE_MAXPROCS_PERIOD=UPDATE_MAXPROCS_PERIOD,
    STARVATION_THRESHOLD_NS=STARVATION_THRESHOLD_NS, ACTIVE_SPIN=ACTIVE_SPIN,
    ACTIVE_SPIN_CNT=ACTIVE_SPIN_CNT, RWMUTEX_MAX_READERS=RWMUTEX_MAX_READERS,
)

#: The codes _engine.pxd declares that gmpcore.events also defines (a test
#: checks that the two agree).
CODES = dict(
    G_RUNNABLE=G_RUNNABLE, G_RUNNING=G_RUNNING, G_SYSCALL=G_SYSCALL, G_WAITING=G_WAITING,
    G_DEAD=G_DEAD, WAIT_NONE=WAIT_NONE, WAIT_CHAN_RECEIVE=WAIT_CHAN_RECEIVE,
    WAIT_CHAN_SEND=WAIT_CHAN_SEND, WAIT_SLEEP=WAIT_SLEEP, WAIT_IO=WAIT_IO,
    WAIT_WAITGROUP=WAIT_WAITGROUP, WAIT_STOPPING_THE_WORLD=WAIT_STOPPING_THE_WORLD,
    WAIT_SEMACQUIRE=WAIT_SEMACQUIRE, WAIT_SYNC_MUTEX_LOCK=WAIT_SYNC_MUTEX_LOCK,
    WAIT_SYNC_RWMUTEX_RLOCK=WAIT_SYNC_RWMUTEX_RLOCK, WAIT_SYNC_RWMUTEX_LOCK=WAIT_SYNC_RWMUTEX_LOCK,
    WAIT_SYNC_COND_WAIT=WAIT_SYNC_COND_WAIT, EV_CREATE=EV_CREATE, EV_RUN=EV_RUN, EV_STOP=EV_STOP,
    EV_READY=EV_READY, EV_STEAL=EV_STEAL, EV_SPILL=EV_SPILL, EV_SYSCALL_ENTER=EV_SYSCALL_ENTER,
    EV_SYSCALL_EXIT=EV_SYSCALL_EXIT, EV_HANDOFF=EV_HANDOFF, EV_THREAD_CREATE=EV_THREAD_CREATE,
    EV_M_PARK=EV_M_PARK, EV_M_WAKE=EV_M_WAKE, EV_SPIN=EV_SPIN, EV_TIMER=EV_TIMER,
    EV_NETPOLL=EV_NETPOLL, EV_PREEMPT=EV_PREEMPT, EV_IO_READY=EV_IO_READY, EV_WAIT=EV_WAIT,
    EV_PROCS=EV_PROCS, EV_STW_START=EV_STW_START, EV_STW_DONE=EV_STW_DONE,
    STW_GOMAXPROCS=STW_GOMAXPROCS, CAUSE_USER=CAUSE_USER, CAUSE_UPDATE=CAUSE_UPDATE,
    STOP_EXIT=STOP_EXIT, STOP_PARK=STOP_PARK, STOP_GOSCHED=STOP_GOSCHED,
    STOP_PREEMPT=STOP_PREEMPT, STOP_SYSCALL=STOP_SYSCALL,
    P_IDLE=P_IDLE, P_RUNNING=P_RUNNING, P_SYSCALL=P_SYSCALL, P_GCSTOP=P_GCSTOP, P_DEAD=P_DEAD,
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
    stw_stop=<Py_ssize_t>&(<Costs*>NULL).stw_stop,
    stw_start=<Py_ssize_t>&(<Costs*>NULL).stw_start,
    procresize_p=<Py_ssize_t>&(<Costs*>NULL).procresize_p,
    mutex_lock=<Py_ssize_t>&(<Costs*>NULL).mutex_lock,
    mutex_unlock=<Py_ssize_t>&(<Costs*>NULL).mutex_unlock,
    mutex_spin=<Py_ssize_t>&(<Costs*>NULL).mutex_spin,
    rwmutex_rlock=<Py_ssize_t>&(<Costs*>NULL).rwmutex_rlock,
    rwmutex_runlock=<Py_ssize_t>&(<Costs*>NULL).rwmutex_runlock,
    cond_op=<Py_ssize_t>&(<Costs*>NULL).cond_op,
    timer_wake=<Py_ssize_t>&(<Costs*>NULL).timer_wake,
    newproc_fresh=<Py_ssize_t>&(<Costs*>NULL).newproc_fresh,
    stackalloc=<Py_ssize_t>&(<Costs*>NULL).stackalloc,
    cold_switch=<Py_ssize_t>&(<Costs*>NULL).cold_switch,
    cache_bytes=<Py_ssize_t>&(<Costs*>NULL).cache_bytes,
    select_base=<Py_ssize_t>&(<Costs*>NULL).select_base,
    select_case=<Py_ssize_t>&(<Costs*>NULL).select_case,
    select_wake=<Py_ssize_t>&(<Costs*>NULL).select_wake,
    timer_modify=<Py_ssize_t>&(<Costs*>NULL).timer_modify,
    close_waiter=<Py_ssize_t>&(<Costs*>NULL).close_waiter,
    cond_waiter=<Py_ssize_t>&(<Costs*>NULL).cond_waiter,
)
COSTS_BYTES = sizeof(Costs)

_PLACES = {
    PL_RUNQ: "runq of P{}", PL_RUNNEXT: "runnext of P{}", PL_TIMER: "a timer of P{}",
    PL_GLOBAL: "the global queue", PL_RUNNING: "running on M{}", PL_HAND: "in M{}'s hand",
    PL_CHAN: "a channel queue", PL_WG: "a WaitGroup", PL_IOREADY: "the netpoller's ready list",
    PL_SEMA: "the stop-the-world semaphore", PL_MUTEX: "a mutex's semaphore",
    PL_RWSEMA: "an RWMutex's semaphore", PL_COND: "a Cond's notify list",
    PL_TIMER_CHAN: "a timer channel queue",
}

#: check_invariants' stop-the-world failures (CHK_STW, chk_g), worded as the reference's.
_STW_CHECKS = ("stopwait < 0", "stopwait disagrees with the Ps not stopped",
              "a P is _Pgcstop outside a stop-the-world",
              "a P beyond gomaxprocs is not dead and empty")

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
    # Each distribution's mean, for a repeat whose count is drawn (sample()'s kinds).
    draw_means = [p1 if kind in (0, 2) else (p1 + p2) / 2 if kind == 1
                  else p1 * exp(min(p2 * p2 / 2, 700.0))
                  for kind, p1, p2 in np.asarray(compiled.dists).tolist()]
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
            if op == OP_LOOPDRAW and c > pc and top < MAX_LOOP_DEPTH:
                mult *= draw_means[a]             # a drawn count: its mean
                ends[top] = c
                mults[top] = mult
                top += 1
            elif op == OP_LOOP and a > 0 and c > pc and top < MAX_LOOP_DEPTH:
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
    cdef object noise_arr                # the noise tables, kept alive for e.noise_tab
    cdef object ms_buf, ps_buf, pidle_buf, midle_buf, chans_buf, wgs_buf, mus_buf, rws_buf, conds_buf
    cdef object lifo_buf                 # Policy.lifo_limit's per-P counts (e.pol.lifo)
    cdef object cpu_bufs, quota_rows     # the CPU layer's arrays (setup_machine)
    cdef object log_arr
    cdef object goid_filter_arr          # sorted int64 goids, kept alive for e.goid_filter
    cdef object on_schedtrace
    cdef tuple program_names             # for the deadlock dump
    cdef tuple panic_messages            # OP_PANIC's operand indexes them
    cdef bint scheddetail
    cdef bint has_spans                  # the workload has spans: res.spans is an array
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
        gq_init(&self.e.stw_sema)

    def __dealloc__(self):
        cdef int64_t i
        cdef Engine* e = &self.e
        gq_free(&e.q.globrunq)
        gq_free(&e.io_ready)
        gq_free(&e.stw_sema)
        free(e.hist)
        random_order_free(&e.order)
        free(e.heap.b.a)
        free(e.pool.slots)
        free(e.trace)
        free(e.spans)
        free(e.mon)
        free(e.g.a)
        free(e.g.since)
        free(e.g.loops)
        free(e.where)
        free(e.where_id)
        if e.ps != NULL:
            for i in range(e.np_alloc):
                free(e.ps[i].timers.a)
        if e.chans != NULL:
            for i in range(e.nchans):
                gq_free(&e.chans[i].recvq)
                gq_free(&e.chans[i].sendq)
                free(e.chans[i].ring)
        if e.wgs != NULL:
            for i in range(e.nwgs):
                gq_free(&e.wgs[i].waiters)
        if e.mus != NULL:
            for i in range(e.nmus):
                gq_free(&e.mus[i].semq)
        free(e.mul)
        free(e.sel)
        free(e.sel_lock)
        free(e.sel_scratch)
        if e.rws != NULL:
            for i in range(e.nrws):
                gq_free(&e.rws[i].w.semq)
                gq_free(&e.rws[i].writerSem.q)
                gq_free(&e.rws[i].readerSem.q)
        if e.conds != NULL:
            for i in range(e.nconds):
                gq_free(&e.conds[i].waiters)
        free(e.gsy)
        if e.tms != NULL:
            for i in range(e.tms_cap):
                gq_free(&e.tms[i].recvq)
            free(e.tms)

    cdef need(self, int stage, str what):
        # _Run is built only by run(); a hand-made one must not reach the C code.
        if self.stage != stage:
            raise RuntimeError(f"_Run.{what}: use gmpcore._engine.run() (or gmpcore.simulate); "
                               f"this run object is {('new', 'set up', 'finished')[self.stage]}")

    def observe_options(self, scheddetail, on_schedtrace, int64_t monitor, int64_t max_samples,
                        int64_t snapshot_at, trace_window, trace_goroutines, max_trace_events,
                        int64_t max_spans=10**7):
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
        e.max_spans = max_spans
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
                           timers=e.ps[p].timers.n, idle=bool(e.ps[p].in_pidle),
                           gfree=e.ps[p].gfree_n))
        ms = [dict(id=i, p=e.ms[i].p, curg=e.ms[i].curg, nextp=e.ms[i].nextp,
                   spinning=bool(e.ms[i].spinning), idle=i in idle, poller=e.poller == i,
                   sysmon=i == 1, stw=i == e.stw_m, template=i == e.template_m,
                   lockedg=e.ms[i].lockedg if e.ms[i].lockedg >= 0 else -1,
                   locked=e.ms[i].phase == PH_LOCKED, dead=e.ms[i].phase == PH_DEAD)
              for i in range(e.nm)]
        gs = self.g_rows(False)
        return dict(
            time=e.now, since_start=e.now - e.sm_starttime, gomaxprocs=e.nprocs,
            npidle=e.npidle, threads=e.nm - e.nmfreed, nmspinning=e.nmspinning,
            needspinning=e.needspinning, nmidle=e.nmidle, nmidlelocked=e.nmidlelocked,
            sysmonwait=bool(e.sm_wait),
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
              bint record_goroutines=True, cpus=None, int background=0, os_sched=None,
              cpu_quota=None, bint updater=False, bint containermaxprocs=True,
              bint noise=False, policy=None, bint runtime_init=False,
              bint updatemaxprocs=True):
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
        if updater and cpus is None:
            raise ValueError("the GOMAXPROCS updater needs cpus")
        self.code = np.ascontiguousarray(compiled.code, dtype=np.int64)
        self.program_names = tuple(compiled.program_names)
        self.panic_messages = tuple(compiled.panic_messages)
        self.dists = np.ascontiguousarray(compiled.dists, dtype=np.float64).reshape(-1)
        self.entry = np.ascontiguousarray(compiled.entry, dtype=np.int64)
        self.depth = np.ascontiguousarray(compiled.loop_depth, dtype=np.int64)
        self.has_spans = bool(compiled.span_names)
        e.upd_on = updater
        e.upd_last = -1
        e.upd_g = -1
        e.containermaxprocs = containermaxprocs
        # runtime.main, the runtime's goroutines and the updater, after the
        # workload's programs (gmpcore.startup; RefEngine does the same).
        nchans = len(compiled.chan_cap)
        extra = runtime_programs(self.entry.shape[0], int(self.entry[0]), self.code.shape[0],
                                 nchans, updatemaxprocs if runtime_init else updater,
                                 runtime_init)
        e.upd_program = extra.updater_program
        e.rt_init = runtime_init
        e.rt_program = extra.rt_program
        if extra.names:
            self.code = np.concatenate([self.code, extra.code])
            self.entry = np.append(self.entry, extra.entries)
            self.depth = np.append(self.depth, np.zeros(len(extra.names), dtype=np.int64))
            self.program_names += extra.names
        e.code = <const int64_t*>cnp.PyArray_DATA(self.code)
        e.n_code = self.code.shape[0]
        e.dists = <const double*>cnp.PyArray_DATA(self.dists)
        e.entry = <const int64_t*>cnp.PyArray_DATA(self.entry)
        e.depth = <const int64_t*>cnp.PyArray_DATA(self.depth)
        e.n_programs = self.entry.shape[0]
        # P arrays for the most Ps the run can have; those past gomaxprocs are _Pdead.
        np_alloc = max(gomaxprocs, int(compiled.max_gomaxprocs), cpus if updater else 0)
        e.nprocs = gomaxprocs
        e.np_alloc = np_alloc
        e.np_seen = gomaxprocs
        e.stw_m = -1
        e.stw_owner = -1
        from gmpcore.policy import as_policy
        pol = as_policy(policy)
        e.async_preempt = async_preempt and pol.async_preempt
        e.use_runnext = runnext and pol.runnext
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
        e.noise_on = noise
        if noise:
            from gmpcore.costs import FIELDS
            from gmpcore.noise import noise_seed, noise_tables
            tables = noise_tables(costs)
            # One row per int64 slot of Costs, wherever the struct puts each field.
            self.noise_arr = np.empty((sizeof(Costs) // sizeof(int64_t), NOISE_QUANTILES),
                                      dtype=np.int64)
            for i, name in enumerate(FIELDS):
                self.noise_arr[COST_OFFSETS[name] // sizeof(int64_t)] = tables[i]
            e.noise_tab = <const int64_t*>cnp.PyArray_DATA(self.noise_arr)
            e.noise_rng = noise_seed(seed)
        # Queues: RunQueues over NumPy tables, as Sched builds them.
        self.ps_buf = np.zeros(np_alloc * sizeof(PRec), dtype=np.uint8)
        e.ps = <PRec*>cnp.PyArray_DATA(self.ps_buf)
        qrunq = np.full(np_alloc * RUNQ_SIZE, NIL_G, dtype=np.int32)
        qhead = np.zeros(np_alloc, dtype=np.uint32)
        qtail = np.zeros(np_alloc, dtype=np.uint32)
        qnext = np.full(np_alloc, NIL_G, dtype=np.int32)
        qstatus = np.full(np_alloc, P_IDLE, dtype=np.uint8)
        qstatus[gomaxprocs:] = P_DEAD
        self.pidle_buf = (qrunq, qhead, qtail, qnext, qstatus, np.zeros(np_alloc, dtype=np.int32))
        e.q.nprocs = gomaxprocs
        e.q.runq = <gid_t*>cnp.PyArray_DATA(qrunq)
        e.q.runqhead = <uint32_t*>cnp.PyArray_DATA(qhead)
        e.q.runqtail = <uint32_t*>cnp.PyArray_DATA(qtail)
        e.q.runnext = <gid_t*>cnp.PyArray_DATA(qnext)
        e.q.status = <uint8_t*>cnp.PyArray_DATA(qstatus)
        e.q.randomize = False
        e.q.have_sysmon = e.use_runnext      # RefSched(..., sysmon=runnext)
        self.setup_policy(pol)
        e.pidle = <int32_t*>cnp.PyArray_DATA(self.pidle_buf[5])
        for i in range(np_alloc):
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
        self.setup_machine(cpus, background, os_sched, cpu_quota, max_threads)
        # Channels and WaitGroups.
        caps_arr = np.ascontiguousarray(compiled.chan_cap, dtype=np.int64)
        if runtime_init:
            caps_arr = np.append(caps_arr, 2)     # gcenable's c := make(chan int, 2)
        nchans = caps_arr.shape[0]
        nwg = int(compiled.n_waitgroups)
        self.chans_buf = np.zeros(max(nchans, 1) * sizeof(Chan), dtype=np.uint8)
        self.wgs_buf = np.zeros(max(nwg, 1) * sizeof(WaitGroup), dtype=np.uint8)
        e.chans = <Chan*>cnp.PyArray_DATA(self.chans_buf)
        e.wgs = <WaitGroup*>cnp.PyArray_DATA(self.wgs_buf)
        e.nchans = nchans
        e.nwgs = nwg
        nmu = int(compiled.n_mutexes)
        self.mus_buf = np.zeros(max(nmu, 1) * sizeof(Mutex), dtype=np.uint8)
        e.mus = <Mutex*>cnp.PyArray_DATA(self.mus_buf)
        e.nmus = nmu
        # selectgo's scratch: poll order, lock order, durations for the largest select.
        sels = self.code[:, 0] == OP_SELECT
        e.sel_stride = int(self.code[sels, 1].max()) if sels.any() else 0
        if e.sel_stride:
            e.sel_scratch = <int64_t*>malloc(3 * e.sel_stride * sizeof(int64_t))
            if e.sel_scratch == NULL:
                raise MemoryError("cannot allocate select's scratch")
        nrw = int(compiled.n_rwmutexes)
        self.rws_buf = np.zeros(max(nrw, 1) * sizeof(RWMutex), dtype=np.uint8)
        e.rws = <RWMutex*>cnp.PyArray_DATA(self.rws_buf)
        e.nrws = nrw
        ncond = int(compiled.n_conds)
        self.conds_buf = np.zeros(max(ncond, 1) * sizeof(Cond), dtype=np.uint8)
        e.conds = <Cond*>cnp.PyArray_DATA(self.conds_buf)
        e.nconds = ncond
        if nchans:
            caps = caps_arr
            for i in range(nchans):
                e.chans[i].cap = caps[i]
        # Carried spans: the channels some SEND stamps keep a ring of stamps.
        stamped = np.unique(self.code[(self.code[:, 0] == OP_SEND) & (self.code[:, 2] != 0), 1])
        e.stamps_on = stamped.shape[0] > 0
        for i in stamped.tolist():
            e.chans[i].stamped = True
        # Timers: the workload's, then time.After's (after_timer grows the table).
        tarr = np.ascontiguousarray(compiled.timers, dtype=np.int64).reshape(-1, 2)
        e.ntms = tarr.shape[0]
        e.tms_cap = e.ntms
        e.tms = <Timer*>calloc(max(e.ntms, 1), sizeof(Timer))
        if e.tms == NULL:
            raise MemoryError("cannot allocate the timers")
        for i in range(e.ntms):
            e.tms[i].ts = -1
            e.tms[i].kind = <uint8_t>tarr[i, 0]
            e.tms[i].func = <int32_t>tarr[i, 1]
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
        e.template_m = -1
        e.makespan = -1
        e.sm_delay = e.pol.sysmon_min
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

    def setup_policy(self, pol):
        """The Policy's values into e.pol and the run queues (RefEngine
        reads self.policy); `pol` was checked when it was made."""
        cdef Engine* e = &self.e
        e.q.cap = pol.runq_size
        e.q.steal_rule = STEAL_RULE_CODES[pol.steal]
        e.pol.time_slice = pol.time_slice
        e.pol.sysmon_min = pol.sysmon_min_delay
        e.pol.sysmon_max = pol.sysmon_max_delay
        e.pol.sysmon_idle = pol.sysmon_idle_cycles
        e.pol.global_check = pol.global_check_interval
        e.pol.global_batch = pol.batch_max
        e.pol.spin_factor = pol.spin_factor
        e.pol.lifo_limit = pol.lifo_limit
        e.pol.inherit = pol.runnext_inherit
        self.lifo_buf = np.zeros(2 * e.np_alloc, dtype=np.int64)
        e.pol.lifo = <int64_t*>cnp.PyArray_DATA(self.lifo_buf)
        e.pol.runnext_special = pol.lifo_limit != 0 or not pol.runnext_inherit
        # wakep (Go): only while no M spins; "eager": while a P is idle.
        e.pol.wake_max_spinning = 1 if pol.wakeup == "go" else 1 << 62
        e.use_runnext = e.q.have_sysmon and pol.lifo_limit == 0

    @cython.boundscheck(True)
    @cython.wraparound(True)
    def setup_machine(self, cpus, int background, os_sched, cpu_quota, int64_t max_threads):
        """The CPU layer's arrays and parameters (RefEngine.cpu_init)."""
        cdef Engine* e = &self.e
        cdef int32_t ncpu, h
        e.cpu_on = cpus is not None
        if not e.cpu_on:
            return
        ncpu = cpus
        if not 1 <= ncpu <= 1 << 20 or not 0 <= background <= 1 << 20:
            raise ValueError("cpus must be in [1, 2**20] and background in [0, 2**20]")
        self.cpu_bufs = (np.full(ncpu, -1, dtype=np.int32), np.zeros(ncpu, dtype=np.int64),
                         np.zeros(ncpu, dtype=np.int64), np.zeros(ncpu, dtype=np.uint8),
                         np.arange(ncpu - 1, -1, -1, dtype=np.int32),
                         np.zeros(max_threads + background, dtype=np.int32),
                         np.zeros(max_threads + background, dtype=np.int32),
                         np.zeros(max(background, 1) * sizeof(ThreadRec), dtype=np.uint8))
        e.cl.ncpu = ncpu
        e.cl.thread = <int32_t*>cnp.PyArray_DATA(self.cpu_bufs[0])
        e.cl.since = <int64_t*>cnp.PyArray_DATA(self.cpu_bufs[1])
        e.cl.gen = <int64_t*>cnp.PyArray_DATA(self.cpu_bufs[2])
        e.cl.armed = <uint8_t*>cnp.PyArray_DATA(self.cpu_bufs[3])
        e.cl.idle = <int32_t*>cnp.PyArray_DATA(self.cpu_bufs[4])
        e.cl.nidle = ncpu
        e.cl.waitq = <int32_t*>cnp.PyArray_DATA(self.cpu_bufs[5])
        e.cl.thrq = <int32_t*>cnp.PyArray_DATA(self.cpu_bufs[6])
        e.cl.hogs = <ThreadRec*>cnp.PyArray_DATA(self.cpu_bufs[7])
        e.cl.nhogs = background
        for h in range(background):
            init_thread(&e.cl.hogs[h], -2 - h, False)
        e.cl.slice = os_sched["slice"]
        e.cl.tick = os_sched["tick"]
        e.cl.ctx = os_sched["ctx_switch"]
        e.cl.idle_exit = os_sched["idle_exit"]
        e.cl.idle_exit_after = os_sched["idle_exit_after"]
        if e.cl.slice < 1:
            raise ValueError("os_sched['slice'] must be positive")
        rows = np.ascontiguousarray(np.asarray(cpu_quota if cpu_quota else np.zeros((0, 3)),
                                               dtype=np.int64).reshape(-1, 3))
        if rows.shape[0] and (rows[0, 0] != 0 or np.any(np.diff(rows[:, 0]) <= 0)
                              or np.any(rows[:, 2] <= 0)
                              or np.any((rows[:, 1] <= 0) & (rows[:, 1] != -1))):
            raise ValueError("cpu_quota rows must be (time, quota or -1, period > 0), "
                             "times ascending from 0")
        self.quota_rows = rows
        e.cl.q_sched = <const int64_t*>cnp.PyArray_DATA(rows)
        e.cl.q_nsched = rows.shape[0]

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
            raise Deadlock(msg, self.goroutine_dump() if e.n_waiting > e.n_sys_waiting else None)
        if err == ERR_THREADS:
            raise ThreadExhaustion(e.max_threads)
        if err == ERR_STACK:
            raise StackOverflow(e.max_stack, e.err_goid)
        if err == ERR_PANIC:
            if msg is None:                           # OP_PANIC: the workload's message
                msg = self.panic_messages[e.err_arg]
            raise WorkloadPanic(msg, e.err_goid)
        if err == ERR_THROW:
            raise GoThrow(msg)
        if err == ERR_FATAL:
            raise SyncFatal(msg, e.err_goid)
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
        """Every live G but the runtime's for Deadlock's message, as
        RefEngine.checkdead lists them (Go's traceback hides system goroutines)."""
        cdef Engine* e = &self.e
        cdef int64_t i
        cdef GRec* rec
        rows = []
        for i in range(e.g.rows):
            rec = &e.g.a[i]
            if rec.status != G_DEAD and not rec.flags & GF_SYSTEM:   # Go hides the runtime's
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
        if code == CHK_STW:
            return _STW_CHECKS[e.chk_g]
        if code == CHK_NMIDLELOCKED:
            return "nmidlelocked"
        if code == CHK_LOCK_LINK:
            return f"lockedg/lockedm link of M{e.chk_g}"
        if code == CHK_DEAD_M:
            return f"dead M{e.chk_g} holds a P, a G or a nextp"
        if code == CHK_RUN:
            return "checkdead: inconsistent counts"
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
        cpu_close(e)
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
        for k in range(e.nm):                       # spins still going on at the end
            spin_clock_stop(e, k)
        gs = None if e.g.recycle else self.g_rows(True)
        procs = np.zeros(e.np_seen, dtype=P_DTYPE)           # every P that ever existed
        for i in range(e.np_seen):
            procs[i] = (i, e.ps[i].busy_ns, e.ps[i].schedtick, e.ps[i].steals, e.ps[i].idle_ns)
        if self.log_arr is not None:
            events = self.log_arr[:e.log_n]
        else:
            events = np.zeros((0, LOG_COLS), dtype=np.int64)
        lines = list(self.py_lines)
        rec = 8 + 2 * <int64_t>e.np_alloc
        for i in range(e.trace_n):
            row = [e.trace[i * rec + k] for k in range(rec)]
            n = row[7]                                    # gomaxprocs then
            lines.append(schedtrace_line(row[0], n, *row[1:7], row[8:8 + n],
                                         row[8 + e.np_alloc:8 + e.np_alloc + n]))
        monitor = None
        if e.mon_n:
            rec = MON_COLS + <int64_t>e.np_alloc
            flat = np.array(<int64_t[:e.mon_n * rec]>e.mon).reshape(e.mon_n, rec)
            monitor = np.zeros(e.mon_n, dtype=monitor_dtype(e.np_alloc))
            for i, name in enumerate(MONITOR_FIELDS):
                monitor[name[0]] = flat[:, i]
            monitor["local_queues"] = flat[:, MON_COLS:]
        counters = dict(threads=e.n_threads - e.nmfreed, threads_exited=e.nmfreed, steals=e.n_steals, spills=e.n_spills,
                             handoffs=e.n_handoffs, preemptions=e.n_preemptions,
                             syscalls=e.n_syscalls, spinning=e.n_spinning, spinning_ns=e.spinning_ns,
                             thread_wakes=e.n_thread_wakes,
                             netpolls=e.n_netpolls, timers=e.n_timers, events=e.n_events,
                             events_dropped=e.n_dropped, goroutines=e.g.n - e.n_sys_made,
                             gomaxprocs_changes=e.n_gomaxprocs_changes, stw_count=e.n_stw,
                             stw_stopping_ns=e.stw_stopping_ns, stw_total_ns=e.stw_total_ns,
                             cpu_run_delay_ns=e.cl.n_run_delay, cpu_switches=e.cl.n_switches,
                             cpu_involuntary_switches=e.cl.n_involuntary,
                             cpu_busy_ns=e.cl.n_busy, background_cpu_ns=e.cl.n_background,
                             nr_periods=e.cl.nr_periods, nr_throttled=e.cl.nr_throttled,
                             throttled_ns=e.cl.throttled_ns,
                             throttled_wall_ns=e.cl.throttled_wall_ns)
        spans = None
        if self.has_spans:
            counters["spans_dropped"] = e.n_spans_dropped
            counters["spans_unstamped"] = e.n_spans_unstamped
            spans = self.span_rows()
        return {
            "spans": spans,
            # until main exits; with until="all", until the last G exits
            "makespan_ns": e.makespan if e.main_done and not e.until_all else e.now,
            "now": e.now,
            "events": events,
            "counters": counters,
            "monitor": monitor,
            "snapshot": self.snapshot,
            "goroutines": gs,
            "procs": procs,
            "gomaxprocs_history": [(e.hist[4 * i], e.hist[4 * i + 1], e.hist[4 * i + 2],
                                    _CAUSES[e.hist[4 * i + 3]]) for i in range(e.hist_n)],
            "schedtrace": lines,
            "sched_latencies": np.array(<uint64_t[:LAT_N_COUNTS]>e.lat_counts, dtype=np.uint64),
            "sched_latency_sum": e.lat_sum,
            "heap_slots": e.heap.b.cap,          # event-heap memory, for tests
            "threads": self.thread_rows(),
        }

    cdef object span_rows(self):
        """The span rows as a SPAN_DTYPE array that takes the buffer over
        (no copy: a run may keep 10**7 rows)."""
        cdef Engine* e = &self.e
        cdef cvarray buf
        cdef SpanRow* shrunk
        if e.spans_n == 0:
            return np.zeros(0, dtype=SPAN_DTYPE)
        shrunk = <SpanRow*>realloc(e.spans, <size_t>e.spans_n * sizeof(SpanRow))
        if shrunk != NULL:                        # give back the rows never used
            e.spans = shrunk
        buf = <char[:e.spans_n * sizeof(SpanRow)]> <char*> e.spans
        buf.callback_free_data = free
        e.spans = NULL
        e.spans_cap = 0
        out = np.frombuffer(buf, dtype=SPAN_DTYPE, count=e.spans_n)
        e.spans_n = 0
        return out

    def thread_rows(self):
        """One row per M, in results.THREAD_DTYPE (RefEngine's "threads")."""
        cdef Engine* e = &self.e
        cdef int32_t m
        cdef ThreadRec* t
        out = np.zeros(e.nm, dtype=THREAD_DTYPE)
        for m in range(e.nm):
            t = &e.ms[m].t
            out[m] = (m, e.ms[m].created, t.run_delay_ns, t.cpu_ns, t.nr_switches,
                      t.nr_involuntary)
        return out

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
    if lo == e.rt_program:
        return 0                    # G1 in runtime.main is main's goroutine
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
        max_trace_events=None, record_goroutines=True, cancel=None, cpus=None, background=0,
        os_sched=None, cpu_quota=None, updater=False, containermaxprocs=True, max_spans=10**7,
        noise=False, policy=None, runtime_init=False, updatemaxprocs=True):
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
            record_goroutines, cpus, background, os_sched, cpu_quota, updater, containermaxprocs,
            noise, policy, runtime_init, updatemaxprocs)
    r.observe_options(scheddetail, on_schedtrace, monitor, max_samples, snapshot_at,
                      trace_window, trace_goroutines, max_trace_events, max_spans)
    r.cancel = cancel
    try:
        r.go()
    except GoFatalError as exc:
        exc.partial = r.result()                  # the run up to its death
        raise
    return r.result()
