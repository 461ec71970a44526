"""The model's constants: Go's (named as in the runtime) and the model's own.

They are defined once, in ``gmpcore/_model.pxd``, which the compiled engine
compiles in; this module reads the same values back from it, for the
reference engine, for tests and for readers.  Each Go value is checked
against Go's source in tests/test_model_constants.py.

>>> from gmpcore import model
>>> model.FORCE_PREEMPT_NS, model.GLOBAL_CHECK_PERIOD, model.NETPOLL_MAX_EVENTS
(10000000, 61, 128)
"""

from gmpcore._engine import MODEL as _MODEL

#: Every constant by name.
CONSTANTS = dict(_MODEL)

FORCE_PREEMPT_NS = _MODEL["FORCE_PREEMPT_NS"]            # forcePreemptNS: the time slice
SYSMON_MIN_DELAY = _MODEL["SYSMON_MIN_DELAY"]            # sysmon's first usleep(20)
SYSMON_MAX_DELAY = _MODEL["SYSMON_MAX_DELAY"]            # ... doubling up to 10 ms
SYSMON_IDLE_CYCLES = _MODEL["SYSMON_IDLE_CYCLES"]        # idle cycles before it doubles
SYSMON_NETPOLL_PERIOD = _MODEL["SYSMON_NETPOLL_PERIOD"]  # sysmon polls if nobody has for 10 ms
SYSMON_DEEP_SLEEP = _MODEL["SYSMON_DEEP_SLEEP"]          # forcegcperiod / 2
RETAKE_SYSCALL_NS = _MODEL["RETAKE_SYSCALL_NS"]          # a syscalling P with no work is kept 10 ms
RUNNEXT_BACKOFF = _MODEL["RUNNEXT_BACKOFF"]              # runqgrab's usleep(3)
GLOBAL_CHECK_PERIOD = _MODEL["GLOBAL_CHECK_PERIOD"]      # schedtick % 61
GOIDCACHE_BATCH = _MODEL["GOIDCACHE_BATCH"]              # _GoidCacheBatch
STACK_MIN = _MODEL["STACK_MIN"]                          # a new G's stack, bytes
NETPOLL_MAX_EVENTS = _MODEL["NETPOLL_MAX_EVENTS"]        # events per epoll_wait
NETPOLL_RESOLUTION = _MODEL["NETPOLL_RESOLUTION"]        # epoll_wait's timeout unit (1 ms)
OS_BASE_SLICE = _MODEL["OS_BASE_SLICE"]                  # Linux: the base slice, 0.75 ms
OS_SLICE_MAX_CPUS = _MODEL["OS_SLICE_MAX_CPUS"]          # ... scaled by 1 + log2(min(cpus, 8))
OS_TICK = _MODEL["OS_TICK"]                              # Linux: a scheduler tick (HZ=250)
OS_CTX_SWITCH = _MODEL["OS_CTX_SWITCH"]                  # a context switch, ns
CFS_QUOTA_MIN = _MODEL["CFS_QUOTA_MIN"]                  # cpu.max: smallest quota and period
CFS_PERIOD_MAX = _MODEL["CFS_PERIOD_MAX"]                # cpu.max: longest period
UPDATE_MAXPROCS_PERIOD = _MODEL["UPDATE_MAXPROCS_PERIOD"]  # sysmon checks the default at most once a second
STW_PREEMPT_PERIOD = _MODEL["STW_PREEMPT_PERIOD"]        # a STW re-preempts every 100 µs until all Ps stop
STARVATION_THRESHOLD_NS = _MODEL["STARVATION_THRESHOLD_NS"]  # sync.Mutex: a waiter past 1 ms starves it
ACTIVE_SPIN = _MODEL["ACTIVE_SPIN"]                      # sync.Mutex: at most 4 spins (canSpin)
ACTIVE_SPIN_CNT = _MODEL["ACTIVE_SPIN_CNT"]              # ... each procyield(30)
RWMUTEX_MAX_READERS = _MODEL["RWMUTEX_MAX_READERS"]      # sync.RWMutex: a writer subtracts 1 << 30
ZERO_TIME_BUDGET = _MODEL["ZERO_TIME_BUDGET"]            # the model's: instructions per resume
REUSE_PROBE = _MODEL["REUSE_PROBE"]                      # the model's: rows newg walks
NOISE_QUANTILES = _MODEL["NOISE_QUANTILES"]              # the model's: quantiles per noise table
G_STATE_BYTES = _MODEL["G_STATE_BYTES"]                  # the model's: a G's state besides its stack
GFREE_TRIM = _MODEL["GFREE_TRIM"]                        # gfput trims a P's gFree at 64 ...
GFREE_BATCH = _MODEL["GFREE_BATCH"]                      # ... to 31; gfget refills 32
