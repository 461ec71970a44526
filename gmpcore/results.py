"""What a run returns: NumPy record arrays and a few plain Python values.

Field meanings follow Go's runtime where it has a name for them
(go-scheduler.md §1.2, §1.4, §6): ``state`` is the G status scheddetail
prints, ``wait_reason`` indexes :data:`gmpcore.events.WAIT_REASONS`.
"""

from dataclasses import dataclass, field

import numpy as np

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

#: The event log (``record_events=True``), one row per scheduling event.
EVENT_DTYPE = np.dtype([
    ("time", np.int64), ("kind", np.uint8), ("m", np.int32), ("p", np.int32),
    ("g", np.int32), ("arg", np.int64),
])


#: Monitor samples (``simulate(monitor=period)``) without the per-P column;
#: :func:`monitor_dtype` adds ``local_queues`` for a given GOMAXPROCS.
MONITOR_FIELDS = [
    ("time", np.int64),          # virtual ns of the sample
    ("goroutines", np.int64),    # Gs not yet exited, like runtime.NumGoroutine
    ("runnable", np.int64),      # Gs in _Grunnable (queued, or chosen and not yet running)
    ("running", np.int64),       # Gs in _Grunning
    ("global_queue", np.int64),  # sched.runq size
    ("threads", np.int64),       # Ms created (schedtrace's threads=)
    ("idle_threads", np.int64),  # Ms parked on sched.midle
    ("spinning", np.int64),      # sched.nmspinning
    ("idle_procs", np.int64),    # sched.npidle
    ("stack_inuse", np.int64),   # bytes of stack of the Gs not yet exited (MemStats.StackInuse)
]


def monitor_dtype(gomaxprocs):
    """The monitor's dtype: :data:`MONITOR_FIELDS` plus ``local_queues``,
    each P's ring length (runnext not counted, as schedtrace prints it)."""
    return np.dtype(MONITOR_FIELDS + [("local_queues", np.int32, (gomaxprocs,))])


@dataclass
class Result:
    """The outcome of :func:`gmpcore.simulate`.

    Attributes
    ----------
    makespan_ns : int
        Virtual nanoseconds from the start until main exited (or, with
        ``until="all"``, until the last goroutine did).
    goroutines : numpy.ndarray or None
        One row per G, dtype :data:`G_DTYPE`; None with
        ``record_goroutines=False``.
    procs : numpy.ndarray
        One row per P, dtype :data:`P_DTYPE`.
    counters : dict
        ``threads`` (Ms ever created, like Go's threadcreate profile),
        ``steals``, ``spills``, ``handoffs``, ``preemptions``, ``syscalls``,
        ``spinning`` (times an M started spinning), ``goroutines`` (Gs ever
        created, main included), and engine counts.
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
    sched_latencies: object = None

    def require_goroutines(self, what):
        """``goroutines``, or a ValueError saying that `what` needs them."""
        if self.goroutines is None:
            raise ValueError(f"{what} needs per-G records; this run was simulated with "
                             "record_goroutines=False")
        return self.goroutines

    def state_names(self):
        """Each G's final state as Go names it, e.g. ``'waiting (chan receive)'``."""
        self.require_goroutines("state_names")
        out = []
        for state, reason in zip(self.goroutines["state"], self.goroutines["wait_reason"]):
            name = G_STATUS_NAMES.get(int(state), str(int(state)))
            out.append(f"{name} ({WAIT_REASONS[reason]})" if reason else name)
        return out

    def event_names(self):
        """The kind of each logged event as a string."""
        if self.events is None:
            return []
        return [EVENT_NAMES[k] for k in self.events["kind"]]
