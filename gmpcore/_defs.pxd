# Shared typedefs and constants of the gmpcore core (reference: go-scheduler.md §1).
#
# Every compiled module cimports its widths and limits from here, so a G id,
# a queue counter or a P status has one definition in the whole package.

from libc.stdint cimport int32_t, uint8_t, uint32_t, uint64_t

# A goroutine id as the tables store it.  Go links Gs by pointer (guintptr,
# 0 = nil); we store non-negative int32 ids and use NIL_G for nil, so a G
# costs 4 bytes wherever it is queued.
ctypedef int32_t gid_t

cdef enum:
    NIL_G = -1                   # "no G": an empty runnext slot, a failed get
    MAX_GID = 0x7fffffff         # largest G id a table can hold
    RUNQ_SIZE = 256              # len(p.runq) (§1.1)
    RUNQ_MASK = RUNQ_SIZE - 1    # index = counter mod 256
    RUNQ_HALF = RUNQ_SIZE // 2   # runqputslow batch and the largest steal (§2.2, §2.7)
    MAX_PROCS = 1 << 20          # largest P count a Sched accepts

# P status values, numbered as scheddetail prints them (§1.4, Go 1.25).
cdef enum PStatus:
    P_IDLE = 0
    P_RUNNING = 1
    P_SYSCALL = 2
    P_GCSTOP = 3
    P_DEAD = 4
