"""Names the reference engine's modules share: opcodes, M phases, event kinds."""

# Opcodes (docs/simulator-design.md §1.1).
(OP_EXIT, OP_CPU, OP_SYSCALL, OP_SLEEP, OP_NETWAIT, OP_GO, OP_GOSCHED, OP_SEND,
 OP_RECV, OP_WG_ADD, OP_WG_WAIT, OP_LOOP, OP_ENDLOOP, OP_STACK) = range(14)
# 14 is reserved for GOMAXPROCS (docs/design/machine.md §4.2).
OP_LOCKOSTHREAD, OP_UNLOCKOSTHREAD = 15, 16

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
# (PH_STW_WAIT, docs/design/machine.md §3.7, is reserved)
PH_LOCKED = "locked"        # parked in stoplockedm (off midle) until its G is picked
PH_DEAD = "dead"            # after mexit: never runs again

# M.lockedg besides a G: its locked G exited; the M leaves through mexit at its next step.
LOCKEDG_EXIT = "exit"

# Event kinds in the heap.
E_M, E_PREEMPT, E_IO, E_SYSMON = 0, 1, 2, 3

MAX_SAMPLE = 2**53                   # largest duration a distribution may yield (durations.py)
