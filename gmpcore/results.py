"""What a run returns: NumPy record arrays and a few plain Python values.

Field meanings follow Go's runtime where it has a name for them
(go-scheduler.md §1.2, §1.4, §6): ``state`` is the G status scheddetail
prints, ``wait_reason`` indexes :data:`gmpcore.events.WAIT_REASONS`.
"""

import json
from dataclasses import dataclass, field

import numpy as np
import numpy.lib.recfunctions as rfn

from gmpcore.durations import short_duration
from gmpcore.events import EVENT_NAMES, G_STATUS_NAMES, WAIT_REASONS

#: One row per goroutine, in creation order (Go's allgs).  Times are virtual ns
#: from the start; -1 where it never happened (a G that never ran or never
#: finished).  The compiled engine keeps each G in one 64-byte record and
#: returns that very table through this dtype (two bytes of engine flags stay
#: hidden), so a G costs 64 bytes, results included (docs/performance.md).
G_DTYPE = np.dtype({
    "names": ["goid", "parent", "program", "created", "first_run", "finished",
              "runnable_ns", "running_ns", "preemptions", "steals", "state",
              "wait_reason", "stack"],
    "formats": [np.int32, np.int32, np.int32, np.int64, np.int64, np.int64,
                np.int64, np.int64, np.uint16, np.uint16, np.uint8, np.uint8, np.uint32],
    "offsets": [0, 4, 8, 24, 32, 40, 48, 56, 16, 18, 20, 21, 12],
    "itemsize": 64,
})
# goid         Go's goroutine id (main is 1)
# parent       goid of the creator; 0 for main
# program      index into Result.program_names
# created      when newproc made it runnable
# first_run    first execute
# finished     goexit
# runnable_ns  total time runnable (queued) before running
# running_ns   total time in _Grunning
# preemptions  times preempted (sysmon's 10 ms slice); saturates at 65535
# steals       times taken by another P's thief; saturates at 65535
# state        final G status (1 runnable, 2 running, 3 syscall, 4 waiting, 6 dead)
# wait_reason  index into WAIT_REASONS when waiting
# stack        stack size in bytes (starts at 2048, doubles; at most 2**31)

#: Largest count the ``preemptions`` and ``steals`` columns hold.
COUNTER_MAX = 0xFFFF

#: One row per P.
P_DTYPE = np.dtype([
    ("p", np.int32),
    ("busy_ns", np.int64),      # time its Ms spent running Gs on it
    ("schedticks", np.uint64),  # time slices started (p.schedtick)
    ("steals", np.uint64),      # successful steals by this P
    ("idle_ns", np.int64),      # time on the idle P list
])

#: One row per thread (M) of the run: what the OS saw of it, as Linux's
#: ``/proc/<pid>/task/<tid>/schedstat`` reports (CPU time, run delay, time
#: slices) plus its involuntary switches.  With ``cpus=None`` every M has a
#: CPU whenever it wants one and only ``m`` and ``created`` are filled in.
THREAD_DTYPE = np.dtype([
    ("m", np.int32),                # M id (M0 runs main first, M1 is sysmon)
    ("created", np.int64),          # ns
    ("run_delay_ns", np.int64),     # runnable but waiting for a CPU (or stopped by the quota)
    ("cpu_ns", np.int64),           # on a CPU
    ("switches", np.int64),         # times it got a CPU
    ("involuntary", np.int64),      # times it was taken off one while runnable
])

#: The event log (``record_events=True``), one row per scheduling event.
EVENT_DTYPE = np.dtype([
    ("time", np.int64), ("kind", np.uint8), ("m", np.int32), ("p", np.int32),
    ("g", np.int32), ("arg", np.int64),
])

#: Spans (``gmp.span``): one row per execution that ended, in the order they
#: ended.  ``name`` indexes :attr:`Result.span_names`; times are virtual ns.
SPAN_DTYPE = np.dtype([
    ("name", np.int32), ("goid", np.int32), ("start_ns", np.int64), ("end_ns", np.int64),
    ("start_goid", np.int64),
])


#: Monitor samples (``simulate(monitor=period)``) without the per-P column;
#: :func:`monitor_dtype` adds ``local_queues`` for a given GOMAXPROCS.
MONITOR_FIELDS = [
    ("time", np.int64),          # virtual ns of the sample
    ("goroutines", np.int64),    # Gs not yet exited, like runtime.NumGoroutine
    ("runnable", np.int64),      # Gs in _Grunnable (queued, or chosen and not yet running)
    ("running", np.int64),       # Gs in _Grunning
    ("global_queue", np.int64),  # sched.runq size
    ("threads", np.int64),       # Ms alive: created minus exited (schedtrace's threads=, mcount)
    ("idle_threads", np.int64),  # Ms parked on sched.midle
    ("spinning", np.int64),      # sched.nmspinning
    ("idle_procs", np.int64),    # sched.npidle
    ("stack_inuse", np.int64),   # bytes of stack of the Gs not yet exited (MemStats.StackInuse)
]


def monitor_dtype(gomaxprocs):
    """The monitor's dtype: :data:`MONITOR_FIELDS` plus ``local_queues``,
    each P's ring length (runnext not counted, as schedtrace prints it)."""
    return np.dtype(MONITOR_FIELDS + [("local_queues", np.int32, (gomaxprocs,))])


@dataclass(eq=False, repr=False)
class Result:
    """The outcome of :func:`gmpcore.simulate`.

    ``repr(res)`` is one line, a notebook shows a table; :meth:`summary`
    gives the figures as a dict, :meth:`equals` (and ``==``) compares two
    runs bit for bit, :meth:`to_pandas` turns a table into a DataFrame, and
    :meth:`save` / :func:`load` keep a run in a file.

    >>> import gmpcore as gmp
    >>> from gmpcore.scenarios import fanout
    >>> res = gmp.simulate(fanout(n=1000, work="5us"), gomaxprocs=4, seed=1)
    >>> res
    <Result GOMAXPROCS=4 makespan=1.71ms goroutines=1,001 threads=5 sched latency p50=296µs p99=637µs>
    >>> res == gmp.simulate(fanout(n=1000, work="5us"), gomaxprocs=4, seed=1)
    True

    Attributes
    ----------
    makespan_ns : int
        Virtual nanoseconds from the start until main exited (or, with
        ``until="all"``, until the last goroutine did).
    goroutines : numpy.ndarray or None
        One row per G, dtype :data:`G_DTYPE`; None with
        ``record_goroutines=False``.
    procs : numpy.ndarray
        One row per P, dtype :data:`P_DTYPE`: every P that existed at some
        time (``gomaxprocs(n)`` can add Ps; a P removed keeps its row and
        figures, and a P added later starts from them again, as Go reuses
        the P).
    threads : numpy.ndarray or None
        One row per M, dtype :data:`THREAD_DTYPE`: its CPU time and the
        time it waited for a CPU (``simulate(cpus=...)``).
    counters : dict
        ``threads`` (Go's ``mcount()``: Ms created minus the ones that
        exited; without ``lock_os_thread`` every M ever created, like Go's
        threadcreate profile), ``threads_exited`` (Ms killed by a goroutine
        exiting while locked to them), ``steals``, ``spills``, ``handoffs``, ``preemptions``, ``syscalls``,
        ``spinning`` (times an M started spinning), ``spinning_ns`` (the
        time Ms spent spinning, summed: each spin from when its M runs
        spinning to when it finds work or stops; one still going on at
        the end counts up to the end), ``thread_wakes`` (idle Ms woken:
        ``startm`` for a P, ``startlockedm``, ``startTheWorld``; a futex
        wake each in Go), ``goroutines`` (Gs ever
        created, main included, the runtime's own not: see ``system``),
        engine counts, ``gomaxprocs_changes``,
        ``stw_count`` (stops of the world), ``stw_stopping_ns`` and
        ``stw_total_ns`` (their summed stopping and total pauses: Go's
        ``/sched/pauses/stopping/other`` and ``/sched/pauses/total/other``),
        and the machine's:
        ``cpu_run_delay_ns`` (the program's threads' time runnable without
        a CPU, schedstat's run delay), ``cpu_busy_ns`` (their CPU time),
        ``cpu_switches`` / ``cpu_involuntary_switches``,
        ``background_cpu_ns`` (the other processes' hogs), and cgroup
        ``cpu.stat``'s ``nr_periods``, ``nr_throttled``, ``throttled_ns``
        (summed over the CPUs whose run queues were throttled) and
        ``throttled_wall_ns`` (the wall time throttled).
    schedtrace : list of str
        ``GODEBUG=schedtrace`` lines when asked for.
    events : numpy.ndarray or None
        The event log, dtype :data:`EVENT_DTYPE`, when ``record_events=True``.
        Its ``g`` column is a row index into `goroutines`, not a goid.
    monitor : numpy.ndarray or None
        Samples every ``monitor`` period of virtual time, dtype
        :func:`monitor_dtype`; each is the state after every event up to
        its time.
    snapshot : gmpcore.snapshot.Snapshot or None
        The scheduler at ``snapshot_at`` (or at the end, if the run ended
        before it).
    program_names : tuple of str
        Names of the workload's programs, indexed by ``goroutines["program"]``.
    trace_window : (int, int) or None
        The ``trace_window`` the event log was filtered with, in ns.
    gomaxprocs_history : list of (int, int, int, str)
        Each change of GOMAXPROCS while running: ``(time_ns, old, new,
        cause)``, cause ``"user"`` for the workload's ``gomaxprocs(n)``.
    spans : numpy.ndarray or None
        One row per :func:`~gmpcore.span` execution that ended, and per
        :func:`~gmpcore.span_end` that ended a span a received value carried,
        dtype :data:`SPAN_DTYPE`, in the order they ended; None when the
        workload has no spans.  ``goid`` ended the span, ``start_goid``
        began it (the same goroutine for :func:`~gmpcore.span`, the sender
        for a carried span).  At most ``simulate(max_spans=...)`` rows; the
        rest are counted in ``counters["spans_dropped"]``, and span_end()s
        that found no matching stamp in ``counters["spans_unstamped"]``
        (counters present only when the workload has spans).
    span_names : tuple of str
        Names of the workload's spans, indexed by ``spans["name"]``.
    sched_latencies : gmpcore.latency.LatencyHistogram or None
        Go's ``/sched/latencies:seconds``: the time each G spent runnable
        before running, every time it became runnable (after ``go``, a
        wake-up, a yield, a preemption or a slow syscall exit), in Go's
        bucket layout (:mod:`gmpcore.latency`).
    """

    makespan_ns: int
    goroutines: np.ndarray | None
    procs: np.ndarray
    counters: dict
    schedtrace: list = field(default_factory=list)
    events: np.ndarray | None = None
    monitor: np.ndarray | None = None
    snapshot: object = None
    program_names: tuple = ()
    trace_window: tuple | None = None
    threads: np.ndarray | None = None
    sched_latencies: object = None
    gomaxprocs_history: list = field(default_factory=list)
    spans: np.ndarray | None = None
    span_names: tuple = ()
    policy: object = None
    """The :class:`gmpcore.Policy` the run was simulated under."""

    @property
    def gomaxprocs(self):
        """GOMAXPROCS at the start (``gomaxprocs_history`` has the changes)."""
        if self.gomaxprocs_history:
            return int(self.gomaxprocs_history[0][1])
        return len(self.procs)

    # ------------------------------------------------------------ presenting

    def summary(self):
        """The run's figures as a flat dict of plain numbers.

        ``makespan_ns``, ``gomaxprocs``, every counter, ``busy`` (the Ps'
        mean busy fraction) and the scheduling latency's ``latency_mean_ns``
        and ``latency_p50_ns`` ... ``latency_p999_ns``; with spans,
        ``span_<name>_p50_ns`` and ``span_<name>_p99_ns`` for each span name
        (:func:`gmpcore.spans.quantiles`; NaN for a span that ended no row).
        """
        out = {"makespan_ns": int(self.makespan_ns), "gomaxprocs": self.gomaxprocs}
        out.update({k: int(v) for k, v in self.counters.items()})
        span = max(int(self.makespan_ns), 1)
        out["busy"] = float(np.mean(self.procs["busy_ns"]) / span) if len(self.procs) else 0.0
        lat = self.sched_latencies
        if lat is not None:
            out["latency_mean_ns"] = float(lat.mean_ns)
            for q, v in lat.quantiles().items():
                out[f"latency_p{str(q * 100).rstrip('0').rstrip('.').replace('.', '')}_ns"] = v
        if self.spans is not None:
            from gmpcore.spans import quantiles
            qs = quantiles(self, (0.5, 0.99))
            for name in self.span_names:      # NaN for a span with no row, so sweeps can name it
                got = qs.get(name, {})
                out[f"span_{name}_p50_ns"] = got.get(0.5, float("nan"))
                out[f"span_{name}_p99_ns"] = got.get(0.99, float("nan"))
        return out

    def __repr__(self):
        parts = [f"GOMAXPROCS={self.gomaxprocs}", f"makespan={short_duration(self.makespan_ns)}",
                 f"goroutines={int(self.counters.get('goroutines', 0)):,}",
                 f"threads={int(self.counters.get('threads', 0))}"]
        lat = self.sched_latencies
        if lat is not None and lat.count:
            parts.append(f"sched latency p50={short_duration(lat.quantile(0.5))} "
                         f"p99={short_duration(lat.quantile(0.99))}")
        return f"<Result {' '.join(parts)}>"

    def _repr_html_(self):
        from html import escape
        rows = "".join(f"<tr><th style='text-align:left'>{escape(k)}</th><td>{v:,}</td></tr>"
                       if isinstance(v, int) else
                       f"<tr><th style='text-align:left'>{escape(k)}</th><td>{v:,.3g}</td></tr>"
                       for k, v in self.summary().items())
        procs = "".join(f"<tr><td>{int(p['p'])}</td><td>{int(p['busy_ns']):,}</td>"
                        f"<td>{int(p['schedticks']):,}</td><td>{int(p['steals']):,}</td>"
                        f"<td>{int(p['idle_ns']):,}</td></tr>" for p in self.procs)
        return (f"<div><b>{escape(repr(self))}</b><table>{rows}</table>"
                f"<table><tr><th>P</th><th>busy ns</th><th>schedticks</th><th>steals</th>"
                f"<th>idle ns</th></tr>{procs}</table></div>")

    # ------------------------------------------------------------ comparing

    def equals(self, other):
        """Whether `other` is the same run: every figure and table equal, bit for bit."""
        if not isinstance(other, Result):
            return False

        def same(a, b):
            if a is None or b is None:
                return a is None and b is None
            return a.dtype == b.dtype and np.array_equal(a, b)

        snap = (lambda r: None if r.snapshot is None else r.snapshot.as_dict())
        return (self.makespan_ns == other.makespan_ns and self.counters == other.counters
                and self.schedtrace == other.schedtrace
                and same(self.goroutines, other.goroutines) and same(self.procs, other.procs)
                and same(self.events, other.events) and same(self.monitor, other.monitor)
                and snap(self) == snap(other) and self.program_names == other.program_names
                and tuple(self.trace_window or ()) == tuple(other.trace_window or ())
                and same(self.threads, other.threads)
                and [tuple(r) for r in self.gomaxprocs_history]
                == [tuple(r) for r in other.gomaxprocs_history]
                and self.sched_latencies == other.sched_latencies
                and same(self.spans, other.spans) and self.span_names == other.span_names)

    def __eq__(self, other):
        if not isinstance(other, Result):
            return NotImplemented
        return self.equals(other)

    __hash__ = None

    # ------------------------------------------------------------ tables out

    def to_pandas(self, which="goroutines"):
        """One table as a pandas DataFrame (needs pandas).

        Parameters
        ----------
        which : {"goroutines", "procs", "threads", "monitor", "events", "latency", "spans"}
            ``monitor`` has one ``local_queue_<p>`` column per P instead of
            the array column (pandas takes flat columns only); ``events``
            adds the event's name; ``latency`` is the histogram, one row per
            count with its ``[lo_ns, hi_ns)``; ``spans`` has the span's name
            as a string column ``name`` (its index is ``name_index``), its
            ``duration_ns`` and ``start_goid``.
        """
        try:
            import pandas as pd
        except ImportError:
            raise ImportError("Result.to_pandas needs pandas: pip install pandas") from None
        if which == "goroutines":
            return pd.DataFrame(self.require_goroutines("to_pandas('goroutines')"))
        if which == "procs":
            return pd.DataFrame(self.procs)
        if which == "threads":
            return pd.DataFrame(self.threads if self.threads is not None
                                else np.zeros(0, dtype=THREAD_DTYPE))
        if which == "events":
            if self.events is None:
                return pd.DataFrame(np.zeros(0, dtype=EVENT_DTYPE)).assign(name=[])
            return pd.DataFrame(self.events).assign(name=self.event_names())
        if which == "monitor":
            if self.monitor is None:
                raise ValueError("to_pandas('monitor') needs simulate(..., monitor=period)")
            cols = {n: self.monitor[n] for n, _ in MONITOR_FIELDS}
            for p in range(self.monitor["local_queues"].shape[1]):
                cols[f"local_queue_{p}"] = self.monitor["local_queues"][:, p]
            return pd.DataFrame(cols)
        if which == "latency":
            from gmpcore.latency import BUCKETS_NS
            lat = self.sched_latencies
            if lat is None:
                raise ValueError("this Result has no scheduling-latency histogram")
            return pd.DataFrame({"lo_ns": BUCKETS_NS[:-1], "hi_ns": BUCKETS_NS[1:],
                                 "count": lat.counts})
        if which == "spans":
            if self.spans is None:
                raise ValueError("to_pandas('spans') needs a workload with gmp.span(...)")
            names = np.array(self.span_names, dtype=object)
            return pd.DataFrame({"name": names[self.spans["name"]] if len(names) else [],
                                 "name_index": self.spans["name"],
                                 "goid": self.spans["goid"], "start_ns": self.spans["start_ns"],
                                 "end_ns": self.spans["end_ns"],
                                 "duration_ns": self.spans["end_ns"] - self.spans["start_ns"],
                                 "start_goid": self.spans["start_goid"]})
        raise ValueError(f"to_pandas: which must be one of 'goroutines', 'procs', 'threads', 'monitor', "
                         f"'events', 'latency', 'spans', got {which!r}")

    # ------------------------------------------------------------ files

    def to_go_trace(self, path, reasons="go"):
        """Write the run as a Go execution trace: ``go tool trace PATH`` opens it.

        The run must be simulated with ``record_events=True`` (the whole
        log: no ``trace_window``).  The file is in the format Go 1.26 and
        later write; each of the run's Ms, Ps and goroutines (goid for
        goid) appears as in a real trace, spans as user regions (or tasks,
        when carried through a channel).  See :mod:`gmpcore.gotrace.writer`
        for how the event log maps to trace events.  `reasons` picks the
        block reasons: ``"go"`` (default) those of a real Go trace
        (``"sync"``, ``"network"``, ...), ``"wait"`` the finer strings of
        :data:`gmpcore.events.WAIT_REASONS`.

        Returns a dict: ``bytes``, ``events``, ``by_type`` (events written
        per trace event type) and ``repairs`` (log rows the writer had to
        patch up to keep the format's invariants; 0 for a whole log).

        >>> import os, tempfile
        >>> import gmpcore as gmp
        >>> from gmpcore.scenarios import fanout
        >>> res = gmp.simulate(fanout(n=100), gomaxprocs=2, seed=1, record_events=True)
        >>> info = res.to_go_trace(os.path.join(tempfile.mkdtemp(), "fanout.trace"))
        >>> info["by_type"]["GoCreate"], info["repairs"]     # + the runtime's five
        (106, 0)
        """
        from gmpcore.gotrace.writer import write_go_trace
        return write_go_trace(self, path, reasons)

    def save(self, path):
        """Write the run to `path`; read it back with :func:`load`.

        A path ending in ``.parquet`` writes a folder of Parquet files (needs
        pyarrow): one per table (``goroutines.parquet``, ``procs.parquet``,
        ``threads.parquet``, ``events.parquet``, ``monitor.parquet`` with a
        ``local_queue_<p>`` column per P, ``latency.parquet``,
        ``spans.parquet``) and
        ``meta.json``, so that pandas, Polars or DuckDB read each table
        directly.  Any other path writes one NumPy ``.npz`` file.

        >>> import os, tempfile
        >>> import gmpcore as gmp
        >>> from gmpcore.scenarios import fanout
        >>> res = gmp.simulate(fanout(n=100), gomaxprocs=2, seed=1)
        >>> f = os.path.join(tempfile.mkdtemp(), "run.npz")
        >>> res.save(f)
        >>> gmp.load(f) == res
        True
        """
        if str(path).endswith(".parquet"):
            return _save_parquet(self, path, self._meta())
        arrays = {"meta": np.frombuffer(json.dumps(self._meta()).encode(), dtype=np.uint8),
                  "procs": self.procs}
        for name in ("goroutines", "events", "monitor", "threads", "spans"):
            if getattr(self, name) is not None:
                # G_DTYPE's fields overlap the engine's record out of order,
                # which .npy cannot describe: store a packed copy.
                arrays[name] = rfn.repack_fields(getattr(self, name))
        if self.sched_latencies is not None:
            arrays["sched_latencies"] = self.sched_latencies.counts
        with open(path, "wb") as f:
            np.savez_compressed(f, **arrays)

    def _meta(self):
        """The figures that are not tables, as JSON-ready values."""
        return {"format": 1, "makespan_ns": int(self.makespan_ns),
                "counters": {k: int(v) for k, v in self.counters.items()},
                "schedtrace": list(self.schedtrace), "program_names": list(self.program_names),
                "trace_window": None if self.trace_window is None else list(self.trace_window),
                "snapshot": None if self.snapshot is None else self.snapshot.as_dict(),
                "gomaxprocs_history": [[int(t), int(o), int(n), str(c)]
                                       for t, o, n, c in self.gomaxprocs_history],
                "span_names": list(self.span_names),
                "latency_sum": (None if self.sched_latencies is None
                                else self.sched_latencies.total_ns)}

    def require_goroutines(self, what):
        """``goroutines``, or a ValueError saying that `what` needs them."""
        if self.goroutines is None:
            raise ValueError(f"{what} needs per-G records; this run was simulated with "
                             "record_goroutines=False")
        return self.goroutines

    @property
    def system(self):
        """A bool per row of ``goroutines``: the runtime's own goroutines
        (``simulate(runtime_init=True)``), whose programs are named
        ``runtime.*`` as Go's isSystemGoroutine tells them by their function.

        >>> import gmpcore as gmp
        >>> wl = gmp.Workload()
        >>> _ = wl.main(gmp.go(wl.program(gmp.cpu("1us")), count=2), gmp.sleep("1ms"))
        >>> res = gmp.simulate(wl, gomaxprocs=1)
        >>> res.goroutines["goid"][~res.system].tolist(), int(res.system.sum())
        ([1, 7, 8], 5)
        """
        g = self.require_goroutines("system")
        runtime = np.array([n.startswith("runtime.") for n in self.program_names] or [False])
        return runtime[g["program"]]

    def state_names(self, runtime=True):
        """Each G's final state as Go names it, e.g. ``'waiting (chan receive)'``,
        in row order; ``runtime=False`` leaves out the runtime's own goroutines
        (:attr:`system`), as Go's goroutine dumps do.

        >>> import gmpcore as gmp
        >>> wl = gmp.Workload()
        >>> _ = wl.main(gmp.go(wl.program(gmp.recv(wl.chan()))), gmp.sleep("1ms"))
        >>> gmp.simulate(wl).state_names(runtime=False)
        ['dead', 'waiting (chan receive)']
        """
        self.require_goroutines("state_names")
        g = self.goroutines if runtime else self.goroutines[~self.system]
        out = []
        for state, reason in zip(g["state"], g["wait_reason"]):
            name = G_STATUS_NAMES.get(int(state), str(int(state)))
            out.append(f"{name} ({WAIT_REASONS[reason]})" if reason else name)
        return out

    def event_names(self):
        """The kind of each logged event as a string."""
        if self.events is None:
            return []
        return [EVENT_NAMES[k] for k in self.events["kind"]]


_PARQUET_TABLES = ("goroutines", "procs", "threads", "events", "monitor", "spans")


def _parquet():
    try:
        import pyarrow
        import pyarrow.parquet
    except ImportError:
        raise ImportError("Parquet files need pyarrow: pip install pyarrow "
                          "(or save to a .npz path)") from None
    return pyarrow, pyarrow.parquet


def _save_parquet(res, path, meta):
    """Result.save for a ``.parquet`` folder: a Parquet file per table."""
    import os
    pa, pq = _parquet()
    os.makedirs(path, exist_ok=True)
    for name in _PARQUET_TABLES:
        table = getattr(res, name)
        if table is None:
            continue
        cols = {}
        for field in table.dtype.names:
            column = table[field]
            if column.ndim == 2:                      # monitor's local_queues
                for p in range(column.shape[1]):
                    cols[f"local_queue_{p}"] = np.ascontiguousarray(column[:, p])
            else:
                cols[field] = np.ascontiguousarray(column)
        pq.write_table(pa.table(cols), os.path.join(path, f"{name}.parquet"))
    if res.sched_latencies is not None:
        pq.write_table(pa.table({"count": res.sched_latencies.counts}),
                       os.path.join(path, "latency.parquet"))
    with open(os.path.join(path, "meta.json"), "w") as f:
        json.dump(meta, f)


def _load_parquet(path):
    """The tables and meta of a ``.parquet`` folder (inverse of _save_parquet)."""
    import os
    _, pq = _parquet()
    with open(os.path.join(path, "meta.json")) as f:
        meta = json.load(f)
    arrays = {}
    dtypes = {"goroutines": G_DTYPE, "procs": P_DTYPE, "threads": THREAD_DTYPE,
              "events": EVENT_DTYPE, "spans": SPAN_DTYPE}
    for name in _PARQUET_TABLES:
        file = os.path.join(path, f"{name}.parquet")
        if not os.path.exists(file):
            continue
        table = pq.read_table(file)
        cols = {c: table.column(c).to_numpy() for c in table.column_names}
        n = table.num_rows
        if name == "monitor":
            nprocs = sum(c.startswith("local_queue_") for c in cols)
            out = np.zeros(n, dtype=monitor_dtype(nprocs))
            for field, _ in MONITOR_FIELDS:
                out[field] = cols[field]
            for p in range(nprocs):
                out["local_queues"][:, p] = cols[f"local_queue_{p}"]
        else:
            out = np.zeros(n, dtype=dtypes[name])
            for field in dtypes[name].names:
                if name == "spans" and field == "start_goid" and field not in cols:
                    out[field] = cols["goid"]         # a file from before carried spans
                    continue
                out[field] = cols[field]
        arrays[name] = out
    file = os.path.join(path, "latency.parquet")
    if os.path.exists(file):
        arrays["sched_latencies"] = pq.read_table(file).column("count").to_numpy()
    return meta, arrays


def load(path):
    """A :class:`Result` written by :meth:`Result.save` (a ``.npz`` file or a
    ``.parquet`` folder)."""
    import os
    from gmpcore.latency import LatencyHistogram
    if os.path.isdir(path):
        meta, arrays = _load_parquet(path)
    else:
        with np.load(path, allow_pickle=False) as z:
            meta = json.loads(z["meta"].tobytes().decode())
            arrays = {k: z[k] for k in z.files if k != "meta"}
    if meta.get("format") != 1:
        raise ValueError(f"{path}: not a gmpcore Result file (format {meta.get('format')!r})")
    snapshot = None
    if meta["snapshot"] is not None:
        from gmpcore.snapshot import Snapshot
        snapshot = Snapshot(meta["snapshot"])
    lat = arrays.get("sched_latencies")
    if "spans" in arrays and "start_goid" not in (arrays["spans"].dtype.names or ()):
        old = arrays["spans"]                         # a file from before carried spans
        arrays["spans"] = np.zeros(len(old), dtype=SPAN_DTYPE)
        for name in old.dtype.names:
            arrays["spans"][name] = old[name]
        arrays["spans"]["start_goid"] = old["goid"]
    if "goroutines" in arrays:
        packed = arrays["goroutines"]
        arrays["goroutines"] = np.zeros(len(packed), dtype=G_DTYPE)
        for name in G_DTYPE.names:
            arrays["goroutines"][name] = packed[name]
    return Result(makespan_ns=meta["makespan_ns"], goroutines=arrays.get("goroutines"),
                  procs=arrays["procs"], counters=meta["counters"],
                  schedtrace=meta["schedtrace"], events=arrays.get("events"),
                  monitor=arrays.get("monitor"), snapshot=snapshot,
                  program_names=tuple(meta["program_names"]),
                  trace_window=None if meta["trace_window"] is None else tuple(meta["trace_window"]),
                  gomaxprocs_history=[tuple(r) for r in meta.get("gomaxprocs_history", [])],
                  sched_latencies=None if lat is None else LatencyHistogram(lat, meta["latency_sum"]),
                  threads=arrays.get("threads"), spans=arrays.get("spans"),
                  span_names=tuple(meta.get("span_names", ())))
