"""Regression tests for the fidelity review of the engines (go-scheduler.md
§3-§6): each pins down one behaviour where an earlier engine differed from
Go 1.25 on Linux."""

import pytest

import gmpcore as gmp
from gmpcore.costs import CostModel
from gmpcore.events import EV_RUN, EV_IO_READY

MS, US = 1_000_000, 1_000

# Each pins down a deviation found in the fidelity review
# (docs/fidelity-review.md), fixed in both engines together.


def test_syscall_resumes_at_the_next_instruction(sim):
    """After exitsyscall the G continues right after the call (§4.3)."""
    wl = gmp.Workload()
    wl.main(gmp.syscall("1us"), gmp.cpu("1ms"), gmp.cpu("2ms"))
    res = sim(wl)
    assert res.makespan_ns >= 3 * MS + 1 * US
    assert res.goroutines["running_ns"][0] >= 3 * MS


def test_syscall_loops_run_every_iteration(sim):
    """Eight goroutines hammering 10 µs syscalls make many calls each, and
    main, which blocks, still gets a P back (TestPreemptionAfterSyscall)."""
    wl = gmp.Workload()
    hammer = wl.program(gmp.repeat(10**9, gmp.syscall("10us")))
    wl.main(gmp.go(hammer, count=8), gmp.sleep("1ms"), gmp.cpu("1ms"))
    res = sim(wl, gomaxprocs=2, max_events=3_000_000)
    assert res.goroutines["state"][0] == 6, "main never finished"
    assert res.counters["syscalls"] > 8 * 20
    assert res.makespan_ns < 100 * MS


def test_sleep_zero_returns_at_once(sim):
    """time.Sleep(d <= 0) returns without a timer or a reschedule."""
    wl = gmp.Workload()
    wl.main(gmp.sleep(0), gmp.cpu("1us"))
    res = sim(wl, record_events=True, runtime_init=False)     # main alone in the log
    assert (res.events["kind"] == EV_RUN).sum() == 1     # main ran once, never parked


def test_open_intervals_are_closed_at_the_end(sim):
    """A G still running when main exits has its running time counted, and
    the Ps' busy time adds up to the Gs' running time."""
    wl = gmp.Workload()
    spin = wl.program(gmp.cpu("10ms"))
    wl.main(gmp.go(spin), gmp.sleep("1us"), gmp.cpu("5ms"))
    res = sim(wl, gomaxprocs=2)
    g = res.goroutines
    assert g["running_ns"][~res.system][1] >= 4 * MS
    assert g["running_ns"].sum() == res.procs["busy_ns"].sum()   # the runtime's Gs too


def test_schedtrace_first_line_is_sched_0ms(sim):
    """sysmon prints the first schedtrace line on its first loop (§6.1)."""
    wl = gmp.Workload()
    wl.main(gmp.cpu("25ms"))
    res = sim(wl, schedtrace="10ms", cpus=None)   # sysmon never waits for a CPU
    assert res.schedtrace[0].startswith("SCHED 0ms: gomaxprocs=1 ")
    stamps = [int(line.split()[1][:-3]) for line in res.schedtrace]
    assert stamps[:3] == [0, 10, 20] or stamps[1] in (10, 11), stamps


def test_blocking_netpoll_has_millisecond_resolution(sim):
    """On Linux an idle program's timers fire through epoll_wait's
    millisecond timeout: 100 sleeps of 50 µs take about 100 ms (§3.2 step 16)."""
    wl = gmp.Workload()
    wl.main(gmp.repeat(100, gmp.sleep("50us")))
    # Exact costs: with noise, a woken M that arrives late catches some
    # timers early (test_noise.py).
    res = sim(wl, gomaxprocs=4, noise=False)
    assert 95 * MS <= res.makespan_ns <= 130 * MS


def test_netpoll_returns_newest_first(sim):
    """netpollready pushes each ready G at the head of the list, so a poll
    hands back the most recently ready G first."""
    wl = gmp.Workload()
    waiter = wl.program(gmp.netwait("100us"), gmp.cpu("1us"))
    busy = wl.program(gmp.cpu("2ms"))
    # The three waiters run first and park in the netpoller; `busy` then
    # holds the only P while their fds become ready, so the next
    # findRunnable finds all three in one non-blocking poll.
    wl.main(gmp.go(waiter, count=2), gmp.go(busy), gmp.go(waiter), gmp.sleep("5ms"))
    res = sim(wl, gomaxprocs=1, record_events=True)
    ev = res.events
    io = ev[ev["kind"] == EV_IO_READY]
    ready = io["g"].tolist()
    assert len(ready) == 3
    later = ev[(ev["kind"] == EV_RUN) & (ev["time"] > io["time"].max())]
    runs = [g for g in later["g"].tolist() if g in ready]
    assert runs[0] == ready[-1]


def test_zero_time_loop_yields_to_the_event_loop(sim):
    """A loop of instructions that take no virtual time (here stack growth
    checks) still returns to the event loop now and then, so max_events,
    progress and Ctrl-C get through."""
    wl = gmp.Workload()
    wl.main(gmp.repeat(10**12, gmp.stack(1024)))
    res = sim(wl, max_events=50)
    assert res.counters["events"] <= 50
    assert res.goroutines["state"][0] != 6          # main is still looping


def test_async_preemption_costs_its_m_cpu_not_the_gs_work(sim):
    """SIGURG stops the G's work at once; the handler and gosched are CPU its
    M spends before rescheduling (cost-model.md: preempt_signal)."""
    wl = gmp.Workload()
    spin = wl.program(gmp.cpu("50ms", preemptible=False))
    wl.main(gmp.go(spin), gmp.cpu("50ms", preemptible=False))
    # On the ideal machine, so that sysmon's preemptions come on time, and
    # with main alone, so that its CPU time is its own work and its newproc.
    base = sim(wl, gomaxprocs=1, until="all", cpus=None, noise=False, runtime_init=False)
    slow = sim(wl, gomaxprocs=1, until="all", costs={"preempt_signal": 1 * MS}, cpus=None,
               noise=False, runtime_init=False)
    n = int(slow.goroutines["preemptions"].sum())
    assert n >= 4 and slow.makespan_ns >= 100 * MS
    # Every G still computes exactly its 50 ms ...
    # main: + newproc, + newproc_fresh (no free G yet: malg)
    c = CostModel()
    assert list(slow.goroutines["running_ns"]) == [50 * MS + c.newproc + c.newproc_fresh, 50 * MS]
    # ... and each preemption costs its M the extra signal time.
    assert slow.makespan_ns - base.makespan_ns >= (n - 1) * (MS - 860)


def test_a_fired_timer_charges_ready_too(sim):
    """checkTimers runs the timer and goready's the sleeper: timer_fire + ready."""
    wl = gmp.Workload()
    wl.main(gmp.repeat(100, gmp.sleep("10us")))
    base = sim(wl, costs={"ready": 0}, noise=False)
    slow = sim(wl, costs={"ready": 1_000}, noise=False)
    assert slow.makespan_ns - base.makespan_ns >= 100 * 1_000


def test_an_empty_nonblocking_netpoll_is_still_paid(sim):
    """findRunnable polls whenever Gs wait on the network (§3.2 step 10):
    polls that find nothing are counted but not logged."""
    wl = gmp.Workload()
    io = wl.program(gmp.netwait("2ms"))
    work = wl.program(gmp.repeat(200, gmp.cpu("5us"), gmp.gosched()))
    wl.main(gmp.go(io), gmp.go(work), gmp.go(work), gmp.cpu("3ms"))
    res = sim(wl, gomaxprocs=2, record_events=True)
    logged = int((res.events["kind"] == 14).sum())
    assert res.counters["netpolls"] > logged


def test_a_parking_channel_op_costs_chan_op(sim):
    """A receive that parks runs the channel code before gopark."""
    wl = gmp.Workload()
    ch = wl.chan()
    sender = wl.program(gmp.cpu("1us"), gmp.send(ch))
    wl.main(gmp.go(sender), gmp.recv(ch))
    base = sim(wl, costs={"chan_op": 0})
    slow = sim(wl, costs={"chan_op": 10 * US})
    # the receiver's park and the sender's handoff both run channel code
    assert slow.makespan_ns - base.makespan_ns >= 2 * 10 * US


def test_fatal_errors_carry_the_virtual_time(sim):
    wl = gmp.Workload()
    ch = wl.chan()
    other = wl.program(gmp.send(ch))             # never started: recv blocks forever
    wl.main(gmp.cpu("3us"), gmp.recv(ch), gmp.go(other))
    with pytest.raises(gmp.Deadlock) as info:
        sim(wl)
    assert info.value.time_ns is not None and info.value.time_ns >= 3 * US


def test_until_all_makespan_is_the_last_exit(sim):
    wl = gmp.Workload()
    late = wl.program(gmp.cpu("5ms"))
    wl.main(gmp.go(late), gmp.cpu("1ms"))
    res = sim(wl, gomaxprocs=2, until="all")
    assert res.makespan_ns == res.goroutines["finished"].max() > res.goroutines["finished"][0]
    assert sim(wl, gomaxprocs=2).makespan_ns == res.goroutines["finished"][0]
