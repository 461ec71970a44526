"""gmp.compare: the Welch interval and the verdicts, derived by hand."""

import math

import pytest

import gmpcore as gmp
from gmpcore.compare import _welch
from gmpcore.sweep import t_quantile


def test_welch_interval_by_hand():
    """x = [1, 2, 3], b = [4, 5, 6]: means 2 and 5, diff -3; sample variances
    1 and 1, so se = sqrt(1/3 + 1/3) = 0.8165; Welch's df = (2/3)^2 /
    ((1/3)^2/2 + (1/3)^2/2) = 4; t(0.975, 4) = 2.776 (tables), half-width
    2.267: [-5.267, -0.733], below 0: "better"; change -3/5 = -0.6."""
    b_mean, mean, diff, low, high, change, verdict = _welch([1, 2, 3], [4, 5, 6], 0.95,
                                                            t_quantile)
    assert (b_mean, mean, diff, change, verdict) == (5.0, 2.0, -3.0, -0.6, "better")
    assert low == pytest.approx(-3 - 2.776 * math.sqrt(2 / 3), abs=1e-3)
    assert high == pytest.approx(-3 + 2.776 * math.sqrt(2 / 3), abs=1e-3)
    # The same the other way round is "worse"; an interval across 0 is "same".
    assert _welch([4, 5, 6], [1, 2, 3], 0.95, t_quantile)[-1] == "worse"
    assert _welch([1, 5, 3], [4, 2, 6], 0.95, t_quantile)[-1] == "same"
    # No spread on either side: the sign decides.
    assert _welch([7, 7], [5, 5], 0.95, t_quantile)[2:5] == (2.0, 2.0, 2.0)


def test_verdicts_and_table_shape():
    """Go's policy against itself under another name: every run of a
    policy is the same simulation as the baseline's with the same seed...
    but sweep gives each (policy, replicate) its own seed, so the two
    samples differ only by noise: at 95 % (Bonferroni over 2 workloads x 2
    metrics) nothing may differ for a verdict of "same" unless a figure is
    noise-free and identical.  A 4-slot ring spills on a 300-G fan-out at
    GOMAXPROCS 1 (every creation past the fifth kicks a G into a full ring)
    while Go's 256-slot ring spills once (creation 258; the 42 after it fit):
    "worse" on spills,
    so its verdict is "worse" or "mixed", never "better" or "same"."""
    from gmpcore.scenarios import fanout, worker_pool
    wls = {"fanout": fanout(300, "5us"), "pool": worker_pool(200)}
    t = gmp.compare({"go": gmp.Policy(), "again": gmp.Policy(), "small": gmp.Policy(runq_size=4)},
                    wls, replicates=3, seed=5, metrics=["makespan_ns", "spills"], gomaxprocs=1)
    assert list(t.index.names) == ["workload", "metric", "policy"]
    assert len(t) == 2 * 2 * 2 and t.attrs["baseline"] == "go"
    assert t.attrs["confidence"] == pytest.approx(1 - 0.05 / 4)
    assert t.loc[("fanout", "spills", "small"), "verdict"] == "worse"
    # spills at creations 6, 9, ..., 300 (each refills the ring from 2 to 4 in
    # two creations and spills at the third): 99 per run; Go's: 1.
    assert t.loc[("fanout", "spills", "small"), ["baseline", "mean"]].tolist() == [1.0, 99.0]
    assert t.loc[("fanout", "spills", "again"), "diff"] == 0
    assert t.attrs["verdict"]["small"] in ("worse", "mixed")
    assert t.attrs["verdict"]["again"] == "same"


def test_compare_refuses_bad_arguments():
    from gmpcore.scenarios import fanout
    wl = fanout(10)
    with pytest.raises(ValueError, match="at least two policies"):
        gmp.compare([gmp.Policy()], wl)
    with pytest.raises(ValueError, match="baseline 'x' is not one of the policies"):
        gmp.compare(["go1.25", "go1.4"], wl, baseline="x")
    with pytest.raises(ValueError, match="replicates must be an int >= 2"):
        gmp.compare(["go1.25", "go1.4"], wl, replicates=1)
    with pytest.raises(TypeError, match=r"workloads\['w0'\] must be a Workload"):
        gmp.compare(["go1.25", "go1.4"], [42])
    with pytest.raises(ValueError, match=r"policies\['p1'\] must be a Policy, a preset"):
        gmp.compare(["go1.25", "nope"], wl)
    with pytest.raises(ValueError, match="not policy="):
        gmp.compare(["go1.25", "go1.4"], wl, policy="go1.4")
