"""Known answers for every knob of gmpcore.Policy, derived by hand.

Each test changes one knob (sometimes two) from Go 1.25's policy and
derives what Go's algorithms (go-scheduler.md, cited as §N) do under it,
in the setting of tests/test_known_answers.py, whose module docstring
gives the conventions used below: every runtime cost 0 unless named,
``cpus=None``, noise off; G indices are main 0 then Gs in creation order
(goid = index + 1 with one P); m0 runs main, M1 is sysmon; sysmon's loops
run at 20, 40, ..., 1020 µs, then 1060, 1140, 1300, 1620, 2260, 3540,
6100, 11220 µs, then every 10 ms.  Where a derivation is easiest against
Go's own answer, the default policy is run too and its answer derived
alongside.  Both engines must give the answer.
"""

import pytest
from zero_costs import events, run_exact, zero_costs

import gmpcore as gmp
from gmpcore import model
from gmpcore.events import (
    EV_HANDOFF, EV_PREEMPT, EV_RUN, EV_SPILL, EV_SPIN, EV_STEAL, EV_STOP, EV_SYSCALL_EXIT,
    EV_THREAD_CREATE,
    STOP_PREEMPT,
)
from gmpcore.policy import Policy

US, MS = 1_000, 1_000_000

pytestmark = pytest.mark.parametrize("engine", ["compiled", "reference"])


def _run(engine, wl, policy=None, gomaxprocs=1, costs=None, **kw):
    kw.setdefault("cpus", None)
    return run_exact(wl, engine, zero_costs() if costs is None else costs,
                     gomaxprocs=gomaxprocs, seed=1, policy=policy, **kw)


def _rows(res, kind, *fields):
    fields = fields or ("time", "m", "p", "g", "arg")
    return [tuple(int(r[f]) for f in fields) for r in events(res, kind)]


# ------------------------------------------------------------ defaults are Go's

def test_defaults_are_the_model_constants_and_go_values(engine):
    """One source: Policy()'s defaults are gmpcore.model's constants (held to
    Go's source by test_model_constants.py); the literals here are Go 1.25's
    (proc.go: ``runq [256]guintptr``, runqgrab's ``n - n/2``,
    ``schedtick%61``, ``2*sched.nmspinning``, forcePreemptNS = 10 ms, sysmon's
    usleep(20) doubling after 50 idle loops up to 10 ms)."""
    p = Policy()
    assert (p.runq_size, p.steal, p.global_check_interval, p.batch_max) == (256, "half", 61, 128)
    assert (p.runnext, p.runnext_inherit, p.lifo_limit, p.spin_factor, p.wakeup) == (
        True, True, 0, 2, "go")
    assert (p.time_slice, p.sysmon_min_delay, p.sysmon_max_delay, p.sysmon_idle_cycles) == (
        10 * MS, 20 * US, 10 * MS, 50)
    assert (p.time_slice, p.sysmon_min_delay, p.sysmon_max_delay, p.sysmon_idle_cycles,
            p.global_check_interval, p.runq_size) == (
        model.FORCE_PREEMPT_NS, model.SYSMON_MIN_DELAY, model.SYSMON_MAX_DELAY,
        model.SYSMON_IDLE_CYCLES, model.GLOBAL_CHECK_PERIOD, gmp.RUNQ_CAPACITY)
    # Policy() and no policy are the same run, bit for bit; res.policy records it.
    from gmpcore.scenarios import fanout
    a = gmp.simulate(fanout(300, "5us"), gomaxprocs=4, seed=3, engine=engine)
    b = gmp.simulate(fanout(300, "5us"), gomaxprocs=4, seed=3, engine=engine, policy=Policy())
    assert a == b and a.policy == Policy() and b.policy == Policy()
    c = gmp.simulate(fanout(30, "5us"), gomaxprocs=2, engine=engine, policy="go1.4")
    assert c.policy == Policy.go1_4()


# ------------------------------------------------------------ runq_size

def test_runq_size_4_spills_half_and_the_new_g(engine):
    """runqput on a full ring (size = runq_size) calls runqputslow (§2.2):
    the runq_size/2 oldest plus the G being put go to the global tail.

    GOMAXPROCS=1, runq_size=4, newproc 1 ns (creation k at k - 1 ns).
    Creation k puts wk in runnext and kicks w(k-1) to the ring (§2.1);
    after creation 5 the ring holds w1..w4: full.  Creation 6 (t = 5 ns)
    kicks w5 into the full ring: spill 4/2 = 2 (w1, w2) + w5 = 3.  In goids
    (wk is k + 1): global [2, 3, 6], ring [4, 5], runnext 7.  (Go's
    256-slot ring takes all six: ring [2..6], runnext 7, no spill.)"""
    wl = gmp.Workload()
    worker = wl.program(gmp.cpu(US))
    wl.main(gmp.go(worker, count=6))
    res = _run(engine, wl, Policy(runq_size=4), costs=zero_costs(newproc=1), snapshot_at=5)
    assert _rows(res, EV_SPILL, "time", "p", "arg") == [(5, 0, 3)]
    snap = res.snapshot
    assert snap.global_queue == [2, 3, 6]
    assert snap.ps[0]["runq"] == [4, 5] and snap.ps[0]["runnext"] == 7
    go = _run(engine, wl, None, costs=zero_costs(newproc=1), snapshot_at=5)
    assert _rows(go, EV_SPILL) == [] and go.snapshot.ps[0]["runq"] == [2, 3, 4, 5, 6]


@pytest.mark.parametrize("batch", [0, 1])
def test_small_ring_and_global_batch(engine, batch):
    """The order Gs run in after a spill, and globrunqget's batch cap.

    GOMAXPROCS=1, runq_size=4, all costs 0: main adds 6 to a WaitGroup and
    starts w1..w6 (1 µs of CPU each) at 0, leaving (as above) global
    [w1 w2 w5], ring [w3 w4], runnext w6; main waits.  P0's schedtick is
    0 (main inherited its slice from runnext), so findRunnable's 1-in-61
    check (0 % 61 == 0, §3.2 step 6) takes w1 from the global head (slice
    1, 0-1 µs); then runnext w6 (inherits, 1-2 µs); ring w3 (2-3), w4
    (3-4).  At 4 µs the ring is empty: the global batch (§2.9) is min(cap,
    2, 2/1 + 1): with Go's cap (global_batch=0: half the ring, 4/2 = 2) w2
    runs and w5 moves to the ring (monitor at 4 µs: global 0, local 1);
    with global_batch=1 only w2 (global 1, local 0).  w5 runs 5-6 µs, its
    Done readies main (runnext), which exits at 6 µs.
    """
    wl = gmp.Workload()
    wg = wl.waitgroup()
    worker = wl.program(gmp.cpu(US), gmp.done(wg))
    wl.main(gmp.add(wg, 6), gmp.go(worker, count=6), gmp.wait(wg))
    res = _run(engine, wl, Policy(runq_size=4, global_batch=batch), monitor=US)
    assert [g for (g,) in _rows(res, EV_RUN, "g")] == [0, 1, 6, 3, 4, 2, 5, 0]
    at4 = res.monitor[res.monitor["time"] == 4 * US][0]
    assert (int(at4["global_queue"]), int(at4["local_queues"][0])) == ((0, 1) if batch == 0
                                                                        else (1, 0))
    assert res.makespan_ns == 6 * US


# ------------------------------------------------------------ steal

@pytest.mark.parametrize("rule", ["one", "all"])
def test_steal_amount(engine, rule):
    """runqgrab takes steal_amount(n) of the victim's n ring Gs from its
    head; runqsteal runs the last one taken and keeps the rest (§2.7-2.8);
    runnext is taken on the last pass after a 3 µs back-off while the victim
    runs.  (Go's "half" is tests/test_known_answers.py's thief test.)

    GOMAXPROCS=2, thread_create 10 µs.  main: go w x8 (ring w1..w7,
    runnext w8; the first go wakes a spinning M2 for P1), then 50 µs CPU.

    "one": at 10 µs M2 takes w1 and runs it; at 11 µs w2, ... at 16 µs w7.
    At 17 µs only runnext w8: back off 3 µs, take it at 20 µs.
    "all": at 10 µs M2 takes w1..w7, runs w7, keeps w1..w6 (11..16 µs); at
    17 µs the back-off, w8 at 20 µs.
    """
    wl = gmp.Workload()
    wg = wl.waitgroup()
    worker = wl.program(gmp.cpu(US), gmp.done(wg))
    wl.main(gmp.add(wg, 8), gmp.go(worker, count=8), gmp.cpu(50 * US), gmp.wait(wg))
    res = _run(engine, wl, Policy(steal=rule), gomaxprocs=2,
               costs=zero_costs(thread_create=10 * US))
    on_p1 = [(t, g) for t, p, g in _rows(res, EV_RUN, "time", "p", "g") if p == 1]
    if rule == "one":
        assert _rows(res, EV_STEAL) == [((9 + k) * US, 2, 1, k, 0) for k in range(1, 8)] + [
            (20 * US, 2, 1, 8, 0)]
        assert on_p1 == [((9 + k) * US, k) for k in range(1, 8)] + [(20 * US, 8)]
    else:
        assert _rows(res, EV_STEAL) == [(10 * US, 2, 1, 7, 0), (20 * US, 2, 1, 8, 0)]
        assert on_p1 == [(10 * US, 7)] + [((10 + k) * US, k) for k in range(1, 7)] + [
            (20 * US, 8)]


# ------------------------------------------------------------ global check interval

@pytest.mark.parametrize("interval", [2, 0])
def test_global_check_interval(engine, interval):
    """findRunnable takes the global head first when ``schedtick % interval
    == 0`` (Go: 61; 0 never).

    GOMAXPROCS=1.  main starts y then w1..w10 (1 µs each): ring [y w1..w9],
    runnext w10; main waits.  w10 runs from runnext (inherits: schedtick
    0); at 1 µs y runs (slice 1) and Goscheds to the global queue.
    interval 2: schedtick 1 -> w1 (slice 2, 1-2 µs); at 2 µs 2 % 2 == 0:
    y from the global queue (slice 3, 2-3 µs); then w2..w9 at 3..10 µs.
    interval 0: y waits until the ring is empty: w1..w9 at 1..10 µs, then
    y (the global batch) at 10 µs.  The last Done readies main (runnext).
    """
    wl = gmp.Workload()
    wg = wl.waitgroup()
    y = wl.program(gmp.gosched(), gmp.cpu(US), gmp.done(wg))
    worker = wl.program(gmp.cpu(US), gmp.done(wg))
    wl.main(gmp.add(wg, 11), gmp.go(y), gmp.go(worker, count=10), gmp.wait(wg))
    res = _run(engine, wl, Policy(global_check_interval=interval))
    runs = _rows(res, EV_RUN, "g", "time")
    w = list(range(1, 12))                    # w[k] is worker k's G index (main 0, y 1)
    if interval == 2:
        assert [g for g, _ in runs] == [0, w[10], 1, w[1], 1] + w[2:10] + [0]
        assert runs[4] == (1, 2 * US)
    else:
        assert [g for g, _ in runs] == [0, w[10], 1] + w[1:10] + [1, 0]
        assert runs[-2] == (1, 10 * US)
    assert res.makespan_ns == 11 * US


# ------------------------------------------------------------ runnext

def test_runnext_off_readies_to_the_tail(engine):
    """runnext=False (Go before 1.5, the go1.4 preset): runqput never uses
    runnext (§2.1), so Gs run in creation order.

    GOMAXPROCS=1: main starts w1 w2 w3 and waits.  Go's: runnext w3 runs
    first (inheriting main's slice), then w1, w2; the last Done readies
    main into runnext.  Without runnext: main itself starts from the ring
    (a new slice, arg 0), then w1, w2, w3, main, every run a new slice."""
    wl = gmp.Workload()
    wg = wl.waitgroup()
    worker = wl.program(gmp.cpu(US), gmp.done(wg))
    wl.main(gmp.add(wg, 3), gmp.go(worker, count=3), gmp.wait(wg))
    go = _run(engine, wl, None)
    assert _rows(go, EV_RUN, "g", "arg") == [(0, 1), (3, 1), (1, 0), (2, 0), (0, 1)]
    old = _run(engine, wl, Policy(runnext=False))
    assert _rows(old, EV_RUN, "g", "arg") == [(0, 0), (1, 0), (2, 0), (3, 0), (0, 0)]
    assert int(old.procs["schedticks"][0]) == 5


def _pingpong(rounds):
    wl = gmp.Workload()
    c, d = wl.chan(), wl.chan()
    pong = wl.program(gmp.repeat(rounds, gmp.recv(c), gmp.cpu(100 * US), gmp.send(d)))
    wl.main(gmp.gosched(), gmp.go(pong), gmp.repeat(rounds, gmp.send(c), gmp.recv(d)))
    return wl


def test_time_slice_2ms_preempts_the_runnext_pair(engine):
    """time_slice (forcePreemptNS): sysmon's retake preempts a P whose
    schedtick has not changed for a slice (§4.6).

    GOMAXPROCS=1: main Goscheds (61-check: schedtick 1), starts pong, then
    30 x (send c; recv d); pong 30 x (recv c; 100 µs CPU; send d).  Each
    hand-off readies the partner into runnext, so the pair shares slice 1
    (test_known_answers.py's runnext pair, 30 rounds: 3 ms).  sysmon's loop
    1 (20 µs) records schedtick 1.  Go's 10 ms slice never expires.  With
    2 ms: the first loop at or after 2.02 ms is 2260 µs: pong, in burst 23
    ([2200, 2300) µs), is preempted (async, arg 1) and goes to the global
    queue with 40 µs left; main (readied at 2.2 ms) runs from runnext and
    blocks on d; pong returns from the global queue: slice 2.  Bursts stay
    aligned, so main's last recv ends at 3 ms.  The next loop (3540 µs) is
    after the end.
    """
    wl = _pingpong(30)
    go = _run(engine, wl, None)
    assert _rows(go, EV_PREEMPT) == [] and go.makespan_ns == 3 * MS
    res = _run(engine, wl, Policy(time_slice="2ms"))
    assert _rows(res, EV_PREEMPT) == [(2260 * US, 0, 0, 1, 1)]
    stops = [(t, g) for t, g, arg in _rows(res, EV_STOP, "time", "g", "arg")
             if arg == STOP_PREEMPT]
    assert stops == [(2260 * US, 1)]
    new_slices = [(t, g) for t, g, arg in _rows(res, EV_RUN, "time", "g", "arg") if arg == 0]
    assert new_slices == [(0, 0), (2260 * US, 1)]
    assert int(res.procs["schedticks"][0]) == 2
    assert res.makespan_ns == 3 * MS


def test_no_inherited_slice_never_preempts_the_pair(engine):
    """runnext_inherit=False: a G from runnext starts a new slice
    (schedtick + 1), so the pair's schedtick changes at every hand-off and
    sysmon never sees a slice 2 ms old.

    Same ping-pong with time_slice 2 ms.  main's first run (from runnext)
    is slice 1; its Gosched: the 61-check fails (1 % 61), the ring is
    empty, main comes back from the global queue: slice 2.  Then 30 rounds
    of pong and main runs, 60 slices: 62 in all, every run logged as a new
    slice (arg 0), no preemption, the end at 3 ms."""
    res = _run(engine, _pingpong(30), Policy(time_slice="2ms", runnext_inherit=False))
    assert _rows(res, EV_PREEMPT) == []
    runs = _rows(res, EV_RUN, "g", "arg")
    assert len(runs) == 62 and all(arg == 0 for _, arg in runs)
    assert int(res.procs["schedticks"][0]) == 62
    assert res.makespan_ns == 3 * MS


def test_lifo_limit_1_lets_a_waiting_g_in(engine):
    """lifo_limit=1 (Tokio's LIFO-slot cap): once a G that came from runnext
    runs, Gs it readies go to the tail, until a G runs with a new slice.

    GOMAXPROCS=1.  main Goscheds (back at once from the global queue:
    slice 1), starts z (1 µs of CPU) then pong (ring [z], runnext pong),
    and plays 3 rounds of (send c; recv d); pong 3 x (recv c; 100 µs; send
    d).  At 0 main blocks on c; pong runs from runnext (streak 1) and takes
    c from main, readying it.

    Go's: main goes to runnext; pong computes 0-100 µs and blocks on d;
    main (runnext) takes d, readies pong, blocks on c ... the pair never
    lets z in: main's third recv completes at 300 µs and main exits.

    lifo_limit=1: main goes to the tail (ring [z main]); at 100 µs z runs
    (slice 2, 100-101 µs), then main (slice 3) takes d, readying pong into
    runnext (the new slice ended the streak), and blocks on c; pong runs
    from runnext (streak 1): main again to the tail.  So main runs with new
    slices at 101 and 201 µs, pong from runnext at 101 and 201 µs, and main
    exits at 301 µs.  G indices: main 0, z 1, pong 2.
    """
    wl = gmp.Workload()
    c, d = wl.chan(), wl.chan()
    z = wl.program(gmp.cpu(US))
    pong = wl.program(gmp.repeat(3, gmp.recv(c), gmp.cpu(100 * US), gmp.send(d)))
    wl.main(gmp.gosched(), gmp.go(z), gmp.go(pong), gmp.repeat(3, gmp.send(c), gmp.recv(d)))
    go = _run(engine, wl, None)
    assert [t for g, t in _rows(go, EV_RUN, "g", "time") if g == 1] == []
    assert go.makespan_ns == 300 * US
    res = _run(engine, wl, Policy(lifo_limit=1))
    assert _rows(res, EV_RUN, "g", "time", "arg") == [
        (0, 0, 1), (0, 0, 0), (2, 0, 1), (1, 100 * US, 0), (0, 101 * US, 0), (2, 101 * US, 1),
        (0, 201 * US, 0), (2, 201 * US, 1), (0, 301 * US, 0)]
    assert res.makespan_ns == 301 * US


# ------------------------------------------------------------ spinning and wake-ups

@pytest.mark.parametrize("factor", [2, 1, 0])
def test_spin_factor(engine, factor):
    """findRunnable step 11 (§3.2): an M that is not spinning may start
    only if ``factor * nmspinning < GOMAXPROCS - npidle`` (Go: factor 2).

    GOMAXPROCS=2, thread_create 10 µs.  main: go w (1 µs of CPU), sleep
    100 µs.  The go's wakep (§3.5) makes nmspinning 1 and hands P1 to a new
    M2, still starting until 10 µs (npidle 0).  main sleeps at 0; m0 runs w
    from runnext, 0-1 µs.  At 1 µs m0 finds nothing and reaches step 11
    with nmspinning 1, npidle 0: Go's 2*1 < 2 fails and m0 gives up its P
    without spinning; factor 1 (1 < 2) and 0 (0 < 2) let it spin (EV_SPIN
    m0 P0 arg 1 at 1 µs), and it stops spinning when the search finds
    nothing (arg 0, same instant)."""
    wl = gmp.Workload()
    w = wl.program(gmp.cpu(US))
    wl.main(gmp.go(w), gmp.sleep(100 * US))
    res = _run(engine, wl, Policy(spin_factor=factor), gomaxprocs=2,
               costs=zero_costs(thread_create=10 * US))
    at1 = [(m, p, a) for t, m, p, a in _rows(res, EV_SPIN, "time", "m", "p", "arg") if t == US]
    assert at1 == ([] if factor == 2 else [(0, 0, 1), (0, 0, 0)])


def test_eager_wakeup_starts_a_spinner_per_idle_p(engine):
    """wakeup: Go's wakep starts a spinning M only when none spins (§3.5);
    "eager" whenever a P is idle.

    GOMAXPROCS=3, thread_create 10 µs: main starts w1 then w2 (50 µs of CPU
    each) at 0, then computes 100 µs.  At the start sysmon's M1 is created
    (no P); the idle Ps are popped P1 first.  Go: the first go's wakep
    takes P1 for a new spinning M2 (nmspinning 1); the second go's wakep
    returns at once.  Eager: the second takes P2 for a new M3 as well.
    Threads created at t = 0, as (m, p): Go [(1, -1), (2, 1)], eager also
    (3, 2)."""
    wl = gmp.Workload()
    w = wl.program(gmp.cpu(50 * US))
    wl.main(gmp.go(w, count=2), gmp.cpu(100 * US))
    for wakeup, created in (("go", [(1, -1), (2, 1)]), ("eager", [(1, -1), (2, 1), (3, 2)])):
        res = _run(engine, wl, Policy(wakeup=wakeup), gomaxprocs=3,
                   costs=zero_costs(thread_create=10 * US))
        at0 = [(m, p) for t, m, p in _rows(res, EV_THREAD_CREATE, "time", "m", "p") if t == 0]
        assert at0 == created, wakeup


# ------------------------------------------------------------ sysmon

def test_sysmon_min_delay(engine):
    """sysmon_min_delay: sysmon's loops come every min delay while it has
    work.  test_known_answers.py's retake-with-work-waiting case with a
    50 µs minimum: main does a 1 µs syscall, starts a worker (1 µs of CPU,
    in runnext) and makes a 200 µs syscall from 1 µs.  GOMAXPROCS=1: no
    idle P, and a G waits.  Loop 1 at 50 µs records the syscall, loop 2 at
    100 µs retakes P0 and hands it to M2, which runs the worker from
    runnext (inherit), 100-101 µs; P0 is then idle.  The syscall returns
    at 201 µs and takes idle P0 (arg 1).  (Go's 20 µs: handoff at 40 µs.)"""
    wl = gmp.Workload()
    worker = wl.program(gmp.cpu(US))
    wl.main(gmp.syscall(US), gmp.go(worker), gmp.syscall(200 * US))
    res = _run(engine, wl, Policy(sysmon_min_delay="50us"))
    assert _rows(res, EV_HANDOFF, "time", "p") == [(100 * US, 0)]
    assert _rows(res, EV_RUN, "time", "m", "g", "arg") == [(0, 0, 0, 1), (100 * US, 2, 1, 1)]
    assert _rows(res, EV_SYSCALL_EXIT, "time", "arg") == [(1 * US, 0), (201 * US, 1)]
    assert _rows(_run(engine, wl, None), EV_HANDOFF, "time", "p") == [(40 * US, 0)]


def test_sysmon_back_off_and_max_delay(engine):
    """sysmon_idle_cycles=0 and sysmon_max_delay=1 ms: the sleep doubles
    after every idle loop and stops at 1 ms.  Loops: 20, 60, 140, 300, 620,
    1260, then every 1 ms: 2260, 3260, ...

    test_known_answers.py's 10 ms retake: main does a 1 µs syscall, 3 ms of
    CPU, then a 30 ms syscall from 3.001 ms (GOMAXPROCS=2, P1 idle, so
    retake waits 10 ms from the loop that first sees the syscall).  The
    first loop to see it is 3260 µs; loops skip while 3260 + 10000 > now;
    the loop at 13260 µs retakes (Go's loops: handoff at 21220 µs).  The
    syscall returns at 33.001 ms and takes an idle P (arg 1)."""
    wl = gmp.Workload()
    wl.main(gmp.syscall(US), gmp.cpu(3 * MS), gmp.syscall(30 * MS))
    res = _run(engine, wl, Policy(sysmon_idle_cycles=0, sysmon_max_delay="1ms"), gomaxprocs=2)
    assert _rows(res, EV_HANDOFF, "time", "p") == [(13_260 * US, 0)]
    assert _rows(res, EV_SYSCALL_EXIT, "time", "arg") == [(1 * US, 0), (33_001 * US, 1)]


# ------------------------------------------------------------ presets

def test_go1_13_cannot_preempt_a_loop_without_calls(engine):
    """Before Go 1.14 (the go1.13 preset) preemption is cooperative: a G in a
    CPU burst without calls (cpu(..., preemptible=False)) runs to its end.

    GOMAXPROCS=1.  main Goscheds (the 61-check at schedtick 0 brings it back:
    slice 1), starts spin (30 ms of CPU, no calls) into runnext and sleeps
    1 µs; spin runs from 0, inheriting slice 1, which sysmon's loop 1
    (20 µs) records.  main's timer is due at 1 µs but the only P is busy.
    Go 1.25: the first loop at or after 10.02 ms is 11220 µs: spin is
    preempted by signal (arg 1) and goes to the global queue; M0's
    findRunnable runs the expired timer (main into runnext); 1 % 61 != 0,
    so main runs from runnext and exits at 11.22 ms.  go1.13: preemptone
    only asks (arg 0) at 11220 and again at 21220 µs (schedtick unchanged
    since 20 µs); spin runs to 30 ms, then main runs and exits at 30 ms."""
    wl = gmp.Workload()
    spin = wl.program(gmp.cpu(30 * MS, preemptible=False))
    wl.main(gmp.gosched(), gmp.go(spin), gmp.sleep(US))
    go = _run(engine, wl, None)
    assert _rows(go, EV_PREEMPT, "time", "g", "arg") == [(11_220 * US, 1, 1)]
    assert go.makespan_ns == 11_220 * US
    old = _run(engine, wl, "go1.13")
    assert _rows(old, EV_PREEMPT, "time", "g", "arg") == [(11_220 * US, 1, 0),
                                                          (21_220 * US, 1, 0)]
    assert old.makespan_ns == 30 * MS
