"""Known-answer tests: small runs whose exact outcome is derived by hand.

Each test is a scenario small enough to follow on paper.  Its expected
values come from Go's rules (go-scheduler.md, cited as §N; timers and
channels from go-runtime-wave2.md, cited as "wave2 §N") and from the cost
model of docs/simulator-design.md §5 — never from running an engine.  The
comment above each expectation is the derivation.  Both engines must match
(the differential tests cannot catch a misreading of Go that both engines
share; these can).

Conventions used by every derivation:

* Costs are all 0 unless a test says otherwise (``costs=_costs(...)``), so
  every runtime step takes no virtual time and the only clocks are CPU
  bursts, sleeps, syscalls, network waits and sysmon.  With ``sysmon_tick``
  0 the runtime's ``usleep(d)`` lasts exactly d.
* G indices: main is 0, then Gs in creation order.  With one P creating
  every G, goids are index + 1 (main is goid 1; P0 takes goids in batches
  of 16, §5.1 step 4).  Ms: m0 runs main, M1 is sysmon, new Ms count up.
* main starts in P0's ``runnext`` and so runs with ``inheritTime`` (§3.4):
  P0's ``schedtick`` is still 0 until some G starts a new slice.  Because
  ``0 % 61 == 0``, the first findRunnable after a ``Gosched`` at schedtick
  0 takes the G back from the global queue (§3.2 step 6).
* sysmon (§4.5): sleeps 20 µs while ``idle`` <= 50, then doubles, capped at
  10 ms; ``idle`` counts loops whose ``retake`` took no P from a syscall.
  From t = 0 its loops run at 20, 40, ..., 1020 µs (loops 1-51), then
  1060, 1140, 1300, 1620, 2260, 3540, 6100, 11220 µs (loops 52-59), then
  every 10 ms: 21220, 31220 µs ...

Mutants, each applied identically to both engines (``_engine.pyx`` and
``reference/engine.py``) in a scratch worktree, then ``pytest tests/``
(whole suite for (a)-(e); this module re-run once the last test was added).
Only tests of this module failed, apart from three failing on the unmutated
tree too, and for (e) the differential tests:

=================================================  =========================================
mutant                                             failing tests (both engines unless noted)
=================================================  =========================================
(a) findRunnable's late global grab takes 1 G       test_global_queue_batch_sizes_of_a_spilled_fanout
(b) syscall retake after 20 µs, not 10 ms           test_retake_waits_10ms_when_nothing_else_needs_the_p
(c) a sleep's timer fires 1 ns late (when + 1)      test_sleep_fires_at_now_plus_d_on_the_checking_p,
                                                   test_idle_sleep_wakes_through_netpoll_exactly
(d) channel wait queues served newest-first         test_channel_wait_queues_are_fifo (all 3 cases)
(e) compiled only: netpoll batch 128 -> 64          test_one_netpoll_returns_at_most_128_gs[compiled]
                                                   (also 8 differential tests)
=================================================  =========================================
"""

import pytest
from zero_costs import zero_costs

import gmpcore as gmp
from gmpcore.events import (
    EV_HANDOFF, EV_NETPOLL, EV_PREEMPT, EV_READY, EV_RUN, EV_SPILL, EV_STEAL, EV_STOP,
    EV_SYSCALL_EXIT, EV_TIMER, EV_WAIT, STOP_PREEMPT, WAIT_CHAN_RECEIVE, WAIT_CHAN_SEND,
)

US, MS = 1_000, 1_000_000

pytestmark = [pytest.mark.parametrize("engine", ["compiled", "reference"]),
              pytest.mark.empty_runtime]   # hand-derived: main starts alone (conftest)


_costs = zero_costs                  # every runtime cost zero but those named


def _run(engine, wl, gomaxprocs=1, costs=None, **kw):
    # Go's algorithms on the ideal machine, a CPU for every thread, as the
    # answers below are derived; the CPU layer has its own known answers
    # (tests/test_machine_known.py).
    kw.setdefault("cpus", None)
    kw.setdefault("noise", False)       # and every cost exactly its value
    return gmp.simulate(wl, gomaxprocs=gomaxprocs, seed=1, engine=engine,
                        costs=_costs() if costs is None else costs,
                        record_events=True, **kw)


def _rows(res, kind, *fields):
    """The log rows of one kind, as tuples of `fields` (all but kind by default)."""
    fields = fields or ("time", "m", "p", "g", "arg")
    ev = res.events[res.events["kind"] == kind]
    return [tuple(int(v) for v in row) for row in zip(*(ev[f] for f in fields))]


# ----------------------------------------------------------------- (1) channel wait queues

@pytest.mark.parametrize("case", ["recvq", "sendq", "sendq-buffered"])
def test_channel_wait_queues_are_fifo(engine, case):
    """Blocked receivers (senders) are served oldest first.

    chan.go: ``waitq.enqueue`` appends at ``q.last``, ``waitq.dequeue``
    pops ``q.first``; ``chansend`` serves ``c.recvq.dequeue()``, ``chanrecv``
    serves ``c.sendq.dequeue()`` and each wakes its partner with
    ``goready`` (wave2 §2.3; a full buffered channel's receiver takes the
    buffer head and the first waiting sender refills it).

    GOMAXPROCS=1.  main: Gosched (schedtick 0 -> the 61-check hands main
    back, schedtick 1), then ``go`` x3: G1 takes runnext, G2 kicks G1 to
    the ring, G3 kicks G2 (§5.1: ring [G1 G2], runnext G3).  main's second
    Gosched puts it on the global queue; findRunnable runs G3 (runnext),
    then G1, G2 (ring, §3.2 step 8), then main (global, step 9).  So the
    waiters park in the order G3, G1, G2 and main's three operations must
    ready them in that same order.  With a buffer of 1, G3's send fills the
    buffer and does not block, so only G1, G2 wait, and main's first two
    receives ready G1 then G2 (the third takes the buffered value).
    """
    wl = gmp.Workload()
    ch = wl.chan(cap=1 if case == "sendq-buffered" else 0)
    wg = wl.waitgroup()
    mine, theirs = (gmp.recv, gmp.send) if case == "recvq" else (gmp.send, gmp.recv)
    waiter = wl.program(mine(ch), gmp.done(wg))
    wl.main(gmp.gosched(), gmp.add(wg, 3), gmp.go(waiter, count=3), gmp.gosched(),
            theirs(ch), theirs(ch), theirs(ch), gmp.wait(wg))
    res = _run(engine, wl)

    reason = WAIT_CHAN_RECEIVE if case == "recvq" else WAIT_CHAN_SEND
    parked = [g for g, arg in _rows(res, EV_WAIT, "g", "arg") if arg == reason]
    readied = [g for g, p, arg in _rows(res, EV_READY, "g", "p", "arg") if g != 0]
    expected = [1, 2] if case == "sendq-buffered" else [3, 1, 2]
    assert parked == expected
    assert readied == expected          # FIFO: the oldest waiter first


# ----------------------------------------------------------------- (2) a sleep's wake-up

def test_sleep_fires_at_now_plus_d_on_the_checking_p(engine):
    """``time.Sleep(d)``: when = nanotime() + d (time.go ``timeSleep``); the
    timer runs at the first ``timers.check`` with when <= now (``timers.run``
    returns ``when`` while ``when > now``), at the top of the checking M's
    findRunnable (§3.2 step 3, wave2 §4.6), and ``goroutineReady`` ->
    ``goready`` puts the G in that P's runnext (§3.10), so it runs next,
    inheriting the slice (§3.4).

    GOMAXPROCS=1, costs (§5 of the design): schedule 29, gosched 50,
    newproc 75, timer_add 90, park 22, timer_fire 98, ready 44.

    * t=0: findRunnable takes main from runnext; execute after schedule: 29.
    * 29: ``go spinner`` (runnext), main resumes at 29 + 75 = 104.
    * 104: sleep(3349): when = 104 + 3349 = 3453.  main parks; its M pays
      timer_add + park: next findRunnable at 104 + 90 + 22 = 216.
    * 216: spinner from runnext (inherit), runs at 245; 1 µs of CPU -> 1245;
      Gosched -> global queue, M pays 50 -> 1295.
    * 1295: schedtick 0 and the global queue is non-empty: the 61-check
      takes spinner (schedtick 1), runs at 1324 -> 2324, Gosched -> 2374.
    * 2374: timer not due (3453); spinner from global (schedtick 2), runs
      at 2403 -> 3403, Gosched -> 3453.
    * 3453: findRunnable's timer check: when 3453 <= now 3453: the timer
      fires here, on M0/P0 (EV_TIMER), readying main into P0's runnext.
      The M owes timer_fire + ready = 142 and pays schedule 29: main runs
      at 3453 + 29 + 142 = 3624, inheriting the slice (arg 1).

    A timer one ns late (when 3454) would miss this check and fire only at
    the next one, a full µs of spinner later.
    """
    wl = gmp.Workload()
    spinner = wl.program(gmp.repeat(10, gmp.cpu(US), gmp.gosched()))
    wl.main(gmp.go(spinner), gmp.sleep(3349))
    costs = _costs(schedule=29, gosched=50, newproc=75, timer_add=90, park=22,
                   timer_fire=98, ready=44)
    res = _run(engine, wl, costs=costs)

    assert _rows(res, EV_TIMER) == [(3453, -1, 0, 0, -1)]
    assert (3453, -1, 0, 0, -1) in _rows(res, EV_READY)
    assert _rows(res, EV_RUN) == [
        (29, 0, 0, 0, 1),         # main, from runnext at start
        (245, 0, 0, 1, 1),        # spinner from runnext: inherits the slice
        (1324, 0, 0, 1, 0),       # 61-check (schedtick 0)
        (2403, 0, 0, 1, 0),       # global queue
        (3624, 0, 0, 0, 1),       # main, woken by its timer into runnext; it exits
    ]
    assert res.makespan_ns == 3624


def test_idle_sleep_wakes_through_netpoll_exactly(engine):
    """An idle program's sleep: the M that finds nothing blocks in netpoll
    with ``delay = pollUntil - now`` (§3.2 step 16); netpoll_epoll.go turns
    a delay >= 1 ms into ``delay / 1e6`` whole ms, so a 2 ms sleep's poll
    times out exactly at when = 0 + 2 ms; the M then takes an idle P (P0),
    goes back to the top of findRunnable, runs the expired timer (step 3)
    and runs main from runnext (inherit, arg 1), all at 2 ms.  A timer one
    ns late would need a second poll: its 1 ns delay waits 1 ms (3 ms)."""
    wl = gmp.Workload()
    wl.main(gmp.sleep(2 * MS))
    res = _run(engine, wl)
    assert _rows(res, EV_TIMER) == [(2 * MS, -1, 0, 0, -1)]
    assert _rows(res, EV_NETPOLL) == [(2 * MS, 0, -1, -1, 0)]
    assert _rows(res, EV_RUN) == [(0, 0, 0, 0, 1), (2 * MS, 0, 0, 0, 1)]
    assert res.makespan_ns == 2 * MS


def test_another_ps_timer_runs_on_the_thief(engine):
    """stealWork's last pass runs the expired timers of other Ps on the
    thief (§3.3; wave2 §4.6); the timer's ``goready`` puts the G in the
    *thief's* runnext, and stealWork returns it at once via ``runqget``
    (inheritTime true, §2.4) — not a steal.

    GOMAXPROCS=2.  main: ``go sl`` (P0's runnext; wakep starts a spinning
    M2 for P1), then 1 ms of CPU, then waits on a channel.  M2 backs off
    3 µs (§2.7) and steals sl from P0's runnext; sl runs on P1 at 3 µs and
    sleeps 100 µs: a timer on P1, when = 103 µs.  M2 finds nothing, drops
    P1 (idle, but it keeps its timer, so its timerpMask bit stays set) and
    blocks in netpoll for 100 µs, which epoll rounds up to 1 ms (§3.2 step
    16): it would wake at 1.003 ms.  At 1 ms main blocks; M0, spinning,
    reaches stealWork's last pass first and runs P1's timer itself: sl
    runs on M0/P0 at 1 ms from runnext (arg 1), sends to main, exits, and
    main exits at 1 ms.
    """
    wl = gmp.Workload()
    ch = wl.chan()
    sl = wl.program(gmp.sleep(100 * US), gmp.send(ch))
    wl.main(gmp.go(sl), gmp.cpu(MS), gmp.recv(ch))
    res = _run(engine, wl, gomaxprocs=2)
    assert _rows(res, EV_STEAL) == [(3 * US, 2, 1, 1, 0)]
    assert _rows(res, EV_TIMER) == [(MS, -1, 1, 1, -1)]           # P1's timer ...
    assert (MS, -1, 0, 1, -1) in _rows(res, EV_READY)             # ... readies sl on P0
    assert [r for r in _rows(res, EV_RUN) if r[3] == 1] == [(3 * US, 2, 1, 1, 0), (MS, 0, 0, 1, 1)]
    assert res.makespan_ns == MS


# ----------------------------------------------------------------- (3) global batch sizes

def test_global_queue_batch_sizes_of_a_spilled_fanout(engine):
    """findRunnable's late global grab (§3.2 step 9) takes
    ``globrunqgetbatch(128)``: b = min(128, size, size/gomaxprocs + 1)
    (§2.9), runs one and moves b - 1 to the local ring; every 61st
    schedtick one G comes from the global head instead (step 6).

    GOMAXPROCS=2.  main: ``go hog``; a spinning M2 starts on P1 (wakep,
    §3.5), backs off 3 µs before stealing P0's runnext (§2.7) and runs the
    hog (5 ms of CPU) on P1 from 3 µs on, so P1 takes no part.  main
    computes until 10 µs, then starts 300 workers (1 µs each) at 10 µs:
    creation 258 kicks w257 from runnext into a full ring, spilling
    w1..w128 + w257 (129, §2.2) to the global queue.  Left: runnext w300,
    ring w129..w256, w258..w299 (170), global 129.  main waits.

    From 10 µs, P0 picks one G per µs (pick j at 10 + j - 1 µs).  Pick 1
    is the 61-check at schedtick 0 (w1); pick 2 is runnext (inherit,
    schedtick stays 1); pick j >= 3 starts slice j - 1, so the 61-check
    comes at picks 63, 124, 185, 246 (schedtick 61k).  The ring runs dry at
    pick 175, then the late grabs and 61-checks alternate:

    ====  =====  ===========  ======================  ==========  =========
    pick  t µs   how          batch                   global      ring
    ====  =====  ===========  ======================  ==========  =========
       1     10  61-check     1                       129 -> 128  170
      63     72  61-check     1                       127         110
     124    133  61-check     1                       126          50
     175    184  late grab    min(128,126,63+1) = 64   62          63
     185    194  61-check     1                        61          54
     240    249  late grab    min(128,61,30+1) = 31    30          30
     246    255  61-check     1                        29          25
     272    281  late grab    min(128,29,14+1) = 15    14          14
     287    296  late grab    min(128,14,7+1) = 8       6           7
     295    304  late grab    min(128,6,3+1) = 4        2           3
     299    308  late grab    min(128,2,1+1) = 2        0           1
    ====  =====  ===========  ======================  ==========  =========

    The monitor (every µs, the state after each pick) shows exactly these
    steps of the global queue, with P0's ring length beside them.
    """
    wl = gmp.Workload()
    wg = wl.waitgroup()
    hog = wl.program(gmp.cpu(5 * MS))
    worker = wl.program(gmp.cpu(US), gmp.done(wg))
    wl.main(gmp.add(wg, 300), gmp.go(hog), gmp.cpu(10 * US), gmp.go(worker, count=300),
            gmp.wait(wg))
    res = _run(engine, wl, gomaxprocs=2, monitor=US)

    assert _rows(res, EV_STEAL, "time", "m", "p", "g", "arg") == [(3 * US, 2, 1, 1, 0)]
    assert _rows(res, EV_SPILL, "time", "p", "arg") == [(10 * US, 0, 129)]
    mon = res.monitor
    steps = [(int(mon["time"][i]), int(mon["global_queue"][i]), int(mon["local_queues"][i][0]))
             for i in range(1, len(mon)) if mon["global_queue"][i] != mon["global_queue"][i - 1]]
    assert steps == [
        (10 * US, 128, 170), (72 * US, 127, 110), (133 * US, 126, 50),
        (184 * US, 62, 63), (194 * US, 61, 54), (249 * US, 30, 30), (255 * US, 29, 25),
        (281 * US, 14, 14), (296 * US, 6, 7), (304 * US, 2, 3), (308 * US, 0, 1),
    ]
    assert res.makespan_ns == 310 * US


# ----------------------------------------------------------------- (4) sysmon's retake

def test_retake_waits_10ms_when_nothing_else_needs_the_p(engine):
    """``retake`` (§4.6, proc.go): a P in ``_Psyscall`` is skipped while
    ``runqempty(pp) && nmspinning + npidle > 0 && syscallwhen + 10ms > now``;
    ``syscallwhen`` is when sysmon first saw this syscall (its
    ``syscalltick`` differed from ``sysmontick.syscalltick``).

    GOMAXPROCS=2 (P1 stays idle: nothing calls wakep).  main: a 1 µs
    syscall (exitsyscall's fast path bumps P0's syscalltick to 1), 3 ms of
    CPU, then a 30 ms syscall from 3.001 ms.  sysmon's loops (module
    docstring): the first to see the syscall is loop 57 at 3.54 ms (tick 1
    != 0: record, skip); loop 58 (6.1 ms) and loop 59 (11.22 ms) skip, as
    13.54 ms > now.  (At loop 59 P0's schedtick, still 0, has been unchanged
    for 10 ms: preemptone does nothing without an M and only sets
    sysretake, which bypasses the tick check, not the 10 ms one.)  Loop 60
    at 21.22 ms retakes: handoffp(P0) (§3.6).  The syscall returns at
    33.001 ms, finds P0 retaken and takes an idle P (fast path, arg 1).
    """
    wl = gmp.Workload()
    wl.main(gmp.syscall(US), gmp.cpu(3 * MS), gmp.syscall(30 * MS))
    res = _run(engine, wl, gomaxprocs=2)
    assert _rows(res, EV_HANDOFF, "time", "p") == [(21_220 * US, 0)]
    assert _rows(res, EV_SYSCALL_EXIT, "time", "m", "p", "g", "arg") == [
        (1 * US, 0, 0, 0, 0), (33_001 * US, 0, 0, 0, 1)]


@pytest.mark.parametrize("other_work", [True, False])
def test_retake_after_one_sysmon_tick_when_work_waits(engine, other_work):
    """The same rule with something waiting for the P: retake as soon as
    sysmon sees the same syscall on two consecutive loops (§4.6: "at least
    one sysmon tick").

    GOMAXPROCS=1, so ``nmspinning + npidle == 0`` (no idle P) — and with
    ``other_work`` a G also waits in P0's runnext (runq not empty).  main:
    a 1 µs syscall (syscalltick -> 1), optionally ``go worker``, then a
    100 µs syscall from 1 µs.  Loop 1 (20 µs) records the syscall; loop 2
    (40 µs) retakes: handoffp(P0) starts M2 (§3.6 rules 1 / 4), which runs
    the worker from runnext at once (inherit).  The syscall returns at
    101 µs and takes idle P0 (arg 1).
    """
    wl = gmp.Workload()
    worker = wl.program(gmp.cpu(US))
    ops = [gmp.go(worker)] if other_work else []
    wl.main(gmp.syscall(US), *ops, gmp.syscall(100 * US))
    res = _run(engine, wl)
    assert _rows(res, EV_HANDOFF, "time", "p") == [(40 * US, 0)]
    if other_work:
        assert _rows(res, EV_RUN, "time", "m", "g", "arg") == [(0, 0, 0, 1), (40 * US, 2, 1, 1)]
    assert _rows(res, EV_SYSCALL_EXIT, "time", "arg") == [(1 * US, 0), (101 * US, 1)]


# ----------------------------------------------------------------- (5) the 1-in-61 check

def test_every_61st_slice_takes_the_global_head(engine):
    """findRunnable step 6 (§3.2): if ``pp.schedtick % 61 == 0`` and the
    global queue is non-empty, take one G from its head before the local
    queue.

    GOMAXPROCS=1.  main starts ``y`` then 100 workers (1 µs each): ring
    [y w1..w99], runnext w100; main waits.  w100 runs from runnext
    (inherit: schedtick stays 0; the check finds the global queue empty);
    y runs (schedtick 1) and Goschedes to the global queue at 1 µs; wk runs
    at k µs starting slice k + 1.  After w60 the schedtick is 61: y comes
    back from the global queue at 61 µs, ahead of w61..w99 on the ring;
    without the check it would wait until the ring were empty (100 µs).
    P0's slices: y twice + w1..w99 = 101; w100 and main (runnext) inherit.
    """
    wl = gmp.Workload()
    wg = wl.waitgroup()
    y = wl.program(gmp.gosched(), gmp.cpu(US), gmp.done(wg))
    worker = wl.program(gmp.cpu(US), gmp.done(wg))
    wl.main(gmp.add(wg, 101), gmp.go(y), gmp.go(worker, count=100), gmp.wait(wg))
    res = _run(engine, wl)
    runs = _rows(res, EV_RUN, "g", "time", "arg")
    w = list(range(1, 102))                   # w[k] is worker k's G index (main 0, y 1)
    assert [g for g, _, _ in runs] == [0, w[100], 1] + w[1:61] + [1] + w[61:100] + [0]
    assert runs[63] == (1, 61 * US, 0)
    assert [arg for _, _, arg in runs] == [1, 1] + [0] * 101 + [1]
    assert int(res.procs["schedticks"][0]) == 101


# ----------------------------------------------------------------- (6) runnext inheritance

def test_runnext_pair_shares_one_slice_until_sysmon_preempts(engine):
    """A G readied into runnext runs with ``inheritTime`` (runqget returns
    true for runnext, §2.4; execute does not bump schedtick, §3.4), so a
    ping-pong pair shares one slice, and sysmon's ``retake`` preempts it
    once that slice is 10 ms old (§4.6 step 1, §3.4: TestPingPongHog).

    GOMAXPROCS=1.  main Goscheds (61-check: schedtick 1), starts pong, then
    120 x (send c; recv d); pong: 120 x (recv c; 100 µs CPU; send d).  Each
    hand-off readies the partner into runnext (goready, §5.3), so every run
    after main's first two inherits (arg 1) and schedtick stays 1; pong's
    k-th burst is [(k-1)·100, k·100) µs.  sysmon's loop 1 (20 µs) records
    schedtick 1; the first loop at or after 10.02 ms is loop 59 at 11.22
    ms: preemptone(P0) hits pong in burst 113 (arg 1: async).  pong goes to
    the global queue with 80 µs left; main (readied by pong's recv at 11.2
    ms) runs from runnext, blocks on d, and pong returns from the global
    queue: a new slice (schedtick 2, arg 0).  All bursts stay aligned:
    main's 120th recv completes at 12 ms.  Next sysmon loop: 21.22 ms.
    """
    wl = gmp.Workload()
    c, d = wl.chan(), wl.chan()
    pong = wl.program(gmp.repeat(120, gmp.recv(c), gmp.cpu(100 * US), gmp.send(d)))
    wl.main(gmp.gosched(), gmp.go(pong), gmp.repeat(120, gmp.send(c), gmp.recv(d)))
    res = _run(engine, wl)

    assert _rows(res, EV_PREEMPT) == [(11_220 * US, 0, 0, 1, 1)]
    stops = [(t, g) for t, g, arg in _rows(res, EV_STOP, "time", "g", "arg") if arg == STOP_PREEMPT]
    assert stops == [(11_220 * US, 1)]
    runs = _rows(res, EV_RUN, "time", "g", "arg")
    new_slices = [(t, g) for t, g, arg in runs if arg == 0]
    assert new_slices == [(0, 0), (11_220 * US, 1)]
    # main twice at the start, one run per hand-off, and two more around the preemption
    assert len(runs) == 2 + 2 * 120 + 2
    assert int(res.procs["schedticks"][0]) == 2
    assert res.makespan_ns == 12 * MS


# ----------------------------------------------------------------- (7) runqputslow

def test_spill_moves_half_the_ring_plus_the_new_g(engine):
    """runqput on a full ring calls runqputslow (§2.1 step 5, §2.2): the 128
    oldest ring entries plus the G being put (129) go to the global tail.

    GOMAXPROCS=1, newproc costs 1 ns so creation k happens at k - 1 ns.
    go(worker) x258: creation k puts wk in runnext and kicks w(k-1) to the
    ring tail (§2.1 step 3); after creation 257 the ring holds w1..w256.
    Creation 258 (t = 257) kicks w257 into the full ring: spill
    w1..w128 + w257.  Snapshot at 257 ns, in goids (wk is goid k + 1):
    global [2..129, 258], ring [130..257], runnext 259.
    """
    wl = gmp.Workload()
    worker = wl.program(gmp.cpu(US))
    wl.main(gmp.go(worker, count=258))
    res = _run(engine, wl, costs=_costs(newproc=1), snapshot_at=257)
    assert _rows(res, EV_SPILL, "time", "p", "arg") == [(257, 0, 129)]
    snap = res.snapshot
    assert snap.global_queue == list(range(2, 130)) + [258]
    assert snap.ps[0]["runq"] == list(range(130, 258))
    assert snap.ps[0]["runnext"] == 259


# ----------------------------------------------------------------- (8) steal order and amount

def test_thief_takes_the_older_half_and_runs_the_last(engine):
    """runqgrab (§2.7) takes n - n/2 (ceil half) of the victim's ring from
    its head (the oldest); runqsteal (§2.8) runs the last one grabbed and
    keeps the rest in the thief's ring.  runnext is stolen only on the
    last pass, after a 3 µs back-off if the victim is running (§2.7).

    GOMAXPROCS=2, thread_create 10 µs, other costs 0.  main: go w x8 (ring
    w1..w7, runnext w8; the first go wakes a spinning M2 for P1, §3.5),
    then 50 µs of CPU.  At 10 µs M2 steals ceil(7/2) = 4: w1..w4, runs w4
    and keeps w1 w2 w3 (run at 11, 12, 13 µs).  At 14 µs: P0's ring is w5
    w6 w7: ceil(3/2) = 2, runs w6, keeps w5 (15 µs).  16 µs: w7 alone.  17
    µs: only runnext w8 left, P0 running: back off 3 µs, then take w8 at
    20 µs.
    """
    wl = gmp.Workload()
    wg = wl.waitgroup()
    worker = wl.program(gmp.cpu(US), gmp.done(wg))
    wl.main(gmp.add(wg, 8), gmp.go(worker, count=8), gmp.cpu(50 * US), gmp.wait(wg))
    res = _run(engine, wl, gomaxprocs=2, costs=_costs(thread_create=10 * US))
    assert _rows(res, EV_STEAL) == [(10 * US, 2, 1, 4, 0), (14 * US, 2, 1, 6, 0),
                                    (16 * US, 2, 1, 7, 0), (20 * US, 2, 1, 8, 0)]
    on_p1 = [(t, g) for t, p, g in _rows(res, EV_RUN, "time", "p", "g") if p == 1]
    assert on_p1 == [(10 * US, 4), (11 * US, 1), (12 * US, 2), (13 * US, 3),
                     (14 * US, 6), (15 * US, 5), (16 * US, 7), (20 * US, 8)]


# ----------------------------------------------------------------- (9) netpoll batch limit

def test_one_netpoll_returns_at_most_128_gs(engine):
    """netpoll_epoll.go reads at most 128 events per ``epoll_wait``
    (``var events [128]EpollEvent``), and ``netpollready`` pushes each G at
    the head of the list, so the last ready runs first.

    GOMAXPROCS=1.  main starts 200 Gs that each wait 1 ms on the network
    (ring n1..n199, runnext n200: they park in the order n200, n1..n199)
    and waits.  The idle M blocks in netpoll (§3.2 step 16).  At 1 ms all
    200 become ready; the blocked poll returns 128 of them (n200,
    n1..n127; EV_READY arg 1 each, EV_NETPOLL 128, no P yet: p -1), runs
    n127 and injects the other 127 into P0's ring (§3.9: no idle P).  When
    the ring is empty, findRunnable's non-blocking poll (step 10) returns
    the other 72 (n128..n199), and n199 runs first.
    """
    wl = gmp.Workload()
    wg = wl.waitgroup()
    net = wl.program(gmp.netwait(MS), gmp.done(wg))
    wl.main(gmp.add(wg, 200), gmp.go(net, count=200), gmp.wait(wg))
    res = _run(engine, wl)
    assert _rows(res, EV_NETPOLL) == [(MS, 0, -1, -1, 128), (MS, 0, 0, -1, 72)]
    ev = res.events
    polled = ev[(ev["kind"] == EV_NETPOLL) | ((ev["kind"] == EV_READY) & (ev["arg"] == 1))]
    batches, n = [], 0
    for kind, arg in zip(polled["kind"], polled["arg"]):
        if kind == EV_NETPOLL:
            batches.append((n, int(arg)))
            n = 0
        else:
            n += 1
    assert batches == [(128, 128), (72, 72)]   # (EV_READY rows, EV_NETPOLL arg) per poll
    assert polled["g"][polled["kind"] == EV_READY].tolist() == [200] + list(range(1, 200))
    after = [g for t, g in _rows(res, EV_RUN, "time", "g") if t == MS]
    assert after == list(range(127, 0, -1)) + [200] + list(range(199, 127, -1)) + [0]
