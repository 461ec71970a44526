"""The model's side of benchmarks/go/wakeload: the same threads on 2 CPUs.

    python benchmarks/go/wakeload/model.py

n goroutines run `on` of CPU and make a blocking syscall of `off` (a thread
that sleeps in the kernel), main makes 400 syscall(1ms) calls; printed is
how much later than 1 ms each call's thread got back to run (from the event
log: syscall exit minus enter minus 1 ms), quantiles over seeds 0-2.  The
model charges no timer slack, so compare with the real lateness less the
idle machine's (the first line of results/runs.txt).
"""

import numpy as np

import gmpcore as gmp
from gmpcore.events import EV_SYSCALL_ENTER, EV_SYSCALL_EXIT

CASES = [(0, "1ms", "1ms"), (2, "150us", "150us"), (4, "150us", "150us"),
         (4, "150us", "50us"), (6, "150us", "150us")]


def lateness(n, on, off, seed):
    wl = gmp.Workload()
    bursty = wl.program(gmp.repeat(100_000, gmp.cpu(on), gmp.syscall(off)), name="bursty")
    wl.main(gmp.go(bursty, count=n), gmp.sleep("20ms"), gmp.repeat(400, gmp.syscall("1ms")))
    res = gmp.simulate(wl, gomaxprocs=8, cpus=2, seed=seed, record_events=True)
    ev = res.events[res.events["g"] == 0]                 # main's rows
    enter = ev[ev["kind"] == EV_SYSCALL_ENTER]["time"][-400:]
    leave = ev[ev["kind"] == EV_SYSCALL_EXIT]["time"][-400:]
    return leave - enter - 1_000_000


if __name__ == "__main__":
    for n, on, off in CASES:
        late = np.concatenate([lateness(n, on, off, s) for s in range(3)]) / 1e3
        p10, p50, p90, p99 = np.percentile(late, [10, 50, 90, 99])
        print(f"{n} bursty threads ({on} on, {off} off): syscall(1ms) late "
              f"p10 {p10:.1f}µs p50 {p50:.1f}µs p90 {p90:.1f}µs p99 {p99:.1f}µs")
