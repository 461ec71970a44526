"""Each built-in scenario shows what its docstring says it shows.

Expectations come from Go's scheduler (go-scheduler.md), not from what the
engine printed: lower bounds from the work to do, thread counts from who must
hold an M, time-slice counts from ``inheritTime``.  Runs are small and on the
compiled engine.
"""

import inspect

import numpy as np
import pytest

import gmpcore as gmp
from gmpcore import scenarios
from gmpcore.costs import CostModel
from gmpcore.durations import parse_duration
from gmpcore.events import EV_WAIT, G_DEAD, G_WAITING, WAIT_CHAN_SEND

STACK_MIN = 2048      # Go's initial goroutine stack (stackMin), §5.4
PROCS = 4


def run(workload, procs=PROCS, **options):
    return gmp.simulate(workload, gomaxprocs=procs, seed=3, engine="compiled", **options)


def workers(res):
    """The rows of the workload's goroutines but main (goid 1)."""
    g = res.goroutines
    return g[(g["goid"] != 1) & ~res.system]


def user(res):
    """The workload's goroutines (main first): not the runtime's own, which
    park for good (gmpcore.startup)."""
    return res.goroutines[~res.system]


def all_dead(res):
    """Every goroutine of the workload finished."""
    return bool((user(res)["state"] == G_DEAD).all())


def workload_stacks(mon, res):
    """The monitor's stack_inuse less the runtime goroutines' stacks, for the
    samples taken once all of them exist (from the first moment on)."""
    made = res.goroutines["created"][res.system].max()
    after = mon["time"] >= made
    return mon["stack_inuse"][after] - STACK_MIN * int(res.system.sum()), mon[after]


# ---------------------------------------------------------------- the registry

SMALL = {
    "fanout": dict(n=300), "io": dict(n=100), "sleepers": dict(n=300, duration="1ms"),
    "syscalls": dict(n=8, duration="1ms"), "pingpong": dict(rounds=50),
    "pool": dict(jobs=80), "unbounded": dict(jobs=80), "leak": dict(n=10),
    "container": dict(conns=4, requests=5), "mutex": dict(workers=4, increments=5),
    "server": dict(requests=20), "pipeline": dict(items=20), "ticker": dict(ticks=5),
}


def test_every_scenario_has_a_small_case():
    assert set(SMALL) == set(scenarios.SCENARIOS)


@pytest.mark.parametrize("name", sorted(scenarios.SCENARIOS))
def test_scenario_runs_and_is_documented(name):
    function, summary = scenarios.SCENARIOS[name]
    assert summary and "\n" not in summary
    doc = inspect.getdoc(function)
    assert doc and "Parameters" in doc
    first = next(iter(inspect.signature(function).parameters))
    lines = doc.splitlines()
    entry = lines.index(f"{first} : int")
    assert lines[entry + 1].strip().startswith("The size"), \
        f"{name}: the first parameter ({first}) should be documented as the size"
    wl = function(**SMALL[name])
    assert isinstance(wl, gmp.Workload)
    res = run(wl)
    assert res.makespan_ns > 0
    assert (res.goroutines["first_run"][res.goroutines["goid"] == 1] >= 0).all()


def test_scenarios_return_fresh_workloads():
    assert scenarios.fanout(n=10) is not scenarios.fanout(n=10)


# ---------------------------------------------------------------- fan-out

def test_fanout_spills_steals_and_finishes():
    n, work = 1_000, "10us"
    res = run(scenarios.fanout(n=n, work=work), until="all")
    assert len(user(res)) == n + 1 and all_dead(res)
    # main spawns at ~one G per newproc, far faster than 3 other Ps drain
    # 10 µs Gs: P0's 256-slot ring overflows and runqputslow spills half.
    assert res.counters["spills"] > 0
    # Uneven batches from the global queue leave some Ps empty while others
    # still hold work: they steal.
    assert res.counters["steals"] > 0
    # Every P ran Gs (global-queue batches and steals spread the work), and
    # no schedule beats perfect parallelism.
    ideal = n * parse_duration(work) / PROCS
    assert res.makespan_ns >= ideal
    assert res.makespan_ns <= 1.25 * ideal
    assert (res.procs["busy_ns"] >= 0.8 * res.makespan_ns).all()


def peak(res):
    """Most Gs alive at once, as the monitor sampled it (a lower bound of the true peak)."""
    return int(res.monitor["goroutines"].max())


def test_unbounded_goroutines_pile_up_when_requests_outpace_the_ps():
    jobs, work, accept = 2_000, "10us", "1us"
    res = run(scenarios.unbounded(jobs=jobs, work=work, accept=accept), monitor="5us")
    assert all_dead(res) and len(user(res)) == jobs + 1
    # Main's accept loop holds its P; the other PROCS - 1 Ps finish at most
    # one request per `work` each.  By the time the last request is accepted,
    # at most (accept + newproc + newproc_fresh) × jobs later (a `go` costs
    # newproc_fresh more when no free G is at hand), at most that many are
    # done: the rest are alive at once, each with its 2 KiB stack.
    accepting = jobs * (parse_duration(accept) + CostModel().newproc + CostModel().newproc_fresh)
    done_by_then = (PROCS - 1) * accepting / parse_duration(work)
    assert peak(res) >= jobs - done_by_then - PROCS
    assert peak(res) >= 0.4 * jobs                      # "about half" at the defaults
    stacks, mon = workload_stacks(res.monitor, res)
    assert (stacks == STACK_MIN * mon["goroutines"]).all()
    # Not bounded by the program: twice the requests, about twice the peak.
    more = run(scenarios.unbounded(jobs=2 * jobs, work=work, accept=accept), monitor="5us")
    assert peak(more) >= 1.8 * peak(res)


def test_unbounded_few_alive_when_requests_come_slower_than_the_ps_finish_them():
    # One request every 20 µs, 10 µs each, on 4 Ps: the arrival rate, not the
    # program, keeps the number alive small, however many requests come.
    small = run(scenarios.unbounded(jobs=500, accept="20us"), monitor="5us")
    large = run(scenarios.unbounded(jobs=1_000, accept="20us"), monitor="5us")
    assert all_dead(small) and all_dead(large)
    assert peak(small) <= 16 and peak(large) <= 16


def test_unbounded_is_not_fanout():
    # fanout spawns its goroutines in one burst; unbounded's main pays `accept`
    # for each request, so fewer are alive at once and the run is longer.
    a = run(scenarios.unbounded(jobs=1_000), monitor="5us")
    b = run(scenarios.fanout(n=1_000), monitor="5us")
    assert a.makespan_ns > b.makespan_ns
    assert peak(a) < peak(b)


# ---------------------------------------------------------------- I/O

@pytest.mark.parametrize("n", [200, 2_000])
def test_io_bound_parks_in_the_netpoller_not_in_threads(n):
    wait_for, work = "1ms", "2us"
    res = run(scenarios.io_bound(n=n, wait_for=wait_for, work=work), until="all")
    assert all_dead(res)
    # One M per P, sysmon and at most a couple more (one blocked in netpoll),
    # however many Gs wait on the network.
    assert res.counters["threads"] <= PROCS + 3
    assert res.counters["netpolls"] > 0
    # The waits overlap: one wait, plus main's spawning and the CPU after
    # the waits spread over the Ps — not n waits.
    wait, cpu = parse_duration(wait_for), parse_duration(work)
    # A `go` with no free G costs newproc_fresh more (all of them are fresh here).
    spawn = n * (CostModel().newproc + CostModel().newproc_fresh)
    assert wait <= res.makespan_ns <= spawn + wait + 1.5 * n * cpu / PROCS + 100_000


# ---------------------------------------------------------------- sleepers

def test_sleepers_cost_a_stack_each_not_a_thread():
    n, duration = 3_000, "10ms"
    res = run(scenarios.sleepers(n=n, duration=duration))
    assert all_dead(res)
    # A sleeping G is a 2 KiB stack and a timer.
    assert (res.goroutines["stack"] == STACK_MIN).all()          # the runtime's too
    assert int(user(res)["stack"].sum()) == STACK_MIN * (n + 1)
    assert res.counters["timers"] == n
    assert res.counters["threads"] <= PROCS + 3
    # All sleep at once: the last one starts sleeping once main has made them
    # all (each `go` a fresh G), wakes `duration` later through epoll_wait's
    # whole milliseconds (+1 ms at most) and its late expiry (timer_wake).
    c = CostModel()
    spawn = n * (c.newproc + c.newproc_fresh)
    assert parse_duration(duration) <= res.makespan_ns
    assert res.makespan_ns <= spawn + parse_duration(duration) + 1_000_000 + 2 * c.timer_wake


# ---------------------------------------------------------------- system calls

@pytest.mark.parametrize("n", [16, 32])
def test_blocking_syscalls_start_threads(n):
    res = run(scenarios.blocking_syscalls(n=n, duration="10ms", work="50us"))
    assert all_dead(res)
    assert res.counters["syscalls"] == n
    # The callers' CPU (n × 2 × 50 µs) is done long before the first 10 ms
    # call returns, so at some moment all n are in their calls, each holding
    # its own M; sysmon has one more.
    assert res.counters["threads"] > PROCS
    assert n + 1 <= res.counters["threads"] <= n + PROCS + 2
    # For all n to be blocked at once on PROCS Ps, every caller but the last
    # on each P must have lost its P to handoffp.
    assert n - PROCS <= res.counters["handoffs"] <= n


def test_blocking_syscalls_fewer_threads_when_calls_are_short():
    # retake() only takes a P whose syscall it has already seen on an
    # earlier sysmon tick (≥ 20 µs): a 1 µs call returns with its P (the
    # fast path of exitsyscall).  No handoff, no extra thread.
    # (main alone at the start: the runtime's start hands P0 off while main
    # waits for the sweeper, wired to m0, and that counts as a handoff too)
    res = run(scenarios.blocking_syscalls(n=32, duration="1us", work="50us"), cpus=None,
              runtime_init=False)
    assert res.counters["syscalls"] == 32
    assert res.counters["handoffs"] == 0
    assert res.counters["threads"] <= PROCS + 3
    # With a CPU per P, a thread back from its call may wait for a CPU long
    # enough for sysmon to see its P in the syscall twice: a rare hand-off.
    res = run(scenarios.blocking_syscalls(n=32, duration="1us", work="50us"),
              runtime_init=False)
    assert res.counters["handoffs"] <= 2
    assert res.counters["threads"] <= PROCS + 3


# ---------------------------------------------------------------- ping-pong

def test_ping_pong_stays_on_one_p_with_runnext():
    rounds = 2_000
    res = run(scenarios.ping_pong(rounds=rounds, work="100ns"))
    assert all_dead(res)
    pair = workers(res)
    assert len(pair) == 2
    # The partner waits in runnext, which thieves leave alone while its
    # owner is about to run it: (almost) no steals, one busy P.
    assert int(pair["steals"].sum()) <= 2
    # (the spinning Ms the runtime's start wakes may steal its goroutines)
    assert res.counters["steals"] - int(res.goroutines["steals"][res.system].sum()) <= 2
    # The pair stays together: at most a steal of runnext moves it (both Gs)
    # to another P, so at most two Ps ever run it.
    busy = np.sort(res.procs["busy_ns"])
    assert busy[-2:].sum() >= 0.95 * busy.sum()
    # A G run from runnext inherits the time slice: 2 × rounds switches,
    # but only a handful of schedticks (the run is far shorter than 10 ms).
    assert int(res.procs["schedticks"].sum()) <= 10


def test_ping_pong_without_runnext_starts_a_slice_per_switch():
    rounds = 2_000
    res = run(scenarios.ping_pong(rounds=rounds, work="100ns"), runnext=False)
    assert all_dead(res)
    # Readied Gs go to the ring's tail and start a new slice each time.
    assert int(res.procs["schedticks"].sum()) >= rounds


# ---------------------------------------------------------------- pool vs unbounded

def test_worker_pool_same_work_far_fewer_goroutines():
    jobs, nworkers, work = 800, 8, "10us"
    pool = run(scenarios.worker_pool(jobs=jobs, workers=nworkers, work=work), until="all")
    spawn = run(scenarios.unbounded(jobs=jobs, work=work), until="all")
    assert all_dead(pool) and all_dead(spawn)
    assert len(user(pool)) == nworkers + 1
    assert len(user(spawn)) == jobs + 1
    # Stacks follow the goroutine count.
    assert int(user(pool)["stack"].sum()) == STACK_MIN * (nworkers + 1)
    assert int(user(spawn)["stack"].sum()) == STACK_MIN * (jobs + 1)
    # The same CPU work, give or take the runtime's own costs.
    total = jobs * parse_duration(work)
    cpu_pool = int(workers(pool)["running_ns"].sum())
    cpu_spawn = int(workers(spawn)["running_ns"].sum())
    assert cpu_pool >= total and cpu_spawn >= total
    assert abs(cpu_pool - cpu_spawn) <= 0.05 * total
    for res in (pool, spawn):
        assert res.makespan_ns >= total / PROCS


def test_worker_pool_bounds_the_goroutines_alive_unbounded_does_not():
    jobs, nworkers = 800, 8
    pool = run(scenarios.worker_pool(jobs=jobs, workers=nworkers), monitor="5us")
    spawn = run(scenarios.unbounded(jobs=jobs), monitor="5us")
    assert peak(pool) <= nworkers + 1
    assert int(workload_stacks(pool.monitor, pool)[0].max()) <= STACK_MIN * (nworkers + 1)
    assert peak(spawn) >= 20 * peak(pool)
    # Backpressure: the pool's main (row 0) parks sending on the full channel.
    logged = run(scenarios.worker_pool(jobs=jobs, workers=nworkers), record_events=True)
    ev = logged.events
    main_waits = ev[(ev["kind"] == EV_WAIT) & (ev["g"] == 0)]
    assert (main_waits["arg"] == WAIT_CHAN_SEND).sum() >= jobs // (4 * nworkers)


def test_worker_pool_checks_its_arguments():
    with pytest.raises(ValueError, match="multiple of workers"):
        scenarios.worker_pool(jobs=10, workers=3)
    with pytest.raises(ValueError, match="at least 1"):
        scenarios.worker_pool(jobs=10, workers=0)


# ---------------------------------------------------------------- leak

@pytest.mark.parametrize("procs", [1, 4])
def test_goroutine_leak_leaves_blocked_senders_at_main_exit(procs):
    n = 50
    res = run(scenarios.goroutine_leak(n=n, work="20us"), procs=procs)
    g = workers(res)
    assert len(g) == n
    blocked = (g["state"] == G_WAITING) & (g["wait_reason"] == WAIT_CHAN_SEND)
    # One searcher delivered its result and exited; the other n − 1 are
    # stuck sending on a channel nobody reads.
    assert int(blocked.sum()) == n - 1
    assert int((g["state"] == G_DEAD).sum()) == 1
    names = res.state_names()
    assert names.count("waiting (chan send)") == n - 1


def test_goroutine_leak_checks_its_arguments():
    with pytest.raises(ValueError, match="at least 1"):
        scenarios.goroutine_leak(n=0)
    with pytest.raises(ValueError, match="linger"):
        scenarios.goroutine_leak(n=5, work=gmp.exponential("1us"))
    scenarios.goroutine_leak(n=5, work=gmp.exponential("1us"), linger="1ms")


# ---------------------------------------------------------------- GOMAXPROCS sweep

def test_gomaxprocs_sweep_compute_bound_scales():
    n, work = 1_000, "10us"
    procs = (1, 2, 4, 8)
    sweep = scenarios.gomaxprocs_sweep(scenarios.fanout(n=n, work=work), procs=procs)
    assert [p for p, _ in sweep] == list(procs)
    spans = np.array([res.makespan_ns for _, res in sweep], dtype=float)
    assert (np.diff(spans) < 0).all(), spans
    serial = n * parse_duration(work)
    for (p, res), span in zip(sweep, spans):
        assert span >= serial / p
        # Compute-bound work with enough Gs: close to linear speed-up.
        assert span <= 1.25 * spans[0] / p


def test_gomaxprocs_sweep_passes_options():
    sweep = scenarios.gomaxprocs_sweep(scenarios.fanout(n=50), procs=(2,), seed=5,
                                       schedtrace="100us", cpus=None)
    assert sweep[0][1].schedtrace


# ---------------------------------------------------------------- container

def test_container_more_ps_throttle_longer_fewer_queue_longer():
    """The docstring's claims: on 8 CPUs with a 1.5-CPU quota, GOMAXPROCS=8
    spends longer throttled than Go 1.25's default of 2, which throttles
    less than 8 but queues requests for a P; one P never throttles."""
    wl = scenarios.container(requests=150)
    runs = {p: gmp.simulate(wl, gomaxprocs=p, cpus=8, cpu_quota=("150ms", "100ms"), seed=3)
            for p in (1, 2, 8, None)}
    assert len(runs[None].procs) == 2
    # The same run (only the program names differ: the default GOMAXPROCS
    # brings the runtime's updater, which a constant quota never wakes).
    assert runs[None].counters == runs[2].counters
    assert (runs[None].goroutines == runs[2].goroutines).all()
    c = {p: r.counters for p, r in runs.items()}
    assert c[1]["nr_throttled"] == 0
    assert c[8]["throttled_wall_ns"] > c[2]["throttled_wall_ns"] > 0
    waited = {p: r.goroutines["runnable_ns"][1:].sum() for p, r in runs.items()}
    assert waited[1] > waited[2] > waited[8]


@pytest.mark.parametrize("procs", [1, 4])
def test_mutex_counter_claims(procs):
    from gmpcore.events import EV_STOP, STOP_GOSCHED

    def handoffs(hold):
        res = run(scenarios.mutex_counter(workers=8, increments=20, hold=hold), procs,
                  record_events=True)
        ev = res.events
        # the critical sections are serialised
        assert res.makespan_ns >= 8 * 20 * gmp.parse_duration(hold)
        return int(((ev["kind"] == EV_STOP) & (ev["arg"] == STOP_GOSCHED)).sum())

    assert handoffs("1us") == 0                     # normal mode throughout
    if procs > 1:
        # long holds: 7 holds ahead of a waiter exceed 1 ms: nearly every
        # Unlock of the 160 hands off
        assert handoffs("300us") >= 0.75 * 8 * 20


# ---------------------------------------------------------------- server and pipeline (issue 13)

def test_http_server_serves_or_sheds_every_request():
    from gmpcore.spans import durations
    res = run(scenarios.http_server(requests=400), procs=2)
    assert all_dead(res)
    # One request span per handler; a backend span per request not shed.
    assert len(durations(res, "request")) == 400
    served = len(durations(res, "backend"))
    assert 0 < served <= 400
    # A generous timeout sheds nothing; a backend slower than the arrivals with
    # a tiny timeout sheds most requests (the four backends stay busy).
    assert len(durations(run(scenarios.http_server(requests=400, timeout="1s"), procs=2),
                         "backend")) == 400
    shed = run(scenarios.http_server(requests=400, backend="2ms", timeout="10us"), procs=2)
    assert len(durations(shed, "backend")) < 100


def test_pipeline_moves_every_item_through_every_hop():
    from gmpcore.spans import durations
    res = run(scenarios.pipeline(items=500, stages=3), procs=2)
    assert all_dead(res)
    assert res.span_names == ("hop1", "hop2", "hop3")
    for hop in res.span_names:
        d = durations(res, hop)
        assert len(d) == 500 and (d >= 0).all()
    # Each stage needs at least items x work of CPU; with three stages and a
    # producer on 2 Ps the run takes at least the stages' CPU over 2 Ps.
    assert res.makespan_ns >= 3 * 500 * 1_000 // 2
    with pytest.raises(ValueError, match="stages"):
        scenarios.pipeline(stages=0)


def test_ticker_loop_is_late_beside_spinners_that_hold_every_p():
    # Alone (or with a P to spare), each tick's work starts within about a
    # period of the previous one; with a non-preemptible spinner on every P
    # the receiver waits for sysmon's preemption (a 10 ms slice), so some
    # gap between tick starts exceeds several periods.
    def gaps(spinners):
        res = run(scenarios.ticker_loop(ticks=40, spinners=spinners), procs=2)
        start = np.sort(res.spans["start_ns"])
        assert len(start) == 40
        return np.diff(start)
    period = parse_duration("1ms")
    assert gaps(0).max() <= 2 * period
    assert gaps(1).max() <= 2 * period                # one P stays free for main
    assert gaps(2).max() >= 5 * period
