"""Fairness as properties: no goroutine starves behind CPU hogs when Go's
preemption can reach them (go-scheduler.md §4.6, §4.7, §8 item 1), and one
does when it cannot."""

from hypothesis import given, settings
from hypothesis import strategies as st

import gmpcore as gmp
from gmpcore.strategies import examples

US, MS = 1_000, 1_000_000
SLICE = 10 * MS            # forcePreemptNS
SYSMON_MAX = 10 * MS       # sysmon's longest sleep: a slice can stretch to ~2 × 10 ms


def hogs_and_victim(hogs, preemptible, work, sleep_first):
    """`hogs` endless CPU loops, then a short goroutine main waits for."""
    wl = gmp.Workload()
    wg = wl.waitgroup()
    hog = wl.program(gmp.cpu("1h", preemptible=preemptible), name="hog")
    victim_ops = ([gmp.sleep(sleep_first)] if sleep_first else []) + [gmp.cpu(work), gmp.done(wg)]
    victim = wl.program(*victim_ops, name="victim")
    wl.main(gmp.add(wg, 1), gmp.go(hog, count=hogs), gmp.go(victim), gmp.wait(wg))
    return wl


@settings(max_examples=examples(25))
@given(hogs=st.integers(1, 8), procs=st.integers(1, 4), preemptible=st.booleans(),
       work=st.integers(1 * US, 1 * MS), sleep_first=st.sampled_from([0, 50 * US, 3 * MS]),
       seed=st.integers(0, 2**16), engine=st.sampled_from(["compiled", "reference"]))
def test_no_goroutine_starves_behind_hogs_with_async_preemption(hogs, procs, preemptible, work,
                                                                sleep_first, seed, engine):
    res = gmp.simulate(hogs_and_victim(hogs, preemptible, work, sleep_first), gomaxprocs=procs,
                       seed=seed, engine=engine)
    g = res.goroutines
    victim = g[res.program_names.index("victim") == g["program"]][0]
    assert victim["finished"] >= 0 and res.makespan_ns >= victim["finished"]
    # Each hog ahead of it runs at most one stretched slice per round before
    # sysmon preempts it to the global queue, which every P checks.
    rounds = hogs // procs + 2
    assert victim["first_run"] - sleep_first <= rounds * (SLICE + SYSMON_MAX) + 1 * MS
    # A victim that waited behind hogs got there because sysmon preempted them.
    hog_preemptions = g["preemptions"][g["program"] == res.program_names.index("hog")].sum()
    if victim["first_run"] - victim["created"] - sleep_first > 2 * SLICE + SYSMON_MAX:
        assert hog_preemptions >= 1


@settings(max_examples=examples(15))
@given(extra=st.integers(0, 3), procs=st.integers(1, 3), seed=st.integers(0, 2**16))
def test_without_async_preemption_tight_loops_starve_the_rest(extra, procs, seed):
    """Go before 1.14: a loop without function calls is never preempted, so
    once a hog holds every P, the victim (asleep meanwhile) never runs again
    (§8 item 1)."""
    wl = hogs_and_victim(procs + extra, preemptible=False, work=1 * US, sleep_first=3 * MS)
    res = gmp.simulate(wl, gomaxprocs=procs, seed=seed, async_preempt=False,
                       max_events=20_000)
    g = res.goroutines
    victim = g[res.program_names.index("victim") == g["program"]][0]
    assert victim["finished"] == -1 and victim["running_ns"] == 0
    assert g["preemptions"].sum() == 0
    assert res.makespan_ns > 100 * MS                  # main never got its result
