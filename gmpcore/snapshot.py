"""A picture of one moment: the scheduler drawn like the explainer's diagram.

``simulate(..., snapshot_at=t)`` stops the clock at virtual time `t` and
records where every goroutine is, as a plain dict (the contract below);
:class:`Snapshot` wraps that dict and draws it as text: each M with its P and
the G it runs, the P's local run queue as a row of boxes (``runnext`` first,
then the ring from head to tail), the global run queue, idle Ms and Ps, the Gs
in system calls with their Ms, and counts of sleeping and netpoll-waiting Gs.

The dict (lists head first; ``-1`` where there is none)::

    {"time": ns, "gomaxprocs": int,
     "ms": [{"id", "p", "curg", "state", "lockedg"}, ...],  # state: running, spinning,
                                                       # syscall, idle, netpoll, sysmon,
                                                       # stealing, starting, scheduling,
                                                       # stw-wait, locked, template, dead;
                                                       # lockedg: goid wired by LockOSThread
     "ps": [{"id", "status", "m", "runq", "runnext", "timers"}, ...],
                                                       # status: idle, running, syscall,
                                                       # gcstop (during a stop-the-world)
     "global_queue": [goid, ...], "idle_ms": [id, ...], "idle_ps": [id, ...],
     "syscalls": [(goid, m), ...], "netpoll_waiting": int, "sleeping": int,
     "goroutines": int}

Examples
--------
>>> snap = Snapshot({
...     "time": 5_000_000, "gomaxprocs": 3, "goroutines": 12,
...     "ms": [{"id": 0, "p": 0, "curg": 1, "state": "running"},
...            {"id": 1, "p": 1, "curg": 2, "state": "running"},
...            {"id": 2, "p": -1, "curg": -1, "state": "sysmon"},
...            {"id": 3, "p": -1, "curg": 9, "state": "syscall"},
...            {"id": 4, "p": -1, "curg": -1, "state": "idle"}],
...     "ps": [{"id": 0, "status": "running", "m": 0, "runq": [3, 4], "runnext": 5, "timers": 0},
...            {"id": 1, "status": "running", "m": 1, "runq": [], "runnext": -1, "timers": 1},
...            {"id": 2, "status": "idle", "m": -1, "runq": [], "runnext": -1, "timers": 0}],
...     "global_queue": [6, 7], "idle_ms": [4], "idle_ps": [2],
...     "syscalls": [(9, 3)], "netpoll_waiting": 1, "sleeping": 2})
>>> print(snap)
SNAPSHOT 5ms: gomaxprocs=3 goroutines=12 threads=5
<BLANKLINE>
M0 ─ P0 ─ G1   (M0 running)
             ┌────┐      ┌────┬────┐
     runnext │ G5 │ runq │ G3 │ G4 │
             └────┘      └────┴────┘
M1 ─ P1 ─ G2   (M1 running, 1 timer)
     runq (empty)
<BLANKLINE>
             ┌────┬────┐
global runq  │ G6 │ G7 │
             └────┴────┘
idle Ps      P2
idle Ms      M4
syscalls     G9 on M3
other Ms     M2 sysmon
waiting      2 sleeping, 1 in netpoll
"""

from collections.abc import Mapping

from gmpcore.durations import format_duration

__all__ = ["Snapshot", "M_STATES", "P_STATUSES"]

#: M states the engines report; others are drawn as given.
M_STATES = ("running", "spinning", "syscall", "idle", "netpoll", "sysmon", "stealing",
            "starting", "scheduling", "stw-wait", "locked", "template", "dead")
#: P statuses the engines report; others are drawn as given.
P_STATUSES = ("idle", "running", "syscall", "gcstop")
_REQUIRED = ("time", "gomaxprocs", "ms", "ps")
_INDENT = 5           # where a P's queues start, under the "P" of "M0 ─ P0"


def _int(value, where):
    if isinstance(value, bool) or not hasattr(value, "__index__"):
        raise TypeError(f"snapshot {where} must be an int, got {type(value).__name__} {value!r}")
    return value.__index__()


def _ids(values, where):
    return [_int(v, where) for v in values]


def _boxes(labels, more=0):
    """Three lines drawing `labels` as a row of boxes, ``… N more`` after them."""
    widths = [len(s) + 2 for s in labels]
    top = "┌" + "┬".join("─" * w for w in widths) + "┐"
    mid = "│" + "│".join(f" {s} " for s in labels) + "│"
    bot = "└" + "┴".join("─" * w for w in widths) + "┘"
    if more:
        mid += f" … {more} more"
    return [top, mid, bot]


class Snapshot:
    """The scheduler at one virtual instant, from ``simulate(..., snapshot_at=t)``.

    Parameters
    ----------
    data : Mapping
        The engine's dict (see the module docstring).  ``time``,
        ``gomaxprocs``, ``ms`` and ``ps`` are required; the other keys
        default to empty lists and zero counts.

    Attributes
    ----------
    time : int
        Virtual nanoseconds from the start.
    gomaxprocs, sleeping, netpoll_waiting : int
    goroutines : int or None
        Live goroutines, when the engine gives the count.
    ms, ps : list of dict
        One dict per M and per P, as given.
    global_queue, idle_ms, idle_ps : list of int
    syscalls : list of (goid, m)
    """

    def __init__(self, data):
        if isinstance(data, Snapshot):
            data = data.as_dict()
        if not isinstance(data, Mapping):
            raise TypeError(f"Snapshot needs a dict, got {type(data).__name__}")
        missing = [k for k in _REQUIRED if k not in data]
        if missing:
            raise ValueError(f"snapshot dict lacks {', '.join(missing)}")
        self.time = _int(data["time"], "time")
        self.gomaxprocs = _int(data["gomaxprocs"], "gomaxprocs")
        self.ms = [self._m(m) for m in data["ms"]]
        self.ps = [self._p(p) for p in data["ps"]]
        self.global_queue = _ids(data.get("global_queue", ()), "global_queue entry")
        self.idle_ms = _ids(data.get("idle_ms", ()), "idle_ms entry")
        self.idle_ps = _ids(data.get("idle_ps", ()), "idle_ps entry")
        self.syscalls = [(_int(g, "syscalls goid"), _int(m, "syscalls m"))
                         for g, m in data.get("syscalls", ())]
        self.netpoll_waiting = _int(data.get("netpoll_waiting", 0), "netpoll_waiting")
        self.sleeping = _int(data.get("sleeping", 0), "sleeping")
        self.goroutines = data.get("goroutines")
        if self.goroutines is not None:
            self.goroutines = _int(self.goroutines, "goroutines")

    @staticmethod
    def _m(m):
        state = m.get("state", "running")
        if not isinstance(state, str):
            raise TypeError(f"snapshot M state must be a str such as {M_STATES[:3]}, "
                            f"got {type(state).__name__} {state!r}")
        return {"id": _int(m["id"], "M id"), "p": _int(m.get("p", -1), "M p"),
                "curg": _int(m.get("curg", -1), "M curg"), "state": state,
                "lockedg": _int(m.get("lockedg", -1), "M lockedg")}

    @staticmethod
    def _p(p):
        status = p.get("status", "idle")
        if not isinstance(status, str):
            raise TypeError(f"snapshot P status must be a str such as {P_STATUSES}, "
                            f"got {type(status).__name__} {status!r}")
        return {"id": _int(p["id"], "P id"), "status": status, "m": _int(p.get("m", -1), "P m"),
                "runq": _ids(p.get("runq", ()), "P runq entry"),
                "runnext": _int(p.get("runnext", -1), "P runnext"),
                "timers": _int(p.get("timers", 0), "P timers")}

    def as_dict(self):
        """The snapshot as the engine's plain dict."""
        return {"time": self.time, "gomaxprocs": self.gomaxprocs,
                "ms": [dict(m) for m in self.ms], "ps": [dict(p, runq=list(p["runq"])) for p in self.ps],
                "global_queue": list(self.global_queue), "idle_ms": list(self.idle_ms),
                "idle_ps": list(self.idle_ps), "syscalls": list(self.syscalls),
                "netpoll_waiting": self.netpoll_waiting, "sleeping": self.sleeping,
                "goroutines": self.goroutines}

    def runnable(self):
        """Gs waiting to run: every local ring, every runnext and the global queue."""
        return (len(self.global_queue)
                + sum(len(p["runq"]) + (p["runnext"] >= 0) for p in self.ps))

    # ------------------------------------------------------------ drawing

    def _queue(self, p, max_queue):
        """The lines under a P: runnext and the ring as boxes, or ``runq (empty)``."""
        ring, nxt = p["runq"], p["runnext"]
        if not ring and nxt < 0:
            return [" " * _INDENT + "runq (empty)"]
        left, right = ["", "", ""], ["", "", ""]
        if nxt >= 0:
            box = _boxes([f"G{nxt}"])
            left = [" " * 8 + box[0], "runnext " + box[1], " " * 8 + box[2]]
        if ring:
            shown = ring[:max_queue]
            box = _boxes([f"G{g}" for g in shown], len(ring) - len(shown)) if shown else \
                ["", f"… {len(ring)} more", ""]
            gap = " " if nxt >= 0 else ""
            label = f"runq {len(ring)}" if len(ring) > max_queue else "runq"
            right = [gap + " " * (len(label) + 1) + box[0], gap + f"{label} " + box[1],
                     gap + " " * (len(label) + 1) + box[2]]
        else:
            right = ["", " runq (empty)", ""]
        lines = [(" " * _INDENT + a + b).rstrip() for a, b in zip(left, right)]
        return [line for line in lines if line]

    def render(self, max_queue=8):
        """Draw the snapshot as text.

        Parameters
        ----------
        max_queue : int
            Boxes drawn per queue; the rest are counted as ``… N more``.

        Returns
        -------
        str
            The diagram, without a trailing newline.
        """
        max_queue = _int(max_queue, "max_queue")
        if max_queue < 0:
            raise ValueError(f"max_queue must be >= 0, got {max_queue}")
        ms_by_id = {m["id"]: m for m in self.ms}
        count = "" if self.goroutines is None else f" goroutines={self.goroutines}"
        lines = [f"SNAPSHOT {format_duration(self.time)}: gomaxprocs={self.gomaxprocs}"
                 f"{count} threads={sum(m['state'] != 'dead' for m in self.ms)}", ""]
        shown_ms = set()
        idle_ps = set(self.idle_ps)
        for p in self.ps:
            m = ms_by_id.get(p["m"]) if p["m"] >= 0 else None
            if m is None:
                m = next((x for x in self.ms if x["p"] == p["id"]), None)
            queued = p["runq"] or p["runnext"] >= 0
            if m is None and (p["status"] == "idle" or p["id"] in idle_ps) and not queued:
                continue                     # drawn in the idle Ps line
            notes = []
            if m is None:
                head = f"{'':{len('M0 ─ ')}}P{p['id']} ─ (no M)"
                notes.append(f"P{p['id']} {p['status']}")
            else:
                shown_ms.add(m["id"])
                g = f"G{m['curg']}" if m["curg"] >= 0 else "(no G)"
                head = f"M{m['id']} ─ P{p['id']} ─ {g}"
                notes.append(f"M{m['id']} {m['state']}")
                if p["status"] != "running":
                    notes.append(f"P{p['id']} {p['status']}")
            if p["timers"]:
                notes.append(f"{p['timers']} timer{'s' if p['timers'] != 1 else ''}")
            lines.append(f"{head}   ({', '.join(notes)})")
            lines.extend(self._queue(p, max_queue))
        lines.append("")
        label = "global runq"
        if self.global_queue:
            shown = self.global_queue[:max_queue]
            more = len(self.global_queue) - len(shown)
            if len(self.global_queue) > max_queue:
                label = f"global runq {len(self.global_queue)}"
            box = _boxes([f"G{g}" for g in shown], more) if shown else ["", f"… {more} more", ""]
            pad = max(len(label) + 2, 13)
            rows = [(" " * pad + box[0]).rstrip(), f"{label:<{pad}}{box[1]}",
                    (" " * pad + box[2]).rstrip()]
            lines += [line for line in rows if line]
        else:
            lines.append(f"{label:<13}(empty)")

        def row(name, items):
            if items:
                lines.append(f"{name:<13}{items}")

        timers = {p["id"]: p["timers"] for p in self.ps}
        row("idle Ps", " ".join(f"P{i}" + (f" ({timers[i]} timers)" if timers.get(i) else "")
                                for i in self.idle_ps))
        row("idle Ms", " ".join(f"M{i}" for i in self.idle_ms))
        row("syscalls", ", ".join(f"G{g} on M{m}" for g, m in self.syscalls))
        in_lists = set(self.idle_ms) | {m for _, m in self.syscalls}
        others = [m for m in self.ms if m["id"] not in shown_ms and m["id"] not in in_lists]
        row("other Ms", ", ".join(f"M{m['id']} {m['state']}"
                                  + (f" G{m['curg']}" if m["curg"] >= 0 else "")
                                  + (f" P{m['p']}" if m["p"] >= 0 else "") for m in others))
        locked = [m for m in self.ms if m["lockedg"] >= 0]
        row("locked", ", ".join(f"G{m['lockedg']} to M{m['id']}" for m in locked))
        row("waiting", f"{self.sleeping} sleeping, {self.netpoll_waiting} in netpoll")
        return "\n".join(lines)

    def __str__(self):
        return self.render()

    def __repr__(self):
        return (f"<Snapshot at {format_duration(self.time)}: {len(self.ms)} Ms, "
                f"{len(self.ps)} Ps, {self.runnable()} runnable Gs>")
