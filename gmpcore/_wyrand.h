/* Go's cheaprand (runtime/rand.go): wyrand on a 64-bit per-M state.
 * Restated here so a seeded simulation draws the same kind of numbers the
 * runtime does; see go-scheduler.md section 9 ("Randomness"). */
#ifndef GMPCORE_WYRAND_H
#define GMPCORE_WYRAND_H
#include <stdint.h>

static inline uint64_t gmp_mul64_hi_xor_lo(uint64_t a, uint64_t b) {
#if defined(__SIZEOF_INT128__)
    unsigned __int128 r = (unsigned __int128)a * b;
    return (uint64_t)(r >> 64) ^ (uint64_t)r;
#else
    /* Portable 64x64 -> 128 multiply for compilers without __int128. */
    uint64_t a_lo = (uint32_t)a, a_hi = a >> 32, b_lo = (uint32_t)b, b_hi = b >> 32;
    uint64_t p0 = a_lo * b_lo, p1 = a_lo * b_hi, p2 = a_hi * b_lo, p3 = a_hi * b_hi;
    uint64_t mid = (p0 >> 32) + (uint32_t)p1 + (uint32_t)p2;
    uint64_t hi = p3 + (p1 >> 32) + (p2 >> 32) + (mid >> 32);
    uint64_t lo = (mid << 32) | (uint32_t)p0;
    return hi ^ lo;
#endif
}

/* One 32-bit draw: Go's cheaprand on 64-bit platforms. */
static inline uint32_t gmp_cheaprand(uint64_t *state) {
    *state += 0xa0761d6478bd642fULL;
    return (uint32_t)gmp_mul64_hi_xor_lo(*state, *state ^ 0xe7037ed1a0b428dbULL);
}

/* Uniform in [0, n): Go's cheaprandn (Lemire's multiply-shift reduction). */
static inline uint32_t gmp_cheaprandn(uint64_t *state, uint32_t n) {
    return (uint32_t)(((uint64_t)gmp_cheaprand(state) * (uint64_t)n) >> 32);
}
#endif
