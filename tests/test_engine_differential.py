"""The compiled engine against the reference engine: identical runs.

For the same workload, seed and options, ``engine="compiled"`` must give
the reference's event log row for row, the same goroutine records, proc
figures, counters, makespan and schedtrace lines, and the same exception
with the same message when the simulated program dies
(docs/simulator-design.md).
"""

import os
import random
import signal
import threading
import types
import time

import numpy as np
import pytest
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

import gmpcore as gmp
from gmpcore import _engine
from gmpcore.costs import CostModel
from gmpcore.events import EV_NETPOLL, EV_SPILL, G_DEAD
from gmpcore.results import EVENT_DTYPE
from gmpcore.strategies import (MS, STRESS_COUNTERS, US, examples, policies, random_options,
                                random_workload, run_options, stress_workloads, wild_run_options,
                                wild_workloads, workloads)


SLOW_OK = [HealthCheck.too_slow, HealthCheck.data_too_large]

#: The machine the stress groups were built for: every thread has a CPU, costs
#: are exact and the same whatever the state (hot caches, free Gs at hand), so
#: Go's own timing forces each path they are there for.
STRESS_MACHINE = dict(cpus=None, noise=False,
                      costs=CostModel(newproc_fresh=0, stackalloc=0, cold_switch=0))


def outcome(wl, engine, **opts):
    """("ok", Result) or ("error", type, message) of one run."""
    try:
        return ("ok", gmp.simulate(wl, engine=engine, record_events=True, **opts))
    except gmp.GoFatalError as exc:
        return ("error", type(exc), str(exc))


def assert_same_result(ref, cmp):
    if ref.events is None or cmp.events is None:
        assert ref.events is None and cmp.events is None
    else:
        assert len(ref.events) == len(cmp.events), (len(ref.events), len(cmp.events))
        same = ref.events == cmp.events
        if not same.all():
            i = int(np.argmin(same))
            raise AssertionError(f"event {i} differs:\n ref {ref.events[max(0, i - 3):i + 2]}\n"
                                 f" cmp {cmp.events[max(0, i - 3):i + 2]}")
    assert ref.makespan_ns == cmp.makespan_ns
    assert ref.counters == cmp.counters
    assert ref.gomaxprocs_history == cmp.gomaxprocs_history
    assert ref.schedtrace == cmp.schedtrace
    assert ref.sched_latencies == cmp.sched_latencies
    assert ref.goroutines.dtype == cmp.goroutines.dtype
    assert np.array_equal(ref.goroutines, cmp.goroutines)
    assert np.array_equal(ref.procs, cmp.procs)
    assert np.array_equal(ref.threads, cmp.threads)
    assert (ref.monitor is None) == (cmp.monitor is None)
    if ref.monitor is not None:
        assert ref.monitor.dtype == cmp.monitor.dtype
        assert np.array_equal(ref.monitor, cmp.monitor)
    assert (ref.snapshot is None) == (cmp.snapshot is None)
    if ref.snapshot is not None:
        assert ref.snapshot.as_dict() == cmp.snapshot.as_dict()
    assert ref.program_names == cmp.program_names
    assert ref.span_names == cmp.span_names
    assert (ref.spans is None) == (cmp.spans is None)
    if ref.spans is not None:
        assert ref.spans.dtype == cmp.spans.dtype
        assert np.array_equal(ref.spans, cmp.spans)


def assert_same_outcome(wl, **opts):
    ref = outcome(wl, "reference", **opts)
    cmp = outcome(wl, "compiled", **opts)
    assert ref[0] == cmp[0], (ref, cmp)
    if ref[0] == "ok":
        assert_same_result(ref[1], cmp[1])
    else:
        assert ref[1:] == cmp[1:]
    return ref


def contract_example(n):
    wl = gmp.Workload()
    wg = wl.waitgroup()
    worker = wl.program(gmp.cpu("1us"), gmp.done(wg))
    wl.main(gmp.add(wg, n), gmp.go(worker, count=n), gmp.wait(wg))
    return wl


# ---------------------------------------------------------------- random workloads

LOG_FILTERS = ("trace_window", "trace_goroutines", "max_trace_events")


def unfiltered(opts):
    """`opts` without the event log's filters: the engines are compared on
    their whole logs (the filters have a test of their own below)."""
    return {k: v for k, v in opts.items() if k not in LOG_FILTERS}


@settings(max_examples=examples(150), suppress_health_check=SLOW_OK)
@given(wl=workloads(), opts=run_options())
def test_random_workloads_identical(wl, opts):
    note(wl.to_python())              # the code that rebuilds it (Workload.to_python)
    kind, *rest = assert_same_outcome(wl, **unfiltered(opts))
    assert kind == "ok", rest            # these workloads never deadlock


@settings(max_examples=examples(100), suppress_health_check=SLOW_OK)
@given(wl=workloads(), opts=run_options(), policy=policies())
def test_random_policies_identical(wl, opts, policy):
    """Both engines under a random gmpcore.Policy (gmpcore.strategies.policies),
    event for event."""
    note(f"{policy.changes()}\n{wl.compile().disassemble()}")
    kind, *rest = assert_same_outcome(wl, policy=policy, **unfiltered(opts))
    assert kind == "ok", rest


@settings(max_examples=examples(40), suppress_health_check=SLOW_OK)
@given(case=stress_workloads(), seed=st.integers(0, 2**32), policy=policies())
def test_stress_workloads_under_random_policies_identical(case, seed, policy):
    """The stress groups (spills, preemptions, hand-offs, netpoll batches)
    under random policies: both engines alike, with invariant checks."""
    group, wl, procs = case
    note(f"{group} on {procs} Ps, {policy.changes()}:\n{wl.compile().disassemble()}")
    kind, *rest = assert_same_outcome(wl, gomaxprocs=procs, seed=seed, policy=policy,
                                      check=True, **STRESS_MACHINE)
    assert kind == "ok", rest


@settings(max_examples=examples(60), suppress_health_check=SLOW_OK)
@given(case=stress_workloads(), seed=st.integers(0, 2**32), async_preempt=st.booleans(),
       runnext=st.booleans())
def test_stress_workloads_identical(case, seed, async_preempt, runnext):
    """Spills, preemptions, syscall hand-offs and netpoll batches, which
    small random workloads seldom reach, compared event for event; each
    example shows its group's counter moving, so the group really ran."""
    group, wl, procs = case
    note(f"{group} on {procs} Ps:\n{wl.to_python()}")
    # The ideal machine: the groups are built so that Go's own timing forces
    # each path (a 12 ms burst meets sysmon's 10 ms check), which a CPU-limited
    # machine, where sysmon waits for a CPU, or a jittery one may miss.
    kind, res = assert_same_outcome(wl, gomaxprocs=procs, seed=seed, runnext=runnext,
                                    async_preempt=async_preempt, **STRESS_MACHINE)
    assert kind == "ok"
    counter = STRESS_COUNTERS[group]
    assert res.counters[counter] > 0, (group, res.counters)
    if group == "netpoll":
        ev = res.events
        assert ev["arg"][ev["kind"] == EV_NETPOLL].max() <= 128


@pytest.mark.parametrize("group", sorted(STRESS_COUNTERS))
def test_stress_groups_reach_their_limits(group):
    """Across a few seeds, each group hits the limit it is there for: a
    spill of 129 Gs, a netpoll of exactly 128, a hand-off, a preemption."""
    hits = 0

    @settings(max_examples=12, derandomize=True, database=None, deadline=None,
              suppress_health_check=list(HealthCheck))
    @given(stress_workloads(group=group), st.integers(0, 2**16))
    def run(case, seed):
        nonlocal hits
        _, wl, procs = case
        res = gmp.simulate(wl, gomaxprocs=procs, seed=seed, record_events=True,
                           **STRESS_MACHINE)
        ev = res.events
        if group == "spill":
            hits += int(((ev["kind"] == EV_SPILL) & (ev["arg"] == 129)).any())
        elif group == "netpoll":
            hits += int(((ev["kind"] == EV_NETPOLL) & (ev["arg"] == 128)).any())
        else:
            hits += res.counters[STRESS_COUNTERS[group]] > 0
    run()
    assert hits >= 6


@settings(max_examples=examples(60), suppress_health_check=SLOW_OK)
@given(wl=workloads(), opts=run_options(), engine=st.sampled_from(["compiled", "reference"]))
def test_log_filters_are_the_whole_log_filtered(wl, opts, engine):
    """trace_window, trace_goroutines and max_trace_events keep exactly the
    rows of the whole log that pass them, in order (and count the rest)."""
    full = gmp.simulate(wl, engine=engine, record_events=True, **unfiltered(opts))
    filters = {k: opts[k] for k in LOG_FILTERS if k in opts}
    part = gmp.simulate(wl, engine=engine, record_events=True, **unfiltered(opts), **filters)
    rows = full.events if full.events is not None else np.zeros(0, dtype=EVENT_DTYPE)
    keep = np.ones(len(rows), dtype=bool)
    if "trace_window" in filters:
        t0, t1 = (gmp.parse_duration(t) if isinstance(t, str) else t
                  for t in filters["trace_window"])
        keep &= (rows["time"] >= t0) & (rows["time"] <= t1)
    if "trace_goroutines" in filters:
        goids = full.goroutines["goid"]
        about = rows["g"] >= 0
        keep &= ~about | np.isin(goids[np.where(about, rows["g"], 0)],
                                 list(filters["trace_goroutines"]))
    expected = rows[keep]
    cap = filters.get("max_trace_events")
    dropped = 0 if cap is None else max(0, len(expected) - cap)
    if cap is not None:
        expected = expected[:cap]
    got = part.events if part.events is not None else np.zeros(0, dtype=EVENT_DTYPE)
    assert np.array_equal(got, expected)
    assert part.counters["events_dropped"] == dropped
    assert part.makespan_ns == full.makespan_ns


@settings(max_examples=examples(40), suppress_health_check=SLOW_OK)
@given(wl=workloads(max_goroutines=600, min_groups=3, max_groups=8), opts=run_options())
def test_larger_workloads_identical(wl, opts):
    note(wl.to_python())              # the code that rebuilds it (Workload.to_python)
    kind, *rest = assert_same_outcome(wl, **opts)
    assert kind == "ok", rest


@settings(max_examples=examples(40), suppress_health_check=SLOW_OK)
@given(wl=workloads(max_goroutines=40), opts=run_options())
def test_random_workloads_checked(wl, opts):
    """check=True on both engines: every G in exactly one place after every event."""
    note(wl.to_python())              # the code that rebuilds it (Workload.to_python)
    assert_same_outcome(wl, check=True, **opts)


@settings(max_examples=examples(120), suppress_health_check=SLOW_OK)
@given(wl=wild_workloads(), opts=wild_run_options())
def test_wild_workloads_fail_alike(wl, opts):
    """Deadlocks, panics, thread and stack exhaustion: the same error, or the same run."""
    note(wl.to_python())              # the code that rebuilds it (Workload.to_python)
    assert_same_outcome(wl, **opts)


@pytest.mark.parametrize("seed", range(40))
def test_seeded_larger_workloads_identical(seed):
    """Thousands of Gs: worker pools, channel pairs, nested fan-outs (fixed seeds)."""
    rng = random.Random(seed)
    wl = random_workload(rng)
    opts = random_options(rng)
    kind, *rest = assert_same_outcome(wl, check=seed % 8 == 0, **opts)
    assert kind == "ok", rest


# ---------------------------------------------------------------- known cases

@pytest.mark.parametrize("gomaxprocs", [1, 2, 8])
def test_contract_example(gomaxprocs):
    """The issue's fan-out, N = 1000: identical logs on 1, 2 and 8 Ps."""
    kind, res = assert_same_outcome(contract_example(1000), gomaxprocs=gomaxprocs, seed=7)
    assert kind == "ok"
    user = res.goroutines[~res.system]
    assert (user["state"] == G_DEAD).all() and len(user) == 1001
    assert res.system.sum() == 5                   # the runtime's own, parked


def test_same_seed_is_bit_identical():
    wl = gmp.Workload()
    wg = wl.waitgroup()
    worker = wl.program(gmp.cpu(gmp.exponential("20us")), gmp.sleep(gmp.uniform(0, "50us")),
                        gmp.done(wg))
    wl.main(gmp.add(wg, 300), gmp.go(worker, count=300), gmp.wait(wg))
    a = gmp.simulate(wl, gomaxprocs=4, seed=11, record_events=True)
    b = gmp.simulate(wl, gomaxprocs=4, seed=11, record_events=True)
    assert_same_result(a, b)
    assert a.events.tobytes() == b.events.tobytes()
    assert a.goroutines.tobytes() == b.goroutines.tobytes()
    c = gmp.simulate(wl, gomaxprocs=4, seed=12, record_events=True)
    assert c.makespan_ns != a.makespan_ns
    assert not np.array_equal(c.goroutines["running_ns"], a.goroutines["running_ns"])


def test_record_events_off_changes_nothing_else():
    wl = contract_example(500)
    a = gmp.simulate(wl, gomaxprocs=3, seed=5, record_events=True)
    b = gmp.simulate(wl, gomaxprocs=3, seed=5, record_events=False)
    assert b.events is None
    assert a.makespan_ns == b.makespan_ns and a.counters == b.counters
    assert np.array_equal(a.goroutines, b.goroutines)


def test_raw_dict_matches_reference():
    """_engine.run returns RefEngine.run()'s dict: same keys, same values."""
    from gmpcore.reference.engine import RefEngine
    compiled = contract_example(200).compile()
    kw = dict(gomaxprocs=2, seed=3, costs=CostModel(), schedtrace=100_000)
    ref = RefEngine(compiled, **kw).run()
    cmp = _engine.run(compiled, **kw)
    assert list(ref) == list(cmp)
    assert list(ref["counters"].items()) == list(cmp["counters"].items())
    assert ref["schedtrace"] and ref["schedtrace"] == cmp["schedtrace"]
    assert np.array_equal(ref["events"], cmp["events"])
    assert [tuple(r) for r in ref["goroutines"]] == cmp["goroutines"].tolist()
    assert cmp["goroutines"]["parent"][0] == 0         # main has no creator
    assert [tuple(r) for r in ref["procs"]] == cmp["procs"].tolist()
    assert ref["makespan_ns"] == cmp["makespan_ns"] and ref["now"] == cmp["now"]


@pytest.mark.parametrize("engine_opts", [dict(max_events=777), dict(until="all")])
def test_options_identical(engine_opts):
    wl = gmp.Workload()
    leak = wl.program(gmp.sleep("1ms"), gmp.cpu("3us"))
    wl.main(gmp.go(leak, count=20), gmp.cpu("10us"))
    assert_same_outcome(wl, gomaxprocs=2, seed=1, **engine_opts)


def test_lognormal_overflow_is_clamped_alike():
    """A lognormal draw past exp()'s range is clamped to 2**53 ns, like any
    unbounded draw, in both engines (no OverflowError)."""
    wl = gmp.Workload()
    wg = wl.waitgroup()
    sleeper = wl.program(gmp.sleep(gmp.lognormal("1us", 1000.0)), gmp.done(wg))
    wl.main(gmp.add(wg, 1), gmp.go(sleeper), gmp.wait(wg))
    # a seed whose first N(0, 1) draw makes exp(1000 * N) overflow
    seed = next(s for s in range(100)
                if np.random.Generator(np.random.PCG64(s)).standard_normal() > 1)
    kind, ref = assert_same_outcome(wl, gomaxprocs=1, seed=seed)
    assert kind == "ok"
    assert 2**53 <= ref.makespan_ns < 2**53 + 10**6


# ---------------------------------------------------------------- progress, Ctrl-C, bad input

def test_progress_called_at_most_every_n_events():
    calls = []
    res = gmp.simulate(contract_example(2000), gomaxprocs=4, seed=1,
                       progress=lambda ev, now: calls.append((ev, now)), progress_every=1000)
    assert calls and all(b[0] - a[0] >= 1000 for a, b in zip(calls, calls[1:]))
    assert calls[-1][0] <= res.counters["events"]
    assert [t for _, t in calls] == sorted(t for _, t in calls)


def test_progress_exception_propagates():
    def boom(ev, now):
        raise RuntimeError("stop here")
    with pytest.raises(RuntimeError, match="stop here"):
        gmp.simulate(contract_example(5000), progress=boom, progress_every=100)


@pytest.mark.parametrize("kwargs, exc, match", [
    (dict(progress=42), TypeError, "progress must be a bool, a callable or None"),
    (dict(progress_every=0), ValueError, r"progress_every must be in \[1, "),
    (dict(progress_every=1.5), TypeError, "progress_every must be an integer"),
    (dict(check="yes"), TypeError, "check must be a bool"),
])
def test_bad_engine_arguments(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        gmp.simulate(contract_example(1), **kwargs)


@pytest.mark.skipif(os.name == "nt", reason="POSIX signals")
def test_ctrl_c_stops_a_long_run():
    wl = gmp.Workload()
    yielder = wl.program(gmp.repeat(10**15, gmp.gosched()))
    wl.main(gmp.go(yielder), gmp.sleep("1000h"))
    timer = threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGINT))
    start = time.monotonic()
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            gmp.simulate(wl, gomaxprocs=1)
    finally:
        timer.cancel()
    assert time.monotonic() - start < 5


@pytest.mark.skipif(os.name == "nt", reason="POSIX signals")
def test_ctrl_c_stops_a_loop_without_events():
    """A program that loops without ever letting time pass still stops."""
    wl = gmp.Workload()
    wl.main(gmp.repeat(2**62, gmp.stack(100)))
    timer = threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGINT))
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            gmp.simulate(wl)
    finally:
        timer.cancel()


def test_hand_built_bytecode_is_rejected_not_crashing():
    good = contract_example(3).compile()
    code = np.array(good.code)
    code[0] = (gmp.Opcode.SEND, 5, 0, 0)                  # no channel 5
    with pytest.raises(ValueError, match=r"code\[0\] SEND: operand a \(channel index\)"):
        gmp.CompiledWorkload(code, good.dists, good.entry, good.chan_cap,
                             good.n_waitgroups, good.loop_depth)
    code = np.array(good.code)
    code[0] = (99, 0, 0, 0)
    with pytest.raises(ValueError, match="unknown opcode 99"):
        gmp.CompiledWorkload(code, good.dists, good.entry, good.chan_cap,
                             good.n_waitgroups, good.loop_depth)
    with pytest.raises(TypeError, match="must be a gmpcore.CompiledWorkload"):
        _engine.run(types.SimpleNamespace(**vars(good)))


def test_estimate_goroutines():
    wl = gmp.Workload()
    leaf = wl.program(gmp.cpu(1))
    mid = wl.program(gmp.repeat(3, gmp.go(leaf, count=2)), gmp.go(leaf))
    wl.main(gmp.repeat(5, gmp.repeat(2, gmp.go(mid))), gmp.go(leaf, count=4))
    # main: 10 mids, each starting 7 leaves, and 4 leaves: 1 + 10 * 8 + 4
    assert _engine.estimate_goroutines(wl.compile()) == 85
    wl2 = gmp.Workload()
    f2 = wl2.program(name="f")
    f2.define(gmp.go(f2))
    wl2.main(gmp.go(f2))
    assert _engine.estimate_goroutines(wl2.compile()) is None


def test_runs_in_threads_are_independent():
    """simulate() releases the GIL for the whole run, so independent runs can
    use several cores from threads; each must still be bit for bit the run it
    is alone (the engine keeps no state outside its run object)."""
    from concurrent.futures import ThreadPoolExecutor
    jobs = [(contract_example(3000), procs, seed) for procs in (1, 4) for seed in (1, 2, 3)]
    alone = [gmp.simulate(wl, gomaxprocs=p, seed=s, schedtrace="1ms") for wl, p, s in jobs]
    with ThreadPoolExecutor(max_workers=3) as pool:
        together = list(pool.map(lambda job: gmp.simulate(job[0], gomaxprocs=job[1], seed=job[2],
                                                          schedtrace="1ms"), jobs))
    for a, b in zip(alone, together):
        assert a.makespan_ns == b.makespan_ns and a.counters == b.counters
        assert a.schedtrace == b.schedtrace
        assert np.array_equal(a.goroutines, b.goroutines) and np.array_equal(a.procs, b.procs)


# ---------------------------------------------------------------- locked threads

def locked_workload(rng):
    """A workload where many goroutines lock their threads: locked workers
    that block, yield, make syscalls, start goroutines and exit locked (or
    unlock first), locked ping-pong pairs, and sometimes a locked main."""
    def body():
        ops = []
        for _ in range(rng.randint(1, 4)):
            k = rng.random()
            if k < .25:
                ops.append(gmp.cpu(rng.randint(0, 30 * US), preemptible=rng.random() < .7))
            elif k < .4:
                ops.append(gmp.sleep(rng.randint(0, 50 * US)))
            elif k < .5:
                ops.append(gmp.syscall(rng.choice([rng.randint(0, 40 * US), 11 * MS]),
                                       blocking=rng.random() < .4))
            elif k < .6:
                ops.append(gmp.gosched())
            elif k < .7:
                ops.append(gmp.netwait(rng.randint(0, 50 * US)))
            elif k < .8:
                ops.append(gmp.lock_os_thread())
            elif k < .9:
                ops.append(gmp.unlock_os_thread())
            else:
                ops.append(gmp.cpu(rng.randint(5 * MS, 12 * MS), preemptible=rng.random() < .8))
        return ops

    wl = gmp.Workload()
    wg = wl.waitgroup()
    main_ops, n = [], 0
    if rng.random() < .3:
        main_ops.append(gmp.lock_os_thread())
    fire = wl.program(gmp.lock_os_thread(), gmp.go(wl.program(*body()), count=rng.randint(0, 3)),
                      *body())
    for _ in range(rng.randint(1, 4)):
        k = rng.random()
        if k < .5:
            count = rng.randint(1, 12)
            lock = [gmp.lock_os_thread()] * rng.randint(0, 2)
            unlock = [gmp.unlock_os_thread()] * rng.randint(0, 2)
            worker = wl.program(*lock, *body(), *unlock, gmp.done(wg))
            main_ops += [gmp.go(worker, count=count)]
            n += count
        elif k < .8:
            ping, pong = wl.chan(rng.choice([0, 0, 1])), wl.chan()
            rounds = rng.randint(1, 8)
            peer = wl.program(gmp.lock_os_thread(),
                              gmp.repeat(rounds, gmp.recv(ping), *body()[:1], gmp.send(pong)),
                              gmp.done(wg))
            main_ops += [gmp.go(peer), gmp.repeat(rounds, gmp.send(ping), gmp.recv(pong))]
            n += 1
        else:
            main_ops += [gmp.go(fire, count=rng.randint(1, 3))]
    wl.main(gmp.add(wg, n), *main_ops, *body(), gmp.wait(wg))
    return wl


@pytest.mark.parametrize("seed", range(examples(120)))
def test_locked_workloads_identical(seed):
    """LockOSThread-heavy workloads: the same run in both engines, checked."""
    rng = random.Random(seed)
    wl = locked_workload(rng)
    opts = dict(gomaxprocs=rng.choice([1, 2, 3, 4, 8]), seed=seed, check=True,
                async_preempt=rng.random() < .8, until=rng.choice(["main", "all"]),
                max_threads=rng.choice([10_000, 10_000, 12]))
    kind, *rest = assert_same_outcome(wl, **opts)
    assert kind == "ok" or rest[0] is gmp.ThreadExhaustion, rest


def test_gomaxprocs_updates_identical():
    """Go 1.25's periodic GOMAXPROCS update (sysmon's check, the updater
    goroutine, its stop-the-world), event for event in both engines, on
    runs long enough for sysmon to see a quota change; most of them must
    really update, so the path is exercised.  Without the runtime's start
    the quota moves before sysmon's first check (~20 us in) and the updater
    is made then; with it (even seeds) the updater runtime.main started is
    not idle yet at that check (as in Go), so main stays 1.1 s for the
    check a second later, which injects it."""
    import random
    updated = 0
    for seed in range(12):
        rnd = random.Random(seed)
        cpus = rnd.randint(2, 6)
        period = rnd.choice([1, 2]) * 1_000_000
        rows = [(0, None, period), (rnd.randint(1_000, 15_000), rnd.randint(2, 2 * cpus) * 500_000
                                    + 1_000_000, period)]
        rt = seed % 2 == 0
        if not rt and rnd.random() < 0.5:
            rows.append((rnd.randint(3, 6) * 1_000_000, None, period))
        wl = gmp.Workload()
        wg = wl.waitgroup()
        work = wl.program(gmp.repeat(rnd.randint(2, 6), gmp.cpu(gmp.exponential("300us")),
                                     gmp.sleep("50us")), gmp.done(wg))
        n = rnd.randint(4, 40)
        wl.main(gmp.add(wg, n), gmp.go(work, count=n), gmp.wait(wg),
                *([gmp.sleep("1100ms")] if rt else []))
        kind, res = assert_same_outcome(wl, seed=seed, cpus=cpus, cpu_quota=rows, check=True,
                                        runtime_init=rt)
        assert kind == "ok"
        updated += any(cause == "update" for *_, cause in res.gomaxprocs_history)
    assert updated >= 6, updated
