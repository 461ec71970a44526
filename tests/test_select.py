"""select: gmp.select(case_recv, case_send, case_after, case_default).

Known answers derived by hand from Go 1.25's runtime/select.go selectgo
and chan.go (shared/reference/go-runtime-wave2.md §1), never from running
an engine.  Every run is checked (check=True), in both engines.

Conventions (as tests/test_chan_close.py): costs are 0 except the ones a
test names, one P.  On one P, ``go`` puts the new G in runnext and
``gosched`` puts main on the global queue, so ``go(r), gosched()`` runs r
until it parks, then main again -- once main has had a time slice of its
own: its first run inherits M0's slice (schedtick stays 0), and at
schedtick % 61 == 0 findRunnable takes the global queue first, so the
tests below start main with a ``gosched()`` (main runs again at once, on
a new slice).  A case body's ``cpu`` tells which case
ran: the G's running time is the sum of the bodies it ran.

The poll order is replayed here from Go's algorithm, independently of the
engines: the run's cheaprand state is SeedSequence(seed)'s first uint64
(as simulate() seeds it), each draw is wyrand, and selectgo's inside-out
shuffle takes j = cheaprandn(i + 1) = (draw * (i + 1)) >> 32 for each case
i = 0 .. n-1 (cases in Go's scase order: sends first, then receives).
"""

import math

import numpy as np
import pytest
from zero_costs import zero_costs

import gmpcore as gmp
from gmpcore.errors import WorkloadPanic
from gmpcore.events import G_DEAD, WAIT_REASONS
from gmpcore.workload import Opcode

US = 1_000
MS = 1_000_000
_M64 = 2**64 - 1

pytestmark = [pytest.mark.parametrize("engine", ["compiled", "reference"]),
              pytest.mark.empty_runtime]   # hand-derived: main starts alone (conftest)


def _run(engine, wl, gomaxprocs=1, costs=None, **kw):
    kw.setdefault("seed", 1)
    kw.setdefault("noise", False)       # the answers are derived for exact costs
    return gmp.simulate(wl, gomaxprocs=gomaxprocs, engine=engine,
                        costs=costs or zero_costs(), check=True, **kw)


def _draws(seed, n):
    """Go's cheaprand (wyrand) from the run's seed: the first n 32-bit draws."""
    state = int(np.random.SeedSequence(seed).generate_state(1, np.uint64)[0])
    out = []
    for _ in range(n):
        state = (state + 0xA0761D6478BD642F) & _M64
        prod = state * (state ^ 0xE7037ED1A0B428DB)
        out.append(((prod >> 64) ^ prod) & 0xFFFFFFFF)
    return out


def _pollorder(draws):
    """selectgo's shuffle over len(draws) cases, one draw per case."""
    order = [0] * len(draws)
    for i, r in enumerate(draws):
        j = (r * (i + 1)) >> 32
        order[i] = order[j]
        order[j] = i
    return order


def _running(res, program):
    g = res.goroutines
    return g[g["program"] == program.index]["running_ns"].tolist()


# ------------------------------------------------------------------ pass 1

@pytest.mark.parametrize("seed", range(4))
def test_ready_case_beats_an_empty_one(engine, seed):
    """a holds a value, b is empty: whatever the poll order, pass 1 finds
    only a ready, so a's body (1 µs) runs, never b's (2 µs)."""
    wl = gmp.Workload()
    a, b = wl.chan(cap=1), wl.chan(cap=1)
    wl.program(gmp.send(b))          # (b is sent to somewhere: no leak warning)
    wl.main(gmp.send(a), gmp.select(gmp.case_recv(b, gmp.cpu("2us")),
                                    gmp.case_recv(a, gmp.cpu("1us"))))
    assert _run(engine, wl, seed=seed).makespan_ns == 1 * US


@pytest.mark.parametrize("seed", range(8))
def test_both_ready_the_poll_order_decides(engine, seed):
    """Both buffered channels hold a value.  With one P and nothing else
    running, the select's 2 draws are the run's first two cheaprand draws;
    the case first in the poll order wins: a (scase 0) runs 1 µs, b 2 µs."""
    wl = gmp.Workload()
    a, b = wl.chan(cap=1), wl.chan(cap=1)
    wl.main(gmp.send(a), gmp.send(b),
            gmp.select(gmp.case_recv(a, gmp.cpu("1us")), gmp.case_recv(b, gmp.cpu("2us"))))
    first = _pollorder(_draws(seed, 2))[0]
    assert _run(engine, wl, seed=seed).makespan_ns == (1 * US if first == 0 else 2 * US)


def test_the_replayed_poll_order_takes_both_cases_over_seeds(engine):
    """The known answers above cover both outcomes (else they test little)."""
    firsts = {_pollorder(_draws(seed, 2))[0] for seed in range(8)}
    assert firsts == {0, 1}


@pytest.mark.parametrize("seed", range(4))
def test_sends_poll_before_receives_in_scase_order(engine, seed):
    """select(case_recv(a), case_send(b)) with both ready: Go's scase array
    puts the send first (scase 0 = send b, scase 1 = recv a), so the first
    poll-order entry 0 means the send wins (its body 2 µs), 1 the receive (1 µs)."""
    wl = gmp.Workload()
    a, b = wl.chan(cap=1), wl.chan(cap=1)
    wl.program(gmp.recv(b))
    wl.main(gmp.send(a), gmp.select(gmp.case_recv(a, gmp.cpu("1us")),
                                    gmp.case_send(b, gmp.cpu("2us"))))
    first = _pollorder(_draws(seed, 2))[0]
    res = _run(engine, wl, seed=seed)
    assert res.makespan_ns == (2 * US if first == 0 else 1 * US)


def test_default_when_nothing_is_ready(engine):
    """Two empty channels and a default: pass 1 finds nothing, the default's
    body (3 µs) runs; no case body does."""
    wl = gmp.Workload()
    a, b = wl.chan(), wl.chan()
    wl.program(gmp.send(a), gmp.send(b))
    wl.main(gmp.select(gmp.case_recv(a, gmp.cpu("1us")), gmp.case_recv(b, gmp.cpu("1us")),
                       gmp.case_default(gmp.cpu("3us"))))
    assert _run(engine, wl).makespan_ns == 3 * US


def test_send_on_closed_channel_in_a_select_panics(engine):
    """A send case on a closed channel: pass 1 reaches it (the other case,
    an empty channel, is never ready) and panics with Go's message."""
    wl = gmp.Workload()
    a, b = wl.chan(), wl.chan()
    wl.program(gmp.send(b))
    wl.main(gmp.close(a), gmp.select(gmp.case_send(a), gmp.case_recv(b)))
    with pytest.raises(WorkloadPanic, match="^panic: send on closed channel") as exc:
        _run(engine, wl)
    assert exc.value.goid == 1


def test_receive_case_on_closed_channel_is_ready(engine):
    """A closed, drained channel is ready for a receive case (zero value)."""
    wl = gmp.Workload()
    a, b = wl.chan(), wl.chan()
    wl.program(gmp.send(b))
    wl.main(gmp.close(a), gmp.select(gmp.case_recv(a, gmp.cpu("4us")),
                                     gmp.case_recv(b, gmp.cpu("1us"))))
    assert _run(engine, wl).makespan_ns == 4 * US


# ------------------------------------------------------------------ pass 2 and 3

def test_woken_select_leaves_no_live_sudog_on_the_other_channel(engine):
    """The selectDone race (waitq.dequeue's CAS).

    sel blocks in select(recv a, recv b): a sudog on a.recvq and on b.recvq.
    r2 then parks in recv(b), behind sel: b.recvq = [sel, r2].  main sends on
    a: sel is claimed by case a and readied, but has not run yet, so its
    sudog is still on b.recvq.  main's send on b dequeues it, finds sel
    already claimed (the CAS fails), skips it and hands the value to r2.
    So sel runs a's body (1 µs), never b's (5 µs), and r2 runs its 2 µs.
    """
    wl = gmp.Workload()
    a, b, wg = wl.chan(), wl.chan(), wl.waitgroup()
    sel = wl.program(gmp.select(gmp.case_recv(a, gmp.cpu("1us")),
                                gmp.case_recv(b, gmp.cpu("5us"))), gmp.done(wg))
    r2 = wl.program(gmp.recv(b), gmp.cpu("2us"), gmp.done(wg))
    wl.main(gmp.gosched(), gmp.add(wg, 2), gmp.go(sel), gmp.gosched(), gmp.go(r2), gmp.gosched(),
            gmp.send(a), gmp.send(b), gmp.wait(wg))
    res = _run(engine, wl)
    assert _running(res, sel) == [1 * US]
    assert _running(res, r2) == [2 * US]
    assert (res.goroutines["state"] == G_DEAD).all()


def test_after_pass_3_a_send_on_the_other_channel_finds_no_receiver(engine):
    """Once the woken select has run (pass 3 removed its sudog from b), a
    non-blocking send on b finds no receiver and takes its default (3 µs)."""
    wl = gmp.Workload()
    a, b = wl.chan(), wl.chan()
    sel = wl.program(gmp.select(gmp.case_recv(a), gmp.case_recv(b, gmp.cpu("5us"))))
    wl.main(gmp.gosched(), gmp.go(sel), gmp.gosched(), gmp.send(a), gmp.gosched(),
            gmp.select(gmp.case_send(b), gmp.case_default(gmp.cpu("3us"))))
    res = _run(engine, wl)
    assert _running(res, sel) == [0]
    assert res.makespan_ns == 3 * US


def test_go_select_duplicate_channel(engine):
    """Go's TestSelectDuplicateChannel (runtime/chan_test.go): A selects on
    c, c, d and is queued twice on c; B then queues on c behind it; d <- 7
    wakes A, which drops both of its sudogs from c; A sends on e; c <- 8 must
    then wake B (not A again).  Everything finishes: all Gs dead."""
    wl = gmp.Workload()
    c, d, e = wl.chan(), wl.chan(), wl.chan()
    ga = wl.program(gmp.select(gmp.case_recv(c), gmp.case_recv(c), gmp.case_recv(d)),
                    gmp.send(e))
    gb = wl.program(gmp.recv(c), gmp.cpu("2us"))
    wl.main(gmp.go(ga), gmp.sleep("1ms"), gmp.go(gb), gmp.sleep("1ms"),
            gmp.send(d), gmp.recv(e), gmp.send(c), gmp.sleep("1ms"))
    res = _run(engine, wl)
    assert _running(res, gb) == [2 * US]
    assert (res.goroutines["state"] == G_DEAD).all()


def test_close_wakes_a_blocked_select(engine):
    """sel blocks on recv a / recv b; main closes b: closechan claims sel
    for case b (success == false, a zero value), and b's body (2 µs) runs."""
    wl = gmp.Workload()
    a, b = wl.chan(), wl.chan()
    wl.program(gmp.send(a))
    sel = wl.program(gmp.select(gmp.case_recv(a, gmp.cpu("1us")),
                                gmp.case_recv(b, gmp.cpu("2us"))))
    wl.main(gmp.gosched(), gmp.go(sel), gmp.gosched(), gmp.close(b), gmp.gosched())
    res = _run(engine, wl)
    assert _running(res, sel) == [2 * US]


def test_close_of_a_blocked_send_case_panics_in_pass_3(engine):
    """sel blocks on send a / recv b; close(a) claims it for the send case
    with success == false; when it runs, pass 3 panics (goid 2)."""
    wl = gmp.Workload()
    a, b = wl.chan(), wl.chan()
    wl.program(gmp.recv(a), gmp.send(b))
    sel = wl.program(gmp.select(gmp.case_send(a), gmp.case_recv(b)))
    wl.main(gmp.gosched(), gmp.go(sel), gmp.gosched(), gmp.close(a), gmp.gosched())
    with pytest.raises(WorkloadPanic, match="^panic: send on closed channel") as exc:
        _run(engine, wl)
    assert exc.value.goid == 2


def test_blocked_select_waits_with_reason_select(engine):
    """A select that blocks parks with waitReasonSelect: left waiting when
    main returns, it is a leak in state 'select'."""
    wl = gmp.Workload()
    a, b = wl.chan(), wl.chan()
    wl.program(gmp.send(a), gmp.send(b))
    sel = wl.program(gmp.select(gmp.case_recv(a), gmp.case_recv(b)))
    wl.main(gmp.gosched(), gmp.go(sel), gmp.gosched())
    res = _run(engine, wl)
    row = res.goroutines[res.goroutines["program"] == sel.index][0]
    assert WAIT_REASONS[row["wait_reason"]] == "select"


# ------------------------------------------------------------------ time.After

def test_case_after_fires_at_the_exact_time(engine):
    """Nothing is ever sent on a: the select blocks, its 5 ms timer joins
    the P's heap and fires at 5 ms (zero costs; the idle M's netpoll sleeps
    exactly until it, a whole number of ms), then the body runs 1 µs."""
    wl = gmp.Workload()
    a = wl.chan()
    wl.program(gmp.send(a))
    wl.main(gmp.select(gmp.case_recv(a), gmp.case_after("5ms", gmp.cpu("1us"))))
    res = _run(engine, wl)
    assert res.makespan_ns == 5 * MS + 1 * US


def test_lone_case_after_is_a_plain_timed_receive(engine):
    """select(case_after(5 ms)) alone: <-time.After(5 ms), woken at 5 ms,
    parked as a plain receive (wait reason chan receive)."""
    wl = gmp.Workload()
    wl.main(gmp.select(gmp.case_after("5ms", gmp.cpu("1us"))))
    assert _run(engine, wl).makespan_ns == 5 * MS + 1 * US


def test_case_after_zero_is_ready_at_once(engine):
    """time.After(0): the timer has expired at pass 1 (maybeRunChan), so
    the case is ready; with the other channel empty it wins at once."""
    wl = gmp.Workload()
    a = wl.chan()
    wl.program(gmp.send(a))
    wl.main(gmp.select(gmp.case_recv(a, gmp.cpu("9us")), gmp.case_after(0, gmp.cpu("1us"))))
    assert _run(engine, wl).makespan_ns == 1 * US


def test_losing_case_after_leaves_a_zombie_that_never_fires(engine):
    """sel blocks on recv a / after 5 ms; a helper sleeps 2 ms and sends on
    a, so a wins (body 1 µs).  The 5 ms timer is a zombie: at 5 ms it is
    dropped without running, so only the helper's and main's sleeps count
    as fired timers (2), and sel's after-body (7 µs) never runs.  main's
    sleep ends at 10 ms + 1 µs: after sel's 1 µs at 2 ms the idle M's netpoll
    waits whole ms (7 ms, truncated, then the 1 ms minimum), as Go's does."""
    wl = gmp.Workload()
    a = wl.chan()
    helper = wl.program(gmp.sleep("2ms"), gmp.send(a))
    sel = wl.program(gmp.select(gmp.case_recv(a, gmp.cpu("1us")),
                                gmp.case_after("5ms", gmp.cpu("7us"))))
    wl.main(gmp.go(helper), gmp.go(sel), gmp.sleep("10ms"))
    res = _run(engine, wl)
    assert _running(res, sel) == [1 * US]
    assert res.counters["timers"] == 2
    assert res.makespan_ns == 10 * MS + 1 * US


# ------------------------------------------------------------------ select {}

def test_empty_select_blocks_forever_and_deadlocks_like_go(engine):
    """select {} in main with nothing else alive: checkdead's deadlock, the
    goroutine shown as [select (no cases)]."""
    wl = gmp.Workload()
    wl.main(gmp.select())
    with pytest.raises(gmp.Deadlock, match="select \\(no cases\\)"):
        _run(engine, wl)


def test_empty_select_in_a_goroutine_is_a_leak(engine):
    wl = gmp.Workload()
    blocker = wl.program(gmp.select())
    wl.main(gmp.gosched(), gmp.go(blocker), gmp.gosched(), gmp.cpu("1us"))
    res = _run(engine, wl)
    row = res.goroutines[res.goroutines["program"] == blocker.index][0]
    assert WAIT_REASONS[row["wait_reason"]] == "select (no cases)"


# ------------------------------------------------------------------ costs

def test_select_costs_scale_with_cases(engine):
    """Pass 1 of a 2-case select that takes its default costs select_base +
    2 * select_case; a 1-case select with a default is selectnbrecv: one
    chan_op.  Main: 10 + 2 * 100 = 210 ns, then 7 ns."""
    wl = gmp.Workload()
    a, b = wl.chan(), wl.chan()
    wl.program(gmp.send(a), gmp.send(b))
    wl.main(gmp.select(gmp.case_recv(a), gmp.case_recv(b), gmp.case_default()),
            gmp.select(gmp.case_recv(a), gmp.case_default()))
    costs = zero_costs(select_base=10, select_case=100, chan_op=7)
    assert _run(engine, wl, costs=costs).makespan_ns == 217


def test_blocked_select_pays_pass_3_per_case(engine):
    """sel (2 cases) blocks: pass 1+2 (10 + 2 * 100 = 210 ns) is charged to
    its M as park's extra, after the G left it (not the G's running time).
    main runs at 210, sends on a (0 cost), readying sel; sel pays pass 3,
    2 * 30 ns, then its body: running 60 + 1000 = 1060 ns, done at 1270."""
    wl = gmp.Workload()
    a, b = wl.chan(), wl.chan()
    wl.program(gmp.send(b))
    sel = wl.program(gmp.select(gmp.case_recv(a, gmp.cpu("1us")), gmp.case_recv(b)))
    wl.main(gmp.gosched(), gmp.go(sel), gmp.gosched(), gmp.send(a), gmp.gosched())
    costs = zero_costs(select_base=10, select_case=100, select_wake=30)
    res = _run(engine, wl, costs=costs)
    assert _running(res, sel) == [1060]
    assert res.makespan_ns == 1270


# ------------------------------------------------------------------ fairness

def test_go_select_fairness(engine):
    """Go's TestSelectFairness (runtime/chan_test.go): a goroutine selects
    over c3, c4 (never ready) and c1, c2 (always ready, buffered), then
    sends what it got on out or returns on done; main counts 1s and 2s over
    `trials` receives.  Go fails the test when |cnt1/trials - 1/2| is "more
    than 10 sigma away"; we hold the model to 4.5 / sqrt(trials) (9 sigma).

    Which channel won is read off spans: c1's body is span 'one', c2's 'two'."""
    trials = 2000 if engine == "reference" else 10_000
    wl = gmp.Workload()
    c1, c2 = wl.chan(cap=trials + 1), wl.chan(cap=trials + 1)
    c3, c4, out, done = wl.chan(), wl.chan(), wl.chan(), wl.chan()
    wl.program(gmp.send(c3), gmp.send(c4))
    wg = wl.waitgroup()
    sel = wl.program(gmp.repeat(trials + 1,
                                gmp.select(gmp.case_recv(c3), gmp.case_recv(c4),
                                           gmp.case_recv(c1, gmp.span("one")),
                                           gmp.case_recv(c2, gmp.span("two"))),
                                gmp.select(gmp.case_send(out),
                                           gmp.case_recv(done, gmp.done(wg), gmp.goexit()))))
    wl.main(gmp.repeat(trials + 1, gmp.send(c1), gmp.send(c2)), gmp.add(wg, 1), gmp.go(sel),
            gmp.repeat(trials, gmp.recv(out)), gmp.close(done), gmp.wait(wg))
    res = gmp.simulate(wl, engine=engine, costs=zero_costs(), seed=1)
    names = np.asarray(res.span_names)[res.spans["name"]]
    cnt1, cnt2 = int((names == "one").sum()), int((names == "two").sum())
    assert cnt1 + cnt2 == trials + 1          # trials sent on out, one more before done
    e = abs(cnt1 / (trials + 1) - 0.5)
    assert e <= 4.5 / math.sqrt(trials), (cnt1, cnt2)
    assert (res.goroutines["state"] == G_DEAD).all()


# ------------------------------------------------------------------ lowering

def test_lowering_follows_walk_select_cases(engine):
    """select {} is BLOCK; one case without default the plain operation;
    one case with default a SELECT of 1 case (non-blocking); 2 cases SELECT."""
    wl = gmp.Workload()
    a = wl.chan(cap=1)
    wl.main(gmp.select(gmp.case_send(a)), gmp.select(gmp.case_recv(a)),
            gmp.select(gmp.case_recv(a), gmp.case_default()),
            gmp.select(gmp.case_default(gmp.gosched())))
    ops = [Opcode(o).name for o in wl.compile().code[:, 0]]
    assert ops == ["SEND", "RECV", "SELECT", "SELCASE", "SELEND", "SELEND", "GOSCHED", "EXIT"]
    assert _run(engine, wl).makespan_ns == 0


# ------------------------------------------------------------------ the API's checks

def test_select_arguments_are_checked(engine):
    wl = gmp.Workload()
    a = wl.chan()
    with pytest.raises(TypeError, match=r"select\(\): argument 0 must be a case"):
        gmp.select(gmp.recv(a))
    with pytest.raises(ValueError, match=r"at most one case_default\(\), got 2"):
        gmp.select(gmp.case_default(), gmp.case_default())
    with pytest.raises(TypeError, match=r"case_recv\(\) argument ch must be a Chan"):
        gmp.case_recv(wl.waitgroup())
    with pytest.raises(TypeError, match=r"case_send\(\): argument 1 is"):
        gmp.case_send(a, gmp.cpu)
    with pytest.raises(ValueError, match="case_after"):
        gmp.case_after(-5)


def test_select_cases_count_for_the_leak_check(engine):
    """A channel received from only in a select case and sent to only in
    another select's case is matched: no GoroutineLeakWarning."""
    import warnings
    wl = gmp.Workload()
    a = wl.chan()
    wl.program(gmp.select(gmp.case_send(a), gmp.case_default()))
    wl.main(gmp.select(gmp.case_recv(a), gmp.case_default()))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        wl.compile()
