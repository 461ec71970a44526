"""Scheduling latency as Go's runtime measures it: ``/sched/latencies:seconds``.

Every time a goroutine goes from runnable (``_Grunnable``) to running
(``_Grunning``) -- after ``go``, after a wake-up from a channel, timer,
WaitGroup or the netpoller, after ``Gosched`` or a preemption, after a system
call whose M lost its P -- the engines add the time it spent runnable to a
histogram with the layout of Go's ``timeHistogram`` (``runtime/histogram.go``):
an underflow count, 40 power-of-two buckets of 4 linear sub-buckets each, and
an overflow count, 162 counts in all, between the 163 boundaries that
``runtime/metrics`` reports for ``/sched/latencies:seconds``
(``timeHistogramMetricsBuckets``, in seconds).

One difference from Go, on purpose: Go samples about one scheduling episode in
eight (``gTrackingPeriod``) to keep the cost off its hot path and does not scale
the counts up (reused goroutines are sampled more often: Go leaves a dead G's
tracking flag set); the simulator records every episode, so its counts are
several times Go's and its quantiles are the exact distribution that Go's
sample estimates.  Compare quantiles, not counts (docs/fidelity.md measures
both against Go).

>>> import gmpcore as gmp
>>> wl = gmp.Workload()
>>> wg = wl.waitgroup()
>>> worker = wl.program(gmp.cpu("100us"), gmp.done(wg))
>>> _ = wl.main(gmp.add(wg, 8), gmp.go(worker, count=8), gmp.wait(wg))
>>> lat = gmp.scheduling_latency(gmp.simulate(wl, gomaxprocs=2, seed=1))
>>> lat.count >= 9             # each worker's first run, and main's wake-up
True
>>> lat.quantile(0.99) > lat.quantile(0.5)   # workers queue behind two Ps
True
"""

import numpy as np

__all__ = ["BUCKETS_NS", "BUCKETS_SECONDS", "N_COUNTS", "LatencyHistogram", "bucket_index",
           "scheduling_latency"]

# runtime/histogram.go's layout (go-runtime-wave2.md §8).
MIN_BUCKET_BITS = 9            # timeHistMinBucketBits: values below 2**8 ns share bucket 0
MAX_BUCKET_BITS = 48           # timeHistMaxBucketBits (exclusive): 2**47 ns and up overflow
SUB_BUCKET_BITS = 2            # timeHistSubBucketBits: 4 linear sub-buckets per bucket
N_SUB_BUCKETS = 1 << SUB_BUCKET_BITS
N_BUCKETS = MAX_BUCKET_BITS - MIN_BUCKET_BITS + 1        # 40
N_COUNTS = N_BUCKETS * N_SUB_BUCKETS + 2                 # 162: underflow, 160, overflow


def bucket_index(duration_ns):
    """The count a duration adds to: 0 underflow, 1..160 the buckets, 161 overflow.

    The same arithmetic as ``timeHistogram.record`` (and as both engines).

    >>> [bucket_index(d) for d in (-1, 0, 63, 64, 255, 256, 320, 511, 512)]
    [0, 1, 1, 2, 4, 5, 6, 8, 9]
    >>> bucket_index(2**47 - 1), bucket_index(2**47)
    (160, 161)
    """
    d = int(duration_ns)
    if d < 0:
        return 0
    length = d.bit_length()
    if length < MIN_BUCKET_BITS:
        bucket_bit, bucket = MIN_BUCKET_BITS, 0
    else:
        bucket_bit, bucket = length, length - MIN_BUCKET_BITS + 1
    if bucket >= N_BUCKETS:
        return N_COUNTS - 1
    sub = (d >> (bucket_bit - 1 - SUB_BUCKET_BITS)) % N_SUB_BUCKETS
    return 1 + bucket * N_SUB_BUCKETS + sub


def _boundaries_ns():
    b = [-np.inf]
    b += [j << (MIN_BUCKET_BITS - 1 - SUB_BUCKET_BITS) for j in range(N_SUB_BUCKETS)]
    for i in range(MIN_BUCKET_BITS, MAX_BUCKET_BITS):
        b += [(1 << (i - 1)) | (j << (i - 1 - SUB_BUCKET_BITS)) for j in range(N_SUB_BUCKETS)]
    b += [1 << (MAX_BUCKET_BITS - 1), np.inf]
    return np.array(b, dtype=np.float64)


#: The 163 boundaries of the 162 counts, in ns: -inf, 0, 64, 128, 192, 256, 320, ... 2**47, +inf.
BUCKETS_NS = _boundaries_ns()
BUCKETS_NS.flags.writeable = False
#: The same in seconds, as ``runtime/metrics`` reports them (``Float64Histogram.Buckets``).
BUCKETS_SECONDS = BUCKETS_NS / 1e9
BUCKETS_SECONDS.flags.writeable = False


class LatencyHistogram:
    """A ``/sched/latencies``-style histogram: `counts` between `BUCKETS_NS`.

    Parameters
    ----------
    counts : array_like of int, length 162
        Underflow, Go's 160 sub-buckets in order, overflow.
    total_ns : int, optional
        The exact sum of the recorded latencies (the engines keep it), for
        :attr:`mean_ns`.

    Examples
    --------
    >>> counts = np.zeros(N_COUNTS, dtype=np.uint64)
    >>> counts[bucket_index(1000)] += 3       # three episodes of 1 µs
    >>> h = LatencyHistogram(counts, total_ns=3000)
    >>> h.count, h.mean_ns, h.bucket_of(1000)
    (3, 1000.0, (896.0, 1024.0))
    >>> h.quantile(0.5)                      # interpolated inside [896, 1024)
    960.0
    """

    __slots__ = ("counts", "total_ns")

    def __init__(self, counts, total_ns=None):
        counts = np.array(counts, dtype=np.uint64)
        if counts.shape != (N_COUNTS,):
            raise ValueError(f"LatencyHistogram: counts must have {N_COUNTS} entries "
                             f"(underflow, {N_COUNTS - 2} buckets, overflow), got shape "
                             f"{counts.shape}")
        counts.flags.writeable = False
        self.counts = counts
        self.total_ns = None if total_ns is None else int(total_ns)

    @property
    def buckets(self):
        """Boundaries in seconds, as ``runtime/metrics`` reports them."""
        return BUCKETS_SECONDS

    @property
    def count(self):
        """Scheduling episodes recorded."""
        return int(self.counts.sum())

    @property
    def mean_ns(self):
        """Mean latency in ns (exact when the engine's sum is known), NaN if empty."""
        if not self.count:
            return float("nan")
        if self.total_ns is not None:
            return self.total_ns / self.count
        mids = (BUCKETS_NS[1:-2] + BUCKETS_NS[2:-1]) / 2
        return float((self.counts[1:-1] * mids).sum() / self.counts[1:-1].sum())

    @staticmethod
    def bucket_of(duration_ns):
        """The ``[lo, hi)`` ns range of the count a duration falls in."""
        i = bucket_index(duration_ns)
        return float(BUCKETS_NS[i]), float(BUCKETS_NS[i + 1])

    def quantile(self, q):
        """The `q` quantile in ns, linear inside its bucket (``nan`` if empty).

        As with any histogram, the answer is known to the bucket's width
        (25 % above 256 ns); the overflow bucket answers its lower bound.
        """
        q = float(q)
        if not 0.0 <= q <= 1.0:
            raise ValueError(f"quantile q must be in [0, 1], got {q}")
        total = self.count
        if not total:
            return float("nan")
        cum = np.cumsum(self.counts, dtype=np.float64)
        rank = q * total
        i = int(np.searchsorted(cum, rank, side="left"))
        i = max(i, int(np.argmax(self.counts > 0)))   # rank 0: the first non-empty bucket
        lo, hi = BUCKETS_NS[i], BUCKETS_NS[i + 1]
        if not np.isfinite(lo):
            return 0.0                     # underflow: never produced by the engines
        if not np.isfinite(hi):
            return float(lo)
        before = cum[i] - float(self.counts[i])
        frac = (rank - before) / float(self.counts[i])
        return float(lo + (hi - lo) * min(max(frac, 0.0), 1.0))

    def quantiles(self, qs=(0.5, 0.9, 0.99, 0.999)):
        """``{q: quantile(q)}`` for each `q`."""
        return {q: self.quantile(q) for q in qs}

    def __repr__(self):
        if not self.count:
            return "<LatencyHistogram: empty>"
        from gmpcore.durations import format_duration
        qs = ", ".join(f"p{str(q * 100).rstrip('0').rstrip('.')} "
                       f"{format_duration(round(v))}" for q, v in self.quantiles().items())
        return f"<LatencyHistogram: {self.count} episodes, {qs}>"

    def __eq__(self, other):
        if not isinstance(other, LatencyHistogram):
            return NotImplemented
        return np.array_equal(self.counts, other.counts) and self.total_ns == other.total_ns

    __hash__ = None


def scheduling_latency(res):
    """The run's ``/sched/latencies`` histogram: runnable -> running, every time.

    Parameters
    ----------
    res : Result
        A finished run (with or without per-G records).

    Returns
    -------
    LatencyHistogram
    """
    hist = getattr(res, "sched_latencies", None)
    if hist is None:
        raise ValueError("scheduling_latency(): this Result has no scheduling-latency "
                         "histogram (it was not made by gmpcore.simulate)")
    return hist
