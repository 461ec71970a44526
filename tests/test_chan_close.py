"""close(ch), receive on a closed channel, and each(ch, ...) (``for range ch``).

Known answers derived by hand from Go 1.25's runtime/chan.go
(shared/reference/go-runtime-wave2.md §2), never from running an engine.
Every run is checked (check=True), in both engines.

Conventions (as tests/test_known_answers.py): costs are 0 except the ones a
test names, one P unless a test says otherwise.  On one P, ``go`` puts the
new G in runnext and ``gosched`` puts main on the global queue, so
``go(r), gosched()`` runs r until it parks, then main again.
"""

import numpy as np
import pytest
from zero_costs import zero_costs

import gmpcore as gmp
from gmpcore.errors import WorkloadPanic
from gmpcore.events import G_DEAD, G_RUNNABLE
from gmpcore.workload import CompiledWorkload, Opcode

US = 1_000

pytestmark = [pytest.mark.parametrize("engine", ["compiled", "reference"]),
              pytest.mark.empty_runtime]   # hand-derived: main starts alone (conftest)


_costs = zero_costs                  # every runtime cost zero but those named


def _run(engine, wl, gomaxprocs=1, costs=None, **kw):
    kw.setdefault("seed", 1)
    kw.setdefault("noise", False)       # the answers are derived for exact costs
    return gmp.simulate(wl, gomaxprocs=gomaxprocs, engine=engine,
                        costs=costs or _costs(), check=True, **kw)


def _rows(res, program):
    """The goroutines of `program`, in goid (creation) order."""
    g = res.goroutines
    rows = g[g["program"] == program.index]
    return rows[np.argsort(rows["goid"])]


# ------------------------------------------------------------- range over a channel

def test_each_runs_its_body_once_per_buffered_value(engine):
    """cap 3: main sends 3 (all buffered), closes, then a consumer ranges.

    The consumer drains the buffer after the close (closed channels keep
    their values) and leaves the loop at the empty, closed buffer: its body,
    1 µs of CPU, runs exactly 3 times.
    """
    wl = gmp.Workload()
    ch, wg = wl.chan(cap=3), wl.waitgroup()
    cons = wl.program(gmp.each(ch, gmp.cpu("1us")), gmp.done(wg))
    wl.main(gmp.add(wg, 1), gmp.repeat(3, gmp.send(ch)), gmp.close(ch), gmp.go(cons),
            gmp.wait(wg))
    res = _run(engine, wl)
    assert _rows(res, cons)["running_ns"].tolist() == [3 * US]
    assert res.makespan_ns == 3 * US


def test_each_parked_consumer_leaves_its_loop_on_close(engine):
    """Unbuffered: the consumer parks in its range before any send.

    Each send hands a value over (or parks main until the consumer comes
    back), the body runs 3 times (3 µs), and the close wakes the parked
    consumer straight out of the loop; its done() wakes main at 3 µs.
    """
    wl = gmp.Workload()
    ch, wg = wl.chan(), wl.waitgroup()
    cons = wl.program(gmp.each(ch, gmp.cpu("1us")), gmp.done(wg))
    wl.main(gmp.add(wg, 1), gmp.go(cons), gmp.repeat(3, gmp.send(ch)), gmp.close(ch),
            gmp.wait(wg))
    res = _run(engine, wl)
    assert _rows(res, cons)["running_ns"].tolist() == [3 * US]
    assert res.makespan_ns == 3 * US


def test_each_nests_with_repeat(engine):
    """repeat(2, each(ch, repeat(3, cpu(1us)))) over 2 buffered values, closed.

    The first pass runs the body twice (6 µs); the second finds the channel
    closed and drained and ends at once.  each adds no loop level.
    """
    wl = gmp.Workload()
    ch = wl.chan(cap=2)
    wl.main(gmp.send(ch), gmp.send(ch), gmp.close(ch),
            gmp.repeat(2, gmp.each(ch, gmp.repeat(3, gmp.cpu("1us")))))
    assert wl.compile().loop_depth.tolist() == [2]
    res = _run(engine, wl)
    assert res.makespan_ns == 6 * US


# ------------------------------------------------------------- receive on closed

def test_receive_on_closed_channel_returns_at_once_after_the_buffer(engine):
    """cap 2: send, send, close, then 3 receives, each a chan_op (100 ns).

    The first two take the buffered values, the third gets the zero value
    without parking; close with no waiters is one chan_op: 6 chan_ops.
    """
    wl = gmp.Workload()
    ch = wl.chan(cap=2)
    wl.main(gmp.send(ch), gmp.send(ch), gmp.close(ch), gmp.repeat(3, gmp.recv(ch)))
    res = _run(engine, wl, costs=_costs(chan_op=100))
    assert res.makespan_ns == 600


def test_close_costs_a_chan_op_and_a_close_waiter_per_woken_receiver(engine):
    """Two receivers parked, then close: chan_op + 2 close_waiter (10 + 2 * 1000
    ns; `ready`, the cost of a plain goready, is not charged on top).

    go and gosched cost 0 here; main's receivers park at once (each park
    charges its chan_op on the receiver's M, not main's).
    """
    wl = gmp.Workload()
    ch = wl.chan()
    r = wl.program(gmp.recv(ch))
    wl.main(gmp.repeat(2, gmp.go(r), gmp.gosched()), gmp.close(ch))
    res = _run(engine, wl, costs=_costs(chan_op=10, close_waiter=1000, ready=7))
    main = res.goroutines[res.goroutines["goid"] == 1]
    assert main["running_ns"].tolist() == [10 + 2 * 1000]


# ------------------------------------------------------------- wake order

@pytest.mark.parametrize("receive", ["recv", "each"])
def test_close_wakes_every_receiver_first_one_into_runnext(engine, receive):
    """4 receivers r1..r4 park, in that order, on an unbuffered channel:
    main starts each and sleeps 1 µs, so each runs alone and parks (a
    gosched would not do: schedule's every-61st-tick look at the global
    queue can pick main before the new G).

    At time t (when main's last sleep ends) closechan pushes r1..r4 onto a
    gList (a LIFO) and readies them off it: r4, r3, r2, r1, each into
    runnext, kicking the previous one to the runq tail.  So runnext = r1 and
    the runq holds r4, r3, r2.  The closer keeps running (1 µs of CPU),
    then parks in wait; each receiver then runs 1 µs: r1 ends at t + 2 µs,
    r4 at t + 3, r3 at t + 4, r2 at t + 5, and main at t + 5.
    """
    wl = gmp.Workload()
    ch, wg = wl.chan(), wl.waitgroup()
    take = gmp.recv(ch) if receive == "recv" else gmp.each(ch)
    r = wl.program(take, gmp.cpu("1us"), gmp.done(wg))
    wl.main(gmp.add(wg, 4), gmp.repeat(4, gmp.go(r), gmp.sleep("1us")), gmp.close(ch),
            gmp.cpu("1us"), gmp.wait(wg))
    res = _run(engine, wl)
    r1, r2, r3, r4 = _rows(res, r)["finished"].tolist()
    t = r1 - 2 * US
    assert (r4, r3, r2) == (t + 3 * US, t + 4 * US, t + 5 * US)
    assert res.makespan_ns == t + 5 * US


# ------------------------------------------------------------- panics

def test_close_of_closed_channel_panics(engine):
    wl = gmp.Workload()
    ch = wl.chan()
    wl.main(gmp.close(ch), gmp.close(ch))
    with pytest.raises(WorkloadPanic, match="^panic: close of closed channel") as exc:
        _run(engine, wl)
    assert exc.value.goid == 1


@pytest.mark.parametrize("cap", [0, 1])
def test_send_on_closed_channel_panics(engine, cap):
    """Even with room in the buffer: chansend checks closed first."""
    wl = gmp.Workload()
    ch = wl.chan(cap=cap)
    wl.main(gmp.close(ch), gmp.send(ch))
    with pytest.warns(gmp.GoroutineLeakWarning):
        cw = wl.compile()
    with pytest.raises(WorkloadPanic, match="^panic: send on closed channel") as exc:
        _run(engine, cw)
    assert exc.value.goid == 1


def test_parked_sender_panics_when_it_runs(engine):
    """A sender (goid 2, main's P's next goid) parks; main closes, is still
    running, then sleeps: the sender, readied into runnext, resumes and
    panics with Go's message."""
    wl = gmp.Workload()
    ch = wl.chan()
    s = wl.program(gmp.send(ch))
    wl.main(gmp.go(s), gmp.gosched(), gmp.close(ch), gmp.sleep("1ms"))
    with pytest.warns(gmp.GoroutineLeakWarning):
        cw = wl.compile()
    with pytest.raises(WorkloadPanic, match="^panic: send on closed channel") as exc:
        _run(engine, cw)
    assert exc.value.goid == 2


def test_first_parked_sender_panics_first(engine):
    """Senders s1..s3 (goids 2..4, from P0's goid cache after main's 1) park
    in that order.  closechan readies them off its LIFO list: s3, s2, s1,
    each into runnext, so s1 runs first when main sleeps, and panics."""
    wl = gmp.Workload()
    ch = wl.chan()
    s = wl.program(gmp.send(ch))
    wl.main(gmp.repeat(3, gmp.go(s), gmp.sleep("1us")), gmp.close(ch), gmp.sleep("1ms"))
    with pytest.warns(gmp.GoroutineLeakWarning):
        cw = wl.compile()
    with pytest.raises(WorkloadPanic, match="^panic: send on closed channel") as exc:
        _run(engine, cw)
    assert exc.value.goid == 2


def test_parked_sender_that_never_runs_does_not_panic(engine):
    """As in Go: main returns right after the close, so the program ends
    before the readied sender runs; it is left runnable."""
    wl = gmp.Workload()
    ch = wl.chan()
    s = wl.program(gmp.send(ch))
    wl.main(gmp.go(s), gmp.gosched(), gmp.close(ch))
    with pytest.warns(gmp.GoroutineLeakWarning):
        res = _run(engine, wl)
    assert _rows(res, s)["state"].tolist() == [G_RUNNABLE]


# ------------------------------------------------------------- a worker pool

@pytest.mark.parametrize("gomaxprocs", [1, 2, 4])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_worker_pool_does_exactly_the_jobs_sent(engine, gomaxprocs, seed):
    """3 workers range over a jobs channel; main sends 10 jobs (10 does not
    divide among 3) and closes it.  Each job is 10 µs of CPU and nothing
    else costs time, so a worker's CPU is 10 µs per job it took: together
    exactly 10 jobs, every worker finished, whatever the split."""
    wl = gmp.Workload()
    jobs, wg = wl.chan(), wl.waitgroup()
    worker = wl.program(gmp.each(jobs, gmp.cpu("10us")), gmp.done(wg))
    wl.main(gmp.add(wg, 3), gmp.go(worker, count=3), gmp.repeat(10, gmp.send(jobs)),
            gmp.close(jobs), gmp.wait(wg))
    res = _run(engine, wl, gomaxprocs=gomaxprocs, seed=seed)
    rows = _rows(res, worker)
    assert (rows["running_ns"] % (10 * US) == 0).all()
    assert rows["running_ns"].sum() == 10 * 10 * US
    assert (rows["state"] == G_DEAD).all()


def test_worker_pool_with_default_costs_is_checked(engine):
    """The same pool with Go's costs on 4 Ps: it ends, checked, every worker done."""
    wl = gmp.Workload()
    jobs, wg = wl.chan(cap=4), wl.waitgroup()
    worker = wl.program(gmp.each(jobs, gmp.cpu("10us")), gmp.done(wg))
    wl.main(gmp.add(wg, 3), gmp.go(worker, count=3), gmp.repeat(100, gmp.send(jobs)),
            gmp.close(jobs), gmp.wait(wg))
    res = gmp.simulate(wl, gomaxprocs=4, engine=engine, seed=1, check=True)
    assert (_rows(res, worker)["state"] == G_DEAD).all()
    assert res.makespan_ns >= 100 * 10 * US // 3


# ------------------------------------------------------------- check mode

def test_check_mode_catches_a_closed_channel_with_waiters(engine):
    """The invariant both engines check: a closed channel has no parked
    goroutines.  A close that forgets to wake one (here: a reference engine
    whose closechan puts a receiver back) is reported."""
    if engine == "compiled":
        pytest.skip("the compiled engine's state cannot be broken from Python")
    from gmpcore.reference.engine import RefEngine

    class Broken(RefEngine):
        def closechan(self, m, g, chi):
            parked = list(self.chans[chi].recvq)
            super().closechan(m, g, chi)
            self.chans[chi].recvq.extend(parked[:1])

    wl = gmp.Workload()
    ch = wl.chan()
    r = wl.program(gmp.recv(ch))
    wl.main(gmp.go(r), gmp.sleep("1us"), gmp.close(ch))
    with pytest.raises(AssertionError, match="a closed channel has parked goroutines"):
        Broken(wl.compile(), gomaxprocs=1, check=True,
               costs=gmp.costs.CostModel(**_costs())).run()


# ------------------------------------------------------------- the static side

def test_a_closed_channel_satisfies_its_receivers(engine):
    """Received from and closed, never sent to: no leak warning; the range
    ends at once and the program ends."""
    import warnings

    wl = gmp.Workload()
    ch = wl.chan()
    wl.main(gmp.close(ch), gmp.each(ch, gmp.cpu("1us")), gmp.recv(ch))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        wl.compile()
    assert _run(engine, wl).makespan_ns == 0


def test_each_without_sends_or_close_warns(engine):
    wl = gmp.Workload()
    ch = wl.chan()
    wl.main(gmp.each(ch))
    with pytest.warns(gmp.GoroutineLeakWarning, match="received from but never sent to"):
        wl.compile()


def _forge(cw, pc, col, value):
    code = np.array(cw.code)
    code[pc, col] = value
    return CompiledWorkload(code=code, dists=cw.dists, entry=cw.entry, chan_cap=cw.chan_cap,
                            n_waitgroups=cw.n_waitgroups, loop_depth=cw.loop_depth,
                            program_names=cw.program_names, max_gomaxprocs=cw.max_gomaxprocs)


@pytest.mark.parametrize("pc, col, value, message", [
    (1, 3, 3, "RANGE: operand c \\(exit pc\\) must be 5"),
    (4, 1, 3, "ENDRANGE: operand a \\(range pc\\) must be 1"),
    (4, 0, Opcode.ENDLOOP, "ENDLOOP"),
    (1, 1, 1, "channel index"),
])
def test_forged_ranges_are_refused(engine, pc, col, value, message):
    wl = gmp.Workload()
    ch = wl.chan(cap=1)
    wl.main(gmp.send(ch), gmp.each(ch, gmp.cpu("1us"), gmp.close(ch)))
    cw = wl.compile()
    assert [Opcode(o).name for o in cw.code[:, 0]] == [
        "SEND", "RANGE", "CPU", "CLOSE", "ENDRANGE", "EXIT"]
    with pytest.raises(ValueError, match=message):
        _run(engine, _forge(cw, pc, col, value))


# ------------------------------------------------------------- both engines, one answer

def _pipeline(producers, per_producer, consumers, cap):
    """Go's fan-in: producers send, a closer waits for them and closes, and
    consumers range until the close; main waits for the consumers."""
    wl = gmp.Workload()
    ch, sent, done = wl.chan(cap=cap), wl.waitgroup(), wl.waitgroup()
    prod = wl.program(gmp.repeat(per_producer, gmp.cpu(gmp.uniform("1us", "3us")),
                                 gmp.send(ch)), gmp.done(sent), name="producer")
    closer = wl.program(gmp.wait(sent), gmp.close(ch), name="closer")
    cons = wl.program(gmp.each(ch, gmp.cpu("10us")), gmp.done(done), name="consumer")
    wl.main(gmp.add(sent, producers), gmp.add(done, consumers),
            gmp.go(cons, count=consumers), gmp.go(prod, count=producers), gmp.go(closer),
            gmp.wait(done))
    return wl, cons


@pytest.mark.parametrize("gomaxprocs, cap, seed", [
    (1, 0, 1), (2, 0, 2), (4, 0, 3), (4, 3, 4), (8, 1, 5), (3, 16, 6)])
def test_fan_in_pipeline_engines_agree(engine, gomaxprocs, cap, seed):
    """5 producers x 7 values, 4 consumers: the consumers' bodies run exactly
    35 times between them (350 µs of CPU with zero costs), and both engines
    give the very same run, event for event."""
    wl, cons = _pipeline(5, 7, 4, cap)
    kw = dict(gomaxprocs=gomaxprocs, seed=seed, record_events=True)
    res = _run(engine, wl, **kw)
    rows = _rows(res, cons)
    assert rows["running_ns"].sum() == 35 * 10 * US
    assert (rows["state"] == G_DEAD).all()
    other = _run("reference" if engine == "compiled" else "compiled", wl, **kw)
    assert res.equals(other)
    with_costs = [gmp.simulate(wl, gomaxprocs=gomaxprocs, seed=seed, engine=e, check=True,
                               record_events=True) for e in ("compiled", "reference")]
    assert with_costs[0].equals(with_costs[1])
