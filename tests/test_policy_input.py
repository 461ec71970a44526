"""gmpcore.Policy at the Python boundary: every field checked with an error
that names it and its range, presets, TOML files, simulate's and the CLI's
policy arguments (the module's doctests run in tests/test_doctests.py)."""

import json

import numpy as np
import pytest

import gmpcore as gmp
from gmpcore.policy import PRESETS, Policy, as_policy
from test_cli import run_main            # main(argv) -> (status, stdout, stderr)

BAD = [
    (dict(runq_size=0), ValueError, r"Policy\.runq_size must be an int in \[1, 256\], got 0"),
    (dict(runq_size=257), ValueError, r"Policy\.runq_size .* got 257"),
    (dict(runq_size=4.0), TypeError, r"Policy\.runq_size must be an int, got float"),
    (dict(runq_size=True), TypeError, r"Policy\.runq_size must be an int, got bool"),
    (dict(steal="third"), ValueError, r"Policy\.steal must be one of \('half', 'half_down', "
                                      r"'one', 'all'\), got 'third'"),
    (dict(global_check_interval=-1), ValueError, r"Policy\.global_check_interval must be an "
                                                 r"int in \[0, 2147483647\], got -1"),
    (dict(global_batch=5, runq_size=4), ValueError, r"Policy\.global_batch must be an int in "
                                                    r"\[0, 4\], got 5"),
    (dict(runnext=1), TypeError, r"Policy\.runnext must be a bool, got int"),
    (dict(runnext_inherit="yes"), TypeError, r"Policy\.runnext_inherit must be a bool"),
    (dict(async_preempt=None), TypeError, r"Policy\.async_preempt must be a bool"),
    (dict(lifo_limit=-1), ValueError, r"Policy\.lifo_limit must be an int in \[0, "),
    (dict(spin_factor=2**21), ValueError, r"Policy\.spin_factor must be an int in \[0, 1048576\]"),
    (dict(wakeup="lazy"), ValueError, r"Policy\.wakeup must be one of \('go', 'eager'\)"),
    (dict(time_slice=999), ValueError, r"Policy\.time_slice must be in \[1 µs, 1000 s\], got 999"),
    (dict(time_slice="1001s"), ValueError, r"Policy\.time_slice must be in \[1 µs, 1000 s\]"),
    (dict(time_slice="soon"), ValueError, r"Policy\.time_slice"),
    (dict(sysmon_min_delay=0), ValueError, r"Policy\.sysmon_min_delay must be in \[1 µs"),
    (dict(sysmon_max_delay="10us"), ValueError, r"Policy\.sysmon_max_delay must be >= "
                                                r"sysmon_min_delay \(20000 ns\), got 10000"),
    (dict(sysmon_idle_cycles=10**6 + 1), ValueError, r"Policy\.sysmon_idle_cycles must be an "
                                                     r"int in \[0, 1000000\]"),
]


@pytest.mark.parametrize("fields, exc, match", BAD)
def test_bad_fields_are_refused_naming_the_field(fields, exc, match):
    with pytest.raises(exc, match=match):
        Policy(**fields)
    with pytest.raises(exc, match=match):               # replace() checks again
        Policy().replace(**fields)


def test_numpy_values_are_taken_as_plain_ones():
    p = Policy(runq_size=np.int64(8), runnext=np.bool_(False), time_slice=np.int32(5000))
    assert (p.runq_size, p.runnext, p.time_slice) == (8, False, 5000)
    assert type(p.runq_size) is int and type(p.runnext) is bool


def test_presets_and_as_policy(tmp_path):
    assert set(PRESETS) == {"go1.25", "go1.13", "go1.4"}
    assert Policy.preset("go1.25") == Policy() and as_policy(None) == Policy()
    with pytest.raises(ValueError, match=r"unknown policy preset 'go1\.2'; presets: go1\.25"):
        Policy.preset("go1.2")
    with pytest.raises(ValueError, match=r"policy must be a Policy, a preset .* got 'go1\.2'"):
        as_policy("go1.2")
    with pytest.raises(TypeError, match=r"policy must be a gmpcore\.Policy, .* got dict"):
        as_policy({"runq_size": 4})


def test_toml_round_trip_and_bad_files(tmp_path):
    p = Policy(runq_size=32, steal="all", wakeup="eager", runnext=False, time_slice="3ms",
               lifo_limit=3)
    path = tmp_path / "p.toml"
    p.save(path)
    assert Policy.load(path) == p
    # fields left out keep Go's values; a bare table works too
    (tmp_path / "short.toml").write_text('steal = "one"\n')
    assert Policy.load(tmp_path / "short.toml") == Policy(steal="one")
    (tmp_path / "typo.toml").write_text("[policy]\nrunq_sise = 4\n")
    with pytest.raises(ValueError, match=r"unknown policy fields \['runq_sise'\]"):
        Policy.load(tmp_path / "typo.toml")
    (tmp_path / "bad.toml").write_text("[policy]\nrunq_size = 0\n")
    with pytest.raises(ValueError, match=r"Policy\.runq_size must be"):
        Policy.load(tmp_path / "bad.toml")
    (tmp_path / "broken.toml").write_text("[policy\n")
    with pytest.raises(ValueError, match=r"not a valid TOML policy file"):
        Policy.load(tmp_path / "broken.toml")
    # simulate() takes the path, and records what it read
    res = gmp.simulate(_small(), gomaxprocs=2, policy=str(path))
    assert res.policy == p


def _small():
    wl = gmp.Workload()
    wg = wl.waitgroup()
    w = wl.program(gmp.cpu("5us"), gmp.done(wg))
    wl.main(gmp.add(wg, 50), gmp.go(w, count=50), gmp.wait(wg))
    return wl


def test_simulate_refuses_a_bad_policy_before_running():
    with pytest.raises(TypeError, match=r"policy must be a gmpcore\.Policy"):
        gmp.simulate(_small(), policy=42)
    with pytest.raises(ValueError, match=r"policy must be a Policy, a preset"):
        gmp.simulate(_small(), policy="no-such-preset")


def test_simulate_arguments_and_the_policy_combine():
    """runnext and async_preempt off in either place turn them off."""
    wl = _small()
    a = gmp.simulate(wl, gomaxprocs=2, seed=4, runnext=False, async_preempt=False)
    b = gmp.simulate(wl, gomaxprocs=2, seed=4, policy="go1.4")
    assert a.makespan_ns == b.makespan_ns and a.counters == b.counters
    assert a.policy == Policy() and b.policy == Policy.go1_4()


def test_cli_policy(capsys, tmp_path):
    status, out, err = run_main(capsys, "run", "fanout", "--goroutines", "300", "--procs", "2",
                            "--cpus", "none", "--policy", "go1.4", "--json")
    assert status == 0, err
    row = json.loads(out)
    assert row["policy"] == "go1.4"
    want = gmp.simulate(gmp.scenarios.fanout(300), gomaxprocs=2, cpus=None, policy="go1.4")
    assert row["makespan_ns"] == want.makespan_ns
    path = tmp_path / "mine.toml"
    Policy(runq_size=8).save(path)
    status, out, err = run_main(capsys, "run", "fanout", "--goroutines", "300", "--procs", "2",
                            "--policy", str(path))
    assert status == 0 and f"policy {path}" in out
    status, out, err = run_main(capsys, "run", "fanout", "--policy", "go1.0")
    assert status == 2 and "not a preset (go1.25, go1.13, go1.4) nor a policy file" in err
    (tmp_path / "bad.toml").write_text("[policy]\nsteal = 'most'\n")
    status, out, err = run_main(capsys, "run", "fanout", "--policy", str(tmp_path / "bad.toml"))
    assert status == 2 and "Policy.steal must be one of" in err
