# Go's cheaprand (wyrand), declared from _wyrand.h so every module draws the
# same stream for the same seed (go-scheduler.md §9, "Randomness").
from libc.stdint cimport uint32_t, uint64_t

cdef extern from "_wyrand.h" nogil:
    uint32_t cheaprand "gmp_cheaprand"(uint64_t* state)
    uint32_t cheaprandn "gmp_cheaprandn"(uint64_t* state, uint32_t n)
