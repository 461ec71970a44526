# Go's randomOrder / randomEnum (go-scheduler.md §3.3; proc.go stealOrder):
# enumerate all `count` Ps in a pseudo-random order without repeats, by
# stepping with an increment coprime to `count`.

from libc.stdint cimport uint32_t
from libc.stdlib cimport malloc, free

cdef struct RandomOrder:
    uint32_t count        # number of Ps (gomaxprocs)
    uint32_t ncoprimes    # len(coprimes)
    uint32_t* coprimes    # every i in 1..count with gcd(i, count) == 1, ascending

cdef struct RandomEnum:
    uint32_t i            # steps taken; done when i == count
    uint32_t count
    uint32_t pos          # current P
    uint32_t inc          # coprime stride


cdef inline uint32_t gcd_u32(uint32_t a, uint32_t b) noexcept nogil:
    cdef uint32_t r
    while b != 0:
        r = a % b
        a = b
        b = r
    return a


cdef inline int random_order_reset(RandomOrder* order, uint32_t count) noexcept nogil:
    # Go's reset(count) on every procresize.  Returns -1 if out of memory,
    # leaving the zero state (count 0, no coprimes) that callers refuse.
    cdef uint32_t i
    free(order.coprimes)
    order.coprimes = <uint32_t*>malloc((count if count else 1) * sizeof(uint32_t))
    order.count = count
    order.ncoprimes = 0
    if order.coprimes == NULL:
        order.count = 0
        return -1
    for i in range(1, count + 1):
        if gcd_u32(i, count) == 1:
            order.coprimes[order.ncoprimes] = i
            order.ncoprimes += 1
    return 0


cdef inline void random_order_free(RandomOrder* order) noexcept nogil:
    free(order.coprimes)
    order.coprimes = NULL
    order.count = 0
    order.ncoprimes = 0


cdef inline RandomEnum random_order_start(const RandomOrder* order, uint32_t r) noexcept nogil:
    # start(r): pos = r mod count, inc = coprimes[(r / count) mod len(coprimes)].
    # The order must have been reset with count >= 1 (callers check it).
    cdef RandomEnum e
    e.i = 0
    e.count = order.count
    e.pos = r % order.count
    e.inc = order.coprimes[(r // order.count) % order.ncoprimes]
    return e


cdef inline bint random_enum_done(const RandomEnum* e) noexcept nogil:
    return e.i == e.count


cdef inline void random_enum_next(RandomEnum* e) noexcept nogil:
    e.i += 1
    e.pos = (e.pos + e.inc) % e.count
