"""The machine under the scheduler (issue 11): answers derived by hand.

Every runtime cost is zero (``ZERO``), so the only time is the workload's
CPU bursts, and the OS scheduler's context switch is zero unless a test
names it: what remains is the CPU count, the hogs and the quota, whose
effect can be worked out on paper (docs/design/machine.md §7.1).  Both
engines are held to each answer, with every invariant checked.
"""

import pytest

import gmpcore as gmp
from gmpcore.costs import FIELDS
from gmpcore.machine import base_slice, default_gomaxprocs, parse_quota

pytestmark = pytest.mark.empty_runtime   # hand-derived: main starts alone (conftest)

ZERO = {f: 0 for f in FIELDS}
MS = 1_000_000
ENGINES = ("compiled", "reference")


def fanout(n, work, preemptible=True):
    """main starts n workers of `work` CPU each and waits for them."""
    wl = gmp.Workload()
    wg = wl.waitgroup()
    worker = wl.program(gmp.cpu(work, preemptible=preemptible), gmp.done(wg))
    wl.main(gmp.add(wg, n), gmp.go(worker, count=n), gmp.wait(wg))
    return wl


def run(wl, engine, **kw):
    kw.setdefault("os_sched", {"ctx_switch": 0, "tick": 0})
    return gmp.simulate(wl, costs=ZERO, check=True, engine=engine, seed=3, **kw)


@pytest.mark.parametrize("engine", ENGINES)
def test_oversubscribed_fanout_shares_the_cpus(engine):
    # 4 Ps, 2 CPUs, 4 x 100 ms of CPU: 400 ms of work on 2 CPUs that are
    # never idle while work remains, so it ends at 200 ms, plus at most the
    # last slice during which one CPU has nothing left to run.
    res = run(fanout(4, "100ms"), engine, gomaxprocs=4, cpus=2)
    slice_ = base_slice(2)
    assert 200 * MS <= res.makespan_ns <= 200 * MS + slice_
    c = res.counters
    assert c["cpu_busy_ns"] == 400 * MS              # zero costs: only the Gs' work
    # Four worker threads runnable for ~200 ms on two CPUs: each waits
    # about half the time, ~400 ms in all (sysmon adds its own waits).
    workers = res.threads[res.threads["m"] != 1]
    assert 400 * MS - 2 * slice_ <= workers["run_delay_ns"].sum() <= 400 * MS + 4 * slice_
    assert c["cpu_run_delay_ns"] == res.threads["run_delay_ns"].sum()
    assert c["cpu_involuntary_switches"] > 0
    # Go sees each G running for as long as its thread holds it, CPU or not.
    g = res.goroutines[1:]
    assert (g["running_ns"] >= 100 * MS).all()


@pytest.mark.parametrize("engine", ENGINES)
def test_ideal_machine_has_no_cpu_figures(engine):
    res = run(fanout(4, "100ms"), engine, gomaxprocs=4, cpus=None)
    assert res.makespan_ns == 100 * MS                # every G on its own CPU at once
    for key in ("cpu_run_delay_ns", "cpu_busy_ns", "cpu_switches", "nr_periods"):
        assert res.counters[key] == 0


@pytest.mark.parametrize("engine", ENGINES)
def test_a_hog_halves_the_cpu(engine):
    # One CPU, one hog of another process, main burns 10 ms: equal weights
    # share the CPU in turns of about a slice, so main's 10 ms take about 20 ms.
    wl = gmp.Workload()
    wl.main(gmp.cpu("10ms", preemptible=False))
    res = run(wl, engine, gomaxprocs=1, cpus=1, background=1)
    slice_ = base_slice(1)
    assert 20 * MS - 2 * slice_ <= res.makespan_ns <= 20 * MS + 2 * slice_
    c = res.counters
    assert c["cpu_busy_ns"] == 10 * MS
    # The CPU is never idle: the hog ran whenever main did not.
    assert c["background_cpu_ns"] == res.makespan_ns - 10 * MS
    m0 = res.threads[res.threads["m"] == 0][0]
    assert m0["cpu_ns"] == 10 * MS
    assert m0["run_delay_ns"] == res.makespan_ns - 10 * MS


@pytest.mark.parametrize("engine", ENGINES)
def test_context_switch_cost_lengthens_the_run(engine):
    wl = gmp.Workload()
    wl.main(gmp.cpu("10ms", preemptible=False))
    free = run(wl, engine, gomaxprocs=1, cpus=1, background=1)
    paid = run(wl, engine, gomaxprocs=1, cpus=1, background=1,
               os_sched={"ctx_switch": "50us", "tick": 0})
    # Every time main gets the CPU back it first pays 50 us.
    gets = paid.threads[paid.threads["m"] == 0][0]["switches"]
    assert gets >= 2
    assert paid.makespan_ns > free.makespan_ns


@pytest.mark.parametrize("engine", ENGINES)
def test_quota_throttles_until_the_next_period(engine):
    # 4 CPUs, 4 Ps, quota 100 ms per 100 ms (one CPU's worth), 4 x 40 ms:
    # 4 threads drain the 100 ms pool at t = 25 ms (25 ms each); throttled
    # until the period ends at 100 ms; the refill covers the 4 x 15 ms left,
    # so the last G ends at 115 ms.
    res = run(fanout(4, "40ms"), engine, gomaxprocs=4, cpus=4,
              cpu_quota=("100ms", "100ms"))
    c = res.counters
    assert res.makespan_ns == 115 * MS
    assert c["cpu_busy_ns"] == 160 * MS
    assert c["nr_throttled"] == 1                    # the period ending at 100 ms
    assert c["nr_periods"] == 1                      # the run ends before the next expiry
    assert c["throttled_wall_ns"] == 75 * MS
    assert c["throttled_ns"] == 4 * 75 * MS          # 4 CPUs' run queues held program threads


@pytest.mark.parametrize("engine", ENGINES)
def test_quota_larger_than_the_cpus_never_throttles(engine):
    # 800 ms per 100 ms on 2 CPUs can never run dry: the run is the one
    # without a quota, and cpu.stat counts the periods but no throttling.
    res = run(fanout(4, "80ms"), engine, gomaxprocs=2, cpus=2,
              cpu_quota=("800ms", "100ms"))
    free = run(fanout(4, "80ms"), engine, gomaxprocs=2, cpus=2)
    assert res.makespan_ns == free.makespan_ns
    assert (res.goroutines == free.goroutines).all()
    assert 160 * MS <= res.makespan_ns < 200 * MS     # 320 ms of work on 2 CPUs
    assert res.counters["nr_periods"] == 1           # the expiry at 100 ms
    assert res.counters["nr_throttled"] == 0
    assert res.counters["throttled_ns"] == 0


@pytest.mark.parametrize("engine", ENGINES)
def test_quota_change_during_the_run(engine):
    # 2 CPUs, 2 x 100 ms.  One CPU's worth (100 ms per 100 ms) until 40 ms:
    # 2 threads would drain the pool at 50 ms, but the limit is lifted at
    # 40 ms, so nothing stops and the run takes 100 ms.
    res = run(fanout(2, "100ms"), engine, gomaxprocs=2, cpus=2,
              cpu_quota=[(0, "100ms", "100ms"), ("40ms", None, None)])
    assert res.makespan_ns == 100 * MS
    assert res.counters["nr_throttled"] == 0
    # Half a CPU's worth from the start: 2 threads drain 50 ms at 25 ms,
    # throttled until 100 ms; the change at 60 ms lifts the limit at once.
    res = run(fanout(2, "100ms"), engine, gomaxprocs=2, cpus=2,
              cpu_quota=[(0, "50ms", "100ms"), ("60ms", None, None)])
    # 25 ms each by t = 25 ms, stopped until 60 ms, 75 ms more each.
    assert res.makespan_ns == 135 * MS
    assert res.counters["throttled_wall_ns"] == 35 * MS
    assert res.counters["nr_throttled"] == 0         # lifted before a period ended


@pytest.mark.parametrize("cpus, quota, procs", [
    (8, None, 8), (8, ("150ms", "100ms"), 2), (8, ("50ms", "100ms"), 2),
    (8, ("230ms", "100ms"), 3), (1, ("50ms", "100ms"), 1), (2, ("800ms", "100ms"), 2),
])
def test_default_gomaxprocs_follows_go_1_25(cpus, quota, procs):
    # min(CPUs, max(2, ceil(quota / period))) (runtime/cgroup_linux.go).
    assert default_gomaxprocs(cpus, parse_quota(quota)) == procs
    wl = gmp.Workload()
    wl.main(gmp.cpu("1us"))
    res = gmp.simulate(wl, cpus=cpus, cpu_quota=quota)
    assert len(res.procs) == procs


def test_containermaxprocs_off_ignores_the_quota():
    assert default_gomaxprocs(8, parse_quota(("150ms", "100ms")), containermaxprocs=False) == 8
    wl = gmp.Workload()
    wl.main(gmp.cpu("1us"))
    res = gmp.simulate(wl, cpus=8, cpu_quota=("150ms", "100ms"), containermaxprocs=False)
    assert len(res.procs) == 8


def test_default_machine_has_a_cpu_per_p():
    wl = fanout(4, "10ms")
    auto = gmp.simulate(wl, gomaxprocs=4, seed=1)
    assert auto == gmp.simulate(wl, gomaxprocs=4, cpus=4, seed=1)
    assert auto.counters["cpu_busy_ns"] > 0


@pytest.mark.parametrize("kw, words", [
    (dict(cpus=0), "cpus must be in [1"),
    (dict(cpus=-2), "cpus must be in [1"),
    (dict(cpus=2.5), "cpus must be an int"),
    (dict(cpus="many"), "cpus must be an int, None or"),
    (dict(cpus=2, background=-1), "background"),
    (dict(cpus=None, background=1), "background needs cpus"),
    (dict(cpus=None, cpu_quota=("50ms", "100ms")), "cpu_quota needs cpus"),
    (dict(cpu_quota=("50ms", "100ms")), "cpu_quota needs cpus"),
    (dict(cpus=2, cpu_quota=("0ms", "100ms")), "quota must be positive"),
    (dict(cpus=2, cpu_quota=("-5ms", "100ms")), "cpu_quota[0] quota"),
    (dict(cpus=2, cpu_quota=("50ms", "0ms")), "period must be positive"),
    (dict(cpus=2, cpu_quota=("50ms", "-1ms")), "cpu_quota[0] period"),
    (dict(cpus=2, cpu_quota=("500us", "100ms")), "at least 1ms"),
    (dict(cpus=2, cpu_quota=("50ms", "2s")), "period must be in [1ms, 1s]"),
    (dict(cpus=2, cpu_quota=[(0, "50ms", "100ms"), (0, None, None)]), "ascending"),
    (dict(cpus=2, cpu_quota=[("1ms", "50ms", "100ms")]), "first change must be at time 0"),
    (dict(cpus=2, os_sched={"slices": 1}), "unknown parameter"),
    (dict(cpus=2, os_sched={"tick": -1}), "os_sched['tick']"),
])
def test_bad_machine_arguments_are_named(kw, words):
    wl = gmp.Workload()
    wl.main(gmp.cpu("1us"))
    with pytest.raises((ValueError, TypeError)) as info:
        gmp.simulate(wl, **kw)
    assert words in str(info.value)


# ---------------------------------------------------------------- Go 1.25's periodic update

QUOTA_DROP = [(0, "800ms", "100ms"), ("2.5s", "200ms", "100ms")]


@pytest.mark.parametrize("engine", ENGINES)
def test_update_follows_a_quota_change(engine):
    # 8 CPUs, 8 CPUs' worth of quota: Go's default is 8.  At 2.5 s the quota
    # drops to 2 CPUs' worth: the default becomes max(2, ceil(200/100)) = 2.
    # sysmon checks at its first loop (~20 us) and then when a second has
    # passed since the last check, so the change is seen at the check that
    # is >= 3 s (checks at >= 1 s and >= 2 s came before 2.5 s); each loop can
    # be late by sysmon's sleep (at most 10 ms) plus its wait for a CPU.
    wl = fanout(8, "4s", preemptible=False)         # still running at 3 s
    res = gmp.simulate(wl, cpus=8, cpu_quota=QUOTA_DROP, seed=1, engine=engine,
                       check=engine == "compiled")
    (t, old, new, cause), = res.gomaxprocs_history
    assert (old, new, cause) == (8, 2, "update")
    assert 3_000 * MS <= t <= 3_100 * MS
    assert res.counters["stw_count"] == 1
    updater = res.program_names.index("runtime.updateMaxProcsGoroutine")
    g = res.goroutines[res.goroutines["program"] == updater]
    assert len(g) == 1 and g["state"][0] == 6 and g["finished"][0] == t   # made, ran, exited


def test_no_update_when_gomaxprocs_is_set_or_updates_are_off():
    wl = fanout(8, "4s", preemptible=False)
    for kw in (dict(updatemaxprocs=False), dict(gomaxprocs=8)):
        res = gmp.simulate(wl, cpus=8, cpu_quota=QUOTA_DROP, seed=1, **kw)
        assert res.gomaxprocs_history == []
        assert "runtime.updateMaxProcsGoroutine" not in res.program_names


def test_a_program_that_sets_gomaxprocs_stops_the_updates():
    # runtime.GOMAXPROCS(4) at ~1 s marks the value as the program's own
    # (customGOMAXPROCS): the quota drop at 2.5 s changes nothing after it.
    wl = gmp.Workload()
    wg = wl.waitgroup()
    worker = wl.program(gmp.cpu("4s", preemptible=False), gmp.done(wg))
    wl.main(gmp.add(wg, 8), gmp.go(worker, count=8), gmp.sleep("1s"), gmp.gomaxprocs(4),
            gmp.wait(wg))
    res = gmp.simulate(wl, cpus=8, cpu_quota=QUOTA_DROP, seed=1)
    assert [(old, new, cause) for _, old, new, cause in res.gomaxprocs_history] == \
        [(8, 4, "user")]


@pytest.mark.parametrize("engine", ENGINES)
def test_a_thread_on_a_cpu_at_a_period_end_keeps_the_timer_running(engine):
    """Found by the thorough Hypothesis profile: a program thread that got its
    CPU at the very instant a period ended had used no quota yet, the timer
    took the period for idle and stopped, and the throttle that followed was
    never lifted (the event heap ran dry).  The group is active whenever a
    program thread runs: the timer must run on."""
    wl = gmp.Workload()
    ch = wl.chan()
    wg0, wg1 = wl.waitgroup(), wl.waitgroup()
    spin = wl.program(gmp.cpu(11_491_444, preemptible=False), gmp.done(wg0))
    quick = wl.program(gmp.done(wg1))
    sender = wl.program(gmp.repeat(4, gmp.send(ch)))
    wl.main(gmp.add(wg0, 1), gmp.go(spin), gmp.add(wg1, 1), gmp.go(quick), gmp.go(sender),
            gmp.repeat(4, gmp.recv(ch), gmp.sleep(438)), gmp.wait(wg0), gmp.wait(wg1))
    res = gmp.simulate(wl, gomaxprocs=3, seed=0, async_preempt=False, runnext=False,
                       schedtrace="50us", cpus=2, background=2,
                       cpu_quota=[(0, "1.5ms", "1ms")], engine=engine, check=True)
    # The spinning G's thread never gets more than one CPU, less than the
    # 1.5 CPUs' quota, and two hogs and the program's other threads share
    # the rest: the pool, refilled every period, never runs dry, and the
    # 11.5 ms burst ends after 11.5 ms and before twice that (a fair share
    # of at least half a CPU), with a slice of slack.
    assert res.counters["nr_throttled"] == 0 and res.counters["nr_periods"] > 0
    assert 11_491_444 < res.makespan_ns <= 2 * 11_491_444 + 4 * MS
