"""Goroutines still alive when main exited, reported as a leak detector would.

Go ends the process when ``main`` returns, whatever its other goroutines are
doing; a goroutine still blocked then (on a channel nobody will touch again,
a WaitGroup, the network) is a leak.  ``go.uber.org/goleak`` checks for them
at the end of a test and prints each with its traceback header::

    goroutine 17 [chan send]:
    main.searcher()
    created by main.main in goroutine 1

:func:`leak_report` prints the same records from a result (no file and line:
a simulated program has none), one per group of goroutines with the same
state, function and creator, with the count and the goids of the rest.
Function names follow Go's: ``main.main`` for program 0, ``main.<name>`` for
a program given ``name=``, ``main.main.func<k>`` for unnamed program ``k``.
"""

import numpy as np

from gmpcore.events import G_DEAD, G_STATUS_NAMES, G_WAITING, WAIT_REASONS
from gmpcore.trace import program_names

MAIN_GOID = 1


def leaks(res):
    """The goroutines alive when the run ended, main and the runtime's own
    (``res.system``, parked for good) excepted.

    Waiting, runnable, running or in a system call: with ``until="main"``
    (the default) these are the goroutines main left behind.

    Parameters
    ----------
    res : Result

    Returns
    -------
    numpy.ndarray
        The rows of ``res.goroutines`` (dtype ``G_DTYPE``), in goid order.

    Examples
    --------
    >>> import gmpcore as gmp
    >>> from gmpcore.scenarios import goroutine_leak
    >>> res = gmp.simulate(goroutine_leak(n=10), gomaxprocs=2, seed=1)
    >>> from gmpcore.events import WAIT_REASONS
    >>> len(leaks(res)), {WAIT_REASONS[r] for r in leaks(res)["wait_reason"]}
    (9, {'chan send'})
    """
    gs = res.require_goroutines("leaks")
    rows = gs[(gs["state"] != G_DEAD) & (gs["goid"] != MAIN_GOID) & ~res.system]
    return rows[np.argsort(rows["goid"], kind="stable")]


def _status(state, reason):
    """The bracketed part of Go's traceback header: ``chan receive``, ``runnable``."""
    if state == G_WAITING:
        return WAIT_REASONS[reason] if reason else "waiting"
    return G_STATUS_NAMES.get(state, f"status {state}")


def _functions(res):
    """Go's name for each G's function."""
    return ["main.main" if k == 0 else f"main.{name}" if name else f"main.main.func{k}"
            for name, k in zip(program_names(res), res.goroutines["program"].tolist())]


def _goid_ranges(goids, limit=12):
    """``[4, 5, 6, 9]`` -> ``'4-6, 9'``, cut after `limit` ranges."""
    ranges = []
    for goid in goids:
        if ranges and goid == ranges[-1][1] + 1:
            ranges[-1][1] = goid
        else:
            ranges.append([goid, goid])
    text = [f"{a}-{b}" if b > a else str(a) for a, b in ranges[:limit]]
    if len(ranges) > limit:
        text.append("...")
    return ", ".join(text)


def leak_report(res):
    """The goroutines main left behind, grouped, in Go's traceback format.

    Parameters
    ----------
    res : Result

    Returns
    -------
    str
        Empty when nothing leaked; otherwise a summary line, then per group
        ``goroutine N [state]:``, its function, ``created by F in goroutine
        P``, and how many more goroutines the group holds.

    Examples
    --------
    >>> import gmpcore as gmp
    >>> from gmpcore.scenarios import fanout, goroutine_leak
    >>> print(leak_report(gmp.simulate(goroutine_leak(n=10), gomaxprocs=2, seed=1)))
    found unexpected goroutines: 9 in 1 group
    <BLANKLINE>
    goroutine ... [chan send]:
    main.searcher()
    created by main.main in goroutine 1
    + 8 more like it: goroutines ...
    >>> leak_report(gmp.simulate(fanout(n=10), gomaxprocs=2, seed=1))
    ''
    """
    rows = leaks(res)
    if not len(rows):
        return ""
    gs = res.goroutines
    funcs = _functions(res)
    index_of = {goid: i for i, goid in enumerate(gs["goid"].tolist())}
    groups = {}
    for goid, parent, state, reason in zip(rows["goid"].tolist(), rows["parent"].tolist(),
                                           rows["state"].tolist(), rows["wait_reason"].tolist()):
        creator = funcs[index_of[parent]] if parent in index_of else "runtime.main"
        key = (_status(state, reason), funcs[index_of[goid]], creator)
        groups.setdefault(key, []).append((goid, parent))
    order = sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[1][0][0]))
    plural = "group" if len(order) == 1 else "groups"
    lines = [f"found unexpected goroutines: {len(rows)} in {len(order)} {plural}"]
    for (status, func, creator), members in order:
        goid, parent = members[0]
        lines += ["", f"goroutine {goid} [{status}]:", f"{func}()",
                  f"created by {creator} in goroutine {parent}"]
        if len(members) > 1:
            rest = [g for g, _ in members[1:]]
            lines.append(f"+ {len(rest)} more like it: goroutines {_goid_ranges(rest)}")
    return "\n".join(lines)
