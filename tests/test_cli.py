"""The ``gmpcore`` command: subcommands, output, exit statuses."""

import doctest
import importlib
import inspect
import json
import re
import subprocess
import sys

import pytest

import gmpcore as gmp
from gmpcore import cli, scenarios
from gmpcore.durations import parse_duration
from gmpcore.snapshot import Snapshot


def run_main(capsys, *argv):
    """main(argv) -> (status, stdout, stderr), whether it returns or exits."""
    try:
        status = cli.main(list(argv))
    except SystemExit as exc:
        status = exc.code
    out, err = capsys.readouterr()
    return status, out, err


@pytest.mark.parametrize("name", ["gmpcore.cli", "gmpcore.demo", "gmpcore.__main__"])
def test_doctests(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0 and result.attempted > 0


# ---------------------------------------------------------------- scenarios

def test_scenarios_lists_one_per_line(capsys):
    status, out, err = run_main(capsys, "scenarios")
    assert status == 0 and err == ""
    lines = out.splitlines()
    assert len(lines) == len(scenarios.SCENARIOS)
    for line, (name, (_, summary)) in zip(lines, scenarios.SCENARIOS.items()):
        assert line.split()[0] == name
        assert line.endswith(summary)
    # aligned: every summary starts in the same column
    assert len({line.index(summary) for line, (_, (_, summary))
                in zip(lines, scenarios.SCENARIOS.items())}) == 1


def test_size_parameter_table_covers_every_scenario():
    assert set(cli.SIZE_PARAMETERS) == set(scenarios.SCENARIOS)
    for name, (param, meaning) in cli.SIZE_PARAMETERS.items():
        function = scenarios.SCENARIOS[name][0]
        params = list(inspect.signature(function).parameters)
        assert params[0] == param, name
        assert isinstance(function(**{param: 8}), gmp.Workload)
        assert meaning


# ---------------------------------------------------------------- run

def summary_rows(out):
    rows = {}
    for line in out.splitlines():
        m = re.match(r"^  (\S.*?)\s{2,}(.*)$", line)
        if m:
            rows[m.group(1)] = m.group(2)
    return rows


def test_run_prints_the_summary_table(capsys):
    status, out, err = run_main(capsys, "run", "fanout", "--goroutines", "600", "--procs", "3",
                                "--seed", "2")
    assert status == 0, err
    assert err == ""                                # no bar when stderr is not a terminal
    assert out.splitlines()[0] == "fanout (n=600), GOMAXPROCS=3, seed 2, compiled engine"
    rows = summary_rows(out)
    for key in ("makespan", "goroutines", "threads", "steals", "spills", "handoffs",
                "preemptions", "syscalls", "P busy", "sched latency", "stacks"):
        assert key in rows, key
    # The same numbers as the library gives.
    res = gmp.simulate(scenarios.fanout(n=600), gomaxprocs=3, seed=2)
    for key in ("threads", "steals", "spills", "handoffs", "preemptions", "syscalls"):
        assert rows[key] == str(res.counters[key])
    assert rows["goroutines"].startswith("601 created: ")
    ms = float(rows["makespan"].removesuffix("ms"))
    assert ms == pytest.approx(res.makespan_ns / 1e6, rel=1e-3)
    busy = re.findall(r"P(\d) (\d+\.\d)%", rows["P busy"])
    assert [int(p) for p, _ in busy] == [0, 1, 2]
    for (_, pct), b in zip(busy, res.procs["busy_ns"]):
        assert float(pct) == pytest.approx(100 * b / res.makespan_ns, abs=0.06)
    assert re.fullmatch(r"mean \S+  p99 \S+  \(first run − created\)", rows["sched latency"])


def test_no_records_same_schedule_fewer_lines(capsys):
    """--no-records: the same figures, without the lines that need per-G records."""
    argv = ("run", "fanout", "--goroutines", "600", "--procs", "3", "--seed", "2")
    _, full, _ = run_main(capsys, *argv)
    status, lean, err = run_main(capsys, *argv, "--no-records")
    assert status == 0, err
    full_rows, lean_rows = summary_rows(full), summary_rows(lean)
    for key in ("makespan", "threads", "steals", "spills", "handoffs", "preemptions",
                "syscalls", "P busy"):
        assert lean_rows[key] == full_rows[key], key
    assert lean_rows["goroutines"] == "601 created (no per-G records: --no-records)"
    assert "sched latency" not in lean_rows and "stacks" not in lean_rows
    status, out, err = run_main(capsys, "sweep", "fanout", "--goroutines", "600",
                                "--procs", "1,3", "--no-records")
    assert status == 0, err
    _, with_records, _ = run_main(capsys, "sweep", "fanout", "--goroutines", "600",
                                  "--procs", "1,3")
    assert out == with_records


def test_summary_latency_and_states():
    res = gmp.simulate(scenarios.goroutine_leak(n=20), gomaxprocs=2, seed=0)
    rows = summary_rows("\n".join(cli.summary(res, "t")))
    assert "19 waiting (chan send)" in rows["goroutines"]
    ran = res.goroutines["first_run"] >= 0
    lat = res.goroutines["first_run"][ran] - res.goroutines["created"][ran]
    mean = re.match(r"mean (\S+)", rows["sched latency"]).group(1)
    assert parse_duration(mean.replace("µs", "us")) == pytest.approx(lat.mean(), rel=2e-3)


@pytest.mark.parametrize("name,size,goroutines", [
    ("fanout", 50, 51), ("io", 40, 41), ("sleepers", 30, 31), ("syscalls", 6, 7),
    ("pingpong", 20, 3), ("pool", 16, 9), ("unbounded", 16, 17), ("leak", 10, 11),
])
def test_goroutines_sets_each_scenarios_size(capsys, name, size, goroutines):
    status, out, err = run_main(capsys, "run", name, "--goroutines", str(size))
    assert status == 0, err
    param = cli.SIZE_PARAMETERS[name][0]
    assert out.startswith(f"{name} ({param}={size}), GOMAXPROCS=4")
    assert summary_rows(out)["goroutines"].startswith(f"{goroutines} created")


def test_run_options(capsys):
    status, out, err = run_main(capsys, "run", "pingpong", "--goroutines", "30", "--procs", "2",
                                "--until", "all", "--no-async-preempt", "--engine", "reference")
    assert status == 0, err
    assert out.splitlines()[0] == "pingpong (rounds=30), GOMAXPROCS=2, seed 0, reference engine"
    res = gmp.simulate(scenarios.ping_pong(rounds=30), gomaxprocs=2, until="all",
                       async_preempt=False, engine="reference")
    assert summary_rows(out)["threads"] == str(res.counters["threads"])


def test_schedtrace_prints_go_lines(capsys):
    status, out, err = run_main(capsys, "run", "fanout", "--goroutines", "2000",
                                "--schedtrace", "1ms")
    assert status == 0, err
    lines = [line for line in out.splitlines() if line.startswith("SCHED ")]
    assert lines and out.startswith("SCHED 0ms: gomaxprocs=4 idleprocs=")
    pattern = (r"SCHED \d+ms: gomaxprocs=4 idleprocs=\d+ threads=\d+ spinningthreads=\d+ "
               r"needspinning=\d+ idlethreads=\d+ runqueue=\d+ \[ (\d+ ){4}\] "
               r"schedticks=\[ (\d+ ){4}\]")
    assert all(re.fullmatch(pattern, line) for line in lines), lines[0]
    span = parse_duration(summary_rows(out)["makespan"].replace("µs", "us"))
    assert abs(len(lines) - span / 1e6) <= 2


def test_snapshot_is_drawn(capsys):
    if "snapshot_at" not in inspect.signature(gmp.simulate).parameters:
        status, out, err = run_main(capsys, "run", "fanout", "--snapshot", "1ms")
        assert status == 2 and "--snapshot" in err
        return
    status, out, err = run_main(capsys, "run", "fanout", "--goroutines", "2000",
                                "--snapshot", "1ms")
    assert status == 0, err
    assert "SNAPSHOT 1ms: gomaxprocs=4" in out
    assert "global runq" in out
    assert out.index("SNAPSHOT") < out.index("fanout (n=2000)")
    res = gmp.simulate(scenarios.fanout(n=2000), gomaxprocs=4, snapshot_at="1ms")
    assert str(Snapshot(res.snapshot)) in out


def test_snapshot_after_the_end(capsys):
    if "snapshot_at" not in inspect.signature(gmp.simulate).parameters:
        pytest.skip("simulate(snapshot_at=...) not in this build")
    status, out, err = run_main(capsys, "run", "fanout", "--goroutines", "10",
                                "--snapshot", "10s")
    assert status == 0, err
    assert "ended at" in out and "before 10s" in out


def test_trace_writes_perfetto_json(capsys, tmp_path):
    if not cli._have("gmpcore.trace"):
        status, _, err = run_main(capsys, "run", "fanout", "--trace", str(tmp_path / "t.json"))
        assert status == 2 and "gmpcore.trace" in err
        return
    path = tmp_path / "t.json"
    status, out, err = run_main(capsys, "run", "fanout", "--goroutines", "50",
                                "--trace", str(path))
    assert status == 0, err
    assert f"wrote {path}" in out
    with open(path) as f:
        trace = json.load(f)
    assert any(e.get("ph") == "X" for e in trace["traceEvents"])


def test_plot_writes_png_or_explains(capsys, tmp_path):
    path = tmp_path / "p.png"
    status, out, err = run_main(capsys, "run", "fanout", "--goroutines", "50",
                                "--plot", str(path))
    if not cli._have("matplotlib"):
        assert status == 2 and "matplotlib" in err and len(err.splitlines()) == 1
        return
    assert status == 0, err
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_plot_without_matplotlib_is_a_usage_error(capsys, monkeypatch, tmp_path):
    have = cli._have
    monkeypatch.setattr(cli, "_have", lambda m: False if m == "matplotlib" else have(m))
    status, out, err = run_main(capsys, "run", "fanout", "--plot", str(tmp_path / "p.png"))
    assert status == 2 and out == ""
    assert err.splitlines() == [err.rstrip("\n")]
    assert "--plot needs matplotlib: pip install 'gmpcore[plot]'" in err


def test_go_fatal_error_is_printed_as_go_does(capsys):
    # until="all": the leaked searchers never finish — checkdead's deadlock.
    status, out, err = run_main(capsys, "run", "leak", "--goroutines", "5", "--until", "all")
    assert status == 2
    assert err == "fatal error: all goroutines are asleep - deadlock!\n"


# ---------------------------------------------------------------- progress, Ctrl-C

def test_progress_callback_is_driven_by_the_engine(capsys, monkeypatch):
    calls = []
    monkeypatch.setattr(cli, "PROGRESS_EVERY", 100)
    original = cli._Progress.__call__
    monkeypatch.setattr(cli._Progress, "__call__",
                        lambda self, ev, now: (calls.append((ev, now)), original(self, ev, now)))
    status, _, err = run_main(capsys, "run", "fanout", "--goroutines", "300")
    assert status == 0 and err == ""
    assert len(calls) >= 5
    assert all(b[0] > a[0] and b[1] >= a[1] for a, b in zip(calls, calls[1:]))


def test_progress_bar_only_on_a_terminal(monkeypatch):
    monkeypatch.setattr(cli, "_isatty", lambda stream: False)
    quiet = cli._Progress("x")
    assert quiet.bar.disable
    quiet.close()
    monkeypatch.setattr(cli, "_isatty", lambda stream: True)
    shown = cli._Progress("x")
    assert not shown.bar.disable and shown.bar.delay == 1    # only runs over a second
    shown.close()


def test_ctrl_c_exits_130(capsys, monkeypatch):
    def interrupt(self, events, now):
        raise KeyboardInterrupt
    monkeypatch.setattr(cli, "PROGRESS_EVERY", 10)
    monkeypatch.setattr(cli._Progress, "__call__", interrupt)
    status, out, err = run_main(capsys, "run", "fanout", "--goroutines", "300")
    assert status == 130
    assert err == "gmpcore: interrupted\n" and out == ""


# ---------------------------------------------------------------- demo

def test_demo(capsys):
    from gmpcore.demo import demo

    status, out, err = run_main(capsys, "demo")
    assert status == 0 and err == ""
    assert out.splitlines() == demo()
    status, out, _ = run_main(capsys, "demo", "--procs", "3", "--goroutines", "100",
                              "--seed", "2", "--rounds", "2")
    assert status == 0 and out.splitlines() == demo(3, 100, 2, 2)
    assert out.startswith("spawned 100 Gs on P0: ")


# ---------------------------------------------------------------- errors and help

@pytest.mark.parametrize("argv", [
    [],
    ["bogus"],
    ["run"],
    ["run", "nope"],
    ["run", "fanout", "--procs", "-1"],
    ["run", "fanout", "--procs", "0"],
    ["run", "fanout", "--procs", "two"],
    ["run", "fanout", "--procs", "5000"],                 # simulate's ValueError
    ["run", "fanout", "--goroutines", "-5"],
    ["run", "fanout", "--seed", "-1"],
    ["run", "fanout", "--schedtrace", "10"],              # no unit
    ["run", "fanout", "--schedtrace", "-1ms"],
    ["run", "fanout", "--schedtrace", "0s"],
    ["run", "fanout", "--snapshot", "soon"],
    ["run", "fanout", "--until", "never"],
    ["run", "fanout", "--engine", "turbo"],
    ["run", "fanout", "--trace", "/nonexistent-dir/t.json"],
    ["run", "pool", "--goroutines", "7"],                 # the scenario's ValueError
    ["run", "leak", "--goroutines", "0"],
    ["run", "fanout", "--bogus"],
    ["run", "fanout", "--no-records", "--trace", "t.json"],
    ["run", "fanout", "--no-records", "--plot", "p.png"],
    ["demo", "--procs", "1"],
    ["demo", "--goroutines", "-1"],
])
def test_usage_errors_exit_2_with_one_line(capsys, argv):
    status, out, err = run_main(capsys, *argv)
    assert status == 2
    assert out == ""
    assert len(err.splitlines()) == 1 and err.endswith("\n")
    assert re.match(r"gmpcore( run| demo)?: error: ", err)


def test_usage_error_names_the_scenarios(capsys):
    _, _, err = run_main(capsys, "run", "nope")
    assert "unknown scenario 'nope'" in err
    assert all(name in err for name in scenarios.SCENARIOS)


@pytest.mark.parametrize("argv", [["--help"], ["run", "--help"], ["sweep", "--help"],
                                  ["scenarios", "--help"],
                                  ["demo", "--help"], ["run", "fanout", "-h"]])
def test_help_exits_0(capsys, argv):
    status, out, err = run_main(capsys, *argv)
    assert status == 0 and err == ""
    assert out.startswith("usage: gmpcore")


def test_run_help_lists_the_size_parameters(capsys):
    _, out, _ = run_main(capsys, "run", "--help")
    for name, (param, _) in cli.SIZE_PARAMETERS.items():
        assert re.search(rf"^  {name}\s+{param}=\d+\s", out, re.M), name


def test_version(capsys):
    status, out, _ = run_main(capsys, "--version")
    assert status == 0 and out.strip() == f"gmpcore {gmp.__version__}"


# ---------------------------------------------------------------- python -m gmpcore

# The subprocesses run outside the checkout, so `-m gmpcore` finds the
# installed package rather than the uncompiled source tree.

def test_python_m_gmpcore(tmp_path):
    done = subprocess.run([sys.executable, "-m", "gmpcore", "scenarios"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert [line.split()[0] for line in done.stdout.splitlines()] == list(scenarios.SCENARIOS)
    bad = subprocess.run([sys.executable, "-m", "gmpcore", "run", "nope"], cwd=tmp_path,
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and bad.stdout == ""
    assert len(bad.stderr.splitlines()) == 1


def test_closed_pipe_is_quiet(tmp_path):
    done = subprocess.run(f"'{sys.executable}' -m gmpcore run fanout --goroutines 20000 "
                          "--schedtrace 100us | head -1", shell=True, capture_output=True,
                          text=True, timeout=120, cwd=tmp_path)
    assert done.stdout.startswith("SCHED 0ms: ")
    assert done.stderr == ""


# ---------------------------------------------------------------- gmpcore sweep

def test_sweep_prints_a_row_per_gomaxprocs(capsys):
    status, out, err = run_main(capsys, "sweep", "fanout", "--goroutines", "2000",
                                "--procs", "1,2,4")
    assert status == 0 and err == ""
    lines = out.splitlines()
    assert lines[0].startswith("fanout (n=2000)") and lines[1].split()[0] == "GOMAXPROCS"
    rows = [line.split() for line in lines[2:]]
    assert [int(r[0]) for r in rows] == [1, 2, 4] and rows[0][2] == "1.00x"
    speedups = [float(r[2].rstrip("x")) for r in rows]
    assert speedups[0] < speedups[1] < speedups[2] <= 4.0     # compute-bound: scales with Ps


@pytest.mark.parametrize("argv", [["sweep", "fanout", "--procs", "0,2"],
                                  ["sweep", "fanout", "--procs", "two"],
                                  ["sweep", "nope"]])
def test_sweep_usage_errors(capsys, argv):
    with pytest.raises(SystemExit) as info:
        cli.main(argv)
    assert info.value.code == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1
