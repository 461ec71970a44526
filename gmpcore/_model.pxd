# The model's constants, defined once.  Go's are named as in the runtime,
# with the function and section they come from (docs/reference/
# go-scheduler.md §); the model's own say why they exist.  The compiled
# engine cimports them; _engine.MODEL exports them to Python, where
# gmpcore.model gives them to the reference engine and the docs, and
# tests/test_model_constants.py holds each Go value to Go's source.

from libc.stdint cimport int64_t

cdef extern from *:
    """
    #define GMP_SYSMON_DEEP_SLEEP 60000000000LL
    """
    # sysmon's longest deep sleep: forcegcperiod / 2 = 60 s (§4.5 step 2).
    const int64_t SYSMON_DEEP_SLEEP "GMP_SYSMON_DEEP_SLEEP"

# Go's constants (ns unless said).
cdef enum:
    FORCE_PREEMPT_NS = 10000000      # forcePreemptNS: a G's time slice (§1.1, retake)
    SYSMON_MIN_DELAY = 20000         # sysmon's first usleep(20) (§4.5)
    SYSMON_MAX_DELAY = 10000000      # its sleep doubles up to 10 ms (§4.5)
    SYSMON_IDLE_CYCLES = 50          # idle cycles before the sleep starts doubling (§4.5)
    SYSMON_NETPOLL_PERIOD = 10000000 # sysmon polls the network if nobody has for 10 ms (§4.5)
    RETAKE_SYSCALL_NS = 10000000     # retake leaves a syscalling P with no work up to 10 ms (§4.6)
    RUNNEXT_BACKOFF = 3000           # runqgrab's usleep(3) before stealing runnext (§2.7)
    GLOBAL_CHECK_PERIOD = 61         # findRunnable: schedtick % 61 checks the global queue (§3.2)
    GOIDCACHE_BATCH = 16             # _GoidCacheBatch (§1.1)
    STACK_MIN = 2048                 # fixedStack: a new G's stack (§5.4)
    NETPOLL_MAX_EVENTS = 128         # netpoll_epoll.go: events per epoll_wait (§3.9)
    NETPOLL_RESOLUTION = 1000000     # epoll_wait's timeout is in whole ms (Linux)
    UPDATE_MAXPROCS_PERIOD = 1000000000  # sysmon: lastgomaxprocs+1e9 <= now, at most once a second (machine.md §1.2)
    STW_PREEMPT_PERIOD = 100000      # stopTheWorldWithSema: notetsleep(&stopnote, 100*1000), then preemptall again (machine.md §1.4)
    STARVATION_THRESHOLD_NS = 1000000  # internal/sync mutex.go starvationThresholdNs: a waiter past 1 ms starves the mutex
    ACTIVE_SPIN = 4                  # proc.go active_spin: lockSlow spins at most 4 times (canSpin)
    ACTIVE_SPIN_CNT = 30             # proc.go active_spin_cnt: procyield(30) per spin (the mutex_spin cost's unit)
    GFREE_TRIM = 64                  # proc.go gfput: a P's gFree of 64 goes to the global lists ...
    GFREE_BATCH = 32                 # ... down to 31; gfget refills an empty one up to 32
    RWMUTEX_MAX_READERS = 1073741824 # sync/rwmutex.go rwmutexMaxReaders = 1 << 30: a writer's offset of readerCount

# Linux's, for the machine under the scheduler (docs/design/machine.md §2):
# defaults of simulate(os_sched=...) and the bounds of cpu.max.
cdef enum:
    OS_BASE_SLICE = 750000           # sysctl_sched_base_slice, scaled by 1 + log2(min(cpus, 8))
    OS_SLICE_MAX_CPUS = 8            # the slice's log scaling stops at 8 CPUs
    OS_TICK = 4000000                # a scheduler tick at HZ=250: slices end on ticks
    OS_CTX_SWITCH = 2000             # a context switch between runnable threads, ns
    CFS_QUOTA_MIN = 1000000          # cpu.max: the smallest quota and period, 1 ms
    CFS_PERIOD_MAX = 1000000000      # cpu.max: the longest period, 1 s

# The model's own.
cdef enum:
    ZERO_TIME_BUDGET = 4096          # instructions per resume before yielding to the event loop
    REUSE_PROBE = 8                  # rows newg walks before it may add a row (GTable.cursor)
    NOISE_QUANTILES = 256            # quantiles per cost's noise table: a draw's top 8 bits (gmpcore.noise)
    G_STATE_BYTES = 512              # a G's state besides its stack (runtime.g, ~450 B, in whole cache lines)
