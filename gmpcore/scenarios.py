"""Built-in scenarios from the original GMP explainer, as workloads.

Each function returns a fresh :class:`gmpcore.Workload`; its docstring says
what the scenario shows and what to look at in the result.  ``SCENARIOS``
maps a name to ``(function, one-line summary)`` for the command line.

>>> import gmpcore as gmp
>>> res = gmp.simulate(fanout(n=200, work="5us"), gomaxprocs=4, seed=1)
>>> int((res.goroutines["state"] == 6).sum())      # every G finished
201
"""

from gmpcore.workload import (
    Workload, add, cpu, done, go, netwait, recv, repeat, send, sleep, syscall, wait,
)


def fanout(n=10_000, work="10us"):
    """Fan-out: main starts `n` compute goroutines and waits on a WaitGroup.

    Shows the local ring filling up (256 Gs) and spilling half to the global
    queue (``counters["spills"]``), idle Ps taking batches from the global
    queue, and thieves stealing half of a busy P's ring
    (``counters["steals"]``).  Makespan falls with GOMAXPROCS until main's
    own spawning rate is the limit.
    """
    wl = Workload()
    wg = wl.waitgroup()
    worker = wl.program(cpu(work), done(wg), name="worker")
    wl.main(add(wg, n), go(worker, count=n), wait(wg))
    return wl


def io_bound(n=1_000, wait_for="1ms", work="2us"):
    """I/O-bound goroutines: each waits on the network, then computes briefly.

    The goroutines park in the netpoller, not in threads: ``threads`` stays
    small however large `n` is, and the Gs come back through netpoll and
    ``injectglist`` (``counters["netpolls"]``).
    """
    wl = Workload()
    wg = wl.waitgroup()
    client = wl.program(netwait(wait_for), cpu(work), done(wg), name="client")
    wl.main(add(wg, n), go(client, count=n), wait(wg))
    return wl


def sleepers(n=100_000, duration="100ms"):
    """`n` goroutines in ``time.Sleep``: memory per G against OS threads.

    A sleeping G is a timer on a P plus a 2 KiB stack, not a thread: compare
    ``res.goroutines["stack"].sum()`` (about 2 KiB × n) with the handful of
    threads in ``counters["threads"]``.
    """
    wl = Workload()
    wg = wl.waitgroup()
    sleeper = wl.program(sleep(duration), done(wg), name="sleeper")
    wl.main(add(wg, n), go(sleeper, count=n), wait(wg))
    return wl


def blocking_syscalls(n=64, duration="10ms", work="50us"):
    """Goroutines in blocking system calls make the runtime start threads.

    Each syscall holds its M; sysmon retakes the P (``handoffs``) and another
    M runs the other goroutines, so ``threads`` grows towards `n` + 2 — the
    reason for the 10,000-thread limit.
    """
    wl = Workload()
    wg = wl.waitgroup()
    caller = wl.program(cpu(work), syscall(duration), cpu(work), done(wg), name="caller")
    wl.main(add(wg, n), go(caller, count=n), wait(wg))
    return wl


def ping_pong(rounds=100_000, work="100ns"):
    """Two goroutines pass a token over an unbuffered channel.

    Each send readies the partner into the sender's ``runnext``: the pair runs
    as one unit on one P, sharing a time slice (Go 1.5's runnext).  Compare
    ``simulate(..., runnext=False)``.
    """
    wl = Workload()
    wg = wl.waitgroup()
    ball = wl.chan()
    ping = wl.program(repeat(rounds, cpu(work), send(ball), recv(ball)), done(wg), name="ping")
    pong = wl.program(repeat(rounds, recv(ball), cpu(work), send(ball)), done(wg), name="pong")
    wl.main(add(wg, 2), go(ping), go(pong), wait(wg))
    return wl


def worker_pool(jobs=10_000, workers=8, work="10us"):
    """A fixed pool of workers fed through a buffered channel.

    Against :func:`unbounded` (one goroutine per job): far fewer goroutines
    and stacks, the same CPU work, channel handoffs instead of spawns.
    """
    if jobs % workers:
        raise ValueError(f"worker_pool: jobs ({jobs}) must be a multiple of workers ({workers})")
    wl = Workload()
    wg = wl.waitgroup()
    queue = wl.chan(cap=workers)
    worker = wl.program(repeat(jobs // workers, recv(queue), cpu(work), done(wg)), name="worker")
    wl.main(add(wg, jobs), go(worker, count=workers), repeat(jobs, send(queue)), wait(wg))
    return wl


def unbounded(jobs=10_000, work="10us"):
    """One goroutine per job: the other side of :func:`worker_pool`."""
    return fanout(n=jobs, work=work)


def goroutine_leak(n=100, work="20us"):
    """A leak: main takes the first of `n` results and returns.

    The other `n` − 1 searchers block forever sending their result; when main
    exits they are still ``waiting (chan send)`` — what a goroutine-leak
    detector reports.
    """
    wl = Workload()
    results = wl.chan()
    searcher = wl.program(cpu(work), send(results), name="searcher")
    wl.main(go(searcher, count=n), recv(results))
    return wl


def gomaxprocs_sweep(workload=None, procs=(1, 2, 4, 8), seed=0, **options):
    """Run one workload at several GOMAXPROCS values: ``[(procs, Result), ...]``.

    By default the :func:`fanout` workload with 10,000 goroutines.
    """
    from gmpcore.simulate import simulate

    workload = fanout() if workload is None else workload
    return [(p, simulate(workload, gomaxprocs=p, seed=seed, **options)) for p in procs]


SCENARIOS = {
    "fanout": (fanout, "10,000 compute goroutines and a WaitGroup: spills, global batches, stealing"),
    "io": (io_bound, "goroutines waiting on the network: parked in the netpoller, few threads"),
    "sleepers": (sleepers, "100,000 sleeping goroutines: kilobytes per G, not threads"),
    "syscalls": (blocking_syscalls, "blocking system calls make the runtime start threads"),
    "pingpong": (ping_pong, "channel ping-pong: the pair shares runnext and a time slice"),
    "pool": (worker_pool, "a worker pool fed through a buffered channel"),
    "unbounded": (unbounded, "one goroutine per job, against the worker pool"),
    "leak": (goroutine_leak, "main returns early: the other goroutines leak, blocked on send"),
}
