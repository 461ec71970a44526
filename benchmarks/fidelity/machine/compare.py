"""The model beside real Go for the machine cases of results.json.

For each fan-out and quota case run.py measured (real Go 1.27.3 on this
2-CPU VM, under taskset, beside pinned CPU hogs, in a cgroup v1 CPU quota),
simulate the same program on the same machine and print both: the model's
makespan and /sched/latencies p99 next to the measured wall time (median
over runs and the quiet runs' median, when the machine had quiet runs) and
the model on the ideal machine (``cpus=None``, gmpcore before issue 11).

    python benchmarks/fidelity/machine/compare.py [results.json]

The program: main starts -n goroutines, each spinning -work of CPU in a
loop without calls (only asynchronous preemption stops it), and waits.
The machine: ``all`` = 2 CPUs, ``cpu0`` = 1 CPU; each hog is one more
always-runnable thread (the model's hogs are not pinned: see fidelity.md).
"""

import json
import pathlib
import sys

import gmpcore as gmp

HERE = pathlib.Path(__file__).resolve().parent


def flag(case, name, default=None):
    flags = case["flags"]
    return flags[flags.index(name) + 1] if name in flags else default


def workload(case):
    n = int(flag(case, "-n", "1000"))
    work = flag(case, "-work", "1ms")
    wl = gmp.Workload()
    wg = wl.waitgroup()
    worker = wl.program(gmp.cpu(work, preemptible=False), gmp.done(wg), name="spin")
    wl.main(gmp.add(wg, n), gmp.go(worker, count=n), gmp.wait(wg))
    return wl


def machine(case):
    cpus = 1 if case["pin"] == "0" else 2
    kw = dict(cpus=cpus, background=len(case["hogs"]))
    if case["quota"]:
        q, p = case["quota"]
        kw["cpu_quota"] = (f"{q}us", f"{p}us")
    procs = flag(case, "-procs")
    kw["gomaxprocs"] = None if procs in (None, "0") else int(procs)   # 0: Go's default
    return kw


def ms(ns):
    return "-" if ns is None else f"{ns / 1e6:.0f} ms"


def main(path):
    data = json.loads(pathlib.Path(path).read_text())
    print(f"| case | Go wall, median [min-max] | Go wall, quiet median | model | "
          f"model p99 sched latency | Go p99 | ideal machine |")
    print("|---|---|---|---|---|---|---|")
    for case in data["cases"]:
        if case["group"] not in ("fanout", "fanout-hog", "quota"):
            continue
        wl, kw = workload(case), machine(case)
        res = gmp.simulate(wl, seed=1, **kw)
        ideal = gmp.simulate(wl, seed=1, gomaxprocs=len(res.procs), cpus=None)
        s, q = case["summary"], case.get("summary_quiet") or {}
        wall = s.get("wall_ns")
        quiet = (q.get("wall_ns") or {}).get("median") if case.get("quiet_runs") else None
        p99 = (s.get("schedlat_p99_ns") or {}).get("median")
        extra = ""
        if kw.get("cpu_quota"):
            extra = f" (throttled {res.counters['nr_throttled']}/{res.counters['nr_periods']})"
        print(f"| {case['name']} | {ms(wall['median'])} [{ms(wall['min'])}-{ms(wall['max'])}] "
              f"| {ms(quiet)} | {ms(res.makespan_ns)}{extra} "
              f"| {ms(res.sched_latencies.quantile(0.99))} | {ms(p99)} "
              f"| {ms(ideal.makespan_ns)} |")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else HERE / "results.json")
