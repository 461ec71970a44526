"""Control flow (issue 13): choice, repeat with a drawn count, runtime.Goexit,
panic, and the open-loop arrivals helper; both engines, check=True.

Expected values are derived by hand: the run's workload generator is
``numpy.random.Generator(PCG64(seed))`` (the one durations are drawn from),
so a test that draws nothing else can replay its stream.
"""

import numpy as np
import pytest

import gmpcore as gmp
from gmpcore.workload import CHOICE_ONE, Opcode

pytestmark = pytest.mark.empty_runtime   # hand-derived: main starts alone (conftest)

ENGINES = ["compiled", "reference"]
US = 1000


def run(wl, engine, **kw):
    return gmp.simulate(wl, gomaxprocs=2, engine=engine, check=True, **kw)


def started(res, name):
    """How many goroutines of the program called `name` the run created."""
    k = res.program_names.index(name)
    return int((res.goroutines["program"] == k).sum())


def branches(wl, n, *weights):
    """main runs `choice` n times; branch i starts one goroutine of program bi."""
    progs = [wl.program(gmp.cpu(1), name=f"b{i}") for i in range(len(weights))]
    wl.main(gmp.repeat(n, gmp.choice(*[(w, [gmp.go(p)]) for w, p in zip(weights, progs)])))
    return wl


# ---------------------------------------------------------------- choice

@pytest.mark.parametrize("engine", ENGINES)
def test_weight_one_and_zero_always_takes_the_first_branch(engine):
    res = run(branches(gmp.Workload(), 300, 1, 0), engine)
    assert (started(res, "b0"), started(res, "b1")) == (300, 0)


@pytest.mark.parametrize("engine", ENGINES)
def test_weight_zero_first_always_takes_the_second_branch(engine):
    res = run(branches(gmp.Workload(), 300, 0, 2.5), engine)
    assert (started(res, "b0"), started(res, "b1")) == (0, 300)


@pytest.mark.parametrize("seed", [0, 7])
def test_even_choice_follows_the_runs_generator_in_both_engines(seed):
    # One draw per choice: branch 0 iff random() < 1/2.  Nothing else draws.
    wl = branches(gmp.Workload(), 2000, 0.5, 0.5)
    want = int((np.random.Generator(np.random.PCG64(seed)).random(2000) < 0.5).sum())
    assert abs(want - 1000) < 150                     # ~6.7 standard deviations
    for engine in ENGINES:
        res = gmp.simulate(wl, gomaxprocs=2, seed=seed, engine=engine, check=True)
        assert (started(res, "b0"), started(res, "b1")) == (want, 2000 - want)


def test_three_way_choice_uses_conditional_probabilities():
    # weights 1, 1, 2: P(b0) = 1/4; then P(b1 | not b0) = 1/3; b2 takes the rest.
    wl = branches(gmp.Workload(), 1000, 1, 1, 2)
    u = np.random.Generator(np.random.PCG64(3)).random(2000)
    want, i = [0, 0, 0], 0
    for _ in range(1000):
        k = int(u[i] * 2**53)
        i += 1
        if k < CHOICE_ONE // 4:
            want[0] += 1
            continue
        k = int(u[i] * 2**53)
        i += 1
        want[1 if k < CHOICE_ONE // 3 else 2] += 1
    for engine in ENGINES:
        res = gmp.simulate(wl, gomaxprocs=2, seed=3, engine=engine, check=True)
        assert [started(res, f"b{j}") for j in range(3)] == want


def test_choice_compiles_to_a_chain_of_tests():
    wl = gmp.Workload()
    wl.main(gmp.choice((1, [gmp.cpu(1)]), (3, [gmp.cpu(2)])))
    code = wl.compile().code.tolist()
    # test (1/4: fall into branch 0, else jump to 3), branch 0, jump to the end,
    # test (probability 1: no draw), branch 1, EXIT
    assert code == [[Opcode.CHOICE, CHOICE_ONE // 4, 0, 3], [Opcode.CPU, 0, 1, 0],
                    [Opcode.CHOICE, 0, 0, 5], [Opcode.CHOICE, CHOICE_ONE, 0, 5],
                    [Opcode.CPU, 1, 1, 0], [Opcode.EXIT, 0, 0, 0]]


def test_choice_takes_no_time():
    # the same makespan as without the 100 choices (the run's start-up costs included)
    wl, plain = gmp.Workload(), gmp.Workload()
    wl.main(gmp.repeat(100, gmp.choice((1, []), (1, []))), gmp.cpu(5 * US))
    plain.main(gmp.cpu(5 * US))
    for engine in ENGINES:
        assert run(wl, engine).makespan_ns == run(plain, engine).makespan_ns


@pytest.mark.parametrize("branches_, exc, match", [
    ((), ValueError, r"needs at least one"),
    (((0, []), (0, [])), ValueError, r"at least one weight must be > 0"),
    (((-1, []), (1, [])), ValueError, r"branch 0's weight must be a finite number >= 0"),
    (((float("nan"), []),), ValueError, r"finite number >= 0"),
    (((1, gmp.cpu(1)),), TypeError, r"branch 0 must be a \(weight, \[ops...\]\) pair"),
    (((1, [gmp.cpu]),), TypeError, r"choice\(\) branch 0: argument 0 is the function cpu"),
])
def test_bad_choice_is_refused(branches_, exc, match):
    with pytest.raises(exc, match=match):
        gmp.choice(*branches_)


# ---------------------------------------------------------------- repeat with a drawn count

@pytest.mark.parametrize("seed", [0, 1, 2])
def test_drawn_loop_count_is_drawn_once_per_start(seed):
    # repeat(uniform(1, 10)): count = 1 + floor(10 * random()); drawn at each start
    wl = gmp.Workload()
    w = wl.program(gmp.cpu(1), name="w")
    wl.main(gmp.repeat(3, gmp.repeat(gmp.uniform(1, 10), gmp.go(w))))
    u = np.random.Generator(np.random.PCG64(seed)).random(3)
    counts = [1 + int(np.floor(x * 10)) for x in u]
    assert all(1 <= c <= 10 for c in counts)
    for engine in ENGINES:
        res = gmp.simulate(wl, gomaxprocs=2, seed=seed, engine=engine, check=True)
        assert started(res, "w") == sum(counts)


def test_drawn_loop_count_zero_skips_the_body():
    wl = gmp.Workload()
    w = wl.program(gmp.cpu(1), name="w")
    wl.main(gmp.repeat(gmp.uniform(0, 0), gmp.go(w)), gmp.cpu(1))
    for engine in ENGINES:
        assert started(run(wl, engine), "w") == 0


def test_constant_drawn_count_is_a_plain_loop():
    assert gmp.repeat(gmp.constant(3), gmp.cpu(1)).opcode == Opcode.LOOP


# ---------------------------------------------------------------- runtime.Goexit

@pytest.mark.parametrize("engine", ENGINES)
def test_goexit_ends_a_worker_before_the_ops_after_it(engine):
    wl = gmp.Workload()
    wg = wl.waitgroup()
    never = wl.program(gmp.cpu(1), name="never")
    w = wl.program(gmp.cpu(10 * US), gmp.done(wg), gmp.goexit(), gmp.go(never),
                   gmp.cpu(gmp.milliseconds(5)), name="w")
    wl.main(gmp.add(wg, 1), gmp.go(w), gmp.wait(wg))
    res = run(wl, engine, until="all")
    assert started(res, "never") == 0
    k = res.program_names.index("w")
    row = res.goroutines[res.goroutines["program"] == k][0]
    assert row["running_ns"] < gmp.milliseconds(1)     # the 5 ms burst never ran
    assert res.makespan_ns < gmp.milliseconds(1)


@pytest.mark.parametrize("until", ["main", "all"])
@pytest.mark.parametrize("engine", ENGINES)
def test_main_goexit_lets_the_others_finish_then_deadlocks(engine, until):
    wl = gmp.Workload()
    w = wl.program(gmp.sleep(gmp.milliseconds(1)), gmp.cpu(10 * US), name="w")
    wl.main(gmp.go(w, count=3), gmp.goexit(), gmp.cpu(gmp.milliseconds(50)))
    with pytest.raises(gmp.Deadlock, match=r"^fatal error: no goroutines \(main called runtime.Goexit\) "
                                           r"- deadlock!$") as info:
        run(wl, engine, until=until)
    # the workers slept 1 ms and ran 10 µs; main's 50 ms burst never ran
    assert gmp.milliseconds(1) + 10 * US <= info.value.time_ns < gmp.milliseconds(2)


# ---------------------------------------------------------------- panic

@pytest.mark.parametrize("engine", ENGINES)
def test_panic_ends_the_program_with_gos_message(engine):
    wl = gmp.Workload()
    w = wl.program(gmp.cpu(5 * US), gmp.panic("index out of range [3] with length 3"))
    wl.main(gmp.go(w), gmp.sleep(gmp.milliseconds(1)))
    with pytest.raises(gmp.WorkloadPanic) as info:
        run(wl, engine)
    assert str(info.value) == ("panic: index out of range [3] with length 3\n\n"
                               "goroutine 2 [running]")
    assert info.value.goid == 2
    assert 5 * US <= info.value.time_ns < gmp.milliseconds(1)


def test_panic_needs_a_str():
    with pytest.raises(TypeError, match=r"panic\(\) argument msg must be a str"):
        gmp.panic(3)


def test_panic_messages_are_interned():
    wl = gmp.Workload()
    wl.main(gmp.choice((1, [gmp.panic("a")]), (1, [gmp.panic("b")]), (1, [gmp.panic("a")])))
    assert wl.compile().panic_messages == ("a", "b")


# ---------------------------------------------------------------- arrivals

def test_arrivals_is_an_accept_loop():
    wl = gmp.Workload()
    h = wl.program(gmp.cpu(1), name="h")
    op = gmp.arrivals(h, gmp.exponential("1ms"), 7)
    assert op == gmp.repeat(7, gmp.netwait(gmp.exponential("1ms")), gmp.go(h))


@pytest.mark.parametrize("engine", ENGINES)
def test_poisson_arrivals_start_one_handler_each_at_the_given_rate(engine):
    n, mean = 3000, 100 * US
    wl = gmp.Workload()
    h = wl.program(gmp.cpu(20 * US), name="handler")
    wl.main(gmp.arrivals(h, gmp.exponential(mean), n))
    res = gmp.simulate(wl, gomaxprocs=4, seed=11, engine=engine, check=True, until="all")
    assert started(res, "handler") == n
    k = res.program_names.index("handler")
    created = np.sort(res.goroutines["created"][res.goroutines["program"] == k])
    gaps = np.diff(created)
    # The mean of 3000 exponential gaps has a standard deviation of ~1.8 µs;
    # each arrival also pays a netpoll wake-up and a newproc of a few µs.
    assert 0.93 * mean < gaps.mean() < 1.12 * mean
    # memoryless: about 1 - 1/e of the gaps are shorter than the mean
    assert 0.55 < (gaps < mean).mean() < 0.70


def test_goroutine_estimate_takes_a_drawn_count_at_its_mean():
    from gmpcore import _engine
    wl = gmp.Workload()
    w = wl.program(gmp.cpu(1))
    wl.main(gmp.repeat(gmp.uniform(2, 4), gmp.go(w, count=5)))
    assert _engine.estimate_goroutines(wl.compile()) == 1 + 3 * 5     # main + mean 3 x 5


def test_panic_messages_must_be_strs():
    wl = gmp.Workload()
    wl.main(gmp.panic("a"))
    c = wl.compile()
    with pytest.raises(TypeError, match=r"panic_messages\[0\] must be a str, got int 3"):
        gmp.CompiledWorkload(c.code, c.dists, c.entry, c.chan_cap, c.n_waitgroups,
                             c.loop_depth, c.program_names, panic_messages=(3,))
    with pytest.raises(TypeError, match=r"panic_messages must be a sequence of str"):
        gmp.CompiledWorkload(c.code, c.dists, c.entry, c.chan_cap, c.n_waitgroups,
                             c.loop_depth, c.program_names, panic_messages="a")
