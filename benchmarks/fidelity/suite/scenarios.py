"""The fidelity suite's scenarios: each one a gmpcore workload, the settings
to simulate it with, what is compared, and the band the simulation must stay
in.  ``main.go`` (next to this file) holds the same programs for real Go,
under the same names; read the two side by side.

Conventions, the same in every scenario:

* The machine is the one the real numbers were measured on: 2 CPUs, so
  every simulation gets ``cpus=2`` (the simulator's default would be one CPU
  per P, wrong for GOMAXPROCS 1 and 8); GOMAXPROCS is the Go program's
  ``-procs``.  Default costs.
* Go's ``work(d)`` is a calibrated spin loop without calls: ``cpu(d)``
  (preemptible, as Go's asynchronous preemption stops the loop).
* Go's ``nanosleep(d)`` is ``syscall.Nanosleep`` (``entersyscall`` /
  ``exitsyscall``, not the blocking variant): ``syscall(d + SLACK)``, where
  ``SLACK`` is Linux's default timer slack (``/proc/self/timerslack_ns`` =
  50 µs on this machine, docs/cost-model.md §1): a nanosleep of a normal
  thread ends up to 50 µs after `d`, and on an idle CPU at the end of that
  window.  The kernel's time is the workload's input, not something gmpcore
  models; the extra wake-up time beyond the slack is not added.
* Go's ``time.Sleep(d)`` is ``sleep(d)``.  Timer lateness (Go: the time a
  sleep took minus `d`) is a ``span("sleep", sleep(d))`` row's length
  minus `d` in the simulation.
* Metrics: ``wall_ns`` is Go's wall time of the workload (from its first
  statement to its last, Go's monotonic clock) against the simulation's
  ``makespan_ns`` (from the start to main's return; the runtime's start-up
  is a few µs there).  ``threads_new`` is Go's threadcreate profile count
  after minus before the workload, against the simulation's Ms minus the
  two it starts with (m0 and sysmon).
* A band ``(lo, hi)`` bounds sim / real median.  ``OK`` is the project's
  target, 1.5x either way; a wider band marks a known miss, stated in
  ``why`` and in docs/fidelity.md, so that the test still catches the miss
  getting worse.

>>> sorted(SCENARIOS)[:3]
['buffered_pc', 'burst', 'chain']
>>> len(SCENARIOS) >= 20
True
"""

from dataclasses import dataclass, field

import numpy as np

import gmpcore as gmp
from gmpcore.durations import parse_duration, uniform

CPUS = 2                       # the measuring machine's CPUs
SLACK = 50_000                 # Linux's default timer slack, ns (nanosleep's overshoot)
OK = (1 / 1.5, 1.5)            # the target band for sim / real
SEEDS = (1, 2, 3)              # the seeds the test and the runner simulate with


@dataclass(frozen=True)
class Scenario:
    name: str
    what: str
    build: object                          # () -> gmp.Workload
    procs: int = 2                         # GOMAXPROCS (Go's -procs)
    bands: dict = field(default_factory=lambda: {"wall_ns": OK})
    why: str = ""                          # the missing mechanism, for a miss

    def workload(self):
        return self.build()

    def simulate(self, seed, background=0):
        """The scenario's metrics in one simulated run (ns, or a count);
        `background` CPU hogs stand for other processes' load."""
        res = gmp.simulate(self.workload(), gomaxprocs=self.procs, cpus=CPUS, seed=seed,
                           background=background)
        m = {"wall_ns": res.makespan_ns, "threads_new": res.counters["threads"] - 2}
        if res.spans is not None and len(res.spans):
            late = (res.spans["end_ns"] - res.spans["start_ns"]).astype(np.int64) - self.sleep_ns
            m["lateness_p50_ns"] = float(np.median(late))
            s = np.sort(late)
            m["lateness_p90_ns"] = float(s[min(len(s) - 1, int(0.9 * len(s)))])
        return {k: m[k] for k in self.bands}

    @property
    def sleep_ns(self):
        return parse_duration("1ms")       # every span in the suite wraps sleep(1ms)


def _fanout(n, *body, wl=None):
    """Go's fanout(n, body): wg.Add(n); n × go { body; wg.Done() }; wg.Wait()."""
    wl = wl or gmp.Workload()
    wg = wl.waitgroup()
    child = wl.program(*body, gmp.done(wg), name="child")
    return wl, (gmp.add(wg, n), gmp.go(child, count=n), gmp.wait(wg))


def fanout(n, *body):
    wl, ops = _fanout(n, *body)
    wl.main(*ops)
    return wl


def sleepers():
    return fanout(5000, gmp.sleep("20ms"))


def sleepers_random():
    return fanout(5000, gmp.sleep(uniform("1ms", "20ms")))


def chain(n=10_000, tokens=20):
    wl = gmp.Workload()
    ch = [wl.chan() for _ in range(n + 1)]
    links = [wl.program(gmp.repeat(tokens, gmp.recv(ch[i]), gmp.send(ch[i + 1])),
                        name=f"link{i}") for i in range(n)]
    wl.main(*(gmp.go(p) for p in links),
            gmp.repeat(tokens, gmp.send(ch[0]), gmp.recv(ch[n])))
    return wl


def burst():
    wl, ops = _fanout(500, gmp.cpu("1us"))
    wl.main(gmp.repeat(100, *ops))
    return wl


def syscall_storm():
    return fanout(100, gmp.repeat(10, gmp.syscall(parse_duration("1ms") + SLACK)))


def _spinners_and(*body):
    """Two goroutines spin 2 s; a third runs `body` and calls wg.Done; main waits for it."""
    wl = gmp.Workload()
    wg = wl.waitgroup()
    spinner = wl.program(gmp.cpu("2s"), name="spinner")
    third = wl.program(*body, gmp.done(wg), name="third")
    wl.main(gmp.add(wg, 1), gmp.go(spinner), gmp.go(spinner), gmp.go(third), gmp.wait(wg))
    return wl


def timer_cpu():
    return _spinners_and(gmp.repeat(10, gmp.span("sleep", gmp.sleep("1ms"))))


def gosched_spinners():
    wl = gmp.Workload()
    spinner = wl.program(gmp.cpu("2s"), name="spinner")
    wl.main(gmp.go(spinner), gmp.cpu("1ms"), gmp.repeat(10, gmp.cpu("10us"), gmp.gosched()))
    return wl


def overcommit():
    return fanout(200, gmp.cpu("1ms"))


def p1_global_sawtooth():
    return fanout(20_000, gmp.cpu("2us"))


def worker_pool(jobs=20_000, workers=8):
    wl = gmp.Workload()
    wg, q = wl.waitgroup(), wl.chan()
    w = wl.program(gmp.repeat(jobs // workers, gmp.recv(q), gmp.cpu("5us")), gmp.done(wg),
                   name="worker")
    wl.main(gmp.add(wg, workers), gmp.go(w, count=workers), gmp.repeat(jobs, gmp.send(q)),
            gmp.wait(wg))
    return wl


def pool_range(jobs=20_000, workers=4):
    wl = gmp.Workload()
    wg, q = wl.waitgroup(), wl.chan(cap=100)
    w = wl.program(gmp.each(q, gmp.cpu("5us")), gmp.done(wg), name="worker")
    wl.main(gmp.add(wg, workers), gmp.go(w, count=workers), gmp.repeat(jobs, gmp.send(q)),
            gmp.close(q), gmp.wait(wg))
    return wl


def pingpong(rounds=100_000):
    wl = gmp.Workload()
    wg, ping, pong = wl.waitgroup(), wl.chan(), wl.chan()
    a = wl.program(gmp.repeat(rounds, gmp.send(ping), gmp.recv(pong)), gmp.done(wg), name="a")
    b = wl.program(gmp.repeat(rounds, gmp.recv(ping), gmp.send(pong)), gmp.done(wg), name="b")
    wl.main(gmp.add(wg, 2), gmp.go(a), gmp.go(b), gmp.wait(wg))
    return wl


def fanout_cpu():
    return fanout(1000, gmp.cpu("100us"))


def fanout_tiny():
    return fanout(100_000)


def mutex():
    wl = gmp.Workload()
    mu = wl.mutex()
    _, ops = _fanout(4, gmp.repeat(20_000, gmp.lock(mu), gmp.cpu("200ns"), gmp.unlock(mu),
                                     gmp.cpu("200ns")), wl=wl)
    wl.main(*ops)
    return wl


def pipeline(items=20_000, stages=3):
    wl = gmp.Workload()
    wg = wl.waitgroup()
    ch = [wl.chan() for _ in range(stages + 1)]
    st = [wl.program(gmp.each(ch[s], gmp.cpu("2us"), gmp.send(ch[s + 1])), gmp.close(ch[s + 1]),
                     name=f"stage{s + 1}") for s in range(stages)]
    sink = wl.program(gmp.each(ch[stages]), gmp.done(wg), name="sink")
    wl.main(*(gmp.go(p) for p in st), gmp.add(wg, 1), gmp.go(sink),
            gmp.repeat(items, gmp.send(ch[0])), gmp.close(ch[0]), gmp.wait(wg))
    return wl


def select_two():
    wl = gmp.Workload()
    a, b = wl.chan(), wl.chan()
    prods = [wl.program(gmp.repeat(10_000, gmp.send(c)), name="producer") for c in (a, b)]
    wl.main(*(gmp.go(p) for p in prods),
            gmp.repeat(20_000, gmp.select(gmp.case_recv(a), gmp.case_recv(b)), gmp.cpu("1us")))
    return wl


def rwmutex_readers():
    wl = gmp.Workload()
    rw, wg = wl.rwmutex(), wl.waitgroup()
    reader = wl.program(gmp.repeat(5_000, gmp.rlock(rw), gmp.cpu("1us"), gmp.runlock(rw),
                                   gmp.cpu("1us")), gmp.done(wg), name="reader")
    writer = wl.program(gmp.repeat(500, gmp.lock(rw), gmp.cpu("2us"), gmp.unlock(rw),
                                   gmp.cpu("20us")), gmp.done(wg), name="writer")
    wl.main(gmp.add(wg, 5), gmp.go(reader, count=4), gmp.go(writer), gmp.wait(wg))
    return wl


def ticker_spinners():
    # Go's spinners spin in 5 ms loops until the process ends with main.
    wl = gmp.Workload()
    tk = wl.ticker()
    spinner = wl.program(gmp.repeat(1_000, gmp.cpu("5ms", preemptible=False)), name="spinner")
    wl.main(gmp.go(spinner, count=2), gmp.reset(tk, "1ms"),
            gmp.repeat(50, gmp.recv(tk), gmp.cpu("50us")), gmp.stop(tk))
    return wl


def netpoll_sleeps():
    return fanout(100, gmp.repeat(20, gmp.sleep("100us")))


def lockosthread_pingpong(rounds=2000):
    wl = gmp.Workload()
    ping, pong = wl.chan(), wl.chan()
    locked = wl.program(gmp.lock_os_thread(), gmp.repeat(rounds, gmp.recv(ping), gmp.send(pong)),
                        name="locked")
    wl.main(gmp.go(locked), gmp.repeat(rounds, gmp.send(ping), gmp.recv(pong)))
    return wl


def gomaxprocs_flip():
    wl = gmp.Workload()
    wl.main(gmp.repeat(500, gmp.gomaxprocs(1), gmp.gomaxprocs(2)))
    return wl


def wg_barrier():
    wl, ops = _fanout(8, gmp.cpu("20us"))
    wl.main(gmp.repeat(200, *ops))
    return wl


def buffered_pc(n=200_000):
    wl = gmp.Workload()
    wg, c = wl.waitgroup(), wl.chan(cap=64)
    prod = wl.program(gmp.repeat(n, gmp.send(c)), gmp.done(wg), name="producer")
    cons = wl.program(gmp.repeat(n, gmp.recv(c)), gmp.done(wg), name="consumer")
    wl.main(gmp.add(wg, 2), gmp.go(prod), gmp.go(cons), gmp.wait(wg))
    return wl


def spawn_tree(depth=14):
    """Go's recursive node(level); one program per level (a program cannot
    test its depth), the leaves start nothing."""
    wl = gmp.Workload()
    wg = wl.waitgroup()
    child = None
    for level in reversed(range(depth)):
        spawn = (gmp.go(child), gmp.go(child)) if child is not None else ()
        child = wl.program(gmp.cpu("1us"), *spawn, gmp.done(wg), name=f"level{level}")
    wl.main(gmp.add(wg, 2**depth - 1), gmp.go(child), gmp.wait(wg))
    return wl


def syscall_cpu_mix():
    return fanout(8, gmp.repeat(50, gmp.cpu("50us"),
                                gmp.syscall(parse_duration("100us") + SLACK)))


def cond_rounds(n, rounds, notify):
    """Go's condRounds: n waiters and main meet `rounds` times on a Cond.  A
    waiter, each round: lock; ready.Done(); Wait; unlock.  Main: ready.Wait();
    lock; ready.Add(n) (not in the last round: Go's ``if``, here the last
    round written out); one Broadcast or n Signals; unlock.  main.go says
    why it cannot deadlock in Go."""
    wl = gmp.Workload()
    mu, ready, done = wl.mutex(), wl.waitgroup(), wl.waitgroup()
    c = wl.cond(mu)
    waiter = wl.program(gmp.repeat(rounds, gmp.lock(mu), gmp.done(ready), gmp.wait(c),
                                   gmp.unlock(mu)), gmp.done(done), name="waiter")
    wake = gmp.broadcast(c) if notify == "broadcast" else gmp.repeat(n, gmp.signal(c))
    wl.main(gmp.add(ready, n), gmp.add(done, n), gmp.go(waiter, count=n),
            gmp.repeat(rounds - 1, gmp.wait(ready), gmp.lock(mu), gmp.add(ready, n), wake,
                       gmp.unlock(mu)),
            gmp.wait(ready), gmp.lock(mu), wake, gmp.unlock(mu), gmp.wait(done))
    return wl


def sleep_1ms():
    wl = gmp.Workload()
    wl.main(gmp.repeat(100, gmp.span("sleep", gmp.sleep("1ms"))))
    return wl


_LIST = [
    Scenario("sleepers", "5000 goroutines each sleep 20 ms", sleepers),
    Scenario("sleepers_random", "5000 goroutines each sleep uniform(1 ms, 20 ms)",
             sleepers_random),
    Scenario("chain", "20 tokens, one after another, through a chain of 10000 goroutines "
             "(unbuffered)", chain),
    Scenario("burst", "100 bursts of 500 fresh goroutines of 1 µs CPU, a WaitGroup each", burst),
    Scenario("syscall_storm", "100 goroutines each make 10 nanosleep(1 ms) syscalls", syscall_storm,
             bands={"wall_ns": OK, "threads_new": OK}),
    Scenario("timer_cpu", "two 2 s CPU spinners; a third goroutine sleeps 1 ms 10 times "
             "(main waits for it only)", timer_cpu,
             bands={"wall_ns": OK, "lateness_p50_ns": OK}),
    Scenario("gosched_spinners", "GOMAXPROCS 1: a 2 s CPU spinner; main computes 1 ms, then "
             "10 µs and Gosched, 10 times", gosched_spinners, procs=1),
    Scenario("overcommit", "GOMAXPROCS 8 on 2 CPUs: 200 goroutines of 1 ms CPU", overcommit,
             procs=8),
    Scenario("p1_global_sawtooth", "GOMAXPROCS 1: 20000 goroutines of 2 µs CPU (ring spills to "
             "the global queue)", p1_global_sawtooth, procs=1),
    Scenario("worker_pool", "8 workers × 2500 jobs of 5 µs from an unbuffered channel",
             worker_pool),
    Scenario("pool_range", "4 workers range over a channel (cap 100); 20000 jobs of 5 µs, "
             "close", pool_range),
    Scenario("pingpong", "100000 round trips over unbuffered channels", pingpong),
    Scenario("pingpong_p1", "the same ping-pong at GOMAXPROCS 1", pingpong, procs=1),
    Scenario("fanout_cpu_p1", "GOMAXPROCS 1: 1000 goroutines of 100 µs CPU", fanout_cpu, procs=1),
    Scenario("fanout_cpu_p2", "1000 goroutines of 100 µs CPU", fanout_cpu),
    Scenario("fanout_tiny", "100000 goroutines that only call wg.Done (creation-bound)",
             fanout_tiny),
    Scenario("mutex", "4 goroutines × 20000 (Lock, 200 ns CPU, Unlock, 200 ns CPU)", mutex),
    Scenario("select_two", "a consumer selects 20000 times over two producers' unbuffered "
             "channels, 1 µs CPU per value", select_two),
    Scenario("rwmutex_readers", "4 readers × 5000 (RLock, 1 µs, RUnlock, 1 µs) beside a writer "
             "× 500 (Lock, 2 µs, Unlock, 20 µs)", rwmutex_readers),
    Scenario("ticker_spinners", "main receives 50 ticks of a 1 ms Ticker (50 µs CPU each) beside "
             "2 goroutines spinning without function calls", ticker_spinners),
    Scenario("pipeline", "3 stages of 2 µs CPU over unbuffered channels, 20000 items, close "
             "and range", pipeline),
    Scenario("netpoll_sleeps", "100 goroutines each sleep 100 µs 20 times (woken through "
             "the netpoller's timeout)", netpoll_sleeps),
    Scenario("lockosthread_pingpong", "2000 round trips between main and a goroutine locked "
             "to its thread", lockosthread_pingpong),
    Scenario("gomaxprocs_flip", "main sets GOMAXPROCS 1 then 2, 500 times", gomaxprocs_flip),
    Scenario("wg_barrier", "200 rounds of 8 fresh goroutines of 20 µs CPU and a Wait",
             wg_barrier),
    Scenario("buffered_pc", "producer and consumer, 200000 values over a channel of cap 64",
             buffered_pc),
    Scenario("spawn_tree", "a binary tree of goroutines 14 levels deep (16383), 1 µs CPU each",
             spawn_tree),
    Scenario("syscall_cpu_mix", "8 goroutines × 50 (50 µs CPU, nanosleep(100 µs))",
             syscall_cpu_mix),
    Scenario("cond_broadcast", "4 waiters × 5000 barrier rounds on a Cond: each waiter "
             "Lock, ready.Done, Wait, Unlock; main ready.Wait, Lock, Add, Broadcast, Unlock",
             lambda: cond_rounds(4, 5000, "broadcast")),
    Scenario("cond_broadcast_p1", "the same Broadcast rounds at GOMAXPROCS 1",
             lambda: cond_rounds(4, 5000, "broadcast"), procs=1),
    Scenario("cond_broadcast_64", "64 waiters × 1000 Broadcast rounds",
             lambda: cond_rounds(64, 1000, "broadcast")),
    Scenario("cond_signal", "the rounds of cond_broadcast woken by 4 Signals (FIFO) instead",
             lambda: cond_rounds(4, 5000, "signal")),
    Scenario("cond_signal_p1", "the same Signal rounds at GOMAXPROCS 1",
             lambda: cond_rounds(4, 5000, "signal"), procs=1),
    Scenario("cond_signal_64", "64 waiters × 1000 rounds woken by 64 Signals each",
             lambda: cond_rounds(64, 1000, "signal")),
    Scenario("sleep_1ms", "main sleeps 1 ms 100 times", sleep_1ms,
             bands={"wall_ns": OK, "lateness_p50_ns": OK}),
]
# Why a scenario misses the 1.5x target: the mechanism the model lacks (shown in
# docs/fidelity.md's table for the misses; the section below it says more).
LOAD = "busy machine: other processes took 1-2 of the 2 CPUs during the Go runs"
FRESH_G = ("the model charges a fresh G (`newproc_fresh`, 1.8 µs) only when no free G exists; "
           "here goroutines exit as fast as they are made, so most are reused from the free "
           "lists, hot in the model, while in Go each reuse crosses CPUs (the g and its stack "
           "come from the other core's cache) and the GC of the growing heap runs")
COND = ("each waiter parks and is readied once a round, a hand-off as in pingpong, whose "
        "cost the model puts ~60 ns short (park 22 + schedule 29 ns); with both 30 ns longer "
        "(pingpong_p1 then 0.97) the rounds come to 0.88-0.99 of Go's (docs/fidelity.md, "
        "sync.Cond section)")
WHY = {
    "sleepers": f"{FRESH_G}; the 20 ms wake-up of 5000 Gs",
    "sleepers_random": f"{FRESH_G}; {LOAD}",
    "chain": ("cold caches: 10000 stacks and channels do not stay in cache; `cold_switch` "
              "charges the switched-in G's lines (180 ns), not the channel's and the "
              "sender's, which a hop also touches"),
    "burst": f"{FRESH_G}; each burst wakes the idle P's thread",
    "syscall_storm": ("the model makes 75 threads where Go made 38-50: it hands Ps in "
                      "syscalls off sooner; not explained yet (Go 1.27's syscall model is not "
                      "the modelled 1.25's)"),
    "timer_cpu": ("sysmon's thread waits for a CPU until a 4 ms tick of the model's OS scheduler "
                  "while both CPUs spin (Linux runs it at once), so it preempts every ~12 ms "
                  "instead of ~20 ms (cpus=3 gives 187 ms)"),
    "gosched_spinners": LOAD,
    "overcommit": LOAD,
    "p1_global_sawtooth": FRESH_G,
    "worker_pool": LOAD,
    "pool_range": LOAD,
    "pingpong": ("a handoff is 123 ns in the model, 150-240 ns measured on this VM (a blocking "
                 "channel op costs ~25 ns more; schedlat section)"),
    "pingpong_p1": ("a handoff is 123 ns in the model, 150-240 ns measured on this VM (a "
                    "blocking channel op costs ~25 ns more; schedlat section)"),
    "fanout_cpu_p1": LOAD,
    "fanout_cpu_p2": LOAD,
    "fanout_tiny": FRESH_G,
    "mutex": ("the state word and the data bounce between the two CPUs (~64 ns per cache-line "
              f"transfer); the model's atomics are free (approximation 7); {LOAD}"),
    "pipeline": f"cross-CPU hand-offs at every stage; {LOAD}",
    "netpoll_sleeps": "timer slack on each epoll wake-up (`timer_wake`)",
    "lockosthread_pingpong": ("each round trip is two thread wake-ups, `thread_wake` 43 µs "
                              "each in the model; Go's quiet runs took 48-58 µs per round "
                              "trip, its busy runs 5 µs (warm vCPUs) to 98 µs"),
    "gomaxprocs_flip": ("each flip to 2 wakes a thread (startTheWorld's wakep) that the next "
                        "stop-the-world waits for: 43 µs in the model; Go's quiet runs 52-58 µs "
                        "per flip pair (the model 90 µs), its busy runs 4-10 µs (warm vCPUs)"),
    "wg_barrier": f"each round wakes the idle P's thread; {LOAD}",
    "buffered_pc": ("producer and consumer on two CPUs contend for the channel's lock and buffer "
                    "(cache-line transfers); the model charges the one-CPU 14 ns `chan_op` and "
                    "free locks"),
    "spawn_tree": FRESH_G,
    "syscall_cpu_mix": ("in part timer slack: Go's nanosleep overshot by 79-86 µs, the model "
                        "adds 50 µs; the rest is not explained yet"),
    "cond_broadcast": COND,
    "cond_broadcast_p1": COND,
    "cond_broadcast_64": COND,
    "cond_signal": COND,
    "cond_signal_p1": COND,
    "cond_signal_64": COND,
    "sleep_1ms": ("timer slack (50 µs) and the wake-up of the M in epoll_wait are not modelled: "
                  "a simulated sleep ends within 1 µs of its deadline"),
}
# The known misses' bands: sim / real as measured (results.json), divided by 1.25
# on the side it misses, and up to the 1.5x target on the other, so that the
# test fails if a miss gets worse by a quarter but not when the model improves.
MISSES = {
    "chain": {"wall_ns": (0.17, 1.5)},
    "burst": {"wall_ns": (0.41, 1.5)},
    "syscall_storm": {"threads_new": (1 / 1.5, 2.2)},
    "timer_cpu": {"wall_ns": (0.52, 1.5), "lateness_p50_ns": (0.45, 1.5)},
    "p1_global_sawtooth": {"wall_ns": (0.52, 1.5)},
    "pingpong_p1": {"wall_ns": (0.52, 1.5)},
    "fanout_tiny": {"wall_ns": (0.16, 1.5)},
    "lockosthread_pingpong": {"wall_ns": (1 / 1.5, 2.3)},
    "gomaxprocs_flip": {"wall_ns": (1 / 1.5, 2.1)},
    "buffered_pc": {"wall_ns": (0.14, 1.5)},
    "syscall_cpu_mix": {"wall_ns": (0.48, 1.5)},
    "sleep_1ms": {"lateness_p50_ns": (0.0063, 1.5)},
    "cond_signal_p1": {"wall_ns": (0.49, 1.5)},
    "cond_signal_64": {"wall_ns": (0.52, 1.5)},
}
_LIST = [Scenario(s.name, s.what, s.build, s.procs, {**s.bands, **MISSES.get(s.name, {})},
                  WHY.get(s.name, "")) for s in _LIST]
SCENARIOS = {s.name: s for s in _LIST}


def ratio_ok(ratio, band):
    lo, hi = band
    return lo <= ratio <= hi
