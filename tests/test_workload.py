"""Workload compilation (docs/simulator-design.md §1) and Go durations.

Expected bytecode is written by hand from the opcode table of §1.1, not copied
from the compiler's output.
"""

import dataclasses
import doctest
import importlib
import warnings

import numpy as np
import pytest

from gmpcore import durations as du
from gmpcore import workload as w
from gmpcore.durations import (
    constant, exponential, format_duration, lognormal, parse_duration, uniform,
)
from gmpcore.workload import (
    Workload, add, cpu, done, exit, go, gosched, netwait, recv, repeat, send, sleep, stack,
    syscall, wait,
)

# Opcodes, spelled out as in the table of §1.1.
EXIT, CPU, SYSCALL, SLEEP, NETWAIT, GO, GOSCHED, SEND, RECV = range(9)
WG_ADD, WG_WAIT, LOOP, ENDLOOP, STACK = range(9, 14)

US, MS, S, MIN, H = 10**3, 10**6, 10**9, 60 * 10**9, 3600 * 10**9


def assert_compiled(c, code, dists, entry, loop_depth, chan_cap=(), n_waitgroups=0):
    assert c.code.dtype == np.int64 and c.code.shape == (len(code), 4)
    assert c.code.tolist() == [list(row) for row in code]
    assert c.dists.dtype == np.float64 and c.dists.shape == (len(dists), 3)
    assert c.dists.tolist() == [list(map(float, row)) for row in dists]
    assert c.entry.dtype == np.int64 and c.entry.tolist() == list(entry)
    assert c.loop_depth.dtype == np.int64 and c.loop_depth.tolist() == list(loop_depth)
    assert c.chan_cap.dtype == np.int64 and c.chan_cap.tolist() == list(chan_cap)
    assert c.n_waitgroups == n_waitgroups


# ---------------------------------------------------------------- exact bytecode

def test_contract_example():
    wl = Workload()
    wg = wl.waitgroup()
    wl.chan(cap=0)                                   # unused: neither sent nor received
    worker = wl.program(cpu("1us"), done(wg), name="worker")
    wl.main(add(wg, 1_000_000), go(worker, count=1_000_000), wait(wg))
    c = wl.compile()
    assert_compiled(
        c,
        code=[(WG_ADD, 0, 1_000_000, 0), (GO, 1, 1_000_000, 0), (WG_WAIT, 0, 0, 0),
              (EXIT, 0, 0, 0),
              (CPU, 0, 1, 0), (WG_ADD, 0, -1, 0), (EXIT, 0, 0, 0)],
        dists=[(0, 1000, 0)],
        entry=[0, 4], loop_depth=[0, 0], chan_cap=[0], n_waitgroups=1)
    assert c.program_names == ("main", "worker")
    assert c.n_programs == 2


def test_every_simple_opcode():
    wl = Workload()
    ch, wg = wl.chan(cap=4), wl.waitgroup()
    sink = wl.program(recv(ch), exit(), gosched())
    wl.main(cpu("2ms", preemptible=False), syscall("50us"), sleep("1s"), netwait("2ms"),
            go(sink), gosched(), send(ch), add(wg, 2), wait(wg), stack("64KiB"), exit())
    assert_compiled(
        wl.compile(),
        code=[(CPU, 0, 0, 0), (SYSCALL, 1, 0, 0), (SLEEP, 2, 0, 0), (NETWAIT, 0, 0, 0),
              (GO, 1, 1, 0), (GOSCHED, 0, 0, 0), (SEND, 0, 0, 0), (WG_ADD, 0, 2, 0),
              (WG_WAIT, 0, 0, 0), (STACK, 65536, 0, 0), (EXIT, 0, 0, 0), (EXIT, 0, 0, 0),
              (RECV, 0, 0, 0), (EXIT, 0, 0, 0), (GOSCHED, 0, 0, 0), (EXIT, 0, 0, 0)],
        dists=[(0, 2 * MS, 0), (0, 50 * US, 0), (0, S, 0)],   # "2ms" is used twice
        entry=[0, 12], loop_depth=[0, 0], chan_cap=[4], n_waitgroups=1)


def test_repeat_layout():
    wl = Workload()
    wl.main(repeat(2, cpu(1), repeat(3, gosched()), sleep(5)), repeat(0, cpu(1)))
    assert_compiled(
        wl.compile(),
        code=[(LOOP, 2, 0, 7),          # counter[0] = 2; exit pc past pc 6
              (CPU, 0, 1, 0),
              (LOOP, 3, 1, 5),          # nested: depth 1
              (GOSCHED, 0, 0, 0),
              (ENDLOOP, 3, 1, 0),       # back to the body at pc 3
              (SLEEP, 1, 0, 0),
              (ENDLOOP, 1, 0, 0),
              (LOOP, 0, 0, 10),         # repeat(0, ...): count 0 jumps to pc 10
              (CPU, 0, 1, 0),
              (ENDLOOP, 8, 0, 0),
              (EXIT, 0, 0, 0)],
        dists=[(0, 1, 0), (0, 5, 0)],
        entry=[0], loop_depth=[2])


def test_empty_repeat_emits_nothing():
    wl = Workload()
    wl.main(repeat(5), repeat(2**62, repeat(3)), gosched())
    assert_compiled(wl.compile(), code=[(GOSCHED, 0, 0, 0), (EXIT, 0, 0, 0)], dists=[],
                    entry=[0], loop_depth=[0])


def test_recursive_program_and_forward_reference():
    wl = Workload()
    fork = wl.program(name="fork")
    later = wl.program()
    wl.main(go(fork, count=2), go(later))
    fork.define(repeat(2, go(fork, count=0)))
    later.define()                                   # an empty program: just EXIT
    assert_compiled(
        wl.compile(),
        code=[(GO, 1, 2, 0), (GO, 2, 1, 0), (EXIT, 0, 0, 0),
              (LOOP, 2, 0, 6), (GO, 1, 0, 0), (ENDLOOP, 4, 0, 0), (EXIT, 0, 0, 0),
              (EXIT, 0, 0, 0)],
        dists=[], entry=[0, 3, 7], loop_depth=[0, 1, 0])


def test_loop_depth_per_program_and_limit():
    deep = cpu(1)
    for _ in range(64):
        deep = repeat(2, deep)
    wl = Workload()
    flat = wl.program(repeat(1, cpu(1)), repeat(1, cpu(1)))
    wl.main(deep, go(flat))
    c = wl.compile()
    assert c.loop_depth.tolist() == [64, 1]
    loops = c.code[c.code[:, 0] == LOOP]
    assert loops[:64, 2].tolist() == list(range(64))          # depth column: 0-based level
    with pytest.raises(ValueError, match=r"repeat\(\): nesting depth 65 exceeds.* 64"):
        repeat(2, deep)


def test_shared_repeat_cannot_blow_up():
    r = cpu(1)
    with pytest.raises(ValueError, match=r"repeat\(\): .* instructions.*10000000"):
        for _ in range(30):
            r = repeat(2, r, r)                  # sizes double; refused at ~1.2e7


def test_distribution_dedup():
    wl = Workload()
    wl.main(cpu(1000), cpu("1us"), sleep(constant("1µs")), syscall(uniform(1, 2)),
            netwait(uniform("1ns", "2ns")), cpu(lognormal("1ms", 0.5)),
            sleep(lognormal(MS, 0.5)), cpu(exponential("3ms")), sleep(3 * MS),
            cpu(lognormal("1ms", 0.25)))
    c = wl.compile()
    assert c.code[:-1, 1].tolist() == [0, 0, 0, 1, 1, 2, 2, 3, 4, 5]
    assert c.dists.tolist() == [[0, 1000, 0], [1, 1, 2], [3, MS, 0.5], [2, 3 * MS, 0],
                                [0, 3 * MS, 0], [3, MS, 0.25]]


def test_compiled_arrays_are_read_only_and_frozen():
    wl = Workload()
    wl.main(cpu(1))
    c = wl.compile()
    for arr in (c.code, c.dists, c.entry, c.chan_cap, c.loop_depth):
        assert not arr.flags.writeable and arr.flags.c_contiguous
    with pytest.raises(dataclasses.FrozenInstanceError):
        c.code = None
    with pytest.raises(dataclasses.FrozenInstanceError):
        cpu(1).args = ()
    assert cpu("1us") == cpu(1000) and repeat(2, gosched()) == repeat(2, gosched())


def test_compile_is_repeatable_and_independent():
    wl = Workload()
    wl.main(cpu(1))
    a, b = wl.compile(), wl.compile()
    assert a.code.tolist() == b.code.tolist() and a.code is not b.code


def test_disassemble():
    wl = Workload()
    ch, wg = wl.chan(), wl.waitgroup()
    consumer = wl.program(repeat(3, recv(ch)), done(wg), name="consumer")
    wl.main(add(wg, 1), go(consumer), repeat(3, cpu(uniform("1us", "2us")), send(ch)),
            sleep(exponential("1ms")), netwait(lognormal("2ms", 0.5)), wait(wg))
    expected = """\
program 0 (main):
  0  WG_ADD     wg=0 delta=1
  1  GO         program=1 (consumer) count=1
  2  LOOP       count=3 depth=0 exit=6
  3  CPU        dist=0 (uniform(1µs, 2µs)) preemptible=1
  4  SEND       chan=0
  5  ENDLOOP    body=3 depth=0
  6  SLEEP      dist=1 (exponential(1ms))
  7  NETWAIT    dist=2 (lognormal(2ms, 0.5))
  8  WG_WAIT    wg=0
  9  EXIT
program 1 (consumer):
 10  LOOP       count=3 depth=0 exit=13
 11  RECV       chan=0
 12  ENDLOOP    body=11 depth=0
 13  WG_ADD     wg=0 delta=-1
 14  EXIT"""
    assert wl.compile().disassemble() == expected


def test_reprs():
    wl = Workload()
    p = wl.program(name="p")
    assert repr(p) == "<Program 1 'p' (undefined)>"
    assert repr(repeat(2, go(p, count=3), cpu("1ms", preemptible=False), stack("1MiB"))) == \
        "repeat(2, go(p, count=3), cpu(1ms, preemptible=False), stack(1048576))"
    assert repr(done(wl.waitgroup())) == "done(wg0)"


# ---------------------------------------------------------------- bad input

wl0 = Workload()
WG, CH, PROG = wl0.waitgroup(), wl0.chan(), wl0.program(name="worker")

BAD = [
    # (build, exception, message)
    (lambda: cpu(-1), ValueError, r"cpu\(\) argument d must be in \[0, 2\*\*53\] ns, got -1"),
    (lambda: sleep("-1.5h"), ValueError, r"sleep\(\) argument d .*\[0, 2\*\*53\].*'-1.5h'"),
    (lambda: syscall("fast"), ValueError, r"syscall\(\) argument d: invalid duration 'fast'"),
    (lambda: netwait("10"), ValueError, r"netwait\(\) argument d: .*'10': missing unit"),
    (lambda: cpu("3d"), ValueError, r"cpu\(\) argument d: .*unknown unit 'd'"),
    (lambda: cpu(1.5), TypeError, r"cpu\(\) argument d must be an int .* got float"),
    (lambda: cpu(float("nan")), ValueError, r"cpu\(\) argument d must be a finite"),
    (lambda: cpu(float("inf")), ValueError, r"cpu\(\) argument d must be a finite"),
    (lambda: cpu(2**53 + 1), ValueError, r"cpu\(\) argument d must be in \[0, 2\*\*53\]"),
    (lambda: cpu(1, preemptible="no"), TypeError, r"cpu\(\) argument preemptible must be a bool"),
    (lambda: uniform("2us", "1us"), ValueError, r"uniform\(\) argument low \(2µs\) must be <= "),
    (lambda: uniform(-1, 1), ValueError, r"uniform\(\) argument low must be in \[0"),
    (lambda: exponential("x"), ValueError, r"exponential\(\) argument mean: invalid duration"),
    (lambda: lognormal(1, -0.1), ValueError, r"lognormal\(\) argument sigma .* >= 0, got -0.1"),
    (lambda: lognormal(1, float("nan")), ValueError, r"lognormal\(\) argument sigma .*finite"),
    (lambda: lognormal(1, float("inf")), ValueError, r"lognormal\(\) argument sigma .*finite"),
    (lambda: lognormal(1, "1"), TypeError, r"lognormal\(\) argument sigma must be a float"),
    (lambda: du.Distribution(9, 1), ValueError, r"invalid Distribution"),
    (lambda: go(PROG, count=-1), ValueError, r"go\(\) argument count must be in \[0, 10\*\*9\]"),
    (lambda: go(PROG, count=10**9 + 1), ValueError, r"go\(\) argument count .*10\*\*9"),
    (lambda: go(PROG, count=2.0), TypeError, r"go\(\) argument count must be an int"),
    (lambda: go("worker"), TypeError, r"go\(\) argument program must be a Program"),
    (lambda: repeat(-1, gosched()), ValueError,
     r"repeat\(\) argument n must be in \[0, 2\*\*62\]"),
    (lambda: repeat(2**62 + 1), ValueError, r"repeat\(\) argument n .*2\*\*62"),
    (lambda: repeat(True, gosched()), TypeError, r"repeat\(\) argument n must be an int"),
    (lambda: repeat(2, "cpu"), TypeError,
     r"repeat\(\): argument 1 is str 'cpu', not an operation"),
    (lambda: repeat(2, [gosched()]), TypeError, r"argument 1 is list .*unpack .* \*ops"),
    (lambda: add(WG, 1.5), TypeError, r"add\(\) argument n must be an int, got float"),
    (lambda: add(WG, 2**63), ValueError,
     r"add\(\) argument n must be in \[-2\*\*63, 2\*\*63 - 1\] \(Go's int\)"),
    (lambda: add(WG, -(2**63) - 1), ValueError, r"add\(\) argument n must be in"),
    (lambda: add(CH, 1), TypeError, r"add\(\) argument wg must be a WaitGroup"),
    (lambda: done(None), TypeError, r"done\(\) argument wg must be a WaitGroup"),
    (lambda: wait(PROG), TypeError, r"wait\(\) argument wg must be a WaitGroup"),
    (lambda: send(WG), TypeError, r"send\(\) argument ch must be a Chan"),
    (lambda: recv(1), TypeError, r"recv\(\) argument ch must be a Chan"),
    (lambda: Workload().chan(cap=-1), ValueError,
     r"chan\(\) argument cap must be in \[0, 2\*\*31\]"),
    (lambda: Workload().chan(cap=2**31 + 1), ValueError, r"chan\(\) argument cap .*2\*\*31"),
    (lambda: Workload().chan(cap="1"), TypeError, r"chan\(\) argument cap must be an int"),
    (lambda: stack(0), ValueError, r"stack\(\) argument nbytes must be in \[1, 2\*\*40\], got 0"),
    (lambda: stack(-5), ValueError, r"stack\(\) argument nbytes must be in \[1, 2\*\*40\]"),
    (lambda: stack(2**40 + 1), ValueError, r"stack\(\) argument nbytes .*2\*\*40"),
    (lambda: stack("2TiB"), ValueError, r"stack\(\) argument nbytes .*2\*\*40"),
    (lambda: stack("1.5B"), ValueError, r"stack\(\) argument nbytes: .* whole number of bytes"),
    (lambda: stack("64kb"), ValueError, r"stack\(\) argument nbytes: invalid size '64kb'"),
    (lambda: stack("64"), ValueError, r"stack\(\) argument nbytes: invalid size"),
    (lambda: stack(4096.0), TypeError, r"stack\(\) argument nbytes must be an int"),
    (lambda: Workload().program("1us"), TypeError,
     r"Workload.program\(\): argument 0 is str '1us', not an operation"),
    (lambda: Workload().program(cpu(1), gosched), TypeError,
     r"argument 1 is the function gosched, not an operation; call it"),
    (lambda: Workload().program(PROG), TypeError, r"argument 0 is program worker.*go\(worker\)"),
    (lambda: Workload().main(lambda: None), TypeError,
     r"Workload.main\(\): argument 0 is function"),
    (lambda: Workload().program(cpu(1), name=3), TypeError, r"argument name must be a non-empty"),
    (lambda: Workload().main(go(PROG)), ValueError,
     r"go\(\): unknown program worker: it was created by a different Workload"),
    (lambda: Workload().program(repeat(2, send(CH))), ValueError,
     r"send\(\): unknown channel chan0: .*different Workload"),
    (lambda: Workload().program(wait(WG)), ValueError, r"wait\(\): unknown waitgroup wg0"),
]


@pytest.mark.parametrize("build, exc, message", BAD)
def test_bad_input(build, exc, message):
    with pytest.raises(exc, match=message):
        build()


def test_main_twice_and_define_twice():
    wl = Workload()
    wl.main()
    with pytest.raises(ValueError, match=r"Workload.main\(\) may be called only once"):
        wl.main(gosched())
    p = wl.program(gosched(), name="p")
    with pytest.raises(ValueError, match=r"Program.define\(\) of p: p is already defined"):
        p.define(gosched())


def test_failed_program_is_not_added():
    wl = Workload()
    with pytest.raises(TypeError):
        wl.program("oops")
    wl.main(go(wl.program(gosched())))
    assert wl.compile().entry.tolist() == [0, 2]      # the good program is program 1


def test_compile_errors():
    wl = Workload()
    with pytest.raises(ValueError, match=r"compile\(\): main\(\) was never called"):
        wl.compile()
    later = wl.program(name="later")
    wl.main(go(later))
    with pytest.raises(ValueError, match=r"program 1 \(later\) was never defined"):
        wl.compile()


# ---------------------------------------------------------------- channels used on one side

@pytest.mark.parametrize("cap", [0, 3])
def test_send_without_recv_compiles_with_a_warning(cap):
    wl = Workload()
    wl.chan(), wl.chan(), wl.chan()
    ch = wl.chan(cap=cap)
    never = wl.program(recv(ch))                   # a recv only in a repeat(0) still counts
    wl.main(send(ch), repeat(0, go(never)))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        wl.compile()
    wl = Workload()
    wl.chan(), wl.chan(), wl.chan()
    ch = wl.chan(cap=cap)
    wl.main(repeat(2, send(ch)))
    buffer = r" beyond its buffer \(cap 3\)" if cap else ""
    with pytest.warns(w.GoroutineLeakWarning,
                      match=rf"channel 3 is sent to but never received from: every "
                            rf"send{buffer} blocks its goroutine forever") as rec:
        c = wl.compile()
    assert len(rec) == 1 and rec[0].filename == __file__     # points at the caller
    assert c.code[:, 0].tolist() == [LOOP, SEND, ENDLOOP, EXIT]


def test_recv_without_send_compiles_with_a_warning():
    wl = Workload()
    wl.main(recv(wl.chan()))
    with pytest.warns(w.GoroutineLeakWarning,
                      match=r"channel 0 is received from but never sent to: every receive "
                            r"blocks its goroutine forever .* leaks, or the program "
                            r"deadlocks if main blocks"):
        c = wl.compile()
    assert c.code.tolist() == [[RECV, 0, 0, 0], [EXIT, 0, 0, 0]]
    assert issubclass(w.GoroutineLeakWarning, UserWarning)


def _one_sided(kind, cap=0):
    """Main starts a goroutine that blocks forever on `kind`, works, and returns."""
    wl = Workload()
    ch = wl.chan(cap=cap)
    stuck = wl.program(cpu("1us"), send(ch) if kind == "send" else recv(ch), name="stuck")
    wl.main(go(stuck), sleep("100us"), cpu("20us"))   # the sleep lets it start and block
    return wl


@pytest.mark.parametrize("kind,reason", [("recv", "chan receive"), ("send", "chan send")])
def test_goroutine_blocked_forever_is_a_leak(sim, kind, reason):
    """``go func() { <-ch }()`` while main returns: the run ends with main, and
    the goroutine is left waiting, as in Go."""
    from gmpcore.events import G_WAITING, WAIT_REASONS
    from gmpcore.leaks import leaks

    with pytest.warns(w.GoroutineLeakWarning) as rec:
        res = sim(_one_sided(kind), gomaxprocs=2)
    # It names the simulate() call (in conftest's sim fixture), not a line of gmpcore.
    assert rec[0].filename.endswith("conftest.py")
    assert 120 * US <= res.makespan_ns < 5 * MS      # a sub-ms sleep wakes on epoll's 1 ms
    left = leaks(res)
    assert len(left) == 1
    assert left["state"][0] == G_WAITING
    assert WAIT_REASONS[left["wait_reason"][0]] == reason


def test_buffered_send_without_recv_runs_to_the_end(sim):
    """Sends that fit the buffer never block: only the warning remains."""
    wl = Workload()
    ch = wl.chan(cap=3)
    wl.main(repeat(3, send(ch)), cpu("1us"))
    with pytest.warns(w.GoroutineLeakWarning):
        res = sim(wl)
    assert res.makespan_ns >= US


@pytest.mark.parametrize("kind", ["recv", "send"])
@pytest.mark.parametrize("procs", [1, 4])
def test_main_blocked_forever_is_a_deadlock(sim, kind, procs):
    """Main blocks on the channel and nothing else can run: Go's checkdead."""
    import gmpcore as gmp

    wl = Workload()
    ch = wl.chan()
    other = wl.program(cpu("5us"), sleep("30us"), cpu("1us"))   # exits, then nothing is left
    wl.main(go(other), cpu("2us"), send(ch) if kind == "send" else recv(ch))
    with pytest.warns(w.GoroutineLeakWarning):
        compiled = wl.compile()
    with pytest.raises(gmp.Deadlock,
                       match=r"^fatal error: all goroutines are asleep - deadlock!"):
        sim(compiled, gomaxprocs=procs)


# ---------------------------------------------------------------- WaitGroup deltas

def test_add_takes_any_int64_delta_as_go():
    """Go's Add(delta int) compiles for every int64; only the low 32 bits count."""
    wl = Workload()
    wg = wl.waitgroup()
    wl.main(add(wg, 2**63 - 1), add(wg, -(2**63)), add(wg, 2**31), add(wg, -(2**31) - 1))
    assert wl.compile().code[:4, 2].tolist() == [2**63 - 1, -(2**63), 2**31, -(2**31) - 1]
    assert "counter is an int32" in add.__doc__ and "add(wg, 2**31)" in add.__doc__


@pytest.mark.parametrize("delta", [2**32, -(2**32), 2**40, 2**63 - 2**32])
def test_add_of_a_multiple_of_2_32_leaves_the_counter(sim, engine, request, delta):
    """uint64(delta) << 32 drops every bit above the low 32: the counter stays."""
    wl = Workload()
    wg = wl.waitgroup()
    worker = wl.program(cpu("1us"), done(wg))
    wl.main(add(wg, 1), add(wg, delta), go(worker), wait(wg), cpu("1us"))
    res = sim(wl)
    assert (~res.system).sum() == 2 and res.makespan_ns >= 2 * US


def test_channel_and_waitgroup_limits(monkeypatch):
    monkeypatch.setattr(w, "MAX_CHANNELS", 2)
    monkeypatch.setattr(w, "MAX_WAITGROUPS", 1)
    wl = Workload()
    wl.chan(), wl.chan(), wl.waitgroup()
    with pytest.raises(ValueError, match=r"Workload.chan\(\): .* at most MAX_CHANNELS = 2"):
        wl.chan()
    with pytest.raises(ValueError, match=r"waitgroup\(\): .* at most MAX_WAITGROUPS = 1"):
        wl.waitgroup()


def test_instruction_limit(monkeypatch):
    monkeypatch.setattr(w, "MAX_INSTRUCTIONS", 10)
    wl = Workload()
    wl.program(*[gosched()] * 5)
    with pytest.raises(ValueError, match=r"Workload.main\(\): 11 instructions; .* at most"):
        wl.main(*[gosched()] * 10)
    wl.main(*[gosched()] * 5)
    with pytest.raises(ValueError, match=r"compile\(\): 12 instructions; .*MAX_INSTRUCTIONS = 10"):
        wl.compile()


# ---------------------------------------------------------------- durations

PARSE = [
    # hand-computed
    ("0", 0), ("1.5us", 1500), ("2h45m", 9900 * S), ("1µs", 1000), ("1μs", 1000),
    ("300ms", 300 * MS), ("1.5h", 5400 * S), ("1h30m", 5400 * S), ("0.5ms", 500 * US),
    ("1s500ms", 1500 * MS), ("+7ns", 7), ("-1.5h", -5400 * S), ("-0", 0), ("+0", 0),
    # Go's time_test.go parseDurationTests
    ("5s", 5 * S), ("30s", 30 * S), ("1478s", 1478 * S), ("-5s", -5 * S), ("+5s", 5 * S),
    ("5.0s", 5 * S), ("5.6s", 5 * S + 600 * MS), ("5.s", 5 * S), (".5s", 500 * MS),
    ("1.0s", S), ("1.00s", S), ("1.004s", S + 4 * MS), ("1.0040s", S + 4 * MS),
    ("100.00100s", 100 * S + MS), ("10ns", 10), ("11us", 11 * US), ("12µs", 12 * US),
    ("12μs", 12 * US), ("13ms", 13 * MS), ("14s", 14 * S), ("15m", 15 * MIN), ("16h", 16 * H),
    ("3h30m", 3 * H + 30 * MIN), ("10.5s4m", 4 * MIN + 10 * S + 500 * MS),
    ("-2m3.4s", -(2 * MIN + 3 * S + 400 * MS)),
    ("1h2m3s4ms5us6ns", H + 2 * MIN + 3 * S + 4 * MS + 5 * US + 6),
    ("39h9m14.425s", 39 * H + 9 * MIN + 14 * S + 425 * MS),
    ("52763797000ns", 52763797000), ("0.3333333333333333333h", 20 * MIN),
    ("9007199254740993ns", 2**53 + 1), ("9223372036854775807ns", 2**63 - 1),
    ("9223372036854775.807us", 2**63 - 1), ("9223372036s854ms775us807ns", 2**63 - 1),
    ("-9223372036854775808ns", -(2**63)), ("-9223372036854775.808us", -(2**63)),
    ("-9223372036s854ms775us808ns", -(2**63)), ("-2562047h47m16.854775808s", -(2**63)),
    ("0.100000000000000000000h", 6 * MIN),
    ("0.830103483285477580700h", 49 * MIN + 48 * S + 372539827),
]


@pytest.mark.parametrize("text, ns", PARSE)
def test_parse_duration(text, ns):
    assert parse_duration(text) == ns


@pytest.mark.parametrize("text", [
    "", "3", "-", "s", ".", "-.", ".s", "+.s", "1d", "\ufffd", "1 s", "1.1.1s", "1S",
    "1sec", "1h-1m", "٣s",                           # an Arabic-Indic digit is not [0-9]
    "9223372036854775810ns", "9223372036854775808ns", "-9223372036854775809ns",
    "9223372036854776us", "3000000h", "9223372036854775.808us", "9223372036854ms775us808ns",
    "1" + "0" * 5000 + "ns",
])
def test_parse_duration_rejects(text):
    with pytest.raises(ValueError, match="invalid duration"):
        parse_duration(text)


def test_parse_duration_type():
    with pytest.raises(TypeError, match="must be a str"):
        parse_duration(b"1s")


@pytest.mark.parametrize("text, ns", [
    # Go's time_test.go durationTests, plus the doc's examples
    ("0s", 0), ("1ns", 1), ("1.1µs", 1100), ("2.2ms", 2200 * US), ("3.3s", 3300 * MS),
    ("4m5s", 4 * MIN + 5 * S), ("4m5.001s", 4 * MIN + 5001 * MS),
    ("5h6m7.001s", 5 * H + 6 * MIN + 7001 * MS), ("8m0.000000001s", 8 * MIN + 1),
    ("2562047h47m16.854775807s", 2**63 - 1), ("-2562047h47m16.854775808s", -(2**63)),
    ("1.5µs", 1500), ("1h30m0s", 90 * MIN), ("1h2m0.3s", H + 2 * MIN + 300 * MS),
    ("10h0m0s", 10 * H), ("1h10m10s", H + 10 * MIN + 10 * S), ("1m0s", MIN),
    ("999ns", 999), ("1.000001ms", MS + 1), ("-1.5µs", -1500),
])
def test_format_duration(text, ns):
    assert format_duration(ns) == text
    assert parse_duration(text) == ns


def test_format_parse_round_trip_grid():
    parts = [0, 1, 7, 999, 1000, 1001, 1500, 999_999, MS, 123_456_789, S - 1, S, 59 * S,
             MIN, 59 * MIN, H, 25 * H, 2**53, 2562047 * H]
    for x in parts:
        for y in parts:
            for ns in (x + y, x * 3 + y, -(x + y)):
                if -(2**63) <= ns < 2**63:
                    assert parse_duration(format_duration(ns)) == ns, ns


@pytest.mark.parametrize("bad, exc", [(1.5, TypeError), (True, TypeError), (2**63, ValueError)])
def test_format_duration_rejects(bad, exc):
    with pytest.raises(exc, match="format_duration"):
        format_duration(bad)


def test_duration_ns_accepts_numpy_ints_and_bounds():
    assert du.duration_ns(np.int64(5), "x") == 5
    assert du.duration_ns(du.MAX_DURATION, "x") == 2**53
    assert du.duration_ns("-0s", "x") == 0
    with pytest.raises(TypeError, match="x must be an int"):
        du.duration_ns(True, "x")


# ---------------------------------------------------------------- docstrings

@pytest.mark.parametrize("name", ["gmpcore.workload", "gmpcore.durations"])
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name),
                             optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0 and result.attempted > 0
