# The compiled simulation engine's state (docs/simulator-design.md): Go's
# scheduler in virtual time, translated function by function from the
# reference engine (gmpcore/reference/), the oracle it must match event for
# event.  The functions live in _engine_<concept>.pxi, one file per concept,
# each the twin of gmpcore/reference/<concept>.py.
#
# Layout.  Everything a run touches lives in one `Engine` struct of plain C
# values and raw pointers, so the hot loop runs without the GIL:
#
#   * the G table is one 64-byte GRec per row, malloc'd and grown with
#     realloc (GTable), indexed by the G index: creation order (main = 0),
#     or, without per-G records, a reused dead G's row; the result array
#     takes it over;
#   * the M table and the P extras are NumPy byte buffers viewed as arrays of
#     `MRec` / `PRec`; P run queues are the queue core's `RunQueues`
#     (_runq.pxd), the same inline algorithms `Sched` uses;
#   * heaps, channel and WaitGroup FIFOs, the netpoll ready list, the loop
#     counter pool (loop counters and span start times), the event log, span
#     rows and schedtrace snapshots are malloc'd and
#     freed by the run object's __dealloc__, whatever way the run ends.
#
# Invariants (checked after every event with check=True, as
# RefEngine.check_invariants does):
#   * every row in [0, g.rows) is in exactly one place: a P's ring or
#     runnext, a P's timer heap, the global queue, an M's curg or nextg, a
#     channel, WaitGroup or mutex semaphore FIFO, the netpoll ready list; or it is dead; or it
#     waits for network I/O (an E_IO event is pending for it), or in
#     select {} (nowhere at all).  A G blocked in a select (SelLocal
#     SEL_WAITING) is in every one of its channels' queues and timers at
#     once, and nowhere else; once claimed (SEL_WON) its entries left there
#     are stale until it runs pass 3, and its timers are zombies;
#   * nmspinning == number of Ms with spinning set; a spinning M holds a P or
#     is about to (nextp);
#   * a P is on the idle stack iff PRec.in_pidle, and then its status is
#     P_IDLE; a P_RUNNING P's M holds it (ms[ps[p].m].p == p);
#   * heap events are unique by seq; an E_M or E_PREEMPT event is live only if
#     its gen equals the M's gen at pop time (lazy cancellation);
#   * n_waiting / n_dead count the Gs in _Gwaiting / _Gdead (checkdead); with
#     rows reused, the table holds n_dead - (g.n - g.rows) dead rows;
#   * stop the world (_engine_stw.pxi): stopwait >= 0; while gcwaiting,
#     stopwait == the Ps below nprocs not _Pgcstop; otherwise none is
#     _Pgcstop; Ps nprocs..np_alloc-1 are _Pdead, empty, timer-free, off the
#     idle list; a G waiting for gcsema is on stw_sema.
#   * locked threads (docs/design/machine.md §6 item 6): nmidlelocked == Ms
#     in PH_LOCKED; a G has GF_LOCKED iff exactly one M's lockedg names it;
#     a PH_DEAD M holds no P, G or nextp; checkdead's run >= 0.

from libc.stdint cimport int8_t, int32_t, int64_t, uint8_t, uint16_t, uint32_t, uint64_t
from numpy.random cimport bitgen_t

from gmpcore._defs cimport gid_t
from gmpcore._gqueue cimport GQueue
from gmpcore._latency cimport LAT_N_COUNTS
from gmpcore._model cimport NETPOLL_MAX_EVENTS
from gmpcore._runq cimport RunQueues
from gmpcore._steal_order cimport RandomOrder


# Opcodes (docs/simulator-design.md §1.1).
cdef enum Opcode:
    OP_EXIT = 0
    OP_CPU = 1
    OP_SYSCALL = 2
    OP_SLEEP = 3
    OP_NETWAIT = 4
    OP_GO = 5
    OP_GOSCHED = 6
    OP_SEND = 7
    OP_RECV = 8
    OP_WG_ADD = 9
    OP_WG_WAIT = 10
    OP_LOOP = 11
    OP_ENDLOOP = 12
    OP_STACK = 13
    OP_GOMAXPROCS = 14  # runtime.GOMAXPROCS(a) (docs/design/machine.md §3.7)
    OP_LOCKOSTHREAD = 15
    OP_UNLOCKOSTHREAD = 16
    OP_CLOSE = 17       # close(ch)
    OP_RANGE = 18       # for range ch: receive, or leave the loop (to c) once closed and drained
    OP_ENDRANGE = 19    # back to the RANGE at a
    OP_LOCK = 20        # sync.Mutex.Lock (_engine_mutex.pxi)
    OP_UNLOCK = 21      # sync.Mutex.Unlock
    OP_CHOICE = 22      # fall through with probability a / 2**53, else jump to c
    OP_LOOPDRAW = 23    # OP_LOOP with its count drawn from dists[a]
    OP_GOEXIT = 24      # runtime.Goexit
    OP_PANIC = 25       # panic(panic_messages[a])
    OP_SPAN_BEGIN = 26  # a span starts: its start time to loop slot b (a = span name)
    OP_SPAN_END = 27    # a span ends: a row (a, goid, slot b, now) to Engine.spans
    OP_SELECT = 28      # selectgo over the a SELCASE rows after it; b: a default; c: end pc
    OP_SELCASE = 29     # a select's case (kind a, chan/dist b, body pc c): data, never executed
    OP_SELEND = 30      # jump to a (a case body's end)
    OP_BLOCK = 31       # select {}: park forever
    OP_TIMER_RESET = 32 # time.NewTimer/Reset, NewTicker/Ticker.Reset, AfterFunc: timer a, duration dists[b]
    OP_TIMER_STOP = 33  # Timer.Stop / Ticker.Stop of timer a
    OP_TIMER_RECV = 34  # <-t.C of timer a
    OP_AFTER = 35       # <-time.After(dists[a]): a fresh channel timer, received from at once
    OP_RLOCK = 40       # sync.RWMutex.RLock (a = RWMutex; _engine_rwmutex.pxi)
    OP_RUNLOCK = 41     # sync.RWMutex.RUnlock
    OP_RWLOCK = 42      # sync.RWMutex.Lock: b = 0 rw.w.Lock(), b = 1 announce and wait for readers
    OP_RWUNLOCK = 43    # sync.RWMutex.Unlock: b = 0 announce and release readers, b = 1 rw.w.Unlock()
    OP_NOTIFY_ADD = 44  # Cond.Wait's notifyListAdd: the G's ticket (a = Cond)
    OP_NOTIFY_WAIT = 45 # Cond.Wait's notifyListWait(ticket)
    OP_NOTIFY = 46      # Cond.Signal (b = 0) or Cond.Broadcast (b = 1)
    OP_SPAN_RECV_END = 47  # a span carried by a received value ends here (a = span name)
    N_OPCODES = 48
    # Internal, never in a user workload: runtime.main and the runtime's own
    # goroutines (_engine_runtime.pxi, simulate(runtime_init=True)).
    OP_RT_LOCK = 56       # lockOSThread: runtime.main wires itself to m0 (lockedInt, no template thread)
    OP_RT_UNLOCK = 57     # unlockOSThread
    OP_GO_SYS = 58        # go f() for a runtime goroutine (program a): a system G
    OP_PARK_SYS = 59      # a runtime goroutine parks for good (wait reason a)
    OP_JUMP = 60          # continue at pc a (runtime.main into main.main; the updater's loop)
    OP_UPDATE_PARK = 61   # updateMaxProcsGoroutine: idle, parked until sysmon injects it
    OP_UPDATE_PROCS = 62  # internal, never in a user workload: the GOMAXPROCS updater's step
    OP_UPDATE_DONE = 63   # internal: the updater is idle again (then EXIT)

# What an M does when its pending event fires (reference PH_*).
cdef enum Phase:
    PH_RUN = 0          # continue its G's program
    PH_EXECUTE = 1      # start running the G findRunnable chose
    PH_SCHEDULE = 2     # look for work from the top of findRunnable
    PH_STEAL = 3        # the spinning search is over: stealWork
    PH_BACKOFF = 4      # the 3 us pause before stealing runnext is over
    PH_START = 5        # a woken or new M takes its nextp
    PH_SYSCALL = 6      # its system call returns
    PH_NETPOLL = 7      # blocked in netpoll
    PH_IDLE = 8         # parked on midle
    PH_STW_WAIT = 9     # the M stopping/starting the world (Engine.stw_state says which step)
    PH_LOCKED = 10      # parked in stoplockedm (off midle) until its G is picked
    PH_DEAD = 11        # after mexit: never runs again

# Event kinds in the heap (reference E_*).
cdef enum EventKind:
    E_M = 0             # who = M, gen = the M's gen when pushed
    E_PREEMPT = 1       # who = M, gen = the M's gen when pushed
    E_IO = 2            # who = G whose network wait completes
    E_SYSMON = 3        # gen = sysmon gen when pushed
    E_CPU = 4           # who = CPU, gen = the CPU's gen: its running thread's slice check
    E_PERIOD = 5        # the quota's period timer, gen = q_pgen
    E_THROTTLE = 6      # the quota's pool runs dry, gen = q_tgen
    E_QUOTA = 7         # who = row of the quota schedule taking effect

# What the OS knows of a thread (_engine_cpu.pxi, reference/cpu.py).
cdef enum:
    T_OFF = 0           # not runnable: parked, sleeping, in a syscall or netpoll, starting
    T_WAIT = 1          # runnable, in the CPU wait queue
    T_ON = 2            # on a CPU
    T_THROTTLED = 3     # runnable, but its cgroup is out of quota
    SYSMON_M = 1        # M1 is sysmon

# G status and wait reasons (gmpcore.events, Go's numbering).
cdef enum:
    G_RUNNABLE = 1
    G_RUNNING = 2
    G_SYSCALL = 3
    G_WAITING = 4
    G_DEAD = 6
    WAIT_NONE = 0
    WAIT_CHAN_RECEIVE = 1
    WAIT_CHAN_SEND = 2
    WAIT_SLEEP = 3
    WAIT_IO = 4
    WAIT_WAITGROUP = 5
    WAIT_STOPPING_THE_WORLD = 7   # the STW caller's G for the whole pause
    WAIT_SEMACQUIRE = 8           # a G waiting for another G's STW to end (gcsema)
    WAIT_SYNC_MUTEX_LOCK = 9      # waitReasonSyncMutexLock: parked in lockSlow's semacquire
    WAIT_SELECT = 10              # waitReasonSelect: parked in selectgo's pass 2
    WAIT_SELECT_NO_CASES = 11     # waitReasonSelectNoCases: select {}
    WAIT_SYNC_RWMUTEX_RLOCK = 12  # waitReasonSyncRWMutexRLock: parked on readerSem
    WAIT_SYNC_RWMUTEX_LOCK = 13   # waitReasonSyncRWMutexLock: parked on writerSem
    WAIT_SYNC_COND_WAIT = 14      # waitReasonSyncCondWait: parked in notifyListWait
    WAIT_GC_SWEEP = 15            # waitReasonGCSweepWait: bgsweep between GC cycles
    WAIT_GC_SCAVENGE = 16         # waitReasonGCScavengeWait: bgscavenge parked
    WAIT_FINALIZER = 17           # waitReasonFinalizerWait: runfinq with no finalizer queued
    WAIT_FORCEGC_IDLE = 18        # waitReasonForceGCIdle: forcegchelper between forced GCs
    WAIT_UPDATE_IDLE = 19         # waitReasonUpdateGOMAXPROCSIdle: the updater between updates

# Event log kinds (gmpcore.events EV_*) and EV_STOP reasons; _engine.CODES and
# tests/test_engine_layout.py keep these equal to gmpcore.events.
cdef enum:
    EV_CREATE = 0
    EV_RUN = 1
    EV_STOP = 2
    EV_READY = 3
    READY_SYSMON = 2    # EV_READY's arg: sysmon injected the G (the GOMAXPROCS updater)
    EV_STEAL = 4
    EV_SPILL = 5
    EV_SYSCALL_ENTER = 6
    EV_SYSCALL_EXIT = 7
    EV_HANDOFF = 8
    EV_THREAD_CREATE = 9
    EV_M_PARK = 10
    EV_M_WAKE = 11
    EV_SPIN = 12
    EV_TIMER = 13
    EV_NETPOLL = 14
    EV_PREEMPT = 15
    EV_IO_READY = 16
    EV_WAIT = 17
    EV_PROCS = 18
    EV_STW_START = 19
    EV_STW_DONE = 20
    STOP_EXIT = 0
    STOP_PARK = 1
    STOP_GOSCHED = 2
    STOP_PREEMPT = 3
    STOP_SYSCALL = 4
    STW_GOMAXPROCS = 9  # Go's stwReason stwGOMAXPROCS (EV_STW_START's arg)
    CAUSE_USER = 0      # a gomaxprocs_history row's cause: the workload's gomaxprocs(n)
    CAUSE_UPDATE = 1    # ... the runtime's periodic update (updatemaxprocs)

# Where a stop-the-world is (Engine.stw_state); the caller's M is in
# PH_STW_WAIT from STW_STOPPING to the end.
cdef enum:
    STW_NONE = 0        # no stop-the-world
    STW_STOPPING = 1    # the caller pays stw_stop before stopping the Ps
    STW_WAITING = 2     # gcwaiting: asleep on stopnote, re-preempting every 100 us
    STW_WOKEN = 3       # the last P stopped; the caller is waking up
    STW_STARTING = 4    # stopped: the caller pays stw_start + procresize before the restart

# G flag bits (GTable.flags).
cdef enum:
    GF_PREEMPT = 1      # gp.preempt: stop at the next safe point
    GF_PREEMPTIBLE = 2  # the current CPU burst has safe points
    GF_INBURST = 4      # a CPU burst is under way: rem holds its end time (burst_end)
    GF_SLOWSYSCALL = 8  # left a syscall by exitsyscall0: execute bumps its P's syscalltick (§4.3)
    GF_LOCKED = 16      # g.lockedm != 0: wired to the M whose lockedg names it (LockOSThread)
    GF_SYSTEM = 32      # a runtime goroutine (isSystemGoroutine): checkdead does not count it

# MRec.lockedg besides a G index.
cdef enum:
    LOCKEDG_NONE = -1   # not locked
    LOCKEDG_EXIT = -2   # its locked G exited: the M leaves through mexit at its next step

# Layout constants (Go's and the model's timing constants: _model.pxd).
cdef enum:
    MAX_LOOP_DEPTH = 64          # workload.MAX_LOOP_DEPTH
    COUNTER_MAX_C = 0xFFFF       # results.COUNTER_MAX: GRec.preemptions and steals saturate
    LOG_COLS = 6                 # event log row: time, kind, m, p, g, arg
    MON_COLS = 10                # monitor sample: results.MONITOR_FIELDS, then a ring size per P

# What a call into Python under the GIL is for (call_owner).
cdef enum:
    OWNER_PROGRESS = 0      # progress(events, now)
    OWNER_TRACE = 1         # a schedtrace line or scheddetail block, formatted in Python
    OWNER_SNAPSHOT = 2      # keep the view for res.snapshot
    OWNER_SIGNALS = 3       # PyErr_CheckSignals (Ctrl-C)

# Why a run stopped early (Engine.err); the Python layer raises the matching
# exception with the reference engine's message.
cdef enum ErrKind:
    ERR_NONE = 0
    ERR_NOMEM = 1       # MemoryError
    ERR_ASSERT = 2      # AssertionError(err_msg)
    ERR_DEADLOCK = 3    # Deadlock(err_msg)
    ERR_THREADS = 4     # ThreadExhaustion(max_threads)
    ERR_STACK = 5       # StackOverflow(max_stack, err_goid)
    ERR_PANIC = 6       # WorkloadPanic(err_msg, err_goid)
    ERR_THROW = 7       # GoThrow(err_msg)
    ERR_OVERFLOW = 8    # OverflowError(err_msg)
    ERR_INDEX = 9       # IndexError(err_msg)
    ERR_OPCODE = 10     # AssertionError("unknown opcode {err_arg}")
    ERR_CHECK = 11      # a check_invariants failure (chk_* fields)
    ERR_PYEXC = 12      # a Python exception raised under the GIL (progress, Ctrl-C)
    ERR_FATAL = 13      # SyncFatal(err_msg, err_goid): Go's unrecoverable fatal()

# Places a G can be, for check_invariants messages (reference wording).
cdef enum Place:
    PL_NOWHERE = 0
    PL_RUNQ = 1         # "runq of P{id}"
    PL_RUNNEXT = 2      # "runnext of P{id}"
    PL_TIMER = 3        # "a timer of P{id}"
    PL_GLOBAL = 4       # "the global queue"
    PL_RUNNING = 5      # "running on M{id}"
    PL_HAND = 6         # "in M{id}'s hand"
    PL_CHAN = 7         # "a channel queue"
    PL_WG = 8           # "a WaitGroup"
    PL_IOREADY = 9      # "the netpoller's ready list"
    PL_SEMA = 10        # "the stop-the-world semaphore"
    PL_MUTEX = 11       # "a mutex's semaphore"
    PL_RWSEMA = 12      # "an RWMutex's semaphore"
    PL_COND = 13        # "a Cond's notify list"
    PL_TIMER_CHAN = 14  # "a timer channel queue"

# check_invariants failures (Engine.chk_code).
cdef enum:
    CHK_TWICE = 1       # "G{g} is both {a} and {b}"
    CHK_SPIN_NO_P = 2   # "a spinning M holds a P (or is about to)"
    CHK_IO_COUNT = 3    # "netpoll waiter count"
    CHK_DEAD_QUEUED = 4 # "dead G{g} is queued"
    CHK_NOWHERE = 5     # "G{g} (status {s}) is nowhere"
    CHK_NMSPINNING = 6  # "nmspinning"
    CHK_PIDLE_STATUS = 7  # "an idle-list P is not idle"
    CHK_PIDLE_TWICE = 8   # "a P is on the idle list twice"
    CHK_P_NO_M = 9      # "P{p} running without its M"
    CHK_COUNTS = 10     # compiled-engine only: n_waiting / n_dead disagree with the table
    CHK_STW = 11        # a stop-the-world invariant (machine.md §6 item 6); chk_g = which
    CHK_NMIDLELOCKED = 12  # "nmidlelocked"
    CHK_LOCK_LINK = 13  # "lockedg/lockedm link of M{m}"
    CHK_DEAD_M = 14     # "dead M{m} holds a P, a G or a nextp"
    CHK_RUN = 15        # "checkdead: inconsistent counts"


cdef struct Costs:
    # Runtime costs in ns (gmpcore.costs.CostModel; the ones the model charges).
    int64_t newproc              # CPU of the creator per `go`
    int64_t goexit               # CPU of the exiting G
    int64_t schedule             # CPU of the M switching to the chosen G
    int64_t gosched              # CPU of the yielding G
    int64_t park                 # CPU of the parking G
    int64_t ready                # CPU of a WaitGroup releaser per waiter
    int64_t chan_op              # CPU of a non-blocking channel operation
    int64_t wg_op                # CPU of a WaitGroup Add/Wait
    int64_t syscall_enter        # CPU before the call
    int64_t syscall_exit         # CPU of the fast exit path
    int64_t syscall_exit_slow    # CPU of the slow exit path (M without a P)
    int64_t thread_create        # latency before a new M runs
    int64_t thread_wake          # latency before a woken M runs
    int64_t steal_attempt        # CPU of a spinning M per victim probed
    int64_t timer_add            # CPU of time.Sleep's timer insertion
    int64_t preempt_signal       # latency of the async preemption signal
    int64_t timer_fire           # CPU of running one expired timer
    int64_t netpoll              # CPU of one netpoll (epoll_wait) call
    int64_t sysmon_tick          # a 20 us sysmon sleep, measured: usleep's slack
    int64_t stw_stop             # CPU of the STW caller before it stops the Ps
    int64_t stw_start            # CPU of the STW caller restarting the world
    int64_t procresize_p         # CPU of procresize per P it touches
    int64_t mutex_lock           # CPU of an uncontended Lock (and of each acquiring step of lockSlow)
    int64_t mutex_unlock         # CPU of an Unlock
    int64_t mutex_spin           # CPU of one lockSlow spin: procyield(ACTIVE_SPIN_CNT)
    int64_t rwmutex_rlock        # CPU of an uncontended RLock (one atomic add); also Lock's announce
    int64_t rwmutex_runlock      # CPU of an uncontended RUnlock; also Unlock's announce
    int64_t cond_op              # CPU of a Signal/Broadcast with no waiter, of notifyListAdd and of notifyListWait
    int64_t timer_wake           # latency of a timed sleep's expiry (epoll_wait, futex): slack + wake-up
    int64_t newproc_fresh        # CPU of newproc beyond newproc when no free G exists (malg)
    int64_t stackalloc           # CPU of newproc beyond newproc for a free G without a stack
    int64_t cold_switch          # CPU of switching to a G whose state is out of the cache
    int64_t cache_bytes          # bytes of cache the live Gs' state competes for (not ns)
    int64_t select_base          # CPU of selectgo's fixed part (2+ cases)
    int64_t select_case          # CPU of selectgo per case: shuffle, sort, lock, poll (and enqueue)
    int64_t select_wake          # CPU per case of selectgo's pass 3 after a wake-up (relock, dequeue)
    int64_t timer_modify         # CPU of a Timer/Ticker Reset or Stop
    int64_t close_waiter         # CPU of close(ch) per parked G it readies (its goready included)
    int64_t cond_waiter          # CPU of Cond.Signal/Broadcast per parked waiter it readies


cdef struct Event:
    # One entry of the event heap or of a P's timer heap, ordered by (when, seq).
    int64_t when                 # virtual time, ns
    int64_t seq                  # push order; unique (Engine.seq), breaks ties FIFO
    int64_t gen                  # generation when pushed (E_M, E_PREEMPT, E_SYSMON)
    int32_t who                  # M index (E_M, E_PREEMPT), G index (E_IO, TE_SLEEP), Timer index (TE_TIMER), -1 (E_SYSMON)
    int32_t kind                 # EventKind; in a timer heap TE_SLEEP or TE_TIMER

cdef struct BinHeap:
    # A binary min-heap of Events, malloc'd.
    Event* a
    int64_t n                    # live entries
    int64_t cap                  # slots in a

cdef struct EventHeap:
    # The event heap plus one slot in front of it.  Most events are an M
    # resuming a few ns later, before anything else is due: such an event
    # waits in `front` and is popped without sifting (front <= every heap
    # entry while has_front).  An event popped from the heap's root leaves
    # the root in place while it is dispatched (root_taken): the dispatch's
    # first push, usually the same M resuming, takes the root's place with
    # one sift-down instead of a sift-down to pop and a sift-up to push.
    BinHeap b
    Event front
    bint has_front
    bint root_taken


cdef struct SpanRow:
    # One res.spans row, laid out as results.SPAN_DTYPE, so the result
    # takes the buffer over without a copy.
    int32_t name
    int32_t goid
    int64_t start
    int64_t end
    int64_t start_goid           # the goroutine where it began (the sender of a carried span)


cdef struct GRec:
    # One goroutine: engine state and its result row in one 64-byte cache
    # line.  The run's result is this very table, viewed through
    # results.G_DTYPE (whose offsets match; flags and spare stay hidden);
    # _Run.result() rewrites the run-time fields in place:
    #   parent  G index of the creator (-1 main)  ->  its goid (0 for main)
    #   pc      next instruction                  ->  the program index
    #   rem     CPU ns or spawns left in the op, -1 = not started; the burst's
    #           end under GF_INBURST; the finish time once dead  ->  finished, or -1
    #   runnable_ns  while runnable, minus the time it became runnable
    int32_t goid                 # Go's goroutine id (from the P's goid cache)
    int32_t parent
    int32_t pc
    uint32_t stack               # stack size in bytes (2 KiB doubling, <= max_stack <= 2**31)
    uint16_t preemptions         # times preempted (saturates at 65535)
    uint16_t steals              # times stolen (saturates at 65535)
    uint8_t status               # G_RUNNABLE ... G_DEAD
    uint8_t waitreason           # WAIT_* while waiting
    uint8_t flags                # GF_* bits
    uint8_t spare
    int64_t created              # newproc time
    int64_t first_run            # first execute, -1 before
    int64_t rem
    int64_t runnable_ns          # total time runnable
    int64_t running_ns           # total time running

cdef struct GTable:
    # The G table, malloc'd by the engine (resize_g), plus loop counters
    # when some program uses `repeat`.  The result array takes it over.
    # Without per-G records (record_goroutines=False) a dead G's row is
    # reused by a later newg, as Go's gfput/gfget reuse dead Gs (§5.2):
    # the table then holds the most Gs ever alive at once, not every G.
    # Which dead row (Go's gFree is a stack): newg walks the table in
    # address order from `cursor` and takes the first dead row (reuse_row).
    # Gs mostly die in the order they were made, so the walk nearly always
    # takes the row at the cursor, and newg and execute sweep memory in
    # order, as they do in a full table (the hardware prefetcher follows; a
    # free list in death order would hop).  A new row is added only when
    # REUSE_PROBE rows in a row are alive and fewer than half the rows are
    # dead, so the table stays under twice the most Gs alive at once.
    int64_t n                    # Gs created so far
    int64_t rows                 # rows in use (== n unless recycling): Go's allgs
    int64_t cap                  # rows allocated
    bint recycle                 # reuse dead rows (no per-G result)
    int64_t cursor               # next row newg looks at, < rows
    GRec* a
    int64_t* since               # per row: when its G last became runnable or started waiting
                                 # (the latency histogram's start; the deadlock dump's "for how long")
    bint has_loops
    int32_t* loops               # offset of its loop counter block in the pool, -1 none (NULL if no program loops)

cdef struct LoopPool:
    # Loop counters (repeat) of live Gs: a block per G, [depth, counters...];
    # freed blocks are kept on one free list per depth.
    int64_t* slots               # malloc'd
    int64_t n                    # high-water mark
    int64_t cap                  # slots allocated
    int64_t free_head[MAX_LOOP_DEPTH + 1]  # per depth: first free block, -1 none; a free block's slot 1 links the next


cdef struct ThreadRec:
    # What the OS knows of a thread: an M (tid = its id) or a background
    # hog (tid = -2 - h).  Used only with the CPU layer (Engine.cpu_on).
    int32_t tid
    uint8_t state                # T_*
    uint8_t fresh                # never placed yet: PLACE_DEADLINE_INITIAL
    uint8_t is_prog              # in the program's cgroup (hogs are not)
    int32_t cpu                  # its CPU while T_ON, else -1
    int64_t v                    # virtual runtime, as of on_since while T_ON
    int64_t deadline             # virtual deadline
    int64_t on_since             # when it got its CPU
    int64_t due                  # when its pending step ends (Ms, sysmon)
    int64_t left                 # CPU work of that step still to do when descheduled
    int64_t wait_since           # when it became T_WAIT / T_THROTTLED
    int64_t desched_at           # when it was last taken off a CPU while runnable
    int64_t run_delay_ns         # schedstat: time runnable without a CPU
    int64_t cpu_ns               # schedstat: time on a CPU
    int64_t nr_switches          # times it got a CPU
    int64_t nr_involuntary       # times taken off one while runnable

cdef struct CpuLayer:
    # The machine under the scheduler (_engine_cpu.pxi): CPUs, the wait
    # queue, EEVDF-lite's sums, the quota.  Arrays are NumPy-owned by _Run.
    int32_t ncpu
    int32_t* thread              # per CPU: its thread's tid, -1 idle
    int64_t* since               # per CPU: when it went idle
    int64_t* gen                 # per CPU: bumps when its thread changes (E_CPU)
    uint8_t* armed               # per CPU: an E_CPU slice check is pending
    int32_t* idle                # idle CPUs, LIFO
    int32_t nidle
    int32_t* waitq               # tids waiting for a CPU, in arrival order
    int32_t nwait
    int32_t* thrq                # tids stopped by the quota, in order
    int32_t nthr
    ThreadRec* hogs              # background hogs
    int32_t nhogs
    int64_t sum_base             # sum of (v - on_since) over T_ON and of v over T_WAIT
    int32_t n_on                 # threads T_ON
    int32_t nq                   # threads T_ON or T_WAIT
    int64_t vlast                # V when nobody is runnable
    int32_t nprog_on             # program threads T_ON
    int64_t slice                # OS scheduler parameters, ns
    int64_t tick
    int64_t ctx
    int64_t idle_exit
    int64_t idle_exit_after
    # the quota (cgroup cpu.max)
    const int64_t* q_sched       # rows of (time, quota or -1, period)
    int64_t q_nsched
    bint q_limit                 # a quota is in force
    int64_t q_quota
    int64_t q_period
    int64_t q_pool               # CPU time left this period
    int64_t q_last               # pool charged up to here
    int64_t q_tgen               # E_THROTTLE generation
    int64_t q_pgen               # E_PERIOD generation
    bint q_timer                 # the period timer runs
    int64_t q_anchor             # the period grid's origin (the last expiry)
    bint q_idle                  # no quota used since the last expiry
    bint q_throttled
    int64_t q_thr_start
    int32_t q_thr_k              # CPUs whose run queues were throttled
    # counters (result["counters"])
    int64_t n_run_delay          # program threads' run delay
    int64_t n_switches
    int64_t n_involuntary
    int64_t n_busy               # program threads' CPU time
    int64_t n_background         # hogs' CPU time
    int64_t nr_periods
    int64_t nr_throttled
    int64_t throttled_ns
    int64_t throttled_wall_ns


cdef struct MRec:
    # One thread.  M0 runs main first; M1 is sysmon and never holds a P;
    # the template thread (Engine.template_m) never holds one either.  M
    # indices are never reused: an M that exited (PH_DEAD) keeps its row.
    int32_t p                    # P held, -1 none
    int32_t curg                 # G it runs (or is in a syscall with), -1 none
    int32_t nextp                # P a waking M will acquire (startm), -1 none
    int32_t oldp                 # P left in _Psyscall by entersyscall, -1 none
    int32_t nextg                # G findRunnable chose, run at PH_EXECUTE, -1 none
    uint8_t phase                # Phase
    uint8_t spinning             # counted in nmspinning
    uint8_t next_inherit         # nextg inherits the time slice
    uint8_t was_spinning         # spinning when it blocked in netpoll
    int64_t syscalltick          # its P's syscalltick at entersyscall
    int64_t gen                  # bumped to cancel its pending event
    int64_t poll_until           # earliest timer stealWork saw, for drop_p
    int64_t run_start            # when its curg started running (dropg's reference point)
    int64_t debt                 # ns of timer/netpoll work to add to its next step
    # stealWork progress, kept across the runnext back-off:
    int64_t st_poll_until        # earliest victim timer seen
    int32_t st_pass              # 0..3; pass 3 checks timers and runnext
    uint8_t st_enum_valid        # the pass's random order has started
    uint8_t st_ran_timer         # a victim's timer readied a G (newWork)
    uint8_t spin_clocked         # its running spin's start is subtracted from spinning_ns
    uint32_t st_pos              # RandomEnum position
    uint32_t st_inc              # RandomEnum stride
    uint32_t st_i                # RandomEnum steps taken
    int32_t st_timers_at         # step whose victim's timers already ran, -1 none
    int32_t st_bo_g              # the victim's runnext G we backed off for, -1 none
    int64_t created              # when it was created
    ThreadRec t                  # what the OS knows of it (the CPU layer)
    # LockOSThread (lockedm.pxi): the G wired to this M and the nesting count.
    int32_t lockedg              # G index, LOCKEDG_NONE, or LOCKEDG_EXIT
    uint32_t locked_ext          # m.lockedExt
    uint32_t locked_int          # m.lockedInt: runtime.main's lockOSThread during the inits


cdef struct PRec:
    # Per-P state beyond the run queues (status lives in RunQueues.status).
    int32_t m                    # M holding it, -1 none
    uint8_t in_pidle             # on the idle stack
    int64_t schedtick            # time slices started
    int64_t syscalltick          # bumped at syscall entry/exit and retake
    int64_t sm_schedtick         # sysmontick.schedtick
    int64_t sm_schedwhen         # sysmontick.schedwhen
    int64_t sm_syscalltick       # sysmontick.syscalltick
    int64_t sm_syscallwhen       # sysmontick.syscallwhen
    BinHeap timers               # its timers: kind TE_SLEEP (who = the sleeping G) or TE_TIMER (who = Engine.tms index)
    int32_t tzombies             # timers.zombies: TE_TIMER entries whose timer is TS_ZOMBIE
    int64_t tmin_modified        # timers.minWhenModified: a lower bound on TS_MODIFIED timers' when, 0 none
    int64_t goidcache            # next goid to hand out
    int32_t gfree_n              # gFree: dead Gs kept for reuse (<= GFREE_TRIM)
    uint64_t gfree_bits          # bit i: the i-th from the bottom still has its stack
    int64_t goidcacheend         # end of the cached batch
    int64_t busy_ns              # time its Ms ran Gs on it
    int64_t idle_ns              # time on the idle list
    int64_t idle_since           # when it was last put on the idle list
    int64_t steals               # successful steals by it


cdef struct Stamp:
    # A span's start carried by a sent value (gmp.send(ch, span=...)).
    int64_t start                # when the send began
    int32_t goid                 # the sender
    int32_t span                 # span name index + 1; 0: the value carries none

cdef struct Chan:
    int64_t cap                  # buffer size, 0 unbuffered
    int64_t count                # values buffered
    Stamp* ring                  # the buffered values' stamps, FIFO, grown by doubling up to cap
    int64_t ring_cap             # slots in ring (a power of two, or cap)
    int64_t head                 # ring slot of the oldest buffered value
    bint stamped                 # some SEND on it carries a span: ring follows count
    GQueue recvq                 # parked receivers, FIFO
    GQueue sendq                 # parked senders, FIFO
    bint closed                  # close(ch) ran: both queues stay empty from then on

cdef struct Timer:
    # A time.Timer, time.Ticker or AfterFunc timer (_engine_timers.pxi), Go
    # 1.23+: runtime.timer's fields the model needs plus its channel.
    int64_t when                 # t.when: 0 inactive
    int64_t period               # t.period: > 0 for a ticker
    GQueue recvq                 # Gs parked receiving from t.C, FIFO
    int32_t ts                   # the P whose heap holds it (timerHeaped), -1 none
    int32_t blocked              # t.blocked: Gs blocked on t.C
    int32_t func                 # AfterFunc: the program its new goroutine runs, -1 none
    uint8_t kind                 # TK_*
    uint8_t state                # TS_MODIFIED | TS_ZOMBIE (only while ts >= 0)
    uint8_t count                # values in t.C's 1-slot buffer

cdef enum:
    TK_TIMER = 0                 # time.NewTimer (a channel timer)
    TK_TICKER = 1                # time.NewTicker (a channel timer with a period)
    TK_FUNC = 2                  # time.AfterFunc (goFunc: no channel)
    TS_MODIFIED = 1              # timerModified: its heap entry's when is stale
    TS_ZOMBIE = 2                # timerZombie: stopped (or unwatched), still in the heap
    TE_SLEEP = 0                 # a timer heap entry: a sleeping G (time.Sleep)
    TE_TIMER = 1                 # a timer heap entry: a Timer (Engine.tms)
    TE_AFTER = 2                 # TE_AFTER + k: the timer of a blocked select's time.After case k (who = the G)
    TIMER_OP_CONTINUE = 2        # run_timer_op: the G goes on to its next op (not a resume's 0 / -1)

cdef struct WaitGroup:
    int64_t counter              # Add's running sum, wrapped to int32 as Go's state word does
    GQueue waiters               # Gs parked in Wait, FIFO

cdef struct Mutex:
    # sync.Mutex (_engine_mutex.pxi): Go's state word and its semaphore.
    int64_t state                # MUTEX_LOCKED | MUTEX_WOKEN | MUTEX_STARVING | waiters << MUTEX_WAITER_SHIFT
    int64_t sema                 # the semaphore's count (uint32 in Go)
    GQueue semq                  # Gs parked in semacquire: new waiters at the tail, old ones at the head

cdef struct MuLocal:
    # lockSlow's locals of a G inside Lock (across spins and parks), by G
    # row: 16 bytes, grown only as far as the rows that ever contend.
    int64_t wait_start           # waitStartTime (valid once `waited`)
    uint8_t step                 # MU_* below: where Lock resumes
    uint8_t iter                 # spins so far (canSpin's i, <= ACTIVE_SPIN)
    uint8_t awoke                # woken from the semaphore: clears MUTEX_WOKEN at its CAS
    uint8_t starving             # waited more than STARVATION_THRESHOLD_NS
    uint8_t waited               # waitStartTime != 0: queue at the head (LIFO)
    uint8_t lifo                 # semacquire's lifo, for queueing again after a lost wake-up
    uint8_t ticket               # semrelease handed the count over (handoff)

cdef struct SelLocal:
    # selectgo's state of a G by row (_engine_select.pxi): grown only as far
    # as the rows that ever block in a select.  While SEL_WAITING, the G's
    # pc is its SELECT row and its lock order sits in Engine.sel_lock.
    int64_t seq                  # Engine.seq before pass 2: its timers have larger seqs
    int32_t won                  # the case that won it (scase index), -1 none
    uint8_t state                # SEL_NONE, SEL_WAITING (selectDone == 0), SEL_WON (selectDone == 1)
    uint8_t closed               # won by close(ch): sudog.success == false

cdef enum:
    SEL_NONE = 0
    SEL_WAITING = 1
    SEL_WON = 2
    SEL_RECV = 0                 # SELCASE kinds (workload.SEL_*)
    SEL_SEND = 1
    SEL_AFTER = 2
    SEL_RECV_TIMER = 3           # <-t.C of a Timer/Ticker: b is its timer index
cdef struct Sema:
    # A runtime semaphore (sema.go semacquire1/semrelease1 with lifo false).
    int64_t count                # the uint32 count
    GQueue q                     # parked Gs, FIFO

cdef struct RWMutex:
    # sync.RWMutex (_engine_rwmutex.pxi): Go's fields.
    Mutex w                      # held while a writer is pending or active
    Sema writerSem               # the writer waits here for departing readers
    Sema readerSem               # readers wait here for the writer
    int32_t readerCount          # pending readers; minus RWMUTEX_MAX_READERS while a writer is
    int32_t readerWait           # departing readers the writer waits for

cdef struct Cond:
    # sync.Cond's notifyList (_engine_rwmutex.pxi).
    uint32_t wait                # next ticket handed out
    uint32_t notify              # next ticket to notify
    GQueue waiters               # parked Gs in the order they parked (their tickets in GSync)

cdef struct GSync:
    # Per-G state of RWMutex semaphores, Cond tickets and carried spans, by
    # G row, grown on first use (gsync_local).
    int64_t ticket               # notifyListAdd's ticket (a uint32)
    int64_t in_start             # the stamp carried by the last value received
    int64_t out_start            # a parked sender's stamp: when its send began
    int32_t in_goid              # ... its sender
    int32_t in_span              # ... its span name + 1, 0: none
    int32_t out_span             # a parked sender's span name + 1, 0: none
    uint8_t sema                 # parked on an RWMutex semaphore: the re-run takes the count or queues again

cdef enum:
    MUTEX_LOCKED = 1
    MUTEX_WOKEN = 2
    MUTEX_STARVING = 4
    MUTEX_WAITER_SHIFT = 3
    MU_NONE = 0                  # not in Lock
    MU_LOOP = 1                  # in lockSlow's loop (after a spin): re-read the state
    MU_SEMA = 2                  # parked in semacquire: on waking, take the count or queue again


cdef struct PolicyC:
    # gmpcore.Policy's values, filled once at run start (_Run.setup_policy).
    int64_t time_slice           # forcePreemptNS
    int64_t sysmon_min           # sysmon's shortest sleep
    int64_t sysmon_max           # its longest
    int64_t sysmon_idle          # idle cycles before it doubles
    int64_t global_check         # schedtick % this == 0 checks the global queue; 0 never
    int64_t spin_factor          # factor * nmspinning < nprocs - npidle may spin
    int64_t lifo_limit           # runnext hand-offs in a row before the tail; 0 none
    int64_t wake_max_spinning    # wakep starts an M while nmspinning is below this
    uint32_t global_batch        # globrunqget's largest batch
    bint inherit                 # a runnext G inherits the time slice
    bint runnext_special         # lifo_limit or not inherit: runnext_run counts runnext runs
    int64_t* lifo                # per P (not in PRec, whose size the hot paths index by):
                                 # [2p] Gs run in a row from runnext, [2p+1] the schedtick they count in


cdef struct Engine:
    # ---- the workload (read-only views of CompiledWorkload)
    const int64_t* code          # n_code rows of (opcode, a, b, c)
    int64_t n_code
    const double* dists         # rows of (kind, p1, p2)
    const int64_t* entry         # first pc of each program
    const int64_t* depth         # loop levels of each program
    int64_t n_programs
    # ---- options
    int32_t nprocs               # gomaxprocs now (Ps nprocs..np_alloc-1 are _Pdead)
    int32_t np_alloc             # Ps allocated: max(starting gomaxprocs, largest gomaxprocs(n))
    int32_t np_seen              # most Ps that ever existed (res.procs rows)
    bint async_preempt
    bint use_runnext             # runnext on, without Policy.lifo_limit (else runnext_allowed)
    bint until_all               # until="all"
    bint record                  # keep the event log
    bint check                   # check_invariants after every event
    int64_t max_threads
    int64_t max_stack
    int64_t schedtrace_ns        # 0 = off
    int64_t max_events           # -1 = no limit
    bint trace_py                # schedtrace via Python (scheddetail or on_schedtrace)
    # event log filters
    int64_t tw_start             # log only events with tw_start <= now <= tw_end
    int64_t tw_end
    const int64_t* goid_filter   # sorted goids to log (events about no G pass), NULL = all
    int64_t goid_filter_n        # entries in goid_filter
    int64_t max_log              # log rows kept at most, -1 = no cap
    int64_t n_dropped            # rows not kept because of max_log
    # monitor (res.monitor) and snapshot
    int64_t mon_period           # 0 = off
    int64_t mon_next             # time of the next sample
    int64_t mon_n                # samples taken
    int64_t mon_cap              # samples allocated in mon
    int64_t max_samples
    int64_t* mon                 # MON_COLS + nprocs int64 per sample, malloc'd
    int64_t snap_at              # -1 = no snapshot
    bint snap_taken
    int64_t snap_time            # the time the snapshot shows: snap_at, or the end if earlier
    int64_t stack_inuse          # bytes of stack of Gs not yet exited
    int64_t gfree_stack          # sched.gFree.stack: global free Gs with a stack
    int64_t gfree_nostack        # sched.gFree.noStack: global free Gs without one
    Costs c
    PolicyC pol
    # ---- the machine (_engine_cpu.pxi); everything else ignores it when off
    bint cpu_on
    CpuLayer cl
    # ---- randomness
    bitgen_t* rng                # NumPy PCG64: workload durations
    uint64_t cheaprand           # wyrand state: the steal order
    bint noise_on                # costs are draws (gmpcore.noise), not constants
    uint64_t noise_rng           # wyrand state of the noise stream
    const int64_t* noise_tab     # QUANTILES multipliers (16.16) per int64 slot of Costs
    # ---- queues and the steal order
    RunQueues q
    RandomOrder order
    # ---- the clock and events
    int64_t now
    int64_t seq                  # last seq handed out (events and timers)
    EventHeap heap
    # ---- tables
    GTable g
    LoopPool pool
    MRec* ms                     # M table
    int32_t nm                   # Ms created
    int32_t cap_m                # rows of ms, midle
    PRec* ps                     # P table extras
    int32_t* pidle               # idle P stack (LIFO), nprocs slots
    int32_t npidle
    int32_t* midle               # idle M stack (LIFO), cap_m slots
    int32_t nmidle
    Chan* chans
    int64_t nchans
    WaitGroup* wgs
    int64_t nwgs
    Mutex* mus
    int64_t nmus
    Timer* tms                   # the workload's timers, then one time.After timer per G row (malloc'd)
    int64_t ntms                 # the workload's timers
    int64_t tms_cap              # rows allocated
    MuLocal* mul                 # lockSlow locals per G row, grown on first use (mutex_local)
    int64_t mul_cap
    SelLocal* sel                # selectgo state per G row, grown on first use (select_local)
    int32_t* sel_lock            # per G row: its blocked select's lock order, sel_stride entries
    int64_t sel_cap
    int64_t sel_stride           # the most cases of any SELECT in the code
    int64_t* sel_scratch         # 3 * sel_stride: poll order, lock order, time.After durations
    RWMutex* rws
    int64_t nrws
    Cond* conds
    int64_t nconds
    GSync* gsy                   # per-G RWMutex/Cond/stamp state, grown on first use (gsync_local)
    int64_t gsy_cap
    bint stamps_on               # some SEND carries a span: receives hand stamps over
    int64_t n_spans_unstamped    # SPAN_RECV_END without a matching carried stamp
    # ---- scheduler globals
    int64_t nmspinning
    int64_t needspinning
    int64_t goidgen
    int64_t lastpoll             # 0 = an M is blocked in netpoll
    int64_t poll_until           # sched.pollUntil
    bint netpoll_inited
    int64_t io_waiters           # Gs parked in the netpoller
    GQueue io_ready              # their fds became ready, not yet polled
    gid_t ready_buf[NETPOLL_MAX_EVENTS]  # netpoll's result (one epoll_wait's worth)
    int32_t poller               # the M blocked in netpoll, -1 none
    # ---- locked threads (lockedm.pxi)
    int32_t cur_m                # the M whose step is being run, -1 (sysmon, I/O): newm's caller
    int32_t template_m           # the template thread, -1 before the first LockOSThread
    int64_t nmidlelocked         # Ms parked in stoplockedm
    int64_t nmsys                # system Ms: sysmon, the template thread
    int64_t nmfreed              # Ms that exited (mexit); mcount = nm - nmfreed
    int64_t n_waiting            # Gs in _Gwaiting
    int64_t n_dead               # Gs in _Gdead
    int64_t live                 # Gs not yet exited
    bint main_done
    bint main_goexit    # main called runtime.Goexit: the run ends in checkdead
    int64_t makespan             # -1 until main exits
    # ---- sysmon (§4.5)
    int64_t sm_idle
    int64_t sm_delay
    int64_t sm_gen
    bint sm_wait
    int64_t sm_lasttrace         # -1 before the first schedtrace line
    int64_t sm_starttime         # schedtrace's origin: the first line reads SCHED 0ms
    bint sm_woken                # woken by sysmon_wake: finish the loop iteration
    # ---- stop the world (_engine_stw.pxi); all zero/false outside one
    bint gcwaiting               # sched.gcwaiting: every M with a P must stop (gcstopm)
    int32_t stopwait             # sched.stopwait: Ps not yet stopped
    int32_t stw_state            # STW_* step of the caller
    int32_t stw_m                # the M stopping the world, -1 none
    int32_t stw_reason           # Go's stwReason of the STW under way
    int32_t newprocs             # newprocs: procresize's n at the restart, 0 = keep
    int32_t newprocs_cause       # CAUSE_* of newprocs (gomaxprocs_history)
    int64_t stw_t0               # when the STW began (the op ran)
    gid_t stw_owner              # the G holding gcsema/worldsema, -1 none
    GQueue stw_sema              # Gs waiting for gcsema, FIFO
    bint custom                  # sched.customGOMAXPROCS
    # the periodic GOMAXPROCS update (Go 1.25 updatemaxprocs; _engine_stw.pxi)
    bint upd_on                  # the updater runs: cpus given, GOMAXPROCS not set, updatemaxprocs
    bint containermaxprocs       # the default follows the quota
    int64_t upd_program          # the updater's internal program (appended to the code)
    int64_t upd_last             # sysmon's lastgomaxprocs, -1 before its first check
    int32_t upd_procs            # the value sysmon asked the updater for
    gid_t upd_g                  # the updater G while it lives, -1 none (the helper is idle)
    bint upd_idle                # updateMaxProcsG.idle: parked, sysmon may inject it
    # the runtime's start (runtime_init; _engine_runtime.pxi)
    bint rt_init                 # G1 runs runtime.main before main.main
    int64_t rt_program           # the first of the runtime's programs (appended to the code)
    int32_t n_sys                # runtime goroutines alive (GF_SYSTEM)
    int32_t n_sys_made           # ... ever made (counters["goroutines"] leaves them out)
    int32_t n_sys_waiting        # ... of them parked (counted in n_waiting too)
    int64_t* hist                # gomaxprocs_history rows (time, old, new, cause), malloc'd
    int64_t hist_n
    int64_t hist_cap
    # ---- counters (result["counters"])
    int64_t n_threads
    int64_t n_steals
    int64_t n_spills
    int64_t n_handoffs
    int64_t n_preemptions
    int64_t n_syscalls
    int64_t n_spinning
    int64_t n_thread_wakes        # EV_M_WAKE: idle Ms woken (startm, startlockedm, startTheWorld)
    int64_t spinning_ns          # summed time Ms spent spinning (from running spinning to stopping)
    int64_t n_netpolls
    int64_t n_timers
    int64_t n_events             # events dispatched (cancelled ones are not counted)
    int64_t n_gomaxprocs_changes
    int64_t n_stw
    int64_t stw_stopping_ns      # /sched/pauses/stopping/other: op to all Ps stopped
    int64_t stw_total_ns         # /sched/pauses/total/other: op to the world restarted
    # ---- /sched/latencies (gmpcore/_latency.pxd): runnable -> running, every time
    uint64_t lat_counts[LAT_N_COUNTS]
    int64_t lat_sum              # their exact sum, ns
    # ---- output buffers
    int64_t* log                 # event log rows (LOG_COLS int64 each), NumPy-owned
    int64_t log_n
    int64_t log_cap
    SpanRow* spans               # span rows, malloc'd, grown by doubling; NULL if none ended
    int64_t spans_n
    int64_t spans_cap
    int64_t max_spans            # span rows kept at most
    int64_t n_spans_dropped      # rows not kept because of max_spans
    int64_t* trace               # schedtrace snapshots, 7 + 2*nprocs int64 each, malloc'd
    int64_t trace_n
    int64_t trace_cap
    # ---- the Python side: growth, progress, Ctrl-C
    void* owner                  # the run object (borrowed PyObject*)
    bint has_progress
    int64_t progress_every
    int64_t next_progress        # event count of the next progress call
    int64_t next_signals         # event count of the next PyErr_CheckSignals
    int64_t next_slow            # min of the above and max_events: run_loop's one check
    uint64_t steps               # instructions interpreted (run_g), for Ctrl-C in long loops
    int32_t* where               # check_invariants scratch: place kind per G
    int32_t* where_id            # and its P/M id
    int64_t where_cap
    # ---- error report
    int32_t err                  # ErrKind
    const char* err_msg
    int64_t err_goid
    int64_t err_arg
    int32_t chk_code
    int64_t chk_g
    int32_t chk_a_kind
    int64_t chk_a_id
    int32_t chk_b_kind
    int64_t chk_b_id
