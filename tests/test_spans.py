"""gmp.span: each execution's (name, goid, start, end) in res.spans.

Expected values are derived by hand from the workload and a cost model with
every cost 0 (no CPU layer: cpus=None), so virtual time moves only for the
workload's own durations; both engines run with check=True.
"""

import math
import os

import numpy as np
import pytest
from hypothesis import HealthCheck, given, note, settings

import gmpcore as gmp
from gmpcore.costs import CostModel
from gmpcore.results import P_DTYPE, SPAN_DTYPE, Result
from gmpcore.spans import durations, quantiles
from gmpcore.strategies import examples, run_options, workloads
from zero_costs import zero_costs

pytestmark = pytest.mark.empty_runtime   # hand-derived: main starts alone (conftest)

ZERO = CostModel(**zero_costs())
US, MS = 1_000, 1_000_000


@pytest.fixture(params=["compiled", "reference"])
def engine(request):
    return request.param


def run(wl, engine, **kw):
    kw = {"gomaxprocs": 1, "cpus": None, "costs": ZERO, "check": True, **kw}
    return gmp.simulate(wl, engine=engine, **kw)


def rows(res):
    """(name, goid, start, end) tuples, names as strings, in the order they ended."""
    assert (res.spans["start_goid"] == res.spans["goid"]).all()     # same-goroutine spans
    return [(res.span_names[n], g, s, e) for n, g, s, e, _ in res.spans.tolist()]


def test_span_around_cpu_lasts_the_burst(engine):
    # Main starts at 0 and runs its 10 us burst without a stop: one row [0, 10 us].
    wl = gmp.Workload()
    wl.main(gmp.span("work", gmp.cpu("10us")))
    res = run(wl, engine)
    assert res.spans.dtype == SPAN_DTYPE
    assert rows(res) == [("work", 1, 0, 10 * US)]
    assert res.counters["spans_dropped"] == 0


def test_span_around_sleep_is_the_sleep_plus_the_wake_up(engine):
    # cpu(3us), then the span: the timer is due at 3 us + 1 ms.  Main's M,
    # the only one with work, blocks in netpoll until the timer (its wake-up
    # costs thread_wake + netpoll-related costs, all 0 here), runs the timer,
    # readies main and executes it at the same instant: the span lasts exactly
    # the sleep.
    wl = gmp.Workload()
    wl.main(gmp.cpu("3us"), gmp.span("nap", gmp.sleep("1ms")))
    res = run(wl, engine)
    assert rows(res) == [("nap", 1, 3 * US, 3 * US + MS)]


def test_span_includes_waiting_for_a_channel(engine):
    # Main starts the producer (runnext), opens the span at 0 and parks on the
    # receive; the producer runs 50 us and sends, readying main, then exits;
    # main runs at 50 us.  The span holds the whole wait.
    wl = gmp.Workload()
    ch = wl.chan()
    prod = wl.program(gmp.cpu("50us"), gmp.send(ch), name="producer")
    wl.main(gmp.go(prod), gmp.span("recv", gmp.recv(ch)))
    res = run(wl, engine)
    assert rows(res) == [("recv", 1, 0, 50 * US)]


def test_nested_spans(engine):
    # outer [0, 17 us] holds cpu 10 us, inner [10 us, 15 us], cpu 2 us; the
    # inner one ends first, so its row comes first.
    wl = gmp.Workload()
    wl.main(gmp.span("outer", gmp.cpu("10us"), gmp.span("inner", gmp.cpu("5us")),
                     gmp.cpu("2us")))
    res = run(wl, engine)
    assert res.span_names == ("outer", "inner")
    assert rows(res) == [("inner", 1, 10 * US, 15 * US), ("outer", 1, 0, 17 * US)]


def test_span_in_repeat_gives_one_row_per_iteration(engine):
    wl = gmp.Workload()
    wl.main(gmp.repeat(3, gmp.span("it", gmp.cpu("1us")), gmp.cpu("1us")))
    res = run(wl, engine)
    assert rows(res) == [("it", 1, 0, 1 * US), ("it", 1, 2 * US, 3 * US),
                         ("it", 1, 4 * US, 5 * US)]


def test_repeat_in_span_and_empty_span(engine):
    # An empty span records a zero-length row; a repeat inside a span is one row.
    wl = gmp.Workload()
    wl.main(gmp.span("all", gmp.repeat(4, gmp.cpu("2us")), gmp.span("empty")))
    res = run(wl, engine)
    assert rows(res) == [("empty", 1, 8 * US, 8 * US), ("all", 1, 0, 8 * US)]


def test_goids_are_the_goroutines_that_ran_the_span(engine):
    # One P: main (goid 1) starts workers 2, 3, 4 and waits.  Each worker's
    # span is its own 10 us burst; with zero costs they run back to back.
    # runnext takes the newest worker first: 4, then the run queue's 2, 3.
    wl = gmp.Workload()
    wg = wl.waitgroup()
    worker = wl.program(gmp.span("job", gmp.cpu("10us")), gmp.done(wg), name="worker")
    wl.main(gmp.add(wg, 3), gmp.go(worker, count=3), gmp.wait(wg))
    res = run(wl, engine)
    assert rows(res) == [("job", 4, 0, 10 * US), ("job", 2, 10 * US, 20 * US),
                         ("job", 3, 20 * US, 30 * US)]
    assert sorted(res.goroutines["goid"][1:].tolist()) == [2, 3, 4]


def test_two_procs_overlap(engine):
    # Two Ps, two workers of 10 us each: main opens the span at 0, both run
    # in parallel after the other P's M starts; each row lasts exactly 10 us.
    wl = gmp.Workload()
    wg = wl.waitgroup()
    worker = wl.program(gmp.span("job", gmp.cpu("10us")), gmp.done(wg))
    wl.main(gmp.add(wg, 2), gmp.go(worker, count=2), gmp.span("wait", gmp.wait(wg)))
    res = run(wl, engine, gomaxprocs=2)
    d = durations(res, "job")
    assert d.tolist() == [10 * US, 10 * US]
    jobs = res.spans[res.spans["name"] == 1]
    assert sorted(jobs["goid"].tolist()) == [2, 3]
    (wait,) = res.spans[res.spans["name"] == 0].tolist()
    assert wait[2] == 0 and wait[3] == jobs["end_ns"].max()


def test_exit_or_end_inside_a_span_records_nothing(engine):
    # The helper exits inside its span; the sleeper is still inside its span
    # when main returns at 1 us: neither ends a row.  Main's own span does.
    wl = gmp.Workload()
    quitter = wl.program(gmp.span("quit", gmp.cpu("1us"), gmp.exit()))
    sleeper = wl.program(gmp.span("nap", gmp.sleep("1ms")))
    wl.main(gmp.go(quitter), gmp.go(sleeper), gmp.span("main", gmp.cpu("5us")))
    res = run(wl, engine)
    assert [r[0] for r in rows(res)] == ["main"]


def test_max_spans_counts_the_rest(engine):
    wl = gmp.Workload()
    wl.main(gmp.repeat(5, gmp.span("it", gmp.cpu("1us"))))
    res = run(wl, engine, max_spans=2)
    assert rows(res) == [("it", 1, 0, 1 * US), ("it", 1, 1 * US, 2 * US)]
    assert res.counters["spans_dropped"] == 3
    assert len(run(wl, engine, max_spans=0).spans) == 0


def test_no_spans_means_none(engine):
    wl = gmp.Workload()
    wl.main(gmp.cpu("1us"))
    res = run(wl, engine)
    assert res.spans is None and res.span_names == ()
    assert "spans_dropped" not in res.counters
    assert not any(k.startswith("span_") for k in res.summary())


def test_engines_agree_with_default_costs():
    wl = gmp.Workload()
    ch = wl.chan(cap=4)
    wg = wl.waitgroup()
    worker = wl.program(gmp.each(ch, gmp.span("job", gmp.cpu(gmp.exponential("20us")),
                                              gmp.sleep("30us"))), gmp.done(wg))
    wl.main(gmp.add(wg, 4), gmp.go(worker, count=4),
            gmp.repeat(200, gmp.span("enqueue", gmp.send(ch))), gmp.close(ch), gmp.wait(wg))
    a = gmp.simulate(wl, gomaxprocs=2, seed=5, engine="compiled", check=True)
    b = gmp.simulate(wl, gomaxprocs=2, seed=5, engine="reference", check=True)
    assert a == b
    assert len(durations(a, "job")) == 200 and len(durations(a, "enqueue")) == 200


# ---------------------------------------------------------------- building

def test_span_checks_its_arguments():
    with pytest.raises(TypeError, match="non-empty str"):
        gmp.span("", gmp.cpu(1))
    with pytest.raises(TypeError, match="non-empty str"):
        gmp.span(3, gmp.cpu(1))
    with pytest.raises(TypeError, match="argument 1"):
        gmp.span("x", [gmp.cpu(1)])


def test_nesting_is_bounded():
    op = gmp.cpu(1)
    for _ in range(64):
        op = gmp.span("s", op)
    with pytest.raises(ValueError, match="nesting depth 65 .* MAX_LOOP_DEPTH = 64"):
        gmp.span("s", op)
    with pytest.raises(ValueError, match="nesting depth 65"):
        gmp.repeat(2, op)


def test_names_are_shared_and_disassembled():
    wl = gmp.Workload()
    w = wl.program(gmp.span("b", gmp.gosched()), gmp.span("a"))
    wl.main(gmp.span("a", gmp.go(w)))
    c = wl.compile()
    assert c.span_names == ("a", "b")
    assert c.loop_depth.tolist() == [1, 1]
    text = c.disassemble()
    assert "SPAN_BEGIN span=0 (a) depth=0" in text and "SPAN_END   span=1 (b) depth=0" in text


# ---------------------------------------------------------------- quantiles

def made(durs, names=("job",), name_of=None):
    n = len(durs)
    spans = np.zeros(n, dtype=SPAN_DTYPE)
    spans["name"] = 0 if name_of is None else name_of
    spans["goid"] = 1
    spans["start_ns"] = np.arange(n) * 1000
    spans["end_ns"] = spans["start_ns"] + np.asarray(durs)
    return Result(0, None, np.zeros(0, P_DTYPE), {}, spans=spans, span_names=names)


def test_quantiles_on_known_rows():
    # 0, 1, ..., 100 ns (shuffled): the q-quantile sits at rank 100 q; 99.9
    # lies between 99 and 100 and rounds to 100.
    durs = np.random.default_rng(1).permutation(101)
    assert quantiles(made(durs)) == {"job": {0.5: 50, 0.9: 90, 0.99: 99, 0.999: 100}}
    # Two names: each over its own rows; a name without rows is left out.
    res = made([5, 100, 7, 200, 9], names=("a", "b", "none"), name_of=[0, 1, 0, 1, 0])
    assert quantiles(res, qs=(0.5, 1.0)) == {"a": {0.5: 7, 1.0: 9}, "b": {0.5: 150, 1.0: 200}}
    s = res.summary()
    assert s["span_a_p50_ns"] == 7 and s["span_b_p50_ns"] == 150
    assert s["span_b_p99_ns"] == 199                    # 100 + 0.99 * 100
    assert math.isnan(s["span_none_p50_ns"])


def test_quantiles_refuse_bad_input():
    with pytest.raises(ValueError, match="in \\[0, 1\\]"):
        quantiles(made([1]), qs=(1.5,))
    with pytest.raises(KeyError, match="no span named 'x'"):
        durations(made([1]), "x")
    with pytest.raises(ValueError, match="no spans"):
        quantiles(Result(0, None, np.zeros(0, P_DTYPE), {}))


# ---------------------------------------------------------------- tables and files

def pool():
    wl = gmp.Workload()
    ch = wl.chan(cap=8)
    wg = wl.waitgroup()
    worker = wl.program(gmp.each(ch, gmp.span("job", gmp.cpu(gmp.exponential("10us")))),
                        gmp.done(wg))
    wl.main(gmp.add(wg, 3), gmp.go(worker, count=3), gmp.repeat(50, gmp.send(ch)),
            gmp.close(ch), gmp.wait(wg))
    return wl


def test_to_pandas_spans():
    pytest.importorskip("pandas")
    res = gmp.simulate(pool(), gomaxprocs=2, seed=3)
    df = res.to_pandas("spans")
    assert list(df.columns) == ["name", "name_index", "goid", "start_ns", "end_ns",
                                "duration_ns", "start_goid"]
    assert (df["name"] == "job").all() and len(df) == 50
    assert (df["duration_ns"] == df["end_ns"] - df["start_ns"]).all()
    wl = gmp.Workload()
    wl.main(gmp.cpu(1))
    with pytest.raises(ValueError, match="gmp.span"):
        gmp.simulate(wl).to_pandas("spans")


@pytest.mark.parametrize("suffix", [".npz", ".parquet"])
def test_save_load_round_trip(tmp_path, suffix):
    if suffix == ".parquet":
        pytest.importorskip("pyarrow")
    res = gmp.simulate(pool(), gomaxprocs=2, seed=3)
    path = os.path.join(tmp_path, "run" + suffix)
    res.save(path)
    back = gmp.load(path)
    assert back == res
    assert back.span_names == ("job",) and back.spans.dtype == SPAN_DTYPE
    assert np.array_equal(back.spans, res.spans)


def test_equals_sees_spans():
    res = gmp.simulate(pool(), gomaxprocs=2, seed=3)
    other = gmp.simulate(pool(), gomaxprocs=2, seed=3)
    assert res == other
    other.spans = other.spans.copy()
    other.spans["end_ns"][0] += 1
    assert res != other


# ---------------------------------------------------------------- random, both engines

@pytest.mark.filterwarnings("ignore:the monitor kept")
@settings(max_examples=examples(60), deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(wl=workloads(), opts=run_options())
def test_random_workloads_with_spans_agree(wl, opts):
    """Random workloads (their leaf ops include nested spans) give identical spans."""
    note(wl.compile().disassemble())
    opts = {k: v for k, v in opts.items()
            if k not in ("trace_window", "trace_goroutines", "max_trace_events")}
    out = []
    for engine in ("reference", "compiled"):
        try:
            out.append(gmp.simulate(wl, engine=engine, **opts))
        except gmp.GoFatalError as exc:
            out.append((type(exc), str(exc)))
    assert type(out[0]) is type(out[1])
    if isinstance(out[0], Result):
        a, b = out
        assert a.span_names == b.span_names
        assert (a.spans is None) == (b.spans is None)
        if a.spans is not None:
            assert np.array_equal(a.spans, b.spans)
            assert (a.spans["end_ns"] >= a.spans["start_ns"]).all()
        assert a == b
    else:
        assert out[0] == out[1]


def test_cli_summary_has_a_spans_row():
    from gmpcore.cli import summary
    wl = gmp.Workload()
    wl.main(gmp.repeat(3, gmp.span("it", gmp.cpu("2us"))), gmp.span("never", gmp.exit()))
    lines = summary(run(wl, "compiled", max_spans=2))
    rows = [line for line in lines if "it:" in line or "never" in line or "max_spans" in line]
    assert rows == ["  spans            it: p50 2µs  p99 2µs  (2 ended)",
                    "                   never: none ended",
                    "                   1 more not kept (max_spans)"]
    wl = gmp.Workload()
    wl.main(gmp.cpu(1))
    assert not any("spans" in line for line in summary(run(wl, "compiled")))


def test_sweep_can_name_span_metrics():
    # Each job is cpu(10us) alone on its P with zero costs: p50 = p99 = 10 us
    # whatever GOMAXPROCS.
    pytest.importorskip("xarray")
    wl = gmp.Workload()
    wg = wl.waitgroup()
    worker = wl.program(gmp.span("job", gmp.cpu("10us")), gmp.done(wg))
    wl.main(gmp.add(wg, 4), gmp.go(worker, count=4), gmp.wait(wg))
    ds = gmp.sweep(wl, {"gomaxprocs": [1, 2]}, metrics=["span_job_p50_ns", "span_job_p99_ns"],
                   costs=ZERO, cpus=None)
    assert ds["span_job_p50_ns"].values.ravel().tolist() == [10 * US, 10 * US]
    assert ds["span_job_p99_ns"].values.ravel().tolist() == [10 * US, 10 * US]


# ---------------------------------------------------------------- spans carried across goroutines

def carried(res):
    """(goid, start_goid, start, end) of each row, in the order they ended."""
    return [(g, sg, s, e) for _, g, s, e, sg in res.spans.tolist()]


def job_pool(cap, workers=1, jobs=3):
    # main (goid 1) starts the workers (goids 2..), then sends `jobs` jobs,
    # each after 1 us of CPU, each carrying its send time; then closes the
    # channel and waits.  A worker ends each job's span after 10 us of CPU.
    wl = gmp.Workload()
    ch, wg = wl.chan(cap=cap), wl.waitgroup()
    worker = wl.program(gmp.each(ch, gmp.cpu("10us"), gmp.span_end("job")), gmp.done(wg))
    wl.main(gmp.add(wg, workers), gmp.go(worker, count=workers),
            gmp.repeat(jobs, gmp.cpu("1us"), gmp.send(ch, span="job")), gmp.close(ch),
            gmp.wait(wg))
    return wl


def test_carried_spans_buffered_fifo(engine):
    # cap 3, one P: the worker waits in runnext while main runs.  main sends
    # at 1, 2, 3 us into the buffer (stamps 1, 2, 3 us in FIFO order), closes
    # and parks in Wait at 3 us.  The worker receives job 1 at 3 us, ends it
    # at 13 us, job 2 at 23 us, job 3 at 33 us; then the drained, closed
    # channel ends its loop (that receive carries nothing).
    res = run(job_pool(3), engine)
    assert res.span_names == ("job",)
    assert carried(res) == [(2, 1, 1 * US, 13 * US), (2, 1, 2 * US, 23 * US),
                            (2, 1, 3 * US, 33 * US)]
    assert res.counters["spans_unstamped"] == 0


def test_carried_spans_unbuffered(engine):
    # cap 0, one P.  1 us: main's send finds no receiver and parks holding
    # its stamp (1 us).  The worker runs: its receive takes the parked
    # sender's value and stamp and readies main; CPU to 11 us, row (1, 11).
    # It receives again: nobody waits, it parks at 11 us.  main runs: 12 us
    # send, a receiver is parked: hand-off of the stamp (12 us) straight to
    # it; 13 us send, the worker (readied, not yet running) is not parked:
    # main parks with stamp 13 us.  The worker runs at 13 us, row (12, 23);
    # its next receive takes main's parked value: row (13, 33).
    res = run(job_pool(0), engine)
    assert carried(res) == [(2, 1, 1 * US, 11 * US), (2, 1, 12 * US, 23 * US),
                            (2, 1, 13 * US, 33 * US)]


def select_pool(cap):
    # job_pool's worker, receiving through a select with a time.After(1 s)
    # case that never wins (no close: the worker takes exactly 3 jobs).
    wl = gmp.Workload()
    ch, wg = wl.chan(cap=cap), wl.waitgroup()
    worker = wl.program(gmp.repeat(3, gmp.select(
        gmp.case_recv(ch, gmp.cpu("10us"), gmp.span_end("job")),
        gmp.case_after("1s"))), gmp.done(wg))
    wl.main(gmp.add(wg, 1), gmp.go(worker),
            gmp.repeat(3, gmp.cpu("1us"), gmp.send(ch, span="job")), gmp.wait(wg))
    return wl


@pytest.mark.parametrize("cap, expected", [
    # cap 3: as test_carried_spans_buffered_fifo; each select finds a buffered
    # value ready in pass 1 (the 1 s timer is never heaped) and takes its stamp.
    (3, [(2, 1, 1 * US, 13 * US), (2, 1, 2 * US, 23 * US), (2, 1, 3 * US, 33 * US)]),
    # cap 0: as test_carried_spans_unbuffered; the 12 us job is handed to the
    # select parked in pass 2 (the sender's chan_send_try stamps the select's
    # G), the 1 us and 13 us ones are taken from the parked sender in pass 1.
    (0, [(2, 1, 1 * US, 11 * US), (2, 1, 12 * US, 23 * US), (2, 1, 13 * US, 33 * US)]),
])
def test_carried_spans_through_select(engine, cap, expected):
    res = run(select_pool(cap), engine, noise=False)
    assert carried(res) == expected
    assert res.counters["spans_unstamped"] == 0


def test_carried_spans_full_buffer_takes_the_parked_senders_stamp(engine):
    # cap 1, one P.  1 us: job 1 to the buffer.  2 us: full, main parks with
    # stamp 2 us.  The worker's receive takes the buffered job 1 (stamp
    # 1 us) and the parked sender's value fills the freed slot with its stamp
    # (2 us) at the tail: rows (1, 12), then (2, 22).  At 22 us the worker
    # parks; main sends job 3 at 23 us straight to it: row (23, 33).
    res = run(job_pool(1), engine)
    assert carried(res) == [(2, 1, 1 * US, 12 * US), (2, 1, 2 * US, 22 * US),
                            (2, 1, 23 * US, 33 * US)]


def test_carried_spans_worker_pool(engine):
    # Two workers (goids 2, 3), cap 3, one P; W2 sits in the queue, W3 in
    # runnext.  main buffers jobs at 1, 2, 3 us and parks at 3 us.  W3 runs
    # first: job 1, CPU 3-13 us (one P: W2 waits); row (3, 1, 13).  W3's
    # next receive takes job 2 (stamp 2 us) at 13 us, CPU to 23 us: row
    # (3, 2, 23), then job 3: row (3, 3, 33); sysmon does not preempt in
    # 30 us.  Then W3's receive finds the channel closed and drained: its
    # loop ends; W2 runs at 33 us, finds it closed too and ends.
    res = run(job_pool(3, workers=2), engine)
    assert carried(res) == [(3, 1, 1 * US, 13 * US), (3, 1, 2 * US, 23 * US),
                            (3, 1, 3 * US, 33 * US)]


def test_span_end_without_a_stamp_records_nothing(engine):
    # The worker receives an unstamped value (send without span=) and ends
    # "job": no row, counted.  Then a stamped one (sent at 0): a row; a second
    # span_end of the same stamp finds it ended: counted.  main's own
    # span_end (it received nothing) is counted too.
    wl = gmp.Workload()
    ch = wl.chan(cap=2)
    worker = wl.program(gmp.recv(ch), gmp.span_end("job"), gmp.recv(ch), gmp.span_end("job"),
                        gmp.span_end("job"))
    wl.main(gmp.send(ch), gmp.send(ch, span="job"), gmp.span_end("job"), gmp.go(worker))
    res = run(wl, engine, until="all")
    assert carried(res) == [(2, 1, 0, 0)]
    assert res.counters["spans_unstamped"] == 3


def test_closed_channel_receive_carries_nothing(engine):
    # The worker parks in recv; main closes the channel: the receive returns
    # the zero value, which carries no stamp, though main had sent a stamped
    # value before (received and ended by the worker first).
    wl = gmp.Workload()
    ch = wl.chan()
    worker = wl.program(gmp.recv(ch), gmp.span_end("job"), gmp.recv(ch), gmp.span_end("job"))
    wl.main(gmp.go(worker), gmp.send(ch, span="job"), gmp.sleep(MS), gmp.close(ch), gmp.sleep(MS))
    res = run(wl, engine)
    assert len(res.spans) == 1 and res.counters["spans_unstamped"] == 1


def test_carried_span_api():
    wl = gmp.Workload()
    ch = wl.chan()
    with pytest.raises(TypeError, match="send\\(\\) argument span must be a non-empty str"):
        gmp.send(ch, span="")
    with pytest.raises(TypeError, match="span_end\\(\\) argument name"):
        gmp.span_end(3)
    wl.main(gmp.send(ch, span="a"), gmp.span("b"), gmp.span_end("a"))
    with pytest.warns(gmp.GoroutineLeakWarning):       # nobody receives: fine to compile
        c = wl.compile()
    assert c.span_names == ("a", "b")
    assert c.code[0].tolist() == [gmp.Opcode.SEND, 0, 1, 0]          # b = name index + 1
    assert c.code[3].tolist() == [gmp.Opcode.SPAN_RECV_END, 0, 0, 0]


@pytest.mark.parametrize("suffix", [".npz", ".parquet"])
def test_carried_spans_save_load(tmp_path, suffix):
    if suffix == ".parquet":
        pytest.importorskip("pyarrow")
    res = run(job_pool(1), "compiled")
    path = os.path.join(tmp_path, "run" + suffix)
    res.save(path)
    back = gmp.load(path)
    assert back == res and np.array_equal(back.spans["start_goid"], [1, 1, 1])


def test_load_spans_saved_before_start_goid(tmp_path):
    # A file written before SPAN_DTYPE had start_goid: its spans began where
    # they ended (same-goroutine spans only), so start_goid = goid.
    res = run(job_pool(1), "compiled")
    path = os.path.join(tmp_path, "run.npz")
    res.save(path)
    with np.load(path, allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    old = np.dtype([(n, SPAN_DTYPE[n]) for n in ("name", "goid", "start_ns", "end_ns")])
    spans = np.zeros(len(arrays["spans"]), dtype=old)
    for n in old.names:
        spans[n] = arrays["spans"][n]
    arrays["spans"] = spans
    np.savez(path, **arrays)
    back = gmp.load(path)
    assert back.spans.dtype == SPAN_DTYPE
    assert back.spans["start_goid"].tolist() == back.spans["goid"].tolist() == [2, 2, 2]


@pytest.mark.parametrize("record_goroutines", [True, False])
def test_a_reused_row_carries_no_stamp(engine, record_goroutines):
    # The first worker receives a stamped job and exits without ending it;
    # the second (started after the first exited: main sleeps 1 ms between,
    # so the compiled engine without per-G records reuses the first one's
    # row; the reference never reuses rows) ends "job" without having
    # received anything: no row, one unstamped end.  (Without goexit's
    # reset, the compiled engine's reused row recorded a row here.)
    wl = gmp.Workload()
    ch = wl.chan(cap=1)
    first = wl.program(gmp.recv(ch))
    second = wl.program(gmp.span_end("job"))
    wl.main(gmp.send(ch, span="job"), gmp.go(first), gmp.sleep(MS), gmp.go(second),
            gmp.sleep(MS))
    res = run(wl, engine, record_goroutines=record_goroutines, record_events=False)
    assert len(res.spans) == 0 and res.counters["spans_unstamped"] == 1
