"""The memory it takes to read a large Go trace (issue 15: a 1 GB trace must
not need 10 GB of RAM).

    python benchmarks/gotrace_bigfile.py --gib 1 [--whole]

Makes a synthetic trace of about that size (bench_gotrace.synthetic_trace,
written a generation at a time), then reads it in a fresh process with
gmp.gotrace.iter_go_trace, one generation at a time, counting events, and
prints that process's peak resident memory (getrusage's ru_maxrss) and the
events per second; --whole also reads it with gmp.read_go_trace, which
keeps every event (or refuses, with a MemoryError, if they will not fit).
"""

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

CHILD = """
import sys, time, resource
import gmpcore as gmp
how, path = sys.argv[1], sys.argv[2]
t0 = time.perf_counter()
n = gens = 0
try:
    if how == "iter":
        for tr in gmp.gotrace.iter_go_trace(path):
            n += len(tr.events)
            gens += 1
    else:
        tr = gmp.read_go_trace(path)
        n, gens = len(tr.events), tr.generations
    outcome = "read"
except MemoryError as err:
    outcome = f"MemoryError: {err}"
dt = time.perf_counter() - t0
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(n, gens, dt, peak, outcome, sep="\\t")
"""


def measure(how, path):
    out = subprocess.run([sys.executable, "-c", CHILD, how, path], check=True,
                         capture_output=True, text=True).stdout.strip().split("\t")
    n, gens, dt, peak, outcome = int(out[0]), int(out[1]), float(out[2]), int(out[3]), out[4]
    rate = f"{n / dt / 1e6:.2f} M events/s" if n else "-"
    print(f"{how:>5}: {n:,} events in {gens} generations, {dt:.1f} s ({rate}), "
          f"peak resident {peak / 2**30:.2f} GiB; {outcome}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--gib", type=float, default=1.0, help="trace size in GiB (default 1)")
    ap.add_argument("--whole", action="store_true", help="also read it whole (read_go_trace)")
    args = ap.parse_args()
    from bench_gotrace import synthetic_trace
    # About 5 bytes per event in the generated trace (a real one: 5-8).
    n = int(args.gib * 2**30 / 5)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "big.trace")
        t0 = time.perf_counter()
        with open(path, "wb") as f:
            synthetic_trace(n, file=f)
        size = os.path.getsize(path)
        print(f"made {size / 2**30:.2f} GiB ({n:,} events asked) in "
              f"{time.perf_counter() - t0:.0f} s; load {os.getloadavg()[0]:.2f}")
        measure("iter", path)
        if args.whole:
            measure("whole", path)
    print(f"this process: peak resident "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20:.2f} GiB")


if __name__ == "__main__":
    main()
