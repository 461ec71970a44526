"""The ``gmpcore`` command: subcommands, output, exit statuses."""

import doctest
import errno
import importlib
import inspect
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import gmpcore as gmp
from gmpcore import cli, scenarios
from gmpcore.durations import parse_duration
from gmpcore.events import G_DEAD
from gmpcore.results import G_DTYPE
from gmpcore.snapshot import Snapshot


# The module (the package's attribute of that name is the function): the CLI
# imports simulate from it when it runs.
SIMULATE_MODULE = importlib.import_module("gmpcore.simulate")


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
    assert rows["goroutines"].startswith("601 created, at most ")
    ms = float(rows["makespan"].removesuffix("ms"))
    assert ms == pytest.approx(res.makespan_ns / 1e6, rel=1e-3)
    busy = re.findall(r"P(\d) (\d+\.\d)%", rows["P busy"])
    assert [int(p) for p, _ in busy] == [0, 1, 2]
    for (_, pct), b in zip(busy, res.procs["busy_ns"]):
        assert float(pct) == pytest.approx(100 * b / res.makespan_ns, abs=0.06)
    # main has exited: the runtime's five parked goroutines hold 2 KiB each
    assert rows["stacks"].startswith("10 KiB in use at the end, ")
    assert rows["goroutines"].endswith("at the end: 601 dead (and the runtime's 5)")


def latency_figures(row):
    """``p50 12.4ms  p99 24.9ms  (runnable → running, N times; ...)`` -> (p50, p99, N)."""
    m = re.fullmatch(r"p50 (\S+)  p99 (\S+)  \(runnable → running, (\d+) times; "
                     r"Go's /sched/latencies\)", row)
    assert m, row
    p50, p99 = (parse_duration(x.replace("µs", "us")) for x in m.group(1, 2))
    return p50, p99, int(m.group(3))


# Needs the engines to fill Result.sched_latencies.
def test_sched_latency_row_is_gos_sched_latencies(capsys):
    """Every runnable -> running (Go's /sched/latencies), not first run − created:
    in a worker pool the jobs wait in the channel, and each wake-up counts."""
    status, out, err = run_main(capsys, "run", "pool", "--goroutines", "800", "--procs", "2")
    assert status == 0, err
    p50, p99, count = latency_figures(summary_rows(out)["sched latency"])
    res = gmp.simulate(scenarios.worker_pool(jobs=800), gomaxprocs=2, seed=0)
    hist = gmp.scheduling_latency(res)
    assert count == hist.count
    assert count > len(res.goroutines)             # wake-ups, not just first runs
    assert p50 == pytest.approx(hist.quantile(0.5), rel=5e-3, abs=1)
    assert p99 == pytest.approx(hist.quantile(0.99), rel=5e-3, abs=1)


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
    assert "stacks" not in lean_rows
    # The latency histogram needs no per-G records.
    assert lean_rows["sched latency"] == full_rows["sched latency"]
    status, out, err = run_main(capsys, "sweep", "fanout", "--goroutines", "600",
                                "--procs", "1,3", "--no-records")
    assert status == 0, err
    _, with_records, _ = run_main(capsys, "sweep", "fanout", "--goroutines", "600",
                                  "--procs", "1,3")
    assert out == with_records


def test_summary_states_and_stacks_in_use():
    res = gmp.simulate(scenarios.goroutine_leak(n=20), gomaxprocs=2, seed=0)
    rows = summary_rows("\n".join(cli.summary(res, "t")))
    assert rows["goroutines"].startswith("21 created, at most 21 alive at once; at the end: ")
    assert "19 waiting (chan send)" in rows["goroutines"]
    # The 19 leaked searchers and the runtime's 5 parked goroutines still hold
    # their stacks (Go's StackInuse); the peak had every G alive.
    assert rows["stacks"] == "48 KiB in use at the end, 52 KiB at the peak"


def test_summary_without_latency_histogram_says_na():
    res = gmp.simulate(scenarios.fanout(n=10), gomaxprocs=2, seed=0)
    res.sched_latencies = None
    rows = summary_rows("\n".join(cli.summary(res, "t")))
    assert rows["sched latency"].startswith("n/a")


def records(rows):
    """A G table from (created, finished, stack) triples; finished -1: still alive."""
    gs = np.zeros(len(rows), dtype=G_DTYPE)
    gs["created"], gs["finished"], gs["stack"] = np.array(rows).T
    gs["state"] = np.where(gs["finished"] >= 0, G_DEAD, 4)
    return gs


def brute_force_peak(gs):
    """Alive Gs and their stacks at every creation time, the slow way."""
    best = (0, 0)
    for t in gs["created"]:
        alive = (gs["created"] <= t) & ((gs["finished"] < 0) | (gs["finished"] > t))
        best = (max(best[0], int(alive.sum())), max(best[1], int(gs["stack"][alive].sum())))
    return best


def test_peak_alive():
    # Three overlap at t=20; a G exiting at the ns another is born is gone.
    gs = records([(0, 100, 2048), (10, 30, 2048), (20, 40, 2048), (30, -1, 2048),
                  (200, 210, 2048)])
    assert cli.peak_alive(gs) == (3, 3 * 2048) == brute_force_peak(gs)
    # Stacks that grew: the byte peak need not be the count's.
    gs = records([(0, 50, 2048), (10, 20, 2048), (15, 25, 2048), (60, -1, 65536)])
    assert cli.peak_alive(gs) == (3, 65536) == brute_force_peak(gs)
    rows = summary_rows("\n".join(cli.summary(gmp.Result(
        makespan_ns=100, goroutines=gs, procs=np.zeros(0, dtype=[("p", "i4"), ("busy_ns", "i8")]),
        counters={"goroutines": 4}))))
    assert rows["stacks"] == "64 KiB in use at the end, at most 64 KiB at the peak"
    assert cli.peak_alive(np.zeros(0, dtype=G_DTYPE)) == (0, 0)


@pytest.mark.parametrize("name", ["fanout", "unbounded", "pool", "leak", "sleepers"])
def test_peak_alive_of_real_runs(name):
    function = scenarios.SCENARIOS[name][0]
    res = gmp.simulate(function(**{cli.SIZE_PARAMETERS[name][0]: 200}), gomaxprocs=4, seed=1,
                       monitor="1us")
    count, stack = cli.peak_alive(res.goroutines)
    assert (count, stack) == brute_force_peak(res.goroutines)
    assert res.monitor["goroutines"].max() <= count       # sampled: never above the peak
    assert res.monitor["stack_inuse"].max() <= stack


def test_unbounded_is_not_fanout_on_the_command_line(capsys):
    _, fanout, _ = run_main(capsys, "run", "fanout", "--goroutines", "2000")
    status, unbounded, err = run_main(capsys, "run", "unbounded", "--goroutines", "2000")
    assert status == 0, err
    f, u = summary_rows(fanout), summary_rows(unbounded)
    assert f["makespan"] != u["makespan"]
    peak = lambda rows: int(re.search(r"at most (\d+) alive", rows["goroutines"]).group(1))
    assert 500 < peak(u) < peak(f) <= 2001
    _, pool, _ = run_main(capsys, "run", "pool", "--goroutines", "2000")
    assert peak(summary_rows(pool)) == 9                   # 8 workers and main
    assert summary_rows(pool)["stacks"].endswith(" 28 KiB at the peak")   # + the runtime's 5


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
    # --cpus none: sysmon, which prints the lines, never waits for a CPU.
    status, out, err = run_main(capsys, "run", "fanout", "--goroutines", "2000",
                                "--schedtrace", "1ms", "--cpus", "none")
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
    assert ("--plot needs matplotlib: pip install matplotlib "
            "(in a gmpcore checkout: pip install '.[plot]')") in err


@pytest.fixture
def no_run(monkeypatch):
    """Fail the test if a simulation starts: the checks must come first."""
    def refuse(*args, **kwargs):
        raise AssertionError("simulate() ran before the output path was checked")
    monkeypatch.setattr(SIMULATE_MODULE, "simulate", refuse)


def one_line_error(err):
    assert len(err.splitlines()) == 1 and err.endswith("\n"), err
    assert re.match(r"gmpcore run: error: ", err)
    return err


@pytest.mark.parametrize("flag,name,message", [
    ("--trace", "t.xyz", "unknown extension '.xyz' (use .json or .json.gz)"),
    ("--trace", "t", "no extension (use .json or .json.gz)"),
    ("--plot", "p.xyz", "unknown extension '.xyz' (use "),
    ("--trace", "missing/t.json", "directory '{dir}/missing' does not exist"),
    ("--plot", "missing/p.png", "directory '{dir}/missing' does not exist"),
    ("--trace", "file/t.json", "'{dir}/file' is not a directory"),
    ("--trace", "sub", "'{dir}/sub' is a directory"),
    ("--plot", "sub", "'{dir}/sub' is a directory"),
])
def test_output_paths_are_checked_before_the_run(capsys, tmp_path, no_run, flag, name, message):
    (tmp_path / "sub").mkdir()
    (tmp_path / "file").write_text("")
    status, out, err = run_main(capsys, "run", "fanout", flag, str(tmp_path / name))
    assert status == 2 and out == ""
    assert message.format(dir=tmp_path) in one_line_error(err)


def test_output_in_an_unwritable_directory(capsys, tmp_path, no_run, monkeypatch):
    # Root writes anywhere, so the refusal is simulated where the probe file is made.
    def refuse(*args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied")
    monkeypatch.setattr(cli.tempfile, "mkstemp", refuse)
    status, out, err = run_main(capsys, "run", "fanout", "--trace", str(tmp_path / "t.json"))
    assert status == 2 and out == ""
    assert f"--trace: cannot write in '{tmp_path}': Permission denied" in one_line_error(err)


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes in read-only directories")
def test_output_in_a_read_only_directory(capsys, tmp_path, no_run):
    tmp_path.chmod(0o555)
    try:
        status, out, err = run_main(capsys, "run", "fanout", "--plot", str(tmp_path / "p.png"))
    finally:
        tmp_path.chmod(0o755)
    assert status == 2 and out == ""
    assert "cannot write in" in one_line_error(err)


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full")
def test_write_failure_at_the_end_is_one_line(capsys):
    status, out, err = run_main(capsys, "run", "fanout", "--goroutines", "20",
                                "--trace", "/dev/full")
    assert status == 2
    assert out.startswith("fanout (n=20)")                  # the run's summary came first
    assert one_line_error(err) == ("gmpcore run: error: --trace: cannot write '/dev/full': "
                                   "No space left on device\n")


def test_full_disk_leaves_no_half_written_file(capsys, tmp_path, monkeypatch):
    import gmpcore.trace

    def write_then_fail(res, path):
        Path(path).write_text('{"traceEvents": [')
        raise OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr(gmpcore.trace, "to_perfetto", write_then_fail)
    old = tmp_path / "t.json"
    old.write_text("the previous trace")
    status, out, err = run_main(capsys, "run", "fanout", "--goroutines", "20",
                                "--trace", str(old))
    assert status == 2
    assert "cannot write" in one_line_error(err) and "No space left on device" in err
    assert "wrote" not in out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.json"]
    assert old.read_text() == "the previous trace"


def test_ctrl_c_while_writing_leaves_no_file(capsys, tmp_path, monkeypatch):
    import gmpcore.trace

    def write_then_interrupt(res, path):
        Path(path).write_text('{"traceEvents": [')
        raise KeyboardInterrupt
    monkeypatch.setattr(gmpcore.trace, "to_perfetto", write_then_interrupt)
    status, _, err = run_main(capsys, "run", "fanout", "--goroutines", "20",
                              "--trace", str(tmp_path / "t.json.gz"))
    assert status == 130 and err == "gmpcore: interrupted\n"
    assert list(tmp_path.iterdir()) == []


def test_outputs_are_renamed_into_place(capsys, tmp_path):
    trace = tmp_path / "t.json.gz"
    status, out, err = run_main(capsys, "run", "fanout", "--goroutines", "20",
                                "--trace", str(trace))
    assert status == 0, err
    import gzip
    with gzip.open(trace, "rt") as f:                     # gzip kept through the temporary name
        assert json.load(f)["traceEvents"]
    assert [p.name for p in tmp_path.iterdir()] == ["t.json.gz"]
    umask = os.umask(0)
    os.umask(umask)
    assert trace.stat().st_mode & 0o777 == 0o666 & ~umask   # not mkstemp's 0600


def test_plot_without_extension_reports_the_png(capsys, tmp_path):
    if not cli._have("matplotlib"):
        pytest.skip("needs matplotlib")
    status, out, err = run_main(capsys, "run", "fanout", "--goroutines", "20",
                                "--plot", str(tmp_path / "summary"))
    assert status == 0, err
    assert out.splitlines()[-1] == f"wrote {tmp_path / 'summary.png'}"
    assert [p.name for p in tmp_path.iterdir()] == ["summary.png"]
    assert (tmp_path / "summary.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


# ---------------------------------------------------------------- simulate's refusals

def test_simulate_refusal_is_one_line_with_the_cli_hint(capsys, monkeypatch):
    def refuse(*args, **kwargs):
        raise ValueError("go(count=1000000000) with per-G records needs 64 GB;\n"
                         "use record_goroutines=False")
    monkeypatch.setattr(SIMULATE_MODULE, "simulate", refuse)
    status, out, err = run_main(capsys, "run", "fanout")
    assert status == 2 and out == ""
    assert err.startswith("gmpcore run: error: go(count=1000000000) with per-G records needs "
                          "64 GB; use record_goroutines=False (on the command line: --no-records)")
    assert len(err.splitlines()) == 1
    # A message that already names the option gets no second hint.
    def refuse_naming_the_option(*args, **kwargs):
        raise ValueError("too big: pass record_goroutines=False (the CLI's --no-records)")
    monkeypatch.setattr(SIMULATE_MODULE, "simulate", refuse_naming_the_option)
    _, _, err = run_main(capsys, "run", "fanout")
    assert err.count("--no-records") == 1


def test_out_of_memory_is_one_line(capsys, monkeypatch):
    def exhaust(*args, **kwargs):
        raise MemoryError
    monkeypatch.setattr(SIMULATE_MODULE, "simulate", exhaust)
    status, out, err = run_main(capsys, "sweep", "fanout")
    assert status == 2 and out == ""
    assert err == ("gmpcore sweep: error: out of memory; the per-goroutine records grow "
                   "with every goroutine: try --no-records\n")


def test_go_fatal_error_is_printed_as_go_does(capsys):
    # until="all": the leaked searchers never finish — checkdead's deadlock.
    status, out, err = run_main(capsys, "run", "leak", "--goroutines", "5", "--until", "all")
    assert status == 2 and out == ""
    # Go's message (and its goroutine dump, if the engine gives one), no traceback.
    assert err.startswith("fatal error: all goroutines are asleep - deadlock!\n")
    assert "Traceback" not in err
    status, out, err = run_main(capsys, "sweep", "leak", "--goroutines", "5", "--until", "all")
    assert status == 2 and out == ""
    assert err.startswith("fatal error: all goroutines are asleep - deadlock!\n")


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
    ["run", "fanout", "--json", "--csv"],
    ["demo", "--procs", "1"],
    ["demo", "--goroutines", "-1"],
    ["run", "fanout", "--goroutines", "2000000000"],
    ["run", "fanout", "--seed", str(2**63)],
    ["run", "fanout", "--schedtrace=-1ms"],
    ["run", "fanout", "--monitor", "-5us"],
    ["run", "fanout", "--snapshot", "-1ms"],
    ["run", "fanuot"],
    ["run", "fanout", "--trace", "t.xyz"],
    ["run", "fanout", "--trace", "."],
    ["run", "fanout", "--plot", "p.xyz"],
    ["sweep", "fanout", "--trace", "x.json"],
    ["sweep", "fanout", "--plot", "x.xyz"],
    ["sweep", "fanout", "--procs", "1,5000"],
    ["sweep", "fanout", "--procs", "-1,2"],
    ["sweep", "fanuot"],
    ["demo", "--procs", "1048576"],
    ["demo", "--goroutines", "100000000"],
    ["demo", "--rounds", "1000000"],
    ["demo", "--seed", "-1"],
    ["demo", "--procs", "-3"],
    ["--bogus"],
])
def test_usage_errors_exit_2_with_one_line(capsys, argv):
    status, out, err = run_main(capsys, *argv)
    assert status == 2
    assert out == ""
    assert len(err.splitlines()) == 1 and err.endswith("\n")
    assert re.match(r"gmpcore( run| sweep| demo)?: error: ", err)


@pytest.mark.parametrize("argv,message", [
    # In terms of the option, not of go()'s argument.
    (["run", "fanout", "--goroutines", "2000000000"],
     "argument --goroutines: must be between 1 and 1,000,000,000, got 2,000,000,000"),
    (["sweep", "fanout", "--goroutines", "0"],
     "argument --goroutines: must be between 1 and 1,000,000,000, got 0"),
    (["run", "fanout", "--procs", "5000"],
     "argument --procs: must be between 1 and 4,096, got 5,000"),
    # A negative duration is a value, not an option ("expected one argument").
    (["run", "fanout", "--schedtrace", "-1ms"],
     "argument --schedtrace: duration must be positive, got '-1ms'"),
    (["run", "fanout", "--schedtrace=-1ms"],
     "argument --schedtrace: duration must be positive, got '-1ms'"),
    (["run", "fanout", "--sched", "-1ms"],
     "argument --schedtrace: duration must be positive, got '-1ms'"),
    (["run", "fanout", "--monitor", "-0.5us"],
     "argument --monitor: duration must be positive, got '-0.5us'"),
    (["run", "fanout", "--schedtrace", "0s"],
     "argument --schedtrace: duration must be positive, got '0s'"),
    (["run", "fanuot"], "unknown scenario 'fanuot'; did you mean 'fanout'?"),
    (["sweep", "slepers"], "unknown scenario 'slepers'; did you mean 'sleepers'?"),
    # demo's limits keep it to seconds (its idle Ps scan every other P).
    (["demo", "--procs", "1048576"], "argument --procs: must be between 2 and 64, got 1,048,576"),
    (["demo", "--rounds", "-1"], "argument --rounds: must be between 0 and 100, got -1"),
])
def test_error_messages_name_the_option(capsys, argv, message):
    status, out, err = run_main(capsys, *argv)
    assert status == 2 and out == ""
    assert message in err
    assert "go()" not in err and "expected one argument" not in err


def test_scenario_refusing_the_size_is_reported_in_the_options_terms(capsys):
    status, _, err = run_main(capsys, "run", "pool", "--goroutines", "7")
    assert status == 2
    assert ("--goroutines 7 does not fit scenario 'pool': it sets jobs for the pool's 8 "
            "workers, a multiple of 8") in err
    assert "worker_pool" not in err


def test_sweep_points_at_its_own_help(capsys):
    status, _, err = run_main(capsys, "sweep", "fanout", "--trace", "x.json")
    assert status == 2
    assert err == ("gmpcore sweep: error: unrecognized arguments: --trace x.json; --trace is an "
                   "option of 'gmpcore run' (see 'gmpcore sweep --help')\n")
    # No such hint for an option of the command itself (here after "--").
    status, _, err = run_main(capsys, "run", "fanout", "--", "--procs")
    assert status == 2
    assert err == ("gmpcore run: error: unrecognized arguments: --procs "
                   "(see 'gmpcore run --help')\n")


def test_demo_refuses_sizes_that_take_minutes(capsys):
    from gmpcore import demo

    with pytest.raises(ValueError, match=r"nprocs must be in \[2, 64\]"):
        demo.demo(nprocs=1_048_576)
    with pytest.raises(ValueError, match="rounds"):
        demo.demo(rounds=10**6)
    with pytest.raises(TypeError, match="goroutines"):
        demo.demo(goroutines=1.5)
    status, out, _ = run_main(capsys, "demo", "--procs", "64", "--goroutines", "1000",
                              "--rounds", "1")
    assert status == 0 and out.startswith("spawned 1000 Gs on P0: ")


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
    # Compute-bound: scales with Ps; a little beyond 4x at 4 Ps is possible, as
    # at P=1 more goroutines pile up and more switches find them out of the cache.
    assert speedups[0] < speedups[1] < speedups[2] <= 4.2


@pytest.mark.parametrize("argv", [["sweep", "fanout", "--procs", "0,2"],
                                  ["sweep", "fanout", "--procs", "two"],
                                  ["sweep", "nope"]])
def test_sweep_usage_errors(capsys, argv):
    with pytest.raises(SystemExit) as info:
        cli.main(argv)
    assert info.value.code == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


def test_json_summary_is_the_results_summary(capsys):
    status, out, err = run_main(capsys, "run", "fanout", "--goroutines", "300", "--procs", "2",
                                "--seed", "3", "--json")
    assert status == 0
    row = json.loads(out)
    res = gmp.simulate(scenarios.fanout(n=300), gomaxprocs=2, seed=3)
    assert row == dict(scenario="fanout", n=300, gomaxprocs=2, seed=3, engine="compiled",
                       until="main", **{k: v for k, v in res.summary().items()
                                        if k != "gomaxprocs"})


def test_csv_sweep_has_a_row_per_gomaxprocs(capsys):
    import csv
    import io
    status, out, err = run_main(capsys, "sweep", "fanout", "--goroutines", "300",
                                "--procs", "1,2,4", "--csv", "--no-records")
    assert status == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["gomaxprocs"] for r in rows] == ["1", "2", "4"]
    for r in rows:
        res = gmp.simulate(scenarios.fanout(n=300), gomaxprocs=int(r["gomaxprocs"]), seed=0)
        assert int(r["makespan_ns"]) == res.makespan_ns
        assert float(r["latency_p99_ns"]) == res.summary()["latency_p99_ns"]


def test_plot_works_without_records(capsys, tmp_path):
    pytest.importorskip("matplotlib")
    target = tmp_path / "lean.png"
    status, out, err = run_main(capsys, "run", "fanout", "--goroutines", "300", "--no-records",
                                "--plot", str(target))
    assert status == 0 and target.read_bytes()[:4] == b"\x89PNG"


def test_sweep_with_replicates_and_set_gives_means_and_intervals(capsys):
    status, out, err = run_main(capsys, "sweep", "pool", "--goroutines", "800", "--procs",
                                "1,2", "--set", "work=5us,20us", "--replicates", "3", "--seed", "4")
    assert status == 0, err
    lines = out.splitlines()
    assert "3 replicates per row (mean, 95% interval)" in lines[0]
    assert lines[1].split()[:3] == ["gomaxprocs", "work", "makespan"]
    assert len(lines) == 2 + 4                                 # 2 GOMAXPROCS x 2 work
    ds = gmp.sweep(scenarios.worker_pool, {"jobs": [800], "gomaxprocs": [1, 2],
                                           "work": ["5us", "20us"]},
                   replicates=3, seed=4, metrics=["makespan_ns"])
    mean = float(ds["makespan_ns"].sel(jobs=800, gomaxprocs=2, work="20us").mean())
    assert cli._short(mean) in lines[-1]


def test_sweep_csv_rows_have_intervals(capsys):
    import csv
    import io
    status, out, err = run_main(capsys, "sweep", "io", "--goroutines", "300", "--procs", "1,2",
                                "--replicates", "2", "--csv")
    assert status == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["gomaxprocs"] for r in rows] == ["1", "2"]
    for r in rows:
        assert float(r["makespan_ns_low"]) <= float(r["makespan_ns"]) <= \
            float(r["makespan_ns_high"])


@pytest.mark.parametrize("argv, message", [
    (["--set", "bogus=1"], "'bogus' is not an argument"),
    (["--set", "x"], "expected NAME=V,V,..., got 'x'"),
    (["--set", "gomaxprocs=1,2"], "use --procs"),
    (["--replicates", "0"], "--replicates: must be between 1 and"),
])
def test_sweep_grid_errors(capsys, argv, message):
    status, out, err = run_main(capsys, "sweep", "io", *argv)
    assert status == 2 and message in err and "Traceback" not in err


def test_sweep_plot_draws_the_means_with_intervals(capsys, tmp_path):
    pytest.importorskip("matplotlib")
    target = tmp_path / "sweep"
    status, out, err = run_main(capsys, "sweep", "pool", "--goroutines", "400", "--procs", "1,2",
                                "--replicates", "2", "--plot", str(target))
    assert status == 0, err
    assert (tmp_path / "sweep.png").read_bytes()[:4] == b"\x89PNG"
    assert out.splitlines()[-1] == f"wrote {target}.png"
