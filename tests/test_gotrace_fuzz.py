"""Malformed input: mutated real traces raise GoTraceError, never anything else.

Seeds are the traces recorded with Go (tests/data/gotrace/*.trace), Go's own
test traces (converted from text) and Go's FuzzReader seed corpus.
Mutations: bit flips, byte overwrites, truncations, deletions, insertions and
splices of two traces.  Every input must be read or refused with
gmp.GoTraceError (naming a byte offset within the input when it names one),
within a generous time bound (a hang fails the deadline; speed is not tested).
"""

from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import gmpcore as gmp
from test_gotrace_go_testdata import TESTS, go_unquote, parse_test

DATA = Path(__file__).parent / "data" / "gotrace"
SEEDS = ([p.read_bytes() for p in sorted(DATA.glob("*.trace"))]
         + [parse_test(p)[1] for p in TESTS])
GO_FUZZ = sorted((DATA / "go" / "fuzz").iterdir())


def read_or_refuse(data):
    try:
        tr = gmp.read_go_trace(data)
    except gmp.GoTraceError as exc:
        assert exc.offset is None or 0 <= exc.offset <= len(data), (exc.offset, len(data))
        return None
    assert (tr.events["time_ns"][1:] > tr.events["time_ns"][:-1]).all()
    tr.summary()        # the summaries of an accepted trace work too
    return tr


def test_recorded_seeds_are_read():
    for path in sorted(DATA.glob("*.trace")):
        assert read_or_refuse(path.read_bytes()) is not None


def go_fuzz_seed(path):
    """The []byte("...") of a `go test fuzz v1` file."""
    line = path.read_text().splitlines()[1]
    assert line.startswith("[]byte(") and line.endswith(")")
    return go_unquote(line[len("[]byte("):-1])


@pytest.mark.parametrize("path", GO_FUZZ, ids=[p.name for p in GO_FUZZ])
def test_go_fuzz_corpus(path):
    read_or_refuse(go_fuzz_seed(path))


def _frac(n):
    return st.floats(0, 1, exclude_max=True).map(lambda f: int(f * n))


mutation = st.one_of(
    st.tuples(st.just("flip"), st.floats(0, 1, exclude_max=True), st.integers(0, 7)),
    st.tuples(st.just("set"), st.floats(0, 1, exclude_max=True), st.integers(0, 255)),
    st.tuples(st.just("truncate"), st.floats(0, 1, exclude_max=True)),
    st.tuples(st.just("delete"), st.floats(0, 1, exclude_max=True), st.integers(1, 64)),
    st.tuples(st.just("insert"), st.floats(0, 1, exclude_max=True), st.binary(min_size=1, max_size=16)),
    st.tuples(st.just("splice"), st.floats(0, 1, exclude_max=True), st.integers(0, len(SEEDS) - 1),
              st.floats(0, 1, exclude_max=True)),
)


def mutate(data, muts):
    b = bytearray(data)
    for m in muts:
        if not b:
            break
        i = int(m[1] * len(b))
        if m[0] == "flip":
            b[i] ^= 1 << m[2]
        elif m[0] == "set":
            b[i] = m[2]
        elif m[0] == "truncate":
            del b[i:]
        elif m[0] == "delete":
            del b[i:i + m[2]]
        elif m[0] == "insert":
            b[i:i] = m[2]
        else:
            other = SEEDS[m[2]]
            b = b[:i] + other[int(m[3] * len(other)):]
    return bytes(b)


@settings(deadline=timedelta(seconds=30), max_examples=300)
@given(seed=st.integers(0, len(SEEDS) - 1), muts=st.lists(mutation, min_size=1, max_size=4))
def test_mutated_traces_raise_only_gotraceerror(seed, muts):
    read_or_refuse(mutate(SEEDS[seed], muts))


@settings(deadline=timedelta(seconds=30), max_examples=100)
@given(data=st.binary(max_size=200))
def test_random_bytes_after_a_header(data):
    for head in (b"go 1.22 trace\x00\x00\x00", b"go 1.26 trace\x00\x00\x00"):
        read_or_refuse(head + data)


def test_every_truncation_of_a_recorded_trace():
    data = (DATA / "mutex.trace").read_bytes()
    for n in range(len(data)):
        with pytest.raises(gmp.GoTraceError):
            gmp.read_go_trace(data[:n])


def test_error_names_offset_and_expectation():
    data = (DATA / "fanout.trace").read_bytes()
    with pytest.raises(gmp.GoTraceError, match=r"at byte \d+: expected"):
        gmp.read_go_trace(data[:40])
    with pytest.raises(gmp.GoTraceError, match="at byte 0: expected the header"):
        gmp.read_go_trace(b"not a trace")
    with pytest.raises(gmp.GoTraceError, match="go 1.21: the pre-1.22 format"):
        gmp.read_go_trace(b"go 1.21 trace\x00\x00\x00")
