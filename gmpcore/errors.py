"""Fatal errors of a simulated Go program, with the runtime's own messages.

A simulation that reaches a state where Go would crash raises one of these;
``str(err)`` is what the Go program would print (go-scheduler.md §7.3), and
``err.time_ns`` the virtual time of the crash when the engine knows it.
"""


class GoFatalError(RuntimeError):
    """Base class: the simulated program died the way a Go program would.

    ``time_ns`` is the virtual time of death; ``result``, set by
    :func:`gmpcore.simulate`, the :class:`~gmpcore.Result` of the run up to it.
    """

    time_ns = None
    result = None


class GoThrow(GoFatalError):
    """A runtime ``throw``: an internal invariant failed; the message is Go's.

    The queue core raises it instead of corrupting state (e.g.
    ``runqsteal: runq overflow``); nothing was changed by the call.
    """


class Deadlock(GoFatalError):
    """``fatal error: all goroutines are asleep - deadlock!`` (checkdead, §3.12).

    Like Go, the message goes on with a dump of every goroutine still alive,
    in creation order: ``goroutine N [wait reason]:`` (with ", M minutes" once
    it has waited a minute, as Go prints it), then, where Go prints the
    stack, the program it runs and how long it has waited in virtual time.

    Attributes
    ----------
    goroutines : list of dict
        One per live goroutine: ``goid``, ``status``, ``wait_reason`` (Go's
        string), ``waiting_ns`` and ``program`` (its name, or its index).
    result : gmpcore.Result or None
        The run up to the deadlock (set by :func:`gmpcore.simulate`).

    Examples
    --------
    main starts after the runtime's (158 µs with every cost exact: two
    threads made and woken while runtime.main waits for the sweeper and the
    scavenger), computes for 1 ms and parks in a receive; its M then runs
    the two runtime goroutines runtime.main made last (the finalizer
    goroutine and the GOMAXPROCS updater, runnable since), which park for
    good, and finds nothing to do 138 ns after main parked:

    >>> import gmpcore as gmp
    >>> wl = gmp.Workload()
    >>> ch = wl.chan()
    >>> _ = wl.main(gmp.cpu("1ms"), gmp.recv(ch))
    >>> try:
    ...     gmp.simulate(wl, noise=False)
    ... except gmp.Deadlock as exc:
    ...     print(exc)
    ...     print(exc.result.makespan_ns)
    fatal error: all goroutines are asleep - deadlock!
    <BLANKLINE>
    goroutine 1 [chan receive]:
    main: waiting for 138ns since 1.157803ms
    1157941
    """

    def __init__(self, reason="all goroutines are asleep - deadlock!", goroutines=None):
        self.goroutines = list(goroutines or [])
        dump = "".join("\n\n" + _goroutine_header(g) for g in self.goroutines)
        super().__init__(f"fatal error: {reason}{dump}")


def _goroutine_header(g):
    """Go's traceback header for one goroutine, and our stand-in for its stack."""
    from gmpcore.durations import format_duration
    state = g["wait_reason"] or g["status"]
    minutes = g["waiting_ns"] // 60_000_000_000
    if minutes >= 1 and g["wait_reason"]:
        state += f", {minutes} minutes"
    since = g["now_ns"] - g["waiting_ns"]
    return (f"goroutine {g['goid']} [{state}]:\n{g['program']}: waiting for "
            f"{format_duration(g['waiting_ns'])} since {format_duration(since)}")


def goroutine_dump(rows, now_ns, program_names):
    """The dicts :class:`Deadlock` lists, from engine rows
    ``(goid, status, wait_reason, since_ns, program)``, sorted by goid."""
    from gmpcore.events import G_STATUS_NAMES, WAIT_REASONS
    out = []
    for goid, status, reason, since, program in sorted(rows):
        name = program_names[program] if 0 <= program < len(program_names) else ""
        out.append(dict(goid=int(goid), status=G_STATUS_NAMES.get(int(status), str(status)),
                        wait_reason=WAIT_REASONS[reason] if reason else "",
                        waiting_ns=int(now_ns - since), now_ns=int(now_ns),
                        program=name or f"program {program}"))
    return out


class ThreadExhaustion(GoFatalError):
    """More Ms than the thread limit (``debug.SetMaxThreads``, default 10,000)."""

    def __init__(self, limit):
        self.limit = limit
        super().__init__(f"runtime: program exceeds {limit}-thread limit\n"
                         "fatal error: thread exhaustion")


class StackOverflow(GoFatalError):
    """A goroutine's stack would grow beyond the maximum (§5.4)."""

    def __init__(self, limit, goid=None):
        self.limit, self.goid = limit, goid
        super().__init__(f"runtime: goroutine stack exceeds {limit}-byte limit\n"
                         "fatal error: stack overflow")


class SyncFatal(GoFatalError):
    """Go's ``fatal``: an unrecoverable error a program made, e.g.
    ``fatal error: sync: unlock of unlocked mutex`` (no recover, unlike a panic).

    >>> print(SyncFatal("sync: unlock of unlocked mutex", 1))
    fatal error: sync: unlock of unlocked mutex
    <BLANKLINE>
    goroutine 1 [running]
    """

    def __init__(self, message, goid=None):
        self.goid = goid
        where = f"\n\ngoroutine {goid} [running]" if goid is not None else ""
        super().__init__(f"fatal error: {message}{where}")


class WorkloadPanic(GoFatalError):
    """A goroutine panicked, e.g. ``sync: negative WaitGroup counter``."""

    def __init__(self, message, goid=None):
        self.goid = goid
        where = f"\n\ngoroutine {goid} [running]" if goid is not None else ""
        super().__init__(f"panic: {message}{where}")


class GoTraceError(ValueError):
    """A Go execution trace that cannot be read: malformed, truncated or inconsistent.

    Raised by :func:`gmpcore.read_go_trace`.  ``offset`` is the byte offset
    in the file where reading went wrong (``None`` when the fault is not at
    one place, e.g. a missing frequency event); the message names it and
    says what was expected there.

    >>> import gmpcore as gmp
    >>> try:
    ...     gmp.read_go_trace(b"go 1.26 trace\\x00\\x00\\x00\\x07")
    ... except gmp.GoTraceError as exc:
    ...     print(exc.offset, exc)
    16 at byte 16: expected a batch (type 1, 49 or 52), got type 7
    """

    def __init__(self, message, offset=None):
        self.offset = offset
        if offset is not None:
            message = f"at byte {offset}: {message}"
        super().__init__(message)
class PropertyViolation(AssertionError):
    """A run broke a scheduler property (:mod:`gmpcore.properties`).

    The message names the property, the moment (virtual time), the P and G
    concerned, what every P was doing, the runnable goroutines and the last
    events before that moment.  ``time_ns`` is that moment; ``result`` the
    run's :class:`~gmpcore.Result`.

    >>> raise PropertyViolation("starvation: G row 3 waited ...", time_ns=10)
    Traceback (most recent call last):
    ...
    gmpcore.errors.PropertyViolation: starvation: G row 3 waited ...
    """

    def __init__(self, message, time_ns=None, result=None):
        super().__init__(message)
        self.time_ns, self.result = time_ns, result
