"""Names the reference engine's modules share: opcodes, M phases, event kinds."""

# Opcodes (docs/simulator-design.md §1.1).
(OP_EXIT, OP_CPU, OP_SYSCALL, OP_SLEEP, OP_NETWAIT, OP_GO, OP_GOSCHED, OP_SEND,
 OP_RECV, OP_WG_ADD, OP_WG_WAIT, OP_LOOP, OP_ENDLOOP, OP_STACK, OP_GOMAXPROCS,
 OP_LOCKOSTHREAD, OP_UNLOCKOSTHREAD, OP_CLOSE, OP_RANGE, OP_ENDRANGE) = range(20)
OP_LOCK, OP_UNLOCK = 20, 21  # sync.Mutex (reference/mutex.py)
OP_CHOICE, OP_LOOPDRAW, OP_GOEXIT, OP_PANIC = 22, 23, 24, 25   # control flow (program.py)
CHOICE_ONE = 2**53          # workload.CHOICE_ONE: CHOICE's probability 1
OP_SPAN_BEGIN, OP_SPAN_END = 26, 27  # gmp.span: start time to loop slot b; a row at the end
OP_SELECT, OP_SELCASE, OP_SELEND, OP_BLOCK = 28, 29, 30, 31   # select (reference/select.py)
SEL_RECV, SEL_SEND, SEL_AFTER, SEL_RECV_TIMER = 0, 1, 2, 3   # SELCASE kinds
SEL_NONE, SEL_WAITING, SEL_WON = 0, 1, 2  # G.sel_state: not in a select, parked, claimed (selectDone)
# sync.RWMutex and sync.Cond (reference/rwmutex.py); a carried span's end
(OP_RLOCK, OP_RUNLOCK, OP_RWLOCK, OP_RWUNLOCK, OP_NOTIFY_ADD, OP_NOTIFY_WAIT, OP_NOTIFY,
 OP_SPAN_RECV_END) = range(40, 48)
OP_TIMER_RESET, OP_TIMER_STOP, OP_TIMER_RECV, OP_AFTER = 32, 33, 34, 35  # timers (timers.py)
# Internal, never in a user workload: runtime.main and the runtime's goroutines
# (gmpcore/startup.py builds their programs; reference/runtime.py runs them).
OP_RT_LOCK, OP_RT_UNLOCK = 56, 57   # runtime.main's lockOSThread / unlockOSThread (lockedInt)
OP_GO_SYS = 58              # go f() for a runtime goroutine (program a): a system G
OP_PARK_SYS = 59            # a runtime goroutine parks for good (wait reason a)
OP_JUMP = 60                # continue at pc a
OP_UPDATE_PARK = 61         # updateMaxProcsGoroutine: idle until sysmon injects it
OP_UPDATE_PROCS = 62        # internal, never in a user workload: the GOMAXPROCS updater's step
OP_UPDATE_DONE = 63         # internal: the updater is idle again (then EXIT)

# What an M does when its pending event fires.
PH_RUN = "run"              # continue its G's program
PH_EXECUTE = "execute"      # start running the G findRunnable chose
PH_SCHEDULE = "schedule"    # look for work from the top of findRunnable
PH_STEAL = "steal"          # the spinning search is over: stealWork
PH_BACKOFF = "backoff"      # the 3 us pause before stealing runnext is over
PH_START = "start"          # a woken or new M takes its nextp
PH_SYSCALL = "syscall"      # its system call returns
PH_NETPOLL = "netpoll"      # blocked in netpoll
PH_IDLE = "idle"            # parked on midle
PH_STW_WAIT = "stw_wait"    # stopping/starting the world (RefEngine.stw_state says which step)

# Where a stop-the-world is (RefEngine.stw_state).
STW_NONE = 0                # no stop-the-world
STW_STOPPING = 1            # the caller pays stw_stop before stopping the Ps
STW_WAITING = 2             # gcwaiting: asleep on stopnote, re-preempting every 100 µs
STW_WOKEN = 3               # the last P stopped; the caller is waking up
STW_STARTING = 4            # stopped: the caller pays stw_start + procresize, then restarts
PH_LOCKED = "locked"        # parked in stoplockedm (off midle) until its G is picked
PH_DEAD = "dead"            # after mexit: never runs again

# M.lockedg besides a G: its locked G exited; the M leaves through mexit at its next step.
LOCKEDG_EXIT = "exit"

# Event kinds in the heap.
E_M, E_PREEMPT, E_IO, E_SYSMON = 0, 1, 2, 3
# The CPU layer's (reference/cpu.py): a CPU's slice check (who = CPU), the
# quota's period timer, its exhaustion, a change of quota (who = schedule row).
E_CPU, E_PERIOD, E_THROTTLE, E_QUOTA = 4, 5, 6, 7

# Phases in which an M is off-CPU: its step ends in a wake-up (reference/cpu.py).
OFF_CPU_PHASES = frozenset((PH_BACKOFF, PH_START, PH_SYSCALL, PH_NETPOLL, PH_IDLE, PH_LOCKED,
                            PH_DEAD))

MAX_SAMPLE = 2**53                   # largest duration a distribution may yield (durations.py)
