"""Built-in scenarios from the original GMP explainer, as workloads.

Each function returns a fresh :class:`gmpcore.Workload`; its docstring says
what the scenario shows and what to look at in the result.  Every scenario
has one *size* parameter (listed first), which the command line's
``--goroutines`` sets (``gmpcore.cli.SIZE_PARAMETERS``).  ``SCENARIOS`` maps
a name to ``(function, one-line summary)`` for the command line.

>>> import gmpcore as gmp
>>> res = gmp.simulate(fanout(n=200, work="5us"), gomaxprocs=4, seed=1)
>>> int((res.goroutines["state"] == 6).sum())      # every G finished
201
"""

from gmpcore.durations import CONSTANT, UNIFORM, as_distribution, exponential
from gmpcore.workload import (
    Workload, add, arrivals, case_after, case_send, close, cpu, done, each, go, lock, netwait,
    recv, repeat, reset, select, send, sleep, span, span_end, stop, syscall, unlock, wait,
)


def _waitgroup_fanout(n, *body, name):
    """The explainer's skeleton: ``wg.Add(n); for n { go func() { body; wg.Done() }() }; wg.Wait()``."""
    wl = Workload()
    wg = wl.waitgroup()
    child = wl.program(*body, done(wg), name=name)
    wl.main(add(wg, n), go(child, count=n), wait(wg))
    return wl


def fanout(n=10_000, work="10us"):
    """Fan-out: main starts `n` compute goroutines and waits on a WaitGroup.

    Shows the local ring filling up (256 Gs) and spilling half to the global
    queue (``counters["spills"]``), idle Ps taking batches from the global
    queue, and thieves stealing half of a busy P's ring
    (``counters["steals"]``).  Makespan falls with GOMAXPROCS until main's
    own spawning rate is the limit.

    Parameters
    ----------
    n : int
        The size: goroutines started (explainer scenario 1 uses 10,000).
    work : duration or Distribution
        CPU time of each goroutine.
    """
    return _waitgroup_fanout(n, cpu(work), name="worker")


def io_bound(n=1_000, wait_for="1ms", work="2us"):
    """I/O-bound goroutines: each waits on the network, then computes briefly.

    The goroutines park in the netpoller, not in threads: ``threads`` stays
    small however large `n` is, and the Gs come back through netpoll and
    ``injectglist`` (``counters["netpolls"]``).  The waits overlap, so the
    makespan is close to one `wait_for`, not `n` of them.

    Parameters
    ----------
    n : int
        The size: goroutines, each with one network wait.
    wait_for : duration or Distribution
        Time until each goroutine's connection is ready.
    work : duration or Distribution
        CPU time after the wait.
    """
    return _waitgroup_fanout(n, netwait(wait_for), cpu(work), name="client")


def sleepers(n=100_000, duration="100ms"):
    """`n` goroutines in ``time.Sleep``: memory per G against OS threads.

    A sleeping G is a timer on a P plus a 2 KiB stack, not a thread: compare
    ``res.goroutines["stack"].sum()`` (about 2 KiB × n) with the handful of
    threads in ``counters["threads"]``.  The sleeps overlap: the makespan is
    about one `duration`.

    Parameters
    ----------
    n : int
        The size: sleeping goroutines.
    duration : duration or Distribution
        Each goroutine's ``time.Sleep``.
    """
    return _waitgroup_fanout(n, sleep(duration), name="sleeper")


def blocking_syscalls(n=64, duration="10ms", work="50us"):
    """Goroutines in blocking system calls make the runtime start threads.

    Each syscall holds its M; sysmon retakes the P (``handoffs``) and another
    M runs the other goroutines, so ``threads`` grows towards `n` + 2 — the
    reason for the 10,000-thread limit.

    Parameters
    ----------
    n : int
        The size: goroutines, each making one system call.
    duration : duration or Distribution
        How long each system call blocks its thread.
    work : duration or Distribution
        CPU time before and after the call.
    """
    return _waitgroup_fanout(n, cpu(work), syscall(duration), cpu(work), name="caller")


def ping_pong(rounds=100_000, work="100ns"):
    """Two goroutines pass a token over an unbuffered channel.

    Each send readies the partner into the sender's ``runnext``: the pair runs
    as one unit on one P, sharing a time slice (Go 1.5's runnext), and the
    other Ps have nothing to steal.  Compare ``simulate(..., runnext=False)``.

    Parameters
    ----------
    rounds : int
        The size: round trips.  There are always two goroutines (and main).
    work : duration or Distribution
        CPU time of each hit.
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

    Against :func:`unbounded` (one goroutine per job): at most `workers` + 1
    goroutines alive and their stacks, the same CPU work, channel handoffs
    instead of spawns; main blocks on the full channel when the workers fall
    behind.

    Parameters
    ----------
    jobs : int
        The size: jobs sent down the channel, a multiple of `workers`.
    workers : int
        Worker goroutines; also the channel's buffer.
    work : duration or Distribution
        CPU time per job.
    """
    if isinstance(workers, int) and workers < 1:
        raise ValueError(f"worker_pool: workers must be at least 1, got {workers}")
    if jobs % workers:
        raise ValueError(f"worker_pool: jobs ({jobs}) must be a multiple of workers ({workers})")
    wl = Workload()
    wg = wl.waitgroup()
    queue = wl.chan(cap=workers)
    worker = wl.program(repeat(jobs // workers, recv(queue), cpu(work), done(wg)), name="worker")
    wl.main(add(wg, jobs), go(worker, count=workers), repeat(jobs, send(queue)), wait(wg))
    return wl


def unbounded(jobs=10_000, work="10us", accept="1us"):
    """A server that starts a goroutine per request: the other side of :func:`worker_pool`.

    Main is the accept loop ``for { req := accept(); go handle(req) }``:
    each request costs it `accept` of CPU, then a ``go``; each handler
    computes for `work` and exits.  Nothing in the program bounds how many
    handlers are alive at once: when requests arrive faster than the other
    Ps finish them, goroutines pile up, each with its 2 KiB stack, for as
    long as the requests keep coming.  With the defaults on 4 Ps (main's P
    accepts, three handle a request per 10 µs each) about half of the jobs
    are alive at once at the peak (a fresh goroutine costs main
    ``newproc_fresh`` more than a reused one); with ``accept="20us"`` only a
    handful are.  The arrival rate against the Ps' capacity decides, not the
    program.  :func:`worker_pool` does the same CPU work with at most
    ``workers`` handlers: its buffered channel blocks main when they fall
    behind.

    ``gmpcore run unbounded`` shows the peak in its ``goroutines`` and
    ``stacks`` rows; from Python, ``simulate(..., monitor="10us")`` samples
    ``monitor["goroutines"]`` and ``monitor["stack_inuse"]``.

    Parameters
    ----------
    jobs : int
        The size: requests, one goroutine each.
    work : duration or Distribution
        CPU time of each request's handler.
    accept : duration or Distribution
        Main's CPU time to accept each request, before its ``go``.
    """
    wl = Workload()
    wg = wl.waitgroup()
    handler = wl.program(cpu(work), done(wg), name="handler")
    wl.main(add(wg, jobs), repeat(jobs, cpu(accept), go(handler)), wait(wg))
    return wl


def goroutine_leak(n=100, work="20us", linger=None):
    """A leak: main takes the first of `n` results and carries on without the rest.

    The other `n` − 1 searchers block forever sending their result on an
    unbuffered channel nobody reads: when main exits they are still
    ``waiting (chan send)`` — what a goroutine-leak detector reports.

    Main models a function that returns the first result to a program that
    keeps running: after the receive it carries on (sleeps) for `linger`,
    during which the other searchers run and block.  A searcher that has not
    run by the time main exits is still ``runnable``.

    Parameters
    ----------
    n : int
        The size: searchers started, at least 1.
    work : duration or Distribution
        CPU time of each search.
    linger : duration or Distribution, optional
        How long main carries on after the first result.  By default twice the
        searchers' total CPU time (``2 × n × work``, with the upper bound of a
        uniform `work`), so even with GOMAXPROCS=1 every searcher has blocked;
        give it explicitly when `work` is exponential or lognormal.
    """
    if isinstance(n, int) and n < 1:
        raise ValueError(f"goroutine_leak: n must be at least 1, got {n}")
    if linger is None:
        dist = as_distribution(work, "goroutine_leak() argument work")
        if dist.kind not in (CONSTANT, UNIFORM):
            raise ValueError("goroutine_leak: give linger when work is exponential or lognormal")
        longest = dist.p1 if dist.kind == CONSTANT else int(dist.p2)
        linger = 2 * n * longest
    wl = Workload()
    results = wl.chan()
    searcher = wl.program(cpu(work), send(results), name="searcher")
    wl.main(go(searcher, count=n), recv(results), sleep(linger))
    return wl


def gomaxprocs_sweep(workload=None, procs=(1, 2, 4, 8), seed=0, **options):
    """Run one workload at several GOMAXPROCS values: ``[(procs, Result), ...]``.

    For compute-bound work (the default, :func:`fanout` with 10,000
    goroutines) the makespan falls nearly as 1/GOMAXPROCS until main's own
    spawning rate or the number of goroutines is the limit.

    Parameters
    ----------
    workload : Workload, optional
        Defaults to ``fanout()``.
    procs : iterable of int
        The GOMAXPROCS values.
    seed : int
        The same seed for every run.
    **options
        Passed on to :func:`gmpcore.simulate`.

    Examples
    --------
    >>> for p, res in gomaxprocs_sweep(fanout(n=400), procs=(1, 4)):
    ...     print(p, res.makespan_ns // 100_000 / 10, "ms")
    1 4.8 ms
    4 1.2 ms
    """
    from gmpcore.simulate import simulate

    workload = fanout() if workload is None else workload
    return [(p, simulate(workload, gomaxprocs=p, seed=seed, **options)) for p in procs]


def container(conns=32, requests=300, think="20ms", work="1ms"):
    """A latency-sensitive service in a CPU-limited container.

    `conns` client connections each send `requests` requests: the handler
    waits on the network for the next one (exponential gaps of mean
    `think`), then spends exponentially distributed CPU (mean `work`) on
    it.  With the defaults the service needs about 1.5 CPUs on average
    (32 × 1 ms per 21 ms) in bursts that can use every CPU.  Run it on
    a machine with more CPUs than its quota, e.g.
    ``simulate(container(), cpus=8, cpu_quota=("150ms", "100ms"),
    gomaxprocs=G)``: with G = 8 the bursts drain the quota early in each
    period and every thread stops for the rest of it (``nr_throttled``,
    ``throttled_wall_ns``), which is what the tail of the scheduling
    latency shows; Go 1.25's default (``gomaxprocs=None``: max(2,
    ⌈1.5⌉) = 2) caps the bursts instead (docs/machine.md).

    Parameters
    ----------
    conns : int
        The size: connections, one handler goroutine each.
    requests : int
        Requests per connection.
    think : duration
        Mean gap between a connection's requests (exponential).
    work : duration
        Mean CPU per request (exponential).
    """
    wl = Workload()
    wg = wl.waitgroup()
    handler = wl.program(repeat(requests, netwait(exponential(think)), cpu(exponential(work))),
                         done(wg), name="handler")
    wl.main(add(wg, conns), go(handler, count=conns), wait(wg))
    return wl


def mutex_counter(workers=8, increments=100, hold="1us", work="1us"):
    """A counter behind one ``sync.Mutex``: normal against starvation mode.

    Each worker increments it `increments` times: ``Lock``, `hold` of CPU,
    ``Unlock``, then `work` outside the lock.  The critical sections cannot
    overlap, so the run lasts at least ``workers * increments * hold`` at any
    GOMAXPROCS.  With short holds (1 µs) contenders spin or win the race
    after a wake-up and the mutex stays in normal mode: no hand-offs.  With
    long holds (300 µs) and 8 workers a waiter queues behind the others for
    more than 1 ms: the mutex starves, and nearly every ``Unlock`` hands it
    to the head waiter and yields (``goyield``, an ``EV_STOP`` with reason
    ``STOP_GOSCHED`` in the event log).

    >>> import gmpcore as gmp
    >>> from gmpcore.events import EV_STOP, STOP_GOSCHED
    >>> for hold in ("1us", "300us"):
    ...     ev = gmp.simulate(mutex_counter(hold=hold, increments=20), gomaxprocs=4,
    ...                       record_events=True, seed=3).events
    ...     print(hold, int(((ev["kind"] == EV_STOP) & (ev["arg"] == STOP_GOSCHED)).sum()))
    1us 0
    300us 155

    Parameters
    ----------
    workers : int
        The size: goroutines contending for the mutex.
    increments : int
        Critical sections per worker.
    hold : duration or Distribution
        CPU time inside the lock.
    work : duration or Distribution
        CPU time outside it, per increment.
    """
    wl = Workload()
    wg, mu = wl.waitgroup(), wl.mutex()
    worker = wl.program(repeat(increments, lock(mu), cpu(hold), unlock(mu), cpu(work)),
                        done(wg), name="worker")
    wl.main(add(wg, workers), go(worker, count=workers), wait(wg))
    return wl


def http_server(requests=2_000, interarrival="50us", parse="20us", backends=4,
                backend="150us", timeout="2ms"):
    """An HTTP-like server: an accept loop, a handler per request, a shared
    cache behind a ``sync.Mutex``, a pool of backend workers, a timeout.

    Requests arrive as a Poisson process through the netpoller (exponential
    gaps of mean `interarrival`: :func:`gmpcore.arrivals`); each starts a
    handler goroutine that parses (`parse` of CPU, exponential), looks the
    request up in a cache (``Lock``, 2 µs, ``Unlock``), then hands it to the
    backend pool over an unbuffered channel inside a ``select`` with a
    ``time.After(timeout)`` case: when every backend is busy for longer than
    `timeout`, the request is shed (1 µs to write the error).  `backends`
    workers ``for range`` the jobs channel, each job a network wait of mean
    `backend` (exponential) and 5 µs of encoding; main closes the channel
    when every handler is done, then waits for the pool.  ``res.spans`` has a
    ``request`` row per handler (parse to hand-off or shedding) and a
    ``backend`` row per job served; ``gmpcore.spans.quantiles`` gives their
    p50..p999.  With 4 backends of 150 µs and a request every 50 µs the pool
    runs at 75 % of its capacity and hand-offs queue: requests wait for a
    backend, rarely long enough to be shed.

    >>> import gmpcore as gmp
    >>> from gmpcore.spans import quantiles
    >>> from gmpcore.spans import durations
    >>> res = gmp.simulate(http_server(requests=500), gomaxprocs=2, seed=1)
    >>> len(durations(res, "request")), len(durations(res, "backend")) <= 500
    (500, True)
    >>> q = quantiles(res)
    >>> q["backend"][0.5] > q["request"][0.5]     # the backend's wait dominates
    True

    Parameters
    ----------
    requests : int
        The size: requests served (handler goroutines started).
    interarrival : duration
        Mean gap between requests (exponential).
    parse : duration
        Mean CPU a handler spends before the cache (exponential).
    backends : int
        Backend workers.
    backend : duration
        Mean network wait of a backend job (exponential).
    timeout : duration
        How long a handler waits for a free backend before shedding.
    """
    wl = Workload()
    handlers, pool = wl.waitgroup(), wl.waitgroup()
    cache, jobs = wl.mutex(), wl.chan()
    handler = wl.program(
        span("request", cpu(exponential(parse)), lock(cache), cpu("2us"), unlock(cache),
             select(case_send(jobs), case_after(timeout, cpu("1us")))),
        done(handlers), name="handler")
    worker = wl.program(each(jobs, span("backend", netwait(exponential(backend)), cpu("5us"))),
                        done(pool), name="backend")
    wl.main(add(pool, backends), go(worker, count=backends), add(handlers, requests),
            arrivals(handler, exponential(interarrival), requests), wait(handlers), close(jobs),
            wait(pool))
    return wl


def pipeline(items=10_000, stages=3, work="5us", buffer=16):
    """A pipeline: a producer and `stages` stages joined by buffered channels.

    The producer sends `items` values into the first channel and closes it;
    each stage ``for range``s its input, spends `work` of CPU per item
    (exponential) and sends it on, closing its output when its input is
    drained; main drains the last channel.  Each send carries a span
    (``send(ch, span="hop<i>")``) that the receiving stage ends
    (``span_end``), so ``res.spans`` has, per item and hop, the time from the
    send to the receiver's work on it: the queueing at each stage.  Stages
    with equal work on fewer Ps than stages take turns; the hops' quantiles
    show where items wait.

    >>> import gmpcore as gmp
    >>> from gmpcore.spans import quantiles
    >>> res = gmp.simulate(pipeline(items=1000), gomaxprocs=2, seed=1)
    >>> sorted(quantiles(res))
    ['hop1', 'hop2', 'hop3']

    Parameters
    ----------
    items : int
        The size: values through the pipeline.
    stages : int
        Stages between the producer and main.
    work : duration
        Mean CPU per item per stage (exponential).
    buffer : int
        Capacity of each channel.
    """
    if not 1 <= stages <= 64:
        raise ValueError(f"stages must be in [1, 64], got {stages}")
    wl = Workload()
    chans = [wl.chan(cap=buffer) for _ in range(stages + 1)]
    wl_stages = []
    producer = wl.program(repeat(items, send(chans[0], span="hop1")), close(chans[0]),
                          name="producer")
    for i in range(stages):
        last = i == stages - 1
        body = [span_end(f"hop{i + 1}"), cpu(exponential(work))]
        if not last:
            body.append(send(chans[i + 1], span=f"hop{i + 2}"))
        else:
            body.append(send(chans[i + 1]))
        wl_stages.append(wl.program(each(chans[i], *body), close(chans[i + 1]),
                                    name=f"stage{i + 1}"))
    wl.main(go(producer), *(go(p) for p in wl_stages), each(chans[stages]))
    return wl


def ticker_loop(ticks=200, period="1ms", work="50us", spinners=2, spin="5ms"):
    """A ticker-driven loop next to CPU-bound work.

    Main starts a ``time.Ticker`` of `period` and, each tick, does `work` of
    CPU inside a span ``tick`` (from the receive to the end of its work);
    `spinners` goroutines meanwhile compute in bursts of `spin` without a
    function call that could yield (``cpu(spin, preemptible=False)``), as
    many bursts as fit in the run.  With as many spinners as Ps, a tick's
    receiver waits on the run queue until sysmon preempts a spinner (10 ms
    slices, asynchronous preemption): the ticks' spans start late and the
    channel's one-slot buffer drops the ticks that come meanwhile, so
    fewer than `ticks` periods fit in the same time.  ``gmpcore.spans``
    gives each tick's lateness (its ``start_ns`` against the tick's time).

    >>> import gmpcore as gmp
    >>> from gmpcore.spans import durations
    >>> calm = gmp.simulate(ticker_loop(ticks=50, spinners=0), gomaxprocs=2, seed=1)
    >>> busy = gmp.simulate(ticker_loop(ticks=50, spinners=2), gomaxprocs=2, seed=1)
    >>> len(durations(calm, "tick")), len(durations(busy, "tick"))
    (50, 50)
    >>> busy.makespan_ns > calm.makespan_ns      # dropped ticks stretch the loop
    True

    Parameters
    ----------
    ticks : int
        The size: ticks main receives.
    period : duration
        The ticker's period.
    work : duration
        CPU per tick.
    spinners : int
        CPU-bound goroutines beside the loop.
    spin : duration
        Each spinner's non-preemptible burst.
    """
    from gmpcore.durations import duration_ns
    wl = Workload()
    tk = wl.ticker()
    bursts = max(1, ticks * duration_ns(period, "period") // max(duration_ns(spin, "spin"), 1))
    spinner = wl.program(repeat(bursts, cpu(spin, preemptible=False)), name="spinner")
    wl.main(*([go(spinner, count=spinners)] if spinners else []), reset(tk, period),
            repeat(ticks, recv(tk), span("tick", cpu(work))), stop(tk))
    return wl


SCENARIOS = {
    "fanout": (fanout, "10,000 compute goroutines and a WaitGroup: spills, global batches, stealing"),
    "io": (io_bound, "goroutines waiting on the network: parked in the netpoller, few threads"),
    "sleepers": (sleepers, "100,000 sleeping goroutines: kilobytes per G, not threads"),
    "syscalls": (blocking_syscalls, "blocking system calls make the runtime start threads"),
    "pingpong": (ping_pong, "channel ping-pong: the pair shares runnext and a time slice"),
    "pool": (worker_pool, "a worker pool fed through a buffered channel"),
    "unbounded": (unbounded, "a goroutine per request, started faster than they finish: they pile up"),
    "leak": (goroutine_leak, "main keeps the first of many results: the rest leak, blocked on send"),
    "container": (container, "a service needing ~1.5 CPUs in bursts: try --cpus 8 --quota 150ms/100ms"),
    "mutex": (mutex_counter, "a counter behind one sync.Mutex: long holds starve it into hand-offs"),
    "server": (http_server, "an HTTP-like server: accept loop, handlers, a mutex, a backend pool, timeouts"),
    "pipeline": (pipeline, "stages joined by buffered channels: where items queue, hop by hop"),
    "ticker": (ticker_loop, "a ticker-driven loop beside CPU-bound goroutines: late and dropped ticks"),
}
