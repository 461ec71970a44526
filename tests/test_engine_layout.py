"""The compiled engine and the Python side agree on codes and on the G record."""

import numpy as np

import gmpcore.events as events
from gmpcore import _engine
from gmpcore.results import G_DTYPE


def test_codes_match_gmpcore_events():
    for name, value in _engine.CODES.items():
        assert getattr(events, name) == value, name


def test_g_dtype_views_the_engine_record_exactly():
    assert G_DTYPE.itemsize == _engine.G_BYTES == 64
    for name, offset in _engine.GREC_OFFSETS.items():
        assert G_DTYPE.fields[name][1] == offset, name
    # every result field is an engine field, and no two overlap
    spans = sorted((off, off + G_DTYPE.fields[n][0].itemsize) for n, off in
                   ((n, G_DTYPE.fields[n][1]) for n in G_DTYPE.names))
    assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:]))
    assert set(G_DTYPE.names) == set(_engine.GREC_OFFSETS)


def test_result_rows_are_the_engine_table_not_a_copy():
    import gmpcore as gmp
    from gmpcore.scenarios import fanout
    res = gmp.simulate(fanout(100), gomaxprocs=2, seed=1)
    rows = res.goroutines
    assert rows.dtype == G_DTYPE and rows.base is not None      # a view of the engine's table
    assert np.all(rows["stack"] == 2048) and rows["parent"][0] == 0


def test_span_dtype_views_the_engine_row_exactly():
    # SpanRow {int32 name; int32 goid; int64 start; int64 end; int64 start_goid}: no padding.
    from gmpcore.results import SPAN_DTYPE
    assert SPAN_DTYPE.itemsize == _engine.SPAN_BYTES == 32
    assert [SPAN_DTYPE.fields[n][1] for n in SPAN_DTYPE.names] == [0, 4, 8, 16, 24]
    import gmpcore as gmp
    wl = gmp.Workload()
    wl.main(gmp.repeat(100, gmp.span("s", gmp.cpu(1))))
    res = gmp.simulate(wl)
    assert res.spans.dtype == SPAN_DTYPE and res.spans.base is not None   # the engine's buffer
    assert len(res.spans) == 100
