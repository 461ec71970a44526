"""simulate's guards from issue 10: what is refused or warned about before
a run, what a fatal error carries, and Ctrl-C for runs in worker threads."""

import importlib
import os
import signal
import threading
import time
import warnings

import numpy as np
import pytest

import gmpcore as gmp

simulate_module = importlib.import_module("gmpcore.simulate")
ENGINES = ["compiled", "reference"]


def fan(n):
    wl = gmp.Workload()
    wg = wl.waitgroup()
    w = wl.program(gmp.cpu("1us"), gmp.done(wg))
    wl.main(gmp.add(wg, 1), gmp.go(w), gmp.repeat(10**6, gmp.go(w, count=n)), gmp.wait(wg))
    return wl


def test_records_beyond_memory_are_refused_up_front():
    """10**15 + 2 goroutines' records cannot fit anywhere: refused with the
    figure and the hint, before a single event (max_events bounds the run
    should the check be missing)."""
    with pytest.raises(ValueError, match=r"starts 1,000,000,000,000,002 goroutines.*"
                                         r"record_goroutines=False"):
        gmp.simulate(fan(10**9), max_events=10)
    # Without records the same workload starts (and is cut by max_events).
    res = gmp.simulate(fan(10**9), max_events=10, record_goroutines=False)
    assert res.counters["events"] == 10


def test_default_monitor_fits_its_budget():
    """At GOMAXPROCS 4096 a sample is 49,232 bytes (8 per field and per P, 4 per P
    in the result): 10**6 of them were 49 GB; 256 MiB holds 5,452."""
    wl = gmp.Workload()
    wl.main(gmp.cpu("10ms"))
    with pytest.warns(RuntimeWarning, match="kept its first 5,452 samples"):
        res = gmp.simulate(wl, gomaxprocs=4096, monitor="1ns")
    row = 8 * (10 + 4096) + 4 * 4096
    assert len(res.monitor) * row <= simulate_module.MONITOR_BUDGET
    assert len(res.monitor) == simulate_module.MONITOR_BUDGET // row


def test_monitor_beyond_memory_is_refused():
    with pytest.raises(ValueError, match="max_samples=1,099,511,627,776 monitor samples"):
        gmp.simulate(fan(1), gomaxprocs=64, monitor="1us", max_samples=2**40)


def test_monitor_that_ran_out_warns():
    wl = gmp.Workload()
    wl.main(gmp.cpu("1ms"))
    with pytest.warns(RuntimeWarning, match="kept its first 10 samples"):
        res = gmp.simulate(wl, monitor="1us", max_samples=10)
    assert len(res.monitor) == 10
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        gmp.simulate(wl, monitor="1ms", max_samples=10)       # enough: no warning


@pytest.mark.parametrize("option", [dict(trace_window=("0ms", "1ms")),
                                    dict(trace_goroutines=[1]), dict(max_trace_events=5)])
def test_log_filters_without_the_log_warn(option):
    wl = gmp.Workload()
    wl.main(gmp.cpu("1us"))
    name = next(iter(option))
    with pytest.warns(UserWarning, match=f"{name} filters the event log"):
        gmp.simulate(wl, **option)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        gmp.simulate(wl, record_events=True, **option)


# ---------------------------------------------------------------- fatal errors

@pytest.mark.parametrize("engine", ENGINES)
def test_deadlock_dumps_every_goroutine_and_keeps_the_run(engine):
    """Go's crash output lists every goroutine with its wait reason; ours
    does, in goid order, with how long each has waited."""
    wl = gmp.Workload()
    ch = wl.chan()
    wg = wl.waitgroup()
    stuck = wl.program(gmp.recv(ch), name="reader")
    sleeper = wl.program(gmp.sleep("2ms"), gmp.send(ch), gmp.send(ch), name="writer")
    wl.main(gmp.add(wg, 1), gmp.go(stuck, count=2), gmp.go(sleeper), gmp.wait(wg))
    with pytest.raises(gmp.Deadlock) as info:
        gmp.simulate(wl, gomaxprocs=2, engine=engine)
    exc = info.value
    text = str(exc)
    assert text.startswith("fatal error: all goroutines are asleep - deadlock!\n\n"
                           "goroutine 1 [sync.WaitGroup.Wait]:\nmain: waiting for ")
    # the readers got the writer's two values and exited; the writer blocked on a third?
    # no: two sends for two readers, so the writer exits too; main waits forever.
    assert [g["goid"] for g in exc.goroutines] == [1]
    assert exc.goroutines[0]["wait_reason"] == "sync.WaitGroup.Wait"
    # main has waited since it parked (right after starting three goroutines)
    # until the writer's sends at 2 ms let every other goroutine finish.
    assert 2_000_000 <= exc.goroutines[0]["waiting_ns"] <= exc.time_ns
    assert isinstance(exc.result, gmp.Result)
    assert exc.result.counters["goroutines"] == 4
    if exc.result.goroutines is not None:
        g = exc.result.goroutines
        assert g["state"][~exc.result.system].tolist() == [4, 6, 6, 6]
        assert (g["state"][exc.result.system] == 4).all()    # the runtime's, parked: not in the dump


@pytest.mark.parametrize("engine", ENGINES)
def test_panic_keeps_the_run(engine):
    wl = gmp.Workload()
    wg = wl.waitgroup()
    wl.main(gmp.cpu("5us"), gmp.done(wg))
    with pytest.raises(gmp.WorkloadPanic) as info:
        gmp.simulate(wl, engine=engine)
    assert info.value.result.goroutines["running_ns"][0] >= 5_000
    assert info.value.time_ns == info.value.result.makespan_ns


def test_many_goroutines_dump_alike_in_both_engines():
    from test_engine_differential import assert_same_outcome
    wl = gmp.Workload()
    chans = [wl.chan() for _ in range(3)]
    progs = [wl.program(gmp.cpu("3us"), gmp.recv(c), name=f"r{i}") for i, c in enumerate(chans)]
    wl.main(*[gmp.go(p, count=5) for p in progs], gmp.sleep("1ms"), gmp.recv(chans[0]))
    kind, *rest = assert_same_outcome(wl, gomaxprocs=3, seed=4)
    assert kind == "error" and rest[0] is gmp.Deadlock
    assert rest[1].count("\ngoroutine ") == 16


# ---------------------------------------------------------------- Ctrl-C in worker threads

@pytest.mark.skipif(os.name == "nt", reason="POSIX signals")
@pytest.mark.parametrize("engine", ENGINES)
def test_ctrl_c_stops_runs_in_worker_threads(engine):
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
        simulate_module._install_sigint_chain()          # imported outside the main thread
    wl = gmp.Workload()
    yielder = wl.program(gmp.repeat(10**15, gmp.gosched()))
    wl.main(gmp.go(yielder), gmp.sleep("1000h"))
    outcome = {}

    def work():
        try:
            gmp.simulate(wl, engine=engine)
            outcome["exc"] = None
        except BaseException as exc:              # noqa: BLE001 - what the thread saw
            outcome["exc"] = exc

    worker = threading.Thread(target=work, daemon=True)
    worker.start()
    time.sleep(0.3)
    with pytest.raises(KeyboardInterrupt):
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(5)                               # the handler raises here, in main
    worker.join(timeout=60)                          # a guard, not a timing assertion
    assert not worker.is_alive()
    assert isinstance(outcome["exc"], KeyboardInterrupt)
    assert "Ctrl-C in the main thread" in str(outcome["exc"])


def test_interrupt_runs_reaches_every_thread():
    wl = gmp.Workload()
    yielder = wl.program(gmp.repeat(10**15, gmp.gosched()))
    wl.main(gmp.go(yielder), gmp.sleep("1000h"))
    errors = []

    def work():
        try:
            gmp.simulate(wl)
        except KeyboardInterrupt as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, daemon=True) for _ in range(2)]
    for t in threads:
        t.start()
    while len(simulate_module._RUNNING) < 2:
        time.sleep(0.01)
    simulate_module.interrupt_runs()
    for t in threads:
        t.join(timeout=60)
    assert len(errors) == 2 and not simulate_module._RUNNING
