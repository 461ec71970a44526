"""Duration arguments: timedeltas, float seconds, and every entry point (issue 10).

Every duration argument goes through ``gmpcore.durations.duration_ns`` (or
``as_distribution``, which calls it): these tests pin that each public entry
point accepts ``datetime.timedelta`` and ``numpy.timedelta64`` exactly, and
that a bare float is refused with a message that says how to write seconds.
"""

import datetime
import decimal
import fractions

import numpy as np
import pytest

import gmpcore as gmp
import gmpcore.scenarios
from gmpcore import durations as du
from gmpcore.durations import microseconds, milliseconds, seconds

TD = datetime.timedelta

# ---------------------------------------------------------------- conversions


@pytest.mark.parametrize("value, ns", [
    (TD(0), 0),
    (TD(microseconds=1), 1_000),
    (TD(seconds=1.5), 1_500_000_000),
    (TD(milliseconds=2, microseconds=3), 2_003_000),
    (TD(days=3, seconds=7, microseconds=11), (3 * 86_400 + 7) * 10**9 + 11_000),
    (TD(days=104), 104 * 86_400 * 10**9),               # under 2**53 ns
])
def test_timedelta_is_exact(value, ns):
    assert du.duration_ns(value, "x") == ns


def test_timedelta_subclass_nanoseconds_component():
    # pandas.Timedelta is a timedelta subclass that adds an integer
    # `nanoseconds` component (0..999); it must not be dropped.
    class Timedelta(TD):
        nanoseconds = 7
    assert du.duration_ns(Timedelta(microseconds=5), "x") == 5_007


@pytest.mark.parametrize("value, ns", [
    (np.timedelta64(5, "ns"), 5),
    (np.timedelta64(1, "s"), 10**9),
    (np.timedelta64(3, "ms"), 3_000_000),
    (np.timedelta64(7, "us"), 7_000),
    (np.timedelta64(2, "m"), 120 * 10**9),
    (np.timedelta64(1, "h"), 3_600 * 10**9),
    (np.timedelta64(1, "D"), 86_400 * 10**9),
    (np.timedelta64(1, "W"), 7 * 86_400 * 10**9),
    (np.timedelta64(3, "10ms"), 30_000_000),             # a unit with a multiplier
    (np.timedelta64(2_000, "ps"), 2),
    (np.timedelta64(3_000_000, "fs"), 3),
    (np.timedelta64(2**52, "ns"), 2**52),
])
def test_timedelta64_is_exact(value, ns):
    assert du.duration_ns(value, "x") == ns


@pytest.mark.parametrize("value, match", [
    (np.timedelta64(5), "has no unit"),                  # was 5 ns
    (np.timedelta64(1, "Y"), "no fixed length"),
    (np.timedelta64(1, "M"), "no fixed length"),
    (np.timedelta64("NaT", "s"), "NaT"),
    (np.timedelta64(1_500, "ps"), "not a whole number of nanoseconds"),  # was 1500 ns
    (np.timedelta64(-1, "s"), r"must be in \[0, 2\*\*53\] ns"),
    (np.timedelta64(2**53 + 1, "ns"), r"must be in \[0, 2\*\*53\] ns"),
    (TD(microseconds=-1), r"must be in \[0, 2\*\*53\] ns, got datetime.timedelta.*\(-1000 ns\)"),
    (TD(days=105), r"must be in \[0, 2\*\*53\] ns"),
])
def test_timedelta_refused(value, match):
    with pytest.raises(ValueError, match=match):
        du.duration_ns(value, "cpu() argument d")


@pytest.mark.parametrize("value", [1.5, 1500.0, 0.0, np.float64(1.5), np.float32(2.0),
                                   fractions.Fraction(3, 2)])
def test_bare_float_refused_with_a_way_to_write_seconds(value):
    with pytest.raises(TypeError) as info:
        gmp.cpu(value)
    msg = str(info.value)
    assert msg.startswith("cpu() argument d must be an int number of nanoseconds")
    assert "an int means nanoseconds" in msg
    x = repr(float(value))
    assert f"'{x}s'" in msg and f"gmpcore.durations.seconds({x})" in msg
    assert f"datetime.timedelta(seconds={x})" in msg
    # ... and each suggestion works and means seconds.
    assert (du.duration_ns(f"{x}s", "x") == seconds(float(value))
            == du.duration_ns(TD(seconds=float(value)), "x"))


def test_float_hint_in_exponent_form_omits_the_go_string():
    with pytest.raises(TypeError) as info:
        gmp.sleep(1e-06)
    assert "'1e-06s'" not in str(info.value)
    assert "gmpcore.durations.seconds(1e-06)" in str(info.value)


def test_numpy_ints_still_mean_nanoseconds():
    assert du.duration_ns(np.int64(5), "x") == 5 and gmp.cpu(7) == gmp.cpu("7ns")


def test_format_duration_refuses_timedelta64():
    # numpy.timedelta64 registers as numbers.Integral; it is not a count of ns.
    with pytest.raises(TypeError, match="format_duration"):
        gmp.format_duration(np.timedelta64(2, "ms"))


# ---------------------------------------------------------------- seconds() & co


@pytest.mark.parametrize("fn, x, ns", [
    (seconds, 1.5, 1_500_000_000),
    (seconds, 2, 2_000_000_000),
    (seconds, 0.1, 100_000_000),
    (seconds, 1e-10, 0),
    (seconds, 2.5e-9, 3),                    # nearest: the float 2.5e-9 is just above 2.5 ns
    (seconds, fractions.Fraction(5, 2 * 10**9), 2),     # an exact tie: to even
    (seconds, 104 * 86_400.0, 104 * 86_400 * 10**9),
    (seconds, fractions.Fraction(1, 3), 333_333_333),
    (seconds, decimal.Decimal("1.0000000015"), 1_000_000_002),   # ties to even
    (seconds, np.float32(0.5), 500_000_000),
    (seconds, np.int64(3), 3 * 10**9),
    (seconds, -1.5, -1_500_000_000),         # like parse_duration("-1.5s")
    (milliseconds, 1.5, 1_500_000),
    (milliseconds, 0.0004, 400),
    (microseconds, 1.5, 1_500),
    (microseconds, 0.0004, 0),
])
def test_unit_helpers(fn, x, ns):
    got = fn(x)
    assert got == ns and type(got) is int


@pytest.mark.parametrize("x, exc, match", [
    (float("nan"), ValueError, "finite"),
    (float("inf"), ValueError, "finite"),
    (-float("inf"), ValueError, "finite"),
    (decimal.Decimal("NaN"), ValueError, "finite"),
    (1e300, ValueError, "out of range"),
    ("1.5", TypeError, "real number"),
    (True, TypeError, "real number"),
    (None, TypeError, "real number"),
    (np.timedelta64(1, "s"), TypeError, "real number"),
    (TD(seconds=1), TypeError, "real number"),
])
def test_unit_helpers_refuse(x, exc, match):
    with pytest.raises(exc, match=r"seconds\(\) argument x .*" + match):
        seconds(x)


def test_helper_result_is_checked_where_used():
    with pytest.raises(ValueError, match=r"cpu\(\) argument d must be in \[0, 2\*\*53\] ns"):
        gmp.cpu(seconds(-1))


# ---------------------------------------------------------------- every entry point

TWO_MS = ["2ms", 2_000_000, TD(milliseconds=2), np.timedelta64(2, "ms"), seconds(0.002)]


@pytest.mark.parametrize("make", [
    lambda d: gmp.cpu(d), lambda d: gmp.cpu(d, preemptible=False), lambda d: gmp.sleep(d),
    lambda d: gmp.syscall(d), lambda d: gmp.syscall(d, blocking=True), lambda d: gmp.netwait(d),
    lambda d: gmp.constant(d), lambda d: gmp.exponential(d), lambda d: gmp.lognormal(d, 0.5),
    lambda d: gmp.uniform(d, "1h"), lambda d: gmp.uniform(0, d),
])
@pytest.mark.parametrize("d", TWO_MS, ids=["str", "int", "timedelta", "timedelta64", "seconds"])
def test_workload_operations_and_distributions_accept_every_form(make, d):
    assert make(d) == make("2ms")


def test_timedelta_microsecond_rounding_is_timedeltas_own():
    # timedelta(microseconds=1.5) rounds to 2 µs (timedelta's own rule);
    # gmpcore converts what the timedelta holds, exactly.
    assert gmp.cpu(TD(microseconds=1.5)) == gmp.cpu("2us")


def test_distribution_inside_operation_accepts_timedeltas():
    assert gmp.cpu(gmp.uniform(TD(microseconds=1), np.timedelta64(3, "us"))) \
        == gmp.cpu(gmp.uniform("1us", "3us"))


def test_scenario_duration_argument_accepts_timedelta():
    a = gmp.simulate(gmp.scenarios.goroutine_leak(n=4, work=TD(microseconds=20)), 2, seed=1)
    b = gmp.simulate(gmp.scenarios.goroutine_leak(n=4, work="20us"), 2, seed=1)
    assert a.makespan_ns == b.makespan_ns


def _sim_workload():
    wl = gmp.Workload()
    wg = wl.waitgroup()
    worker = wl.program(gmp.cpu("300us"), gmp.sleep("200us"), gmp.done(wg), name="w")
    wl.main(gmp.add(wg, 20), gmp.go(worker, count=20), gmp.wait(wg))
    return wl


SIM_FORMS = {
    "str": lambda s: s,
    "timedelta": lambda s: TD(microseconds=du.parse_duration(s) // 1_000),
    "timedelta64": lambda s: np.timedelta64(du.parse_duration(s) // 1_000, "us"),
    "seconds": lambda s: seconds(du.parse_duration(s) / 1e9),
}


@pytest.mark.parametrize("form", SIM_FORMS)
def test_simulate_schedtrace_accepts_every_form(form):
    conv = SIM_FORMS[form]
    ref = gmp.simulate(_sim_workload(), 2, seed=3, schedtrace="1ms")
    got = gmp.simulate(_sim_workload(), 2, seed=3, schedtrace=conv("1ms"))
    assert got.schedtrace == ref.schedtrace and len(ref.schedtrace) > 0


@pytest.mark.parametrize("form", SIM_FORMS)
def test_simulate_monitor_accepts_every_form(form):
    conv = SIM_FORMS[form]
    ref = gmp.simulate(_sim_workload(), 2, seed=3, monitor="100us")
    got = gmp.simulate(_sim_workload(), 2, seed=3, monitor=conv("100us"))
    assert len(ref.monitor) > 1
    assert got.monitor.tobytes() == ref.monitor.tobytes()


@pytest.mark.parametrize("form", SIM_FORMS)
def test_simulate_snapshot_at_accepts_every_form(form):
    conv = SIM_FORMS[form]
    ref = gmp.simulate(_sim_workload(), 2, seed=3, snapshot_at="1ms")
    got = gmp.simulate(_sim_workload(), 2, seed=3, snapshot_at=conv("1ms"))
    assert ref.snapshot is not None and str(got.snapshot) == str(ref.snapshot)


@pytest.mark.parametrize("form", SIM_FORMS)
def test_simulate_trace_window_accepts_every_form(form):
    conv = SIM_FORMS[form]
    ref = gmp.simulate(_sim_workload(), 2, seed=3, record_events=True,
                       trace_window=("500us", "1ms"))
    got = gmp.simulate(_sim_workload(), 2, seed=3, record_events=True,
                       trace_window=(conv("500us"), conv("1ms")))
    assert 0 < len(ref.events) and got.events.tobytes() == ref.events.tobytes()


@pytest.mark.parametrize("kwargs", [
    dict(schedtrace=0.001), dict(monitor=1e-4), dict(snapshot_at=0.001),
    dict(trace_window=(0, 0.001), record_events=True),
])
def test_simulate_refuses_bare_float_seconds(kwargs):
    with pytest.raises(TypeError, match=r"an int means nanoseconds.*gmpcore\.durations\.seconds"):
        gmp.simulate(_sim_workload(), 2, seed=3, **kwargs)


# ---------------------------------------------------------------- lognormal


def test_lognormal_documents_median_zero_rule():
    doc = gmp.lognormal.__doc__
    assert "median of 0 draws 0 always" in doc and "709" in doc
    assert "lognormal(0, sigma)`` draws 0 always" in du.__doc__
