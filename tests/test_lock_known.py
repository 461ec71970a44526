"""Known answers for LockOSThread / UnlockOSThread (docs/design/machine.md
§7.1 items 9-11), derived by hand from Go 1.25's rules (machine.md §1.6,
§1.7), never from running an engine.  Every run is checked (check=True),
in both engines.

Conventions (as tests/test_known_answers.py): costs are 0 except the ones a
test names; with ``sysmon_tick`` 0 the runtime's ``usleep(d)`` lasts d.
Ms: m0 runs main, M1 is sysmon, new Ms count up (the template thread takes
the next index when the first LockOSThread runs).  Here W = thread_wake and
C = thread_create.
"""

import pytest
from zero_costs import zero_costs

import gmpcore as gmp
from gmpcore.events import EV_M_PARK, EV_M_WAKE, EV_RUN, EV_THREAD_CREATE

US = 1_000
W, C = 1 * US, 5 * US

pytestmark = [pytest.mark.parametrize("engine", ["compiled", "reference"]),
              pytest.mark.empty_runtime]   # hand-derived: main starts alone (conftest)


_costs = zero_costs                  # every runtime cost zero but those named


def _run(engine, wl, gomaxprocs=1, **kw):
    kw.setdefault("noise", False)       # the answers are derived for exact costs
    return gmp.simulate(wl, gomaxprocs=gomaxprocs, seed=1, engine=engine,
                        costs=_costs(thread_wake=W, thread_create=C),
                        record_events=True, check=True, **kw)


def _rows(res, kind, *fields):
    ev = res.events[res.events["kind"] == kind]
    return [tuple(int(v) for v in row) for row in zip(*(ev[f] for f in fields))]


# ----------------------------------------------------------------- (9) locked ping-pong

def _pingpong(n, lock):
    wl = gmp.Workload()
    ping, pong = wl.chan(), wl.chan()
    first = [gmp.lock_os_thread()] if lock else []
    peer = wl.program(*first, gmp.repeat(n, gmp.recv(ping), gmp.send(pong)), name="peer")
    wl.main(gmp.go(peer), gmp.repeat(n, gmp.send(ping), gmp.recv(pong)))
    return wl


@pytest.mark.parametrize("n", [1, 2, 10])
def test_locked_ping_pong_costs_two_thread_wakes_per_round_trip(engine, n):
    """P=1, main and a peer exchange n messages each way on unbuffered channels.

    Unlocked, every step is free: main parks in send, M0 runs the peer, the
    peer readies main and parks in send, M0 runs main ... makespan 0, two
    threads (m0, sysmon): with one P, wakep never finds an idle P.

    Locked (the peer calls LockOSThread first, on M0; the template thread
    is M2): t=0 the peer takes main's ping (main to runnext), parks sending
    pong 1; schedule on the locked M0 -> stoplockedm: handoffp(P0) has work
    -> startm -> no idle M -> newm, asked for on a locked M, so through the
    template thread: M3 starts at C + W.  t=C+W M3 runs main, whose recv
    takes pong 1 (round 1 done; the peer to runnext) and whose next send
    parks; M3 picks the peer -> startlockedm: P0 to M0, M0 woken (W), M3
    stopm.  t=C+2W the peer takes ping 2, parks on pong 2, M0 stoplockedm ->
    handoffp -> startm wakes M3 from midle (W).  t=C+3W main takes pong 2:
    round 2 done.  So round k ends at C + (2k-1)W and main exits then:
    makespan = C + (2n-1)W, two thread wakes more per round trip.
    Threads: m0, sysmon, M3 and the template thread = 3 + template.
    """
    free = _run(engine, _pingpong(n, lock=False))
    assert free.makespan_ns == 0
    assert free.counters["threads"] == 2

    res = _run(engine, _pingpong(n, lock=True))
    assert res.makespan_ns == C + (2 * n - 1) * W
    assert res.counters["threads"] == 4
    assert res.counters["threads_exited"] == 0
    # The template thread (M2, no P) at the lock; M3 for P0 at the first park.
    assert _rows(res, EV_THREAD_CREATE, "time", "m", "p") == [(0, 1, -1), (0, 2, -1), (0, 3, 0)]
    # M0 parks locked (arg 1) once per round trip, at t = 0, C+2W, C+4W, ...
    parks = [t for t, m, a in _rows(res, EV_M_PARK, "time", "m", "arg") if m == 0]
    assert parks == [0] + [C + 2 * k * W for k in range(1, n)]
    assert all(a == 1 for _, m, a in _rows(res, EV_M_PARK, "time", "m", "arg") if m == 0)


# ----------------------------------------------------------------- (10) locked exit

def _exiter(*lock_ops):
    wl = gmp.Workload()
    worker = wl.program(*lock_ops, gmp.cpu("10us"), name="worker")
    wl.main(gmp.go(worker), gmp.cpu("100us"))
    return wl


LOCK, UNLOCK = gmp.lock_os_thread(), gmp.unlock_os_thread()


@pytest.mark.parametrize("ops, threads, exited", [
    ((LOCK,), 4, 1),
    ((LOCK, LOCK, UNLOCK), 4, 1),           # still locked once: the thread dies
    ((LOCK, UNLOCK), 5, 0),
    ((LOCK, UNLOCK, UNLOCK), 5, 0),         # the extra unlock is a no-op
])
def test_a_locked_goroutine_takes_its_thread_with_it(engine, ops, threads, exited):
    """P=3; main burns 100 µs on P0; the worker locks, burns 10 µs, exits.

    t=0 go(worker): runnext of P0; wakep -> P1 (top of the idle list) ->
    newm M2 (spinning) at C=5 µs.  t=5 M2 steals nothing in passes 0-2, backs
    off 3 µs for P0's runnext in pass 3; t=8 takes the worker, resetspinning
    -> wakep -> P2 -> newm M3 (at 13 µs); the worker runs on M2 and locks:
    template thread M4.  t=13 M3 finds nothing and stops: P2 idle, M3 idle.
    t=18 the worker exits.  Locked: gdestroy sends M2 to mexit: handoffp(P1)
    with no work, nmspinning + npidle = 1, npidle != gomaxprocs - 1 -> P1
    idle, no new M; M2 is gone: 5 Ms made (m0, sysmon, M2, M3, M4), 1
    exited -> threads 4.  Unlocked before the exit: M2 looks for work,
    finds none and parks: threads 5, none exited.
    """
    res = _run(engine, _exiter(*ops), gomaxprocs=3, snapshot_at=50 * US)
    assert res.makespan_ns == 100 * US
    assert res.counters["threads"] == threads
    assert res.counters["threads_exited"] == exited
    creates = _rows(res, EV_THREAD_CREATE, "time", "m", "p")
    assert creates == [(0, 1, -1), (0, 2, 1), (8 * US, 3, 2), (8 * US, 4, -1)]
    states = {m["id"]: m["state"] for m in res.snapshot.ms}
    assert states[4] == "template"
    assert states[2] == ("dead" if exited else "idle")
    if exited:
        # mexit logs M2's exit (m_park, arg 2) when the worker's exit is done.
        assert (18 * US, 2, 2) in _rows(res, EV_M_PARK, "time", "m", "arg")


def test_unlock_without_lock_is_a_no_op(engine):
    """UnlockOSThread with lockedExt == 0 returns at once: no template
    thread, the same run as without the call."""
    def wl(extra):
        w = gmp.Workload()
        worker = w.program(*extra, gmp.cpu("10us"), name="worker")
        w.main(gmp.go(worker, count=3), *extra, gmp.cpu("30us"))
        return w
    plain = _run(engine, wl(()), gomaxprocs=2)
    noop = _run(engine, wl((gmp.unlock_os_thread(),)), gomaxprocs=2)
    assert noop.counters == plain.counters
    assert (noop.events == plain.events).all()


def test_newm_on_a_locked_m_waits_for_the_template_thread(engine):
    """P=2; the worker, locked, exits with main busy on P0: mexit's handoffp
    finds no idle P and no spinning M -> startm(spinning) -> newm, asked for
    on the (still locked) exiting M: the template thread wakes (W), then
    clones (C).

    t=0 go: runnext of P0, wakep -> newm M2 at C=5.  t=5 M2 backs off for
    P0's runnext; t=8 steals the worker (wakep finds no idle P), runs it:
    lock -> template M3.  t=18 exit -> mexit: newm M4 at 18 + W + C = 24 µs;
    M4 finds nothing and parks at 24 µs.
    """
    res = _run(engine, _exiter(LOCK), gomaxprocs=2)
    assert _rows(res, EV_THREAD_CREATE, "time", "m", "p") == [
        (0, 1, -1), (0, 2, 1), (8 * US, 3, -1), (18 * US, 4, 1)]
    assert (24 * US, 4, -1) in _rows(res, EV_M_PARK, "time", "m", "arg")
    assert res.counters["threads"] == 4 and res.counters["threads_exited"] == 1


# ----------------------------------------------------------------- (11) deadlock, locked

@pytest.mark.parametrize("gomaxprocs", [1, 2])
def test_main_locked_and_blocked_forever_deadlocks(engine, gomaxprocs):
    """main locks, then receives on a channel nobody sends to.  Its M parks
    in stoplockedm (nmidlelocked 1) and hands P0 off to a new M, which finds
    nothing and stops; then checkdead's run = mcount (m0, sysmon, template,
    M3) - nmidle 1 - nmidlelocked 1 - nmsys 2 = 0, main waits, no timers:
    "all goroutines are asleep - deadlock!".  (Without nmidlelocked the
    parked m0 would count as running and the program would hang.)"""
    wl = gmp.Workload()
    c = wl.chan()
    wl.program(gmp.send(c), name="never")          # so the channel has a sender somewhere
    wl.main(gmp.lock_os_thread(), gmp.recv(c))
    with pytest.raises(gmp.Deadlock, match="all goroutines are asleep - deadlock!"):
        _run(engine, wl, gomaxprocs=gomaxprocs)


def test_locked_main_sleeping_is_not_a_deadlock(engine):
    """The same with a sleep: a P holds a timer, so checkdead returns; the
    timer readies main, whose P is handed to m0 again."""
    wl = gmp.Workload()
    wl.main(gmp.lock_os_thread(), gmp.sleep("1ms"), gmp.cpu("1us"))
    res = _run(engine, wl)
    assert res.makespan_ns >= 1_001 * US
    assert res.counters["threads_exited"] == 0


def test_scheddetail_shows_the_wiring(engine):
    """scheddetail prints each M's lockedg and each G's lockedm (Go 1.25's
    format) and nmidlelocked in the header."""
    wl = gmp.Workload()
    wl.main(gmp.lock_os_thread(), gmp.sleep("3ms"))
    res = _run(engine, wl, schedtrace="1ms", scheddetail=True)
    text = res.schedtrace[1]
    assert " nmidlelocked=1 " in text.splitlines()[0]
    assert "  M0: p=nil curg=nil" in text and "blocked=true lockedg=1" in text
    assert "  G1: status=4(sleep) m=nil lockedm=0" in text


def test_picked_before_its_m_parked(engine):
    """startlockedm can run before the locked M reaches stoplockedm (Go:
    notewakeup before mPark, and mPark returns at once).  P=3, gosched
    costs 10 µs, the worker locks then yields.

    t=0 go(worker): runnext of P0, wakep -> newm M2 for P1 (at C=5).  t=5 M2
    backs off 3 µs for P0's runnext; t=8 steals the worker, resetspinning ->
    wakep -> newm M3 for P2 (at 13); the worker locks M2 (template M4) and
    yields: global queue; M2 is busy in gosched until 18.  t=13 M3 takes
    the worker from the global queue (schedtick 0 % 61), sees it locked:
    startlockedm gives P2 to M2 (M2 not parked yet: no wake event), M3
    stopm.  t=18 M2's schedule -> stoplockedm: hands off P1 (nothing to do,
    no spinning M, no idle P -> startm(spinning) wakes M3, W), then finds
    nextp set: acquirep(P2) and runs the worker at once, on P2.
    """
    wl = gmp.Workload()
    worker = wl.program(gmp.lock_os_thread(), gmp.gosched(), gmp.cpu("1us"), name="worker")
    wl.main(gmp.go(worker), gmp.cpu("100us"))
    res = gmp.simulate(wl, gomaxprocs=3, seed=1, engine=engine, record_events=True, check=True, noise=False,
                       costs=_costs(thread_wake=W, thread_create=C, gosched=10 * US))
    runs = [(t, m, p) for t, m, p, g in _rows(res, EV_RUN, "time", "m", "p", "g") if g == 1]
    assert runs == [(8 * US, 2, 1), (18 * US, 2, 2)]
    assert (13 * US, 2, 2, 1) in _rows(res, EV_M_WAKE, "time", "m", "p", "g")
    assert (18 * US, 3, 1, -1) in _rows(res, EV_M_WAKE, "time", "m", "p", "g")
    assert not [r for r in _rows(res, EV_M_PARK, "m", "arg") if r == (2, 1)]
    assert res.counters["threads_exited"] == 1


@pytest.mark.parametrize("breakage, message", [
    ("nmidlelocked", "nmidlelocked"),
    ("link", "lockedg/lockedm link"),
    ("dead", "dead M2 holds a P, a G or a nextp"),
])
def test_check_mode_catches_broken_lock_bookkeeping(engine, breakage, message):
    """The lock invariants of machine.md §6 item 6, in the reference's
    check mode (the compiled engine's twin is held to the same runs by the
    differential tests): a miscount or a one-sided link is reported."""
    if engine == "compiled":
        pytest.skip("the compiled engine's state cannot be broken from Python")
    from gmpcore.reference.engine import RefEngine

    class Broken(RefEngine):
        def stoplockedm(self, m):
            super().stoplockedm(m)
            if breakage == "nmidlelocked":
                self.nmidlelocked += 1
            elif breakage == "link" and m.lockedg is not None:
                m.lockedg.lockedm = None

        def mexit(self, m):
            p = m.p
            super().mexit(m)
            if breakage == "dead":
                m.nextp = p

    exiter = _exiter(LOCK)                 # the worker's M (M2) exits
    wl = gmp.Workload()
    ping = wl.chan()
    peer = wl.program(gmp.lock_os_thread(), gmp.recv(ping), name="peer")
    wl.main(gmp.go(peer), gmp.sleep("1us"), gmp.send(ping), gmp.sleep("50us"))
    program = exiter if breakage == "dead" else wl
    with pytest.raises(AssertionError, match=message):
        Broken(program.compile(), gomaxprocs=2, check=True,
               costs=gmp.costs.CostModel(**_costs(thread_wake=W, thread_create=C))).run()


def test_snapshot_draws_the_wiring(engine):
    """P=1: main starts the worker (runnext; no idle P to wake), locks m0
    and burns 100 µs.  At 50 µs m0 runs main (goid 1) locked to it, the
    worker waits in P0's runnext, and the only other Ms are sysmon and the
    template thread (M2), made by the lock."""
    wl = gmp.Workload()
    worker = wl.program(gmp.cpu("1us"), name="worker")
    wl.main(gmp.go(worker), gmp.lock_os_thread(), gmp.cpu("100us"))
    res = _run(engine, wl, snapshot_at=50 * US)
    snap = res.snapshot
    assert [(m["id"], m["state"], m["lockedg"]) for m in snap.ms] == [
        (0, "running", 1), (1, "sysmon", -1), (2, "template", -1)]
    text = str(snap)
    assert "locked       G1 to M0" in text and "M2 template" in text
