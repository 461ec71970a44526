"""simulate() checks every argument once, with a message naming it."""

import pytest

import gmpcore as gmp


def tiny():
    wl = gmp.Workload()
    wl.main(gmp.cpu("1us"))
    return wl


@pytest.mark.parametrize("kwargs, exc, match", [
    (dict(gomaxprocs=0), ValueError, r"gomaxprocs must be in \[1, 4096\], got 0"),
    (dict(gomaxprocs=5000), ValueError, r"gomaxprocs must be in \[1, 4096\]"),
    (dict(gomaxprocs="8"), TypeError, r"gomaxprocs must be an integer"),
    (dict(gomaxprocs=2.0), TypeError, r"gomaxprocs must be an integer"),
    (dict(gomaxprocs=True), TypeError, r"gomaxprocs must be an integer .* got bool"),
    (dict(seed=-1), ValueError, r"seed must be in"),
    (dict(seed="x"), TypeError, r"seed must be an integer"),
    (dict(costs=42), TypeError, r"costs must be a CostModel, a dict"),
    (dict(costs={"newproc": -5}), ValueError, r"newproc"),
    (dict(costs={"no_such_cost": 5}), TypeError, r"no_such_cost"),
    (dict(async_preempt=1), TypeError, r"async_preempt must be a bool"),
    (dict(runnext="yes"), TypeError, r"runnext must be a bool"),
    (dict(max_threads=1), ValueError, r"max_threads must be in \[2, 1000000\]"),
    (dict(max_stack=100), ValueError, r"max_stack must be in \[2048, "),
    (dict(until="forever"), ValueError, r'until must be "main" or "all"'),
    (dict(schedtrace="-1ms"), ValueError, r"schedtrace"),
    (dict(schedtrace=0), ValueError, r"schedtrace must be a positive duration"),
    (dict(schedtrace="soon"), ValueError, r"schedtrace"),
    (dict(record_events="no"), TypeError, r"record_events must be a bool"),
    (dict(max_events=0), ValueError, r"max_events must be in"),
    (dict(engine="fast"), ValueError, r"engine must be one of"),
])
def test_bad_arguments(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        gmp.simulate(tiny(), **kwargs)


@pytest.mark.parametrize("workload", [None, "main", 42, [gmp.cpu(1)]])
def test_workload_must_be_a_workload(workload):
    with pytest.raises(TypeError, match="workload must be a gmpcore.Workload"):
        gmp.simulate(workload)


def test_workload_without_main():
    with pytest.raises(ValueError, match="main"):
        gmp.simulate(gmp.Workload())


def test_compiled_workload_accepted_and_costs_overridable():
    wl = tiny()
    slow = gmp.simulate(wl.compile(), costs={"schedule": 10_000}, noise=False, runtime_init=False)
    fast = gmp.simulate(wl, costs={"schedule": 0}, noise=False, runtime_init=False)
    # main's one CPU microsecond starts after the first context switch.
    assert slow.makespan_ns - fast.makespan_ns == 10_000


def test_gomaxprocs_256():
    wl = gmp.Workload()
    wg = wl.waitgroup()
    w = wl.program(gmp.cpu("20us"), gmp.done(wg))
    wl.main(gmp.add(wg, 300), gmp.go(w, count=300), gmp.wait(wg))
    res = gmp.simulate(wl, gomaxprocs=256, seed=3)
    assert len(res.procs) == 256
    assert (res.goroutines["state"][~res.system] == 6).all()
    assert (res.procs["busy_ns"] > 0).sum() > 8      # the work spread over many Ps
