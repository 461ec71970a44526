"""Span latencies: exact quantiles of ``res.spans`` per span name.

A span row (:func:`gmpcore.span`, or a span a received value carried to
:func:`gmpcore.span_end`) says when it started and ended, in virtual ns;
its latency is ``end_ns - start_ns``.

>>> import numpy as np
>>> from gmpcore.results import SPAN_DTYPE, Result, P_DTYPE
>>> rows = np.array([(0, 1, 0, 10, 1), (0, 1, 10, 30, 1), (0, 1, 30, 60, 1), (0, 1, 60, 100, 1)],
...                 dtype=SPAN_DTYPE)
>>> res = Result(0, None, np.zeros(0, P_DTYPE), {}, spans=rows, span_names=("job",))
>>> quantiles(res, qs=(0.5, 1.0))
{'job': {0.5: 25, 1.0: 40}}
"""

import numpy as np

__all__ = ["durations", "quantiles"]


def durations(res, name):
    """The latencies (ns, int64) of span `name`'s rows, in the order they ended."""
    if res.spans is None:
        raise ValueError("this Result has no spans: its workload has no gmp.span(...)")
    try:
        k = res.span_names.index(name)
    except ValueError:
        raise KeyError(f"no span named {name!r}; the spans are {list(res.span_names)}") from None
    rows = res.spans[res.spans["name"] == k]
    return rows["end_ns"] - rows["start_ns"]


def quantiles(res, qs=(0.5, 0.9, 0.99, 0.999)):
    """``{name: {q: ns}}`` for each span name with at least one row.

    Exact quantiles over the rows (NumPy's default linear interpolation
    between order statistics, rounded to the nearest ns), not a histogram's
    estimate.
    """
    if res.spans is None:
        raise ValueError("this Result has no spans: its workload has no gmp.span(...)")
    qs = tuple(qs)
    if any(not 0 <= q <= 1 for q in qs):
        raise ValueError(f"quantiles must be in [0, 1], got {qs}")
    out = {}
    for name in res.span_names:
        d = durations(res, name)
        if len(d):
            vals = np.quantile(d, qs) if qs else []
            out[name] = {q: int(np.rint(v)) for q, v in zip(qs, vals)}
    return out
