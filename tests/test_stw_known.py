"""runtime.GOMAXPROCS(n) at run time: stop-the-world and procresize
(docs/design/machine.md §1.3-§1.5, §3.7), held to answers derived by hand
from Go 1.25's rules (machine.md §7.1 items 6, 7, 8), in both engines.

Every cost is 0 unless a test names it, so each time below is a sum of the
workload's own durations and the costs named; where a spinning M takes a
G out of a running P's runnext it first backs off RUNNEXT_BACKOFF (3 µs,
runqgrab's usleep(3), no timer slack with sysmon_tick = 0).
"""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import gmpcore as gmp
from gmpcore.costs import FIELDS
from gmpcore.events import (EV_M_WAKE, EV_PREEMPT, EV_PROCS, EV_STW_DONE, EV_STW_START,
                            EV_SYSCALL_EXIT, EV_THREAD_CREATE, EV_TIMER, EV_WAIT, G_RUNNABLE,
                            STW_GOMAXPROCS, WAIT_SEMACQUIRE)
from gmpcore.model import STW_PREEMPT_PERIOD
from test_engine_differential import assert_same_result, unfiltered
from gmpcore.strategies import examples, run_options, workloads

pytestmark = pytest.mark.empty_runtime   # hand-derived: main starts alone (conftest)

US = 1_000
MS = 1_000_000
ZERO = {f: 0 for f in FIELDS}
ENGINES = ["compiled", "reference"]


def run(wl, engine, costs=ZERO, **kw):
    kw.setdefault("check", True)
    kw.setdefault("noise", False)       # the answers are derived for exact costs
    return gmp.simulate(wl, engine=engine, costs=costs, record_events=True, **kw)


def rows(res, kind):
    ev = res.events
    return ev[ev["kind"] == kind]


def goid_of(res, name):
    """The goid of the (only) G running program `name`."""
    prog = res.program_names.index(name)
    (i,) = np.flatnonzero(res.goroutines["program"] == prog)
    return int(res.goroutines["goid"][i])


# ---------------------------------------------------------------- §7.1 item 6

def procresize_workload():
    """P0 runs main; wA, wB, wC are stolen one by one onto P1, P2, P3 (each
    spawn finds exactly one idle P and one G to steal).  Once every P is
    busy (no idle P: no spinning M, nobody steals) wB spawns e then f on P2
    (ring e, runnext f) and wC spawns a, b, c, d on P3 (ring a b c, runnext
    d).  Their long bursts are not preemptible and async preemption is off,
    so each P stops only when its burst ends."""
    wl = gmp.Workload()
    leaf = {n: wl.program(gmp.cpu("1ms"), name=n) for n in "abcdef"}
    wa = wl.program(gmp.cpu("330us", preemptible=False), name="wA")
    wb = wl.program(gmp.cpu("40us"), gmp.go(leaf["e"]), gmp.go(leaf["f"]),
                    gmp.cpu("400us", preemptible=False), name="wB")
    wc = wl.program(gmp.cpu("30us"), *[gmp.go(leaf[n]) for n in "abcd"],
                    gmp.cpu("500us", preemptible=False), name="wC")
    wl.main(gmp.go(wa), gmp.cpu("10us"), gmp.go(wb), gmp.cpu("10us"), gmp.go(wc),
            gmp.cpu("70us"), gmp.gomaxprocs(2), gmp.cpu("1ms"))
    return wl


@pytest.mark.parametrize("engine", ENGINES)
def test_procresize_pushes_destroyed_rings_tail_first_then_runnext(engine):
    # thread_wake = 1 µs: woken Ms (and the STW caller) run 1 µs after the wake-up.
    # wA: stolen at 3 µs (back-off), burst to 333 µs.
    # wB: go at 10 µs, its M woken at 11, back-off to 14; 14+40 = 54 µs spawns; burst to 454.
    # wC: go at 20 µs, woken at 21, back-off to 24; 24+30 = 54 µs spawns; burst to 554.
    # main: 10+10+70 = 90 µs of CPU ... plus nothing: GOMAXPROCS(2) at t = 90 µs.
    # The STW waits for P1 (333 µs), P2 (454), P3 (554); each preempted G goes
    # to the global tail (Go 1.25 goschedImpl): global = wA, wB, wC.  The last
    # stop wakes main's M at 554 + 1 = 555 µs, which runs procresize(2):
    # destroy P2 then P3, each pushing its ring tail first, then runnext, to
    # the global head:  [f, e, wA, wB, wC]  then  [d, a, b, c, f, e, wA, wB, wC].
    costs = dict(ZERO, thread_wake=1 * US)
    t_op, t_done = 90 * US, 555 * US
    res = run(procresize_workload(), engine, costs=costs, gomaxprocs=4, async_preempt=False,
              snapshot_at=t_done)
    names = {goid_of(res, n): n for n in ["a", "b", "c", "d", "e", "f", "wA", "wB", "wC"]}
    snap = res.snapshot
    assert [names[g] for g in snap.global_queue] == ["d", "a", "b", "c", "f", "e",
                                                     "wA", "wB", "wC"]
    assert snap.gomaxprocs == 2 and [p["id"] for p in snap.ps] == [0, 1]
    # P1 had no work: procresize put it on the idle list (alone, so on top);
    # startTheWorld's wakep took it at once for a spinning M (woken 1 µs later).
    assert snap.idle_ps == []
    woke = rows(res, EV_M_WAKE)
    woke = woke[woke["time"] == t_done]
    assert woke["p"].tolist() == [1] and woke["arg"].tolist() == [1]
    start, done = rows(res, EV_STW_START), rows(res, EV_STW_DONE)
    assert start["time"].tolist() == [t_op] and start["arg"].tolist() == [STW_GOMAXPROCS]
    assert done["time"].tolist() == [t_done] and done["arg"].tolist() == [t_done - t_op]
    assert rows(res, EV_PROCS)["arg"].tolist() == [2]
    assert res.gomaxprocs_history == [(t_done, 4, 2, "user")]
    c = res.counters
    assert (c["stw_count"], c["gomaxprocs_changes"]) == (1, 1)
    assert c["stw_stopping_ns"] == c["stw_total_ns"] == t_done - t_op
    assert len(res.procs) == 4 and res.gomaxprocs == 4    # every P that existed; the start


@pytest.mark.parametrize("engine", ENGINES)
def test_destroyed_p_timers_move_to_the_callers_p(engine):
    # main spawns s; a spinning M on P1 steals it from P0's runnext after the
    # back-off (3 µs); s sleeps 2 ms: its timer is on P1, and P1 goes idle.
    # GOMAXPROCS(1) at 50 µs: the STW takes idle P1 at once, procresize(1)
    # destroys P1 and moves its timer to P0 (main's P).  The timer fires on P0.
    wl = gmp.Workload()
    s = wl.program(gmp.sleep("2ms"), name="s")
    wl.main(gmp.go(s), gmp.cpu("50us"), gmp.gomaxprocs(1), gmp.sleep("5ms"))
    res = run(wl, engine, gomaxprocs=2, snapshot_at=60 * US)
    # P0 now holds both timers: s's, moved from P1, and main's own 5 ms sleep.
    ps = res.snapshot.ps
    assert [p["id"] for p in ps] == [0] and ps[0]["timers"] == 2
    fired = rows(res, EV_TIMER)
    sg = res.goroutines["goid"].tolist().index(goid_of(res, "s"))
    assert fired[fired["g"] == sg]["p"].tolist() == [0]
    assert rows(res, EV_STW_DONE)["time"].tolist() == [50 * US]   # nothing to wait for


@pytest.mark.parametrize("engine", ENGINES)
def test_growing_puts_the_lowest_id_on_top_of_the_idle_list(engine):
    # P=2 -> GOMAXPROCS(4) with every queue empty: procresize puts P3, P2, P1
    # on the idle list in that order, so startTheWorld's wakep takes P1.
    wl = gmp.Workload()
    wl.main(gmp.cpu("10us"), gmp.gomaxprocs(4), gmp.cpu("10us"))
    res = run(wl, engine, gomaxprocs=2)
    done = int(rows(res, EV_STW_DONE)["time"][0])
    after = res.events[res.events["time"] >= done]
    woke = after[np.isin(after["kind"], [EV_M_WAKE, EV_THREAD_CREATE])]
    assert woke["p"][0] == 1
    assert res.gomaxprocs_history == [(10 * US, 2, 4, "user")]
    assert len(res.procs) == 4


# ---------------------------------------------------------------- §7.1 item 7

@pytest.mark.parametrize("engine", ENGINES)
def test_stw_takes_a_syscall_p_at_once(engine):
    # g1 is stolen onto P1 at 3 µs and enters a 5 ms syscall: P1 is _Psyscall.
    # GOMAXPROCS(1) at 10 µs (before sysmon's second look at P1, at 40 µs,
    # could retake it): step 4 CASes P1 to _Pgcstop, so nothing is left to
    # wait for: stopping = stw_stop; total = stw_stop + stw_start +
    # procresize_p * max(2, 1) = 2 + 3 + 2 * 1 = 7 µs.  At 5.003 ms g1's
    # P1 is dead and no P is idle (main runs): the slow path, to the global queue.
    costs = dict(ZERO, stw_stop=2 * US, stw_start=3 * US, procresize_p=1 * US)
    wl = gmp.Workload()
    g1 = wl.program(gmp.syscall("5ms"), name="g1")
    wl.main(gmp.go(g1), gmp.cpu("10us"), gmp.gomaxprocs(1), gmp.cpu("5ms"))
    res = run(wl, engine, costs=costs, gomaxprocs=2)
    c = res.counters
    assert c["stw_stopping_ns"] == 2 * US
    assert c["stw_total_ns"] == 7 * US
    assert rows(res, EV_STW_DONE)["time"].tolist() == [17 * US]
    t0, t1 = 10 * US, 17 * US
    during = res.events[(res.events["time"] >= t0) & (res.events["time"] <= t1)]
    assert not (during["kind"] == EV_PREEMPT).any()          # no 100 µs loop
    ex = rows(res, EV_SYSCALL_EXIT)
    assert ex["time"].tolist() == [5 * MS + 3 * US] and ex["arg"].tolist() == [2]  # slow path
    g = res.goroutines[res.goroutines["goid"] == goid_of(res, "g1")][0]
    assert g["state"] == G_RUNNABLE                          # in the global queue at the end
    assert res.makespan_ns == 17 * US + 5 * MS


# ---------------------------------------------------------------- §7.1 item 8

@pytest.mark.parametrize("engine", ENGINES)
def test_stw_waits_for_a_non_preemptible_burst(engine):
    # w is stolen onto P1 at 3 µs and runs a 1 ms burst without safe points
    # (async preemption off) until 1.003 ms.  GOMAXPROCS(1) at 10 µs:
    # preemptall at 10 µs, then every 100 µs while P1 runs: 110 ... 910 µs
    # (10 requests in all).  At 1003 µs w stops (to the global queue), its M
    # stops P1 and wakes main's M: 1003 + thread_wake (5 µs) = 1008 µs.
    costs = dict(ZERO, thread_wake=5 * US)
    wl = gmp.Workload()
    w = wl.program(gmp.cpu("1ms", preemptible=False), name="w")
    wl.main(gmp.go(w), gmp.cpu("10us"), gmp.gomaxprocs(1), gmp.cpu("100us"))
    res = run(wl, engine, costs=costs, gomaxprocs=2, async_preempt=False)
    t0 = 10 * US
    pre = rows(res, EV_PREEMPT)
    assert pre["time"].tolist() == [t0 + k * STW_PREEMPT_PERIOD for k in range(10)]
    assert rows(res, EV_STW_DONE)["time"].tolist() == [1008 * US]
    assert res.counters["stw_stopping_ns"] == 998 * US
    assert res.counters["stw_total_ns"] == 998 * US
    assert res.makespan_ns == 1108 * US


@pytest.mark.parametrize("engine", ENGINES)
def test_stw_with_async_preemption_stops_at_once(engine):
    # The same, with async preemption: the first preemptall's signal stops w
    # at 10 µs; main's M is woken at 10 + 5 = 15 µs.
    costs = dict(ZERO, thread_wake=5 * US)
    wl = gmp.Workload()
    w = wl.program(gmp.cpu("1ms", preemptible=False), name="w")
    wl.main(gmp.go(w), gmp.cpu("10us"), gmp.gomaxprocs(1), gmp.cpu("100us"))
    res = run(wl, engine, costs=costs, gomaxprocs=2, async_preempt=True)
    assert rows(res, EV_PREEMPT)["time"].tolist() == [10 * US]
    assert res.counters["stw_stopping_ns"] == 5 * US


# ---------------------------------------------------------------- no-ops and the semaphore

@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("n", [0, -1, -2**63])
def test_gomaxprocs_of_zero_or_less_changes_nothing(engine, n):
    plain, asked = gmp.Workload(), gmp.Workload()
    plain.main(gmp.cpu("10us"), gmp.cpu("10us"))
    asked.main(gmp.cpu("10us"), gmp.gomaxprocs(n), gmp.cpu("10us"))
    a = run(plain, engine, costs=None, gomaxprocs=3)
    b = run(asked, engine, costs=None, gomaxprocs=3)
    assert a.makespan_ns == b.makespan_ns
    assert a.counters == b.counters
    assert np.array_equal(a.events, b.events)
    assert b.gomaxprocs_history == [] and b.counters["stw_count"] == 0


@pytest.mark.parametrize("engine", ENGINES)
def test_gomaxprocs_of_the_current_value_does_no_stw(engine):
    wl = gmp.Workload()
    wl.main(gmp.cpu("10us"), gmp.gomaxprocs(3), gmp.cpu("10us"))
    plain = gmp.Workload()
    plain.main(gmp.cpu("10us"), gmp.cpu("10us"))
    res = run(wl, engine, costs=None, gomaxprocs=3)
    ref = run(plain, engine, costs=None, gomaxprocs=3)
    assert res.counters["stw_count"] == 0 and res.gomaxprocs_history == []
    assert not np.isin(res.events["kind"], [EV_STW_START, EV_STW_DONE, EV_PROCS]).any()
    assert res.makespan_ns == ref.makespan_ns and np.array_equal(res.events, ref.events)


@pytest.mark.parametrize("engine", ENGINES)
def test_a_second_stw_waits_for_the_first(engine):
    # Two Gs ask at once (main at 10 µs on P0; g on P1, stolen at 3 µs,
    # after 7 µs of CPU): g waits for gcsema (semacquire), then runs its own
    # stop-the-world when main's ends; both changes are in the history.
    wl = gmp.Workload()
    g = wl.program(gmp.cpu("7us"), gmp.gomaxprocs(3), gmp.cpu("10us"), name="g")
    wl.main(gmp.go(g), gmp.cpu("10us"), gmp.gomaxprocs(1), gmp.cpu("100us"))
    res = run(wl, engine, gomaxprocs=2, until="all")
    assert res.counters["stw_count"] == 2
    assert [(o, n) for _, o, n, _ in res.gomaxprocs_history] == [(2, 1), (1, 3)]
    waits = res.events[(res.events["kind"] == EV_WAIT) & (res.events["arg"] == WAIT_SEMACQUIRE)]
    assert len(waits) == 1


@pytest.mark.parametrize("engine", ENGINES)
def test_schedtrace_follows_the_current_gomaxprocs(engine):
    wl = gmp.Workload()
    wl.main(gmp.cpu("3ms"), gmp.gomaxprocs(2), gmp.cpu("3ms"))
    res = run(wl, engine, costs=None, gomaxprocs=4, schedtrace="1ms")
    first, last = res.schedtrace[0], res.schedtrace[-1]
    assert "gomaxprocs=4" in first and "runqueue=0 [ 0 0 0 0 ]" in first
    assert "gomaxprocs=2" in last and "runqueue=0 [ 0 0 ]" in last
    assert last.endswith("schedticks=[ " + "".join(x + " " for x in last.split("[ ")[-1].split()[:2]) + "]")


# ---------------------------------------------------------------- bad input

def test_bad_gomaxprocs_arguments():
    with pytest.raises(ValueError, match=r"gomaxprocs\(\) argument n must be in"):
        gmp.gomaxprocs(4097)
    for bad in ("2", 2.0, True, None):
        with pytest.raises(TypeError, match=r"gomaxprocs\(\) argument n must be an int"):
            gmp.gomaxprocs(bad)
    assert repr(gmp.gomaxprocs(4096)) == "gomaxprocs(4096)"


def test_compiled_workload_checks_max_gomaxprocs():
    wl = gmp.Workload()
    wl.main(gmp.gomaxprocs(5), gmp.gomaxprocs(-3))
    cw = wl.compile()
    assert cw.max_gomaxprocs == 5
    with pytest.raises(ValueError, match="max_gomaxprocs must be 5"):
        gmp.CompiledWorkload(cw.code, cw.dists, cw.entry, cw.chan_cap, cw.n_waitgroups,
                             cw.loop_depth, cw.program_names, max_gomaxprocs=4)
    code = cw.code.copy()
    code[0, 1] = 5000
    with pytest.raises(ValueError, match=r"GOMAXPROCS: operand a \(n\) must be in"):
        gmp.CompiledWorkload(code, cw.dists, cw.entry, cw.chan_cap, cw.n_waitgroups,
                             cw.loop_depth, cw.program_names, max_gomaxprocs=5000)
    with pytest.raises(TypeError, match="max_gomaxprocs must be an int"):
        gmp.CompiledWorkload(cw.code, cw.dists, cw.entry, cw.chan_cap, cw.n_waitgroups,
                             cw.loop_depth, cw.program_names, max_gomaxprocs="5")
    none = gmp.Workload()
    none.main(gmp.gomaxprocs(0))
    assert none.compile().max_gomaxprocs == 0


# ---------------------------------------------------------------- random workloads

@st.composite
def stw_workloads(draw):
    """A terminating random workload whose main changes GOMAXPROCS a few times."""
    wl = draw(workloads(max_goroutines=60))
    main = wl._programs[0]
    ops = list(main._ops)
    for _ in range(draw(st.integers(1, 3))):
        ops.insert(draw(st.integers(0, len(ops))), gmp.gomaxprocs(draw(st.integers(-1, 9))))
    main._ops = None                       # define main again, with the extra ops
    main._define(tuple(ops), "stw_workloads")
    return wl


@settings(max_examples=examples(60), deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(wl=stw_workloads(), opts=run_options())
def test_random_stw_workloads_identical_and_checked(wl, opts):
    opts = dict(unfiltered(opts), check=True)
    ref = gmp.simulate(wl, engine="reference", record_events=True, **opts)
    cmp = gmp.simulate(wl, engine="compiled", record_events=True, **opts)
    assert_same_result(ref, cmp)
    # Conservation: the history chains, and every change was a stop-the-world.
    hist = ref.gomaxprocs_history
    assert all(a[2] == b[1] for a, b in zip(hist, hist[1:]))
    assert ref.counters["gomaxprocs_changes"] == len(hist) <= ref.counters["stw_count"]
    assert ref.counters["stw_stopping_ns"] <= ref.counters["stw_total_ns"]
    assert len(ref.procs) == max([ref.gomaxprocs] + [n for _, _, n, _ in hist])


@pytest.mark.parametrize("engine", ENGINES)
def test_a_caller_on_a_removed_p_moves_to_p0(engine):
    # w is stolen onto P1 at 3 µs and at once calls GOMAXPROCS(1).  main's
    # preemptible burst on P0 is stopped by the first preemptall's signal
    # (to the global queue, its M stops P0), which wakes w's M: 3 + 5 = 8 µs.
    # procresize(1): w's P1 is not kept, so its M takes P0 (§1.5 step 3) and
    # P1 is destroyed.  w's 10 µs run on P0: it exits at 18 µs on P0.
    costs = dict(ZERO, thread_wake=5 * US)
    wl = gmp.Workload()
    w = wl.program(gmp.gomaxprocs(1), gmp.cpu("10us"), name="w")
    wl.main(gmp.go(w), gmp.cpu("100us"))
    res = run(wl, engine, costs=costs, gomaxprocs=2, snapshot_at=5 * US)
    start, done = rows(res, EV_STW_START), rows(res, EV_STW_DONE)
    assert start["p"].tolist() == [1] and start["time"].tolist() == [3 * US]
    assert done["p"].tolist() == [0] and done["time"].tolist() == [8 * US]
    wg = res.goroutines["goid"].tolist().index(goid_of(res, "w"))
    assert res.goroutines["finished"][wg] == 18 * US
    # During the pause: w's M waits; P0 (stopped by main's M) and P1 (the
    # caller's own, step 3) are both _Pgcstop.
    snap = res.snapshot
    assert "stw-wait" in [m["state"] for m in snap.ms]
    assert [p["status"] for p in snap.ps] == ["gcstop", "gcstop"]
