"""Write a simulated run as a Go execution trace (``go tool trace`` opens it).

The format is the one Go 1.26 and later write (header ``go 1.26 trace``),
restated from Go's ``internal/trace/tracev2`` specification and the
parser's validation in ``internal/trace/order.go``:

* a 16-byte header, then one *generation*: batches of events, each batch
  ``EventBatch gen m time size`` followed by `size` bytes, and a final
  ``EndOfGeneration`` byte;
* a Sync batch (``Frequency`` 1e9, so one tick is one virtual ns, and a
  ``ClockSnapshot``), a Strings batch (block reasons, span and program
  names), a Stacks batch (one single-frame stack per program, so
  ``go tool trace``'s goroutine view groups goroutines by program);
* per M, batches of at most 64 KiB of timed events: the event type byte,
  the time since the batch's previous event (uvarint) and the arguments
  (uvarints).

The event log (:mod:`gmpcore.events`) is walked once, in time order, while a
small model of what Go's parser tracks (each M's P and G, each P's status
and sequence number, each G's status and sequence number) decides which
trace events each row becomes:

==========================  =================================================
log row                     trace events (on the row's M)
==========================  =================================================
``create``                  ``GoCreate`` on the M holding the P
``run``                     ``ProcStart`` if the M does not hold the P yet,
                            ``GoStart`` (the G's sequence number + 1)
``stop`` exit/park/yield    ``GoDestroy`` / ``GoBlock`` with the reason of
                            the ``wait`` row that follows / ``GoStop``
``syscall_enter``           ``GoSyscallBegin`` (the P's sequence number + 1)
``syscall_exit`` fast       ``GoSyscallEnd``; if the P was taken meanwhile,
                            ``ProcStart``, ``GoSyscallEndBlocked``, ``GoStart``
``syscall_exit`` slow       ``GoSyscallEndBlocked`` (the G becomes runnable)
``handoff``                 sysmon's retake: ``ProcSteal`` on sysmon's M
                            (M1); a known-blocking syscall: ``ProcStop`` on
                            the syscalling M (Go's ``releasep``)
``ready``                   ``GoUnblock`` on the readying M
``m_park``                  ``ProcStop`` if the M still holds a P
``stw_start``/``stw_done``  ``STWBegin "GOMAXPROCS"`` / ``STWEnd``
``procs``                   ``ProcsChange``
spans (``gmp.span``)        ``UserRegionBegin``/``End``; a span carried
                            through a channel becomes a task:
                            ``UserTaskBegin`` on the sender,
                            ``UserTaskEnd`` on the receiver
==========================  =================================================

Ps are announced with ``ProcStatus`` when first used (P0 running on M0 and
the others idle at time 0; Ps added by ``gomaxprocs(n)`` when first
started).  An M takes a P (``ProcStart``) lazily, at its first row that
shows it holding the P (a spin, a steal, a run), and gives it back
(``ProcStop``) when it parks.

Block reasons are the strings a real Go trace carries, Go's
``traceBlockReason`` (``"sync"`` for a Mutex or WaitGroup, ``"network"``
for I/O wait; :data:`BLOCK_REASONS`), not the ``waitReason`` strings of
:data:`gmpcore.events.WAIT_REASONS`, so a simulated trace and a real one
read the same way.

Go's parser bumps equal timestamps apart by 1 ns, so events the simulation
logged in the same nanosecond may read back a few ns apart; ticks are virtual
ns plus :data:`TIME_OFFSET`.
"""

import os

from gmpcore.events import (
    EV_CREATE,
    EV_HANDOFF,
    EV_M_PARK,
    EV_M_WAKE,
    EV_NETPOLL,
    EV_PROCS,
    EV_READY,
    EV_RUN,
    EV_SPIN,
    EV_STEAL,
    EV_STOP,
    EV_STW_DONE,
    EV_STW_START,
    EV_SYSCALL_ENTER,
    EV_SYSCALL_EXIT,
    EV_THREAD_CREATE,
    EV_WAIT,
    STOP_EXIT,
    STOP_GOSCHED,
    STOP_PARK,
    STOP_PREEMPT,
    STW_REASONS,
    WAIT_REASONS,
)

#: The trace format version written (Go 1.26's; Go 1.26 and 1.27 read it).
VERSION = 26
HEADER = b"go 1.%d trace\x00\x00\x00" % VERSION

# Event types (tracev2/events.go), by their position in Go's table.
EvEventBatch, EvStacks, EvStack, EvStrings, EvString = 1, 2, 3, 4, 5
EvFrequency = 8
EvProcsChange, EvProcStart, EvProcStop, EvProcSteal, EvProcStatus = 9, 10, 11, 12, 13
EvGoCreate, EvGoStart, EvGoDestroy = 14, 16, 17
EvGoStop, EvGoBlock, EvGoUnblock = 19, 20, 21
EvGoSyscallBegin, EvGoSyscallEnd, EvGoSyscallEndBlocked = 22, 23, 24
EvSTWBegin, EvSTWEnd = 26, 27
EvUserTaskBegin, EvUserTaskEnd, EvUserRegionBegin, EvUserRegionEnd = 40, 41, 42, 43
EvSync, EvClockSnapshot, EvEndOfGeneration = 50, 51, 52

# ProcStatus values (tracev2.ProcStatus).
PROC_RUNNING, PROC_IDLE, PROC_SYSCALL = 1, 2, 3
# Our model's G states (trace-side): what Go's parser tracks per goroutine.
_RUNNABLE, _RUNNING, _SYSCALL, _WAITING, _DEAD = 1, 2, 3, 4, 6

#: Go's traceBlockReason string for each of our wait reasons (index as WAIT_REASONS).
BLOCK_REASONS = ("unspecified", "chan receive", "chan send", "sleep", "network", "sync",
                 "preempted", "unspecified", "sync", "sync", "select", "forever", "sync",
                 "sync", "sync.(*Cond).Wait",
                 # the runtime's goroutines (runtime_init): bgsweep, bgscavenge,
                 # runfinq, forcegchelper, the GOMAXPROCS updater
                 "GC background sweeper wait", "system goroutine wait", "system goroutine wait",
                 "system goroutine wait", "system goroutine wait")
assert len(BLOCK_REASONS) == len(WAIT_REASONS)
#: Go's traceGoStopReason strings, for a G that yields (Gosched) or is preempted.
STOP_GOSCHED_REASON, STOP_PREEMPTED_REASON = "runtime.Gosched", "preempted"

_CHUNK = 1 << 16               # log rows turned into Python ints at a time
MAX_BATCH = 64 << 10           # tracev2.MaxBatchSize
_FLUSH_AT = MAX_BATCH - 256    # a batch is written once it holds this much
_MAX_STRING = 1 << 10          # tracev2.MaxEventTrailerDataSize
NO_THREAD = (1 << 64) - 1      # the M of the structural batches (Go's ^uint64(0))
SYSMON_M = 1                   # sysmon's thread in the simulator (simulator-design.md §3)
_PC_BASE = 0x401000            # made-up PCs of the programs' one-frame stacks
#: Trace ticks are virtual ns plus this: Go's parser takes a batch time of 0
#: for "unset", so the run's time 0 is written as tick 1.
TIME_OFFSET = 1


def _uvarint(out, v):
    """Append `v` (>= 0) to bytearray `out` as a base-128 varint."""
    if v < 0x200000:            # three bytes or fewer: the common large value (a goid)
        if v < 0x4000:
            out += bytes(((v & 0x7F) | 0x80, v >> 7)) if v >= 0x80 else bytes((v,))
        else:
            out += bytes(((v & 0x7F) | 0x80, ((v >> 7) & 0x7F) | 0x80, v >> 14))
        return
    while v >= 0x80:
        out.append((v & 0x7F) | 0x80)
        v >>= 7
    out.append(v)


def _uvarint_bytes(v):
    out = bytearray()
    _uvarint(out, v)
    return bytes(out)


_SMALL = 1 << 16
_VARINTS = []                  # _VARINTS[v]: v's varint bytes, for v < _SMALL (built once)


def _varints():
    if not _VARINTS:
        _VARINTS.extend(_uvarint_bytes(v) for v in range(_SMALL))
    return _VARINTS


class _Batches:
    """One open batch per M; a full batch goes to the file at once (streaming)."""

    __slots__ = ("bytes_written", "counts", "f", "gen", "state", "varints")

    def __init__(self, f, gen):
        self.f = f
        self.gen = gen
        self.state = {}         # m -> [open batch (bytearray or None), its base time, last time]
        self.bytes_written = 0
        self.counts = [0] * 256  # events written per type
        self.varints = _varints()

    def event(self, m, t, typ, *args):
        t += TIME_OFFSET
        st = self.state.get(m)
        if st is None:
            st = self.state[m] = [None, 0, 0]
        buf, _, last = st
        t = max(t, last)        # a delayed region point: never back in time
        if buf is None:
            buf = st[0] = bytearray()
            st[1] = last = t
        v = self.varints
        d = t - last
        buf.append(typ)
        if d < _SMALL:
            buf += v[d]
        else:
            _uvarint(buf, d)
        for a in args:
            if a < _SMALL:
                buf += v[a]
            else:
                _uvarint(buf, a)
        st[2] = t
        self.counts[typ] += 1
        if len(buf) >= _FLUSH_AT:
            self.flush(m)

    def flush(self, m):
        st = self.state.get(m)
        if st is not None and st[0]:
            self.write_batch(m, st[1], bytes(st[0]))
            st[0] = None

    def flush_all(self):
        for m in list(self.state):
            self.flush(m)

    def write_batch(self, m, t, data):
        head = bytearray([EvEventBatch])
        for v in (self.gen, m, t, len(data)):
            _uvarint(head, v)
        self.f.write(head)
        self.f.write(data)
        self.bytes_written += len(head) + len(data)


class _Writer:
    """The walk over the event log: Go's parser state, mirrored, and the events."""

    def __init__(self, res, out, strings, program_stack, block_reasons=BLOCK_REASONS):
        self.res = res
        self.block_reasons = block_reasons  # string per WAIT_REASONS index
        self.out = out
        self.strings = strings              # str -> id
        self.program_stack = program_stack  # program index -> stack id
        self.goid = res.goroutines["goid"].tolist()
        self.program = res.goroutines["program"].tolist()
        n = len(self.goid)
        self.g_status = [0] * n
        self.g_seq = [0] * n
        self.g_m = [-1] * n
        self.m_p = {}           # m -> P it holds (trace-side), absent if none
        self.m_g = {}           # m -> G index bound to it (running or in a syscall)
        self.p_status = {}      # p -> PROC_* (absent: not yet announced)
        self.p_m = {}           # p -> M holding it
        self.p_seq = {}
        self.m_last = {}        # m -> time of its latest row in the log
        self.p_next = {}        # p -> the M startm/newm last handed it to
        self.repair_times = []  # when the first repairs happened (virtual ns)
        self.repairs = 0        # rows the model had to patch up (0 for a consistent log)
        self.regions = None     # pending user-region/task points, set by _plan_regions
        self._due, self._due_i = [], 0

    # ---------------------------------------------------------- Ps

    def announce(self, m, t, p, status):
        self.out.event(m, t, EvProcStatus, p, status)
        self.p_status[p] = status
        self.p_seq[p] = 0
        if status != PROC_IDLE:
            self.p_m[p] = m
            self.m_p[m] = p

    def proc_stop(self, m, t):
        p = self.m_p.pop(m)
        self.out.event(m, t, EvProcStop)
        self.p_status[p] = PROC_IDLE
        self.p_m.pop(p, None)

    def proc_steal(self, m, t, p):
        """M `m` takes P `p` out of its holder's system call."""
        victim = self.p_m.pop(p)
        self.p_seq[p] += 1
        self.out.event(m, t, EvProcSteal, p, self.p_seq[p], victim)
        self.p_status[p] = PROC_IDLE
        self.m_p.pop(victim, None)

    def let_go(self, holder, t):
        """The P's holder gave it up without a row of its own.

        findRunnable releases its P before it blocks in netpoll (releasep,
        then stopm or the poll), which the log shows only as the spin ending:
        the ProcStop goes at the holder's last row.  A holder still running
        a G cannot have let go: a repair.
        """
        if self.m_g.get(holder) is None:
            self.proc_stop(holder, min(t, self.m_last.get(holder, t)))
        else:
            self._repair(t)
            self.proc_stop(holder, t)

    def ensure_p(self, m, t, p):
        """Make M `m` hold P `p` (running), with ProcStop/ProcSteal/ProcStart as needed."""
        if self.p_next.get(p) == m:             # the M takes the P it was handed
            del self.p_next[p]
        if self.m_p.get(m) == p:
            return
        if m in self.m_p:                       # it held another P: give that back
            if self.p_status[self.m_p[m]] == PROC_SYSCALL:
                self.proc_steal(m, t, self.m_p[m])
            else:
                self.proc_stop(m, t)
        status = self.p_status.get(p)
        if status is None:
            self.announce(m, t, p, PROC_IDLE)
        elif status == PROC_SYSCALL:
            self.proc_steal(m, t, p)
        elif status == PROC_RUNNING:
            self.let_go(self.p_m[p], t)
        self.p_seq[p] += 1
        self.out.event(m, t, EvProcStart, p, self.p_seq[p])
        self.p_status[p] = PROC_RUNNING
        self.p_m[p] = m
        self.m_p[m] = p

    # ---------------------------------------------------------- Gs

    def _repair(self, t):
        """Count a log row the model had to patch up (the first few times kept)."""
        self.repairs += 1
        if len(self.repair_times) < 20:
            self.repair_times.append(t)

    def go_start(self, m, t, g):
        cur = self.m_g.get(m)
        if cur is not None:                     # a G the log never stopped
            self._repair(t)
            self.go_stop_exec(m, t, cur, EvGoStop, self.strings[STOP_GOSCHED_REASON])
        if self.g_status[g] == _WAITING:        # readied without a ready row
            self._repair(t)
            self.unblock(m, t, g)
        elif self.g_status[g] != _RUNNABLE:
            self._repair(t)
            other = self.g_m[g]
            if other >= 0 and self.m_g.get(other) == g:
                self.go_stop_exec(other, t, g, EvGoStop, self.strings[STOP_GOSCHED_REASON])
        self.g_seq[g] += 1
        self.out.event(m, t, EvGoStart, self.goid[g], self.g_seq[g])
        self.g_status[g] = _RUNNING
        self.g_m[g] = m
        self.m_g[m] = g
        self.flush_regions(t, g)

    def go_stop_exec(self, m, t, g, typ, reason=None):
        self.flush_regions(t, g)
        if typ == EvGoDestroy:
            self.out.event(m, t, typ)
            self.g_status[g] = _DEAD
        else:
            self.out.event(m, t, typ, reason, self.stack_of(g))
            self.g_status[g] = _RUNNABLE if typ == EvGoStop else _WAITING
        self.g_m[g] = -1
        self.m_g.pop(m, None)

    def stack_of(self, g):
        """G `g`'s stack: its program's one frame (0, none, for a program without)."""
        return self.program_stack.get(self.program[g], 0)

    def current_stack(self, m):
        """The stack of the G running on M `m` (the one doing an unblock or a
        create, as Go records it), or 0 when the M runs none."""
        cur = self.m_g.get(m)
        return self.stack_of(cur) if cur is not None and self.g_status[cur] == _RUNNING else 0

    def unblock(self, m, t, g):
        self.g_seq[g] += 1
        self.out.event(m, t, EvGoUnblock, self.goid[g], self.g_seq[g], self.current_stack(m))
        self.g_status[g] = _RUNNABLE

    def running_on(self, m, g):
        """Whether the trace has G `g` running on M `m` (with a P)."""
        return self.m_g.get(m) == g and self.g_status[g] == _RUNNING and m in self.m_p

    # ---------------------------------------------------------- spans

    def flush_regions(self, t, g):
        """Write G `g`'s pending region points up to time `t` (it is running)."""
        pending = self.regions.get(g) if self.regions else None
        if not pending:
            return
        m = self.g_m[g]
        if m < 0 or self.m_g.get(m) != g or m not in self.m_p:
            return
        i = 0
        while i < len(pending) and pending[i][0] <= t:
            pt, typ, args = pending[i]
            self.out.event(m, pt, typ, *args)
            i += 1
        del pending[:i]

    # ---------------------------------------------------------- the walk

    def run(self):
        ev = self.res.events
        s = self.strings
        reasons = [s[r] for r in self.block_reasons]
        gosched, preempted = s[STOP_GOSCHED_REASON], s[STOP_PREEMPTED_REASON]
        nprocs0 = self.res.gomaxprocs
        total = len(ev)
        t0 = int(ev["time"][0]) if total else 0
        # Generation start: P0 runs on M0 (main's creator), the other Ps idle.
        self.announce(0, t0, 0, PROC_RUNNING)
        for p in range(1, nprocs0):
            self.announce(0, t0, p, PROC_IDLE)
        m_last = self.m_last
        prev_kind, prev_m, prev_t = -1, -1, -1
        due = self._region_clock() if self.regions else []
        for c0 in range(0, total, _CHUNK):     # the log as Python ints, a chunk at a time
            seg = ev[c0:c0 + _CHUNK + 1]       # and one row more: a park's wait row
            times, kinds = seg["time"].tolist(), seg["kind"].tolist()
            ms, ps, gs, args = (seg["m"].tolist(), seg["p"].tolist(), seg["g"].tolist(),
                                seg["arg"].tolist())
            n = len(times)
            for i in range(min(_CHUNK, total - c0)):
                t, kind, m, p, g, arg = times[i], kinds[i], ms[i], ps[i], gs[i], args[i]
                self._row(i, t, kind, m, p, g, arg, n, kinds, gs, args, c0 + i == 0,
                          prev_kind, prev_m, prev_t, due, reasons, gosched, preempted)
                prev_kind, prev_m, prev_t = kind, m, t
                if m >= 0:
                    m_last[m] = t
        if due:
            self._flush_due(None)
        return self.repairs

    def _row(self, i, t, kind, m, p, g, arg, n, kinds, gs, args, first,
             prev_kind, prev_m, prev_t, due, reasons, gosched, preempted):
        """Translate one log row (see the module's table)."""
        out, s = self.out, self.strings
        if self._due_i < len(due) and due[self._due_i][0] < t:
            self._flush_due(t)
        if kind == EV_RUN:
            self.ensure_p(m, t, p)
            self.go_start(m, t, g)
        elif kind == EV_STOP:
            if arg == STOP_PARK or arg == STOP_EXIT or arg == STOP_GOSCHED \
                    or arg == STOP_PREEMPT:
                if not self.running_on(m, g):
                    self._repair(t)
                    return
                if arg == STOP_EXIT:
                    self.go_stop_exec(m, t, g, EvGoDestroy)
                elif arg == STOP_PARK:
                    reason = reasons[0]
                    if i + 1 < n and kinds[i + 1] == EV_WAIT and gs[i + 1] == g:
                        reason = reasons[args[i + 1]]
                    self.go_stop_exec(m, t, g, EvGoBlock, reason)
                else:
                    self.go_stop_exec(m, t, g, EvGoStop,
                                      gosched if arg == STOP_GOSCHED else preempted)
            # STOP_SYSCALL: the G stays on its M; syscall_enter follows
        elif kind == EV_CREATE:
            creator = self.p_m.get(p) if self.p_status.get(p) == PROC_RUNNING else None
            borrowed = False
            if creator is None:
                # Main at time 0 on M0; a timer's goroutine, by the M P p was just
                # handed to (it runs the timers as it starts); a goroutine the
                # runtime starts on an idle P (GOMAXPROCS's updater), by sysmon's
                # thread holding the P for the instant (GoCreate needs a P).
                creator = 0 if first else self.p_next.get(p)
                if creator is None and self.p_status.get(p, PROC_IDLE) == PROC_IDLE \
                        and SYSMON_M not in self.m_p:
                    creator, borrowed = SYSMON_M, True
                if creator is None:
                    self._repair(t)
                    creator = self._any_m_without_p()
                self.ensure_p(creator, t, p)
            cur = self.m_g.get(creator)
            if cur is not None and self.g_status[cur] != _RUNNING:
                self._repair(t)           # Go wants a running creator, or none
                return
            out.event(creator, t, EvGoCreate, self.goid[g], self.stack_of(g),
                      self.current_stack(creator))
            self.g_status[g] = _RUNNABLE
            self.g_seq[g] = 0
            if borrowed:
                self.proc_stop(creator, t)
        elif kind == EV_READY:
            if self.g_status[g] == _WAITING:
                who = m if m >= 0 else self.p_m.get(p, SYSMON_M)
                self.unblock(who, t, g)
        elif kind == EV_SYSCALL_ENTER:
            if not self.running_on(m, g):
                self._repair(t)
                return
            self.flush_regions(t, g)
            q = self.m_p[m]
            self.p_seq[q] += 1
            out.event(m, t, EvGoSyscallBegin, self.p_seq[q], self.stack_of(g))
            self.p_status[q] = PROC_SYSCALL
            self.g_status[g] = _SYSCALL
        elif kind == EV_SYSCALL_EXIT:
            self.syscall_exit(m, t, p, g, arg)
        elif kind == EV_HANDOFF:
            status = self.p_status.get(p)
            holder = self.p_m.get(p)
            if status == PROC_SYSCALL:
                if prev_kind == EV_SYSCALL_ENTER and prev_m == holder and prev_t == t:
                    self.proc_stop(holder, t)       # entersyscallblock's releasep
                else:
                    self.proc_steal(SYSMON_M, t, p)  # sysmon's retake
            elif status == PROC_RUNNING and holder is not None:
                self.proc_stop(holder, t)           # handoffp(releasep()) of a locked M
        elif kind == EV_SPIN or kind == EV_STEAL or kind == EV_NETPOLL:
            if m >= 0 and p >= 0:
                self.ensure_p(m, t, p)
        elif kind == EV_M_WAKE or kind == EV_THREAD_CREATE:
            # startm/newm hand P p to M m: whoever held it let go (releasep in
            # findRunnable before a blocking netpoll leaves no row of its own).
            if p >= 0:
                self.p_next[p] = m
            holder = self.p_m.get(p) if p >= 0 else None
            if holder is not None and holder != m and self.m_g.get(holder) is None \
                    and self.p_status[p] == PROC_RUNNING:
                self.let_go(holder, t)
        elif kind == EV_M_PARK:
            if m in self.m_p and self.m_g.get(m) is None:
                self.proc_stop(m, t)
            for q in [q for q, handed in self.p_next.items() if handed == m]:
                del self.p_next[q]
        elif kind == EV_STW_START:
            if self.running_on(m, g):
                self.flush_regions(t, g)
                out.event(m, t, EvSTWBegin, s[STW_REASONS.get(arg, "unknown")], 0)
            else:
                self._repair(t)
        elif kind == EV_PROCS:
            cur = self.m_g.get(m)
            if cur is not None and self.running_on(m, cur):
                out.event(m, t, EvProcsChange, arg, 0)
            else:
                self._repair(t)
        elif kind == EV_STW_DONE:
            if self.running_on(m, g):
                if self.m_p[m] != p and p >= 0:  # procresize moved the caller to P0
                    self.go_stop_exec(m, t, g, EvGoStop, gosched)
                    self.ensure_p(m, t, p)
                    self.go_start(m, t, g)
                out.event(m, t, EvSTWEnd)
            else:
                self._repair(t)

    def _any_m_without_p(self):
        m = 0
        while m in self.m_p:
            m += 1
        return m

    def syscall_exit(self, m, t, p, g, arg):
        if self.m_g.get(m) != g or self.g_status[g] != _SYSCALL:
            self._repair(t)
            return
        out = self.out
        own = self.m_p.get(m)
        if arg == 0 and own == p and self.p_status[p] == PROC_SYSCALL:
            out.event(m, t, EvGoSyscallEnd)               # fast path, P kept
            self.p_status[p] = PROC_RUNNING
            self.g_status[g] = _RUNNING
            return
        if own is not None:                                # lose it first (Go: ProcSteal of
            if self.p_status[own] == PROC_SYSCALL:         # a P "trashed" by syscalltick)
                self.proc_steal(m, t, own)
            else:
                self.proc_stop(m, t)
        if arg in (0, 1) and p >= 0:                       # another P, or ours back
            self.ensure_p(m, t, p)
            out.event(m, t, EvGoSyscallEndBlocked)
            self.g_status[g] = _RUNNABLE
            self.m_g.pop(m, None)
            self.go_start(m, t, g)
        else:                                              # slow path: runnable, no P
            out.event(m, t, EvGoSyscallEndBlocked)
            self.g_status[g] = _RUNNABLE
            self.g_m[g] = -1
            self.m_g.pop(m, None)

    # ---------------------------------------------------------- region plan

    def _region_clock(self):
        """All pending points in time order, as one list (its head is the next due)."""
        points = []
        for g, pending in self.regions.items():
            for pt, _, _ in pending:
                points.append((pt, g))
        points.sort()
        self._due = points
        return points

    def _flush_due(self, t):
        """Write the region points due strictly before `t` (all when None)."""
        due, i = self._due, self._due_i
        while i < len(due) and (t is None or due[i][0] < t):
            pt, g = due[i]
            self.flush_regions(pt, g)
            i += 1
        self._due_i = i


def _plan_regions(res, strings, stack_of):
    """Per G, its span points in the order they must be written.

    A span that began and ended on one goroutine is a user region (task 0,
    the background task); a span carried through a channel (``start_goid``
    differs from ``goid``) is a task, begun on the sender and ended on the
    receiver.  Regions of one goroutine nest, so at equal times an end that
    closes the innermost open region goes first.
    """
    spans = res.spans
    if spans is None or not len(spans):
        return {}
    row_of_goid = {gid: g for g, gid in enumerate(res.goroutines["goid"].tolist())}
    names = [strings[n] for n in res.span_names]
    per_g = {}
    task = 0
    for row, (name, goid, start, end, start_goid) in enumerate(spans.tolist()):
        sid = names[name]
        g = row_of_goid.get(goid)
        if g is None:
            continue
        if start_goid == goid:
            per_g.setdefault(g, []).append((start, end, row, sid))
        else:
            src = row_of_goid.get(start_goid)
            if src is None:
                continue
            task += 1
            per_g.setdefault(("task", src), []).append(
                (start, EvUserTaskBegin, (task, 0, sid, stack_of(src))))
            per_g.setdefault(("task", g), []).append((end, EvUserTaskEnd, (task, stack_of(g))))
    plan = {}
    for key, items in per_g.items():
        if isinstance(key, tuple):
            continue
        plan[key] = _nest(items, stack_of(key))
    for key, items in per_g.items():
        if isinstance(key, tuple):
            g = key[1]
            merged = plan.get(g, []) + items
            merged.sort(key=lambda x: x[0])      # stable: regions keep their order
            plan[g] = merged
    return plan


def _nest(items, stack_id):
    """Region begin/end points of one G in a stack-consistent order."""
    begins = sorted(items, key=lambda x: (x[0], -x[1], -x[2]))   # outer first at a tie
    ends = sorted(items, key=lambda x: (x[1], x[2]))             # the order they ended
    out, stack, bi, ei = [], [], 0, 0
    while bi < len(begins) or ei < len(ends):
        if ei < len(ends) and (bi >= len(begins) or ends[ei][1] < begins[bi][0]
                               or (ends[ei][1] == begins[bi][0] and stack
                                   and stack[-1] == ends[ei][2])):
            start, end, row, sid = ends[ei]
            ei += 1
            if stack and stack[-1] == row:
                stack.pop()
                out.append((end, EvUserRegionEnd, (0, sid, stack_id)))
            elif row in stack:                    # not innermost: drop its end
                stack.remove(row)
            continue
        start, end, row, sid = begins[bi]
        bi += 1
        stack.append(row)
        out.append((start, EvUserRegionBegin, (0, sid, stack_id)))
    return out


def _string_table(res, block_reasons):
    table = {}

    def add(s):
        if s not in table:
            table[s] = len(table) + 1
    for s in block_reasons + (STOP_GOSCHED_REASON, STOP_PREEMPTED_REASON, "unknown"):
        add(s)
    for s in STW_REASONS.values():
        add(s)
    for s in res.span_names:
        add(s)
    return table, add


def _structural_batch(kind, entries):
    """Strings or Stacks batches: `entries` are encoded items; split at 64 KiB."""
    batches, cur = [], bytearray([kind])
    for item in entries:
        if len(cur) + len(item) > _FLUSH_AT:
            batches.append(bytes(cur))
            cur = bytearray([kind])
        cur += item
    if len(cur) > 1:
        batches.append(bytes(cur))
    return batches


def write_go_trace(res, path, reasons="go"):
    """Write `res` as a Go execution trace that ``go tool trace`` opens.

    Parameters
    ----------
    res : Result
        A whole run simulated with ``record_events=True`` (and the per-G
        records, the default).
    path : str or os.PathLike
        The file to write (conventionally ``.trace`` or ``.out``).
    reasons : {"go", "wait"}
        The block reasons written: ``"go"`` (default) the strings a real Go
        trace carries (:data:`BLOCK_REASONS`: ``"sync"`` for a Mutex and a
        WaitGroup alike); ``"wait"`` the finer ``waitReason`` strings of
        :data:`gmpcore.events.WAIT_REASONS` (``"sync.Mutex.Lock"``,
        ``"sync.WaitGroup.Wait"``), which a reader of the file can map back
        exactly.

    Returns
    -------
    dict
        ``{"bytes": file size, "events": trace events written, "by_type":
        {event name: count}, "repairs": log rows the writer had to patch up
        to keep Go's parser's invariants (0 for a whole run's log),
        "repair_times": the virtual times of the first 20 of them}``.

    Examples
    --------
    >>> import os, tempfile
    >>> import gmpcore as gmp
    >>> from gmpcore.scenarios import fanout
    >>> res = gmp.simulate(fanout(n=20, work="5us"), gomaxprocs=2, seed=1, record_events=True)
    >>> f = os.path.join(tempfile.mkdtemp(), "run.trace")
    >>> info = write_go_trace(res, f)
    >>> open(f, "rb").read(16)
    b'go 1.26 trace\\x00\\x00\\x00'
    >>> info["by_type"]["GoCreate"], info["by_type"]["GoDestroy"], info["repairs"]
    (26, 21, 0)

    (Main, its 20 workers and the runtime's five, which park for good.)
    """
    if reasons not in ("go", "wait"):
        raise ValueError(f"to_go_trace: reasons must be 'go' or 'wait', got {reasons!r}")
    if res.events is None:
        raise ValueError("to_go_trace needs the event log: simulate(..., record_events=True)")
    res.require_goroutines("to_go_trace")
    if res.trace_window is not None:
        raise ValueError("to_go_trace needs the whole run's event log; this one was "
                         f"recorded with trace_window={tuple(res.trace_window)}")
    block_reasons = BLOCK_REASONS if reasons == "go" else ("unspecified",) + WAIT_REASONS[1:]
    strings, add = _string_table(res, block_reasons)
    names = list(res.program_names) or ["main"]
    program_stack, frames = {}, []
    for i, name in enumerate(names):
        # Go's names, as the leak report gives them: main.main, main.<name>,
        # main.main.func<k> for an unnamed program; a runtime one keeps its own.
        func = ("main.main" if i == 0 else name if "." in name else
                f"main.{name}" if name else f"main.main.func{i}")
        add(func)
        program_stack[i] = i + 1
        frames.append((i + 1, _PC_BASE + 16 * i, strings[func]))
    add("gmpcore.workload")
    file_id = strings["gmpcore.workload"]
    programs = res.goroutines["program"].tolist()
    regions = _plan_regions(res, strings, lambda g: program_stack.get(programs[g], 0))

    string_items = []
    for s, sid in strings.items():
        data = s.encode()[:_MAX_STRING]
        string_items.append(bytes([EvString]) + _uvarint_bytes(sid)
                            + _uvarint_bytes(len(data)) + data)
    stack_items = []
    for sid, pc, func in frames:
        item = bytearray([EvStack])
        for v in (sid, 1, pc, func, file_id, 1):
            _uvarint(item, v)
        stack_items.append(bytes(item))

    gen = 1
    t0 = (int(res.events["time"][0]) if len(res.events) else 0) + TIME_OFFSET
    with open(os.fspath(path), "wb") as f:
        f.write(HEADER)
        out = _Batches(f, gen)
        sync = bytearray([EvSync, EvFrequency])
        _uvarint(sync, 1_000_000_000)                      # ticks per second: 1 tick = 1 ns
        sync.append(EvClockSnapshot)
        for v in (0, t0, 0, 0):                            # dt, mono, wall sec, wall nsec
            _uvarint(sync, v)
        out.write_batch(NO_THREAD, t0, bytes(sync))
        for data in _structural_batch(EvStrings, string_items):
            out.write_batch(NO_THREAD, t0, data)
        for data in _structural_batch(EvStacks, stack_items):
            out.write_batch(NO_THREAD, t0, data)
        w = _Writer(res, out, strings, program_stack, block_reasons)
        w.regions = regions
        repairs = w.run()
        repair_times = w.repair_times
        out.flush_all()
        f.write(bytes([EvEndOfGeneration]))
        size = out.bytes_written + len(HEADER) + 1
    by_type = {_EVENT_NAMES[k]: v for k, v in enumerate(out.counts) if v}
    return {"bytes": size, "events": sum(out.counts), "by_type": by_type,
            "repairs": repairs, "repair_times": repair_times}


_EVENT_NAMES = {
    EvProcsChange: "ProcsChange", EvProcStart: "ProcStart", EvProcStop: "ProcStop",
    EvProcSteal: "ProcSteal", EvProcStatus: "ProcStatus", EvGoCreate: "GoCreate",
    EvGoStart: "GoStart", EvGoDestroy: "GoDestroy", EvGoStop: "GoStop", EvGoBlock: "GoBlock",
    EvGoUnblock: "GoUnblock", EvGoSyscallBegin: "GoSyscallBegin",
    EvGoSyscallEnd: "GoSyscallEnd", EvGoSyscallEndBlocked: "GoSyscallEndBlocked",
    EvSTWBegin: "STWBegin", EvSTWEnd: "STWEnd", EvUserTaskBegin: "UserTaskBegin",
    EvUserTaskEnd: "UserTaskEnd", EvUserRegionBegin: "UserRegionBegin",
    EvUserRegionEnd: "UserRegionEnd",
}
