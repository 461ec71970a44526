"""select over timer channels: ``gmp.case_recv(t)`` with a Timer or Ticker
(``case <-ticker.C:``), on both engines with check=True.

Go 1.25's selectgo (runtime/select.go) with Go 1.23+'s timer channels
(runtime/time.go; shared/reference/go-runtime-wave2.md §1.2, §4.3):
before the poll order, each timer case's maybeRunChan runs an expired
timer that is in no heap; pass 1 finds the case ready when the timer's
one-slot buffer holds a value; pass 2 enqueues the G on the timer's recvq
and calls blockTimerChan (the timer joins the P's heap while watched); the
timer's send (unlockAndRun -> sendTime) dequeues like any channel send,
skipping a select another case already won and claiming a waiting one;
pass 3 removes the G from every other queue and calls unblockTimerChan for
each timer case (an unwatched heaped timer becomes a zombie).

Every expected value is derived by hand from those rules, at each test.
Costs are zero (tests/zero_costs.py) unless a test names some, noise off,
GOMAXPROCS 1, no machine model (cpus=None), so that times are sums of the
durations.  Times are whole milliseconds: an idle M waits for the earliest
timer in netpoll, whose epoll_wait timeout is whole milliseconds.  A case
body's span tells which case ran and when.
"""

import numpy as np
import pytest
from zero_costs import zero_costs

import gmpcore as gmp
from gmpcore.events import EV_TIMER, EV_WAIT, WAIT_SELECT
from gmpcore.workload import SEL_RECV_TIMER, Opcode

US = 1_000
MS = 1_000_000

pytestmark = [pytest.mark.parametrize("engine", ["compiled", "reference"]),
              pytest.mark.empty_runtime]   # hand-derived: main starts alone (conftest)


def run(wl, engine, **opts):
    opts.setdefault("costs", zero_costs())
    opts.setdefault("noise", False)     # the answers are derived for exact costs
    return gmp.simulate(wl, engine=engine, gomaxprocs=1, cpus=None, check=True,
                        record_events=True, **opts)


def timer_fires(res):
    """(time, timer index) of each run of a Timer/Ticker (EV_TIMER, g == -1)."""
    ev = res.events[res.events["kind"] == EV_TIMER]
    ev = ev[ev["g"] == -1]
    return list(zip(ev["time"].tolist(), ev["arg"].tolist()))


def spans(res):
    """(name, end time) of each span, in the order they ended."""
    names = np.asarray(res.span_names)[res.spans["name"]]
    order = np.argsort(res.spans["end_ns"], kind="stable")
    return [(str(names[i]), int(res.spans["end_ns"][i])) for i in order]


def test_a_ticker_in_a_select_delivers_at_p_2p_3p(engine):
    # NewTicker(2ms) at 0: in no heap (nobody watches).  Select 1 at 0:
    # maybeRunChan finds it not due (2 > 0), the buffer is empty, a has no
    # sender: pass 2 queues main on a and on t.C, blockTimerChan puts the
    # ticker in P0's heap at 2 ms; main parks (select).  The idle M polls
    # until 2 ms and runs it: re-armed at 2 + 2 = 4 ms, sendTime claims main
    # (the tick case).  Pass 3 takes main off a's queue, unblockTimerChan
    # leaves the ticker a zombie (still heaped, when 4 ms); the tick body
    # ends at 2 ms.  Select 2 at 2 ms: not due, empty; pass 2's
    # blockTimerChan revives the zombie: the tick at 4 ms wins, likewise
    # select 3 at 6 ms.  Stop, main exits at 6 ms.
    wl = gmp.Workload()
    tk, a = wl.ticker(), wl.chan()
    wl.program(gmp.send(a))                  # never started: a never gets a value
    wl.main(gmp.reset(tk, 2 * MS),
            gmp.repeat(3, gmp.select(gmp.case_recv(a, gmp.span("chan")),
                                     gmp.case_recv(tk, gmp.span("tick")))),
            gmp.stop(tk))
    res = run(wl, engine)
    assert spans(res) == [("tick", 2 * MS), ("tick", 4 * MS), ("tick", 6 * MS)]
    assert timer_fires(res) == [(2 * MS, 0), (4 * MS, 0), (6 * MS, 0)]
    ev = res.events[res.events["kind"] == EV_WAIT]
    assert ev["arg"].tolist() == [WAIT_SELECT] * 3
    assert res.makespan_ns == 6 * MS


def test_the_channel_wins_at_1ms_and_the_tick_at_2ms(engine):
    # main: NewTicker(2ms), go producer (runnext), then two selects over a
    # and the ticker.  Select 1 at 0: nothing ready; main parks on a and
    # t.C (ticker heaped at 2 ms).  The producer runs at 0 and sleeps 1 ms.
    # At 1 ms its send finds main waiting on a: claimed (the a case),
    # readied; the producer exits.  Pass 3 at 1 ms: off t.C's queue,
    # unblockTimerChan makes the ticker a zombie; the chan body ends at
    # 1 ms.  Select 2 at 1 ms: the ticker is heaped (no maybeRunChan run),
    # its buffer empty, a empty: park, blockTimerChan revives the ticker,
    # which fires at 2 ms (whole ms after 1 ms) and wins: tick at 2 ms.
    wl = gmp.Workload()
    tk, a = wl.ticker(), wl.chan()
    producer = wl.program(gmp.sleep(1 * MS), gmp.send(a))
    wl.main(gmp.reset(tk, 2 * MS), gmp.go(producer),
            gmp.repeat(2, gmp.select(gmp.case_recv(a, gmp.span("chan")),
                                     gmp.case_recv(tk, gmp.span("tick")))),
            gmp.stop(tk))
    res = run(wl, engine)
    assert spans(res) == [("chan", 1 * MS), ("tick", 2 * MS)]
    assert timer_fires(res) == [(2 * MS, 0)]
    assert res.makespan_ns == 2 * MS


def test_a_select_the_channel_won_stops_watching_the_ticker(engine):
    # As above, the producer's send wins select 1 at 1 ms; pass 3's
    # unblockTimerChan leaves nobody watching the ticker, so it is a zombie
    # (when still 2 ms) and never runs while main sleeps 6 ms: the M's
    # timers.check drops it from the heap (a zombie head, or the forced
    # adjust), so the ticks at 2, 4, 6 ms do not happen.  Select 2 at 7 ms:
    # the ticker is in no heap and due, so maybeRunChan runs it inline
    # (delay 5 ms, next 2 + 2 * (1 + 5 // 2) = 8 ms); pass 1 takes its value:
    # tick at 7 ms, the only run.  (Were it still watched, it would have run
    # at 2, 4 and 6 ms.)
    wl = gmp.Workload()
    tk, a = wl.ticker(), wl.chan()
    producer = wl.program(gmp.sleep(1 * MS), gmp.send(a))
    sel = gmp.select(gmp.case_recv(a, gmp.span("chan")), gmp.case_recv(tk, gmp.span("tick")))
    wl.main(gmp.reset(tk, 2 * MS), gmp.go(producer), sel, gmp.sleep(6 * MS), sel,
            gmp.stop(tk))
    res = run(wl, engine)
    assert spans(res) == [("chan", 1 * MS), ("tick", 7 * MS)]
    assert timer_fires(res) == [(7 * MS, 0)]
    assert res.makespan_ns == 7 * MS


def test_a_timer_stopped_while_a_select_waits_never_wins_it(engine):
    # w's select at 0 (main sleeps): t (due 2 ms) and a are empty: w parks
    # on both, t joins P0's heap at 2 ms.  main at 1 ms: Stop makes t a
    # zombie with when 0; main sleeps to 3 ms.  The zombie never runs (the
    # M's timers.check drops it: a zombie head, or adjust forced by
    # zombies > len(heap) / 4), so w is still parked at 2 ms.  At 3 ms main
    # sends on a: w wins the a case, pass 3 unblocks t (nobody watches it
    # now); w's chan body ends at 3 ms, it sends on done, main exits at 3 ms.
    wl = gmp.Workload()
    t, a, done = wl.timer(), wl.chan(), wl.chan()
    w = wl.program(gmp.select(gmp.case_recv(t, gmp.span("timer")),
                              gmp.case_recv(a, gmp.span("chan"))),
                   gmp.send(done), name="w")
    wl.main(gmp.reset(t, 2 * MS), gmp.go(w), gmp.sleep(1 * MS), gmp.stop(t),
            gmp.sleep(2 * MS), gmp.send(a), gmp.recv(done))
    res = run(wl, engine)
    assert spans(res) == [("chan", 3 * MS)]
    assert timer_fires(res) == []
    assert res.makespan_ns == 3 * MS


def test_a_select_with_a_default_and_an_unexpired_timer_takes_the_default(engine):
    # t due at 2 ms.  Select 1 at 0 (t, a, default): maybeRunChan: not due;
    # the buffer is empty, a has no sender: the default runs at 0.  main
    # sleeps to 3 ms.  Select 2 (t, default; selectnbrecv): maybeRunChan
    # finds t due (2 <= 3) and in no heap (nobody ever blocked on it): it
    # runs now (EV_TIMER at 3 ms), its value fills the buffer, and the case
    # takes it: the timer body at 3 ms.
    wl = gmp.Workload()
    t, a = wl.timer(), wl.chan()
    wl.program(gmp.send(a))
    wl.main(gmp.reset(t, 2 * MS),
            gmp.select(gmp.case_recv(t, gmp.span("timer")), gmp.case_recv(a),
                       gmp.case_default(gmp.span("default"))),
            gmp.sleep(3 * MS),
            gmp.select(gmp.case_recv(t, gmp.span("timer")),
                       gmp.case_default(gmp.span("default"))))
    res = run(wl, engine)
    assert spans(res) == [("default", 0), ("timer", 3 * MS)]
    assert timer_fires(res) == [(3 * MS, 0)]


def test_ticks_nobody_watches_are_dropped_and_one_value_waits(engine):
    # NewTicker(2ms) at 0, nobody selects on it until 7 ms: in no heap, the
    # ticks at 2, 4, 6 ms never run.  Select 1 at 7 ms: maybeRunChan runs it
    # inline: delay = 7 - 2 = 5 ms, next = 2 + 2 * (1 + 5 // 2) = 8 ms, one
    # value in the one-slot buffer; pass 1 takes it: tick at 7 ms.  Select
    # 2 at 7 ms: not due (8 > 7), empty: park, the ticker joins the heap at
    # 8 ms and wins then: tick at 8 ms.
    wl = gmp.Workload()
    tk, a = wl.ticker(), wl.chan()
    wl.program(gmp.send(a))
    wl.main(gmp.reset(tk, 2 * MS), gmp.sleep(7 * MS),
            gmp.repeat(2, gmp.select(gmp.case_recv(tk, gmp.span("tick")),
                                     gmp.case_recv(a, gmp.span("chan")))))
    res = run(wl, engine)
    assert spans(res) == [("tick", 7 * MS), ("tick", 8 * MS)]
    assert timer_fires(res) == [(7 * MS, 0), (8 * MS, 0)]


def test_a_tick_that_finds_its_select_won_stays_in_the_buffer(engine):
    # w selects at 0 (main sleeps 1 ms): parks on t.C and a, the ticker in
    # P0's heap at 2 ms.  main wakes at 1 ms and computes 2 ms on P0's only
    # M: nobody checks timers at 2 ms.  At 3 ms main sends on a: w is
    # claimed (the a case) and readied into runnext, then main parks on
    # done.  findRunnable checks timers first: the ticker (due 2 ms) runs at
    # 3 ms, re-armed at 2 + 2 * (1 + 1 // 2) = 4 ms; its send drops w's
    # stale entry (the select is won) and, with no receiver, fills the
    # buffer.  w runs pass 3 (the ticker becomes a zombie): chan at 3 ms.
    # Select 2 at 3 ms: heaped, so no maybeRunChan run, but the buffer holds
    # the tick: ready in pass 1 (a has no sender): tick at 3 ms.  Select 3:
    # empty, park, the zombie revived, the 4 ms tick wins: tick at 4 ms.
    wl = gmp.Workload()
    tk, a, done = wl.ticker(), wl.chan(), wl.chan()
    sel = gmp.select(gmp.case_recv(tk, gmp.span("tick")), gmp.case_recv(a, gmp.span("chan")))
    w = wl.program(sel, sel, sel, gmp.send(done), name="w")
    wl.main(gmp.reset(tk, 2 * MS), gmp.go(w), gmp.sleep(1 * MS), gmp.cpu(2 * MS),
            gmp.send(a), gmp.recv(done), gmp.stop(tk))
    res = run(wl, engine)
    assert spans(res) == [("chan", 3 * MS), ("tick", 3 * MS), ("tick", 4 * MS)]
    assert timer_fires(res) == [(3 * MS, 0), (4 * MS, 0)]
    assert res.makespan_ns == 4 * MS


def test_a_select_left_with_a_stopped_timer_deadlocks_in_select(engine):
    # Stop clears when; the select's maybeRunChan has nothing to run, the
    # buffer is empty, a has no sender; pass 2's blockTimerChan does not add
    # an inactive timer, so main parks (select) with no timer anywhere and
    # nothing runnable: checkdead at 0, main shown [select].
    wl = gmp.Workload()
    t, a = wl.timer(), wl.chan()
    wl.program(gmp.send(a))
    wl.main(gmp.reset(t, 1 * MS), gmp.stop(t),
            gmp.select(gmp.case_recv(t), gmp.case_recv(a)))
    with pytest.raises(gmp.Deadlock, match=r"goroutine 1 \[select\]:") as exc:
        run(wl, engine)
    assert exc.value.time_ns == 0
    assert timer_fires(exc.value.result) == []


def test_reset_while_a_select_waits_moves_its_wake(engine):
    # w parks at 0 on t.C (due 5 ms, heaped) and a.  main at 1 ms:
    # Reset(1ms) marks the heaped timer modified, when 2 ms (timerchandrain:
    # the buffer is empty anyway).  The heap's stale 5 ms entry is fixed
    # when the M checks timers (minWhenModified 2 ms): t fires at 2 ms and
    # wins w's select: timer body at 2 ms; w sends on done, main exits.
    wl = gmp.Workload()
    t, a, done = wl.timer(), wl.chan(), wl.chan()
    wl.program(gmp.send(a))
    w = wl.program(gmp.select(gmp.case_recv(t, gmp.span("timer")),
                              gmp.case_recv(a, gmp.span("chan"))),
                   gmp.send(done), name="w")
    wl.main(gmp.reset(t, 5 * MS), gmp.go(w), gmp.sleep(1 * MS), gmp.reset(t, 1 * MS),
            gmp.recv(done))
    res = run(wl, engine)
    assert spans(res) == [("timer", 2 * MS)]
    assert timer_fires(res) == [(2 * MS, 0)]
    assert res.makespan_ns == 2 * MS


def test_a_blocked_timer_select_pays_the_select_costs_per_case(engine):
    # As tests/test_select.py's pass 3 test: w's pass 1 + 2 (select_base +
    # 2 * select_case = 210 ns) is charged to its M as park's extra, not to
    # w; when the tick wins it, pass 3 costs 2 * select_wake = 60 ns, then
    # the body 1 µs: w's running time is 1060 ns.  The timer's own
    # timer_fire and ready are 0 here.
    wl = gmp.Workload()
    tk, a, done = wl.ticker(), wl.chan(), wl.chan()
    wl.program(gmp.send(a))
    w = wl.program(gmp.select(gmp.case_recv(a), gmp.case_recv(tk, gmp.cpu(1 * US))),
                   gmp.send(done), name="w")
    wl.main(gmp.reset(tk, 2 * MS), gmp.go(w), gmp.recv(done), gmp.stop(tk))
    costs = zero_costs(select_base=10, select_case=100, select_wake=30)
    res = run(wl, engine, costs=costs)
    g = res.goroutines
    assert g[g["program"] == w.index]["running_ns"].tolist() == [1060]
    assert [arg for _, arg in timer_fires(res)] == [0]


def test_compiled_form_and_api(engine):
    # case_recv(t) compiles to SELCASE kind 3 (SEL_RECV_TIMER) with b the
    # timer's index; alone it is the plain <-t.C (TIMER_RECV).  An AfterFunc
    # timer has no channel.
    wl = gmp.Workload()
    t, tk, a = wl.timer(), wl.ticker(), wl.chan()
    wl.program(gmp.send(a))
    wl.main(gmp.reset(tk, 1 * MS), gmp.select(gmp.case_recv(a), gmp.case_recv(tk)),
            gmp.select(gmp.case_recv(tk)), gmp.stop(tk), gmp.select(gmp.case_recv(t),
                                                                    gmp.case_default()))
    cw = wl.compile()
    ops = [Opcode(o).name for o in cw.code[:, 0]]
    assert ops[:9] == ["TIMER_RESET", "SELECT", "SELCASE", "SELCASE", "SELEND", "SELEND",
                       "TIMER_RECV", "TIMER_STOP", "SELECT"]
    assert SEL_RECV_TIMER == 3
    assert cw.code[3].tolist()[:3] == [Opcode.SELCASE, SEL_RECV_TIMER, tk.index]
    assert cw.code[9].tolist()[:3] == [Opcode.SELCASE, SEL_RECV_TIMER, t.index]
    assert "recv timer=1" in cw.disassemble()
    f = wl.timer(func=wl.program(gmp.gosched()))
    with pytest.raises(TypeError, match=r"case_recv\(\) argument ch: .* AfterFunc"):
        gmp.case_recv(f)
    # The first tick (1 ms) wins the select; the lone receive takes the 2 ms one.
    assert run(wl, engine).makespan_ns == 2 * MS
