"""Fatal errors of a simulated Go program, with the runtime's own messages.

A simulation that reaches a state where Go would crash raises one of these;
``str(err)`` is what the Go program would print (go-scheduler.md §7.3), and
``err.time_ns`` the virtual time of the crash when the engine knows it.
"""


class GoFatalError(RuntimeError):
    """Base class: the simulated program died the way a Go program would."""

    time_ns = None


class GoThrow(GoFatalError):
    """A runtime ``throw``: an internal invariant failed; the message is Go's.

    The queue core raises it instead of corrupting state (e.g.
    ``runqsteal: runq overflow``); nothing was changed by the call.
    """


class Deadlock(GoFatalError):
    """``fatal error: all goroutines are asleep - deadlock!`` (checkdead, §3.12)."""

    def __init__(self, reason="all goroutines are asleep - deadlock!"):
        super().__init__(f"fatal error: {reason}")


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


class WorkloadPanic(GoFatalError):
    """A goroutine panicked, e.g. ``sync: negative WaitGroup counter``."""

    def __init__(self, message, goid=None):
        self.goid = goid
        where = f"\n\ngoroutine {goid} [running]" if goid is not None else ""
        super().__init__(f"panic: {message}{where}")
