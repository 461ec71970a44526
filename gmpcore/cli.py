"""The ``gmpcore`` command (also ``python -m gmpcore``).

Subcommands:

``gmpcore run SCENARIO [options]``
    Simulate a built-in scenario and print a summary table.
``gmpcore sweep SCENARIO [--procs 1,2,4,8] [options]``
    The GOMAXPROCS sweep: the same scenario at several GOMAXPROCS, a row each.
``gmpcore scenarios``
    List the built-in scenarios, one per line.
``gmpcore demo``
    The run-queue demonstration (:mod:`gmpcore.demo`).

Usage errors (an unknown scenario, a bad duration, a negative count, an
argument :func:`gmpcore.simulate` refuses) exit with status 2 and one line on
stderr; so does a simulated program that dies, with Go's own message, as the
Go program would.  Ctrl-C exits with status 130.  docs/cli.md is the
reference.

>>> main(["scenarios"])                 # doctest: +ELLIPSIS
fanout     10,000 compute goroutines and a WaitGroup: spills, global batches, stealing
io         goroutines waiting on the network: parked in the netpoller, few threads
...
0
>>> main(["run", "fanout", "--goroutines", "1000", "--procs", "4"])   # doctest: +ELLIPSIS
fanout (n=1000), GOMAXPROCS=4, seed 0, compiled engine
  makespan         ...ms
  goroutines       1001 created: ...
  threads          ...
  steals           ...
  spills           ...
  handoffs         0
  preemptions      0
  syscalls         0
  other counters   ...
  P busy           P0 ...%  P1 ...%  P2 ...%  P3 ...%
  sched latency    mean ...  p99 ...  (first run − created)
  stacks           1.955 MiB (2 KiB per G)
0
"""

import argparse
import importlib.util
import inspect
import os
import sys
from pathlib import Path

import numpy as np

from gmpcore import __version__
from gmpcore.durations import parse_duration
from gmpcore.errors import GoFatalError
from gmpcore.events import G_STATUS_NAMES, WAIT_REASONS
from gmpcore.scenarios import SCENARIOS

__all__ = ["main", "build_parser", "SIZE_PARAMETERS", "summary"]

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
    "unbounded": ("jobs", "jobs, one goroutine each"),
    "leak": ("n", "searchers, all but one of which leak"),
}

MONITOR_PERIOD = 50_000       # ns: 1,000 samples for a 50 ms run, 400,000 for 20 s
PROGRESS_EVERY = 250_000      # engine events between progress-bar updates (~20 a second)
EXIT_USAGE = 2                # argparse's status, and a Go program's on a fatal error
EXIT_INTERRUPTED = 130        # 128 + SIGINT, as shells report it
EXIT_BROKEN_PIPE = 141        # 128 + SIGPIPE


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors: ``gmpcore run: error: ... (see --help)``."""

    def error(self, message):
        message = " ".join(str(message).split())
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


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


def _count(lo):
    def convert(text):
        try:
            v = int(text, 10)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
        if v < lo:
            raise argparse.ArgumentTypeError(f"must be at least {lo}, got {v}")
        return v
    convert.__name__ = "integer"
    return convert


def _procs_list(text):
    """``1,2,4,8`` -> [1, 2, 4, 8] (each at least 1)."""
    return [_count(1)(part.strip()) for part in text.split(",")]


# ---------------------------------------------------------------- the parser

def _size_default(name):
    """The scenario function's default for its size parameter."""
    function, param = SCENARIOS[name][0], SIZE_PARAMETERS[name][0]
    return inspect.signature(function).parameters[param].default


def _scenario_options(p):
    """The options `run` and `sweep` share: the scenario's size and the run's."""
    p.add_argument("--goroutines", type=_count(0), metavar="N",
                   help="the scenario's size (see 'gmpcore run --help'; default: its own)")
    p.add_argument("--seed", type=_count(0), default=0, metavar="S",
                   help="seed for every random choice (default 0)")
    p.add_argument("--until", choices=("main", "all"), default="main",
                   help="stop when main exits, as Go does (default), or when every G has")
    p.add_argument("--no-async-preempt", dest="async_preempt", action="store_false",
                   help="cooperative preemption only (GODEBUG=asyncpreemptoff=1)")
    p.add_argument("--engine", choices=("compiled", "reference"), default="compiled",
                   help="the Cython engine (default) or the pure-Python reference model")
    p.add_argument("--no-records", dest="records", action="store_false",
                   help="keep no per-goroutine records (record_goroutines=False): memory "
                        "follows the goroutines alive at once; same schedule, no latency "
                        "figures")


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
    run.add_argument("--procs", type=_count(1), default=4, metavar="N",
                     help="GOMAXPROCS, the number of Ps (default 4)")
    run.add_argument("--schedtrace", type=_duration, metavar="PERIOD",
                     help="print GODEBUG=schedtrace lines every PERIOD of virtual time")
    run.add_argument("--trace", type=Path, metavar="OUT.json",
                     help="write a Perfetto/Chrome trace (open it in ui.perfetto.dev)")
    run.add_argument("--plot", type=Path, metavar="OUT.png",
                     help="save summary plots (needs matplotlib: pip install 'gmpcore[plot]')")
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
                       help="the GOMAXPROCS values (default 1,2,4,8)")
    _scenario_options(sweep)

    scenarios = sub.add_parser("scenarios", help="list the built-in scenarios",
                               description="List the built-in scenarios, one per line.")

    demo = sub.add_parser(
        "demo", help="a step-by-step demonstration of Go's run queues",
        description="One goroutine on P0 spawns many others; the ring spills to the "
                    "global queue; the idle Ps take batches from it and steal.")
    demo.add_argument("--procs", type=int, default=4, metavar="N",
                      help="number of Ps (GOMAXPROCS), at least 2 (default 4)")
    demo.add_argument("--goroutines", type=int, default=600, metavar="N",
                      help="goroutines spawned on P0 (default 600)")
    demo.add_argument("--seed", type=int, default=1, metavar="S")
    demo.add_argument("--rounds", type=int, default=8, metavar="N",
                      help="rounds of the idle Ps looking for work (default 8)")
    # Each command reports usage errors through its own parser ("gmpcore run: error: ...").
    parser.commands = {"run": run, "sweep": sweep, "scenarios": scenarios, "demo": demo}
    return parser


# ---------------------------------------------------------------- the summary

def _short(ns):
    """A duration rounded for a table: ``25.39ms``, ``12.6µs``, ``2.5s``."""
    ns = float(ns)
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if abs(ns) >= scale:
            return f"{ns / scale:.4g}{unit}"
    return f"{ns:.4g}ns"


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


def _per_g_rows(gs):
    """The summary rows that need per-G records: latency and stacks."""
    rows = []
    ran = gs["first_run"] >= 0
    if ran.any():
        lat = (gs["first_run"][ran] - gs["created"][ran]).astype(np.float64)
        never = int((~ran).sum())
        rows.append(("sched latency", f"mean {_short(lat.mean())}  p99 {_short(np.percentile(lat, 99))}"
                     f"  (first run − created{f'; {never} Gs never ran' if never else ''})"))
    else:
        rows.append(("sched latency", "n/a (no goroutine ran)"))
    if len(gs):
        stacks = int(gs["stack"].sum())
        rows.append(("stacks", f"{_bytes(stacks)} ({_bytes(stacks / len(gs))} per G)"))
    return rows


def summary(res, title=""):
    """The summary table of a :class:`gmpcore.Result` as lines of text."""
    gs, c, span = res.goroutines, res.counters, res.makespan_ns
    rows = [("makespan", _short(span)),
            ("goroutines", f"{c['goroutines']} created (no per-G records: --no-records)"
             if gs is None else f"{len(gs)} created: {_states(gs)}")]
    for key in ("threads", "steals", "spills", "handoffs", "preemptions", "syscalls"):
        rows.append((key, str(c.get(key, 0))))
    others = [f"{k}={c[k]}" for k in ("spinning", "netpolls", "timers", "events") if k in c]
    if others:
        rows.append(("other counters", " ".join(others)))
    busy = [f"P{int(p)} {100 * b / span:.1f}%" if span > 0 else f"P{int(p)} -"
            for p, b in zip(res.procs["p"], res.procs["busy_ns"])]
    for i in range(0, len(busy), 8):
        rows.append(("P busy" if i == 0 else "", "  ".join(busy[i:i + 8])))
    if gs is not None:
        rows += _per_g_rows(gs)
    lines = [title] if title else []
    lines += [f"  {name:<16} {value}".rstrip() for name, value in rows]
    return lines


# ---------------------------------------------------------------- progress

class _Progress:
    """``simulate(progress=...)``: a tqdm bar on a terminal, after a second.

    It is passed even when no bar is shown: the callback is where a
    KeyboardInterrupt raised by Ctrl-C surfaces in a long compiled run.
    """

    def __init__(self, label):
        self.bar = None
        self.seen = 0
        try:
            from tqdm import tqdm
        except ImportError:                  # a declared dependency, but run without it
            return
        self.bar = tqdm(desc=label, unit=" events", unit_scale=True, delay=1, leave=False,
                        file=sys.stderr, disable=not _isatty(sys.stderr))

    def __call__(self, events, now_ns):
        if self.bar is not None:
            self.bar.update(events - self.seen)
            self.bar.set_postfix_str(f"virtual time {_short(now_ns)}", refresh=False)
        self.seen = events

    def write(self, text):
        """Print `text` on stdout without tearing the bar (schedtrace lines)."""
        if self.bar is not None and not self.bar.disable:
            self.bar.write(text, file=sys.stdout)
        else:
            print(text)

    def close(self):
        if self.bar is not None:
            self.bar.close()


def _isatty(stream):
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


# ---------------------------------------------------------------- commands

def _have(module):
    return importlib.util.find_spec(module) is not None


def _writable(path, flag, parser):
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        parser.error(f"{flag}: directory {str(parent)!r} does not exist")


def _workload(args, parser):
    """The scenario's workload at the size asked for: (workload, size name, size)."""
    if args.scenario not in SCENARIOS:
        parser.error(f"unknown scenario {args.scenario!r}; choose from "
                     f"{', '.join(SCENARIOS)}")
    function = SCENARIOS[args.scenario][0]
    size_name = SIZE_PARAMETERS[args.scenario][0]
    size = _size_default(args.scenario) if args.goroutines is None else args.goroutines
    try:
        return function(**{size_name: size}), size_name, size
    except (TypeError, ValueError) as err:
        parser.error(str(err))


def _cmd_sweep(args, parser):
    from gmpcore.scenarios import gomaxprocs_sweep

    workload, size_name, size = _workload(args, parser)
    progress = _Progress(args.scenario)
    try:
        runs = gomaxprocs_sweep(workload, procs=args.procs, seed=args.seed, until=args.until,
                                async_preempt=args.async_preempt, engine=args.engine,
                                record_goroutines=args.records,
                                progress=progress, progress_every=PROGRESS_EVERY)
    except (TypeError, ValueError) as err:
        parser.error(str(err))
    except GoFatalError as err:
        print(err, file=sys.stderr)                   # as the Go program would
        return EXIT_USAGE
    finally:
        progress.close()
    print(f"{args.scenario} ({size_name}={size}), seed {args.seed}, {args.engine} engine")
    print(f"{'GOMAXPROCS':>10}  {'makespan':>10}  {'speed-up':>8}  {'P busy':>6}  "
          f"{'threads':>7}  {'steals':>7}  {'spills':>7}  {'handoffs':>8}")
    base = runs[0][1].makespan_ns
    for procs, res in runs:
        span = res.makespan_ns
        busy = res.procs["busy_ns"].sum() / (procs * span) if span else 0.0
        c = res.counters
        speedup = f"{base / span:.2f}x" if span else "-"
        print(f"{procs:>10}  {_short(span):>10}  {speedup:>8}  {busy:>6.1%}  "
              f"{c['threads']:>7}  {c['steals']:>7}  {c['spills']:>7}  {c['handoffs']:>8}")
    return 0


def _cmd_run(args, parser):
    from gmpcore.simulate import simulate

    # Check optional features before a run that may take minutes.
    if args.trace is not None:
        _writable(args.trace, "--trace", parser)
    if not args.records and (args.trace is not None or args.plot is not None):
        parser.error("--trace and --plot need the per-goroutine records; drop --no-records")
    if args.plot is not None:
        if not _have("matplotlib"):
            parser.error("--plot needs matplotlib: pip install 'gmpcore[plot]'")
        _writable(args.plot, "--plot", parser)

    workload, size_name, size = _workload(args, parser)
    progress = _Progress(args.scenario)
    options = dict(gomaxprocs=args.procs, seed=args.seed, until=args.until,
                   async_preempt=args.async_preempt, engine=args.engine,
                   record_goroutines=args.records)
    if args.schedtrace is not None:
        options["schedtrace"] = args.schedtrace
        options["on_schedtrace"] = progress.write    # as the run goes, like Go's sysmon
    if args.snapshot is not None:
        options["snapshot_at"] = args.snapshot
    if args.trace is not None:
        options["record_events"] = True
    if args.trace is not None or args.plot is not None:
        options["monitor"] = args.monitor
    try:
        res = simulate(workload, progress=progress, progress_every=PROGRESS_EVERY, **options)
    except (TypeError, ValueError) as err:
        parser.error(str(err))
    except GoFatalError as err:
        # What the Go program would print on stderr; Go exits 2 too.
        print(err, file=sys.stderr)
        return EXIT_USAGE
    finally:
        progress.close()

    if args.snapshot is not None:
        _print_snapshot(res, args.snapshot)
    title = (f"{args.scenario} ({size_name}={size}), GOMAXPROCS={args.procs}, "
             f"seed {args.seed}, {args.engine} engine")
    for line in summary(res, title):
        print(line)
    if args.trace is not None:
        from gmpcore.trace import to_perfetto
        to_perfetto(res, args.trace)
        print(f"wrote {args.trace} (open it in https://ui.perfetto.dev)")
    if args.plot is not None:
        os.environ.setdefault("MPLBACKEND", "Agg")
        from gmpcore.plots import plot_summary
        plot_summary(res, args.plot)
        print(f"wrote {args.plot}")
    return 0


def _print_snapshot(res, at):
    from gmpcore.durations import format_duration

    snap = res.snapshot                  # taken at the end if the run ended before `at`
    if snap.time < at:
        print(f"(the run ended at {format_duration(snap.time)}, before "
              f"{format_duration(at)}: this is its last moment)")
    print(snap)
    print()


def _cmd_scenarios(args, parser):
    width = max(map(len, SCENARIOS))
    for name, (_, text) in SCENARIOS.items():
        print(f"{name:<{width}}  {text}")
    return 0


def _cmd_demo(args, parser):
    from gmpcore.demo import demo

    if args.procs < 2:
        parser.error("--procs must be at least 2 for stealing to show")
    if not 0 <= args.goroutines <= 10_000_000:
        parser.error("--goroutines must be in [0, 10000000]")
    if args.rounds < 0:
        parser.error("--rounds must be at least 0")
    try:
        lines = demo(args.procs, args.goroutines, args.seed, args.rounds)
    except (TypeError, ValueError) as err:
        parser.error(str(err))
    for line in lines:
        print(line)
    return 0


_COMMANDS = {"run": _cmd_run, "sweep": _cmd_sweep, "scenarios": _cmd_scenarios,
             "demo": _cmd_demo}


def main(argv=None):
    """Run the ``gmpcore`` command with `argv` (default ``sys.argv[1:]``); return the exit status.

    Usage errors raise ``SystemExit(2)`` after one line on stderr, as
    argparse does; ``--help`` raises ``SystemExit(0)``.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.error(f"choose a command: {', '.join(_COMMANDS)}")
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
