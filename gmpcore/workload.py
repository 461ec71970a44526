"""Workloads: Go programs written as operation lists, compiled to flat arrays.

A :class:`Workload` owns programs, channels and WaitGroups.  Operations are
small immutable values built by module functions (:func:`cpu`, :func:`go`,
:func:`send`, :func:`repeat`, ...); :meth:`Workload.compile` turns the whole
workload into one :class:`CompiledWorkload` of NumPy arrays, the bytecode of
docs/simulator-design.md §1 that both engines read.  Every argument is checked
when its operation is built, when a program is defined, or at compile time,
never during a run.

>>> import gmpcore.workload as w
>>> wl = w.Workload()
>>> wg = wl.waitgroup()
>>> worker = wl.program(w.cpu("1us"), w.done(wg), name="worker")
>>> _ = wl.main(w.add(wg, 3), w.go(worker, count=3), w.wait(wg))
>>> print(wl.compile().disassemble())
program 0 (main):
  0  WG_ADD     wg=0 delta=3
  1  GO         program=1 (worker) count=3
  2  WG_WAIT    wg=0
  3  EXIT
program 1 (worker):
  4  CPU        dist=0 (1µs) preemptible=1
  5  WG_ADD     wg=0 delta=-1
  6  EXIT

Notes
-----
Decisions where the design contract (§1) is silent or differs:

* ``compile()`` takes no seed (§1 writes ``compile(seed)``): durations are
  drawn at run time from the run's seed (§1.2), so compiling is deterministic
  and seed-free.
* Programs are numbered in creation order: main is 0, then each
  :meth:`Workload.program` call.  Code is laid out in that order, each program
  followed by its implicit ``EXIT``.  ``dists`` rows are numbered in order of
  first use in the code and deduplicated by value, so ``cpu(1000)`` and
  ``cpu("1us")`` share a row.  Unused columns are 0.
* ``each(ch, ...)`` compiles to ``RANGE`` (a receive; c is the pc right
  after its ``ENDRANGE``, where the loop goes once ``ch`` is closed and
  drained), the body, and ``ENDRANGE`` (a is the pc of its ``RANGE``).  It
  needs no loop counter, so it adds no loop level.
* ``span(name, ...)`` compiles to ``SPAN_BEGIN`` (a = the name's index in
  ``span_names``, b = its level), the body, and ``SPAN_END`` (same a and
  b).  A span's start time lives in a per-goroutine slot like a loop
  counter, so a span takes a level as ``repeat`` does: ``loop_depth``
  counts both, and both nest at most ``MAX_LOOP_DEPTH`` deep together.
* ``LOOP``/``ENDLOOP`` depth (column b) is the 0-based nesting level of the
  ``repeat`` within its program; ``loop_depth[p]`` is the number of levels
  program ``p`` uses, so counters ``0 .. loop_depth[p] - 1`` suffice.
  ``ENDLOOP``'s a is the pc right after its ``LOOP``; ``LOOP``'s c is the pc
  right after its ``ENDLOOP``.
* A ``repeat`` whose body compiles to no instructions (``repeat(5)``, or
  nested empty repeats) emits nothing: as bytecode it would loop without
  doing anything, up to 2**62 times.  ``repeat(0, ...)`` is emitted as §1
  says.
* A channel that appears in some ``send`` but in no ``recv`` (or ``each``)
  anywhere in the workload, or the reverse unless some program closes it
  (a close satisfies every receive), compiles, as Go compiles it, with a
  :class:`GoroutineLeakWarning`: at run time each such operation that cannot
  complete blocks its goroutine forever.  A goroutine left blocked when main
  returns is a leak (the run ends with main; the G stays waiting on
  ``chan receive`` or ``chan send``, see :mod:`gmpcore.leaks`); if main
  itself blocks and nothing else can run, the run raises
  :class:`~gmpcore.errors.Deadlock` (``fatal error: all goroutines are
  asleep - deadlock!``).  The check is static: it looks at every program,
  even at operations in ``repeat(0, ...)`` or in programs never started, and
  warns even for a buffered channel whose buffer could absorb every send.
* WaitGroup counters are int32, as in Go: ``add()`` takes any delta Go's
  ``Add(delta int)`` takes (int64), and only its low 32 bits change the
  counter; a counter that goes negative, e.g. after ``add(wg, 2**31)``,
  panics at run time (``sync: negative WaitGroup counter``).
* Limits: at most ``MAX_INSTRUCTIONS`` (10**7) instructions in a workload,
  ``repeat`` nested at most ``MAX_LOOP_DEPTH`` (64) deep, ``go`` counts up to
  10**9, ``repeat`` counts up to 2**62, channel capacities up to 2**31,
  stacks up to 2**40 bytes, at most 10**7 channels and 10**7 WaitGroups.
* A :class:`CompiledWorkload` built by hand is checked against every
  invariant the engines rely on (see its docstring) and refused with a
  ``ValueError`` naming the field, the row or pc and the allowed range; its
  arrays are private read-only copies, so the caller's arrays can change
  afterwards without affecting it.
* ``stack()`` sizes: ``B``, decimal ``kB``/``KB``, ``MB``, ``GB``, ``TB`` and
  binary ``KiB``, ``MiB``, ``GiB``, ``TiB``; the result must be whole bytes.
* The arrays of a :class:`CompiledWorkload` are read-only (Cython code reading
  them through memoryviews must declare them ``const``).
"""

import enum
import keyword
import math
import numbers
import operator
import os
import re
import sys
import warnings
from array import array
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from gmpcore.durations import (
    CONSTANT, EXPONENTIAL, LOGNORMAL, MAX_DURATION, UNIFORM, Distribution, as_distribution,
    format_duration,
)

__all__ = [
    "Chan", "CompiledWorkload", "GoroutineLeakWarning", "Opcode", "Operation", "Program",
    "Cond", "Mutex", "RWMutex", "Ticker", "Timer", "WaitGroup", "Workload",
    "add", "arrivals", "broadcast", "choice", "close", "cpu", "done", "each", "exit", "go",
    "goexit", "gomaxprocs", "gosched", "lock", "lock_os_thread", "netwait", "panic", "recv",
    "repeat", "rlock", "runlock", "send", "signal", "sleep", "span", "span_end", "stack",
    "syscall", "unlock", "unlock_os_thread", "wait",
    "select", "case_recv", "case_send", "case_after", "case_default", "SelectCase",
    "after", "reset", "stop",
]

MAX_INSTRUCTIONS = 10**7     # a larger workload is a mistake, and slow to compile
MAX_LOOP_DEPTH = 64          # per-goroutine loop counters an engine must allocate
MAX_SPAN_NAMES = 2**31 - 1   # a span name's index is int32 in res.spans
MAX_GO_COUNT = 10**9
MAX_REPEAT = 2**62
CHOICE_ONE = 2**53           # CHOICE's a for probability 1: random() is k / 2**53
MIN_WG_DELTA, MAX_WG_DELTA = -2**63, 2**63 - 1    # Go's Add(delta int): any int64
MAX_CHAN_CAP = 2**31
MAX_STACK = 2**40
MAX_CHANNELS = 10**7
MAX_WAITGROUPS = 10**7
MAX_MUTEXES = 10**7
MAX_SELECT_CASES = 2**16     # Go's selectgo indexes cases with uint16
SEL_RECV, SEL_SEND, SEL_AFTER, SEL_RECV_TIMER = 0, 1, 2, 3   # SELCASE kinds (column a)
MAX_RWMUTEXES = 10**7
MAX_CONDS = 10**7
MAX_TIMERS = 10**7
TIMER_KINDS = {"timer": 0, "ticker": 1, "func": 2}   # CompiledWorkload.timers column 0
MAX_GOMAXPROCS = 4096        # simulate(gomaxprocs=...)'s bound, and gomaxprocs(n)'s
_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep


class GoroutineLeakWarning(UserWarning):
    """A workload compiles, but some goroutine will block forever when it runs.

    ``Workload.compile()`` warns when a channel is only ever sent to or only
    ever received from: Go compiles such a program too, and at run time the
    blocked goroutine leaks, or the program deadlocks if main blocks.
    """


class Opcode(enum.IntEnum):
    """Instruction opcodes: column 0 of ``code`` (docs/simulator-design.md §1.1)."""

    EXIT = 0
    CPU = 1
    SYSCALL = 2
    SLEEP = 3
    NETWAIT = 4
    GO = 5
    GOSCHED = 6
    SEND = 7
    RECV = 8
    WG_ADD = 9
    WG_WAIT = 10
    LOOP = 11
    ENDLOOP = 12
    STACK = 13
    GOMAXPROCS = 14
    LOCKOSTHREAD = 15
    UNLOCKOSTHREAD = 16
    CLOSE = 17
    RANGE = 18
    ENDRANGE = 19
    LOCK = 20
    UNLOCK = 21
    CHOICE = 22     # a: P(fall through) * 2**53; else jump to c (a == 0: always jump, no draw)
    LOOPDRAW = 23   # LOOP whose count is drawn from dists[a] when it starts
    GOEXIT = 24     # runtime.Goexit
    PANIC = 25      # panic(panic_messages[a])
    SPAN_BEGIN = 26
    SPAN_END = 27
    SELECT = 28     # selectgo: a cases (SELCASE rows follow), b: has a default, c: end pc
    SELCASE = 29    # one case of the SELECT above: a kind (0 recv, 1 send, 2 after, 3 recv from
                    # a timer's C), b chan/dist/timer, c body pc
    SELEND = 30     # the end of a case body: jump to a (the select's end pc)
    BLOCK = 31      # select {}: park forever (waitReasonSelectNoCases)
    RLOCK = 40          # sync.RWMutex.RLock (a = RWMutex)
    RUNLOCK = 41        # sync.RWMutex.RUnlock
    RWLOCK = 42         # sync.RWMutex.Lock: b = 0 rw.w.Lock(), b = 1 announce, wait for readers
    RWUNLOCK = 43       # sync.RWMutex.Unlock: b = 0 announce, release readers; b = 1 rw.w.Unlock()
    NOTIFY_ADD = 44     # Cond.Wait, first step: notifyListAdd (a = Cond)
    NOTIFY_WAIT = 45    # Cond.Wait, after the locker's unlock: notifyListWait
    NOTIFY = 46         # Cond.Signal (b = 0) or Cond.Broadcast (b = 1)
    SPAN_RECV_END = 47  # span_end(name): the span a received value carries ends (a = span name)
    TIMER_RESET = 32    # timer a: NewTimer/Reset, NewTicker/Ticker.Reset, AfterFunc; d = dists[b]
    TIMER_STOP = 33     # timer a: Stop
    TIMER_RECV = 34     # <-t.C of timer a (a channel timer)
    AFTER = 35          # <-time.After(dists[a])


# ---------------------------------------------------------------- handles

class _Handle:
    """Something a Workload created; operations refer to it by identity."""

    __slots__ = ("_workload", "index")
    kind = "handle"

    def __init__(self, workload, index):
        self._workload, self.index = workload, index

    def _check_owner(self, workload, opname):
        if self._workload is not workload:
            raise ValueError(f"{opname}(): unknown {self.kind} {self.label}: "
                             f"it was created by a different Workload")


class Program(_Handle):
    """A program: the code a goroutine runs.  Made by :meth:`Workload.program`.

    ``p = wl.program(name="fib")`` makes an undefined program that operations
    can already refer to; ``p.define(*ops)`` gives it its code, so a program
    can start copies of itself.
    """

    __slots__ = ("name", "_ops", "_size")
    kind = "program"

    def __init__(self, workload, index, name):
        super().__init__(workload, index)
        self.name, self._ops, self._size = name, None, 0

    @property
    def label(self):
        return self.name or f"program{self.index}"

    @property
    def defined(self):
        """Whether the program has its code (:meth:`define` or :meth:`Workload.main`)."""
        return self._ops is not None

    def define(self, *ops):
        """Give the program its operations; once only.  ``define()`` is an empty program.

        Examples
        --------
        >>> wl = Workload()
        >>> fork = wl.program(name="fork")
        >>> fork.define(cpu("1ms"), repeat(2, go(fork)))
        >>> fork
        <Program 1 'fork': cpu(1ms), repeat(2, go(fork))>
        """
        self._define(ops, f"Program.define() of {self.label}")

    def _define(self, ops, where):
        if self.defined:
            raise ValueError(f"{where}: {self.label} is already defined")
        ops = _check_ops(ops, where)
        for op in _walk(ops):
            for arg in op.args:
                if isinstance(arg, _Handle):
                    arg._check_owner(self._workload, op.name)
        size = sum(op.size for op in ops) + 1          # + the implicit EXIT
        if size > MAX_INSTRUCTIONS:
            raise ValueError(f"{where}: {size} instructions; a workload may have at most "
                             f"MAX_INSTRUCTIONS = {MAX_INSTRUCTIONS}")
        self._ops, self._size = ops, size

    def __repr__(self):
        name = f" {self.name!r}" if self.name else ""
        body = ": " + ", ".join(map(repr, self._ops)) if self._ops else ""
        return f"<Program {self.index}{name}{body}{'' if self.defined else ' (undefined)'}>"


class Chan(_Handle):
    """A channel of capacity ``cap``.  Made by :meth:`Workload.chan`."""

    __slots__ = ("cap",)
    kind = "channel"

    def __init__(self, workload, index, cap):
        super().__init__(workload, index)
        self.cap = cap

    @property
    def label(self):
        return f"chan{self.index}"

    def __repr__(self):
        return f"<Chan {self.index} cap={self.cap}>"


class WaitGroup(_Handle):
    """A ``sync.WaitGroup``.  Made by :meth:`Workload.waitgroup`."""

    __slots__ = ()
    kind = "waitgroup"

    @property
    def label(self):
        return f"wg{self.index}"

    def __repr__(self):
        return f"<WaitGroup {self.index}>"


class Mutex(_Handle):
    """A ``sync.Mutex``, unlocked.  Made by :meth:`Workload.mutex`."""

    __slots__ = ()
    kind = "mutex"

    @property
    def label(self):
        return f"mu{self.index}"

    def __repr__(self):
        return f"<Mutex {self.index}>"


class RWMutex(_Handle):
    """A ``sync.RWMutex``, unlocked.  Made by :meth:`Workload.rwmutex`; use it
    with :func:`rlock`, :func:`runlock`, :func:`lock` and :func:`unlock`."""

    __slots__ = ()
    kind = "rwmutex"

    @property
    def label(self):
        return f"rw{self.index}"

    def __repr__(self):
        return f"<RWMutex {self.index}>"


class Cond(_Handle):
    """A ``sync.Cond`` on a :class:`Mutex` or an :class:`RWMutex` (its write
    lock).  Made by :meth:`Workload.cond`; use it with :func:`wait`,
    :func:`signal` and :func:`broadcast`."""

    __slots__ = ("locker",)
    kind = "cond"

    def __init__(self, workload, index, locker):
        super().__init__(workload, index)
        self.locker = locker

    @property
    def label(self):
        return f"cond{self.index}"

    def __repr__(self):
        return f"<Cond {self.index} on {self.locker.label}>"
class Timer(_Handle):
    """A ``*time.Timer``, stopped until :func:`reset` starts it.  Made by
    :meth:`Workload.timer`; with ``func`` an ``AfterFunc`` timer (no channel)."""

    __slots__ = ("func",)
    kind = "timer"

    def __init__(self, workload, index, func=None):
        super().__init__(workload, index)
        self.func = func

    @property
    def label(self):
        return f"timer{self.index}"

    def __repr__(self):
        func = f" func={self.func.label}" if self.func is not None else ""
        return f"<Timer {self.index}{func}>"


class Ticker(Timer):
    """A ``*time.Ticker``, stopped until :func:`reset` starts it.  Made by
    :meth:`Workload.ticker`."""

    __slots__ = ()
    kind = "ticker"

    @property
    def label(self):
        return f"ticker{self.index}"

    def __repr__(self):
        return f"<Ticker {self.index}>"


# ---------------------------------------------------------------- operations

@dataclass(frozen=True, slots=True, repr=False)
class Operation:
    """One step of a program.  Build it with :func:`cpu`, :func:`go`, ... never directly.

    Attributes
    ----------
    name : str
        The function that built it (``"done"`` for :func:`done`).
    opcode : Opcode
        Its instruction; ``LOOP`` for :func:`repeat`.
    args : tuple
        Operands a, b: ints, a :class:`~gmpcore.durations.Distribution`, or a handle.
    body : tuple of Operation
        The body of a :func:`repeat`.
    size : int
        Instructions it compiles to.
    depth : int
        ``repeat`` nesting levels it contains (0 for a plain operation).
    """

    name: str
    opcode: Opcode
    args: tuple = ()
    body: tuple = ()
    size: int = 1
    depth: int = 0
    text: str = field(default="", compare=False)   # its repr

    def __repr__(self):
        return self.text


def _int_arg(value, where, lo, hi, shown_range):
    """An int in [lo, hi], or a TypeError/ValueError naming `where` and the range."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{where} must be an int, got {type(value).__name__} {value!r}")
    if not lo <= value <= hi:
        raise ValueError(f"{where} must be in {shown_range}, got {value}")
    return int(value)


def _handle_arg(value, cls, where, made_by):
    if not isinstance(value, cls):
        raise TypeError(f"{where} must be a {cls.__name__} from Workload.{made_by}(), "
                        f"got {type(value).__name__} {value!r}")
    return value


def _timed(name, opcode, d, extra=(), extra_text=""):
    dist = as_distribution(d, f"{name}() argument d")
    shown = format_duration(dist.p1) if dist.kind == CONSTANT else repr(dist)
    return Operation(name, opcode, (dist, *extra), text=f"{name}({shown}{extra_text})")


def cpu(d, preemptible=True):
    """Compute for `d` (a duration or distribution), holding the P.

    `preemptible` False models a tight loop without safe points that sysmon's
    cooperative preemption cannot stop (with ``async_preempt=False``).

    Examples
    --------
    >>> from gmpcore.durations import uniform
    >>> cpu("1.5us"), cpu(uniform("1us", "2us"), preemptible=False)
    (cpu(1.5µs), cpu(uniform(1µs, 2µs), preemptible=False))
    """
    if not isinstance(preemptible, (bool, np.bool_)):
        raise TypeError(f"cpu() argument preemptible must be a bool, "
                        f"got {type(preemptible).__name__} {preemptible!r}")
    return _timed("cpu", Opcode.CPU, d, (int(bool(preemptible)),),
                  "" if preemptible else ", preemptible=False")


def syscall(d, blocking=False):
    """A system call lasting `d`: the M blocks with its G (§4.1).

    The P waits in ``_Psyscall`` until sysmon retakes it or the call returns.
    ``blocking=True`` is a call the runtime knows will block
    (``entersyscallblock``, §4.2): the P is handed off at once.

    >>> syscall("50us"), syscall("1ms", blocking=True)
    (syscall(50µs), syscall(1ms, blocking=True))
    """
    if not isinstance(blocking, (bool, np.bool_)):
        raise TypeError(f"syscall() argument blocking must be a bool, "
                        f"got {type(blocking).__name__} {blocking!r}")
    return _timed("syscall", Opcode.SYSCALL, d, (int(bool(blocking)),),
                  ", blocking=True" if blocking else "")


def sleep(d):
    """``time.Sleep(d)``: a timer on the current P; the G parks.

    >>> sleep("1ms")
    sleep(1ms)
    """
    return _timed("sleep", Opcode.SLEEP, d)


def netwait(d):
    """Network I/O ready after `d`: the G parks in the netpoller.

    >>> from gmpcore.durations import exponential
    >>> netwait(exponential("200us"))
    netwait(exponential(200µs))
    """
    return _timed("netwait", Opcode.NETWAIT, d)


def go(program, count=1):
    """``go f()`` `count` times, where `program` is a :class:`Program` of the same workload.

    >>> wl = Workload(); worker = wl.program(cpu(1), name="worker")
    >>> go(worker, count=1000)
    go(worker, count=1000)
    """
    program = _handle_arg(program, Program, "go() argument program", "program")
    count = _int_arg(count, "go() argument count", 0, MAX_GO_COUNT, "[0, 10**9]")
    extra = "" if count == 1 else f", count={count}"
    return Operation("go", Opcode.GO, (program, count), text=f"go({program.label}{extra})")


def gosched():
    """``runtime.Gosched()``: yield the P; the G goes to the global run queue."""
    return Operation("gosched", Opcode.GOSCHED, text="gosched()")


def gomaxprocs(n):
    """``runtime.GOMAXPROCS(n)``: set the number of Ps while the program runs.

    ``n <= 0`` only reads the value: nothing changes, at no cost.  ``n > 0``
    stops automatic updates for good (Go's ``customGOMAXPROCS``); if `n`
    differs from the current count the goroutine stops the world (every P
    stops; a goroutine that does not reach a safe point holds everyone up),
    ``procresize`` runs, and the world restarts with `n` Ps
    (docs/design/machine.md §1.3-§1.5).  ``res.gomaxprocs_history`` lists the
    changes and ``res.counters["stw_total_ns"]`` the pauses.

    Parameters
    ----------
    n : int
        At most 4096 (``MAX_GOMAXPROCS``).

    Examples
    --------
    >>> import gmpcore as gmp
    >>> wl = gmp.Workload()
    >>> _ = wl.main(gmp.cpu("1ms"), gmp.gomaxprocs(2), gmp.cpu("1ms"))
    >>> res = gmp.simulate(wl, gomaxprocs=4)
    >>> [(old, new, cause) for _, old, new, cause in res.gomaxprocs_history]
    [(4, 2, 'user')]
    >>> res.counters["stw_count"], len(res.procs)
    (1, 4)
    """
    n = _int_arg(n, "gomaxprocs() argument n", -2**63, MAX_GOMAXPROCS,
                 f"[-2**63, {MAX_GOMAXPROCS}] (n <= 0 changes nothing)")
    return Operation("gomaxprocs", Opcode.GOMAXPROCS, (n,), text=f"gomaxprocs({n})")


def lock_os_thread():
    """``runtime.LockOSThread()``: wire the goroutine to its thread (M).

    Takes no time.  Until as many :func:`unlock_os_thread` calls, the
    goroutine runs only on this M, and the M runs nothing else: when the
    goroutine blocks, the M parks and gives up its P; whichever M later
    picks the goroutine hands its P over and stops, so each wake-up costs
    two thread switches.  The first call in a run starts Go's template
    thread (one more thread, never running goroutines).  A goroutine that
    exits while locked takes its thread with it (``counters["threads_exited"]``).

    >>> wl = Workload(); c = wl.chan()
    >>> pinned = wl.program(lock_os_thread(), recv(c), cpu("1us"), name="pinned")
    >>> _ = wl.main(go(pinned), send(c))
    >>> print(wl.compile().disassemble())
    program 0 (main):
      0  GO         program=1 (pinned) count=1
      1  SEND       chan=0
      2  EXIT
    program 1 (pinned):
      3  LOCKOSTHREAD
      4  RECV       chan=0
      5  CPU        dist=0 (1µs) preemptible=1
      6  EXIT
    """
    return Operation("lock_os_thread", Opcode.LOCKOSTHREAD, text="lock_os_thread()")


def unlock_os_thread():
    """``runtime.UnlockOSThread()``: undo one :func:`lock_os_thread`.

    Takes no time; calls nest, and the last one unwires the goroutine from
    its thread.  Without a lock it does nothing (as in Go).

    >>> unlock_os_thread()
    unlock_os_thread()
    """
    return Operation("unlock_os_thread", Opcode.UNLOCKOSTHREAD, text="unlock_os_thread()")


def exit():  # noqa: A001 - the workload op, not the builtin
    """The goroutine's function returns here: the goroutine ends.

    In ``main`` the program ends, as when Go's ``main`` returns (not like
    ``runtime.Goexit``, which would leave the other goroutines running).
    """
    return Operation("exit", Opcode.EXIT, text="exit()")


def _no_timer(ch, opname):
    if isinstance(ch, Timer):
        raise TypeError(f"{opname}() argument ch must be a Chan from Workload.chan(), got "
                        f"{ch!r}: a timer's channel t.C is receive-only (<-chan Time)")


def send(ch, span=None):
    """``ch <- v``.

    With ``span="job"`` the value carries a span's start: the time of this
    send (when it begins, so a send that blocks counts its wait) and this
    goroutine's goid.  The goroutine that receives the value (:func:`recv`
    or :func:`each`) holds the stamp until its next receive; a
    :func:`span_end` ``("job")`` there records the row.  Stamps travel with
    the values: FIFO through a buffer, straight to a parked receiver, from a
    parked sender to the receiver that takes its value.

    >>> wl = Workload(); ch = wl.chan(cap=1)
    >>> send(ch), send(ch, span="job")
    (send(chan0), send(chan0, span='job'))
    """
    _no_timer(ch, "send")
    ch = _handle_arg(ch, Chan, "send() argument ch", "chan")
    if span is None:
        return Operation("send", Opcode.SEND, (ch,), text=f"send({ch.label})")
    if not isinstance(span, str) or not span:
        raise TypeError(f"send() argument span must be a non-empty str or None, got "
                        f"{type(span).__name__} {span!r}")
    return Operation("send", Opcode.SEND, (ch, span), text=f"send({ch.label}, span={span!r})")


def span_end(name):
    """End the span that the value this goroutine last received carries
    (sent with ``send(ch, span=name)``): a row ``(name, goid, start_ns,
    end_ns, start_goid)`` in ``res.spans``, where goid is this goroutine,
    start the send's time and start_goid the sender.  Takes no time.

    Without such a stamp (the last value received carried none, or another
    span's, or it ended already, or this goroutine received nothing) no row
    is recorded; ``res.counters["spans_unstamped"]`` counts these.

    With the default costs charged exactly (``noise=False``), main buffers
    three jobs 14 ns apart; the worker (goroutine 7: 2 to 6 are the
    runtime's own) ends one every 10 us:

    >>> wl = Workload(); jobs = wl.chan(cap=8)
    >>> worker = wl.program(each(jobs, cpu("10us"), span_end("job")), name="worker")
    >>> _ = wl.main(go(worker), repeat(3, send(jobs, span="job")), close(jobs))
    >>> import gmpcore as gmp
    >>> res = gmp.simulate(wl, until="all", noise=False)
    >>> [(int(r["goid"]), int(r["start_goid"])) for r in res.spans]
    [(7, 1), (7, 1), (7, 1)]
    >>> (res.spans["end_ns"] - res.spans["start_ns"]).tolist()
    [10130, 20130, 30130]
    """
    if not isinstance(name, str) or not name:
        raise TypeError(f"span_end() argument name must be a non-empty str, got "
                        f"{type(name).__name__} {name!r}")
    return Operation("span_end", Opcode.SPAN_RECV_END, (name,), text=f"span_end({name!r})")


def recv(ch):
    """``<-ch``: on a closed channel, the buffered values first, then the zero
    value at once.

    `ch` may be a :class:`Timer` or :class:`Ticker`: ``<-t.C``, Go 1.23+'s
    synchronous timer channel (docs/model.md, Timers): the value the timer
    sent when it fired, or a park (wait reason ``chan receive``) until it
    fires; a stopped timer's channel blocks forever.

    >>> wl = Workload(); t = wl.timer()
    >>> recv(wl.chan()), recv(t)
    (recv(chan0), recv(timer0))
    """
    if isinstance(ch, Timer):
        if ch.func is not None:
            raise TypeError(f"recv() argument ch: {ch!r} is an AfterFunc timer, whose C is "
                            f"nil: a receive would block forever")
        return Operation("recv", Opcode.TIMER_RECV, (ch,), text=f"recv({ch.label})")
    ch = _handle_arg(ch, Chan, "recv() argument ch", "chan")
    return Operation("recv", Opcode.RECV, (ch,), text=f"recv({ch.label})")


def close(ch):
    """``close(ch)``: every goroutine parked in a receive wakes with the zero
    value; later receives drain the buffer, then return at once.

    A goroutine parked in a send on `ch`, a later send, and a second close
    end the run with :class:`~gmpcore.errors.WorkloadPanic` (``send on
    closed channel``, ``close of closed channel``), as in Go.

    >>> wl = Workload(); ch = wl.chan(cap=2)
    >>> _ = wl.main(send(ch), close(ch), each(ch, cpu("1us")), recv(ch))
    >>> print(wl.compile().disassemble())
    program 0 (main):
      0  SEND       chan=0
      1  CLOSE      chan=0
      2  RANGE      chan=0 exit=5
      3  CPU        dist=0 (1µs) preemptible=1
      4  ENDRANGE   range=2
      5  RECV       chan=0
      6  EXIT
    """
    _no_timer(ch, "close")
    ch = _handle_arg(ch, Chan, "close() argument ch", "chan")
    return Operation("close", Opcode.CLOSE, (ch,), text=f"close({ch.label})")


def each(ch, *ops):
    """``for range ch { ops }``: receive, run `ops`, repeat; leave the loop
    once `ch` is closed and drained.

    Needs no loop counter: it nests in :func:`repeat` and the other way
    round without adding a loop level.

    >>> e = each(Workload().chan(), cpu("1us"), repeat(2, gosched()))
    >>> e
    each(chan0, cpu(1µs), repeat(2, gosched()))
    >>> e.size, e.depth            # RANGE, CPU, LOOP, GOSCHED, ENDLOOP, ENDRANGE
    (6, 1)
    """
    _no_timer(ch, "each")
    ch = _handle_arg(ch, Chan, "each() argument ch", "chan")
    ops = _check_ops(ops, "each()", first=1)
    size = sum(op.size for op in ops) + 2             # an empty body still drains ch
    if size > MAX_INSTRUCTIONS:
        raise ValueError(f"each(): {size} instructions; a workload may have at most "
                         f"MAX_INSTRUCTIONS = {MAX_INSTRUCTIONS}")
    depth = max((op.depth for op in ops), default=0)
    text = f"each({', '.join([ch.label, *map(repr, ops)])})"
    return Operation("each", Opcode.RANGE, (ch,), ops, size, depth, text)


def add(wg, n):
    """``wg.Add(n)``: any int64 `n`, as Go's ``Add(delta int)`` takes.

    The counter is an int32, as in Go, where ``Add`` adds ``uint64(delta) << 32``
    to a 64-bit state word whose high half is the counter: only the low 32
    bits of `n` change it, with int32 wrap-around.  A counter that goes
    negative panics at run time with ``sync: negative WaitGroup counter``, so
    ``add(wg, 2**31)`` on a zero counter panics (``int32(2**31)`` is
    ``-2**31``), and ``add(wg, 2**32)`` leaves the counter unchanged.

    >>> wl = Workload(); add(wl.waitgroup(), 10)
    add(wg0, 10)
    """
    wg = _handle_arg(wg, WaitGroup, "add() argument wg", "waitgroup")
    n = _int_arg(n, "add() argument n", MIN_WG_DELTA, MAX_WG_DELTA,
                 "[-2**63, 2**63 - 1] (Go's int)")
    return Operation("add", Opcode.WG_ADD, (wg, n), text=f"add({wg.label}, {n})")


def done(wg):
    """``wg.Done()``: ``add(wg, -1)``."""
    wg = _handle_arg(wg, WaitGroup, "done() argument wg", "waitgroup")
    return Operation("done", Opcode.WG_ADD, (wg, -1), text=f"done({wg.label})")


def rlock(rw):
    """``rw.RLock()`` (Go 1.25 sync/rwmutex.go): readerCount + 1; while a
    writer holds or waits for the lock (readerCount negative) the reader
    parks on readerSem (wait reason ``sync.RWMutex.RLock``), FIFO: a waiting
    writer makes later readers wait (writer preference).

    >>> wl = Workload(); rw = wl.rwmutex(); rlock(rw), runlock(rw)
    (rlock(rw0), runlock(rw0))
    """
    rw = _handle_arg(rw, RWMutex, "rlock() argument rw", "rwmutex")
    return Operation("rlock", Opcode.RLOCK, (rw,), text=f"rlock({rw.label})")


def runlock(rw):
    """``rw.RUnlock()``: readerCount - 1; the last reader a waiting writer
    waits for wakes it.  Without a read lock it is Go's unrecoverable
    ``fatal error: sync: RUnlock of unlocked RWMutex``
    (:class:`~gmpcore.errors.SyncFatal`)."""
    rw = _handle_arg(rw, RWMutex, "runlock() argument rw", "rwmutex")
    return Operation("runlock", Opcode.RUNLOCK, (rw,), text=f"runlock({rw.label})")


def _locker_arg(mu, where):
    if not isinstance(mu, (Mutex, RWMutex)):
        raise TypeError(f"{where} must be a Mutex from Workload.mutex() or an RWMutex from "
                        f"Workload.rwmutex(), got {type(mu).__name__} {mu!r}")
    return mu


def lock(mu):
    """``mu.Lock()``, with Go 1.25's semantics (docs/model.md): a CAS when the
    mutex is free; else lockSlow: up to 4 spins of ``mutex_spin`` each when
    Go's canSpin allows (GOMAXPROCS > 1, another P running, an empty local
    run queue), then a park on the mutex's semaphore (wait reason
    ``sync.Mutex.Lock``): FIFO, but a waiter that has waited before goes to
    the head.  A woken waiter competes with newcomers, unless a waiter has
    waited more than 1 ms: then the mutex starves and Unlock hands it over.

    For an :class:`RWMutex`, ``rw.Lock()``: ``rw.w.Lock()`` as above, then
    readerCount - 2**30 announces the writer (new readers wait) and the
    writer parks on writerSem (wait reason ``sync.RWMutex.Lock``) until the
    readers inside have left.

    >>> wl = Workload(); mu = wl.mutex(); lock(mu), unlock(mu)
    (lock(mu0), unlock(mu0))
    """
    mu = _locker_arg(mu, "lock() argument mu")
    if isinstance(mu, RWMutex):
        return Operation("lock", Opcode.RWLOCK, (mu,), size=2, text=f"lock({mu.label})")
    return Operation("lock", Opcode.LOCK, (mu,), text=f"lock({mu.label})")


def unlock(mu):
    """``mu.Unlock()``: wakes one waiter in normal mode, hands the lock to the
    head waiter in starvation mode.  Unlocking an unlocked mutex is Go's
    unrecoverable ``fatal error: sync: unlock of unlocked mutex``
    (:class:`~gmpcore.errors.SyncFatal`).  Any goroutine may unlock, as in Go.

    >>> wl = Workload(); mu = wl.mutex()
    >>> helper = wl.program(unlock(mu))            # unlocks what main locked
    >>> _ = wl.main(lock(mu), go(helper), lock(mu), unlock(mu))
    >>> import gmpcore as gmp
    >>> gmp.simulate(wl, runtime_init=False).state_names()    # main and helper only
    ['dead', 'dead']
    """
    mu = _locker_arg(mu, "unlock() argument mu")
    if isinstance(mu, RWMutex):
        return Operation("unlock", Opcode.RWUNLOCK, (mu,), size=2, text=f"unlock({mu.label})")
    return Operation("unlock", Opcode.UNLOCK, (mu,), text=f"unlock({mu.label})")


def reset(t, d):
    """Start or restart timer `t` to fire `d` (a duration or distribution)
    from now: ``time.NewTimer(d)`` the first time, ``t.Reset(d)`` after;
    ``time.NewTicker(d)`` / ``tk.Reset(d)`` for a :class:`Ticker` (ticks at
    d, 2d, ...; ``d`` must be positive, else Go's panic ``non-positive
    interval for NewTicker``); ``time.AfterFunc(d, f)`` / ``Reset(d)`` for a
    ``wl.timer(func=f)``.  Go 1.23+: a value the timer sent earlier and
    nobody received is discarded.  Costs ``timer_modify``.

    >>> wl = Workload(); t = wl.timer(); tk = wl.ticker()
    >>> reset(t, "1ms"), reset(tk, "10us")
    (reset(timer0, 1ms), reset(ticker1, 10µs))
    """
    t = _handle_arg(t, Timer, "reset() argument t", "timer")
    dist = as_distribution(d, "reset() argument d")
    if isinstance(t, Ticker) and dist.kind == CONSTANT and dist.p1 <= 0:
        raise ValueError("reset() argument d must be positive for a Ticker "
                         "(Go panics: non-positive interval for NewTicker)")
    shown = format_duration(dist.p1) if dist.kind == CONSTANT else repr(dist)
    return Operation("reset", Opcode.TIMER_RESET, (t, dist), text=f"reset({t.label}, {shown})")


def stop(t):
    """``t.Stop()``: the timer will not fire (a ticker ticks no more); in Go
    1.23+ a value already sent and not yet received is discarded too, so a
    later :func:`recv` blocks until a :func:`reset`.  Costs ``timer_modify``.

    >>> wl = Workload(); stop(wl.timer())
    stop(timer0)
    """
    t = _handle_arg(t, Timer, "stop() argument t", "timer")
    return Operation("stop", Opcode.TIMER_STOP, (t,), text=f"stop({t.label})")


def after(d):
    """``<-time.After(d)``: a fresh channel timer, received from at once.

    Unlike :func:`sleep` (``time.Sleep``, whose timer is armed after the
    goroutine parks, wait reason ``sleep``), the timer is put in the P's heap
    by the receive (blockTimerChan) and the goroutine waits with reason
    ``chan receive``; the firing M sends the value and readies it.  Costs
    ``timer_add`` + ``chan_op``; ``d <= 0`` returns at once.

    >>> after("1ms")
    after(1ms)
    """
    return _timed("after", Opcode.AFTER, d)


def wait(wg):
    """``wg.Wait()``: park until the counter is 0 (returns at once if it is).

    For a :class:`Cond`, ``c.Wait()`` (sync/cond.go): take a ticket
    (notifyListAdd), unlock the Cond's locker, park until a
    :func:`signal` or :func:`broadcast` notifies the ticket (not at all if
    one already has: notifyListWait's check), then lock the locker again.
    The goroutine must hold the locker, as in Go.

    >>> wl = Workload(); mu = wl.mutex(); c = wl.cond(mu)
    >>> _ = wl.main(lock(mu), wait(c), unlock(mu))
    >>> print(wl.compile().disassemble())
    program 0 (main):
      0  LOCK       mu=0
      1  NOTIFY_ADD cond=0
      2  UNLOCK     mu=0
      3  NOTIFY_WAIT cond=0
      4  LOCK       mu=0
      5  UNLOCK     mu=0
      6  EXIT
    """
    if isinstance(wg, Cond):
        size = 2 + 2 * (2 if isinstance(wg.locker, RWMutex) else 1)
        return Operation("wait", Opcode.NOTIFY_WAIT, (wg,), size=size, text=f"wait({wg.label})")
    if not isinstance(wg, WaitGroup):
        raise TypeError(f"wait() argument wg must be a WaitGroup from Workload.waitgroup() or "
                        f"a Cond from Workload.cond(), got {type(wg).__name__} {wg!r}")
    return Operation("wait", Opcode.WG_WAIT, (wg,), text=f"wait({wg.label})")


def signal(c):
    """``c.Signal()``: wake the waiter with the oldest ticket (into this P's
    runnext); nothing if no goroutine waits.  A waiter that took its ticket
    but has not parked yet is notified all the same and does not park.

    >>> wl = Workload(); c = wl.cond(wl.mutex()); signal(c), broadcast(c)
    (signal(cond0), broadcast(cond0))
    """
    c = _handle_arg(c, Cond, "signal() argument c", "cond")
    return Operation("signal", Opcode.NOTIFY, (c, 0), text=f"signal({c.label})")


def broadcast(c):
    """``c.Broadcast()``: wake every waiter, in the order they parked (each
    readied into this P's runnext, so the last one runs next)."""
    c = _handle_arg(c, Cond, "broadcast() argument c", "cond")
    return Operation("broadcast", Opcode.NOTIFY, (c, 1), text=f"broadcast({c.label})")


def repeat(n, *ops):
    """Run `ops` `n` times (``0 <= n <= 2**62``); repeats nest up to 64 deep.

    `n` may be a distribution (:func:`~gmpcore.durations.uniform`, ...): the
    count is drawn from the run's seeded generator each time the loop
    starts, its value in ns read as a count (``uniform(1, 10)`` runs the body
    1 to 10 times).

    Examples
    --------
    >>> r = repeat(3, cpu("1us"), repeat(2, gosched()))
    >>> r
    repeat(3, cpu(1µs), repeat(2, gosched()))
    >>> r.size, r.depth            # LOOP, CPU, LOOP, GOSCHED, ENDLOOP, ENDLOOP
    (6, 2)
    >>> from gmpcore.durations import uniform
    >>> repeat(uniform(1, 10), cpu("1us"))
    repeat(uniform(1ns, 10ns), cpu(1µs))
    """
    if isinstance(n, Distribution):
        # Drawn once each time the loop starts (a distribution's ns value as a count).
        if n.kind == CONSTANT:
            n = int(n.p1)
        shown = str(n)
    else:
        n = _int_arg(n, "repeat() argument n", 0, MAX_REPEAT, "[0, 2**62]")
        shown = str(n)
    ops = _check_ops(ops, "repeat()", first=1)
    inner = sum(op.size for op in ops)
    size = inner + 2 if inner else 0                  # an empty body emits nothing
    depth = 1 + max((op.depth for op in ops), default=0) if inner else 0
    if depth > MAX_LOOP_DEPTH:
        raise ValueError(f"repeat(): nesting depth {depth} exceeds MAX_LOOP_DEPTH = "
                         f"{MAX_LOOP_DEPTH}")
    if size > MAX_INSTRUCTIONS:
        raise ValueError(f"repeat(): {size} instructions; a workload may have at most "
                         f"MAX_INSTRUCTIONS = {MAX_INSTRUCTIONS}")
    text = f"repeat({', '.join([shown, *map(repr, ops)])})"
    opcode = Opcode.LOOPDRAW if isinstance(n, Distribution) else Opcode.LOOP
    return Operation("repeat", opcode, (n,), ops, size, depth, text)


def choice(*branches):
    """One branch, chosen at random with the given weights: ``(weight, [ops...])``
    pairs; weights >= 0 (normalised), at least one > 0.

    The draws come from the run's seeded generator (the one durations are
    drawn from), so a seed gives the same choices in both engines.  Taking
    a branch takes no time.

    Examples
    --------
    >>> c = choice((0.9, [cpu("1us")]), (0.1, [cpu("5us"), gosched()]))
    >>> c
    choice((0.9, [cpu(1µs)]), (0.1, [cpu(5µs), gosched()]))
    >>> c.size                     # two tests, a jump to the end, three ops
    6
    >>> choice((0, [cpu("1us")]))
    Traceback (most recent call last):
    ...
    ValueError: choice(): at least one weight must be > 0, got (0,)
    """
    if not branches:
        raise ValueError("choice(): needs at least one (weight, [ops...]) branch")
    weights, bodies = [], []
    for i, br in enumerate(branches):
        if not isinstance(br, tuple) or len(br) != 2 or not isinstance(br[1], (list, tuple)):
            raise TypeError(f"choice(): branch {i} must be a (weight, [ops...]) pair, "
                            f"got {type(br).__name__} {br!r}")
        w, ops = br
        if isinstance(w, bool) or not isinstance(w, numbers.Real) or not math.isfinite(w) \
                or w < 0:
            raise ValueError(f"choice(): branch {i}'s weight must be a finite number >= 0, "
                             f"got {w!r}")
        weights.append(w)
        bodies.append(_check_ops(ops, f"choice() branch {i}"))
    if not any(w > 0 for w in weights):
        raise ValueError(f"choice(): at least one weight must be > 0, got {tuple(weights)}")
    # P(branch i | no earlier branch) = w_i / (w_i + ... + w_n), exactly, as k / 2**53.
    fr = [Fraction(w) for w in weights]
    thr = []
    for i in range(len(fr)):
        rest = sum(fr[i:])
        thr.append(0 if rest == 0 else math.floor(fr[i] / rest * CHOICE_ONE))
    size = sum(op.size for b in bodies for op in b) + 2 * len(bodies) - 1
    if size > MAX_INSTRUCTIONS:
        raise ValueError(f"choice(): {size} instructions; a workload may have at most "
                         f"MAX_INSTRUCTIONS = {MAX_INSTRUCTIONS}")
    depth = max((op.depth for b in bodies for op in b), default=0)
    text = "choice(" + ", ".join(f"({w!r}, {list(b)!r})" for w, b in zip(weights, bodies)) + ")"
    return Operation("choice", Opcode.CHOICE, (tuple(thr), tuple(bodies), tuple(weights)),
                     tuple(op for b in bodies for op in b), size, depth, text)


def goexit():
    """``runtime.Goexit()``: the goroutine ends at once (there are no deferred calls).

    In main, the other goroutines run on, and once none is left the program
    dies as Go's does: ``no goroutines (main called runtime.Goexit) - deadlock!``.

    >>> goexit()
    goexit()
    """
    return Operation("goexit", Opcode.GOEXIT, text="goexit()")


def panic(msg):
    """``panic(msg)``: the program dies with Go's ``panic: msg`` and
    ``goroutine N [running]`` (:class:`~gmpcore.errors.WorkloadPanic`).

    >>> panic("boom")
    panic('boom')
    """
    if not isinstance(msg, str):
        raise TypeError(f"panic() argument msg must be a str, got {type(msg).__name__} {msg!r}")
    return Operation("panic", Opcode.PANIC, (msg,), text=f"panic({msg!r})")


def arrivals(handler, interarrival, count):
    """An open-loop accept loop: `count` times, wait `interarrival` in the
    netpoller, then start a `handler` goroutine, i.e.
    ``repeat(count, netwait(interarrival), go(handler))``.

    With ``interarrival=exponential(mean)`` requests arrive as a Poisson
    process; the handlers' own speed does not slow the arrivals.

    Examples
    --------
    >>> from gmpcore.durations import exponential
    >>> wl = Workload()
    >>> handler = wl.program(cpu("50us"), name="handler")
    >>> arrivals(handler, exponential("100us"), 1000)
    repeat(1000, netwait(exponential(100µs)), go(handler))
    """
    return repeat(count, netwait(interarrival), go(handler))


def span(name, *ops):
    """Run `ops` as a span: each execution appends a row ``(name, goid,
    start_ns, end_ns)`` to ``res.spans``; start is when the goroutine
    reaches the span, end when it finishes the body's last op (virtual time,
    waiting included).  Spans nest (with ``repeat``, at most 64 levels in
    all); a goroutine that exits inside a span, or a run that ends inside
    one, records no row for it.

    >>> s = span("job", cpu("1us"), repeat(2, gosched()))
    >>> s
    span('job', cpu(1µs), repeat(2, gosched()))
    >>> s.size, s.depth            # SPAN_BEGIN, CPU, LOOP, GOSCHED, ENDLOOP, SPAN_END
    (6, 2)
    """
    if not isinstance(name, str) or not name:
        raise TypeError(f"span() argument name must be a non-empty str, got "
                        f"{type(name).__name__} {name!r}")
    ops = _check_ops(ops, "span()", first=1)
    size = sum(op.size for op in ops) + 2             # an empty body still records a row
    depth = 1 + max((op.depth for op in ops), default=0)
    if depth > MAX_LOOP_DEPTH:
        raise ValueError(f"span(): nesting depth {depth} (spans and repeats) exceeds "
                         f"MAX_LOOP_DEPTH = {MAX_LOOP_DEPTH}")
    if size > MAX_INSTRUCTIONS:
        raise ValueError(f"span(): {size} instructions; a workload may have at most "
                         f"MAX_INSTRUCTIONS = {MAX_INSTRUCTIONS}")
    text = f"span({', '.join([repr(name), *map(repr, ops)])})"
    return Operation("span", Opcode.SPAN_BEGIN, (name,), ops, size, depth, text)


@dataclass(frozen=True, slots=True, repr=False)
class SelectCase:
    """One case of a :func:`select`.  Build it with :func:`case_recv`,
    :func:`case_send`, :func:`case_after` or :func:`case_default`.

    Attributes
    ----------
    kind : str
        ``"recv"``, ``"send"``, ``"after"`` or ``"default"``.
    arg : Chan, Timer, Distribution or None
        The channel (a :class:`Timer` or :class:`Ticker` for its ``C``), or
        ``time.After``'s duration.
    body : tuple of Operation
        What runs once the case is chosen.
    """

    kind: str
    arg: object
    body: tuple
    text: str = field(default="", compare=False)

    def __repr__(self):
        return self.text


def _case(kind, arg, shown, ops):
    ops = _check_ops(ops, f"case_{kind}()", first=1 if kind != "default" else 0)
    text = f"case_{kind}({', '.join(([shown] if shown else []) + list(map(repr, ops)))})"
    return SelectCase(kind, arg, ops, text)


def case_recv(ch, *ops):
    """``case <-ch: ops`` in a :func:`select`: ready when a sender waits, the
    buffer holds a value, or `ch` is closed (then the zero value).

    `ch` may be a :class:`Timer` or :class:`Ticker`: ``case <-t.C``, Go
    1.23+'s timer channel.  The case is ready when the timer's one-slot
    buffer holds a value, or the timer is due and in no heap (selectgo's
    maybeRunChan runs it first); if the select blocks, the timer joins the
    P's heap (blockTimerChan) and its firing wins the select; when the
    select wakes, each of its timers is unwatched again (unblockTimerChan).
    An ``AfterFunc`` timer has no channel: TypeError.

    >>> wl = Workload(); case_recv(wl.chan(), cpu("1us"))
    case_recv(chan0, cpu(1µs))
    >>> case_recv(wl.ticker(), cpu("1us"))
    case_recv(ticker0, cpu(1µs))
    """
    if isinstance(ch, Timer):
        if ch.func is not None:
            raise TypeError(f"case_recv() argument ch: {ch!r} is an AfterFunc timer, whose C "
                            f"is nil: the case could never be ready")
        return _case("recv", ch, ch.label, ops)
    ch = _handle_arg(ch, Chan, "case_recv() argument ch", "chan")
    return _case("recv", ch, ch.label, ops)


def case_send(ch, *ops):
    """``case ch <- v: ops`` in a :func:`select`: ready when a receiver waits
    or the buffer has room; on a closed channel it panics (``send on closed
    channel``), as in Go.

    >>> wl = Workload(); case_send(wl.chan(cap=1))
    case_send(chan0)
    """
    ch = _handle_arg(ch, Chan, "case_send() argument ch", "chan")
    return _case("send", ch, ch.label, ops)


def case_after(d, *ops):
    """``case <-time.After(d): ops`` in a :func:`select`: a channel timer
    (Go 1.23+) that fires `d` after the select starts.  `d` is drawn when
    the select starts (its case expressions are evaluated first); ``d <= 0``
    is ready at once.  The timer joins the selecting goroutine's P's timer
    heap only if the select blocks, and is left behind (a zombie Go removes
    lazily) if another case wins.

    >>> case_after("1ms", cpu("1us"))
    case_after(1ms, cpu(1µs))
    """
    dist = as_distribution(d, "case_after() argument d")
    shown = format_duration(dist.p1) if dist.kind == CONSTANT else repr(dist)
    return _case("after", dist, shown, ops)


def case_default(*ops):
    """``default: ops`` in a :func:`select`: taken when no case is ready, so
    the select never blocks.

    >>> case_default(gosched())
    case_default(gosched())
    """
    return _case("default", None, "", ops)


def select(*cases):
    """Go's ``select`` statement over :func:`case_recv`, :func:`case_send`,
    :func:`case_after` and at most one :func:`case_default`, with Go 1.25's
    semantics (docs/model.md): selectgo polls the cases in a random order
    drawn with the runtime's cheaprandn (the run's seed), takes the first
    ready one, else the default, else queues the goroutine on every
    channel and parks it (wait reason ``select``) until one case wins.
    The chosen case's ops run next.

    Lowered as the Go compiler lowers it: ``select()`` with no case is
    ``select {}`` and blocks forever (``select (no cases)``); one case with
    no default is the plain send or receive; one case plus a default is a
    non-blocking send or receive (no random draw); a lone default just runs.

    Examples
    --------
    >>> wl = Workload(); a, b = wl.chan(cap=1), wl.chan()
    >>> s = select(case_recv(a, cpu("1us")), case_send(b), case_default(gosched()))
    >>> s
    select(case_recv(chan0, cpu(1µs)), case_send(chan1), case_default(gosched()))
    >>> _ = wl.main(send(a), s)
    >>> print(wl.compile().disassemble())
    program 0 (main):
      0  SEND       chan=0
      1  SELECT     cases=2 default=1 end=9
      2  SELCASE    send chan=1 body=6
      3  SELCASE    recv chan=0 body=7
      4  GOSCHED
      5  SELEND     end=9
      6  SELEND     end=9
      7  CPU        dist=0 (1µs) preemptible=1
      8  SELEND     end=9
      9  EXIT

    Sends come first among the SELCASE rows, as in Go's scase array; the
    default's body follows them, then each case's body.
    """
    for i, cs in enumerate(cases):
        if not isinstance(cs, SelectCase):
            raise TypeError(f"select(): argument {i} must be a case from case_recv(), "
                            f"case_send(), case_after() or case_default(), got "
                            f"{type(cs).__name__} {cs!r}")
    defaults = [cs for cs in cases if cs.kind == "default"]
    if len(defaults) > 1:
        raise ValueError(f"select(): at most one case_default(), got {len(defaults)}")
    chans = [cs for cs in cases if cs.kind != "default"]
    if len(chans) > MAX_SELECT_CASES:
        raise ValueError(f"select(): {len(chans)} cases; at most MAX_SELECT_CASES = "
                         f"{MAX_SELECT_CASES}")
    bodies = [op for cs in cases for op in cs.body]
    inner = sum(op.size for op in bodies)
    n, dflt = len(chans), bool(defaults)
    if n == 0:
        size = inner if dflt else 1                    # the default's body, or BLOCK
    elif n == 1 and not dflt and chans[0].kind != "after":
        size = 1 + inner                               # the plain send or receive (or <-t.C)
    else:
        size = 1 + n + inner + n + dflt                # SELECT, SELCASEs, bodies, SELENDs
    if size > MAX_INSTRUCTIONS:
        raise ValueError(f"select(): {size} instructions; a workload may have at most "
                         f"MAX_INSTRUCTIONS = {MAX_INSTRUCTIONS}")
    depth = max((op.depth for op in bodies), default=0)
    text = f"select({', '.join(map(repr, cases))})"
    return Operation("select", Opcode.SELECT, (tuple(cases),), tuple(bodies), size, depth, text)


_SIZE_UNITS = {"B": 1, "kB": 10**3, "KB": 10**3, "MB": 10**6, "GB": 10**9, "TB": 10**12,
               "KiB": 2**10, "MiB": 2**20, "GiB": 2**30, "TiB": 2**40}
_SIZE_RE = re.compile(r"(\d+(?:\.\d+)?) ?([A-Za-z]+)")


def stack(nbytes):
    """The goroutine's stack must hold `nbytes` (it grows by doubling, §5.4).

    Parameters
    ----------
    nbytes : int or str
        Bytes, ``1 <= nbytes <= 2**40``, or a size like ``"64KiB"``, ``"1MB"``
        (SI units are powers of 1000, IEC units powers of 1024).

    Examples
    --------
    >>> stack("64KiB"), stack("1MB"), stack(8192)
    (stack(65536), stack(1000000), stack(8192))
    """
    where = "stack() argument nbytes"
    if isinstance(nbytes, str):
        m = _SIZE_RE.fullmatch(nbytes.strip())
        if not m or m[2] not in _SIZE_UNITS:
            raise ValueError(f"{where}: invalid size {nbytes!r}; write a number and a unit "
                             f"({', '.join(_SIZE_UNITS)}), e.g. '64KiB'")
        value = Fraction(m[1]) * _SIZE_UNITS[m[2]]
        if value.denominator != 1:
            raise ValueError(f"{where}: {nbytes!r} is not a whole number of bytes")
        nbytes = int(value)
    n = _int_arg(nbytes, where, 1, MAX_STACK, "[1, 2**40]")
    return Operation("stack", Opcode.STACK, (n,), text=f"stack({n})")


_BUILDERS = frozenset(["cpu", "syscall", "sleep", "netwait", "go", "gosched", "gomaxprocs", "exit",
                       "send", "recv", "close", "each", "add", "done", "wait", "repeat", "stack",
                       "lock_os_thread", "unlock_os_thread", "lock", "unlock",
                       "choice", "goexit", "panic", "arrivals", "span", "select", "rlock",
                       "runlock", "signal", "broadcast", "span_end", "reset", "stop", "after"])


def _check_ops(ops, where, first=0):
    """`ops` as a tuple, or a TypeError saying which argument is not an Operation."""
    for i, op in enumerate(ops, first):
        if isinstance(op, Operation):
            continue
        what = f"{type(op).__name__} {op!r}"
        hint = "build operations with cpu(), go(), send(), repeat(), ..."
        if isinstance(op, Program):
            what, hint = f"program {op.label}", f"to start it, use go({op.label})"
        elif callable(op) and getattr(op, "__name__", None) in _BUILDERS:
            what, hint = f"the function {op.__name__}", f"call it: {op.__name__}(...)"
        elif isinstance(op, (list, tuple)):
            hint = "unpack a list of operations with *ops"
        raise TypeError(f"{where}: argument {i} is {what}, not an operation; {hint}")
    return tuple(ops)


def _walk(ops, seen=None):
    """Every operation in `ops`, repeat bodies included (shared bodies visited once)."""
    seen = set() if seen is None else seen
    for op in ops:
        yield op
        if op.body and id(op.body) not in seen:
            seen.add(id(op.body))
            yield from _walk(op.body, seen)


# ---------------------------------------------------------------- the workload

class Workload:
    """Programs, channels and WaitGroups: a Go program to simulate.

    Examples
    --------
    >>> wl = Workload()
    >>> ch = wl.chan(cap=0)
    >>> producer = wl.program(repeat(10, cpu("5us"), send(ch)), name="producer")
    >>> main = wl.main(go(producer), repeat(10, recv(ch), cpu("1us")))
    >>> c = wl.compile()
    >>> c.code.shape, c.entry.tolist(), c.loop_depth.tolist(), c.chan_cap.tolist()
    ((11, 4), [0, 6], [1, 1], [0])
    """

    def __init__(self):
        self._programs = [Program(self, 0, "main")]
        self._chan_caps = []
        self._n_waitgroups = 0
        self._n_mutexes = 0
        self._n_rwmutexes = 0
        self._n_conds = 0
        self._conds = []              # Cond handles, for to_python()
        self._timers = []             # (kind, func program index or -1)

    def main(self, *ops):
        """Define program 0, ``runtime.main`` (goroutine 1); once only.  Returns its handle."""
        main = self._programs[0]
        if main.defined:
            raise ValueError("Workload.main() may be called only once: main is already defined")
        main._define(ops, "Workload.main()")
        return main

    def program(self, *ops, name=None):
        """A new :class:`Program`; with no `ops` it stays undefined until ``define()``."""
        if name is not None and not (isinstance(name, str) and name):
            raise TypeError(f"Workload.program() argument name must be a non-empty str or "
                            f"None, got {type(name).__name__} {name!r}")
        p = Program(self, len(self._programs), name)
        if ops:
            p._define(ops, "Workload.program()")    # validate before p joins the workload
        self._programs.append(p)
        return p

    def chan(self, cap=0):
        """A new channel; ``cap`` 0 is unbuffered (``0 <= cap <= 2**31``)."""
        cap = _int_arg(cap, "Workload.chan() argument cap", 0, MAX_CHAN_CAP, "[0, 2**31]")
        if len(self._chan_caps) >= MAX_CHANNELS:
            raise ValueError(f"Workload.chan(): a workload may have at most "
                             f"MAX_CHANNELS = {MAX_CHANNELS} channels")
        self._chan_caps.append(cap)
        return Chan(self, len(self._chan_caps) - 1, cap)

    def waitgroup(self):
        """A new ``sync.WaitGroup`` with counter 0."""
        if self._n_waitgroups >= MAX_WAITGROUPS:
            raise ValueError(f"Workload.waitgroup(): a workload may have at most "
                             f"MAX_WAITGROUPS = {MAX_WAITGROUPS} WaitGroups")
        self._n_waitgroups += 1
        return WaitGroup(self, self._n_waitgroups - 1)

    def mutex(self):
        """A new ``sync.Mutex``, unlocked; use it with :func:`lock` and :func:`unlock`.

        >>> wl = Workload(); mu = wl.mutex()
        >>> _ = wl.main(lock(mu), cpu("1us"), unlock(mu))
        >>> print(wl.compile().disassemble())
        program 0 (main):
          0  LOCK       mu=0
          1  CPU        dist=0 (1µs) preemptible=1
          2  UNLOCK     mu=0
          3  EXIT
        """
        if self._n_mutexes >= MAX_MUTEXES:
            raise ValueError(f"Workload.mutex(): a workload may have at most "
                             f"MAX_MUTEXES = {MAX_MUTEXES} mutexes")
        self._n_mutexes += 1
        return Mutex(self, self._n_mutexes - 1)

    def rwmutex(self):
        """A new ``sync.RWMutex``, unlocked: :func:`rlock`/:func:`runlock` for
        readers, :func:`lock`/:func:`unlock` for the writer.

        >>> wl = Workload(); rw = wl.rwmutex()
        >>> _ = wl.main(rlock(rw), runlock(rw), lock(rw), unlock(rw))
        >>> print(wl.compile().disassemble())
        program 0 (main):
          0  RLOCK      rw=0
          1  RUNLOCK    rw=0
          2  RWLOCK     rw=0 step=0
          3  RWLOCK     rw=0 step=1
          4  RWUNLOCK   rw=0 step=0
          5  RWUNLOCK   rw=0 step=1
          6  EXIT
        """
        if self._n_rwmutexes >= MAX_RWMUTEXES:
            raise ValueError(f"Workload.rwmutex(): a workload may have at most "
                             f"MAX_RWMUTEXES = {MAX_RWMUTEXES} RWMutexes")
        self._n_rwmutexes += 1
        return RWMutex(self, self._n_rwmutexes - 1)

    def cond(self, mu):
        """A new ``sync.Cond`` with locker `mu`: a :class:`Mutex`, or an
        :class:`RWMutex` whose write lock (``lock``/``unlock``) it uses, as
        ``sync.NewCond(&rw)`` does.

        >>> wl = Workload(); c = wl.cond(wl.rwmutex()); c
        <Cond 0 on rw0>
        """
        mu = _locker_arg(mu, "Workload.cond() argument mu")
        mu._check_owner(self, "Workload.cond")
        if self._n_conds >= MAX_CONDS:
            raise ValueError(f"Workload.cond(): a workload may have at most "
                             f"MAX_CONDS = {MAX_CONDS} Conds")
        self._n_conds += 1
        self._conds.append(Cond(self, self._n_conds - 1, mu))
        return self._conds[-1]
    def timer(self, func=None):
        """A new ``*time.Timer``, stopped: :func:`reset` starts it, :func:`stop`
        stops it, :func:`recv` receives from its channel ``t.C``.

        With ``func`` (a :class:`Program`), an ``AfterFunc`` timer: each time
        it fires, the M that runs it starts a new goroutine running ``func``
        (Go's goFunc: ``go f()`` on that M's P, into its runnext).

        >>> wl = Workload(); t = wl.timer()
        >>> f = wl.timer(func=wl.program(cpu("1us"), name="f"))
        >>> _ = wl.main(reset(t, "1ms"), recv(t), reset(f, "2ms"), sleep("3ms"))
        >>> print(wl.compile().disassemble())
        program 0 (main):
          0  TIMER_RESET timer=0 dist=0 (1ms)
          1  TIMER_RECV timer=0
          2  TIMER_RESET timer=1 dist=1 (2ms)
          3  SLEEP      dist=2 (3ms)
          4  EXIT
        program 1 (f):
          5  CPU        dist=3 (1µs) preemptible=1
          6  EXIT
        """
        if func is not None:
            func = _handle_arg(func, Program, "Workload.timer() argument func", "program")
            func._check_owner(self, "Workload.timer")
        return self._new_timer(Timer, "func" if func is not None else "timer", func)

    def ticker(self):
        """A new ``*time.Ticker``, stopped: ``reset(tk, d)`` is ``NewTicker(d)``
        (or ``tk.Reset(d)``); :func:`recv` receives its ticks.

        >>> wl = Workload(); tk = wl.ticker()
        >>> _ = wl.main(reset(tk, "1ms"), repeat(3, recv(tk)), stop(tk))
        """
        return self._new_timer(Ticker, "ticker", None)

    def _new_timer(self, cls, kind, func):
        if len(self._timers) >= MAX_TIMERS:
            raise ValueError(f"Workload.{'ticker' if cls is Ticker else 'timer'}(): a workload "
                             f"may have at most MAX_TIMERS = {MAX_TIMERS} timers and tickers")
        self._timers.append((TIMER_KINDS[kind], -1 if func is None else func.index))
        return cls(self, len(self._timers) - 1, func)

    def to_python(self):
        """The Python source that builds this workload (``import gmpcore as
        gmp`` and a ``wl = gmp.Workload()``): exec'd, it makes a workload
        that compiles to identical arrays.  Hypothesis's shrunk failures
        print this way (:mod:`gmpcore.strategies`).

        >>> wl = Workload(); ch = wl.chan(cap=2); wg = wl.waitgroup()
        >>> worker = wl.program(each(ch, cpu("5us")), done(wg), name="worker")
        >>> _ = wl.main(add(wg, 1), go(worker), repeat(3, send(ch)), close(ch), wait(wg))
        >>> print(wl.to_python())
        import gmpcore as gmp
        <BLANKLINE>
        wl = gmp.Workload()
        worker = wl.program(name='worker')
        chan0 = wl.chan(cap=2)
        wg0 = wl.waitgroup()
        worker.define(
            gmp.each(chan0, gmp.cpu(5000)),
            gmp.done(wg0),
        )
        wl.main(
            gmp.add(wg0, 1),
            gmp.go(worker),
            gmp.repeat(3, gmp.send(chan0)),
            gmp.close(chan0),
            gmp.wait(wg0),
        )
        >>> env = {}; exec(wl.to_python(), env)
        >>> env["wl"].compile().code.tolist() == wl.compile().code.tolist()
        True
        """
        return _Source(self).text()

    def compile(self):
        """Compile to the arrays of docs/simulator-design.md §1.

        Returns
        -------
        CompiledWorkload

        Raises
        ------
        ValueError
            If main() was never called, a program was never defined, or the
            workload exceeds ``MAX_INSTRUCTIONS``.

        Warns
        -----
        GoroutineLeakWarning
            If a channel is only ever sent to or only ever received from (a
            static check over all programs): Go compiles the program, and at
            run time the goroutine blocked on it leaks, or the program
            deadlocks if main blocks.
        """
        if not self._programs[0].defined:
            raise ValueError("Workload.compile(): main() was never called; every workload "
                             "needs a main program (goroutine 1)")
        for p in self._programs:
            if not p.defined:
                raise ValueError(f"Workload.compile(): program {p.index} ({p.label}) was "
                                 f"never defined; call its define(*ops)")
        total = sum(p._size for p in self._programs)
        if total > MAX_INSTRUCTIONS:
            raise ValueError(f"Workload.compile(): {total} instructions; a workload may have "
                             f"at most MAX_INSTRUCTIONS = {MAX_INSTRUCTIONS}")
        asm = _Assembler()
        entry, depth = [], []
        for p in self._programs:
            entry.append(asm.pc)
            depth.append(asm.emit(p._ops, 0))
            asm.code.extend((Opcode.EXIT, 0, 0, 0))
        for ch in range(len(self._chan_caps)):
            _check_chan(ch, self._chan_caps[ch], ch in asm.sent, ch in asm.received,
                        ch in asm.closed)
        return CompiledWorkload(
            code=np.frombuffer(asm.code, dtype=np.int64).reshape(-1, 4),
            dists=np.array(asm.dists, dtype=np.float64).reshape(-1, 3),
            entry=np.array(entry, dtype=np.int64),
            chan_cap=np.array(self._chan_caps, dtype=np.int64),
            n_waitgroups=self._n_waitgroups,
            loop_depth=np.array(depth, dtype=np.int64),
            program_names=tuple(p.name or "" for p in self._programs),
            max_gomaxprocs=asm.max_gomaxprocs,
            n_mutexes=self._n_mutexes,
            panic_messages=tuple(asm.panics),
            span_names=tuple(asm.span_names),
            n_rwmutexes=self._n_rwmutexes,
            n_conds=self._n_conds,
            timers=np.array(self._timers, dtype=np.int64).reshape(-1, 2),
        )


class _Source:
    """Workload.to_python(): names for handles, then each operation as the call that made it."""

    _RESERVED = {"gmp", "wl", "main"}

    def __init__(self, wl):
        self.wl, self.names, self.lines = wl, {}, ["import gmpcore as gmp", "", "wl = gmp.Workload()"]
        taken = set(self._RESERVED)
        for p in wl._programs[1:]:
            name = p.name if p.name and p.name.isidentifier() and not keyword.iskeyword(p.name) \
                and p.name not in taken and not re.fullmatch(r"(p|chan|wg|mu|rw|cond|timer|ticker)\d+",
                                                             p.name) else f"p{p.index}"
            taken.add(name)
            self.names[("program", p.index)] = name
            self.lines.append(f"{name} = wl.program({'' if p.name is None else f'name={p.name!r}'})")
        for i, cap in enumerate(wl._chan_caps):
            self.lines.append(f"chan{i} = wl.chan(cap={cap})")
        self.lines += [f"wg{i} = wl.waitgroup()" for i in range(wl._n_waitgroups)]
        self.lines += [f"mu{i} = wl.mutex()" for i in range(wl._n_mutexes)]
        self.lines += [f"rw{i} = wl.rwmutex()" for i in range(wl._n_rwmutexes)]
        self.lines += [f"cond{c.index} = wl.cond({self.ref(c.locker)})" for c in wl._conds]
        for i, (kind, func) in enumerate(wl._timers):
            if kind == TIMER_KINDS["ticker"]:
                self.lines.append(f"ticker{i} = wl.ticker()")
            elif func >= 0:
                self.lines.append(f"timer{i} = wl.timer(func={self.names[('program', func)]})")
            else:
                self.lines.append(f"timer{i} = wl.timer()")
        for p in wl._programs[1:]:
            if p.defined:
                self.lines.append(self.block(f"{self.names[('program', p.index)]}.define", p._ops))
        if wl._programs[0].defined:
            self.lines.append(self.block("wl.main", wl._programs[0]._ops))

    def text(self):
        return "\n".join(self.lines)

    def block(self, call, ops):
        if not ops:
            return f"{call}()"
        return f"{call}(\n" + "".join(f"    {self.op(op)},\n" for op in ops) + ")"

    def ref(self, h):
        if isinstance(h, Program):
            return "wl.main" if h.index == 0 else self.names[("program", h.index)]
        return h.label

    def dist(self, d):
        if d.kind == CONSTANT:
            return str(d.p1)
        if d.kind == UNIFORM:
            return f"gmp.uniform({d.p1}, {int(d.p2)})"
        if d.kind == EXPONENTIAL:
            return f"gmp.exponential({d.p1})"
        return f"gmp.lognormal({d.p1}, {d.p2!r})"

    def body(self, ops):
        return "".join(", " + self.op(op) for op in ops)

    def case(self, cs):
        if cs.kind == "default":
            return f"gmp.case_default({', '.join(map(self.op, cs.body))})"
        arg = self.dist(cs.arg) if cs.kind == "after" else self.ref(cs.arg)
        return f"gmp.case_{cs.kind}({arg}{self.body(cs.body)})"

    def op(self, op):
        name, args = op.name, op.args
        if name in ("cpu", "syscall"):
            flag = ("" if args[1] else ", preemptible=False") if name == "cpu" else \
                (", blocking=True" if args[1] else "")
            return f"gmp.{name}({self.dist(args[0])}{flag})"
        if name in ("sleep", "netwait", "after"):
            return f"gmp.{name}({self.dist(args[0])})"
        if name == "go":
            count = "" if args[1] == 1 else f", count={args[1]}"
            return f"gmp.go({self.ref(args[0])}{count})"
        if name == "send" and len(args) == 2:
            return f"gmp.send({self.ref(args[0])}, span={args[1]!r})"
        if name == "add":
            return f"gmp.add({self.ref(args[0])}, {args[1]})"
        if name == "reset":
            return f"gmp.reset({self.ref(args[0])}, {self.dist(args[1])})"
        if name in ("each", "span"):
            first = repr(args[0]) if name == "span" else self.ref(args[0])
            return f"gmp.{name}({first}{self.body(op.body)})"
        if name == "repeat":
            n = self.dist(args[0]) if isinstance(args[0], Distribution) else str(args[0])
            return f"gmp.repeat({n}{self.body(op.body)})"
        if name == "choice":
            branches = ", ".join(f"({w!r}, [{', '.join(map(self.op, b))}])"
                                 for w, b in zip(args[2], args[1]))
            return f"gmp.choice({branches})"
        if name == "select":
            return f"gmp.select({', '.join(map(self.case, args[0]))})"
        shown = [self.ref(a) if isinstance(a, _Handle) else repr(a) for a in args]
        if name in ("done", "signal", "broadcast"):
            shown = shown[:1]
        return f"gmp.{name}({', '.join(shown)})"


def _check_chan(index, cap, sent, received, closed):
    # A close satisfies every receive (each ends, recv returns the zero value).
    if sent == received or (received and closed):
        return
    if sent:
        what = "sent to but never received from: every send"
        if cap:
            what += f" beyond its buffer (cap {cap})"
    else:
        what = "received from but never sent to: every receive"
    # Go compiles this: at run time the goroutine leaks, or main deadlocks.
    warnings.warn(f"Workload.compile(): channel {index} is {what} blocks its goroutine "
                  f"forever (a static check over all programs): the goroutine leaks, or "
                  f"the program deadlocks if main blocks", GoroutineLeakWarning,
                  stacklevel=_user_stacklevel())


def _user_stacklevel():
    """warnings.warn's stacklevel for the caller's first frame outside gmpcore,
    so that the warning names the user's compile() or simulate() line."""
    level, frame = 1, sys._getframe(1)            # the frame that calls warn()
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(
            _PACKAGE_DIR):
        frame = frame.f_back
        level += 1
    return level


class _Assembler:
    """Emits rows into one flat int64 buffer, numbering distributions as they first appear."""

    def __init__(self):
        self.code = array("q")            # 4 ints per row; compact for large workloads
        self.dists, self._dist_ids = [], {}
        self.sent, self.received, self.closed = set(), set(), set()
        self.max_gomaxprocs = 0           # the largest gomaxprocs(n) operand (0: none > 0)
        self.panics, self._panic_ids = [], {}
        self.span_names, self._span_ids = [], {}   # numbered in order of first use

    @property
    def pc(self):
        return len(self.code) // 4

    def span_id(self, name):
        """A span name's index, numbered in order of first use."""
        i = self._span_ids.setdefault(name, len(self.span_names))
        if i == len(self.span_names):
            self.span_names.append(name)
        return i

    def operand(self, x):
        if isinstance(x, Distribution):
            row = x.row()
            if row not in self._dist_ids:
                self._dist_ids[row] = len(self.dists)
                self.dists.append(row)
            return self._dist_ids[row]
        if isinstance(x, _Handle):
            return x.index
        return x

    def emit(self, ops, level):
        """Append `ops` at loop nesting `level`; return the loop levels used."""
        used = level
        for op in ops:
            if op.opcode in (Opcode.LOOP, Opcode.LOOPDRAW):
                if op.size == 0:
                    continue                  # empty body: nothing to run
                loop = self.pc
                self.code.extend((op.opcode, self.operand(op.args[0]), level, 0))
                used = max(used, self.emit(op.body, level + 1))
                self.code.extend((Opcode.ENDLOOP, loop + 1, level, 0))
                self.code[4 * loop + 3] = self.pc          # exit pc: past the ENDLOOP
                continue
            if op.opcode == Opcode.CHOICE:
                # A chain of tests: each falls into its branch with the branch's
                # probability given that no earlier one was taken, or jumps to the
                # next test; each branch but the last then jumps to the end.
                jumps = []
                for i, (thr, body) in enumerate(zip(op.args[0], op.args[1])):
                    test = self.pc
                    self.code.extend((Opcode.CHOICE, thr, 0, 0))
                    used = max(used, self.emit(body, level))
                    if i < len(op.args[0]) - 1:
                        jumps.append(self.pc)
                        self.code.extend((Opcode.CHOICE, 0, 0, 0))
                    self.code[4 * test + 3] = self.pc
                for pc in jumps:
                    self.code[4 * pc + 3] = self.pc
                continue
            if op.opcode == Opcode.PANIC:
                msg = op.args[0]
                if msg not in self._panic_ids:
                    self._panic_ids[msg] = len(self.panics)
                    self.panics.append(msg)
                self.code.extend((Opcode.PANIC, self._panic_ids[msg], 0, 0))
                continue
            if op.opcode == Opcode.RWLOCK or op.opcode == Opcode.RWUNLOCK:
                rw = self.operand(op.args[0])
                self.code.extend((op.opcode, rw, 0, 0, op.opcode, rw, 1, 0))
                continue
            if op.opcode == Opcode.NOTIFY_WAIT:
                # Cond.Wait: notifyListAdd, L.Unlock(), notifyListWait, L.Lock().
                c, mu = op.args[0].index, op.args[0].locker
                self.code.extend((Opcode.NOTIFY_ADD, c, 0, 0))
                self.emit((unlock(mu),), level)
                self.code.extend((Opcode.NOTIFY_WAIT, c, 0, 0))
                self.emit((lock(mu),), level)
                continue
            if op.opcode == Opcode.SPAN_RECV_END:
                self.code.extend((Opcode.SPAN_RECV_END, self.span_id(op.args[0]), 0, 0))
                continue
            if op.opcode == Opcode.SEND and len(op.args) == 2:
                ch = self.operand(op.args[0])
                self.sent.add(ch)
                self.code.extend((Opcode.SEND, ch, self.span_id(op.args[1]) + 1, 0))
                continue
            if op.opcode == Opcode.SPAN_BEGIN:
                name = self.span_id(op.args[0])
                self.code.extend((Opcode.SPAN_BEGIN, name, level, 0))
                used = max(used, level + 1, self.emit(op.body, level + 1))
                self.code.extend((Opcode.SPAN_END, name, level, 0))
                continue
            if op.opcode == Opcode.SELECT:
                used = max(used, self.emit_select(op.args[0], level))
                continue
            if op.opcode == Opcode.RANGE:
                head, ch = self.pc, self.operand(op.args[0])
                self.received.add(ch)
                self.code.extend((Opcode.RANGE, ch, 0, 0))
                used = max(used, self.emit(op.body, level))   # no counter: same level
                self.code.extend((Opcode.ENDRANGE, head, 0, 0))
                self.code[4 * head + 3] = self.pc          # exit pc: past the ENDRANGE
                continue
            a, b = (list(map(self.operand, op.args)) + [0, 0])[:2]
            self.code.extend((op.opcode, a, b, 0))
            if op.opcode == Opcode.SEND:
                self.sent.add(a)
            elif op.opcode == Opcode.RECV:
                self.received.add(a)
            elif op.opcode == Opcode.CLOSE:
                self.closed.add(a)
            elif op.opcode == Opcode.GOMAXPROCS:
                self.max_gomaxprocs = max(self.max_gomaxprocs, a)
        return used


    def emit_select(self, cases, level):
        """walkSelectCases: select {} is BLOCK, one case the plain operation,
        else SELECT, its SELCASE rows (sends first, then receives, as Go's
        scase array), the default's body, each case's body, each body ending
        in SELEND (a jump to the end)."""
        dflt = next((cs for cs in cases if cs.kind == "default"), None)
        chans = [cs for cs in cases if cs.kind == "send"] + \
                [cs for cs in cases if cs.kind in ("recv", "after")]
        for cs in chans:
            if isinstance(cs.arg, Chan):
                (self.sent if cs.kind == "send" else self.received).add(cs.arg.index)
        if not chans:
            if dflt is not None:
                return self.emit(dflt.body, level)
            self.code.extend((Opcode.BLOCK, 0, 0, 0))
            return level
        if len(chans) == 1 and dflt is None and chans[0].kind != "after":
            cs = chans[0]
            plain = Opcode.TIMER_RECV if isinstance(cs.arg, Timer) else \
                Opcode.SEND if cs.kind == "send" else Opcode.RECV
            self.code.extend((plain, cs.arg.index, 0, 0))
            return self.emit(cs.body, level)
        head, used = self.pc, level
        self.code.extend((Opcode.SELECT, len(chans), int(dflt is not None), 0))
        for cs in chans:
            kind = SEL_RECV_TIMER if isinstance(cs.arg, Timer) else \
                {"recv": SEL_RECV, "send": SEL_SEND, "after": SEL_AFTER}[cs.kind]
            self.code.extend((Opcode.SELCASE, kind, self.operand(cs.arg), 0))
        ends = []
        for k, cs in ([(-1, dflt)] if dflt is not None else []) + list(enumerate(chans)):
            if k >= 0:
                self.code[4 * (head + 1 + k) + 3] = self.pc
            used = max(used, self.emit(cs.body, level))
            ends.append(self.pc)
            self.code.extend((Opcode.SELEND, 0, 0, 0))
        for pc in ends:
            self.code[4 * pc + 1] = self.pc
        self.code[4 * head + 3] = self.pc
        return used


# ---------------------------------------------------------------- the compiled form

_INT64_MAX = 2**63 - 1


def _frozen(x, field, dtype, ndim, cols=None):
    """A private, read-only, C-contiguous copy of `x` as `dtype`.

    A copy, so that the caller's array can change after validation without
    changing the workload; read-only through a read-only buffer, so that the
    flag cannot be turned back on.  Integer fields refuse non-integer data
    (a float opcode would be truncated silently).
    """
    where = f"CompiledWorkload: {field}"
    try:
        arr = np.asarray(x)
    except (TypeError, ValueError) as err:
        raise ValueError(f"{where} must be an array ({err})") from None
    if arr.size == 0 and arr.ndim <= ndim:
        arr = arr.reshape((0, cols) if ndim == 2 else (0,))      # [] for no rows
    if arr.ndim != ndim or (cols is not None and arr.shape[1] != cols):
        want = f"(n, {cols})" if cols else "(n,)"
        raise ValueError(f"{where}: expected shape {want}, got {arr.shape}")
    kinds = "iu" if dtype == np.int64 else "iuf"
    if arr.size and arr.dtype.kind not in kinds:
        what = "integers" if dtype == np.int64 else "real numbers"
        raise TypeError(f"{where} must hold {what}, got dtype {arr.dtype}")
    if arr.size and arr.dtype.kind == "u" and arr.max() > _INT64_MAX:
        bad = np.unravel_index(int(np.argmax(arr > _INT64_MAX)), arr.shape)
        raise ValueError(f"{where}[{', '.join(map(str, bad))}] = {arr[bad]} is beyond int64")
    out = np.array(arr, dtype=dtype, order="C", copy=True)
    return np.asarray(memoryview(out).toreadonly())


def _first(mask):
    """The index of the first True in `mask`, or None."""
    return int(np.argmax(mask)) if mask.any() else None


# Operands per opcode: (name, low, high) for columns a, b, c, where low and
# high name a bound the workload fixes; None means the column is unused and
# must be 0 (as compile() writes it).
_DIST = ("dist index", 0, "dists")
_CHAN = ("channel index", 0, "chans")
_WG = ("waitgroup index", 0, "wgs")
_MU = ("mutex index", 0, "mutexes")
_RW = ("rwmutex index", 0, "rwmutexes")
_COND = ("cond index", 0, "conds")
_STEP = ("step", 0, 1)
_TIMER = ("timer index", 0, "timers")
_OPERANDS = {
    Opcode.EXIT: (None, None, None),
    Opcode.CPU: (_DIST, ("preemptible flag", 0, 1), None),
    Opcode.SYSCALL: (_DIST, ("blocking flag", 0, 1), None),
    Opcode.SLEEP: (_DIST, None, None),
    Opcode.NETWAIT: (_DIST, None, None),
    Opcode.GO: (("program index", 0, "programs"), ("count", 0, MAX_GO_COUNT), None),
    Opcode.GOSCHED: (None, None, None),
    Opcode.SEND: (_CHAN, ("span name index + 1, 0 for none", 0, "spans+1"), None),
    Opcode.RECV: (_CHAN, None, None),
    Opcode.WG_ADD: (_WG, ("delta", -2**63, _INT64_MAX), None),
    Opcode.WG_WAIT: (_WG, None, None),
    Opcode.LOOP: (("count", 0, MAX_REPEAT), ("depth", 0, MAX_LOOP_DEPTH - 1),
                  ("exit pc", 0, "code")),
    Opcode.ENDLOOP: (("body pc", 0, "code"), ("depth", 0, MAX_LOOP_DEPTH - 1), None),
    Opcode.STACK: (("bytes", 1, MAX_STACK), None, None),
    Opcode.GOMAXPROCS: (("n", -2**63, MAX_GOMAXPROCS), None, None),
    Opcode.LOCKOSTHREAD: (None, None, None),
    Opcode.UNLOCKOSTHREAD: (None, None, None),
    Opcode.CLOSE: (_CHAN, None, None),
    Opcode.RANGE: (_CHAN, None, ("exit pc", 0, "code")),
    Opcode.ENDRANGE: (("range pc", 0, "code"), None, None),
    Opcode.LOCK: (_MU, None, None),
    Opcode.UNLOCK: (_MU, None, None),
    Opcode.CHOICE: (("probability * 2**53", 0, CHOICE_ONE), None, ("jump pc", 0, "code")),
    Opcode.LOOPDRAW: (_DIST, ("depth", 0, MAX_LOOP_DEPTH - 1), ("exit pc", 0, "code")),
    Opcode.GOEXIT: (None, None, None),
    Opcode.PANIC: (("message index", 0, "panics"), None, None),
    Opcode.SPAN_BEGIN: (("span name index", 0, "spans"), ("depth", 0, MAX_LOOP_DEPTH - 1), None),
    Opcode.SPAN_END: (("span name index", 0, "spans"), ("depth", 0, MAX_LOOP_DEPTH - 1), None),
    Opcode.SELECT: (("case count", 1, MAX_SELECT_CASES), ("default flag", 0, 1),
                    ("end pc", 0, "code")),
    # b is a channel (recv, send), dist (after) or timer (recv timer) index: _check_selects.
    Opcode.SELCASE: (("case kind", 0, 3), ("channel, dist or timer index", 0, _INT64_MAX),
                     ("body pc", 0, "code")),
    Opcode.SELEND: (("end pc", 0, "code"), None, None),
    Opcode.BLOCK: (None, None, None),
    Opcode.RLOCK: (_RW, None, None),
    Opcode.RUNLOCK: (_RW, None, None),
    Opcode.RWLOCK: (_RW, _STEP, None),
    Opcode.RWUNLOCK: (_RW, _STEP, None),
    Opcode.NOTIFY_ADD: (_COND, None, None),
    Opcode.NOTIFY_WAIT: (_COND, None, None),
    Opcode.NOTIFY: (_COND, ("broadcast flag", 0, 1), None),
    Opcode.SPAN_RECV_END: (("span name index", 0, "spans"), None, None),
    Opcode.TIMER_RESET: (_TIMER, _DIST, None),
    Opcode.TIMER_STOP: (_TIMER, None, None),
    Opcode.TIMER_RECV: (_TIMER, None, None),
    Opcode.AFTER: (_DIST, None, None),
}
_COUNTED = {"dists": "len(dists)", "chans": "len(chan_cap)", "wgs": "n_waitgroups",
            "mutexes": "n_mutexes", "panics": "len(panic_messages)", "spans": "len(span_names)",
            "spans+1": "len(span_names)", "rwmutexes": "n_rwmutexes", "conds": "n_conds",
            "timers": "len(timers)",
            "programs": "len(entry)", "code": "len(code)"}


def _ranges(values):
    """'0 to 13, 15, 16': sorted ints with runs of three or more as ranges."""
    runs = []
    for v in sorted(values):
        if runs and v == runs[-1][1] + 1:
            runs[-1][1] = v
        else:
            runs.append([v, v])
    parts = []
    for lo, hi in runs:
        parts += [f"{lo} to {hi}"] if hi - lo >= 2 else [str(v) for v in range(lo, hi + 1)]
    return ", ".join(parts)


_OPCODE_RANGES = _ranges(int(o) for o in Opcode)


def _bad(what):
    raise ValueError(f"CompiledWorkload: {what}")


def _check_ranges(op, a, c, entry, ends):
    """RANGE/ENDRANGE pairs as each() emits them: within one program, nested
    properly with each other and with LOOP/ENDLOOP, pointing at each other."""
    kinds = (Opcode.LOOP, Opcode.LOOPDRAW, Opcode.ENDLOOP, Opcode.RANGE, Opcode.ENDRANGE,
             Opcode.SPAN_BEGIN, Opcode.SPAN_END)
    pcs = np.flatnonzero(np.isin(op, np.array(kinds, dtype=op.dtype)))
    if not np.isin(op[pcs], (Opcode.RANGE, Opcode.ENDRANGE)).any():
        return                                  # the loop pass checks LOOP and SPAN nesting
    progs = np.searchsorted(entry, pcs, side="right") - 1
    open_, prog = [], -1
    for pc, o, p in zip(pcs.tolist(), op[pcs].tolist(), progs.tolist()):
        if p != prog:
            if open_:
                _bad(f"code[{open_[-1]}] {Opcode(op[open_[-1]]).name} is not closed in "
                     f"program {prog} (it ends at code[{ends[prog]}])")
            prog = p
        if o in (Opcode.LOOP, Opcode.LOOPDRAW, Opcode.RANGE, Opcode.SPAN_BEGIN):
            open_.append(pc)
            continue
        head = open_.pop() if open_ else None   # (the loop pass refuses a stray ENDLOOP)
        want = {Opcode.ENDRANGE: (Opcode.RANGE,), Opcode.ENDLOOP: (Opcode.LOOP, Opcode.LOOPDRAW),
                Opcode.SPAN_END: (Opcode.SPAN_BEGIN,)}[o]
        if head is None or op[head] not in want:
            _bad(f"code[{pc}] {Opcode(o).name} does not close "
                 f"{'nothing' if head is None else f'the {Opcode(op[head]).name} at code[{head}]'}"
                 f" in program {p}")
        if o == Opcode.ENDRANGE:
            if a[pc] != head:
                _bad(f"code[{pc}] ENDRANGE: operand a (range pc) must be {head}, its RANGE, "
                     f"got {a[pc]}")
            if c[head] != pc + 1:
                _bad(f"code[{head}] RANGE: operand c (exit pc) must be {pc + 1}, just after "
                     f"its ENDRANGE at code[{pc}], got {c[head]}")
    if open_:
        _bad(f"code[{open_[-1]}] {Opcode(op[open_[-1]]).name} is not closed in program "
             f"{prog} (it ends at code[{ends[prog]}])")


def _check_selects(op, a, b, c, entry, ends, nchans, ndists, isfunc):
    """SELECT blocks as compile() emits them: `a` SELCASE rows right after
    each SELECT and nowhere else, operands of the case's kind, bodies and
    the end inside the program after the case rows, SELEND jumping forward."""
    sels = np.flatnonzero(op == Opcode.SELECT)
    owned = np.zeros(len(op), dtype=bool)
    for pc in sels.tolist():
        n, last = int(a[pc]), int(ends[np.searchsorted(entry, pc, side="right") - 1])
        if pc + n >= last:
            _bad(f"code[{pc}] SELECT: its {n} SELCASE rows run past the end of its program "
                 f"(code[{last}])")
        rows = np.arange(pc + 1, pc + 1 + n)
        if (i := _first(op[rows] != Opcode.SELCASE)) is not None:
            _bad(f"code[{rows[i]}]: SELECT at code[{pc}] has {n} cases, so this row must be "
                 f"SELCASE, got {Opcode(op[rows[i]]).name}")
        owned[rows] = True
        lo = pc + n + 1
        if not lo <= c[pc] <= last:
            _bad(f"code[{pc}] SELECT: operand c (end pc) must be in [{lo}, {last}], after its "
                 f"cases and within its program, got {c[pc]}")
        if b[pc] and lo >= c[pc]:
            _bad(f"code[{pc}] SELECT: the default's body at code[{lo}] is past its end pc "
                 f"{c[pc]}")
        for r in rows.tolist():
            if not lo <= c[r] < c[pc]:
                _bad(f"code[{r}] SELCASE: operand c (body pc) must be in [{lo}, {c[pc] - 1}], "
                     f"between its SELECT's cases and end, got {c[r]}")
    if (i := _first((op == Opcode.SELCASE) & ~owned)) is not None:
        _bad(f"code[{i}] SELCASE is not one of the rows right after a SELECT")
    cases = np.flatnonzero(op == Opcode.SELCASE)
    for r in cases.tolist():
        hi, what = (ndists - 1, "dist index; len(dists)") if a[r] == SEL_AFTER \
            else (len(isfunc) - 1, "timer index; len(timers)") if a[r] == SEL_RECV_TIMER \
            else (nchans - 1, "channel index; len(chan_cap)")
        if not 0 <= b[r] <= hi:
            _bad(f"code[{r}] SELCASE: operand b ({what} = {hi + 1}) must be in [0, {hi}], "
                 f"got {b[r]}")
        if a[r] == SEL_RECV_TIMER and isfunc[b[r]]:
            _bad(f"code[{r}] SELCASE: timer {b[r]} is an AfterFunc timer (timers[{b[r]}] "
                 f"kind 2), which has no channel")
    # No jump lands on a case row (a select's data, never run).
    for src, col, what in ((Opcode.CHOICE, c, "operand c (jump pc)"),
                           (Opcode.SELECT, c, "operand c (end pc)"),
                           (Opcode.SELCASE, c, "operand c (body pc)"),
                           (Opcode.SELEND, a, "operand a (end pc)")):
        pcs = np.flatnonzero(op == src)
        tgt = col[pcs]
        ok = (tgt >= 0) & (tgt < len(op))
        if (i := _first(ok & (op[np.where(ok, tgt, 0)] == Opcode.SELCASE))) is not None:
            _bad(f"code[{pcs[i]}] {src.name}: {what} {tgt[i]} is a SELCASE row, a select's "
                 f"data, never run")
    jumps = np.flatnonzero(op == Opcode.SELEND)
    if len(jumps):
        last = ends[np.searchsorted(entry, jumps, side="right") - 1]
        if (i := _first((a[jumps] <= jumps) | (a[jumps] > last))) is not None:
            _bad(f"code[{jumps[i]}] SELEND: operand a (end pc) must be in "
                 f"[{jumps[i] + 1}, {last[i]}], forward within its program, got {a[jumps[i]]}")


def _unclosed(o):
    return "LOOP has no ENDLOOP" if o == Opcode.LOOP else "SPAN_BEGIN has no SPAN_END"


def _check_compiled(cw):
    """Every invariant both engines rely on (docs/simulator-design.md §1), or a ValueError.

    The compiled engine reads the arrays without bounds checks, so anything
    compile() would never produce is refused here, before any engine sees it.
    """
    code, dists, entry = cw.code, cw.dists, cw.entry
    caps, depth, nwg = cw.chan_cap, cw.loop_depth, cw.n_waitgroups
    n, nprog = len(code), len(entry)
    # ---- sizes and scalar fields
    if not 1 <= n <= MAX_INSTRUCTIONS:
        _bad(f"code has {n} instructions; need 1 to MAX_INSTRUCTIONS = {MAX_INSTRUCTIONS}")
    if nprog == 0:
        _bad("entry is empty; a workload needs a main program (program 0)")
    if len(depth) != nprog or len(cw.program_names) != nprog:
        _bad(f"entry, loop_depth and program_names need one entry per program, got "
             f"{nprog}, {len(depth)} and {len(cw.program_names)}")
    for field_, names in (("program_names", cw.program_names),
                          ("panic_messages", cw.panic_messages)):
        for i, name in enumerate(names):
            if not isinstance(name, str):
                raise TypeError(f"CompiledWorkload: {field_}[{i}] must be a str, "
                                f"got {type(name).__name__} {name!r}")
    if not 0 <= nwg <= MAX_WAITGROUPS:
        _bad(f"n_waitgroups must be in [0, MAX_WAITGROUPS = {MAX_WAITGROUPS}], got {nwg}")
    if not 0 <= cw.n_mutexes <= MAX_MUTEXES:
        _bad(f"n_mutexes must be in [0, MAX_MUTEXES = {MAX_MUTEXES}], got {cw.n_mutexes}")
    if not 0 <= cw.n_rwmutexes <= MAX_RWMUTEXES:
        _bad(f"n_rwmutexes must be in [0, MAX_RWMUTEXES = {MAX_RWMUTEXES}], got {cw.n_rwmutexes}")
    if not 0 <= cw.n_conds <= MAX_CONDS:
        _bad(f"n_conds must be in [0, MAX_CONDS = {MAX_CONDS}], got {cw.n_conds}")
    if len(caps) > MAX_CHANNELS:
        _bad(f"chan_cap has {len(caps)} channels; at most MAX_CHANNELS = {MAX_CHANNELS}")
    if (i := _first((caps < 0) | (caps > MAX_CHAN_CAP))) is not None:
        _bad(f"chan_cap[{i}] must be in [0, 2**31], got {caps[i]}")
    tms = cw.timers
    if len(tms) > MAX_TIMERS:
        _bad(f"timers has {len(tms)} rows; at most MAX_TIMERS = {MAX_TIMERS}")
    if (i := _first((tms[:, 0] < 0) | (tms[:, 0] > 2))) is not None:
        _bad(f"timers[{i}] kind must be 0 (timer), 1 (ticker) or 2 (func), got {tms[i, 0]}")
    isfunc = tms[:, 0] == 2
    if (i := _first(isfunc & ((tms[:, 1] < 0) | (tms[:, 1] >= nprog)))) is not None:
        _bad(f"timers[{i}]: an AfterFunc timer's program must be in [0, {nprog - 1}] "
             f"(len(entry) = {nprog}), got {tms[i, 1]}")
    if (i := _first(~isfunc & (tms[:, 1] != -1))) is not None:
        _bad(f"timers[{i}]: a channel timer's program must be -1, got {tms[i, 1]}")
    # ---- programs: laid out in order, each non-empty and ending with EXIT
    if entry[0] != 0:
        _bad(f"entry[0] must be 0 (main starts the code), got {entry[0]}")
    if (i := _first(entry[1:] <= entry[:-1])) is not None:
        _bad(f"entry[{i + 1}] = {entry[i + 1]} must be greater than entry[{i}] = {entry[i]} "
             f"(programs are laid out in order, each at least one instruction)")
    if entry[-1] >= n:
        _bad(f"entry[{nprog - 1}] must be in [0, {n - 1}] (len(code) = {n}), "
             f"got {entry[-1]}")
    ends = np.append(entry[1:], n) - 1
    op, a, b, c = code[:, 0], code[:, 1], code[:, 2], code[:, 3]
    # ---- opcodes and operands
    if (pc := _first(~np.isin(op, np.array(list(Opcode), dtype=op.dtype)))) is not None:
        _bad(f"code[{pc}]: unknown opcode {op[pc]} (opcodes are {_OPCODE_RANGES})")
    if (i := _first(op[ends] != Opcode.EXIT)) is not None:
        _bad(f"code[{ends[i]}]: program {i} must end with EXIT, got "
             f"{Opcode(op[ends[i]]).name}")
    bounds = {"dists": len(dists) - 1, "chans": len(caps) - 1, "wgs": nwg - 1,
              "mutexes": cw.n_mutexes - 1, "panics": len(cw.panic_messages) - 1,
              "spans": len(cw.span_names) - 1, "spans+1": len(cw.span_names),
              "rwmutexes": cw.n_rwmutexes - 1, "conds": cw.n_conds - 1,
              "timers": len(cw.timers) - 1,
              "programs": nprog - 1, "code": n - 1}
    for opcode, spec in _OPERANDS.items():
        rows = op == opcode
        if not rows.any():
            continue
        for col, name, operand in zip((a, b, c), "abc", spec):
            if operand is None:
                what, lo, hi, note = "unused, must be 0", 0, 0, ""
            else:
                what, lo, hi = operand
                note = ""
                if isinstance(hi, str):
                    count = bounds[hi] + (hi != "spans+1")   # "spans+1": b counts the names
                    note, hi = f"; {_COUNTED[hi]} = {count}", bounds[hi]
            if (pc := _first(rows & ((col < lo) | (col > hi)))) is not None:
                if operand is None:
                    _bad(f"code[{pc}] {opcode.name}: operand {name} is unused and must be 0, "
                         f"got {col[pc]}")
                if hi < lo:                          # e.g. a SEND with no channels at all
                    _bad(f"code[{pc}] {opcode.name}: operand {name} ({what}) has no valid "
                         f"value{note}, got {col[pc]}")
                _bad(f"code[{pc}] {opcode.name}: operand {name} ({what}) must be in "
                     f"[{lo}, {hi}]{note}, got {col[pc]}")
    recvs = np.flatnonzero(op == Opcode.TIMER_RECV)      # operands checked in range above
    if len(recvs) and (i := _first(isfunc[a[recvs]])) is not None:
        _bad(f"code[{recvs[i]}] TIMER_RECV: timer {a[recvs[i]]} is an AfterFunc timer "
             f"(timers[{a[recvs[i]]}] kind 2), which has no channel")
    # ---- distributions (the ranges durations.Distribution allows)
    if len(dists):
        kind, p1, p2 = dists[:, 0], dists[:, 1], dists[:, 2]
        with np.errstate(invalid="ignore"):
            checks = [
                (~np.isin(kind, (CONSTANT, UNIFORM, EXPONENTIAL, LOGNORMAL)),
                 "kind must be 0 (constant), 1 (uniform), 2 (exponential) or 3 (lognormal)"),
                (~(np.isfinite(p1) & (p1 == np.floor(p1)) & (p1 >= 0) & (p1 <= MAX_DURATION)),
                 "p1 must be a whole number of ns in [0, 2**53]"),
                ((kind == UNIFORM) & ~((p2 == np.floor(p2)) & (p2 >= p1) & (p2 <= MAX_DURATION)),
                 "a uniform's p2 (high) must be a whole number of ns in [p1, 2**53]"),
                ((kind == LOGNORMAL) & ~(np.isfinite(p2) & (p2 >= 0)),
                 "a lognormal's p2 (sigma) must be finite and >= 0"),
                (np.isin(kind, (CONSTANT, EXPONENTIAL)) & (p2 != 0),
                 "a constant's or exponential's p2 must be 0"),
            ]
        for mask, what in checks:
            if (i := _first(mask)) is not None:
                _bad(f"dists[{i}] = {tuple(dists[i].tolist())}: {what}")
    # ---- loops: LOOP/ENDLOOP pairs nested within one program
    if (i := _first((depth < 0) | (depth > MAX_LOOP_DEPTH))) is not None:
        _bad(f"loop_depth[{i}] must be in [0, MAX_LOOP_DEPTH = {MAX_LOOP_DEPTH}], "
             f"got {depth[i]}")
    used = np.zeros(nprog, dtype=np.int64)
    # SPAN_BEGIN/SPAN_END take a level too (a start-time slot): the same pass.
    loops = np.flatnonzero(np.isin(op, np.array((Opcode.LOOP, Opcode.LOOPDRAW, Opcode.ENDLOOP,
                                                 Opcode.SPAN_BEGIN, Opcode.SPAN_END),
                                                dtype=op.dtype)))
    if len(loops):
        progs = np.searchsorted(entry, loops, side="right") - 1
        open_, prog = [], -1
        for pc, o, pa, pb, p in zip(loops.tolist(), op[loops].tolist(), a[loops].tolist(),
                                    b[loops].tolist(), progs.tolist()):
            if p != prog:
                if open_:
                    _bad(f"code[{open_[-1]}] {_unclosed(op[open_[-1]])} in program {prog} "
                         f"(it ends at code[{ends[prog]}])")
                prog = p
            if o in (Opcode.LOOP, Opcode.LOOPDRAW, Opcode.SPAN_BEGIN):
                if pb != len(open_):
                    _bad(f"code[{pc}] {Opcode(o).name}: operand b (depth) must be {len(open_)}, "
                         f"the number of loops open around it (spans count too), got {pb}")
                open_.append(pc)
                continue
            heads = (Opcode.LOOP, Opcode.LOOPDRAW) if o == Opcode.ENDLOOP else (Opcode.SPAN_BEGIN,)
            if not open_:
                _bad(f"code[{pc}] {Opcode(o).name} has no {heads[0].name} open before it in "
                     f"program {p}")
            if op[open_[-1]] not in heads:
                _bad(f"code[{pc}] {Opcode(o).name} does not close the "
                     f"{Opcode(op[open_[-1]]).name} at code[{open_[-1]}] in program {p}")
            loop = open_.pop()
            if o == Opcode.SPAN_END:
                if pb != len(open_):
                    _bad(f"code[{pc}] SPAN_END: operand b (depth) must be {len(open_)}, the "
                         f"depth of its SPAN_BEGIN at code[{loop}], got {pb}")
                if pa != a[loop]:
                    _bad(f"code[{pc}] SPAN_END: operand a (span name index) must be {a[loop]}, "
                         f"its SPAN_BEGIN's at code[{loop}], got {pa}")
                used[p] = max(used[p], pb + 1)
                continue
            if pb != len(open_):
                _bad(f"code[{pc}] ENDLOOP: operand b (depth) must be {len(open_)}, the depth "
                     f"of its LOOP at code[{loop}], got {pb}")
            if pa != loop + 1:
                _bad(f"code[{pc}] ENDLOOP: operand a (body pc) must be {loop + 1}, just "
                     f"after its LOOP at code[{loop}], got {pa}")
            if pc == loop + 1:
                _bad(f"code[{loop}] LOOP: the body is empty (its ENDLOOP is code[{pc}]); "
                     f"compile() emits nothing for an empty repeat")
            if c[loop] != pc + 1:
                _bad(f"code[{loop}] LOOP: operand c (exit pc) must be {pc + 1}, just after "
                     f"its ENDLOOP at code[{pc}], got {c[loop]}")
            used[p] = max(used[p], pb + 1)
        if open_:
            _bad(f"code[{open_[-1]}] {_unclosed(op[open_[-1]])} in program {prog} (it ends at "
                 f"code[{ends[prog]}])")
    _check_ranges(op, a, c, entry, ends)
    _check_selects(op, a, b, c, entry, ends, len(caps), len(dists), isfunc)
    # ---- CHOICE jumps forward within its program (no loop can come of it)
    choices = np.flatnonzero(op == Opcode.CHOICE)
    if len(choices):
        last = ends[np.searchsorted(entry, choices, side="right") - 1]
        if (i := _first((c[choices] <= choices) | (c[choices] > last))) is not None:
            _bad(f"code[{choices[i]}] CHOICE: operand c (jump pc) must be in "
                 f"[{choices[i] + 1}, {last[i]}], forward within its program, "
                 f"got {c[choices[i]]}")
    if (i := _first(depth != used)) is not None:
        _bad(f"loop_depth[{i}] must be {used[i]}, the deepest LOOP nesting in program {i} "
             f"(spans count as levels too), "
             f"got {depth[i]}")
    # ---- the P arrays an engine allocates: the largest GOMAXPROCS operand
    ops = a[op == Opcode.GOMAXPROCS]
    want = max(0, int(ops.max())) if len(ops) else 0
    if cw.max_gomaxprocs != want:
        _bad(f"max_gomaxprocs must be {want}, the largest GOMAXPROCS operand (0 if none is "
             f"positive), got {cw.max_gomaxprocs}")


@dataclass(frozen=True, eq=False)
class CompiledWorkload:
    """The flat arrays both engines read (docs/simulator-design.md §1).

    :meth:`Workload.compile` makes one; one built by hand is checked against
    every invariant the engines rely on, and refused with a ``ValueError``
    (a ``TypeError`` for non-integer data) naming the field, the row or pc
    and the allowed range:

    * ``entry[0] == 0`` and entries strictly increasing, so each program is a
      non-empty run of code and every pc lies in exactly one program; each
      program's last instruction is ``EXIT``;
    * opcodes are :class:`Opcode` values, and each operand is in range: a
      ``dists`` row for CPU/SYSCALL/SLEEP/NETWAIT, flags 0 or 1, a program
      and ``0 <= count <= 10**9`` for GO, a channel for SEND/RECV, a
      WaitGroup for WG_ADD/WG_WAIT (any int64 delta), ``1 <= bytes <= 2**40``
      for STACK, ``0 <= count <= 2**62`` for LOOP, ``n <= 4096`` for
      GOMAXPROCS, a ``dists`` row for LOOPDRAW, ``0 <= a <= 2**53`` and a
      forward jump within its program for CHOICE, a ``panic_messages``
      index for PANIC; unused operands are 0; ``max_gomaxprocs`` is the largest
      GOMAXPROCS operand (0 if none is positive);
    * every ``LOOP`` (or ``LOOPDRAW``) has its ``ENDLOOP`` later in the same program, properly
      nested, with a non-empty body: both carry the nesting depth in b,
      ``ENDLOOP``'s a is the pc after its ``LOOP``, ``LOOP``'s c the pc after
      its ``ENDLOOP``; ``SPAN_BEGIN``/``SPAN_END`` pairs nest the same way
      (a is a ``span_names`` index, equal in both; b the depth; the body
      may be empty); ``loop_depth[p]`` is the deepest nesting of loops and
      spans in program ``p`` (at most ``MAX_LOOP_DEPTH``);
    * ``dists`` rows are what :class:`~gmpcore.durations.Distribution`
      allows; ``0 <= chan_cap <= 2**31``; at most 10**7 channels, 10**7
      WaitGroups and ``MAX_INSTRUCTIONS`` instructions.

    The arrays are private read-only copies.  Copies and pickles are
    rebuilt through the constructor, so they are checked again.

    Attributes
    ----------
    code : ndarray of int64, shape (n, 4)
        One row ``(opcode, a, b, c)`` per instruction; see :class:`Opcode`.
    dists : ndarray of float64, shape (k, 3)
        ``(kind, p1, p2)`` per distinct distribution, in ns (§1.2).
    entry : ndarray of int64, shape (programs,)
        The first pc of each program; program 0 is main.
    chan_cap : ndarray of int64, shape (channels,)
        Each channel's buffer capacity.
    n_waitgroups : int
        Number of WaitGroups.
    loop_depth : ndarray of int64, shape (programs,)
        ``repeat`` nesting levels each program uses: the loop counters a
        goroutine running it needs.
    program_names : tuple of str
        ``"main"`` for program 0, the ``name=`` given to the others or ``""``.
    n_mutexes : int
        Number of ``sync.Mutex`` es (LOCK/UNLOCK's operand a is one), default 0.
    panic_messages : tuple of str
        The messages of :func:`panic` ops (PANIC's operand a is an index), default ().
    max_gomaxprocs : int
        The largest ``gomaxprocs(n)`` operand, 0 if none is positive: engines
        allocate their P arrays once for it.
    span_names : tuple of str
        The names of :func:`span` s, indexed by SPAN_BEGIN/SPAN_END's operand
        a (and by ``res.spans["name"]``), in order of first use; default ().
        SPAN_RECV_END's a and a SEND's b - 1 (b > 0) index it too.
    n_rwmutexes : int
        Number of ``sync.RWMutex`` es (RLOCK, RUNLOCK, RWLOCK, RWUNLOCK's a), default 0.
    n_conds : int
        Number of ``sync.Cond`` s (NOTIFY_ADD, NOTIFY_WAIT, NOTIFY's a), default 0.
    timers : ndarray of int64, shape (timers, 2)
        ``(kind, program)`` per timer (TIMER_RESET/STOP/RECV's operand a):
        kind 0 ``time.Timer``, 1 ``time.Ticker``, 2 ``AfterFunc`` whose
        goroutine runs ``program`` (-1 for the channel kinds); default none.
        A TIMER_RECV's timer, and a SELCASE's of kind 3, has a channel (kind 0 or 1).
    """

    code: np.ndarray
    dists: np.ndarray
    entry: np.ndarray
    chan_cap: np.ndarray
    n_waitgroups: int
    loop_depth: np.ndarray
    program_names: tuple = ()
    max_gomaxprocs: int = 0
    n_mutexes: int = 0
    panic_messages: tuple = ()
    span_names: tuple = ()
    n_rwmutexes: int = 0
    n_conds: int = 0
    timers: np.ndarray = None

    def __post_init__(self):
        set_ = object.__setattr__                 # frozen: assign once, here
        set_(self, "code", _frozen(self.code, "code", np.int64, 2, 4))
        set_(self, "dists", _frozen(self.dists, "dists", np.float64, 2, 3))
        set_(self, "entry", _frozen(self.entry, "entry", np.int64, 1))
        set_(self, "chan_cap", _frozen(self.chan_cap, "chan_cap", np.int64, 1))
        set_(self, "loop_depth", _frozen(self.loop_depth, "loop_depth", np.int64, 1))
        set_(self, "timers", _frozen(np.zeros((0, 2), np.int64) if self.timers is None
                                     else self.timers, "timers", np.int64, 2, 2))
        nwg = self.n_waitgroups
        if isinstance(nwg, (bool, np.bool_)) or not hasattr(nwg, "__index__"):
            raise TypeError(f"CompiledWorkload: n_waitgroups must be an int, "
                            f"got {type(nwg).__name__} {nwg!r}")
        set_(self, "n_waitgroups", operator.index(nwg))
        names = self.program_names
        if isinstance(names, str) or not hasattr(names, "__iter__"):
            raise TypeError(f"CompiledWorkload: program_names must be a sequence of str, "
                            f"got {type(names).__name__}")
        names = tuple(names) or ("",) * len(self.entry)
        set_(self, "program_names", names)
        mg = self.max_gomaxprocs
        if isinstance(mg, (bool, np.bool_)) or not hasattr(mg, "__index__"):
            raise TypeError(f"CompiledWorkload: max_gomaxprocs must be an int, "
                            f"got {type(mg).__name__} {mg!r}")
        set_(self, "max_gomaxprocs", operator.index(mg))
        nmu = self.n_mutexes
        if isinstance(nmu, (bool, np.bool_)) or not hasattr(nmu, "__index__"):
            raise TypeError(f"CompiledWorkload: n_mutexes must be an int, "
                            f"got {type(nmu).__name__} {nmu!r}")
        set_(self, "n_mutexes", operator.index(nmu))
        for fname in ("n_rwmutexes", "n_conds"):
            v = getattr(self, fname)
            if isinstance(v, (bool, np.bool_)) or not hasattr(v, "__index__"):
                raise TypeError(f"CompiledWorkload: {fname} must be an int, "
                                f"got {type(v).__name__} {v!r}")
            set_(self, fname, operator.index(v))
        msgs = self.panic_messages
        if isinstance(msgs, str) or not hasattr(msgs, "__iter__"):
            raise TypeError(f"CompiledWorkload: panic_messages must be a sequence of str, "
                            f"got {type(msgs).__name__}")
        set_(self, "panic_messages", tuple(msgs))
        spans = self.span_names
        if isinstance(spans, str) or not hasattr(spans, "__iter__"):
            raise TypeError(f"CompiledWorkload: span_names must be a sequence of str, "
                            f"got {type(spans).__name__}")
        spans = tuple(spans)
        for i, name in enumerate(spans):
            if not isinstance(name, str):
                raise TypeError(f"CompiledWorkload: span_names[{i}] must be a str, "
                                f"got {type(name).__name__} {name!r}")
        if len(spans) > MAX_SPAN_NAMES:
            _bad(f"span_names has {len(spans)} names; at most {MAX_SPAN_NAMES}")
        set_(self, "span_names", spans)
        _check_compiled(self)

    def __reduce__(self):
        # copy, deepcopy and pickle go through the constructor and its checks.
        return (CompiledWorkload, (self.code, self.dists, self.entry, self.chan_cap,
                                   self.n_waitgroups, self.loop_depth, self.program_names,
                                   self.max_gomaxprocs, self.n_mutexes, self.panic_messages,
                                   self.span_names, self.n_rwmutexes, self.n_conds, self.timers))

    @property
    def n_programs(self):
        """Number of programs (main included)."""
        return len(self.entry)

    def _dist_text(self, i):
        kind, p1, p2 = self.dists[i]
        if kind == CONSTANT:
            return format_duration(int(p1))
        return repr(Distribution(int(kind), int(p1), int(p2) if kind == 1 else float(p2)))

    def _program_text(self, i):
        name = self.program_names[i] if 0 <= i < len(self.program_names) else ""
        return f"{i} ({name})" if name else f"{i}"

    def disassemble(self):
        """A readable listing: a header per program, then one line per instruction.

        Examples
        --------
        >>> from gmpcore.durations import uniform
        >>> wl = Workload()
        >>> _ = wl.main(repeat(2, cpu(uniform("1us", "2us")), stack("8KiB")), gosched())
        >>> print(wl.compile().disassemble())
        program 0 (main):
          0  LOOP       count=2 depth=0 exit=4
          1  CPU        dist=0 (uniform(1µs, 2µs)) preemptible=1
          2  STACK      bytes=8192
          3  ENDLOOP    body=1 depth=0
          4  GOSCHED
          5  EXIT
        """
        starts = {int(pc): p for p, pc in enumerate(self.entry)}
        width = max(3, len(str(len(self.code) - 1)))
        lines = []
        for pc, (op, a, b, c) in enumerate(self.code.tolist()):
            if pc in starts:
                lines.append(f"program {self._program_text(starts[pc])}:")
            operands = self._operands(Opcode(op), a, b, c)
            lines.append(f"{pc:>{width}}  {Opcode(op).name:<10} {operands}".rstrip())
        return "\n".join(lines)

    def _operands(self, op, a, b, c):
        if op == Opcode.CPU:
            return f"dist={a} ({self._dist_text(a)}) preemptible={b}"
        if op == Opcode.SYSCALL:
            return f"dist={a} ({self._dist_text(a)}) blocking={b}"
        if op in (Opcode.SLEEP, Opcode.NETWAIT):
            return f"dist={a} ({self._dist_text(a)})"
        if op == Opcode.GO:
            return f"program={self._program_text(a)} count={b}"
        if op == Opcode.SEND and b:
            name = self.span_names[b - 1] if 0 < b <= len(self.span_names) else "?"
            return f"chan={a} span={b - 1} ({name})"
        if op in (Opcode.SEND, Opcode.RECV, Opcode.CLOSE):
            return f"chan={a}"
        if op in (Opcode.RLOCK, Opcode.RUNLOCK):
            return f"rw={a}"
        if op in (Opcode.RWLOCK, Opcode.RWUNLOCK):
            return f"rw={a} step={b}"
        if op in (Opcode.NOTIFY_ADD, Opcode.NOTIFY_WAIT):
            return f"cond={a}"
        if op == Opcode.NOTIFY:
            return f"cond={a} broadcast={b}"
        if op == Opcode.SPAN_RECV_END:
            name = self.span_names[a] if 0 <= a < len(self.span_names) else "?"
            return f"span={a} ({name})"
        if op == Opcode.RANGE:
            return f"chan={a} exit={c}"
        if op == Opcode.ENDRANGE:
            return f"range={a}"
        if op == Opcode.WG_ADD:
            return f"wg={a} delta={b}"
        if op == Opcode.WG_WAIT:
            return f"wg={a}"
        if op in (Opcode.LOCK, Opcode.UNLOCK):
            return f"mu={a}"
        if op == Opcode.TIMER_RESET:
            return f"timer={a} dist={b} ({self._dist_text(b)})"
        if op in (Opcode.TIMER_STOP, Opcode.TIMER_RECV):
            return f"timer={a}"
        if op == Opcode.AFTER:
            return f"dist={a} ({self._dist_text(a)})"
        if op == Opcode.LOOP:
            return f"count={a} depth={b} exit={c}"
        if op == Opcode.ENDLOOP:
            return f"body={a} depth={b}"
        if op == Opcode.GOMAXPROCS:
            return f"n={a}"
        if op in (Opcode.SPAN_BEGIN, Opcode.SPAN_END):
            name = self.span_names[a] if 0 <= a < len(self.span_names) else "?"
            return f"span={a} ({name}) depth={b}"
        if op == Opcode.STACK:
            return f"bytes={a}"
        if op == Opcode.SELECT:
            return f"cases={a} default={b} end={c}"
        if op == Opcode.SELCASE:
            kind = {SEL_RECV: "recv", SEL_SEND: "send", SEL_AFTER: "after"}.get(a, "?")
            if a == SEL_AFTER:
                return f"after dist={b} ({self._dist_text(b)}) body={c}"
            if a == SEL_RECV_TIMER:
                return f"recv timer={b} body={c}"
            return f"{kind} chan={b} body={c}"
        if op == Opcode.SELEND:
            return f"end={a}"
        return ""                                 # EXIT, GOSCHED, LOCKOSTHREAD, UNLOCKOSTHREAD
