"""Reading a Go execution trace: generations, tables, ordering, validation.

Restates Go's internal/trace reader (reader.go, generation.go, batch.go):

- The file is ``go 1.NN trace\\x00\\x00\\x00`` followed by batches.  Each
  batch belongs to one *generation*; a generation's batches carry its own
  string table, stack table, CPU samples, a sync batch (the timestamp
  frequency and, from Go 1.25, a clock snapshot) and per-M event batches.
  Go 1.26 ends each generation with an EndOfGeneration byte; before, a
  generation ends where a batch of the next one appears.
- One generation is read, validated and ordered at a time (memory grows
  with the output arrays, not with the file: the file itself is mapped).
- Events of each M are in time order in its batches; across Ms, Go's
  ordering state machines (``_wire.Orderer``) decide which M's next event
  can happen next, so that e.g. a goroutine's GoUnblock comes after its
  GoBlock even if the clocks of two CPUs disagree.
"""

import contextlib
import mmap
import os
import re
from typing import NamedTuple

import numpy as np

from gmpcore.errors import GoTraceError
from gmpcore.gotrace import _wire
from gmpcore.gotrace.events import EV, SPECS, VERSIONS

class Frame(NamedTuple):
    """One frame of a stack: innermost first in :attr:`GoTrace.stacks`."""

    function: str
    file: str
    line: int
    pc: int


_HEADER = re.compile(rb"go 1\.(\d+) trace\x00\x00\x00")
_MAX_STRING = 1 << 10
_MAX_FRAMES = 128

#: Argument count (time delta included) of each timed wire type; 0 otherwise.
_NARGS = np.array([len(s.args) if s.timed else 0 for s in SPECS], np.uint8)

#: dtype of :attr:`GoTrace.events`.
EVENT_DTYPE = np.dtype([
    ("time_ns", np.int64),     # since the trace's first Sync event
    ("kind", np.uint8),        # wire type (events.SPECS); 0 is Sync
    ("g", np.int64),           # goroutine running on the thread (-1: none)
    ("p", np.int64),           # P held by the thread (-1: none)
    ("m", np.int64),           # thread (-1: none)
    ("target", np.int64),      # the goroutine or P a transition acts on (-1)
    ("from_state", np.int8),   # its state before (events.GO_STATES/PROC_STATES; -1)
    ("to_state", np.int8),     # and after
    ("stack", np.int32),       # index into GoTrace.stacks (0: none)
    ("new_stack", np.int32),   # GoCreate*: the new goroutine's start stack
    ("str", np.int32),         # index into GoTrace.strings: reason, kind, label, name, key
    ("str2", np.int32),        # UserLog: the message
    ("arg0", np.uint64),       # the wire arguments after the time delta, as Go
    ("arg1", np.uint64),       #   left them after ordering (see docs/traces.md)
    ("gen", np.uint32),        # generation
    ("offset", np.int64),      # byte offset of the event in the file (-1: made up)
])

# Kind -> how the target/from/to columns are filled (Go's Event.StateTransition).
_G, _P = 0, 1
_NOTEXIST, _RUNNABLE, _RUNNING, _WAITING, _SYSCALL = 1, 2, 3, 4, 5
_PRUNNING, _PIDLE = 2, 3
_TRANSITIONS = {
    # kind: (resource, target source, from, to); source "a0" = first argument,
    # "g"/"p" = the event's own goroutine/P; from/to None = from `extra`.
    "ProcStart": (_P, "a0", _PIDLE, _PRUNNING),
    "ProcStop": (_P, "p", _PRUNNING, _PIDLE),
    "ProcSteal": (_P, "a0", None, _PIDLE),
    "ProcStatus": (_P, "a0", None, None),
    "GoCreate": (_G, "a0", _NOTEXIST, _RUNNABLE),
    "GoCreateBlocked": (_G, "a0", _NOTEXIST, _WAITING),
    "GoCreateSyscall": (_G, "a0", _NOTEXIST, _SYSCALL),
    "GoStart": (_G, "a0", _RUNNABLE, _RUNNING),
    "GoDestroy": (_G, "g", _RUNNING, _NOTEXIST),
    "GoDestroySyscall": (_G, "g", _SYSCALL, _NOTEXIST),
    "GoStop": (_G, "g", _RUNNING, _RUNNABLE),
    "GoBlock": (_G, "g", _RUNNING, _WAITING),
    "GoUnblock": (_G, "a0", _WAITING, _RUNNABLE),
    "GoSwitch": (_G, "a0", _WAITING, _RUNNABLE),
    "GoSwitchDestroy": (_G, "a0", _WAITING, _RUNNABLE),
    "GoSyscallBegin": (_G, "g", _RUNNING, _SYSCALL),
    "GoSyscallEnd": (_G, "g", _SYSCALL, _RUNNING),
    "GoSyscallEndBlocked": (_G, "g", _SYSCALL, _RUNNABLE),
    "GoStatus": (_G, "a0", None, None),
    "GoStatusStack": (_G, "a0", None, None),
}


def _open(source):
    """The trace's bytes (a read-only mapping for files) and a display name."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        return memoryview(source).cast("B"), "<bytes>", None
    if not isinstance(source, (str, os.PathLike)):
        raise TypeError(f"source must be a path (str or os.PathLike) or bytes, "
                        f"got {type(source).__name__}")
    path = os.fspath(source)
    with open(path, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        if size == 0:
            return memoryview(b""), path, None
        mm = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    return memoryview(mm), path, mm


@contextlib.contextmanager
def _mapped(source):
    """The trace's bytes, a file's mapping closed after use."""
    buf, _, mm = _open(source)
    try:
        yield buf
    finally:
        del buf
        if mm is not None:
            try:
                mm.close()
            except BufferError:     # an array still views it: the GC closes it
                pass


def read_header(buf):
    """The trace version N of a ``go 1.N trace`` header and where batches start.

    >>> read_header(b"go 1.23 trace\\x00\\x00\\x00")
    (23, 16)
    """
    m = _HEADER.match(bytes(buf[:32]))
    if not m:
        raise GoTraceError("expected the header 'go 1.N trace\\x00\\x00\\x00': "
                           "not a Go execution trace", 0)
    ver = int(m.group(1))
    if ver not in VERSIONS:
        kind = ("the pre-1.22 format, which this reader does not read"
                if ver in (11, 19, 21) else "an unknown version")
        raise GoTraceError(f"expected a trace of Go 1.22 to 1.26 format, got go 1.{ver}: {kind}", 0)
    return ver, m.end()


class _Generation:
    """One generation's batches, before ordering."""

    def __init__(self, gen):
        self.gen = gen
        self.min_ts = 0
        self.freq = 0.0
        self.has_freq = False
        self.has_clock = False
        self.clock = None          # (trace time ticks, mono, sec, nsec)
        self.strings = {}
        self.stacks = {}           # id -> tuple of pcs
        self.frames = {}           # pc -> (func id, file id, line)
        self.samples = []          # (ts ticks, m, p, g, stack)
        self.by_m = {}             # m -> [(data start, data end, batch time)]
        self.n_experimental = 0
        self.offset = None


class _Tables:
    """Global string and stack tables, deduplicated across generations."""

    def __init__(self):
        self.strings = [""]
        self.string_index = {"": 0}
        self.stacks = [()]
        self.stack_index = {(): 0}

    def string(self, s):
        i = self.string_index.get(s)
        if i is None:
            i = self.string_index[s] = len(self.strings)
            self.strings.append(s)
        return i

    def stack(self, frames):
        i = self.stack_index.get(frames)
        if i is None:
            i = self.stack_index[frames] = len(self.stacks)
            self.stacks.append(frames)
        return i


def _read_generations(buf, pos, ver):
    """Yield each generation's batches (Go's readGeneration / WithSpill)."""
    n = len(buf)
    spill = None
    pending = None
    while True:
        g = None
        if spill is not None:
            g, b = spill
            spill = None
            _process_batch(g, b, buf, ver)
        while True:
            if pos >= n:
                if ver >= 26 and g is not None:
                    raise GoTraceError("expected more batches or an EndOfGeneration: "
                                       "incomplete generation, the trace is likely truncated", pos)
                break
            try:
                b = _wire.read_batch_header(buf, pos)
            except GoTraceError as exc:
                if ver < 26 and g is not None:
                    # Go reports a bad batch after the generation before it.
                    pending = exc
                    break
                raise
            b = (pos,) + b
            kind, gen = b[1], b[3]
            if kind == EV["EndOfGeneration"]:
                if ver < 26:
                    raise GoTraceError(f"expected a batch, got EndOfGeneration in a go 1.{ver} trace", pos)
                if g is None:
                    raise GoTraceError("expected a batch before EndOfGeneration "
                                       "(no frequency event found)", pos)
                pos = b[7]
                break
            if gen == 0:
                raise GoTraceError("invalid generation number 0", pos)
            if g is None:
                g = _Generation(gen)
                g.offset = pos
            elif gen != g.gen:
                if ver < 26 and gen == g.gen + 1:
                    spill = (_Generation(gen), b)
                    spill[0].offset = pos
                    pos = b[7]
                    break
                if ver < 26:
                    raise GoTraceError(f"generations out of order: batch of generation {gen} "
                                       f"in generation {g.gen}", pos)
                raise GoTraceError("broken trace: missing end-of-generation event, or "
                                   f"generations are interleaved ({gen} within {g.gen})", pos)
            _process_batch(g, b, buf, ver)
            pos = b[7]
        if g is None:
            return
        _finish_generation(g, ver)
        yield g
        if pending is not None:
            raise pending


def _process_batch(g, b, buf, ver):
    """Go's processBatch: file one batch under its generation."""
    hdr, kind, exp, gen, m, time, start, end = b
    if g.min_ts == 0 or time < g.min_ts:
        g.min_ts = time
    first = buf[start] if end > start else -1
    if kind == EV["ExperimentalBatch"]:
        g.n_experimental += 1          # opaque data of an experiment: skipped
    elif first == EV["Strings"]:
        _add_strings(g, buf, start + 1, end)
    elif first == EV["Stacks"]:
        _add_stacks(g, buf, start + 1, end)
    elif first == EV["CPUSamples"]:
        _add_samples(g, buf, start + 1, end)
    elif (first == EV["Frequency"] and ver < 25) or (first == 50 and ver >= 25):
        _set_sync(g, buf, start + (1 if ver >= 25 else 0), end, time, ver)
    else:
        g.by_m.setdefault(m, []).append((start, end, time))


def _add_strings(g, buf, pos, end):
    while pos < end:
        if buf[pos] != EV["String"]:
            raise GoTraceError(f"expected a String event (type 5) in a strings batch, got {buf[pos]}", pos)
        (sid, size), pos2 = _wire.read_uvarints(buf, pos + 1, end, ("a string ID", "a string length"))
        if size > _MAX_STRING:
            raise GoTraceError(f"expected a string of at most {_MAX_STRING} bytes, got {size}", pos)
        if pos2 + size > end:
            raise GoTraceError(f"expected {size} bytes of string data, found {end - pos2}", pos2)
        if sid == 0 or sid in g.strings:
            raise GoTraceError(f"multiple strings with the same ID {sid}", pos)
        g.strings[sid] = bytes(buf[pos2:pos2 + size]).decode("utf-8", "replace")
        pos = pos2 + size


def _add_stacks(g, buf, pos, end):
    names4 = ("a frame's PC", "a frame's function string ID", "a frame's file string ID",
              "a frame's line")
    while pos < end:
        if buf[pos] != EV["Stack"]:
            raise GoTraceError(f"expected a Stack event (type 3) in a stacks batch, got {buf[pos]}", pos)
        (sid, nframes), p = _wire.read_uvarints(buf, pos + 1, end, ("a stack ID", "a frame count"))
        if nframes > _MAX_FRAMES:
            raise GoTraceError(f"expected at most {_MAX_FRAMES} frames in a stack, got {nframes}", pos)
        vals, p = _wire.read_uvarints(buf, p, end, names4 * nframes)
        pcs = tuple(vals[0::4])
        for i, pc in enumerate(pcs):
            if pc not in g.frames:
                g.frames[pc] = (vals[4 * i + 1], vals[4 * i + 2], vals[4 * i + 3])
        if sid == 0 or sid in g.stacks:
            raise GoTraceError(f"multiple stacks with the same ID {sid}", pos)
        g.stacks[sid] = pcs
        pos = p


def _add_samples(g, buf, pos, end):
    names = ("a sample's timestamp", "a sample's thread", "a sample's P",
             "a sample's goroutine", "a sample's stack ID")
    while pos < end:
        if buf[pos] != EV["CPUSample"]:
            raise GoTraceError(f"expected a CPUSample event (type 7), got {buf[pos]}", pos)
        vals, pos = _wire.read_uvarints(buf, pos + 1, end, names)
        g.samples.append(vals)


def _set_sync(g, buf, pos, end, batch_time, ver):
    last = batch_time
    while pos < end:
        t = buf[pos]
        if t == EV["Frequency"]:
            if g.has_freq:
                raise GoTraceError("found multiple frequency events", pos)
            (f,), pos = _wire.read_uvarints(buf, pos + 1, end, ("the frequency",))
            if f == 0:
                raise GoTraceError("expected a nonzero timestamp frequency, got 0", pos)
            g.freq = 1.0 / (f / 1e9)
            g.has_freq = True
        elif t == EV["ClockSnapshot"] and ver >= 25:
            if g.has_clock:
                raise GoTraceError("found multiple clock snapshot events", pos)
            (dt, mono, sec, nsec), pos = _wire.read_uvarints(
                buf, pos + 1, end, ("a time delta", "a monotonic clock", "seconds", "nanoseconds"))
            last += dt
            g.has_clock = True
            g.clock = (last, mono, sec, nsec)
        else:
            raise GoTraceError(f"expected a frequency or clock snapshot event, got type {t}", pos)


def _finish_generation(g, ver):
    if not g.has_freq:
        raise GoTraceError(f"no frequency event found in generation {g.gen}", g.offset)
    if ver >= 25 and not g.has_clock:
        raise GoTraceError(f"no clock snapshot event found in generation {g.gen}", g.offset)
    for sid, pcs in g.stacks.items():
        for pc in pcs:
            func, file, _ = g.frames[pc]
            if func and func not in g.strings:
                raise GoTraceError(f"found invalid func string ID {func} for stack {sid}", g.offset)
            if file and file not in g.strings:
                raise GoTraceError(f"found invalid file string ID {file} for stack {sid}", g.offset)


def _transition_tables():
    src = np.zeros(256, np.int8)          # 0 none, 1 first argument, 2 own g, 3 own p
    fro = np.full(256, -1, np.int8)
    to = np.full(256, -1, np.int8)
    for name, (_, s, f, t) in _TRANSITIONS.items():
        k = EV[name]
        src[k] = {"a0": 1, "g": 2, "p": 3}[s]
        fro[k] = -1 if f is None else f
        to[k] = -1 if t is None else t
    return src, fro, to


_SRC, _FROM, _TO = _transition_tables()


class GoTrace:
    """A Go execution trace read by :func:`read_go_trace`.

    Attributes
    ----------
    events : numpy structured array (dtype ``EVENT_DTYPE``)
        Every event in Go's order (the order ``go tool trace -d=parsed``
        prints), with Go's Sync events between generations and CPU samples
        interleaved.  ``time_ns`` counts from the first Sync event.
    strings : list of str
        ``strings[events['str']]``: wait reasons, STW kinds, labels, names.
    stacks : list of tuple of Frame
        ``stacks[events['stack']]``: frames ``(function, file, line, pc)``,
        innermost first; ``stacks[0]`` is the empty stack.
    version : int
        N of the ``go 1.N trace`` header (22, 23, 25 or 26).
    start_ns : int
        The first Sync event's time in the trace's own clock (ns).
    generations : int
    """

    def __init__(self, events, strings, stacks, version, start_ns, generations, clocks):
        self.events = events
        self.strings = strings
        self.stacks = stacks
        self.version = version
        self.start_ns = start_ns
        self.generations = generations
        self.clocks = clocks
        self._summary = None

    def __len__(self):
        return len(self.events)

    def __repr__(self):
        return (f"<GoTrace go 1.{self.version}: {len(self.events)} events, "
                f"{self.generations} generations, {len(self.strings)} strings, "
                f"{len(self.stacks)} stacks>")

    def kind_names(self):
        """The name of each event's kind (Go's wire event names; 0 is "Sync").

        >>> import gmpcore as gmp
        >>> tr = gmp.read_go_trace(gmp.gotrace.EXAMPLES / "fanout.trace")
        >>> tr.kind_names()[:3].tolist()
        ['Sync', 'ProcStatus', 'GoStatus']
        """
        names = np.array([s.name or f"Invalid({i})" for i, s in enumerate(SPECS)], object)
        return names[self.events["kind"]]

    def _summaries(self):
        if self._summary is None:
            from gmpcore.gotrace.summary import summarize
            self._summary = summarize(self)
        return self._summary

    @property
    def goroutines(self):
        """Per-goroutine table (a pandas DataFrame): see :func:`gmpcore.gotrace.summary.summarize`."""
        return self._summaries()["goroutines"]

    @property
    def sched_latency(self):
        """Every runnable-to-running interval, as ``go tool trace -pprof=sched`` counts them."""
        return self._summaries()["sched_latency"]

    def state_intervals(self, state):
        """Every interval a goroutine spent ``"runnable"``, ``"waiting"`` or in a
        ``"syscall"``: see :func:`gmpcore.gotrace.summary.state_intervals`."""
        from gmpcore.gotrace.summary import state_intervals
        return state_intervals(self, state)

    def summary(self):
        """Whole-trace figures (a dict): see :func:`gmpcore.gotrace.summary.summarize`."""
        return self._summaries()["summary"]


def read_go_trace(source):
    """Read a Go execution trace (Go 1.22 and later) from a path or bytes.

    Validates it the way Go's own parser does (internal/trace): every batch
    and table entry, and every event against the goroutine, proc and thread
    state machines; a malformed, truncated or inconsistent trace raises
    :class:`gmpcore.GoTraceError` naming the byte offset and what was
    expected there.

    Examples
    --------
    A trace recorded with Go 1.27 (``tests/data/gotrace/programs/fanout``:
    main starts 8 CPU-bound goroutines and waits for them):

    >>> import gmpcore as gmp
    >>> tr = gmp.read_go_trace(gmp.gotrace.EXAMPLES / "fanout.trace")
    >>> tr.version, tr.generations
    (26, 1)
    >>> ev = tr.events
    >>> created = ev[(ev["kind"] == gmp.gotrace.EV["GoCreate"]) & (ev["g"] == 1)]
    >>> [tr.stacks[s][-1].function for s in created["new_stack"]].count("main.main.func1")
    8
    """
    with _mapped(source) as buf:
        return _read(buf)


def _order_generation(buf, order, g, nsync):
    """Decode generation g's events and put them in Go's order (into order)."""
    order.strings = g.strings
    order.emit_sync(int(min(g.min_ts * g.freq, 9.2e18)), g.gen, nsync)
    ms = list(g.by_m)
    batches = [b for m in ms for b in g.by_m[m]]
    starts = np.array([b[0] for b in batches], np.int64)
    ends = np.array([b[1] for b in batches], np.int64)
    btimes = np.array([b[2] for b in batches], np.uint64)
    typ, tm, args, off, first = _wire.decode_events(buf, starts, ends, btimes, g.freq, _NARGS)
    nb = [len(g.by_m[m]) for m in ms]
    first_by_m = first[np.concatenate([[0], np.cumsum(nb, dtype=np.int64)]).astype(np.intp)]
    order.run_generation(g.gen, typ, tm, args, off, np.ascontiguousarray(first_by_m),
                         np.array(ms, np.int64), _samples(g))


def _kind_tables():
    """Per kind: where its stack/new stack/string/string 2 IDs are (argument
    index after the time delta, -1: none), and its transition's target
    source and states (see _wire.fill_events)."""
    cols = np.full((256, 4), -1, np.int8)
    for k, sp in enumerate(SPECS):
        if not sp.timed:
            continue
        for c, ids in ((0, sp.stacks[:1]), (1, sp.stacks[1:2]), (2, sp.strings[:1]),
                       (3, sp.strings[1:2])):
            if ids:
                cols[k, c] = ids[0] - 1
    cols[EV["CPUSample"], 0] = 0
    src, fro, to = _transition_tables()
    return cols, np.ascontiguousarray(np.stack([src, fro, to], axis=1))


def _generation_ids(g, tables):
    """Generation g's stack and string IDs -> global indices (sorted keys, values)."""
    sk = sorted(g.stacks)
    sv = []
    for sid in sk:
        frames = []
        for pc in g.stacks[sid]:
            func, file, line = g.frames[pc]
            frames.append(Frame(g.strings.get(func, ""), g.strings.get(file, ""), line, pc))
        sv.append(tables.stack(tuple(frames)))
    tk = sorted(g.strings)
    tv = [tables.string(g.strings[k]) for k in tk]
    return (np.array(sk, np.uint64), np.array(sv, np.int32),
            np.array(tk, np.uint64), np.array(tv, np.int32))


def _chunk(order, g, tables, start):
    """The events the orderer holds (one generation's), as EVENT_DTYPE rows."""
    global _KIND_COLS, _KIND_TRANS
    if _KIND_COLS is None:
        _KIND_COLS, _KIND_TRANS = _kind_tables()
    typ, tm, gg, pp, mm_, extra, gen, off, args = order.result()
    out = np.empty(len(typ), EVENT_DTYPE)
    bad = _wire.fill_events(out, typ, tm, gg, pp, mm_, extra, gen, off, args, start,
                            _KIND_COLS, _KIND_TRANS, *_generation_ids(g, tables))
    if bad >= 0:
        i, what = bad >> 2, ("stack", "string")[bad & 3]
        c = [0, 1] if what == "stack" else [2, 3]
        ids = [int(args[i, _KIND_COLS[typ[i], k]]) for k in c if _KIND_COLS[typ[i], k] >= 0]
        table = g.stacks if what == "stack" else g.strings
        bad_id = next((x for x in ids if x and x not in table), ids[0] if ids else 0)
        raise GoTraceError(f"found invalid {what} ID {bad_id} for event {SPECS[typ[i]].name}",
                           int(off[i]))
    for i, name in order.extra_names:
        out["str"][i] = tables.string(name)
    order.clear_output()
    return out


_KIND_COLS = _KIND_TRANS = None


def _chunks(buf):
    """Yield (version, start_ns, tables, generation, events) per generation.

    One generation is decoded and ordered at a time; the orderer's state
    machines and the global tables carry over.  The last chunk ends with
    Go's final Sync event.  A damaged generation raises after the chunks
    before it, as Go reports it after their events.
    """
    ver, pos = read_header(buf)
    order = _wire.Orderer()
    tables = _Tables()
    gens = _read_generations(buf, pos, ver)
    g = next(gens, None)
    if g is None:
        raise GoTraceError("expected at least one generation, found no batches", pos)
    nsync = 1
    start = None
    while g is not None:
        _order_generation(buf, order, g, nsync)
        if start is None:
            start = int(order.result()[1][0])
        error = None
        try:
            nxt = next(gens, None)
        except GoTraceError as exc:
            nxt, error = None, exc
        if nxt is None and error is None:
            order.emit_sync(order.last_time, g.gen, nsync + 1)
        yield ver, start, tables, g, _chunk(order, g, tables, start)
        if error is not None:
            raise error
        g = nxt
        nsync += 1


def iter_go_trace(source):
    """Read a Go execution trace one generation at a time.

    Yields a :class:`GoTrace` per generation (its ``events`` that
    generation's, in Go's order, times from the trace's start; ``strings``
    and ``stacks`` the tables so far, shared and growing), so a trace of any
    size is read in the memory of one generation.  Summaries of a yielded
    GoTrace cover that generation only.  Errors as :func:`read_go_trace`.

    >>> import gmpcore as gmp
    >>> path = gmp.gotrace.EXAMPLES / "generations.trace"
    >>> [int(tr.events["gen"][0]) for tr in gmp.gotrace.iter_go_trace(path)]
    [1, 2, 3]
    """
    with _mapped(source) as buf:
        for ver, start, tables, g, events in _chunks(buf):
            clocks = [(g.gen,) + g.clock] if g.clock is not None else []
            yield GoTrace(events, tables.strings, tables.stacks, ver, start, 1, clocks)


#: Files from this size on are read in two passes: the first counts the
#: events, so that the array is made once, at its size, and a trace whose
#: events will not fit in the memory available is refused before it is made.
LARGE_TRACE_BYTES = 64 << 20


def available_memory():
    """Bytes of memory the system can give this process now (Linux's
    MemAvailable; None where unknown)."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def _read(buf):
    if len(buf) >= LARGE_TRACE_BYTES:
        return _read_large(buf)
    chunks, clocks = [], []
    ver = start = tables = None
    for ver, start, tables, g, events in _chunks(buf):
        chunks.append(events)
        if g.clock is not None:
            clocks.append((g.gen,) + g.clock)
    ngen = len(chunks)
    events = chunks[0] if ngen == 1 else np.concatenate(chunks)
    del chunks
    return GoTrace(events, tables.strings, tables.stacks, ver, start, ngen, clocks)


def _read_large(buf):
    """_read in two passes: one generation's events in memory beside the result.

    (One pass keeping each generation's array until the end and then
    copying them into one needs twice the events: freed arrays of a few
    tens of MB stay in the allocator's heap.)"""
    total = sum(len(events) for *_, events in _chunks(buf))
    need = total * EVENT_DTYPE.itemsize
    avail = available_memory()
    if avail is not None and need > 0.9 * avail:
        raise MemoryError(
            f"reading this {len(buf) / 2**30:.2f} GiB trace whole needs {need / 2**30:.1f} GiB "
            f"for its {total:,} events ({EVENT_DTYPE.itemsize} bytes each) and "
            f"{avail / 2**30:.1f} GiB is available: read it one generation at a time with "
            f"gmpcore.gotrace.iter_go_trace")
    out = np.empty(total, EVENT_DTYPE)
    clocks, i, ngen = [], 0, 0
    ver = start = tables = None
    for ver, start, tables, g, events in _chunks(buf):
        out[i:i + len(events)] = events
        i += len(events)
        ngen += 1
        if g.clock is not None:
            clocks.append((g.gen,) + g.clock)
    return GoTrace(out, tables.strings, tables.stacks, ver, start, ngen, clocks)


def _samples(g):
    if not g.samples:
        z = np.zeros(0, np.int64)
        return z, z, z, z, np.zeros(0, np.uint64)
    s = np.array(g.samples, np.uint64)
    t = np.minimum(s[:, 0].astype(np.float64) * g.freq, 9.2e18).astype(np.int64)
    order = np.argsort(t, kind="stable")
    gid = s[:, 3].view(np.int64)
    gid = np.where(gid == 0, -1, gid)
    return (np.ascontiguousarray(t[order]), np.ascontiguousarray(s[order, 1].view(np.int64)),
            np.ascontiguousarray(s[order, 2].view(np.int64)), np.ascontiguousarray(gid[order]),
            np.ascontiguousarray(s[order, 4]))
