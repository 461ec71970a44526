"""gmpcore.properties: known answers derived by hand, the sound engines
passing every property on the public strategies, and deliberately broken
reference engines caught within the CI profile's budget.

The broken engines are subclasses of the reference engine (RefEngine),
planted where gmp.simulate(engine="reference") looks it up
(gmpcore.reference.engine.RefEngine) with pytest's monkeypatch: the
compiled engine is never touched.
"""

import pytest
from hypothesis import HealthCheck, Phase, given, note, settings

import gmpcore as gmp
import gmpcore.reference.engine as refengine
from gmpcore import properties
from gmpcore import strategies as gst
from gmpcore.events import EV_CREATE, EV_READY, EV_RUN, STOP_GOSCHED
from gmpcore.events import G_RUNNABLE
from gmpcore.model import NETPOLL_RESOLUTION
from gmpcore.reference.common import PH_SCHEDULE
from gmpcore.scenarios import _waitgroup_fanout
from zero_costs import events, run_exact, zero_costs

# Known answers are derived with main alone at the start (conftest's empty_runtime);
# the properties on drawn workloads run with the runtime's start, the default.
hand_derived = pytest.mark.empty_runtime

MS = 1_000_000
SOUND = refengine.RefEngine


class NoWakep(SOUND):
    """(b) A P left idle while work waits: wakep never starts a spinning M."""

    def wakep(self):
        pass


class NoPreempt(SOUND):
    """(c) No preemption: sysmon's retake never asks a running G to stop."""

    def preemptone(self, p):
        return False


class StealFloor(SOUND):
    """(a) Steal floor(n/2) instead of Go's n - n/2: a lone G is never stolen."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.q._steal_amount = lambda n: n // 2


def run_on(monkeypatch, cls, wl, **opts):
    monkeypatch.setattr(refengine, "RefEngine", cls)
    try:
        return gmp.simulate(wl, engine="reference", **opts)
    finally:
        monkeypatch.setattr(refengine, "RefEngine", SOUND)


def spinners(n, d):
    """main starts n goroutines that compute for d without a safe point, waits for them."""
    return _waitgroup_fanout(n, gmp.cpu(d, preemptible=False), name="spin")


# ---------------------------------------------------------------- known answers

@hand_derived
def test_preemption_known_answer(monkeypatch):
    # One G computes 50 ms on one P, zero costs.  main (row 0) starts it at
    # t=0 (newproc costs 0) and parks in wait at t=0, so G row 1 runs from
    # t=0.  With retake skipped nothing asks it to stop: the property fails
    # at start + PREEMPTION_BOUND_NS = 0 + 10 + 2*10 + 1 ms = 31 ms.
    wl = spinners(1, 50 * MS)
    res = run_on(monkeypatch, NoPreempt, wl, gomaxprocs=1, cpus=None, noise=False,
                 costs=zero_costs(), record_events=True)
    assert events(res, EV_RUN, g=1)["time"].tolist() == [0]
    with pytest.raises(gmp.PropertyViolation, match="G row 1 has run on P0") as e:
        properties.preemption(res)
    assert e.value.time_ns == 31 * MS
    assert "P0: runs G row 1 since 0s" in str(e.value)
    # The sound engine asks it to stop (sysmon's EV_PREEMPT) within the bound.
    properties.preemption(gmp.simulate(wl, gomaxprocs=1, cpus=None, noise=False,
                                       costs=zero_costs(), record_events=True))


def test_preemption_clock_waits_for_sysmon_to_wake(engine):
    # GOMAXPROCS=1, zero costs: main parks in a 1 ms network wait at t=0, so
    # every P is idle and sysmon goes into its deep sleep, which only a
    # system call, a stop-the-world or a timer ends (go-scheduler.md §4.5).
    # The netpoller readies main at 1 ms; it computes 50 ms and nothing
    # wakes sysmon, so nobody asks it to stop (0 preemptions): no breach of
    # the property, whose clock starts when sysmon wakes.  With a timer due
    # at 2 ms (a goroutine started first sleeps 2 ms), sysmon's deep sleep
    # ends then, it finds main running and preempts it.
    wl = gmp.Workload()
    wl.main(gmp.netwait(MS), gmp.cpu(50 * MS))
    res = run_exact(wl, engine, zero_costs(), gomaxprocs=1, cpus=None)
    assert res.counters["preemptions"] == 0
    assert events(res, EV_RUN, g=0)["time"].tolist() == [0, MS]
    properties.preemption(res)
    wl = gmp.Workload()
    nap = wl.program(gmp.sleep(2 * MS))
    wl.main(gmp.go(nap), gmp.netwait(MS), gmp.cpu(50 * MS))
    res = run_exact(wl, engine, zero_costs(), gomaxprocs=1, cpus=None)
    assert res.counters["preemptions"] >= 1
    properties.preemption(res)


def test_starvation_known_answer(engine):
    # GOMAXPROCS=1, zero costs, async preemption off: main (row 0) starts
    # G row 1 (into runnext at t=0), then computes 20 ms without a safe
    # point, so sysmon's request cannot stop it; main exits at 20 ms and
    # G row 1 runs then.  It waited 20 ms: more than a 10 ms bound from
    # t=0 + 10 ms on, within a 25 ms one.
    wl = gmp.Workload()
    w = wl.program(gmp.cpu(1))
    wl.main(gmp.go(w), gmp.cpu(20 * MS, preemptible=False))
    res = run_exact(wl, engine, zero_costs(), gomaxprocs=1, cpus=None, async_preempt=False,
                    until="all")
    assert events(res, EV_CREATE, g=1)["time"].tolist() == [0]
    assert properties.max_runnable_wait(res) == 20 * MS
    with pytest.raises(gmp.PropertyViolation, match="G row 1 waited runnable since 0s") as e:
        properties.starvation(res, bound="10ms")
    assert e.value.time_ns == 10 * MS
    properties.starvation(res, bound="25ms")
    properties.preemption(res)          # sysmon asked (EV_PREEMPT): Go's exception


@hand_derived
def test_work_conservation_known_answer(monkeypatch):
    # GOMAXPROCS=2, zero costs, no wakep: main (row 0, on P0) starts rows
    # 1 and 2 at t=0 and parks; P0 runs row 2 (runnext) for 5 ms.  Row 1
    # is runnable from t=0 and P1 was never taken (idle from t=0): the
    # property fails at 0 + 1 ms (the default bound).
    wl = spinners(2, 5 * MS)
    res = run_on(monkeypatch, NoWakep, wl, gomaxprocs=2, cpus=None, noise=False,
                 costs=zero_costs(), record_events=True)
    with pytest.raises(gmp.PropertyViolation, match="P1 idle since 0s while G row 1") as e:
        properties.work_conservation(res)
    assert e.value.time_ns == 1 * MS
    # Go's wakep: a spinning M takes P1 and steals row 1 at once.
    properties.work_conservation(gmp.simulate(wl, gomaxprocs=2, cpus=None, noise=False,
                                              costs=zero_costs(), record_events=True))


@hand_derived
def test_fairness_known_answer(monkeypatch):
    # Three 200 ms goroutines on one P, zero costs.  Without preemption the
    # last one started (runnext) runs from its creation to its end while
    # the other two get nothing: CPU (W, 0, 0) over the window W in which
    # all three were alive, Jain's index W**2 / (3 * W**2) = 1/3 < 0.5.
    wl = spinners(3, 200 * MS)
    res = run_on(monkeypatch, NoPreempt, wl, gomaxprocs=1, cpus=None, noise=False,
                 costs=zero_costs(), record_events=True)
    index, window, n = properties.fairness_index(res)
    assert (n, index, window) == (3, pytest.approx(1 / 3), 200 * MS)
    with pytest.raises(gmp.PropertyViolation, match="Jain's index 0.333"):
        properties.fairness(res)
    # Go's 10 ms slices (preemptible loops, async preemption): turns.
    wl = _waitgroup_fanout(3, gmp.cpu(200 * MS), name="w")
    res = gmp.simulate(wl, gomaxprocs=1, cpus=None, noise=False, costs=zero_costs(),
                       record_events=True)
    assert properties.fairness_index(res)[0] > 0.9
    properties.fairness(res)


@hand_derived
def test_conservation_catches_a_duplicated_run():
    # A forged log: the first EV_RUN of G row 1 repeated right after it.
    wl = spinners(2, MS)
    res = gmp.simulate(wl, gomaxprocs=2, cpus=None, record_events=True, until="all")
    properties.conservation(res, all_exited=True)
    ev = res.events
    i = int((ev["kind"] == EV_RUN).nonzero()[0][1])
    import numpy as np
    res.events = np.concatenate([ev[:i + 1], ev[i:i + 1], ev[i + 1:]])
    with pytest.raises(gmp.PropertyViolation, match="conservation: G row .* is running at run"):
        properties.conservation(res)


def test_properties_need_the_whole_log():
    wl = spinners(1, MS)
    with pytest.raises(ValueError, match="record_events=True"):
        properties.preemption(gmp.simulate(wl))
    with pytest.raises(ValueError, match="whole event log"):
        properties.preemption(gmp.simulate(wl, record_events=True, trace_window=(0, 10)))
    with pytest.raises(ValueError, match="bound must be > 0"):
        properties.starvation(gmp.simulate(wl, record_events=True), bound=0)


# ---------------------------------------------------------------- the sound engines

@given(gst.workloads(max_goroutines=60), gst.simulate_settings())
def test_compiled_engine_keeps_every_property(wl, opts):
    res = gmp.simulate(wl, **opts)
    note(wl.to_python())
    properties.check_all(res, all_exited=True)
    properties.timers_not_early(res, wl)


@given(gst.contended_workloads(), gst.simulate_settings())
def test_compiled_engine_keeps_every_property_under_contention(wl, opts):
    res = gmp.simulate(wl, **opts)
    note(wl.to_python())
    properties.check_all(res, all_exited=True)


# ---------------------------------------------------------------- broken engines are caught

CASES = {
    "steal_floor": (StealFloor, properties.work_conservation),
    "no_wakep": (NoWakep, properties.work_conservation),
    "no_preemption": (NoPreempt, properties.preemption),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_broken_engine_is_caught_within_the_ci_budget(monkeypatch, case):
    # The CI profile's budget (settings.default) over the public strategy:
    # on every example the sound reference engine keeps the property; on
    # at least one the broken engine does not.
    broken, prop = CASES[case]
    caught = []

    @settings(settings.default, database=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(gst.contended_workloads(), gst.simulate_settings(max_procs=4))
    def run(wl, opts):
        try:
            prop(gmp.simulate(wl, engine="reference", **opts))
        except gmp.GoFatalError:
            return
        try:
            prop(run_on(monkeypatch, broken, wl, **opts))
        except gmp.GoFatalError:
            return
        except gmp.PropertyViolation as e:
            caught.append((wl.to_python(), opts, str(e)))

    run()
    assert caught, f"{case}: no example caught the broken engine"


# ---------------------------------------------------------------- Go's documented guarantees


class EarlyTimer(SOUND):
    """time.Sleep's timer set halfway to its deadline: sleepers wake early."""

    def add_timer(self, p, when, g):
        super().add_timer(p, self.now + (when - self.now) // 2, g)


class GoschedRunnext(SOUND):
    """Gosched puts the G into its P's runnext, not the global queue's tail:
    the yielder runs again before the Gs waiting on its P."""

    def gosched(self, m, g, reason, cost):
        if reason != STOP_GOSCHED:
            return super().gosched(m, g, reason, cost)
        p = m.p
        self.dropg(m, g, reason)
        g.status = G_RUNNABLE
        g.since = self.now
        self.runqput(p, g, True)
        self.resume(m, self.now + cost, PH_SCHEDULE)


def sleeper():
    # main sleeps 2 ms; a worker started first sleeps 1 ms twice.
    wl = gmp.Workload()
    w = wl.program(gmp.sleep("1ms"), gmp.sleep("1ms"))
    wl.main(gmp.go(w), gmp.sleep("2ms"))
    return wl


@hand_derived
def test_timers_not_early_known_answer(engine):
    # Zero costs, GOMAXPROCS=1.  t=0: main starts w (runnext) and parks in
    # Sleep(2ms) (deadline 2 ms); w runs at 0 and parks in Sleep(1ms)
    # (deadline 1 ms).  The M blocks in netpoll until the earliest timer:
    # w is readied at 1 ms (not early: 1 ms >= 0 + 1 ms), sleeps again
    # (deadline 2 ms), and main and w are readied at 2 ms.
    wl = sleeper()
    res = run_exact(wl, engine, zero_costs(), gomaxprocs=1, cpus=None, until="all")
    assert events(res, EV_READY, g=0)["time"].tolist() == [2 * MS]
    assert events(res, EV_READY, g=1)["time"].tolist() == [MS, 2 * MS]
    properties.timers_not_early(res, wl)


@hand_derived
def test_timers_not_early_catches_early_timers(monkeypatch):
    # EarlyTimer sets each timer to now + d/2: at t=0 main's to 1 ms, w's
    # to 0.5 ms.  The M blocks in netpoll until the earliest, 0.5 ms, which
    # the poll's resolution (NETPOLL_RESOLUTION, 1 ms) rounds up to 1 ms;
    # then both timers have expired: w is readied at 1 ms (its deadline,
    # not early), main at 1 ms, 1 ms before its 2 ms deadline.
    assert NETPOLL_RESOLUTION == MS
    wl = sleeper()
    res = run_on(monkeypatch, EarlyTimer, wl, gomaxprocs=1, cpus=None, noise=False,
                 costs=zero_costs(), runtime_init=False, record_events=True, until="all")
    with pytest.raises(gmp.PropertyViolation, match=r"G row 0 parked in time.Sleep at 0s "
                       r"\(its program's shortest sleep is 2ms\) was readied at 1ms, 1ms "
                       r"before its deadline 2ms") as e:
        properties.timers_not_early(res, wl)
    assert e.value.time_ns == MS


def test_timers_not_early_needs_the_workload():
    res = gmp.simulate(sleeper(), record_events=True)
    with pytest.raises(TypeError, match="workload must be the Workload"):
        properties.timers_not_early(res, "sleeper")


def yielder():
    # main: Gosched; go w; Gosched; 7 ns of CPU.  w: 5 ns of CPU.
    wl = gmp.Workload()
    w = wl.program(gmp.cpu(5))
    wl.main(gmp.gosched(), gmp.go(w), gmp.gosched(), gmp.cpu(7))
    return wl


@hand_derived
def test_gosched_yields_known_answer(engine):
    # Zero costs, GOMAXPROCS=1.  t=0: main's first run inherits (EV_RUN arg
    # 1: schedtick 0).  Its first Gosched finds no other G runnable: main
    # goes to the global queue; findRunnable's check (0 % 61 == 0) takes it
    # back: a new slice, schedtick 1.  go w puts G row 1 in runnext; the
    # second Gosched yields while G row 1 waits: 1 % 61 != 0, so the local
    # queue comes first and G row 1 runs at 0, exits at 5; main runs from
    # the global queue at 5 and exits at 5 + 7 = 12.
    res = run_exact(yielder(), engine, zero_costs(), gomaxprocs=1, cpus=None)
    runs = events(res, EV_RUN)
    assert list(zip(runs["time"].tolist(), runs["g"].tolist(), runs["arg"].tolist())) == \
        [(0, 0, 1), (0, 0, 0), (0, 1, 1), (5, 0, 0)]
    assert res.makespan_ns == 12
    properties.gosched_yields(res)


@hand_derived
def test_gosched_yields_allows_the_global_queue_check(engine):
    # main: go w; Gosched.  At the yield G row 1 waits in runnext, but
    # schedtick is 0 (main's slice was inherited) and 0 % 61 == 0:
    # findRunnable takes the global queue's head first, main itself, which
    # runs again before G row 1 (Go's rule, not a violation).
    wl = gmp.Workload()
    w = wl.program(gmp.cpu(5))
    wl.main(gmp.go(w), gmp.gosched(), gmp.cpu(7))
    res = run_exact(wl, engine, zero_costs(), gomaxprocs=1, cpus=None)
    assert events(res, EV_RUN)["g"].tolist()[:2] == [0, 0]
    properties.gosched_yields(res)


@hand_derived
def test_gosched_yields_catches_a_yield_into_runnext(monkeypatch):
    # GoschedRunnext puts a yielder in runnext, where it inherits its slice,
    # so schedtick must leave 0 another way (at 0 the global check would
    # excuse anything).  Zero costs, GOMAXPROCS=1.  main: wg.Add(2); go a;
    # go b; wg.Wait(); go w; Gosched; 7 ns.  a, b: 1 ns, Done.  t=0: a goes
    # to runnext, then b to runnext kicking a to the ring; main parks; b runs
    # from runnext (inherits: schedtick 0), exits at 1; a runs from the ring
    # (a new slice: schedtick 1), its Done readies main into runnext, a
    # exits at 2, main runs (inherits: schedtick 1).  go w: w (row 3) into
    # runnext; Gosched at 2 while w waits: main goes into runnext, kicking w
    # to the ring; findRunnable: 1 % 61 != 0, runqget takes runnext: main
    # again at 2, a violation (the sound engine runs w: global queue); main
    # exits at 2 + 7 = 9, which ends the run before w ever runs.
    wl = gmp.Workload()
    wg = wl.waitgroup()
    job = wl.program(gmp.cpu(1), gmp.done(wg))
    w = wl.program(gmp.cpu(5))
    wl.main(gmp.add(wg, 2), gmp.go(job), gmp.go(job), gmp.wait(wg), gmp.go(w),
            gmp.gosched(), gmp.cpu(7))
    sound = run_exact(wl, "reference", zero_costs(), gomaxprocs=1, cpus=None)
    properties.gosched_yields(sound)
    assert events(sound, EV_RUN)["g"].tolist() == [0, 2, 1, 0, 3, 0]
    res = run_on(monkeypatch, GoschedRunnext, wl, gomaxprocs=1, cpus=None, noise=False,
                 costs=zero_costs(), runtime_init=False, record_events=True)
    runs = events(res, EV_RUN)
    assert list(zip(runs["time"].tolist(), runs["g"].tolist())) == \
        [(0, 0), (0, 2), (1, 1), (2, 0), (2, 0)]
    assert res.makespan_ns == 9
    with pytest.raises(gmp.PropertyViolation, match="G row 0 called Gosched on P0 at 2ns") as e:
        properties.gosched_yields(res)
    assert e.value.time_ns == 2
