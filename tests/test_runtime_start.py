"""The runtime's start (simulate(runtime_init=True), gmpcore/startup.py):
runtime.main's steps on goroutine 1, the runtime's own goroutines, and the
start-up Ms, derived by hand from Go 1.25's runtime.main and held to real Go
(benchmarks/go/rtstart/results.json: Go 1.27.3 with go.mod at 1.25)."""

import collections
import json
import re
from pathlib import Path

import pytest

import gmpcore as gmp
from gmpcore.events import EV_HANDOFF, EV_M_WAKE
from zero_costs import events, run_exact, zero_costs

ENGINES = ("compiled", "reference")
ROOT = Path(__file__).resolve().parent.parent
GO_RESULTS = ROOT / "benchmarks" / "go" / "rtstart" / "results.json"

RUNTIME = ["runtime.forcegchelper", "runtime.bgsweep", "runtime.bgscavenge",
           "runtime.updateMaxProcsGoroutine", "runtime.runfinq"]
PARKED = ["force gc (idle)", "GC sweep wait", "GC scavenge wait", "GOMAXPROCS updater (idle)",
          "finalizer wait"]


def sleeper():
    """main.go of benchmarks/go/rtstart: main sleeps 5 ms."""
    wl = gmp.Workload()
    wl.main(gmp.sleep("5ms"))
    return wl


def by_goid(res):
    """{goid: (program name, state name)}."""
    names = res.state_names()
    return {int(g): (res.program_names[p], names[i])
            for i, (g, p) in enumerate(zip(res.goroutines["goid"], res.goroutines["program"]))}


@pytest.mark.parametrize("engine", ENGINES)
def test_one_p_starts_as_runtime_main_does(engine):
    # GOMAXPROCS=1, every cost 0, so only Go's rules order things.  G1 runs
    # from runnext (inheritTime: no schedtick).  It wires itself to m0 and
    # makes G2 forcegchelper, G3 bgsweep, G4 bgscavenge, each into runnext
    # (runq [G2 G3], runnext G4), and receives on gcenable's empty channel:
    # it parks, and as m0 is locked, stoplockedm hands P0 off (handoff 1):
    # the queue has work, so startm makes M2 (the third thread).  M2 runs
    # G4 from runnext (no tick), whose send hands the value to G1 and
    # readies it into runnext; G4 parks; M2 picks G1 (runnext), finds it
    # locked and gives P0 to m0 (startlockedm, wake 1); m0 runs G1 with a
    # new slice: tick 1.  The second receive parks again (handoff 2); M2,
    # idle, is woken for P0 and runs G2 (tick 2: parks for good) and G3
    # (tick 3: its send readies G1, startlockedm, wake 2), m0 runs G1: tick
    # 4.  G1 makes G5 (updater) and G6 (runfinq: runnext, G5 to the queue),
    # unwires, and main.main sleeps: m0 runs G6 from runnext (no tick) and
    # G5 from the queue (tick 5); both park.
    res = run_exact(sleeper(), engine, zero_costs(), gomaxprocs=1, cpus=None,
                    runtime_init=True)
    assert by_goid(res) == {1: ("main", "dead"),
                            **{i + 2: (RUNTIME[i], f"waiting ({PARKED[i]})") for i in range(5)}}
    assert res.counters["threads"] == 3
    assert res.procs["schedticks"].tolist() == [5]
    assert len(events(res, EV_HANDOFF)) == 2
    main = 0
    assert len(events(res, EV_M_WAKE, g=main)) == 2            # two startlockedm hand-backs
    # Idle Ms woken: m0 twice (startlockedm) and M2 once (the second hand-off's
    # startm finds it on the idle list); M2's first start was a newm, not a wake.
    assert res.counters["thread_wakes"] == 3 == len(events(res, EV_M_WAKE))
    assert res.system.tolist() == [False] + [True] * 5


@pytest.mark.parametrize("engine", ENGINES)
def test_the_users_goroutines_come_after_the_runtimes(engine):
    # On one P every goid comes from P0's cache: the runtime's take 2..6.
    wl = gmp.Workload()
    w = wl.program(gmp.cpu("1us"))
    wl.main(gmp.go(w, count=2), gmp.sleep("1ms"))
    res = run_exact(wl, engine, zero_costs(), gomaxprocs=1, cpus=None, runtime_init=True)
    assert res.goroutines["goid"][~res.system].tolist() == [1, 7, 8]
    off = run_exact(wl, engine, zero_costs(), gomaxprocs=1, cpus=None, runtime_init=False)
    assert off.goroutines["goid"].tolist() == [1, 2, 3] and not off.system.any()
    assert off.counters["threads"] == 2
    # GODEBUG=updatemaxprocs=0: no updater, so runfinq is G5 and the user's G6.
    res = run_exact(wl, engine, zero_costs(), gomaxprocs=1, cpus=None, runtime_init=True,
                    updatemaxprocs=False)
    names = by_goid(res)
    assert names[5][0] == "runtime.runfinq"
    assert res.goroutines["goid"][~res.system].tolist() == [1, 6, 7]
    assert "runtime.updateMaxProcsGoroutine" not in res.program_names


@pytest.mark.parametrize("engine", ENGINES)
def test_deadlock_and_goexit_ignore_the_runtimes_goroutines(engine):
    # checkdead skips isSystemGoroutine: the five parked runtime goroutines
    # neither keep a deadlocked program alive nor appear in the dump.
    wl = gmp.Workload()
    ch = wl.chan()
    wl.main(gmp.recv(ch))
    with pytest.warns(gmp.GoroutineLeakWarning):
        wl.compile()
    with pytest.raises(gmp.Deadlock) as info:
        gmp.simulate(wl, gomaxprocs=2, engine=engine, check=True)
    assert "all goroutines are asleep - deadlock!" in str(info.value)
    assert [g["goid"] for g in info.value.goroutines] == [1]
    # main's Goexit with nothing else alive: Go's "no goroutines" fatal error.
    wl = gmp.Workload()
    wl.main(gmp.goexit())
    with pytest.raises(gmp.Deadlock, match=re.escape("no goroutines (main called runtime.Goexit)")):
        gmp.simulate(wl, gomaxprocs=2, engine=engine, check=True)


@pytest.mark.parametrize("engine", ENGINES)
def test_until_all_and_the_monitor_count_user_goroutines(engine):
    wl = gmp.Workload()
    w = wl.program(gmp.sleep("2ms"))
    wl.main(gmp.go(w, count=3))
    res = gmp.simulate(wl, gomaxprocs=2, engine=engine, until="all", monitor="500us", check=True)
    # until="all" ends when the sleepers do, with the runtime's five still parked.
    assert 2_000_000 <= res.makespan_ns and (res.goroutines["state"][~res.system] == 6).all()
    assert (res.goroutines["state"][res.system] == 4).all() and res.system.sum() == 5
    # runtime.NumGoroutine: main, then (main has exited) the three sleepers;
    # never the runtime's five.
    assert res.monitor["goroutines"].tolist() == [1, 3, 3, 3, 3]
    assert res.counters["goroutines"] == 4


@pytest.mark.parametrize("engine", ENGINES)
def test_the_updater_started_at_start_up_applies_a_quota_change(engine):
    # test_machine_known's quota drop at 2.5 s (8 -> 2 CPUs' worth), now with
    # the updater runtime.main started: sysmon's check at >= 3 s injects the
    # parked G, which stops the world with 2 and parks idle again (Go's
    # updateMaxProcsGoroutine loops) instead of being made and exiting.
    wl = gmp.Workload()
    wg = wl.waitgroup()
    worker = wl.program(gmp.cpu("4s", preemptible=False), gmp.done(wg))
    wl.main(gmp.add(wg, 8), gmp.go(worker, count=8), gmp.wait(wg))
    quota_drop = [(0, "800ms", "100ms"), ("2.5s", "200ms", "100ms")]
    res = gmp.simulate(wl, cpus=8, cpu_quota=quota_drop, seed=1,
                       engine=engine, check=engine == "compiled")
    (t, old, new, cause), = res.gomaxprocs_history
    assert (old, new, cause) == (8, 2, "update") and 3_000_000_000 <= t <= 3_100_000_000
    upd = res.program_names.index("runtime.updateMaxProcsGoroutine")
    g = res.goroutines[res.goroutines["program"] == upd]
    assert len(g) == 1 and g["state"][0] == 4 and g["finished"][0] == -1      # parked, alive
    assert res.state_names()[int(list(res.goroutines["program"]).index(upd))] == \
        "waiting (GOMAXPROCS updater (idle))"


def test_the_start_matches_real_go():
    """The state while main sleeps, per GOMAXPROCS, over 20 seeds (noise on,
    2 CPUs as on the machine Go ran on) against 20 runs of real Go: on one P
    the runtime is deterministic and the model must match Go's every run but
    the odd outlier (threads 3, schedtick 5, goids 2..6 in Go's order with
    Go's wait reasons); with more Ps it races, and every outcome the model
    gives (threads, the sum of schedticks, the goids of the updater and
    runfinq) must be one Go gave."""
    runs = json.loads(GO_RESULTS.read_text())["runs"]
    for procs in (1, 2, 4, 8):
        go = [r for r in runs if r["gomaxprocs"] == procs]
        assert len(go) >= 10
        go_threads = collections.Counter(r["threads"] for r in go)
        go_ticks = collections.Counter(sum(r["schedticks"]) for r in go)
        go_late = collections.Counter(
            tuple(int(g) for g, why in sorted(r["goroutines"].items(), key=lambda kv: int(kv[0]))
                  if why in ("GOMAXPROCS updater (idle)", "finalizer wait")) for r in go)
        sim_threads, sim_ticks, sim_late = collections.Counter(), collections.Counter(), \
            collections.Counter()
        for seed in range(20):
            res = gmp.simulate(sleeper(), gomaxprocs=procs, cpus=2, seed=seed)
            sim_threads[res.counters["threads"]] += 1
            sim_ticks[int(res.procs["schedticks"].sum())] += 1
            sim_late[tuple(sorted(g for g, (name, _) in by_goid(res).items()
                                  if name in RUNTIME[3:]))] += 1
        assert set(sim_threads) <= set(go_threads), (procs, sim_threads, go_threads)
        assert set(sim_ticks) <= set(go_ticks), (procs, sim_ticks, go_ticks)
        assert set(sim_late) <= set(go_late), (procs, sim_late, go_late)
        if procs == 1:
            mode = lambda c: c.most_common(1)[0][0]          # noqa: E731
            assert (mode(sim_threads), mode(sim_ticks), mode(sim_late)) == (3, 5, (5, 6))
            assert (mode(go_threads), mode(go_ticks), mode(go_late)) == (3, 5, (5, 6))
            one = next(r for r in go if r["threads"] == 3)
            assert [one["goroutines"][str(i)] for i in range(2, 7)] == PARKED
