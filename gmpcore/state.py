"""The scheduler's state at one moment, as both engines report it.

An engine hands over a *view*: a plain dict of its tables at a virtual time,
with goroutines named by their G index (row in ``Result.goroutines``).  This
module turns a view into what people read:

* :func:`schedtrace_line` and :func:`scheddetail` — Go's
  ``GODEBUG=schedtrace=X[,scheddetail=1]`` text, field for field
  (go-scheduler.md §6);
* :func:`snapshot_dict` — the plain dict behind :class:`gmpcore.snapshot.Snapshot`
  (goids instead of G indices, M states in words).

The view's keys (both engines fill all of them):

``time``, ``since_start`` (ns since schedtrace's first line), ``gomaxprocs``,
``npidle``, ``threads`` (Go's ``mcount()``: Ms that exited are not counted),
``nmspinning``, ``needspinning``, ``nmidle``, ``nmidlelocked``,
``sysmonwait``, ``global_queue`` (G indices, head first), ``ps`` (per P:
``id, status, schedtick, syscalltick, m, runq, runnext, timers, idle``), ``ms`` (per
M in creation order: ``id, p, curg, nextp, spinning, idle, poller, sysmon,
template, lockedg`` (the G index wired to it by LockOSThread, or -1),
``locked`` (parked in stoplockedm), ``dead`` (exited: mexit);
``idle`` of a P means it is on the idle list: a P handed to a starting M
keeps ``_Pidle`` status until that M acquires it),
``goid``, ``g_status``, ``g_waitreason`` (arrays over all Gs), ``io_waiting``
and ``sleeping`` (Gs parked in the netpoller and on timers).

>>> line = schedtrace_line(12_345_678, 2, 0, 4, 1, 1, 1, 3097, [0, 240], [175449, 333503])
>>> line
'SCHED 12ms: gomaxprocs=2 idleprocs=0 threads=4 spinningthreads=1 needspinning=1 idlethreads=1 runqueue=3097 [ 0 240 ] schedticks=[ 175449 333503 ]'
"""

import numpy as np

from gmpcore.events import (G_DEAD, G_RUNNING, G_SYSCALL, P_GCSTOP, P_IDLE, P_RUNNING, P_SYSCALL,
                            WAIT_REASONS)

_P_STATUS = {P_IDLE: "idle", P_RUNNING: "running", P_SYSCALL: "syscall", P_GCSTOP: "gcstop"}


def schedtrace_line(since_start_ns, gomaxprocs, idleprocs, threads, spinning, needspinning,
                    idlethreads, runqueue, runqsizes, schedticks):
    """One non-detailed schedtrace line, Go 1.25 format (§6.2, §6.3)."""
    rings = " ".join(str(int(x)) for x in runqsizes)
    ticks = "".join(f"{int(x)} " for x in schedticks)
    return (f"SCHED {since_start_ns // 1_000_000}ms: gomaxprocs={gomaxprocs} "
            f"idleprocs={idleprocs} threads={threads} spinningthreads={spinning} "
            f"needspinning={needspinning} idlethreads={idlethreads} runqueue={runqueue} "
            f"[ {rings} ] schedticks=[ {ticks}]")


def _header(view):
    return (f"SCHED {view['since_start'] // 1_000_000}ms: gomaxprocs={view['gomaxprocs']} "
            f"idleprocs={view['npidle']} threads={view['threads']} "
            f"spinningthreads={view['nmspinning']} needspinning={view['needspinning']} "
            f"idlethreads={view['nmidle']} runqueue={len(view['global_queue'])}")


def view_line(view):
    """The non-detailed line for a view."""
    return schedtrace_line(view["since_start"], view["gomaxprocs"], view["npidle"],
                           view["threads"], view["nmspinning"], view["needspinning"],
                           view["nmidle"], len(view["global_queue"]),
                           [len(p["runq"]) for p in view["ps"]],
                           [p["schedtick"] for p in view["ps"]])


def scheddetail(view):
    """The ``scheddetail=1`` block for a view (§6.4), lines joined by newlines.

    Header, then one line per P, per M (most recently created first, as Go
    walks ``allm``; an M that exited is gone from it, except M0, which Go
    parks forever) and per G (creation order, as ``allgs``).  Fields the
    model has no counterpart for print Go's idle values: ``gcwaiting=false``,
    ``mallocing=0`` ...; ``gfreecnt`` is the P's free-G list (gfput/gfget).
    """
    goid = view["goid"]
    lines = [_header(view) + f" gcwaiting=false nmidlelocked={view.get('nmidlelocked', 0)} "
             f"stopwait=0 sysmonwait={'true' if view['sysmonwait'] else 'false'}"]
    for p in view["ps"]:
        m = "nil" if p["m"] < 0 else p["m"]
        lines.append(f"  P{p['id']}: status={p['status']} schedtick={p['schedtick']} "
                     f"syscalltick={p['syscalltick']} m={m} runqsize={len(p['runq'])} "
                     f"gfreecnt={p.get('gfree', 0)} timerslen={p['timers']}")
    g_m, g_lockedm = {}, {}
    for m in reversed(view["ms"]):
        if m.get("dead") and m["id"] != 0:
            continue                          # unlinked from allm (m0 stays, wedged)
        curg, lockedg = m["curg"], m.get("lockedg", -1)
        if curg >= 0:
            g_m[curg] = m["id"]
        if lockedg >= 0:
            g_lockedm[lockedg] = m["id"]
        blocked = m["idle"] or m.get("locked") or m.get("template") or m.get("dead")
        lines.append(f"  M{m['id']}: p={'nil' if m['p'] < 0 else m['p']} "
                     f"curg={'nil' if curg < 0 else int(goid[curg])} mallocing=0 throwing=0 "
                     f"preemptoff= locks=0 dying=0 spinning={'true' if m['spinning'] else 'false'} "
                     f"blocked={'true' if blocked else 'false'} "
                     f"lockedg={'nil' if lockedg < 0 else int(goid[lockedg])}")
    status, reason = view["g_status"], view["g_waitreason"]
    for i in range(len(goid)):
        st = int(status[i])
        why = WAIT_REASONS[reason[i]] if st not in (G_RUNNING, G_DEAD) and reason[i] else ""
        lines.append(f"  G{int(goid[i])}: status={st}({why}) m={g_m.get(i, 'nil')} "
                     f"lockedm={g_lockedm.get(i, 'nil')}")
    return "\n".join(lines)


def _m_state(m, g_status):
    if m["sysmon"]:
        return "sysmon"
    if m.get("template"):
        return "template"          # Go's template thread: clones Ms for locked ones
    if m.get("dead"):
        return "dead"              # its locked G exited (mexit)
    if m.get("locked"):
        return "locked"            # parked in stoplockedm until its G is picked
    if m["idle"]:
        return "idle"
    if m.get("stw"):
        return "stw-wait"          # stopping or restarting the world for its G
    if m["curg"] >= 0:
        return "syscall" if g_status[m["curg"]] == G_SYSCALL else "running"
    if m["poller"]:
        return "netpoll"
    if m["p"] < 0:
        return "starting"          # woken or created for nextp, not yet running (startm)
    if m["spinning"]:
        return "spinning"
    return "scheduling"            # holds a P, between Gs (schedule/findRunnable)


def snapshot_dict(view):
    """The :class:`gmpcore.snapshot.Snapshot` dict for a view: goroutines by goid."""
    goid = view["goid"]

    def ids(gs):
        return [int(goid[g]) for g in gs]

    ms = [{"id": m["id"], "p": m["p"] if m["p"] >= 0 else m["nextp"],
           "curg": int(goid[m["curg"]]) if m["curg"] >= 0 else -1,
           "state": _m_state(m, view["g_status"]),
           "lockedg": int(goid[m["lockedg"]]) if m.get("lockedg", -1) >= 0 else -1}
          for m in view["ms"]]
    ps = [{"id": p["id"], "status": _P_STATUS.get(p["status"], str(p["status"])), "m": p["m"],
           "runq": ids(p["runq"]), "runnext": int(goid[p["runnext"]]) if p["runnext"] >= 0 else -1,
           "timers": p["timers"]} for p in view["ps"]]
    status = np.asarray(view["g_status"])
    return {
        "time": view["time"],
        "gomaxprocs": view["gomaxprocs"],
        "ms": ms,
        "ps": ps,
        "global_queue": ids(view["global_queue"]),
        "idle_ms": [m["id"] for m in view["ms"] if m["idle"]],
        "idle_ps": [p["id"] for p in view["ps"] if p["idle"]],     # on sched.pidle
        "syscalls": [(int(goid[m["curg"]]), m["id"]) for m in view["ms"]
                     if m["curg"] >= 0 and status[m["curg"]] == G_SYSCALL],
        "netpoll_waiting": view["io_waiting"],
        "sleeping": view["sleeping"],
        "goroutines": int((status != G_DEAD).sum()),
    }
