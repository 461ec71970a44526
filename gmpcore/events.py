"""Codes shared by both engines and by everything that reads their output.

Goroutine states and wait reasons use Go's numbering (go-scheduler.md §1.2,
§6.4), so a G row reads like ``scheddetail``.  Event kinds are the rows of a
run's event log: the differential tests compare these logs between the
reference engine and the compiled one, and traces are drawn from them.
"""

# G status (runtime2.go): what scheddetail prints as status=N.
G_IDLE, G_RUNNABLE, G_RUNNING, G_SYSCALL, G_WAITING, G_DEAD = 0, 1, 2, 3, 4, 6
G_STATUS_NAMES = {G_IDLE: "idle", G_RUNNABLE: "runnable", G_RUNNING: "running",
                  G_SYSCALL: "syscall", G_WAITING: "waiting", G_DEAD: "dead"}

# Wait reasons (subset of runtime2.go's waitReason), with Go's strings.
WAIT_NONE = 0
WAIT_CHAN_RECEIVE = 1
WAIT_CHAN_SEND = 2
WAIT_SLEEP = 3
WAIT_IO = 4
WAIT_WAITGROUP = 5
WAIT_PREEMPTED = 6
WAIT_STOPPING_THE_WORLD = 7     # the G calling GOMAXPROCS(n), for the whole pause
WAIT_SEMACQUIRE = 8             # a G waiting for another G's stop-the-world (gcsema)
WAIT_SYNC_MUTEX_LOCK = 9        # waitReasonSyncMutexLock: parked in sync.Mutex.Lock
WAIT_SELECT = 10                # waitReasonSelect: parked in selectgo
WAIT_SELECT_NO_CASES = 11       # waitReasonSelectNoCases: select {}
WAIT_SYNC_RWMUTEX_RLOCK = 12    # waitReasonSyncRWMutexRLock: parked on an RWMutex's readerSem
WAIT_SYNC_RWMUTEX_LOCK = 13     # waitReasonSyncRWMutexLock: parked on an RWMutex's writerSem
WAIT_SYNC_COND_WAIT = 14        # waitReasonSyncCondWait: parked in sync.Cond.Wait
# The runtime's own goroutines, parked (simulate(runtime_init=True); gmpcore.startup).
WAIT_GC_SWEEP = 15              # waitReasonGCSweepWait: bgsweep between GC cycles
WAIT_GC_SCAVENGE = 16           # waitReasonGCScavengeWait: bgscavenge parked
WAIT_FINALIZER = 17             # waitReasonFinalizerWait: runfinq, no finalizer queued
WAIT_FORCEGC_IDLE = 18          # waitReasonForceGCIdle: forcegchelper between forced GCs
WAIT_UPDATE_IDLE = 19           # waitReasonUpdateGOMAXPROCSIdle: the updater between updates
WAIT_REASONS = ("", "chan receive", "chan send", "sleep", "IO wait",
                "sync.WaitGroup.Wait", "preempted", "stopping the world", "semacquire",
                "sync.Mutex.Lock", "select", "select (no cases)", "sync.RWMutex.RLock",
                "sync.RWMutex.Lock", "sync.Cond.Wait",
                # the runtime's own goroutines, parked (simulate(runtime_init=True))
                "GC sweep wait", "GC scavenge wait", "finalizer wait", "force gc (idle)",
                "GOMAXPROCS updater (idle)")

# P status (§1.4).
P_IDLE, P_RUNNING, P_SYSCALL, P_GCSTOP, P_DEAD = 0, 1, 2, 3, 4

# Event log rows: (time, kind, m, p, g, arg); -1 where a field does not apply.
EV_CREATE = 0        # g created by arg (the parent's G index), on p
EV_RUN = 1           # m runs g on p; arg = 1 if it inherits the time slice
EV_STOP = 2          # g leaves m; arg = a STOP_* reason
EV_READY = 3         # g made runnable: arg -1 into p's runnext (ready/goready), 1 by m's netpoll,
READY_SYSMON = 2     # ... 2 injected by sysmon (the GOMAXPROCS updater, runtime_init)
EV_STEAL = 4         # m's P p stole g (the one it will run) from P arg
EV_SPILL = 5         # runqputslow moved arg Gs from p to the global queue
EV_SYSCALL_ENTER = 6
EV_SYSCALL_EXIT = 7  # arg = 0 fast path (same P), 1 fast path (idle P), 2 slow path
EV_HANDOFF = 8       # handoffp(p): p lost its M (syscall retake or a known-blocking syscall)
EV_THREAD_CREATE = 9
EV_M_PARK = 10       # arg -1: stopm; 1: stoplockedm (g = its locked G); 2: mexit (m exits)
EV_M_WAKE = 11       # startm woke m for p; arg = 1 if spinning; g >= 0: startlockedm for g
EV_SPIN = 12         # arg = 1 becomes spinning, 0 stops
EV_TIMER = 13        # a timer of p fired and readied g (a Timer: g -1, arg its index)
EV_NETPOLL = 14      # m polled the network; arg = Gs made ready
EV_PREEMPT = 15      # sysmon asked g on p to stop; arg = 1 async signal
EV_IO_READY = 16     # g's network wait completed (the fd is ready)
EV_WAIT = 17         # g parked (right after its EV_STOP park); arg = its wait reason
EV_PROCS = 18        # procresize changed GOMAXPROCS to arg (m: the STW caller)
EV_STW_START = 19    # g on m (P p) starts stopping the world; arg = Go's stwReason
EV_STW_DONE = 20     # the world restarted; arg = the pause, ns (m, p, g: the caller)
EVENT_NAMES = ("create", "run", "stop", "ready", "steal", "spill", "syscall_enter",
               "syscall_exit", "handoff", "thread_create", "m_park", "m_wake", "spin",
               "timer", "netpoll", "preempt", "io_ready", "wait", "procs", "stw_start",
               "stw_done")

# EV_STOP reasons.
STOP_EXIT, STOP_PARK, STOP_GOSCHED, STOP_PREEMPT, STOP_SYSCALL = 0, 1, 2, 3, 4
STOP_REASONS = ("exit", "park", "gosched", "preempt", "syscall")

# Go's stwReason (proc.go), EV_STW_START's arg: only GOMAXPROCS so far.
STW_GOMAXPROCS = 9
STW_REASONS = {STW_GOMAXPROCS: "GOMAXPROCS"}

# Why GOMAXPROCS changed (res.gomaxprocs_history's cause column).
CAUSE_USER = 0                   # the workload's gomaxprocs(n)
CAUSE_UPDATE = 1                 # the runtime's periodic update (Go 1.25 updatemaxprocs)
CAUSES = ("user", "update")
#: The program name of the runtime's GOMAXPROCS updater goroutine (res.program_names).
UPDATER_PROGRAM = "runtime.updateMaxProcsGoroutine"
