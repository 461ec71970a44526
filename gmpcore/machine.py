"""``gmpcore.machine``: the machine under the scheduler, as ``simulate`` takes it.

CPUs, other processes' load, a cgroup CPU quota and the OS scheduler's
parameters are checked here once, at the Python boundary, and Go 1.25's
default GOMAXPROCS is derived from them (docs/design/machine.md §1.1).

>>> from gmpcore.machine import default_gomaxprocs, parse_quota
>>> default_gomaxprocs(8, parse_quota(("150ms", "100ms")))
2
>>> default_gomaxprocs(8, parse_quota(("230ms", "100ms")))
3
>>> default_gomaxprocs(1, parse_quota(("50ms", "100ms")))
1
>>> default_gomaxprocs(8, None)
8
"""

from __future__ import annotations

import operator

from gmpcore.durations import duration_ns
from gmpcore.model import CFS_PERIOD_MAX, CFS_QUOTA_MIN, OS_BASE_SLICE, OS_CTX_SWITCH, \
    OS_SLICE_MAX_CPUS, OS_TICK

#: The most CPUs a simulated machine may have.
MAX_CPUS = 4096
#: The most background hog threads.
MAX_BACKGROUND = 4096
#: The OS scheduler parameters ``os_sched`` may override.
OS_SCHED_FIELDS = ("slice", "tick", "ctx_switch", "idle_exit", "idle_exit_after")
#: The most quota changes a schedule may hold.
MAX_QUOTA_CHANGES = 1_000_000
#: A quota of at most this many periods' worth of CPU (Linux accepts up to
#: about 2**44 us of quota).
_MAX_QUOTA = 2**44 * 1000


def base_slice(ncpu: int) -> int:
    """Linux's base slice on `ncpu` CPUs: 0.75 ms × (1 + ⌊log2 min(ncpu, 8)⌋).

    >>> [base_slice(n) for n in (1, 2, 4, 8, 64)]
    [750000, 1500000, 2250000, 3000000, 3000000]
    """
    return OS_BASE_SLICE * (1 + (min(ncpu, OS_SLICE_MAX_CPUS).bit_length() - 1))


def check_cpus(cpus):
    """``cpus`` as an int in [1, MAX_CPUS], or None."""
    if cpus is None:
        return None
    if isinstance(cpus, bool):
        raise TypeError(f"cpus must be an int or None, got {cpus!r}")
    try:
        n = operator.index(cpus)
    except TypeError:
        raise TypeError(f"cpus must be an int or None, got {type(cpus).__name__}") from None
    if not 1 <= n <= MAX_CPUS:
        raise ValueError(f"cpus must be in [1, {MAX_CPUS}] (or None for a CPU per thread), "
                         f"got {n}")
    return n


def parse_quota(quota):
    """``cpu_quota`` as rows of (time_ns, quota_ns or -1 for no limit, period_ns).

    Accepts ``(quota, period)`` (cgroup v2 ``cpu.max``) or a list of
    ``(time, quota, period)`` changes, times ascending from 0, ``quota=None``
    meaning ``max`` (no limit).

    >>> parse_quota(("150ms", "100ms"))
    [(0, 150000000, 100000000)]
    >>> parse_quota([(0, "50ms", "100ms"), ("2s", None, "100ms")])
    [(0, 50000000, 100000000), (2000000000, -1, 100000000)]
    """
    if quota is None:
        return None
    if not isinstance(quota, (tuple, list)) or not quota:
        raise TypeError("cpu_quota must be (quota, period) or a list of (time, quota, period)")
    if len(quota) == 2 and not isinstance(quota[0], (tuple, list)):
        rows = [(0, quota[0], quota[1])]
    else:
        rows = list(quota)
    if len(rows) > MAX_QUOTA_CHANGES:
        raise ValueError(f"cpu_quota: at most {MAX_QUOTA_CHANGES:,} changes, got {len(rows):,}")
    out = []
    for i, row in enumerate(rows):
        if not isinstance(row, (tuple, list)) or len(row) != 3:
            raise TypeError(f"cpu_quota[{i}] must be (time, quota, period), got {row!r}")
        t = duration_ns(row[0], f"cpu_quota[{i}] time")
        if t < 0:
            raise ValueError(f"cpu_quota[{i}] time must be >= 0, got {t}")
        if i == 0 and t != 0:
            raise ValueError(f"cpu_quota's first change must be at time 0 (use quota None for "
                             f"no limit until later), got {t}")
        if out and t <= out[-1][0]:
            raise ValueError(f"cpu_quota times must be ascending: row {i} at {t} ns is not "
                             f"after {out[-1][0]} ns")
        period = duration_ns(row[2], f"cpu_quota[{i}] period") if row[2] is not None else None
        if row[1] is None:
            out.append((t, -1, period if period is not None else 100_000_000))
            if period is not None and not CFS_QUOTA_MIN <= period <= CFS_PERIOD_MAX:
                raise ValueError(f"cpu_quota[{i}] period must be in [1ms, 1s], got {period} ns")
            continue
        q = duration_ns(row[1], f"cpu_quota[{i}] quota")
        if period is None:
            raise ValueError(f"cpu_quota[{i}] needs a period")
        if q <= 0:
            raise ValueError(f"cpu_quota[{i}] quota must be positive, got {q} ns")
        if period <= 0:
            raise ValueError(f"cpu_quota[{i}] period must be positive, got {period} ns")
        if q < CFS_QUOTA_MIN:
            raise ValueError(f"cpu_quota[{i}] quota must be at least 1ms (Linux's minimum), "
                             f"got {q} ns")
        if q > _MAX_QUOTA:
            raise ValueError(f"cpu_quota[{i}] quota must be at most {_MAX_QUOTA} ns, got {q} ns")
        if not CFS_QUOTA_MIN <= period <= CFS_PERIOD_MAX:
            raise ValueError(f"cpu_quota[{i}] period must be in [1ms, 1s] (Linux's range), "
                             f"got {period} ns")
        out.append((t, q, period))
    return out


def default_gomaxprocs(cpus, quota_rows, containermaxprocs=True):
    """Go 1.25's default GOMAXPROCS (runtime/cgroup_linux.go): the CPU
    count, lowered to max(2, ⌈quota/period⌉) by the quota in force at start
    (never raised by it); 1 on a machine without a CPU count."""
    if cpus is None:
        return 1
    procs = cpus
    if containermaxprocs and quota_rows and quota_rows[0][1] >= 0:
        _, q, period = quota_rows[0]
        limit = max(-(-q // period), 2)
        procs = min(procs, limit)
    return procs


def os_sched_params(cpus, os_sched):
    """The OS scheduler's parameters in ns: Linux's defaults for `cpus`
    CPUs, overridden by the `os_sched` dict."""
    params = dict(slice=base_slice(cpus), tick=OS_TICK, ctx_switch=OS_CTX_SWITCH,
                  idle_exit=0, idle_exit_after=0)
    if os_sched is None:
        return params
    if not isinstance(os_sched, dict):
        raise TypeError(f"os_sched must be a dict of {', '.join(OS_SCHED_FIELDS)}, "
                        f"got {type(os_sched).__name__}")
    for key, value in os_sched.items():
        if key not in OS_SCHED_FIELDS:
            raise ValueError(f"os_sched: unknown parameter {key!r}; "
                             f"known: {', '.join(OS_SCHED_FIELDS)}")
        ns = duration_ns(value, f"os_sched[{key!r}]")
        if ns < 0 or ns > 10**12:
            raise ValueError(f"os_sched[{key!r}] must be in [0, 1000s], got {ns} ns")
        if key == "slice" and ns < 1000:
            raise ValueError(f"os_sched['slice'] must be at least 1us, got {ns} ns")
        params[key] = ns
    return params
