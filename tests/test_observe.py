"""Watching a run: scheddetail, on_schedtrace, the monitor, the snapshot and
the event-log filters (both engines; the differential tests check that the
engines agree, these check that what they report is right)."""

import re

import numpy as np
import pytest

import gmpcore as gmp
from gmpcore.events import G_DEAD, STOP_EXIT, EV_STOP
from gmpcore.scenarios import blocking_syscalls, fanout, io_bound

pytestmark = pytest.mark.empty_runtime   # hand-derived: main starts alone (conftest)

US, MS = 1_000, 1_000_000


# Go 1.25's scheddetail lines (go-scheduler.md §6.4), field for field.
HEADER = re.compile(r"SCHED \d+ms: gomaxprocs=\d+ idleprocs=\d+ threads=\d+ spinningthreads=\d+ "
                    r"needspinning=[01] idlethreads=\d+ runqueue=\d+ gcwaiting=false "
                    r"nmidlelocked=0 stopwait=0 sysmonwait=(true|false)$")
P_LINE = re.compile(r"  P\d+: status=\d schedtick=\d+ syscalltick=\d+ m=(\d+|nil) runqsize=\d+ "
                    r"gfreecnt=\d+ timerslen=\d+$")
M_LINE = re.compile(r"  M\d+: p=(\d+|nil) curg=(\d+|nil) mallocing=0 throwing=0 preemptoff= locks=0 "
                    r"dying=0 spinning=(true|false) blocked=(true|false) lockedg=nil$")
G_LINE = re.compile(r"  G\d+: status=\d\(([a-zA-Z .]*)\) m=(\d+|nil) lockedm=nil$")


def test_scheddetail_has_go_format(engine):
    res = gmp.simulate(blocking_syscalls(n=6, duration="2ms"), gomaxprocs=2, seed=3,
                       engine=engine, schedtrace="1ms", scheddetail=True)
    assert len(res.schedtrace) >= 3
    for block in res.schedtrace:
        lines = block.split("\n")
        assert HEADER.match(lines[0]), lines[0]
        ps = [ln for ln in lines[1:] if ln.startswith("  P")]
        ms = [ln for ln in lines[1:] if ln.startswith("  M")]
        gs = [ln for ln in lines[1:] if ln.startswith("  G")]
        assert len(ps) == 2 and len(ps) + len(ms) + len(gs) == len(lines) - 1
        assert all(P_LINE.match(ln) for ln in ps), ps
        assert all(M_LINE.match(ln) for ln in ms), ms
        assert all(G_LINE.match(ln) for ln in gs), gs
        threads = int(re.search(r"threads=(\d+)", lines[0]).group(1))
        assert len(ms) == threads
        # allm is newest first; allgs in creation order.
        ids = [int(re.match(r"  M(\d+)", ln).group(1)) for ln in ms]
        assert ids == sorted(ids, reverse=True)
    # Some block shows a G in a syscall on an M that has no P.
    assert any(re.search(r"status=3\(\) m=\d+", b) for b in res.schedtrace)


def test_scheddetail_first_line_is_sched_0ms(engine):
    # cpus=None: sysmon, which prints the lines, never waits for a CPU.
    res = gmp.simulate(fanout(50), gomaxprocs=2, seed=1, engine=engine, schedtrace="10us",
                       scheddetail=True, cpus=None)
    assert res.schedtrace[0].startswith("SCHED 0ms: ")


def test_on_schedtrace_sees_each_line_as_it_comes(engine):
    seen = []
    # cpus=None: sysmon, which prints the lines, never waits for a CPU.
    res = gmp.simulate(fanout(2000, "5us"), gomaxprocs=4, seed=2, engine=engine,
                       schedtrace="1ms", on_schedtrace=seen.append, cpus=None)
    assert seen == res.schedtrace and len(seen) >= 2
    plain = gmp.simulate(fanout(2000, "5us"), gomaxprocs=4, seed=2, engine=engine,
                         schedtrace="1ms", cpus=None)
    assert plain.schedtrace == res.schedtrace     # watching does not change the run


def live_at(res, t):
    """Gs alive at t from the per-G records alone: created, not yet exited."""
    g = res.goroutines
    return int(((g["created"] <= t) & ((g["finished"] > t) | (g["finished"] < 0))).sum())


def test_monitor_matches_the_goroutine_records(engine):
    res = gmp.simulate(fanout(3000, "3us"), gomaxprocs=4, seed=5, engine=engine,
                       monitor="20us", until="all")
    mon = res.monitor
    assert mon is not None and mon.dtype.names[-1] == "local_queues"
    assert mon["local_queues"].shape == (len(mon), 4)
    assert np.all(np.diff(mon["time"]) == 20 * US) and mon["time"][0] == 0
    for row in mon[:: max(1, len(mon) // 25)]:
        assert row["goroutines"] == live_at(res, row["time"])
    # Stacks never grow here: 2 KiB per live G.
    assert np.array_equal(mon["stack_inuse"], 2048 * mon["goroutines"])
    total = mon["runnable"] + mon["running"]
    assert np.all(total <= mon["goroutines"])
    assert np.all(mon["running"] <= 4)
    # The ring of P0 fills while main spawns: Go's 256-slot ring bounds it.
    assert mon["local_queues"].max() <= 256 and mon["local_queues"].max() > 0
    assert np.all(mon["idle_procs"] <= 4)


def test_monitor_stops_at_max_samples(engine):
    res = gmp.simulate(fanout(500), gomaxprocs=2, seed=1, engine=engine, monitor="1us",
                       max_samples=7)
    assert len(res.monitor) == 7


def test_snapshot_places_every_live_goroutine(engine):
    res = gmp.simulate(io_bound(200, wait_for="300us"), gomaxprocs=3, seed=4, engine=engine,
                       snapshot_at="150us", until="all")
    snap = res.snapshot
    assert snap is not None and snap.time == 150 * US
    d = snap.as_dict()
    assert d["goroutines"] == live_at(res, 150 * US)
    queued = sum(len(p["runq"]) + (p["runnext"] >= 0) for p in d["ps"])
    running = sum(m["curg"] >= 0 and m["state"] == "running" for m in d["ms"])
    placed = (queued + len(d["global_queue"]) + running + len(d["syscalls"])
              + d["netpoll_waiting"] + d["sleeping"])
    # The rest wait on the WaitGroup (main) or are in an M's hand.
    assert placed <= d["goroutines"] <= placed + 1 + len(d["ms"])
    assert d["netpoll_waiting"] > 0
    assert "SNAPSHOT" in snap.render()


def test_snapshot_after_the_end_shows_the_end(engine):
    res = gmp.simulate(fanout(10), gomaxprocs=2, seed=1, engine=engine, snapshot_at="1s")
    assert res.snapshot.time == res.makespan_ns


def test_trace_window_and_goroutine_filters(engine):
    wl = fanout(300, "4us")
    full = gmp.simulate(wl, gomaxprocs=3, seed=9, engine=engine, record_events=True)
    t0, t1 = 50 * US, 120 * US
    win = gmp.simulate(wl, gomaxprocs=3, seed=9, engine=engine, record_events=True,
                       trace_window=(t0, t1))
    inside = full.events[(full.events["time"] >= t0) & (full.events["time"] <= t1)]
    assert np.array_equal(win.events, inside)
    goids = [1, 5, 17]
    some = gmp.simulate(wl, gomaxprocs=3, seed=9, engine=engine, record_events=True,
                        trace_goroutines=goids)
    goid_of = full.goroutines["goid"]
    keep = (full.events["g"] < 0) | np.isin(goid_of[np.maximum(full.events["g"], 0)], goids)
    assert np.array_equal(some.events, full.events[keep])
    # Each of those Gs exits exactly once in the filtered log.
    stops = some.events[(some.events["kind"] == EV_STOP) & (some.events["arg"] == STOP_EXIT)]
    assert sorted(goid_of[stops["g"]]) == goids
    capped = gmp.simulate(wl, gomaxprocs=3, seed=9, engine=engine, record_events=True,
                          max_trace_events=100)
    assert np.array_equal(capped.events, full.events[:100])
    assert capped.counters["events_dropped"] == len(full.events) - 100
    assert np.array_equal(capped.goroutines, full.goroutines)   # filters never change the run


def test_goroutine_filter_takes_any_goids(engine):
    """Goids that never exist (up to 2**31 - 1) filter everything about Gs
    away, cheaply; an empty filter too."""
    for goids in ([2**31 - 1, 2**30], []):
        res = gmp.simulate(fanout(20), gomaxprocs=2, seed=1, engine=engine,
                           record_events=True, trace_goroutines=goids)
        assert len(res.events) and np.all(res.events["g"] == -1)


def test_program_column_names_each_goroutine(engine):
    wl = gmp.Workload()
    wg = wl.waitgroup()
    a = wl.program(gmp.cpu("1us"), gmp.done(wg), name="alpha")
    b = wl.program(gmp.repeat(3, gmp.cpu("1us")), gmp.done(wg), name="beta")
    wl.main(gmp.add(wg, 5), gmp.go(a, count=2), gmp.go(b, count=3), gmp.wait(wg))
    res = gmp.simulate(wl, gomaxprocs=2, seed=1, engine=engine)
    names = [res.program_names[i] for i in res.goroutines["program"]]
    assert names == ["main", "alpha", "alpha", "beta", "beta", "beta"]
    assert np.all(res.goroutines["state"] == G_DEAD)


@pytest.mark.parametrize("kwargs, exc, words", [
    (dict(scheddetail=1), TypeError, "scheddetail"),
    (dict(on_schedtrace="print"), TypeError, "on_schedtrace"),
    (dict(monitor=0), ValueError, "monitor"),
    (dict(monitor="-1us"), ValueError, "monitor"),
    (dict(max_samples=0), ValueError, "max_samples"),
    (dict(snapshot_at=-5), ValueError, "snapshot_at"),
    (dict(trace_window=(10, 5)), ValueError, "trace_window"),
    (dict(trace_window=5), TypeError, "trace_window"),
    (dict(trace_goroutines=[0]), ValueError, "trace_goroutines"),
    (dict(trace_goroutines=3), TypeError, "trace_goroutines"),
    (dict(max_trace_events=-1), ValueError, "max_trace_events"),
])
def test_bad_observe_options(kwargs, exc, words):
    with pytest.raises(exc, match=words):
        gmp.simulate(fanout(5), **kwargs)


# Verbatim GODEBUG=schedtrace=10 lines of Go 1.27.3 on this machine
# (docs/cost-model.md §3): a parser written for them must read ours.
REAL_GO_LINES = [
    "SCHED 0ms: gomaxprocs=2 idleprocs=0 threads=4 spinningthreads=1 needspinning=0 idlethreads=0 runqueue=0 [ 2 0 ] schedticks=[ 0 0 ]",
    "SCHED 26ms: gomaxprocs=2 idleprocs=0 threads=6 spinningthreads=1 needspinning=1 idlethreads=1 runqueue=3050 [ 79 160 ] schedticks=[ 4969 4 ]",
]
SCHEDTRACE = re.compile(
    r"^SCHED (?P<ms>\d+)ms: gomaxprocs=(?P<procs>\d+) idleprocs=(?P<idle>\d+) "
    r"threads=(?P<threads>\d+) spinningthreads=(?P<spinning>\d+) needspinning=(?P<need>[01]) "
    r"idlethreads=(?P<idlethreads>\d+) runqueue=(?P<global>\d+) \[ (?P<rings>(?:\d+ )+)\] "
    r"schedticks=\[ (?P<ticks>(?:\d+ )+)\]$")


def parse_schedtrace(line):
    m = SCHEDTRACE.match(line)
    assert m, line
    d = {k: int(v) for k, v in m.groupdict().items() if k not in ("rings", "ticks")}
    d["rings"] = [int(x) for x in m["rings"].split()]
    d["ticks"] = [int(x) for x in m["ticks"].split()]
    assert len(d["rings"]) == len(d["ticks"]) == d["procs"]
    return d


def test_schedtrace_lines_parse_like_real_go_output(engine):
    for line in REAL_GO_LINES:
        parse_schedtrace(line)
    res = gmp.simulate(fanout(60_000, "1us"), gomaxprocs=2, seed=1, engine=engine,
                       schedtrace="10ms")
    parsed = [parse_schedtrace(line) for line in res.schedtrace]
    assert parsed[0]["ms"] == 0 and len(parsed) >= 3
    # sysmon prints every 10 ms rounded up to its own period, as Go does
    gaps = np.diff([p["ms"] for p in parsed])
    assert np.all(gaps >= 10) and np.all(gaps <= 21)
    assert max(p["global"] for p in parsed) > 0          # the fan-out spills globally
    assert all(p["rings"][i] <= 256 for p in parsed for i in range(2))
