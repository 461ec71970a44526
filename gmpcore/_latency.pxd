# Go's scheduling-latency histogram (/sched/latencies:seconds): the bucket
# arithmetic of runtime/histogram.go's timeHistogram.record, restated for
# the engine's hot path.  gmpcore/latency.py holds the same layout for
# Python (bucket_index, BUCKETS_NS); tests/test_latency.py holds the two equal.
#
# Contract: counts[0] is underflow (negative durations, which the engines
# never produce), counts[1 + 4*bucket + sub] the 160 sub-buckets, counts[161]
# overflow (2**47 ns and more).

from libc.stdint cimport int64_t, uint64_t

cdef extern from *:
    """
    #if defined(_MSC_VER)
    #include <intrin.h>
    static inline int gmp_bitlen64(unsigned long long x) {
        unsigned long i;
        return _BitScanReverse64(&i, x) ? (int)i + 1 : 0;
    }
    #else
    static inline int gmp_bitlen64(unsigned long long x) {
        return x ? 64 - __builtin_clzll(x) : 0;
    }
    #endif
    """
    # sys.Len64: the number of bits needed to write x (0 for 0).
    int bitlen64 "gmp_bitlen64"(unsigned long long x) noexcept nogil

cdef enum:
    LAT_MIN_BUCKET_BITS = 9      # timeHistMinBucketBits
    LAT_MAX_BUCKET_BITS = 48     # timeHistMaxBucketBits (exclusive)
    LAT_SUB_BUCKET_BITS = 2      # timeHistSubBucketBits
    LAT_N_BUCKETS = 40           # LAT_MAX_BUCKET_BITS - LAT_MIN_BUCKET_BITS + 1
    LAT_N_COUNTS = 162           # underflow, 40 * 4 sub-buckets, overflow


cdef inline int lat_index(int64_t d) noexcept nogil:
    # The count `d` ns adds to (latency.bucket_index).
    cdef int length, bit, bucket
    if d < 0:
        return 0
    length = bitlen64(<unsigned long long>d)
    if length < LAT_MIN_BUCKET_BITS:
        bit = LAT_MIN_BUCKET_BITS
        bucket = 0
    else:
        bit = length
        bucket = length - LAT_MIN_BUCKET_BITS + 1
    if bucket >= LAT_N_BUCKETS:
        return LAT_N_COUNTS - 1
    return 1 + (bucket << LAT_SUB_BUCKET_BITS) + <int>((d >> (bit - 1 - LAT_SUB_BUCKET_BITS)) & 3)
