"""Hypothesis strategies for scheduling policies (gmpcore.Policy).

``policies()`` draws a Policy with every knob varied, Go 1.25's value half
of the time each, so that most examples differ from Go's in one to a few
knobs and a shrunk failure names the knob.  (To be folded into
gmpcore.strategies with the workload strategies.)
"""

from hypothesis import strategies as st

from gmpcore.policy import STEAL_RULES, WAKEUP_RULES, Policy

US, MS = 1_000, 1_000_000


def _or_go(strategy, default):
    """`strategy`, or Go's `default` as often (shrinks towards Go's)."""
    return st.one_of(st.just(default), strategy)


@st.composite
def policies(draw, extreme=True):
    """A Policy; with `extreme`, also the edges (a 1-slot ring, a 1 µs time
    slice, a global check every slice).  Bounded so runs stay short."""
    go = Policy()
    runq_size = draw(_or_go(st.one_of(st.integers(1, 8), st.integers(9, 256))
                            if extreme else st.integers(16, 256), go.runq_size))
    sysmon_min = draw(_or_go(st.integers(US if extreme else 5 * US, 200 * US),
                             go.sysmon_min_delay))
    return Policy(
        runq_size=runq_size,
        steal=draw(_or_go(st.sampled_from(STEAL_RULES), go.steal)),
        global_check_interval=draw(_or_go(st.integers(0, 70), go.global_check_interval)),
        global_batch=draw(_or_go(st.integers(0, runq_size), go.global_batch)),
        runnext=draw(_or_go(st.just(False), True)),
        runnext_inherit=draw(_or_go(st.just(False), True)),
        lifo_limit=draw(_or_go(st.integers(1, 5), 0)),
        spin_factor=draw(_or_go(st.integers(0, 8), go.spin_factor)),
        wakeup=draw(_or_go(st.sampled_from(WAKEUP_RULES), go.wakeup)),
        time_slice=draw(_or_go(st.integers(US if extreme else 100 * US, 20 * MS), go.time_slice)),
        sysmon_min_delay=sysmon_min,
        sysmon_max_delay=draw(_or_go(st.integers(sysmon_min, 20 * MS), max(go.sysmon_max_delay,
                                                                            sysmon_min))),
        sysmon_idle_cycles=draw(_or_go(st.integers(0, 100), go.sysmon_idle_cycles)),
        async_preempt=draw(_or_go(st.just(False), True)),
    )
