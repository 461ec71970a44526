"""The leak report: goroutines alive when main exited, as goleak shows them."""

import numpy as np
import pytest

import gmpcore as gmp
from gmpcore import scenarios
from gmpcore.events import (
    G_DEAD, G_RUNNABLE, G_RUNNING, G_SYSCALL, G_WAITING, WAIT_CHAN_RECEIVE, WAIT_SLEEP,
)
from gmpcore.leaks import _goid_ranges, leak_report, leaks
from gmpcore.results import G_DTYPE, P_DTYPE, Result


def has_programs(res):
    return "program" in res.goroutines.dtype.names and len(res.program_names) > 0


def test_goroutine_leak_scenario():
    res = gmp.simulate(scenarios.goroutine_leak(n=100), gomaxprocs=4, seed=1)
    rows = leaks(res)
    assert len(rows) == 99
    assert (rows["state"] == G_WAITING).all()
    assert (np.diff(rows["goid"]) > 0).all()
    report = leak_report(res)
    lines = report.splitlines()
    assert lines[0] == "found unexpected goroutines: 99 in 1 group"
    first = int(rows["goid"][0])
    assert lines[2] == f"goroutine {first} [chan send]:"
    assert lines[4] == "created by main.main in goroutine 1"
    assert lines[5] == f"+ 98 more like it: goroutines {_goid_ranges(rows['goid'][1:].tolist())}"
    if has_programs(res):
        assert lines[3] == "main.searcher()"


def test_clean_fanout_reports_nothing():
    res = gmp.simulate(scenarios.fanout(n=500, work="5us"), gomaxprocs=4, seed=2)
    assert len(leaks(res)) == 0
    assert leaks(res).dtype == res.goroutines.dtype
    assert leak_report(res) == ""


def test_everything_finishes_with_until_all():
    wl = gmp.Workload()
    sleeper = wl.program(gmp.sleep("1ms"), name="sleeper")
    wl.main(gmp.go(sleeper, count=3))
    assert len(leaks(gmp.simulate(wl, gomaxprocs=2, seed=0))) == 3
    assert leak_report(gmp.simulate(wl, gomaxprocs=2, seed=0, until="all")) == ""


def synthetic(rows, names=("main", "worker", "", "spawner")):
    """A Result whose goroutines are (goid, parent, program, state, wait_reason) rows."""
    dt = G_DTYPE if "program" in G_DTYPE.names else np.dtype(
        G_DTYPE.descr[:2] + [("program", np.int32)] + G_DTYPE.descr[2:])
    gs = np.zeros(len(rows), dt)
    for i, (goid, parent, program, state, reason) in enumerate(rows):
        gs[i]["goid"], gs[i]["parent"], gs[i]["program"] = goid, parent, program
        gs[i]["state"], gs[i]["wait_reason"] = state, reason
    res = Result(makespan_ns=1000, goroutines=gs, procs=np.zeros(1, P_DTYPE), counters={})
    res.program_names = tuple(names)
    return res


def test_groups_states_and_creators():
    res = synthetic([
        (1, 0, 0, G_DEAD, 0),
        (2, 1, 3, G_WAITING, WAIT_CHAN_RECEIVE),     # a spawner, itself leaked
        (3, 2, 1, G_WAITING, WAIT_CHAN_RECEIVE),
        (4, 2, 1, G_WAITING, WAIT_CHAN_RECEIVE),
        (5, 2, 1, G_WAITING, WAIT_CHAN_RECEIVE),
        (7, 2, 1, G_WAITING, WAIT_CHAN_RECEIVE),
        (8, 1, 2, G_RUNNABLE, 0),
        (9, 1, 2, G_SYSCALL, 0),
        (10, 1, 2, G_RUNNING, 0),
        (11, 1, 1, G_WAITING, WAIT_SLEEP),
        (12, 2, 1, G_DEAD, 0),
    ])
    assert leaks(res)["goid"].tolist() == [2, 3, 4, 5, 7, 8, 9, 10, 11]
    assert leak_report(res) == "\n".join([
        "found unexpected goroutines: 9 in 6 groups",
        "",
        "goroutine 3 [chan receive]:",
        "main.worker()",
        "created by main.spawner in goroutine 2",
        "+ 3 more like it: goroutines 4-5, 7",
        "",
        "goroutine 2 [chan receive]:",
        "main.spawner()",
        "created by main.main in goroutine 1",
        "",
        "goroutine 8 [runnable]:",
        "main.main.func2()",
        "created by main.main in goroutine 1",
        "",
        "goroutine 9 [syscall]:",
        "main.main.func2()",
        "created by main.main in goroutine 1",
        "",
        "goroutine 10 [running]:",
        "main.main.func2()",
        "created by main.main in goroutine 1",
        "",
        "goroutine 11 [sleep]:",
        "main.worker()",
        "created by main.main in goroutine 1",
    ])


@pytest.mark.parametrize("goids, text", [
    ([5], "5"),
    ([3, 4, 5, 9], "3-5, 9"),
    ([2, 4, 6], "2, 4, 6"),
    (list(range(0, 40, 2)), "0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, ..."),
])
def test_goid_ranges(goids, text):
    assert _goid_ranges(goids) == text
