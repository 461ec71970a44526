"""Durations: Go's duration syntax and the distributions a workload samples from.

Every duration argument of a workload operation (``cpu(d)``, ``sleep(d)``, ...)
and of :func:`gmpcore.simulate` (``schedtrace``, ``monitor``, ``snapshot_at``,
``trace_window``) is one of

* an ``int``: nanoseconds, ``0 <= d <= MAX_DURATION``;
* a string in Go's syntax, parsed exactly as ``time.ParseDuration`` parses it
  (``"300ms"``, ``"2h45m"``, ``"1.5us"``, ``"1µs"``; units ns, us, µs, μs, ms,
  s, m, h; a bare number only for ``"0"``);
* a :class:`datetime.timedelta` (converted exactly: days, seconds and
  microseconds are integers) or a :class:`numpy.timedelta64` with a unit
  (converted exactly; years, months, ``NaT``, no unit and values that are not
  a whole number of nanoseconds are refused);
* a :class:`Distribution` built by :func:`constant`, :func:`uniform`,
  :func:`exponential` or :func:`lognormal` (where a distribution is allowed).

A bare ``float`` is refused, not read as seconds.  An ``int`` has always
meant nanoseconds, and it must keep meaning that; if a float meant seconds,
``cpu(1.0)`` and ``cpu(1)`` would differ by a factor of 10**9, and a value
that happens to be computed as a float (``n / 2``) would silently change
unit.  Float seconds go through a unit that says so: :func:`seconds`,
:func:`milliseconds` and :func:`microseconds` turn a number into exact
nanoseconds (rounded to the nearest ns), and ``"1.5s"`` or
``datetime.timedelta(seconds=1.5)`` work too.

Distributions become rows ``(kind, p1, p2)`` of the compiled ``dists`` array
(docs/simulator-design.md §1.2); the engines draw from them at run time.
Every draw is an integer in ``[0, MAX_DURATION]``: a draw above
``MAX_DURATION`` is clamped to it, and ``lognormal(0, sigma)`` draws 0 always,
whatever `sigma` (its median is 0, so every draw is ``0 * exp(...)``).
This module only builds the rows; the engines do the drawing.

Two decisions beyond the design contract:

* :func:`parse_duration` is Go's parser, negative results included, so
  :func:`format_duration` round-trips the whole int64 range.  Negative
  durations are rejected where a workload takes a duration, not by the parser.
* A workload duration is at most ``MAX_DURATION = 2**53`` ns (about 104 days):
  ``dists`` is float64, which holds every integer up to 2**53 exactly and
  would silently round larger ones.

>>> parse_duration("1.5us"), parse_duration("2h45m")
(1500, 9900000000000)
>>> format_duration(1500), format_duration(90 * 60 * 10**9)
('1.5µs', '1h30m0s')
>>> uniform("1us", "3us")
uniform(1µs, 3µs)
>>> import datetime
>>> constant(datetime.timedelta(milliseconds=2)), seconds(1.5)
(constant(2ms), 1500000000)
"""

import datetime
import decimal
import fractions
import math
import numbers
from dataclasses import dataclass

import numpy as np

__all__ = [
    "Distribution", "MAX_DURATION", "as_distribution", "constant", "duration_ns",
    "exponential", "format_duration", "lognormal", "microseconds", "milliseconds",
    "parse_duration", "seconds", "short_duration", "uniform",
]

MAX_DURATION = 2**53          # ns; the largest integer float64 holds exactly

# Distribution kinds: column 0 of `dists` (docs/simulator-design.md §1.2).
CONSTANT, UNIFORM, EXPONENTIAL, LOGNORMAL = 0, 1, 2, 3

_INT64_MAX = 2**63 - 1
_UNITS = {                    # time.unitMap
    "ns": 1,
    "us": 1_000,
    "µs": 1_000,              # U+00B5 micro sign
    "μs": 1_000,              # U+03BC Greek small letter mu
    "ms": 1_000_000,
    "s": 1_000_000_000,
    "m": 60_000_000_000,
    "h": 3_600_000_000_000,
}
_UNIT_LIST = "ns, us, µs, ms, s, m, h"


# ---------------------------------------------------------------- Go's syntax

def _digits(s, i):
    """End of the run of ASCII digits starting at ``s[i]`` (str.isdigit takes too much)."""
    while i < len(s) and "0" <= s[i] <= "9":
        i += 1
    return i


def parse_duration(s):
    """Parse a duration string exactly as Go's ``time.ParseDuration`` does.

    Parameters
    ----------
    s : str
        A possibly signed sequence of decimal numbers, each with an optional
        fraction and a unit suffix: ``"300ms"``, ``"-1.5h"``, ``"2h45m"``.
        Units are ns, us (or µs, μs), ms, s, m, h.  ``"0"`` is the only number
        allowed without a unit.

    Returns
    -------
    int
        Nanoseconds, in the int64 range.  Negative strings give negative values;
        workload operations reject them (see :func:`duration_ns`).

    Raises
    ------
    TypeError
        If `s` is not a str.
    ValueError
        If `s` is not a duration Go would accept, or overflows int64.

    Notes
    -----
    A fraction contributes ``trunc(float64(f) * (float64(unit) / 10**digits))``
    nanoseconds, computed in float64 as Go does, so results match Go bit for
    bit (e.g. ``"0.3333333333333333333h"`` is exactly 20m).

    Examples
    --------
    >>> parse_duration("1.5us"), parse_duration("1µs"), parse_duration("0")
    (1500, 1000, 0)
    >>> parse_duration("1h2m3s4ms5us6ns")
    3723004005006
    >>> parse_duration("-1.5h")
    -5400000000000
    >>> parse_duration("10")
    Traceback (most recent call last):
    ...
    ValueError: invalid duration '10': missing unit (one of ns, us, µs, ms, s, m, h)
    """
    if not isinstance(s, str):
        raise TypeError(f"a duration string must be a str, got {type(s).__name__} {s!r}")
    orig = s if len(s) <= 40 else s[:37] + "..."     # for messages
    neg = s[:1] == "-"
    if s[:1] in ("-", "+"):
        s = s[1:]
    if s == "0":                             # the one unitless number Go accepts
        return 0
    if s == "":
        raise ValueError(f"invalid duration {orig!r}: expected a number and a unit, "
                         f"like '300ms'")
    total, i, n = 0, 0, len(s)
    while i < n:
        if not (s[i] == "." or "0" <= s[i] <= "9"):
            raise ValueError(f"invalid duration {orig!r}: expected a number at {s[i:i + 20]!r} "
                             f"(durations look like '300ms', '1.5us', '2h45m')")
        # leadingInt: [0-9]*, overflowing above 2**63
        j = _digits(s, i)
        significant = s[i:j].lstrip("0")
        v = int(significant or "0") if len(significant) <= 20 else 2**64   # 2**64: overflow
        if v > 2**63:
            raise ValueError(f"invalid duration {orig!r}: out of range (int64 nanoseconds)")
        pre, i = j > i, j
        # leadingFraction: (\.[0-9]*)?, keeping digits only while they fit
        f, scale, post = 0, 1.0, False
        if i < n and s[i] == ".":
            j = _digits(s, i + 1)
            post = j > i + 1
            for c in s[i + 1:j]:
                y = f * 10 + ord(c) - 48
                if f > _INT64_MAX // 10 or y > 2**63:
                    break                    # Go stops accumulating precision
                f, scale = y, scale * 10
            i = j
        if not pre and not post:
            raise ValueError(f"invalid duration {orig!r}: a '.' needs digits on one side")
        j = i
        while j < n and not (s[j] == "." or "0" <= s[j] <= "9"):
            j += 1
        if j == i:
            raise ValueError(f"invalid duration {orig!r}: missing unit (one of {_UNIT_LIST})")
        unit = _UNITS.get(s[i:j])
        if unit is None:
            raise ValueError(f"invalid duration {orig!r}: unknown unit {s[i:j]!r} "
                             f"(one of {_UNIT_LIST})")
        i = j
        if v > 2**63 // unit:
            raise ValueError(f"invalid duration {orig!r}: out of range (int64 nanoseconds)")
        v *= unit
        if f > 0:
            # float64, as in Go: nanosecond-accurate for fractions of an hour
            v += int(float(f) * (float(unit) / scale))
        total += v
        if v > 2**63 or total > 2**63:
            raise ValueError(f"invalid duration {orig!r}: out of range (int64 nanoseconds)")
    if neg:
        return -total
    if total > _INT64_MAX:
        raise ValueError(f"invalid duration {orig!r}: out of range (int64 nanoseconds)")
    return total


def _frac(v, prec):
    """Go's fmtFrac: (digits of v % 10**prec without trailing zeros, v // 10**prec)."""
    digits = str(v % 10**prec).rjust(prec, "0").rstrip("0")
    return ("." + digits if digits else ""), v // 10**prec


def short_duration(ns, digits=3):
    """A duration in ns rounded for display, to `digits` significant digits.

    Unlike :func:`format_duration` (exact, for reading back), this is for
    tables, plots and reprs: ``636µs``, ``1.29ms``; ns may be a float.

    >>> short_duration(636_295), short_duration(1_294_991.4), short_duration(96.0)
    ('636µs', '1.29ms', '96ns')
    >>> short_duration(25_391_000, digits=4)
    '25.39ms'
    """
    ns = float(ns)
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if abs(ns) >= scale:
            return f"{ns / scale:.{digits}g}{unit}"
    return f"{ns:.{digits}g}ns"


def format_duration(ns):
    """Format nanoseconds as Go's ``time.Duration.String`` does.

    Parameters
    ----------
    ns : int
        A duration in nanoseconds, in the int64 range.

    Returns
    -------
    str
        ``"0s"`` for zero; below one second a single unit (ns, µs or ms) with
        a decimal fraction; otherwise hours, minutes and seconds, like
        ``"72h3m0.5s"``.  :func:`parse_duration` inverts it exactly.

    Examples
    --------
    >>> format_duration(0), format_duration(1500), format_duration(2_200_000)
    ('0s', '1.5µs', '2.2ms')
    >>> format_duration(90 * 60 * 10**9), format_duration(-(2**63))
    ('1h30m0s', '-2562047h47m16.854775808s')
    """
    if not _is_int(ns):
        raise TypeError(f"format_duration() needs an int number of nanoseconds, "
                        f"got {type(ns).__name__} {ns!r}")
    ns = int(ns)
    if not -(2**63) <= ns <= _INT64_MAX:
        raise ValueError(f"format_duration() argument ns must be in the int64 range, got {ns}")
    sign, u = ("-" if ns < 0 else ""), abs(ns)
    if u == 0:
        return "0s"
    if u < 1_000_000_000:
        # below a second: one unit with a fraction, like 1.2ms
        prec, unit = ((0, "ns") if u < 1_000 else (3, "µs") if u < 1_000_000 else (6, "ms"))
        frac, u = _frac(u, prec)
        return f"{sign}{u}{frac}{unit}"
    frac, secs = _frac(u, 9)
    mins, secs = divmod(secs, 60)
    hours, mins = divmod(mins, 60)
    out = f"{secs}{frac}s"
    if mins or hours:
        out = f"{mins}m{out}"
    if hours:                                # Go stops at hours: days vary in length
        out = f"{hours}h{out}"
    return sign + out


# ---------------------------------------------------------------- workload durations

def _is_int(x):
    # numpy.timedelta64 registers as numbers.Integral, but its int() is a count
    # of its own unit (or a datetime.timedelta), not nanoseconds.
    return (isinstance(x, numbers.Integral) and not isinstance(x, (bool, np.timedelta64)))


def _unit_ns(x, unit, where):
    """``round(x * unit)`` as an int, `x` any real number, computed exactly."""
    if isinstance(x, (bool, np.timedelta64)) or not isinstance(x, (numbers.Real,
                                                                   decimal.Decimal)):
        raise TypeError(f"{where} must be a real number, got {type(x).__name__} {x!r}")
    if isinstance(x, decimal.Decimal):
        finite = x.is_finite()
    else:
        finite = _is_int(x) or math.isfinite(x)
    if not finite:
        raise ValueError(f"{where} must be finite, got {x!r}")
    if not isinstance(x, (numbers.Rational, float, decimal.Decimal)):
        x = float(x)                       # numpy.float32, float16: exact as a float
    ns = int(round(fractions.Fraction(x) * unit))   # exact; ties to even
    if not -(2**63) <= ns <= _INT64_MAX:
        raise ValueError(f"{where} is out of range (int64 nanoseconds), got {x!r}")
    return ns


def seconds(x):
    """`x` seconds as an int number of nanoseconds, rounded to the nearest ns.

    Use it to pass float seconds where a duration is wanted: a bare float is
    refused there, because a bare int means nanoseconds.  The conversion is
    exact (no float rounding beyond the final nanosecond).

    Parameters
    ----------
    x : int, float, fractions.Fraction or decimal.Decimal
        A finite number of seconds.  Negative values convert too; workload
        operations reject them, as they reject ``"-1s"``.

    Returns
    -------
    int
        Nanoseconds, in the int64 range.

    Raises
    ------
    TypeError
        If `x` is not a real number (a str, a bool, ...).
    ValueError
        If `x` is NaN or infinite, or the result is outside int64.

    Examples
    --------
    >>> seconds(1.5), seconds(2), seconds(0.1), seconds(1e-10)
    (1500000000, 2000000000, 100000000, 0)
    >>> import gmpcore as gmp
    >>> gmp.cpu(seconds(0.25))
    cpu(250ms)
    """
    return _unit_ns(x, 1_000_000_000, "seconds() argument x")


def milliseconds(x):
    """`x` milliseconds as an int number of nanoseconds (see :func:`seconds`).

    >>> milliseconds(1.5), milliseconds(2)
    (1500000, 2000000)
    """
    return _unit_ns(x, 1_000_000, "milliseconds() argument x")


def microseconds(x):
    """`x` microseconds as an int number of nanoseconds (see :func:`seconds`).

    >>> microseconds(1.5), microseconds(0.0004)
    (1500, 0)
    """
    return _unit_ns(x, 1_000, "microseconds() argument x")


# numpy.timedelta64 units of fixed length, in ns (as fractions below 1 ns).
_NP_UNIT_NS = {
    "W": 7 * 86_400 * 10**9, "D": 86_400 * 10**9, "h": 3_600 * 10**9, "m": 60 * 10**9,
    "s": 10**9, "ms": 10**6, "us": 10**3, "μs": 10**3, "ns": 1,
    "ps": fractions.Fraction(1, 10**3), "fs": fractions.Fraction(1, 10**6),
    "as": fractions.Fraction(1, 10**9),
}


def _timedelta64_ns(value, where):
    unit, count = np.datetime_data(value.dtype)
    if np.isnat(value):
        raise ValueError(f"{where} must be a duration, got {value!r} (not a time)")
    if unit == "generic":
        raise ValueError(f"{where}: {value!r} has no unit; give one, "
                         f"e.g. numpy.timedelta64({int(value.astype(np.int64))}, 'ns')")
    if unit not in _NP_UNIT_NS:            # Y, M: not a fixed length
        raise ValueError(f"{where}: {value!r} is in {unit!r}, which has no fixed length "
                         f"in nanoseconds")
    ns = int(value.astype(np.int64)) * count * _NP_UNIT_NS[unit]
    if isinstance(ns, fractions.Fraction):
        if ns.denominator != 1:
            raise ValueError(f"{where}: {value!r} is not a whole number of nanoseconds")
        ns = int(ns)
    return ns


def _timedelta_ns(value):
    # Exact: timedelta keeps integer days, seconds and microseconds.  A
    # subclass with an integer `nanoseconds` component (pandas.Timedelta)
    # adds it; datetime.timedelta has none.
    ns = ((value.days * 86_400 + value.seconds) * 1_000_000 + value.microseconds) * 1_000
    extra = getattr(value, "nanoseconds", 0)
    return ns + extra if _is_int(extra) else ns


def duration_ns(value, where):
    """Validate one duration argument and return it in nanoseconds.

    Parameters
    ----------
    value : int, str, datetime.timedelta or numpy.timedelta64
        Nanoseconds (an int), a Go duration string, or a timedelta
        (converted exactly).
    where : str
        The argument for error messages, e.g. ``"cpu() argument d"``.

    Returns
    -------
    int
        ``0 <= ns <= MAX_DURATION``.

    Raises
    ------
    TypeError
        If `value` is none of the above.  A float is refused, because an int
        means nanoseconds: write ``"1.5s"``, ``seconds(1.5)`` or
        ``datetime.timedelta(seconds=1.5)`` for 1.5 seconds.
    ValueError
        If the string is not a Go duration, or the value is negative,
        non-finite or larger than ``MAX_DURATION``, or a timedelta64 has
        no fixed unit or is not a whole number of nanoseconds.

    Examples
    --------
    >>> duration_ns("1.5us", "cpu() argument d")
    1500
    >>> import datetime, numpy
    >>> duration_ns(datetime.timedelta(seconds=1.5), "cpu() argument d")
    1500000000
    >>> duration_ns(numpy.timedelta64(3, "ms"), "cpu() argument d")
    3000000
    >>> duration_ns("-1s", "sleep() argument d")
    Traceback (most recent call last):
    ...
    ValueError: sleep() argument d must be in [0, 2**53] ns, got '-1s' (-1000000000 ns)
    >>> duration_ns(1.5, "cpu() argument d")
    Traceback (most recent call last):
    ...
    TypeError: cpu() argument d must be an int number of nanoseconds, a Go duration string like '1.5us', a datetime.timedelta or a numpy.timedelta64, got float 1.5; an int means nanoseconds, so a float is refused rather than guessed: for 1.5 seconds write '1.5s', gmpcore.durations.seconds(1.5) or datetime.timedelta(seconds=1.5)
    """
    if isinstance(value, str):
        try:
            ns = parse_duration(value)
        except ValueError as err:
            raise ValueError(f"{where}: {err}") from None
    elif _is_int(value):
        ns = int(value)
    elif isinstance(value, datetime.timedelta):
        ns = _timedelta_ns(value)
    elif isinstance(value, np.timedelta64):
        ns = _timedelta64_ns(value, where)
    elif isinstance(value, numbers.Real) and not isinstance(value, bool) \
            and not math.isfinite(value):
        raise ValueError(f"{where} must be a finite duration, got {value!r}")
    else:
        hint = ""
        if isinstance(value, numbers.Real) and not isinstance(value, bool):
            x = repr(float(value))
            go = "" if "e" in x else f" '{x}s',"      # '1e-06s' is not Go syntax
            hint = (f"; an int means nanoseconds, so a {type(value).__name__} is refused "
                    f"rather than guessed: for {x} seconds write{go} "
                    f"gmpcore.durations.seconds({x}) or datetime.timedelta(seconds={x})")
        raise TypeError(f"{where} must be an int number of nanoseconds, a Go duration "
                        f"string like '1.5us', a datetime.timedelta or a numpy.timedelta64, "
                        f"got {type(value).__name__} {value!r}{hint}")
    if not 0 <= ns <= MAX_DURATION:
        shown = f"{ns} ns" if _is_int(value) else f"{value!r} ({ns} ns)"
        raise ValueError(f"{where} must be in [0, 2**53] ns, got {shown}")
    return ns


@dataclass(frozen=True, slots=True, repr=False)
class Distribution:
    """One row ``(kind, p1, p2)`` of ``dists`` (simulator-design.md §1.2): a distribution.

    Build it with :func:`constant`, :func:`uniform`, :func:`exponential` or
    :func:`lognormal`, which validate their arguments; equal distributions
    compare equal and share one row of the compiled ``dists`` array.

    Attributes
    ----------
    kind : int
        0 constant, 1 uniform, 2 exponential, 3 lognormal.
    p1 : int
        Nanoseconds: the value, the low bound, the mean or the median.
    p2 : int or float
        The high bound in ns (uniform), sigma (lognormal), else 0.
    """

    kind: int
    p1: int
    p2: float = 0

    def __post_init__(self):
        # The constructors give better messages; this guards direct construction.
        ok = (self.kind in (CONSTANT, UNIFORM, EXPONENTIAL, LOGNORMAL)
              and _is_int(self.p1) and 0 <= self.p1 <= MAX_DURATION)
        if ok and self.kind == UNIFORM:
            ok = _is_int(self.p2) and self.p1 <= self.p2 <= MAX_DURATION
        elif ok and self.kind == LOGNORMAL:
            ok = isinstance(self.p2, float) and math.isfinite(self.p2) and self.p2 >= 0
        elif ok:
            ok = self.p2 == 0
        if not ok:
            raise ValueError(f"invalid Distribution{(self.kind, self.p1, self.p2)}: "
                             "build distributions with constant(), uniform(), "
                             "exponential() or lognormal()")

    def row(self):
        """The ``dists`` row: ``(kind, p1, p2)`` as floats."""
        return (float(self.kind), float(self.p1), float(self.p2))

    def __repr__(self):
        f = format_duration
        if self.kind == CONSTANT:
            return f"constant({f(self.p1)})"
        if self.kind == UNIFORM:
            return f"uniform({f(self.p1)}, {f(int(self.p2))})"
        if self.kind == EXPONENTIAL:
            return f"exponential({f(self.p1)})"
        return f"lognormal({f(self.p1)}, {self.p2!r})"


def constant(d):
    """Always `d`.

    Examples
    --------
    >>> constant("10ms") == constant(10_000_000)
    True
    """
    return Distribution(CONSTANT, duration_ns(d, "constant() argument d"))


def uniform(low, high):
    """An integer number of ns drawn uniformly from ``[low, high]``, both ends included.

    Examples
    --------
    >>> uniform(0, "1ms")
    uniform(0s, 1ms)
    >>> uniform("2us", "1us")
    Traceback (most recent call last):
    ...
    ValueError: uniform() argument low (2µs) must be <= high (1µs)
    """
    lo = duration_ns(low, "uniform() argument low")
    hi = duration_ns(high, "uniform() argument high")
    if lo > hi:
        raise ValueError(f"uniform() argument low ({format_duration(lo)}) must be "
                         f"<= high ({format_duration(hi)})")
    return Distribution(UNIFORM, lo, hi)


def exponential(mean):
    """``round(mean * Exp(1))``: memoryless waits, e.g. request inter-arrival times.

    Examples
    --------
    >>> exponential("5ms")
    exponential(5ms)
    """
    return Distribution(EXPONENTIAL, duration_ns(mean, "exponential() argument mean"))


def lognormal(median, sigma):
    """``round(median * exp(sigma * N(0, 1)))``: right-skewed service times.

    Parameters
    ----------
    median : duration
        The median duration (an int of ns, a Go string or a timedelta).
    sigma : float
        The standard deviation of the log, finite and ``>= 0`` (0 is constant).

    Notes
    -----
    Like every distribution, a draw is clamped to ``[0, MAX_DURATION]``.  A
    median of 0 draws 0 always, whatever `sigma`: ``0 * exp(z)`` is 0 even
    where ``exp(z)`` overflows (``sigma * z > 709``), so an engine must not
    let the clamp for large ``exp(z)`` turn it into ``MAX_DURATION``.

    Examples
    --------
    >>> lognormal("1ms", 0.5)
    lognormal(1ms, 0.5)
    >>> lognormal(0, 1000.0)               # draws 0 every time
    lognormal(0s, 1000.0)
    >>> lognormal("1ms", -1)
    Traceback (most recent call last):
    ...
    ValueError: lognormal() argument sigma must be a finite float >= 0, got -1
    """
    med = duration_ns(median, "lognormal() argument median")
    if isinstance(sigma, (bool, np.timedelta64)) or not isinstance(sigma, numbers.Real):
        raise TypeError(f"lognormal() argument sigma must be a float, "
                        f"got {type(sigma).__name__} {sigma!r}")
    if not (math.isfinite(sigma) and sigma >= 0):
        raise ValueError(f"lognormal() argument sigma must be a finite float >= 0, got {sigma!r}")
    return Distribution(LOGNORMAL, med, float(sigma))


def as_distribution(value, where):
    """A :class:`Distribution` as is, or any other duration (see :func:`duration_ns`) as
    :func:`constant`.

    Examples
    --------
    >>> as_distribution("1us", "cpu() argument d")
    constant(1µs)
    """
    if isinstance(value, Distribution):
        return value
    return Distribution(CONSTANT, duration_ns(value, where))
