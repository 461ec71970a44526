"""``record_goroutines=False``: no per-G table, dead Gs' rows reused.

The compiled engine then reuses dead Gs' rows for new ones, as Go's
gfput/gfget reuse dead Gs.  The schedule must not notice: every figure the
run still reports (makespan, counters, procs, schedtrace, monitor, the
snapshot) must equal the same run with records, and the conservation checks
must hold after every event with rows being reused.
"""

import random

import numpy as np
import pytest
from hypothesis import HealthCheck, given, note, settings

import gmpcore as gmp
from gmpcore.scenarios import fanout
from gmpcore.strategies import (examples, random_options, random_workload, run_options,
                                 wild_run_options, wild_workloads, workloads)

SLOW_OK = [HealthCheck.too_slow, HealthCheck.data_too_large]


def outcome(wl, **opts):
    try:
        return ("ok", gmp.simulate(wl, **opts))
    except gmp.GoFatalError as exc:
        return ("error", type(exc), str(exc))


def _trace_key(text):
    """A schedtrace line, or a scheddetail block as far as it must not depend
    on row reuse: its G lines list the table's rows, as Go lists allgs, so
    dead Gs whose rows were reused drop out; the live Gs' lines are the same
    lines in another order."""
    lines = text.split("\n")
    others = [ln for ln in lines if not ln.startswith("  G")]
    live = sorted(ln for ln in lines if ln.startswith("  G") and " status=6(" not in ln)
    return others, live


def assert_same_schedule(wl, **opts):
    """The run with and without records: the same outcome in every figure."""
    full = outcome(wl, record_goroutines=True, **opts)
    lean = outcome(wl, record_goroutines=False, **opts)
    assert full[0] == lean[0], (full, lean)
    if full[0] != "ok":
        assert full[1:] == lean[1:]
        return full
    a, b = full[1], lean[1]
    assert b.goroutines is None and a.goroutines is not None
    assert a.makespan_ns == b.makespan_ns
    assert a.counters == b.counters
    assert np.array_equal(a.procs, b.procs)
    assert [_trace_key(t) for t in a.schedtrace] == [_trace_key(t) for t in b.schedtrace]
    assert (a.monitor is None) == (b.monitor is None)
    if a.monitor is not None:
        assert np.array_equal(a.monitor, b.monitor)
    if a.snapshot is not None:
        sa, sb = a.snapshot.as_dict(), b.snapshot.as_dict()
        # The snapshot names the Gs it shows by goid, so reused rows do not show.
        assert sa == sb
    return full


@settings(max_examples=examples(100), suppress_health_check=SLOW_OK)
@given(wl=workloads(), opts=run_options())
def test_random_workloads_same_schedule(wl, opts):
    note(wl.compile().disassemble())
    opts = {k: v for k, v in opts.items() if k != "record_events"}
    kind, *rest = assert_same_schedule(wl, **opts)
    assert kind == "ok", rest


@settings(max_examples=examples(40), suppress_health_check=SLOW_OK)
@given(wl=workloads(max_goroutines=60), opts=run_options())
def test_random_workloads_checked_with_reuse(wl, opts):
    """check=True: every live G in exactly one place after every event, while
    rows of dead Gs are handed to new ones."""
    note(wl.compile().disassemble())
    opts = {k: v for k, v in opts.items() if k != "record_events"}
    res = gmp.simulate(wl, record_goroutines=False, check=True, **opts)
    assert res.goroutines is None


@settings(max_examples=examples(60), suppress_health_check=SLOW_OK)
@given(wl=wild_workloads(), opts=wild_run_options())
def test_wild_workloads_fail_alike(wl, opts):
    """Deadlocks, panics, thread and stack exhaustion are the same without records."""
    note(wl.compile().disassemble())
    opts = {k: v for k, v in opts.items() if k != "record_events"}
    assert_same_schedule(wl, **opts)


@pytest.mark.parametrize("seed", range(12))
def test_seeded_larger_workloads_same_schedule(seed):
    rng = random.Random(seed)
    wl = random_workload(rng)
    opts = {k: v for k, v in random_options(rng).items() if k != "record_events"}
    kind, *rest = assert_same_schedule(wl, check=seed % 4 == 0, **opts)
    assert kind == "ok", rest


@pytest.mark.parametrize("engine", ["reference", "compiled"])
def test_both_engines_drop_the_records(engine):
    res = gmp.simulate(fanout(200), gomaxprocs=2, seed=3, engine=engine,
                       record_goroutines=False)
    assert res.goroutines is None
    assert res.makespan_ns == gmp.simulate(fanout(200), gomaxprocs=2, seed=3).makespan_ns


def test_schedtrace_detail_and_snapshot_without_records():
    wl = fanout(3000)
    kw = dict(gomaxprocs=4, seed=2, schedtrace="100us", snapshot_at="200us", monitor="50us")
    assert_same_schedule(wl, **kw)
    detail = gmp.simulate(wl, scheddetail=True, record_goroutines=False, **kw)
    # scheddetail lists the table's rows, as Go lists allgs: far fewer than
    # the Gs created, because dead Gs' rows were reused.
    g_lines = max(block.count("\n  G") for block in detail.schedtrace)
    assert 0 < g_lines < 3000


def test_table_stays_under_twice_the_live_goroutines():
    """A block of long-lived Gs made first, then many short-lived ones: the
    row walk must not add a row each time it crosses the live block (the
    table would grow with the Gs created); it adds rows only while fewer
    than half are dead.  scheddetail prints one G line per row."""
    longs, rounds, shorts = 2000, 400, 50
    wl = gmp.Workload()
    wg = wl.waitgroup()
    long = wl.program(gmp.sleep("1s"), gmp.done(wg))
    short = wl.program(gmp.cpu("1us"), gmp.done(wg))
    wl.main(gmp.add(wg, longs + rounds * shorts), gmp.go(long, count=longs),
            gmp.repeat(rounds, gmp.go(short, count=shorts), gmp.sleep("100us")),
            gmp.wait(wg))
    kw = dict(gomaxprocs=4, seed=1, schedtrace="10ms", monitor="5us")
    assert_same_schedule(wl, **kw)
    res = gmp.simulate(wl, scheddetail=True, record_goroutines=False, **kw)
    most_alive = longs + shorts + 1                     # each round's shorts finish in it
    assert res.monitor["goroutines"].max() <= most_alive
    rows = max(block.count("\n  G") for block in res.schedtrace)
    assert most_alive <= rows <= 2 * most_alive


def test_record_events_needs_records():
    with pytest.raises(ValueError, match="record_goroutines"):
        gmp.simulate(fanout(10), record_events=True, record_goroutines=False)
    with pytest.raises(TypeError, match="record_goroutines must be a bool"):
        gmp.simulate(fanout(10), record_goroutines=1)


def test_helpers_that_need_records_say_so():
    from gmpcore.leaks import leaks
    res = gmp.simulate(fanout(10), record_goroutines=False)
    with pytest.raises(ValueError, match="record_goroutines=False"):
        leaks(res)
    with pytest.raises(ValueError, match="record_goroutines=False"):
        res.state_names()


def test_fanout_table_follows_live_goroutines_not_created_ones():
    """The issue's fan-out: main outpaces the workers only until its time
    slice ends, so at most a fraction of the Gs are alive at once, and the
    table (one scheddetail G line per row) holds about that many rows, not
    one per G created.  Bytes are the asv benchmark's business
    (Memory.track_bytes_per_goroutine, records axis)."""
    n = 400_000
    res = gmp.simulate(fanout(n, "1us"), gomaxprocs=8, seed=1, record_goroutines=False,
                       schedtrace="20ms", scheddetail=True, monitor="1us")
    most_alive = int(res.monitor["goroutines"].max())
    rows = max(block.count("\n  G") for block in res.schedtrace)
    assert res.counters["goroutines"] == n + 1
    assert most_alive <= rows <= 2 * (most_alive + 16)  # + the Gs made between samples
    assert rows < n // 3                               # about a quarter here
