"""Go 1.23+ channel timers, tickers, AfterFunc and time.After (runtime/time.go,
time/sleep.go, time/tick.go; wave2 §4), on both engines with check=True.

Every expected value is derived by hand from Go's rules, restated at each
test.  Costs are zero (tests/zero_costs.py) and GOMAXPROCS is 1 unless said,
so that times are sums of the durations.  Times are whole milliseconds: an
idle M waits for the earliest timer in netpoll, whose epoll_wait timeout is
in whole milliseconds (NETPOLL_RESOLUTION), so it wakes exactly at a timer
due a whole number of ms later.
"""

import numpy as np
import pytest

import gmpcore as gmp
from gmpcore.events import EV_CREATE, EV_TIMER, EV_WAIT, WAIT_CHAN_RECEIVE, WAIT_SLEEP
from zero_costs import zero_costs

pytestmark = pytest.mark.empty_runtime   # hand-derived: main starts alone (conftest)

MS = 1_000_000


def run(wl, engine, **opts):
    opts.setdefault("costs", zero_costs())
    opts.setdefault("noise", False)     # the answers are derived for exact costs
    return gmp.simulate(wl, engine=engine, check=True, record_events=True, **opts)


def events(res, kind, g=None):
    ev = res.events[res.events["kind"] == kind]
    return ev if g is None else ev[ev["g"] == g]


def timer_fires(res):
    """(time, timer index) of each run of a Timer/Ticker/AfterFunc timer
    (EV_TIMER with g == -1; a sleeper's EV_TIMER names its G)."""
    ev = events(res, EV_TIMER)
    ev = ev[ev["g"] == -1]
    return list(zip(ev["time"].tolist(), ev["arg"].tolist()))


def test_a_timer_fires_at_exactly_d(engine):
    # NewTimer(3ms) at 0: a channel timer, in no heap (nobody waits).  <-t.C:
    # maybeRunChan finds it not yet due, the buffer empty: main parks (chan
    # receive) after blockTimerChan puts it in P0's heap.  The idle M polls
    # until 3 ms, runs it: sendTime hands the value to main.
    wl = gmp.Workload()
    t = wl.timer()
    wl.main(gmp.reset(t, 3 * MS), gmp.recv(t))
    res = run(wl, engine)
    assert res.makespan_ns == 3 * MS
    assert timer_fires(res) == [(3 * MS, 0)]
    assert events(res, EV_WAIT, g=0)["arg"].tolist() == [WAIT_CHAN_RECEIVE]


def test_a_timer_nobody_watches_runs_inline_at_the_receive(engine):
    # Go 1.23: the timer is never in a heap while nobody waits, so nothing
    # happens at 1 ms; at 2 ms the receive's maybeRunChan runs it (due, not
    # heaped): the value is in the buffer and the receive does not park.
    wl = gmp.Workload()
    t = wl.timer()
    wl.main(gmp.reset(t, 1 * MS), gmp.sleep(2 * MS), gmp.recv(t))
    res = run(wl, engine)
    assert res.makespan_ns == 2 * MS
    assert timer_fires(res) == [(2 * MS, 0)]
    assert events(res, EV_WAIT, g=0)["arg"].tolist() == [WAIT_SLEEP]


def test_reset_before_firing_moves_it(engine):
    # Reset(2ms) at 1 ms replaces the 5 ms setting: fires at 1 + 2 = 3 ms.
    wl = gmp.Workload()
    t = wl.timer()
    wl.main(gmp.reset(t, 5 * MS), gmp.sleep(1 * MS), gmp.reset(t, 2 * MS), gmp.recv(t))
    res = run(wl, engine)
    assert res.makespan_ns == 3 * MS
    assert timer_fires(res) == [(3 * MS, 0)]


def test_reset_later_of_a_heaped_timer_leaves_a_stale_entry_that_does_not_fire(engine):
    # w blocks on t.C at 0 (main's sleep lets it run): blockTimerChan puts t
    # in P0's heap at 2 ms.  At 1 ms main's Reset(3ms) marks it modified
    # (when 4 ms; the heap entry still says 2 ms; minWhenModified = 4 ms).
    # At 2 ms the idle M wakes for the stale entry: run() finds the head
    # modified and re-sifts it to 4 ms, firing nothing.  At 4 ms it fires and
    # readies w, which ends the WaitGroup: both end at 4 ms.
    wl = gmp.Workload()
    t, wg = wl.timer(), wl.waitgroup()
    w = wl.program(gmp.recv(t), gmp.done(wg))
    wl.main(gmp.add(wg, 1), gmp.reset(t, 2 * MS), gmp.go(w), gmp.sleep(1 * MS),
            gmp.reset(t, 3 * MS), gmp.wait(wg))
    res = run(wl, engine)
    assert res.makespan_ns == 4 * MS
    assert res.goroutines["finished"].tolist() == [4 * MS, 4 * MS]
    assert timer_fires(res) == [(4 * MS, 0)]


def test_stop_before_firing_a_later_receive_blocks_forever(engine):
    # Stop clears when; the receive's maybeRunChan has nothing to run, and
    # blockTimerChan does not add an inactive timer: main parks in chan
    # receive with no timer anywhere, and the last M finds a deadlock at 0.
    wl = gmp.Workload()
    t = wl.timer()
    wl.main(gmp.reset(t, 1 * MS), gmp.stop(t), gmp.recv(t))
    with pytest.raises(gmp.Deadlock, match=r"goroutine 1 \[chan receive\]:") as exc:
        run(wl, engine)
    assert exc.value.time_ns == 0
    assert timer_fires(exc.value.result) == []


def test_stop_of_a_heaped_timer_makes_a_zombie_the_local_check_purges(engine):
    # w blocks on t.C at 0: t is in P0's heap at 2 ms.  main's Stop at 1 ms
    # makes it a zombie, still in the heap; main then waits on the
    # WaitGroup.  The M's findRunnable runs timers.check on its own P: the
    # head (2 ms) is not due, but zombies (1) > len(heap) / 4 (0) forces the
    # purge, and run() drops the zombie head without running it.  No heap
    # holds a timer, every G is asleep: the deadlock is found at 1 ms, with
    # main in its WaitGroup wait and w in its receive.
    wl = gmp.Workload()
    t, wg = wl.timer(), wl.waitgroup()
    w = wl.program(gmp.recv(t), gmp.done(wg), name="w")
    wl.main(gmp.add(wg, 1), gmp.reset(t, 2 * MS), gmp.go(w), gmp.sleep(1 * MS),
            gmp.stop(t), gmp.wait(wg))
    with pytest.raises(gmp.Deadlock) as exc:
        run(wl, engine)
    assert exc.value.time_ns == 1 * MS
    assert [(g["goid"], g["wait_reason"]) for g in exc.value.goroutines] == [
        (1, "sync.WaitGroup.Wait"), (2, "chan receive")]
    assert timer_fires(exc.value.result) == []


def test_stop_after_fire_without_receiving_leaves_no_stale_value(engine):
    # The timer was due at 1 ms but nobody received (Go 1.23: it did not
    # run: no heap held it).  Stop at 2 ms clears when and drains t.C, so
    # the receive blocks: a deadlock at 2 ms (pre-1.23 it returned at once).
    wl = gmp.Workload()
    t = wl.timer()
    wl.main(gmp.reset(t, 1 * MS), gmp.sleep(2 * MS), gmp.stop(t), gmp.recv(t))
    with pytest.raises(gmp.Deadlock, match=r"goroutine 1 \[chan receive\]:") as exc:
        run(wl, engine)
    assert exc.value.time_ns == 2 * MS


def test_reset_after_fire_without_receiving_discards_the_old_value(engine):
    # As above, Reset(3ms) at 2 ms: the receive waits for the new setting,
    # 2 + 3 = 5 ms, not the 1 ms value.
    wl = gmp.Workload()
    t = wl.timer()
    wl.main(gmp.reset(t, 1 * MS), gmp.sleep(2 * MS), gmp.reset(t, 3 * MS), gmp.recv(t))
    res = run(wl, engine)
    assert res.makespan_ns == 5 * MS
    assert timer_fires(res) == [(5 * MS, 0)]


def test_a_ticker_delivers_at_p_2p_3p(engine):
    # NewTicker(2ms); each receive parks (the ticker joins the heap on the
    # first, comes back from zombie on the later ones) and is readied when
    # the tick runs at when; unlockAndRun re-arms at when + period.  The
    # four receives end at 2, 4, 6, 8 ms; Stop, then main exits at 8 ms.
    wl = gmp.Workload()
    tk = wl.ticker()
    wl.main(gmp.reset(tk, 2 * MS), gmp.repeat(4, gmp.span("tick", gmp.recv(tk))), gmp.stop(tk))
    res = run(wl, engine)
    assert res.spans["end_ns"].tolist() == [2 * MS, 4 * MS, 6 * MS, 8 * MS]
    assert timer_fires(res) == [(k * 2 * MS, 0) for k in (1, 2, 3, 4)]
    assert res.makespan_ns == 8 * MS


def test_a_ticker_nobody_watches_keeps_one_tick_and_skips_the_missed_ones(engine):
    # NewTicker(2ms) at 0, nobody receives until 7 ms: the ticker is in no
    # heap, so the ticks at 2, 4, 6 ms never run.  The receive at 7 ms runs
    # it inline (maybeRunChan): delay = 7 - 2 = 5 ms, next = 2 + 2 * (1 +
    # 5 // 2) = 8 ms, one value in the buffer, taken at once.  The second
    # receive parks until the 8 ms tick.  Receives end at 7 and 8 ms.
    wl = gmp.Workload()
    tk = wl.ticker()
    wl.main(gmp.reset(tk, 2 * MS), gmp.sleep(7 * MS),
            gmp.repeat(2, gmp.span("tick", gmp.recv(tk))))
    res = run(wl, engine)
    assert res.spans["end_ns"].tolist() == [7 * MS, 8 * MS]
    assert timer_fires(res) == [(7 * MS, 0), (8 * MS, 0)]


def test_a_slow_ticker_receiver_drops_ticks(engine):
    # The first receive parks and gets the 2 ms tick (re-armed at 4 ms);
    # main wakes and unblockTimerChan makes the ticker a zombie (nobody
    # waits), still in the heap at 4 ms.  main computes 5 ms of CPU, ending
    # at `end` (measured on the same run without the ticker: the burst's
    # own time, about 7 ms); P0's only M runs it, so nobody checks timers at
    # 4 or 6 ms.  At `end` the receive's maybeRunChan does nothing (the
    # ticker is heaped); the buffer is empty, so main parks; blockTimerChan
    # un-zombies it.  The M's timers.check runs it at `end`: delay = end - 4
    # ms (2 to 4 ms), next = 4 + 2 * (1 + 1) = 8 ms, main readied at `end`
    # (one tick for the 4 and 6 ms ones).  The last receive gets the 8 ms
    # tick, when the idle M's netpoll returns: epoll_wait's timeout is whole
    # ms, under 1 ms waits 1 ms, longer is rounded down (NETPOLL_RESOLUTION).
    wl = gmp.Workload()
    wl.main(gmp.sleep(2 * MS), gmp.cpu(5 * MS))
    end = run(wl, engine).makespan_ns
    assert 6 * MS <= end < 8 * MS
    wl = gmp.Workload()
    tk = wl.ticker()
    wl.main(gmp.reset(tk, 2 * MS), gmp.span("tick", gmp.recv(tk)), gmp.cpu(5 * MS),
            gmp.repeat(2, gmp.span("tick", gmp.recv(tk))))
    wait = 8 * MS - end
    tick3 = end + (MS if wait < MS else wait - wait % MS)
    res = run(wl, engine)
    assert res.spans["end_ns"].tolist() == [2 * MS, end, tick3]
    assert timer_fires(res) == [(2 * MS, 0), (end, 0), (tick3, 0)]


def test_ticker_reset_restarts_the_period_from_now(engine):
    # Tick at 2 ms; Reset(3ms) at 2 ms: the next tick at 2 + 3 = 5 ms.
    wl = gmp.Workload()
    tk = wl.ticker()
    wl.main(gmp.reset(tk, 2 * MS), gmp.recv(tk), gmp.reset(tk, 3 * MS), gmp.recv(tk))
    res = run(wl, engine)
    assert res.makespan_ns == 5 * MS
    assert timer_fires(res) == [(2 * MS, 0), (5 * MS, 0)]


def test_afterfunc_runs_its_program_in_a_new_goroutine_with_the_next_goid(engine):
    # AfterFunc(2ms, f): a func timer is heaped at once (needsAdd).  At 2 ms
    # the idle M runs it: goFunc's newproc on that M's P takes the next goid
    # of P0's cache (main has 1: 2), parent goid 0 (g0 runs timers), and the
    # G runs its 1 ms of CPU: it finishes at 3 ms; main at 5 ms.
    wl = gmp.Workload()
    f = wl.program(gmp.cpu(1 * MS), name="f")
    tf = wl.timer(func=f)
    wl.main(gmp.reset(tf, 2 * MS), gmp.sleep(5 * MS))
    res = run(wl, engine, until="all")
    gs = res.goroutines
    assert gs["goid"].tolist() == [1, 2]
    assert gs["parent"].tolist() == [0, 0]
    assert gs["created"].tolist() == [0, 2 * MS]
    assert gs["finished"].tolist() == [5 * MS, 3 * MS]
    assert timer_fires(res) == [(2 * MS, 0)]
    assert events(res, EV_CREATE)["time"].tolist() == [0, 2 * MS]


def test_afterfunc_stopped_never_runs(engine):
    # Stop at 1 ms makes the heaped func timer a zombie: dropped at 2 ms.
    wl = gmp.Workload()
    f = wl.program(gmp.cpu(1 * MS), name="f")
    tf = wl.timer(func=f)
    wl.main(gmp.reset(tf, 2 * MS), gmp.sleep(1 * MS), gmp.stop(tf), gmp.sleep(4 * MS))
    res = run(wl, engine, until="all")
    assert res.goroutines["goid"].tolist() == [1]
    assert res.makespan_ns == 5 * MS
    assert timer_fires(res) == []


def test_after_is_a_receive_from_a_fresh_timer(engine):
    # <-time.After(2ms), then <-time.After(3ms): 2 + 3 = 5 ms, each a park
    # in chan receive (not sleep), each fire through the channel-timer path.
    wl = gmp.Workload()
    wl.main(gmp.after(2 * MS), gmp.after(3 * MS), gmp.after(0))
    res = run(wl, engine)
    assert res.makespan_ns == 5 * MS
    assert events(res, EV_WAIT, g=0)["arg"].tolist() == [WAIT_CHAN_RECEIVE] * 2
    # time.After's timer is main's (G row 0): index len(timers) + 0 = 0;
    # After(0) is due at once and runs inline at the receive.
    assert timer_fires(res) == [(2 * MS, 0), (5 * MS, 0), (5 * MS, 0)]


def test_timers_on_different_ps_fire_in_when_order(engine):
    # Five goroutines each NewTimer(d) and receive; with GOMAXPROCS=4 they
    # spread over the Ps and each timer sits in the heap of the P its G ran
    # on.  The idle Ms poll until the earliest timer of any P
    # (checkTimersNoP) and stealWork runs other Ps' expired timers, so the
    # timers fire at their whens, in when order: d = 1..5 ms for w3, w1,
    # w4, w2, w0; each G finishes at its d.
    wl = gmp.Workload()
    wg = wl.waitgroup()
    ds = [5, 2, 4, 1, 3]
    ts = [wl.timer() for _ in ds]
    ws = [wl.program(gmp.reset(t, d * MS), gmp.recv(t), gmp.done(wg)) for t, d in zip(ts, ds)]
    wl.main(gmp.add(wg, len(ds)), *[gmp.go(w) for w in ws], gmp.wait(wg))
    res = run(wl, engine, gomaxprocs=4)
    assert timer_fires(res) == [(1 * MS, 3), (2 * MS, 1), (3 * MS, 4), (4 * MS, 2), (5 * MS, 0)]
    finished = dict(zip(res.goroutines["program"].tolist(), res.goroutines["finished"].tolist()))
    assert [finished[i + 1] for i in range(len(ds))] == [d * MS for d in ds]
    assert res.makespan_ns == 5 * MS
    assert len(set(res.events[(res.events["kind"] == EV_WAIT)]["p"].tolist())) > 1


def test_timer_channels_refuse_send_and_close_at_build_time():
    wl = gmp.Workload()
    t, tk = wl.timer(), wl.ticker()
    f = wl.timer(func=wl.program(gmp.cpu(1)))
    for op in (gmp.send, gmp.close):
        for h in (t, tk):
            with pytest.raises(TypeError, match="receive-only"):
                op(h)
    with pytest.raises(TypeError, match="receive-only"):
        gmp.each(t, gmp.cpu(1))
    with pytest.raises(TypeError, match="AfterFunc timer"):
        gmp.recv(f)
    with pytest.raises(ValueError, match="positive for a Ticker"):
        gmp.reset(tk, 0)
    with pytest.raises(TypeError, match="reset\\(\\) argument t"):
        gmp.reset(wl.chan(), 1)
    with pytest.raises(TypeError, match="Workload.timer\\(\\) argument func"):
        wl.timer(func=gmp.cpu(1))


def test_compiled_form_lists_timers():
    wl = gmp.Workload()
    f = wl.program(gmp.cpu(1), name="f")
    t, tk, tf = wl.timer(), wl.ticker(), wl.timer(func=f)
    wl.main(gmp.reset(t, 1), gmp.reset(tk, 2), gmp.reset(tf, 3), gmp.recv(t), gmp.recv(tk),
            gmp.stop(tf), gmp.after(4))
    c = wl.compile()
    assert c.timers.tolist() == [[0, -1], [1, -1], [2, 1]]
    assert c.code[:, 0].tolist()[:7] == [32, 32, 32, 34, 34, 33, 35]
    assert np.array_equal(c.code[:3, 1], [0, 1, 2])


def test_a_timer_due_at_time_zero_is_due_at_1ns(engine):
    # when 0 means a stopped timer; Go's clock is never 0, the model's starts
    # there: NewTimer(0) and After(0) at time 0 are due at 1 ns.  The receive
    # finds when (1 ns) > now (0): main parks, and the idle M's netpoll (1 ms
    # at least) runs it at 1 ms.
    wl = gmp.Workload()
    t = wl.timer()
    wl.main(gmp.reset(t, 0), gmp.recv(t), gmp.after(0))
    res = run(wl, engine)
    assert res.makespan_ns == 1 * MS
    assert timer_fires(res) == [(1 * MS, 0), (1 * MS, 1)]
