"""Speed and memory of whole simulations (issue 5): asv benchmarks.

Workloads (:func:`build`)
-------------------------
``fanout``
    The issue's workload: main spawns N goroutines, each ``cpu("1us")`` then
    ``done(wg)``; main waits on the WaitGroup.
``mixed``
    N goroutines in four equal groups: callers (``cpu``, a 5 µs ``syscall``,
    ``cpu``), sleepers (a 20 µs ``sleep`` timer, then ``cpu``), network
    clients (a 50 µs ``netwait``, then ``cpu``), and ping/pong pairs that pass
    a token back and forth 4 times over two unbuffered channels.  About 10
    engine events per goroutine against the fan-out's 5: the issue's "mixed
    workloads at ≥ 10 million scheduling events per second".
``mutex``
    N goroutines in groups of 64 (at most 64 groups), each group contending for its own
    ``sync.Mutex``: ``lock``, ``cpu("200ns")``, ``unlock``, ``cpu("1us")``, 4
    times, then ``done(wg)``: spinning, parking on the semaphore, wake-ups
    and, past 1 ms of waiting, starvation-mode hand-offs (issue 13).
``select``
    N goroutines in groups of 64 (at most 64 groups), half clients, half
    servers, each group with two unbuffered channels: a client does
    ``cpu("200ns")`` and a select sending on either channel, 4 times; a
    server a select receiving from either, then ``cpu("200ns")``, 4 times.
    Every select blocks or hands over: poll orders, sudogs on both channels,
    the selectDone skip of stale entries and pass 3.

Grids: ``GMPCORE_BENCH=quick|large``
------------------------------------
The environment variable picks the parameter grid (goroutines × GOMAXPROCS ×
workload × records) when asv imports this module; ``records`` is ``full``
(``res.goroutines``, one 64-byte record per G, the default) or ``none``
(``record_goroutines=False``: dead Gs' rows are reused, so memory follows
the Gs alive at once):

* ``quick`` (the default, for CI): N = 10^3, 10^4, 10^5; GOMAXPROCS = 1, 8.
  ``asv run --quick`` of the whole module takes well under two minutes.
* ``large`` (real runs; an hour or more): N = 10^4 … 10^8; GOMAXPROCS = 1, 2, 8, 64,
  256.  Timed benchmarks run once per sample without warm-up, and every
  process of N ≥ 10^7 caps its address space a little below the machine's
  available memory, so a run that does not fit fails with ``MemoryError``
  instead of waking the kernel's OOM killer.

What is measured
----------------
``Simulate.time_simulate``
    Wall time of one ``gmp.simulate(compiled, gomaxprocs=P, seed=1)``.  The
    workload is compiled once, in ``setup_cache`` (what ``simulate`` would
    otherwise do on every call), so only the engine and building the Result
    are timed.
``Simulate.peakmem_simulate``
    asv's peak RSS of the benchmark process: the interpreter, NumPy and
    gmpcore (about 50 MB) plus the run.  ``Memory`` below separates the run.
``Rates.track_goroutines_per_second``, ``Rates.track_events_per_second``
    N, and the engine's ``counters["events"]``, divided by the best wall time
    of up to 5 runs (at least one; more only while they add up to under a
    quarter of a second).  The target of issue 5 is ≥ 3·10^7 goroutines/s
    for the fan-out at N = 10^7, GOMAXPROCS = 8, and ≥ 10^7 events/s for
    mixed workloads.
``Memory.track_bytes_per_goroutine``
    Peak RSS growth during one ``simulate`` call, divided by N, measured in a
    fresh Python process (``python bench_simulate.py memory KIND N P``) so
    that nothing the asv process allocated or freed before hides or inflates
    it.  The child compiles the workload and warms the engine up on a tiny
    run, reads its current RSS (``VmRSS``), resets the kernel's high-water
    mark (``echo 5 > /proc/self/clear_refs``, Linux ≥ 4.0), runs the
    simulation keeping the Result alive, and reads the new high-water mark
    (``VmHWM``): "records included", as the issue's ≤ 48 bytes per goroutine
    asks.  Where the mark cannot be reset, ``ru_maxrss`` (the high-water mark
    since the child started) is used instead, which can only overstate the
    growth.  RSS counts whole pages, so at N = 10^3 the figure is coarse; it
    is meaningful from about 10^5 up.  tracemalloc is not used: it does not
    see the engine's C allocations.
"""

import gc
import json
import math
import os
import resource
import subprocess
import sys
import time

import gmpcore as gmp

PROFILES = {
    "quick": {
        "goroutines": [10**3, 10**4, 10**5],
        "gomaxprocs": [1, 8],
    },
    "large": {
        "goroutines": [10**4, 10**5, 10**6, 10**7, 10**8],
        "gomaxprocs": [1, 2, 8, 64, 256],
    },
}
WORKLOADS = ["fanout", "mixed", "mutex", "select"]
# "full": one record per G (res.goroutines, the default); "none":
# record_goroutines=False, dead Gs' rows reused (memory follows live Gs).
RECORDS = ["full", "none"]

PROFILE = os.environ.get("GMPCORE_BENCH", "quick") or "quick"
if PROFILE not in PROFILES:
    raise ValueError(f"GMPCORE_BENCH must be one of {sorted(PROFILES)}, got {PROFILE!r}")
GRID = PROFILES[PROFILE]
LARGE = PROFILE == "large"
PARAMS = [GRID["goroutines"], GRID["gomaxprocs"], WORKLOADS, RECORDS]
PARAM_NAMES = ["goroutines", "gomaxprocs", "workload", "records"]
# The largest runs take minutes each (10^8 goroutines); asv's default is 60 s.
TIMEOUT = 4 * 3600 if LARGE else 120
BIG = 10**7                       # from here on a process caps its address space


def build(kind, n):
    """The benchmark workload `kind` ("fanout", "mixed", "mutex" or "select") with `n` goroutines."""
    wl = gmp.Workload()
    wg = wl.waitgroup()
    if kind == "fanout":
        worker = wl.program(gmp.cpu("1us"), gmp.done(wg), name="worker")
        wl.main(gmp.add(wg, n), gmp.go(worker, count=n), gmp.wait(wg))
        return wl
    if kind == "mutex":
        groups = min(64, max(1, n // 64))         # at most 64 mutexes (and programs)
        ops = [gmp.add(wg, n)]
        for i in range(groups):
            mu = wl.mutex()
            worker = wl.program(gmp.repeat(4, gmp.lock(mu), gmp.cpu("200ns"), gmp.unlock(mu),
                                           gmp.cpu("1us")), gmp.done(wg), name="worker")
            ops.append(gmp.go(worker, count=n // groups + (i < n % groups)))
        wl.main(*ops, gmp.wait(wg))
        return wl
    if kind == "select":
        groups = min(64, max(1, n // 64))
        ops = [gmp.add(wg, n)]
        for i in range(groups):
            size = n // groups + (i < n % groups)
            a, b = wl.chan(), wl.chan()
            client = wl.program(gmp.repeat(4, gmp.cpu("200ns"),
                                           gmp.select(gmp.case_send(a), gmp.case_send(b))),
                                gmp.done(wg), name="client")
            server = wl.program(gmp.repeat(4, gmp.select(gmp.case_recv(a), gmp.case_recv(b)),
                                           gmp.cpu("200ns")), gmp.done(wg), name="server")
            # As many sends as receives per group: an odd group's extra G is
            # a fan-out worker that touches no channel.
            ops += [gmp.go(client, count=size // 2), gmp.go(server, count=size // 2)]
            if size % 2:
                ops.append(gmp.go(wl.program(gmp.cpu("1us"), gmp.done(wg)), count=1))
        wl.main(*ops, gmp.wait(wg))
        return wl
    if kind != "mixed":
        raise ValueError(f"unknown workload {kind!r}; expected one of {WORKLOADS}")
    ping_ch, pong_ch = wl.chan(), wl.chan()
    # The syscall is followed by CPU work, as in scenarios.blocking_syscalls.
    caller = wl.program(gmp.cpu("1us"), gmp.syscall("5us"), gmp.cpu("1us"), gmp.done(wg),
                        name="caller")
    sleeper = wl.program(gmp.sleep("20us"), gmp.cpu("1us"), gmp.done(wg), name="sleeper")
    client = wl.program(gmp.netwait("50us"), gmp.cpu("1us"), gmp.done(wg), name="client")
    # Many pings and pongs share two channels: every ping's send(ping_ch) is
    # met by some pong's recv, and the reply by some ping's recv(pong_ch).
    # Counts balance, so it cannot deadlock.
    ping = wl.program(gmp.repeat(4, gmp.cpu("200ns"), gmp.send(ping_ch), gmp.recv(pong_ch)),
                      gmp.done(wg), name="ping")
    pong = wl.program(gmp.repeat(4, gmp.recv(ping_ch), gmp.cpu("200ns"), gmp.send(pong_ch)),
                      gmp.done(wg), name="pong")
    q = n // 4
    pairs = (n - 3 * q) // 2
    clients = n - 2 * q - 2 * pairs                # q, or q + 1 when n - 3q is odd
    wl.main(gmp.add(wg, n),
            gmp.go(caller, count=q), gmp.go(sleeper, count=q), gmp.go(client, count=clients),
            gmp.go(ping, count=pairs), gmp.go(pong, count=pairs),
            gmp.wait(wg))
    return wl


def _compile_grid():
    return {(kind, n): build(kind, n).compile()
            for kind in WORKLOADS for n in GRID["goroutines"]}


def _warm_up(procs):
    # The first simulate() of a process pays for lazy imports and first-touch
    # allocations (milliseconds): not what a benchmark should time.
    gmp.simulate(build("fanout", 100), gomaxprocs=procs, seed=1)


def _cap_memory(n):
    """Past `BIG` goroutines, cap this process's address space at 90 % of the
    memory available now: a run that does not fit raises MemoryError."""
    if n < BIG:
        return
    try:
        with open("/proc/meminfo") as f:
            avail = next(int(line.split()[1]) * 1024 for line in f
                         if line.startswith("MemAvailable:"))
    except (OSError, StopIteration):
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    cap = int(avail * 0.9)
    if soft == resource.RLIM_INFINITY or soft > cap:
        resource.setrlimit(resource.RLIMIT_AS, (cap, hard))


class _OnCompiledGrid:
    """The grid, with the compiled workloads made once (setup_cache)."""

    params = PARAMS
    param_names = PARAM_NAMES
    timeout = TIMEOUT

    def setup_cache(self):
        return _compile_grid()

    def setup(self, compiled, n, procs, kind, records):
        _cap_memory(n)
        self.compiled = compiled[kind, n]
        self.keep = records == "full"
        _warm_up(procs)


class Simulate(_OnCompiledGrid):
    """Wall time and peak RSS of one whole simulation."""

    if LARGE:
        number, repeat, warmup_time, rounds = 1, (1, 3, 300.0), 0, 1

    def time_simulate(self, compiled, n, procs, kind, records):
        gmp.simulate(self.compiled, gomaxprocs=procs, seed=1, record_goroutines=self.keep)

    def peakmem_simulate(self, compiled, n, procs, kind, records):
        gmp.simulate(self.compiled, gomaxprocs=procs, seed=1, record_goroutines=self.keep)


class Rates(_OnCompiledGrid):
    """Simulated goroutines, and engine events, per second of wall time."""

    if LARGE:
        rounds = 1

    def _best(self, procs):
        """(best wall time, events) over up to 5 runs totalling < 0.25 s."""
        best, spent, runs = math.inf, 0.0, 0
        while runs < 5 and (runs == 0 or spent + best < 0.25):
            t0 = time.perf_counter()
            res = gmp.simulate(self.compiled, gomaxprocs=procs, seed=1,
                               record_goroutines=self.keep)
            dt = time.perf_counter() - t0
            best, spent, runs = min(best, dt), spent + dt, runs + 1
            events = res.counters["events"]    # the same seed: the same count every run
            del res
        return best, events

    def track_goroutines_per_second(self, compiled, n, procs, kind, records):
        best, _ = self._best(procs)
        return n / best

    track_goroutines_per_second.unit = "goroutines/s"

    def track_events_per_second(self, compiled, n, procs, kind, records):
        best, events = self._best(procs)
        return events / best

    track_events_per_second.unit = "events/s"


class Memory:
    """Peak RSS growth per simulated goroutine, records included."""

    params = PARAMS
    param_names = PARAM_NAMES
    timeout = TIMEOUT
    if LARGE:
        rounds = 1

    def track_bytes_per_goroutine(self, n, procs, kind, records):
        return measure_memory_in_child(kind, n, procs, records)["bytes_per_goroutine"]

    track_bytes_per_goroutine.unit = "bytes/goroutine"


# ----------------------------------------------------------- memory, in a child

def measure_memory_in_child(kind, n, procs, records="full"):
    """Run :func:`measure_memory` in a fresh interpreter; return its dict."""
    out = subprocess.run([sys.executable, os.path.abspath(__file__), "memory", kind, str(n),
                          str(procs), records], capture_output=True, text=True, timeout=TIMEOUT)
    if out.returncode != 0:
        raise RuntimeError(f"memory child for {kind} N={n} P={procs} failed "
                           f"(exit {out.returncode}):\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def _status_kib(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise KeyError(field)


def _reset_peak():
    """Reset VmHWM to the current RSS; False where the kernel does not allow it."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def measure_memory(kind, n, procs, records="full"):
    """Peak RSS growth of one simulate() call in this process (see the module docstring)."""
    _cap_memory(n)
    compiled = build(kind, n).compile()
    _warm_up(procs)
    gc.collect()
    try:
        before = _status_kib("VmRSS") * 1024
    except (OSError, KeyError):
        before = None
    exact = before is not None and _reset_peak()
    res = gmp.simulate(compiled, gomaxprocs=procs, seed=1, record_goroutines=records == "full")
    if exact:
        peak = _status_kib("VmHWM") * 1024
        method = "VmHWM after clear_refs"
    else:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        before = before or 0
        method = "ru_maxrss (upper bound)"
    finished = -1 if res.goroutines is None else int((res.goroutines["state"] == 6).sum())
    del res
    return {"kind": kind, "goroutines": n, "gomaxprocs": procs, "records": records,
            "rss_before": before,
            "peak_rss": peak, "bytes_per_goroutine": (peak - before) / n,
            "finished": finished, "method": method}


if __name__ == "__main__":
    if len(sys.argv) in (5, 6) and sys.argv[1] == "memory":
        print(json.dumps(measure_memory(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]),
                                        *sys.argv[5:])))
    else:
        sys.exit(f"usage: {sys.argv[0]} memory fanout|mixed N GOMAXPROCS [full|none]")
