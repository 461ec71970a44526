"""LockOSThread: real Go against the simulator (docs/design/machine.md §7.2).

    python benchmarks/fidelity/lockosthread/run.py [--reps 7] [--quiet-wait 2]
    python benchmarks/fidelity/lockosthread/run.py --table    # print the saved comparison
    python benchmarks/fidelity/lockosthread/run.py --sim-only # re-simulate, keep the Go runs

Real Go: the ``lockpp`` and ``lockexit`` workloads of
``benchmarks/fidelity/machine/main.go`` (documented there), run by
``machine/run.py`` (one fresh process per run, cases round robin, waiting for
a quiet machine, recording the CPU other processes used and /proc/loadavg):

* ``lockpp``: two goroutines ping-pong over unbuffered channels, 50 000
  round trips, 0, 1 or 2 of them locked (LockOSThread), GOMAXPROCS 1 and 2;
* ``lockexit``: 8 goroutines lock and block; threads are counted (from
  /proc/self/status) while they are blocked and 50 ms after they exit, still
  locked or after UnlockOSThread.

The simulator: the same programs as gmpcore workloads, default cost model,
one run each (the workloads are deterministic); ns per round trip is the
makespan over the round trips, threads are Go's ``mcount()``.  Writes
``go-results.json`` (machine/run.py's format) and ``results.json`` (both,
side by side) next to this file.
"""

import argparse
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(HERE.parent / "machine"))

ROUNDS_SIM = 2000            # round trips simulated (the per-trip figure is flat after a few)


def sim_pingpong(procs, locked, rounds=ROUNDS_SIM):
    import gmpcore as gmp
    wl = gmp.Workload()
    ping, pong, wg = wl.chan(), wl.chan(), wl.waitgroup()
    a = wl.program(*([gmp.lock_os_thread()] if locked >= 1 else []),
                   gmp.repeat(rounds, gmp.send(ping), gmp.recv(pong)), gmp.done(wg), name="a")
    b = wl.program(*([gmp.lock_os_thread()] if locked >= 2 else []),
                   gmp.repeat(rounds, gmp.recv(ping), gmp.send(pong)), gmp.done(wg), name="b")
    wl.main(gmp.add(wg, 2), gmp.go(a), gmp.go(b), gmp.wait(wg))
    res = gmp.simulate(wl, gomaxprocs=procs)
    return {"ns_per_round_trip": res.makespan_ns / rounds, "threads_end": res.counters["threads"]}


def sim_lockexit(unlock, g=8):
    import gmpcore as gmp
    wl = gmp.Workload()
    release, ready, done = wl.chan(), wl.waitgroup(), wl.waitgroup()
    worker = wl.program(gmp.lock_os_thread(), gmp.done(ready), gmp.recv(release),
                        *([gmp.unlock_os_thread()] if unlock else []), gmp.done(done), name="w")
    # close(release) is not modelled: one send per worker releases them alike.
    wl.main(gmp.add(ready, g), gmp.add(done, g), gmp.go(worker, count=g), gmp.wait(ready),
            gmp.sleep("20ms"), gmp.repeat(g, gmp.send(release)), gmp.wait(done),
            gmp.sleep("50ms"))
    res = gmp.simulate(wl, gomaxprocs=2, snapshot_at="10ms")
    alive = sum(m["state"] != "dead" for m in res.snapshot.ms)
    # Go's threadcreate profile walks allm, which an exited M leaves: its
    # count is the Ms alive, mcount(), as counters["threads"].
    return {"threads_locked": alive, "threads_after_exit": res.counters["threads"],
            "threads_exited": res.counters["threads_exited"],
            "threadcreate": res.counters["threads"]}


def simulate_all():
    out = {}
    for procs in (2, 1):
        for locked in (0, 1, 2):
            out[f"pingpong P={procs} locked={locked}"] = sim_pingpong(procs, locked)
    for unlock in (False, True):
        out[f"8 locked Gs exit{' after unlock' if unlock else ' locked'}"] = sim_lockexit(unlock)
    return out


KEYS = ["ns_per_round_trip", "threads_end", "threads_locked", "threads_after_exit",
        "threadcreate"]


def compare(go_results, sim):
    rows = []
    for c in go_results["cases"]:
        s = c.get("summary", {})
        row = {"case": c["name"], "runs": len(c.get("runs", [])),
               "quiet_runs": c.get("quiet_runs"),
               "foreign_cpus_max": max((r.get("foreign_cpus", 0) for r in c.get("runs", [])),
                                       default=None),
               "loadavg": [r.get("loadavg_before") for r in c.get("runs", [])],
               "go": {k: s[k] for k in KEYS if k in s}, "sim": sim.get(c["name"], {})}
        rows.append(row)
    return rows


def table(rows):
    lines = ["| case | metric | Go median [min-max] | simulator |", "|---|---|---|---|"]
    for r in rows:
        for k in KEYS:
            if k not in r["go"] and k not in r["sim"]:
                continue
            g = r["go"].get(k)
            gtxt = "-" if g is None else (f"{g['median']:.4g} [{g['min']:.4g}-{g['max']:.4g}]")
            v = r["sim"].get(k)
            lines.append(f"| {r['case']} | {k} | {gtxt} | {'-' if v is None else f'{v:.4g}'} |")
    return "\n".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--reps", type=int, default=7)
    ap.add_argument("--quiet-wait", type=float, default=20)
    ap.add_argument("--table", action="store_true", help="print the saved comparison")
    ap.add_argument("--sim-only", action="store_true",
                    help="keep go-results.json, simulate again (after a model change)")
    args = ap.parse_args(argv)
    if args.table:
        print(table(json.loads((HERE / "results.json").read_text())["rows"]))
        return
    if not args.sim_only:
        import run as machine                # machine/run.py
        machine.main(["--groups", "lockpp,lockexit", "--reps", str(args.reps),
                      "--quiet-wait", str(args.quiet_wait),
                      "--out", str(HERE / "go-results.json")])
    go_results = json.loads((HERE / "go-results.json").read_text())
    rows = compare(go_results, simulate_all())
    from gmpcore.costs import FIELDS, CostModel
    out = {"command": "python benchmarks/fidelity/lockosthread/run.py "
                      + " ".join(argv if argv is not None else sys.argv[1:]),
           "go_version": go_results.get("go_version"), "machine": go_results.get("machine"),
           "loadavg_start": go_results.get("loadavg_start"),
           "loadavg_end": go_results.get("loadavg_end"),
           "sim_costs": {k: getattr(CostModel(), k) for k in FIELDS},
           "sim_rounds": ROUNDS_SIM, "rows": rows}
    (HERE / "results.json").write_text(json.dumps(out, indent=1) + "\n")
    print(table(rows))


if __name__ == "__main__":
    main()
