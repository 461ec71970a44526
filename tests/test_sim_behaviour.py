"""Go's own scheduler tests (go-scheduler.md §7.2, §7.3) and the historical
bugs of §8, reproduced as simulations.

Each test builds the Go test's program as a workload, runs it in virtual time
and asserts the Go test's pass condition (or, for a broken configuration,
the failure Go saw).  Shared-memory spin loops become CPU bursts and
counters become CPU time: 1 ns of CPU per increment.
"""

import numpy as np
import pytest

import gmpcore as gmp
from gmpcore.events import EV_RUN, EV_STOP, G_DEAD, STOP_GOSCHED

MS = 1_000_000


def user(res):
    """res.goroutines without the runtime's own (main first, then the workload's)."""
    return res.goroutines[~res.system]


# ---------------------------------------------------------------- TestPingPongHog

def ping_pong_hog(sim, runnext):
    """Two hog workers pass a token doing 1e6 increments per turn, two light
    workers 1e3; GOMAXPROCS=1; main lets them run for 100 ms."""
    wl = gmp.Workload()
    hog_ch, light_ch = wl.chan(), wl.chan()

    def worker(ch, limit):
        return wl.program(gmp.repeat(10**9, gmp.recv(ch), gmp.cpu(limit), gmp.send(ch)))

    hog, light = worker(hog_ch, 1_000_000), worker(light_ch, 1_000)
    wl.main(gmp.go(hog, count=2), gmp.go(light, count=2),
            gmp.send(hog_ch), gmp.send(light_ch), gmp.sleep("100ms"))
    res = sim(wl, gomaxprocs=1, runnext=runnext)
    run = user(res)["running_ns"]
    return int(run[1] + run[2]), int(run[3] + run[4]), res


def test_ping_pong_hog(sim):
    """§7.2 TestPingPongHog: with runnext each pair shares one time slice, so
    both get CPU within a factor of 20 (hogCount/20 <= lightCount and back)."""
    hog, light, res = ping_pong_hog(sim, runnext=True)
    assert hog // 20 <= light and light // 20 <= hog, (hog, light)
    assert res.counters["preemptions"] > 0          # sysmon's 10 ms slices alternate the pairs
    assert 100 * MS <= res.makespan_ns < 111 * MS   # main's timer fired on time


def test_ping_pong_hog_without_runnext(sim):
    """Before Go 1.5 a readied G went to the ring tail and waited a whole
    hog slice at every handoff: the light pair starves (§8 item 3)."""
    hog, light, _ = ping_pong_hog(sim, runnext=False)
    assert light < hog // 20, (hog, light)


# ---------------------------------------------------------------- parallelism

def test_goroutine_parallelism(sim):
    """§7.2 TestGoroutineParallelism: P goroutines must all run at once.

    Go's busy-wait token ring completes only if wakep/spinning starts enough
    Ms; here 4 CPU-bound goroutines of 10 ms on GOMAXPROCS=4 must overlap."""
    wl = gmp.Workload()
    wg = wl.waitgroup()
    spin = wl.program(gmp.cpu("10ms"), gmp.done(wg))
    wl.main(gmp.add(wg, 4), gmp.go(spin, count=4), gmp.wait(wg))
    res = sim(wl, gomaxprocs=4)
    workers = user(res)[1:]
    assert (workers["first_run"] < 1 * MS).all(), workers["first_run"]
    assert res.makespan_ns < 11 * MS
    assert res.counters["threads"] >= 5          # m0, sysmon and three more Ms


def test_yield_progress(sim):
    """§7.2 TestYieldProgress: a goroutine looping on Gosched must not keep
    main's 10 ms timer from firing (GOMAXPROCS=1)."""
    wl = gmp.Workload()
    yielder = wl.program(gmp.repeat(10**12, gmp.gosched()))
    wl.main(gmp.go(yielder), gmp.sleep("10ms"))
    res = sim(wl, gomaxprocs=1, max_events=2_000_000)
    assert res.goroutines["state"][0] == G_DEAD, "main never woke"
    assert 10 * MS <= res.makespan_ns < 11 * MS


def test_timer_fairness(sim):
    """§7.2 TestTimerFairness: a 20 ms timer fires despite continuous
    channel ping-pong on the only P."""
    wl = gmp.Workload()
    ch = wl.chan()
    pinger = wl.program(gmp.repeat(10**12, gmp.send(ch), gmp.recv(ch)))
    ponger = wl.program(gmp.repeat(10**12, gmp.recv(ch), gmp.send(ch)))
    wl.main(gmp.go(pinger), gmp.go(ponger), gmp.sleep("20ms"))
    res = sim(wl, gomaxprocs=1, max_events=5_000_000)
    assert res.goroutines["state"][0] == G_DEAD, "the timer never fired"
    assert 20 * MS <= res.makespan_ns < 31 * MS


# ---------------------------------------------------------------- preemption

def two_spinners(sim, async_preempt, preemptible, gomaxprocs=1):
    wl = gmp.Workload()
    wg = wl.waitgroup()
    spin = wl.program(gmp.cpu("50ms", preemptible=preemptible), gmp.done(wg))
    wl.main(gmp.add(wg, 2), gmp.go(spin, count=2), gmp.wait(wg))
    return sim(wl, gomaxprocs=gomaxprocs, async_preempt=async_preempt)


@pytest.mark.parametrize("async_preempt", [True, False])
def test_preemption(sim, async_preempt):
    """§7.2 TestPreemption: two CPU-bound goroutines on one P both make
    progress, preempted at function-call safe points every 10 ms slice."""
    res = two_spinners(sim, async_preempt, preemptible=True)
    workers = user(res)[1:]
    # The second started long before the first's 50 ms of work were done.
    # (Not necessarily after the first slice: a preempted G goes to the
    # global queue, and the 1-in-61 check may pick it again at once.)
    assert workers["first_run"].max() < 40 * MS
    assert workers["preemptions"].sum() >= 4


def test_tight_loop_needs_async_preemption(sim):
    """§8 item 1 (#10958): a loop without safe points cannot be preempted
    cooperatively: the second goroutine waits for the first to finish."""
    res = two_spinners(sim, async_preempt=False, preemptible=False)
    first = sorted(user(res)["first_run"][1:])
    assert first[1] >= 50 * MS


def test_tight_loop_with_async_preemption(sim):
    """§8 item 1, fixed in Go 1.14: the signal preempts the tight loop."""
    res = two_spinners(sim, async_preempt=True, preemptible=False)
    assert sorted(user(res)["first_run"][1:])[1] < 40 * MS
    assert user(res)["preemptions"][1:].sum() >= 4


@pytest.mark.parametrize("async_preempt, late", [(True, False), (False, True)])
def test_sleeper_behind_tight_loop(sim, async_preempt, late):
    """§8 item 1 (#11462): GOMAXPROCS=1, a tight loop delays a sleeper until
    the loop ends unless async preemption stops it after about 10 ms."""
    wl = gmp.Workload()
    loop = wl.program(gmp.cpu("1s", preemptible=False))
    wl.main(gmp.go(loop), gmp.gosched(), gmp.sleep("1ms"))
    res = sim(wl, gomaxprocs=1, async_preempt=async_preempt)
    if late:
        assert res.makespan_ns >= 1000 * MS
    else:
        # Woken at the loop's first or second preemption: each comes 10 ms
        # into its slice, late by up to sysmon's sleep and (one CPU) the OS
        # tick sysmon waits for.
        assert res.makespan_ns < 50 * MS


@pytest.mark.parametrize("d", ["10us", "100us", "1ms"])
def test_preemption_after_syscall(sim, d):
    """§7.2 TestPreemptionAfterSyscall: goroutines hammering short syscalls
    (whose fast exit keeps the P and never bumps schedtick) are preempted or
    retaken so main still runs (Go allows 5 s; we expect well under 100 ms)."""
    wl = gmp.Workload()
    hammer = wl.program(gmp.repeat(10**9, gmp.syscall(d)))
    wl.main(gmp.go(hammer, count=8), gmp.cpu("1ms"))
    res = sim(wl, gomaxprocs=2, max_events=3_000_000)
    assert res.goroutines["state"][0] == G_DEAD
    assert res.makespan_ns < 100 * MS


# ---------------------------------------------------------------- fairness of the global queue

def test_global_queue_runs_within_61_schedticks(sim):
    """§3.2 step 6: a G on the global queue runs within 61 schedticks even
    while the local queue never empties."""
    wl = gmp.Workload()
    quick = wl.program(gmp.cpu("1us"))
    yielder = wl.program(gmp.gosched(), gmp.cpu("1us"))
    # 200 Gs wait in P0's ring; the yielder (in runnext) runs first when
    # main sleeps, and its Gosched puts it alone on the global queue.
    wl.main(gmp.go(quick, count=200), gmp.go(yielder), gmp.sleep("1ms"))
    res = sim(wl, gomaxprocs=1, record_events=True)
    ev = res.events
    yielder_g = int(np.flatnonzero(~res.system)[201])     # its row, after the runtime's
    stop = ev[(ev["kind"] == EV_STOP) & (ev["g"] == yielder_g) & (ev["arg"] == STOP_GOSCHED)]
    assert len(stop) == 1
    t0 = stop["time"][0]
    runs_after = ev[(ev["kind"] == EV_RUN) & (ev["time"] > t0)]
    back = runs_after[runs_after["g"] == yielder_g]
    assert len(back), "the yielder never ran again"
    new_slices = ((runs_after["time"] < back["time"][0]) & (runs_after["arg"] == 0)).sum()
    assert new_slices <= 61, new_slices


# ---------------------------------------------------------------- crashes (§7.3)

def test_simple_deadlock(sim):
    """TestSimpleDeadlock: main blocks forever."""
    wl = gmp.Workload()
    wg = wl.waitgroup()
    wl.main(gmp.add(wg, 1), gmp.wait(wg))
    with pytest.raises(gmp.Deadlock, match="^fatal error: all goroutines are asleep - deadlock!"):
        sim(wl)


def test_deadlock_with_blocked_goroutines(sim):
    """Every goroutine blocked on channels nobody will use: deadlock."""
    wl = gmp.Workload()
    ch = wl.chan()
    never = wl.program(gmp.send(ch))          # defined but never started
    receiver = wl.program(gmp.recv(ch))
    wl.main(gmp.go(receiver, count=3), gmp.recv(ch))
    assert never is not None
    with pytest.raises(gmp.Deadlock, match="all goroutines are asleep"):
        sim(wl, gomaxprocs=2)


def test_thread_exhaustion(sim):
    """TestThreadExhaustion: with the limit at 10, blocking syscalls that
    each hold an M make the runtime exceed it."""
    wl = gmp.Workload()
    blocker = wl.program(gmp.syscall("1s"))
    wl.main(gmp.go(blocker, count=20), gmp.sleep("2s"))
    with pytest.raises(gmp.ThreadExhaustion,
                       match="^runtime: program exceeds 10-thread limit\nfatal error: thread exhaustion"):
        sim(wl, gomaxprocs=2, max_threads=10)


def test_stack_overflow(sim):
    """TestStackOverflow: max stack 1474560 bytes; a deeper stack is fatal."""
    wl = gmp.Workload()
    wl.main(gmp.stack("1MiB"), gmp.stack("2MiB"))
    with pytest.raises(gmp.StackOverflow,
                       match="^runtime: goroutine stack exceeds 1474560-byte limit\n"):
        sim(wl, max_stack=1474560)


def test_stack_grows_by_doubling(sim):
    wl = gmp.Workload()
    grower = wl.program(gmp.stack(5000), gmp.sleep("1ms"))
    wl.main(gmp.go(grower), gmp.stack(70_000), gmp.sleep("2ms"))
    res = sim(wl)
    assert user(res)["stack"].tolist() == [131072, 8192]   # 2 KiB doubled to fit
