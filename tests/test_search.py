"""gmp.search (Hypothesis's targeted search) and ``gmpcore fuzz``."""

import time

import pytest

import gmpcore as gmp
from gmpcore import properties
from gmpcore.cli import main
from gmpcore.search import OBJECTIVES, gosched_starvation, spinning_ns


def test_search_rediscovers_go_issue_13546():
    # Go issue 13546: goroutines spinning in loops without safe points hold
    # the Ps while another goroutine keeps calling Gosched, and a runnable
    # goroutine starves.  From the generic contended strategy, on 4 Ps as in
    # the issue, the search looks for a G that waited runnable longer than
    # the starvation property's bound (one time slice, 10 ms) while others
    # yielded at least 10 times, and shrinks what it finds.  (What the
    # search draws for a seed depends on the Hypothesis tests run before it
    # in the process: after tests/test_doctests.py's gmpcore.results it
    # found a runtime goroutine starved, which starvation() leaves out;
    # gosched_starvation now leaves them out too, so any workload it finds
    # shows the property's violation.)
    bound = properties.FORCE_PREEMPT_NS
    found = gmp.search("gosched_starvation", budget=300, procs=4, seed=2, threshold=bound + 1)
    assert found.score > bound
    assert "gmp.gosched()" in found.source and "preemptible=False" in found.source
    assert gosched_starvation(found.result) == found.score          # the run shows it
    with pytest.raises(gmp.PropertyViolation, match="waited runnable"):
        properties.starvation(found.result)
    # The printed code rebuilds the workload: same score when run again.
    env = {}
    exec(found.source, env)
    again = gmp.simulate(env["wl"], **found.options)
    assert gosched_starvation(again) == found.score


def test_search_maximises_and_shrinks_reproducibly():
    a = gmp.search("threads", budget=15, procs=2, seed=3)
    b = gmp.search("threads", budget=15, procs=2, seed=3)
    assert a.source == b.source and a.score == b.score
    assert a.score == a.result.counters["threads"] and a.score >= a.best_seen >= 1
    assert a.examples == 15


def test_search_takes_a_callable_and_a_time_budget():
    def makespan(res):
        return res.makespan_ns

    t0 = time.monotonic()
    found = gmp.search(makespan, budget="2s", procs=1, seed=0, shrink=False)
    assert time.monotonic() - t0 < 60
    assert found.objective == "makespan" and found.score == found.result.makespan_ns
    assert found.examples >= 1


def test_spinning_objective_is_the_spin_time():
    # The "spinning" objective is counters["spinning_ns"], the CPU time Ms
    # spent spinning, not the count of spins.  tests/test_spinning.py
    # derives this run by hand: all costs zero but steal_attempt = 7 us;
    # main starts f (100 us of CPU) and waits on GOMAXPROCS=3.  wakep's
    # spinner searches the other 2 Ps for 2 * 7 us, finds nothing and
    # stops: 14 us.  The spinner f's Done wakes at 100 us spins 0 ns
    # (main's exit ends the run then).  2 spins, 14 us.
    from zero_costs import run_exact, zero_costs
    wl = gmp.Workload()
    wg = wl.waitgroup()
    f = wl.program(gmp.cpu("100us"), gmp.done(wg))
    wl.main(gmp.add(wg, 1), gmp.go(f), gmp.wait(wg))
    res = run_exact(wl, "compiled", zero_costs(steal_attempt=7_000), gomaxprocs=3, cpus=None)
    assert res.counters["spinning"] == 2
    assert spinning_ns(res) == OBJECTIVES["spinning"](res) == 14_000


@pytest.mark.parametrize("kw, error, match", [
    (dict(objective="fastest"), ValueError, "objective must be one of"),
    (dict(objective=3), TypeError, "objective must be a str or a callable"),
    (dict(budget=0), ValueError, "budget must be >= 1"),
    (dict(budget=True), TypeError, "budget must be an example count"),
    (dict(budget="-1s"), ValueError, "budget"),
])
def test_search_refuses_bad_arguments(kw, error, match):
    kw.setdefault("objective", "threads")
    with pytest.raises(error, match=match):
        gmp.search(kw.pop("objective"), **kw)


def test_cli_fuzz_finds_and_prints_a_starving_workload(capsys):
    status = main(["fuzz", "--property", "starvation", "--procs", "4", "--examples", "100",
                   "--seed", "2"])
    out = capsys.readouterr().out
    assert status == 1
    assert "wl = gmp.Workload()" in out and "res = gmp.simulate(wl, gomaxprocs=4" in out
    assert "starvation: G row" in out and "more than bound 10ms" in out
    assert "makespan" in out                                         # the run's summary
    lines = out.splitlines()                  # the code: from line 2 to the summary
    code = "\n".join(lines[1:lines.index("its run:")])
    env = {}
    exec(code, env)
    with pytest.raises(gmp.PropertyViolation):
        properties.starvation(env["res"])


def test_cli_fuzz_objective_and_usage_errors(capsys):
    assert main(["fuzz", "--objective", "threads", "--examples", "5", "--procs", "2"]) == 0
    assert "# 5 examples; the worst workload found (threads: " in capsys.readouterr().out
    with pytest.raises(SystemExit) as e:
        main(["fuzz", "--property", "fairness"])
    assert e.value.code == 2
    with pytest.raises(SystemExit):
        main(["fuzz", "--budget", "1s", "--examples", "3"])


def test_search_passes_the_policy_through():
    # A fixed workload and fixed settings: every example is the same run,
    # so the search's score is that run's objective under the policy given.
    # Go's wakep starts a spinning M only when none spins; the "eager" rule
    # starts one for every idle P, so the same run spins more: the policy
    # must change the score (a search that dropped it would score both the
    # same), and each score must be the run's own under that policy.
    from hypothesis import strategies as st

    from gmpcore.scenarios import fanout
    wl = fanout(200, "5us")
    opts = dict(gomaxprocs=4, cpus=None, noise=False, seed=0)
    scores = {}
    for name, pol in {"go": gmp.Policy(), "eager": gmp.Policy(wakeup="eager")}.items():
        found = gmp.search("spinning", st.just(wl), budget=3, policy=pol,
                           settings=st.just(opts), shrink=False)
        assert found.result.policy == pol and found.options["policy"] == pol
        direct = gmp.simulate(wl, policy=pol, **opts)
        assert found.score == direct.counters["spinning_ns"]
        scores[name] = found.score
    assert scores["eager"] > scores["go"]
