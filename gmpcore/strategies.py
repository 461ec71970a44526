"""Hypothesis strategies for gmpcore: workloads, run settings, queue operations.

``pip install gmpcore[fuzz]`` (or the ``test`` extra) installs Hypothesis,
which this module needs; the rest of gmpcore does not.

``workloads()`` builds programs that always terminate without deadlock:
every goroutine main waits for is certainly started, every channel is used
by matched producer/consumer pairs (sends == receives), and every WaitGroup
``add`` comes before the goroutines whose ``done`` balance it.  Fire-and-forget
goroutines (never waited for) only run operations that cannot block forever.
A worker pool ranges (``each``) over a jobs channel that its producer closes
after its last send, so every worker's loop ends.  A select group's
producers close their channels after their last send and its consumer
drains both with ``each`` after its selects, so a select that times out
(``case_after``), takes a tick (``case_recv`` of a Ticker or Timer the
consumer starts and stops) or its default leaves nothing blocked for good.

``wild_workloads()`` drops those guarantees (unmatched channels, stray
``done``, big stacks, blocking syscalls galore): a run may deadlock, panic or
exhaust threads, and the tests check that both engines fail the same way.

``contended_workloads()`` is the shape the scheduler's properties
(:mod:`gmpcore.properties`) are checked on: more goroutines than Ps,
CPU-bound loops long enough for sysmon's preemption, yielders, blocking
hand-offs and system calls.

Durations stay in microseconds, with an occasional multi-millisecond CPU
burst so that sysmon's 10 ms preemption and syscall retakes happen.

Every workload a strategy draws prints as the Python that builds it
(:meth:`gmpcore.Workload.to_python`), so a shrunk failure reads as code.

>>> from hypothesis import given, settings
>>> import gmpcore as gmp
>>> from gmpcore import strategies as gst
>>> @settings(max_examples=5, database=None, deadline=None)
... @given(gst.workloads(max_goroutines=20), gst.simulate_settings())
... def test_runs(wl, opts):
...     res = gmp.simulate(wl, **opts)
...     assert res.makespan_ns >= 0
>>> test_runs()
"""

try:
    from hypothesis import settings
    from hypothesis import strategies as st
except ImportError as exc:          # pragma: no cover - exercised in a subprocess test
    raise ImportError("gmpcore.strategies needs Hypothesis: pip install gmpcore[fuzz] "
                      "(or the test extra, gmpcore[test])") from exc

import gmpcore as gmp
from gmpcore.fuzz import MS, US, program, random_options, random_workload  # noqa: F401
from gmpcore.policy import STEAL_RULES, WAKEUP_RULES, Policy

__all__ = [
    "US", "MS", "examples", "durations", "leaf_op", "leaf_ops", "program", "workloads",
    "wild_workloads", "contended_workloads", "run_options", "wild_run_options", "machines",
    "simulate_settings", "costs", "stress_workloads", "STRESS_COUNTERS", "sched_ops",
    "apply_sched_ops", "random_workload", "random_options", "policies",
]


def examples(n):
    """`n` examples under the CI profile (60 by default), scaled for others."""
    return max(1, n * settings.default.max_examples // 60)


@st.composite
def durations(draw, max_ns=40 * US):
    """A constant (int ns) or a uniform/exponential/lognormal distribution."""
    kind = draw(st.sampled_from(["constant", "constant", "uniform", "exponential", "lognormal"]))
    if kind == "constant":
        return draw(st.integers(0, max_ns))
    if kind == "uniform":
        lo = draw(st.integers(0, max_ns))
        return gmp.uniform(lo, draw(st.integers(lo, max_ns)))
    if kind == "exponential":
        return gmp.exponential(draw(st.integers(0, max_ns // 2)))
    return gmp.lognormal(draw(st.integers(0, max_ns // 2)), draw(st.floats(0, 1.5)))


@st.composite
def leaf_op(draw, depth=0):
    """Operations that cannot block forever (they may park for a while): a list."""
    kinds = ["cpu", "cpu", "cpu", "sleep", "netwait", "syscall", "gosched", "stack",
             "gomaxprocs", "lock", "after"]
    if depth < 2:
        kinds += ["repeat", "choice", "span"]
    kind = draw(st.sampled_from(kinds))
    if kind == "cpu":
        if draw(st.integers(0, 19)) == 0:        # now and then a burst sysmon must preempt
            d = draw(st.integers(5 * MS, 25 * MS))
        else:
            d = draw(durations())
        return [gmp.cpu(d, preemptible=draw(st.booleans()))]
    if kind == "sleep":
        return [gmp.sleep(draw(durations(max_ns=200 * US)))]
    if kind == "after":                          # <-time.After(d)
        return [gmp.after(draw(durations(max_ns=200 * US)))]
    if kind == "netwait":
        return [gmp.netwait(draw(durations(max_ns=200 * US)))]
    if kind == "syscall":
        long = draw(st.integers(0, 9)) == 0      # long enough for sysmon to retake the P
        d = draw(st.integers(10 * MS, 15 * MS)) if long else draw(durations(max_ns=60 * US))
        return [gmp.syscall(d, blocking=draw(st.booleans()))]
    if kind == "gosched":
        return [gmp.gosched()]
    if kind == "stack":
        return [gmp.stack(draw(st.integers(1, 64 * 1024)))]
    if kind == "gomaxprocs":
        # mostly a change (a stop-the-world); sometimes 0 (a query) or the same value
        return [gmp.gomaxprocs(draw(st.sampled_from([0, 1, 1, 2, 2, 3, 4, 6])))]
    if kind == "lock":                           # LockOSThread, or an unlock (maybe a no-op)
        return [draw(st.sampled_from([gmp.lock_os_thread, gmp.unlock_os_thread]))()]
    if kind == "choice":                         # seeded branches, a weight may be 0
        n = draw(st.integers(1, 3))
        weights = draw(st.lists(st.sampled_from([0, 0.1, 0.5, 1, 3]), min_size=n, max_size=n))
        if not any(weights):
            weights[0] = 1
        return [gmp.choice(*[(w, draw(leaf_ops(2, depth=depth + 1))) for w in weights])]
    body = draw(leaf_ops(3, depth=depth + 1))
    if kind == "span":                           # two names, so rows of both interleave
        return [gmp.span(draw(st.sampled_from(["a", "b"])), *body)]
    if draw(st.booleans()):                      # a count drawn when the loop starts
        lo = draw(st.integers(0, 3))
        return [gmp.repeat(gmp.uniform(lo, draw(st.integers(lo, 4))), *body)]
    return [gmp.repeat(draw(st.integers(0, 3)), *body)]


def leaf_ops(max_size=3, depth=0):
    """A flat list of leaf operations."""
    return st.lists(leaf_op(depth=depth), min_size=0, max_size=max_size).map(
        lambda groups: [op for group in groups for op in group])


@st.composite
def workloads(draw, max_goroutines=200, min_groups=0, max_groups=4):
    """A gmp.Workload that terminates without deadlock (see the module doc).

    Main starts between `min_groups` and `max_groups` groups of goroutines
    (workers, producer/consumer pairs, nested fan-outs, fire-and-forget).
    """
    wl = gmp.Workload()
    budget = max_goroutines - 1              # main is one
    ops = list(draw(leaf_ops(2)))            # main's own prologue
    deferred = []                            # waits main does at its end
    fire = []                                # programs started and never waited for

    def waited(kind_ops):
        # wait right away, or at the end of main
        if draw(st.booleans()):
            ops.extend(kind_ops)
        else:
            deferred.extend(kind_ops)

    for _ in range(draw(st.integers(min_groups, max_groups))):
        if budget <= 0:
            break
        kind = draw(st.sampled_from(["workers", "workers", "pair", "main_consumer", "nested",
                                     "fire", "loop_spawn", "pool", "mutex", "select",
                                     "select_send", "rwmutex", "cond", "timers",
                                     "arrivals"]))
        if kind == "workers":
            wg = wl.waitgroup()
            n = draw(st.integers(1, min(budget, 60)))
            worker = program(wl, *draw(leaf_ops()), gmp.done(wg))
            ops.extend([gmp.add(wg, n), gmp.go(worker, count=n)])
            budget -= n
            waited([gmp.wait(wg)])
        elif kind == "mutex":
            # workers contending for one sync.Mutex: lock, a body, unlock, k times
            wg, mu = wl.waitgroup(), wl.mutex()
            n = draw(st.integers(1, min(budget, 12)))
            body = draw(leaf_ops(2))
            worker = program(wl, gmp.repeat(draw(st.integers(1, 4)), gmp.lock(mu), *body,
                                            gmp.unlock(mu), *draw(leaf_ops(1))), gmp.done(wg))
            ops.extend([gmp.add(wg, n), gmp.go(worker, count=n)])
            if draw(st.booleans()):                   # main takes its turn too
                ops.extend([gmp.lock(mu), *draw(leaf_ops(1)), gmp.unlock(mu)])
            budget -= n
            waited([gmp.wait(wg)])
        elif kind == "select":
            # two producers send then close; a consumer selects k times over
            # both (a time.After, a default sometimes), then drains both
            if budget < 3:
                continue
            wg = wl.waitgroup()
            ca, cb = (wl.chan(cap=draw(st.sampled_from([0, 0, 1, 3]))) for _ in "ab")
            prods = [program(wl, gmp.repeat(draw(st.integers(0, 6)), *draw(leaf_ops(1)),
                                            gmp.send(ch)), gmp.close(ch), gmp.done(wg))
                     for ch in (ca, cb)]
            cases = [gmp.case_recv(ca, *draw(leaf_ops(1))), gmp.case_recv(cb, *draw(leaf_ops(1)))]
            if draw(st.booleans()):
                cases.append(gmp.case_after(draw(durations(max_ns=100 * US)), *draw(leaf_ops(1))))
            # case <-t.C of a Ticker or a Timer the consumer starts (and stops
            # after its selects): the closed channels keep the select from
            # blocking for good once a one-shot timer has fired
            timer = draw(st.sampled_from([None, None, "ticker", "timer"]))
            start, stop = [], []
            if timer is not None:
                tk = wl.ticker() if timer == "ticker" else wl.timer()
                cases.append(gmp.case_recv(tk, *draw(leaf_ops(1))))
                start = [gmp.reset(tk, draw(st.integers(1 * US, 100 * US)))]
                stop = [gmp.stop(tk)]
            if draw(st.integers(0, 3)) == 0:
                cases.append(gmp.case_default(*draw(leaf_ops(1))))
            cases = draw(st.permutations(cases))
            cons = program(wl, *start, gmp.repeat(draw(st.integers(1, 8)), gmp.select(*cases),
                                                  *draw(leaf_ops(1))),
                           *stop, gmp.each(ca), gmp.each(cb), gmp.done(wg))
            ops.extend([gmp.add(wg, 3), gmp.go(cons), gmp.go(prods[0]), gmp.go(prods[1])])
            budget -= 3
            waited([gmp.wait(wg)])
        elif kind == "select_send":
            # a producer sends n values through select over two channels (a
            # default drops one), closes both; one consumer ranges over each
            if budget < 3:
                continue
            wg = wl.waitgroup()
            ca, cb = (wl.chan(cap=draw(st.sampled_from([0, 0, 1, 3]))) for _ in "ab")
            cases = [gmp.case_send(ca, *draw(leaf_ops(1))), gmp.case_send(cb, *draw(leaf_ops(1)))]
            if draw(st.integers(0, 3)) == 0:
                cases.append(gmp.case_default())
            prod = program(wl, gmp.repeat(draw(st.integers(0, 8)), *draw(leaf_ops(1)),
                                          gmp.select(*draw(st.permutations(cases)))),
                           gmp.close(ca), gmp.close(cb), gmp.done(wg))
            conss = [program(wl, gmp.each(ch, *draw(leaf_ops(1))), gmp.done(wg)) for ch in (ca, cb)]
            ops.extend([gmp.add(wg, 3), gmp.go(conss[0]), gmp.go(prod), gmp.go(conss[1])])
            budget -= 3
        elif kind == "rwmutex":
            # readers and writers of one sync.RWMutex, each section released before the next
            wg, rw = wl.waitgroup(), wl.rwmutex()
            n = draw(st.integers(1, min(budget, 12)))

            def section():
                body = draw(leaf_ops(1))
                if draw(st.booleans()):
                    return [gmp.rlock(rw), *body, gmp.runlock(rw)]
                return [gmp.lock(rw), *body, gmp.unlock(rw)]
            worker = program(wl, gmp.repeat(draw(st.integers(1, 4)), *section(), *section(),
                                            *draw(leaf_ops(1))), gmp.done(wg))
            ops.extend([gmp.add(wg, n), gmp.go(worker, count=n)])
            if draw(st.booleans()):                   # main takes its turn too
                ops.extend(section())
            budget -= n
            waited([gmp.wait(wg)])
        elif kind == "cond":
            # n waiters on a Cond: each locks, tells main it holds the lock
            # (a buffered send: it never blocks while holding it), waits;
            # main's k-th lock comes after k waiters took their tickets, so
            # one signal (or broadcast) per waiter notifies every ticket.
            mu = wl.rwmutex() if draw(st.booleans()) else wl.mutex()
            c = wl.cond(mu)
            n = draw(st.integers(1, min(budget, 8)))
            wg, ready = wl.waitgroup(), wl.chan(cap=n)
            waiter = program(wl, *draw(leaf_ops(1)), gmp.lock(mu), gmp.send(ready), gmp.wait(c),
                             *draw(leaf_ops(1)), gmp.unlock(mu), gmp.done(wg))
            notify = draw(st.sampled_from([gmp.signal, gmp.broadcast]))
            ops.extend([gmp.add(wg, n), gmp.go(waiter, count=n),
                        gmp.repeat(n, gmp.recv(ready), gmp.lock(mu), notify(c),
                                   *draw(leaf_ops(1)), gmp.unlock(mu))])
            budget -= n
            waited([gmp.wait(wg)])
        elif kind == "timers":
            # workers receive k ticks each from one running Ticker; main uses a
            # Timer of its own (Reset, maybe Stop, Reset again, receive) and an
            # AfterFunc timer (its goroutine is never waited for); Stop at the end.
            wg, tk, t = wl.waitgroup(), wl.ticker(), wl.timer()
            f = wl.timer(func=program(wl, *draw(leaf_ops(2))))
            n = draw(st.integers(1, min(budget, 8)))
            worker = program(wl, gmp.repeat(draw(st.integers(1, 4)), gmp.recv(tk),
                                            *draw(leaf_ops(1))), gmp.done(wg))
            ops.extend([gmp.reset(tk, draw(st.integers(1 * US, 300 * US))),
                        gmp.reset(f, draw(durations(max_ns=300 * US))),
                        gmp.add(wg, n), gmp.go(worker, count=n),
                        gmp.reset(t, draw(durations(max_ns=300 * US))), *draw(leaf_ops(1))])
            if draw(st.booleans()):
                ops.append(gmp.stop(f))
            if draw(st.booleans()):
                ops.extend([gmp.stop(t), gmp.reset(t, draw(durations(max_ns=300 * US)))])
            ops.extend([gmp.recv(t), gmp.wait(wg), gmp.stop(tk)])
            budget -= n + 1
        elif kind == "arrivals":
            # an open-loop accept loop: k handlers arrive a netwait apart
            wg = wl.waitgroup()
            k = draw(st.integers(1, min(budget, 20)))
            handler = program(wl, *draw(leaf_ops(2)), gmp.done(wg))
            ops.extend([gmp.add(wg, k), gmp.arrivals(handler, draw(durations(max_ns=100 * US)), k)])
            budget -= k
            waited([gmp.wait(wg)])
        elif kind == "loop_spawn":
            # repeat(k, add(wg, 1), go(worker)): adds interleaved with starts
            wg = wl.waitgroup()
            k = draw(st.integers(1, min(budget, 20)))
            worker = program(wl, *draw(leaf_ops()), gmp.done(wg))
            ops.append(gmp.repeat(k, gmp.add(wg, 1), gmp.go(worker), *draw(leaf_ops(1))))
            budget -= k
            waited([gmp.wait(wg)])
        elif kind == "pair":
            # p producers and p consumers, n values each, on one channel
            if budget < 2:
                continue
            wg = wl.waitgroup()
            ch = wl.chan(cap=draw(st.sampled_from([0, 0, 1, 3])))
            p = draw(st.integers(1, min(budget // 2, 4)))
            n = draw(st.integers(1, 8))
            prod = program(wl, gmp.repeat(n, *draw(leaf_ops(2)), gmp.send(ch)), gmp.done(wg))
            cons = program(wl, gmp.repeat(n, gmp.recv(ch), *draw(leaf_ops(2))), gmp.done(wg))
            first, second = (prod, cons) if draw(st.booleans()) else (cons, prod)
            ops.extend([gmp.add(wg, 2 * p), gmp.go(first, count=p), gmp.go(second, count=p)])
            budget -= 2 * p
            waited([gmp.wait(wg)])
        elif kind == "pool":
            # w workers range over jobs; a producer (main or its own goroutine)
            # sends n jobs, then closes the channel, which ends every range.
            if budget < 2:
                continue
            wg, jobs = wl.waitgroup(), wl.chan(cap=draw(st.sampled_from([0, 0, 1, 3])))
            w, n = draw(st.integers(1, min(budget - 1, 6))), draw(st.integers(0, 12))
            # each job may carry its enqueue time to the worker that ends its span
            stamped = draw(st.booleans())
            end = [gmp.span_end("job")] if stamped else []
            worker = program(wl, gmp.each(jobs, *draw(leaf_ops(2)), *end), *draw(leaf_ops(1)),
                             gmp.done(wg))
            produce = [gmp.repeat(n, *draw(leaf_ops(1)),
                                  gmp.send(jobs, span="job" if stamped else None)),
                       gmp.close(jobs)]
            ops.extend([gmp.add(wg, w), gmp.go(worker, count=w)])
            if draw(st.booleans()):
                ops.extend(produce)
            else:
                ops.append(gmp.go(program(wl, *produce)))
            budget -= w + 1
            waited([gmp.wait(wg)])
        elif kind == "main_consumer":
            ch = wl.chan(cap=draw(st.sampled_from([0, 2])))
            n = draw(st.integers(1, 6))
            prod = program(wl, gmp.repeat(n, *draw(leaf_ops(2)), gmp.send(ch)))
            ops.extend([gmp.go(prod), gmp.repeat(n, gmp.recv(ch), *draw(leaf_ops(1)))])
            budget -= 1
        elif kind == "nested":
            # workers that each start and wait for their own children
            if budget < 2:
                continue
            wg, wg2 = wl.waitgroup(), wl.waitgroup()
            n = draw(st.integers(1, min(budget // 2, 8)))
            k = draw(st.integers(1, max(1, min((budget - n) // n, 6))))
            child = program(wl, *draw(leaf_ops(2)), gmp.done(wg2))
            worker = program(wl, *draw(leaf_ops(2)), gmp.add(wg2, k), gmp.go(child, count=k),
                                *draw(leaf_ops(1)), gmp.wait(wg2), gmp.done(wg))
            ops.extend([gmp.add(wg, n), gmp.go(worker, count=n)])
            budget -= n * (1 + k)
            waited([gmp.wait(wg)])
        else:
            n = draw(st.integers(1, min(budget, 10)))
            # exit, or runtime.Goexit with ops after it that never run
            tail = draw(st.sampled_from([[], [gmp.exit()], [gmp.goexit(), gmp.cpu(MS)]]))
            prog = program(wl, *draw(leaf_ops()), *tail)
            fire.append(prog)
            ops.append(gmp.go(prog, count=n))
            budget -= n
        ops.extend(draw(leaf_ops(1)))
    wl.main(*ops, *deferred, *draw(leaf_ops(1)))
    return wl


@st.composite
def wild_workloads(draw, max_goroutines=60):
    """Workloads that may deadlock, panic or exhaust threads or stack."""
    wl = gmp.Workload()
    chans = [wl.chan(cap=draw(st.sampled_from([0, 1, 2]))) for _ in range(draw(st.integers(1, 2)))]
    wgs = [wl.waitgroup() for _ in range(draw(st.integers(1, 2)))]
    mus = [wl.mutex() for _ in range(draw(st.integers(1, 2)))]
    rws = [wl.rwmutex()]
    conds = [wl.cond(mus[0]), wl.cond(rws[0])]
    tms = [wl.timer(), wl.ticker(), wl.timer(func=program(wl, gmp.cpu(10 * US)))]

    def op():
        return st.one_of(
            leaf_op(depth=2).map(lambda ops: ops[0]),
            st.builds(gmp.send, st.sampled_from(chans)),
            st.builds(gmp.recv, st.sampled_from(chans)),
            st.builds(gmp.close, st.sampled_from(chans)),
            st.builds(lambda ch, d: gmp.each(ch, gmp.cpu(d)), st.sampled_from(chans),
                      st.integers(0, 20 * US)),
            st.builds(gmp.add, st.sampled_from(wgs), st.integers(-2, 3)),
            st.builds(gmp.done, st.sampled_from(wgs)),
            st.builds(gmp.wait, st.sampled_from(wgs)),
            st.builds(gmp.stack, st.integers(1, 4 * 1024 * 1024)),
            st.builds(gmp.syscall, st.integers(0, 2 * MS), st.booleans()),
            st.builds(gmp.lock, st.sampled_from(mus)),           # may deadlock
            st.builds(gmp.unlock, st.sampled_from(mus)),         # may be fatal
            st.builds(gmp.rlock, st.sampled_from(rws)),          # may deadlock
            st.builds(gmp.runlock, st.sampled_from(rws)),        # may be fatal
            st.builds(gmp.lock, st.sampled_from(rws)),
            st.builds(gmp.unlock, st.sampled_from(rws)),         # may be fatal
            st.builds(gmp.wait, st.sampled_from(conds)),         # unlocks: may be fatal
            st.builds(gmp.signal, st.sampled_from(conds)),
            st.builds(gmp.broadcast, st.sampled_from(conds)),
            st.builds(gmp.send, st.sampled_from(chans), st.sampled_from([None, "a", "b"])),
            st.builds(gmp.span_end, st.sampled_from(["a", "b"])),
            st.builds(gmp.goexit),                   # in main: dies once the others finish
            st.builds(gmp.panic, st.sampled_from(["boom", "index out of range"])),
            # select over the channels (send cases may panic on a closed one;
            # select {} blocks forever), with time.After and default now and then
            st.builds(lambda cs, after, timers, dflt: gmp.select(
                *[gmp.case_send(ch) if send else gmp.case_recv(ch, gmp.cpu(d)) for ch, send, d in cs],
                *([gmp.case_after(after)] if after is not None else []),
                *[gmp.case_recv(t, gmp.cpu(d)) for t, d in timers],      # <-t.C, ticker.C
                *([gmp.case_default()] if dflt else [])),
                st.lists(st.tuples(st.sampled_from(chans), st.booleans(), st.integers(0, 5 * US)),
                         max_size=3),
                st.none() | st.integers(0, 50 * US),
                st.lists(st.tuples(st.sampled_from(tms[:2]), st.integers(0, 5 * US)), max_size=2),
                st.booleans()),
            st.builds(gmp.reset, st.sampled_from(tms), st.integers(1, 300 * US)),
            st.builds(gmp.stop, st.sampled_from(tms)),
            st.builds(gmp.recv, st.sampled_from(tms[:2])),          # may block forever
            st.builds(gmp.after, st.integers(0, 300 * US)),
        )

    progs = [program(wl, *draw(st.lists(op(), max_size=5))) for _ in range(draw(st.integers(1, 3)))]
    main_ops = []
    budget = max_goroutines - 1
    for _ in range(draw(st.integers(1, 4))):
        n = draw(st.integers(0, max(0, min(budget, 20))))
        budget -= n
        main_ops.append(gmp.go(draw(st.sampled_from(progs)), count=n))
        main_ops.extend(draw(st.lists(op(), max_size=3)))
    # Make every channel appear on both sides somewhere (the static check).
    sink = program(wl, *[x for ch in chans for x in (gmp.send(ch), gmp.recv(ch))])
    if draw(st.booleans()):
        main_ops.insert(0, gmp.go(sink))
    wl.main(*main_ops)
    return wl


@st.composite
def run_options(draw):
    """Keyword arguments for gmp.simulate (engine and record_events aside)."""
    # Mostly two or more Ps: most of the scheduler (stealing, spinning,
    # hand-offs, wake-ups) needs them; one P a fifth of the time.
    procs = draw(st.one_of(st.integers(2, 8), st.just(1), st.integers(2, 8), st.integers(2, 8),
                           st.sampled_from([13, 32, 64])))
    opts = dict(
        gomaxprocs=procs,
        seed=draw(st.integers(0, 2**32)),
        async_preempt=draw(st.booleans()),
        runnext=draw(st.booleans()),
        until=draw(st.sampled_from(["main", "all"])),
    )
    if draw(st.integers(0, 3)) == 0:
        opts["schedtrace"] = draw(st.sampled_from(["50us", "1ms", "5ms"]))
        opts["scheddetail"] = draw(st.booleans())
    if draw(st.integers(0, 3)) == 0:
        opts["monitor"] = draw(st.sampled_from(["7us", "100us", "1ms"]))
        # runs can idle for a long virtual time (sysmon's 60 s deep sleep)
        opts["max_samples"] = draw(st.integers(1, 3000))
    if draw(st.integers(0, 3)) == 0:
        opts["snapshot_at"] = draw(st.integers(0, 2 * MS))
    if draw(st.integers(0, 3)) == 0:
        t0 = draw(st.integers(0, MS))
        opts["trace_window"] = (t0, t0 + draw(st.integers(0, MS)))
    if draw(st.integers(0, 4)) == 0:
        opts["trace_goroutines"] = draw(st.lists(st.integers(1, 40), max_size=5))
    if draw(st.integers(0, 4)) == 0:
        opts["max_trace_events"] = draw(st.integers(0, 200))
    if draw(st.integers(0, 3)) == 0:
        opts["costs"] = dict(
            thread_wake=draw(st.integers(0, 20_000)),
            thread_create=draw(st.integers(0, 40_000)),
            steal_attempt=draw(st.integers(0, 1_000)),
            schedule=draw(st.integers(0, 100)),
            timer_wake=draw(st.integers(0, 200_000)),
        )
        if draw(st.booleans()):             # wide spreads make races common
            opts["costs"]["spread"] = {name: (draw(st.floats(0.05, 1.0)), draw(st.floats(1.0, 8.0)))
                                       for name in ("schedule", "thread_wake", "ready", "newproc")}
    # The default machine jitters; the exact one is drawn a third of the time.
    opts["noise"] = draw(st.integers(0, 2)) > 0
    # The runtime's start (its goroutines, m0 wired to main) by default; main
    # alone a quarter of the time.
    opts["runtime_init"] = draw(st.integers(0, 3)) > 0
    opts.update(draw(machines(procs)))
    return opts


@st.composite
def machines(draw, procs):
    """The machine under the scheduler: the ideal one (a CPU per thread), a
    CPU per P (the default), fewer CPUs than Ps, hogs, a CPU quota that
    binds or changes, and the OS scheduler's knobs, at small scales so
    that every path (wake-up preemption, slice ends, throttling) is hit."""
    kind = draw(st.sampled_from(["ideal", "auto", "few", "few", "hogs", "quota", "update"]))
    if kind == "ideal":
        return dict(cpus=None)
    if kind == "auto":
        return {}
    if kind == "update":
        # Go's default GOMAXPROCS and its periodic update: a quota change
        # before sysmon's first loop (about 20 us in) moves the default, so
        # the first check already runs the updater goroutine and a STW
        # (with main alone: runtime.main's updater is not idle that early).
        cpus = draw(st.integers(2, 6))
        period = draw(st.sampled_from([1, 2])) * MS
        rows = [(0, None, period),
                (draw(st.integers(1_000, 15_000)), draw(st.integers(1, 2 * cpus)) * MS // 2 + MS,
                 period)]
        if draw(st.booleans()):
            rows.append((draw(st.integers(2 * MS, 4 * MS)), None, period))
        return dict(cpus=cpus, gomaxprocs=None, cpu_quota=rows, runtime_init=False,
                    updatemaxprocs=draw(st.sampled_from([True, True, False])),
                    containermaxprocs=draw(st.sampled_from([True, True, False])))
    cpus = draw(st.integers(1, max(1, min(procs, 4))))
    out = dict(cpus=cpus)
    if kind == "hogs" or draw(st.integers(0, 3)) == 0:
        out["background"] = draw(st.integers(0, 3))
    if kind == "quota":
        period = draw(st.sampled_from([1, 2, 5])) * MS
        rows = [(0, draw(st.integers(1, 3 * cpus)) * MS // 2 + MS, period)]
        t = 0
        for _ in range(draw(st.integers(0, 3))):
            t += draw(st.integers(1, 3 * MS))
            quota = draw(st.one_of(st.none(), st.integers(MS, 4 * cpus * MS)))
            rows.append((t, quota, draw(st.sampled_from([1, 2, 5])) * MS))
        out["cpu_quota"] = rows
    if draw(st.booleans()):
        # Slices of at least 100 us: hogs always have someone waiting, so every
        # CPU checks its slice each slice; shorter ones make long runs crawl
        # in the reference engine without reaching any new path.
        out["os_sched"] = dict(slice=draw(st.integers(100_000, 3_000_000)),
                               tick=draw(st.sampled_from([0, 250_000, 1_000_000, 4_000_000])),
                               ctx_switch=draw(st.integers(0, 5_000)),
                               idle_exit=draw(st.sampled_from([0, 0, 3_000])),
                               idle_exit_after=draw(st.sampled_from([0, 50_000])))
    return out


#: What each stress group forces, as the counter that shows it happened.
STRESS_COUNTERS = {"spill": "spills", "preempt": "preemptions", "handoff": "handoffs",
                   "netpoll": "netpolls"}


@st.composite
def stress_workloads(draw, group=None):
    """(group, workload, gomaxprocs): a workload built to force one of the
    scheduler's rarer paths, which small random workloads seldom reach:

    * ``spill``: main starts 400-700 short goroutines back to back, faster
      than 2-4 Ps' thieves drain its ring, so runqput spills 128 + 1 Gs to
      the global queue (and idle Ps take global batches);
    * ``preempt``: more 12-30 ms CPU-bound goroutines than Ps, so sysmon
      preempts them (cooperatively or by signal);
    * ``handoff``: goroutines in 0.1-2 ms system calls while others wait to
      run, so sysmon retakes their Ps (handoffp);
    * ``netpoll``: 130-300 network waits complete while every P computes,
      so the next poll finds more than one epoll_wait returns (128).
    """
    group = group or draw(st.sampled_from(sorted(STRESS_COUNTERS)))
    wl = gmp.Workload()
    wg = wl.waitgroup()
    if group == "spill":
        n = draw(st.integers(400, 700))
        worker = program(wl, gmp.cpu(draw(st.integers(1 * US, 5 * US))), gmp.done(wg))
        wl.main(gmp.add(wg, n), gmp.go(worker, count=n), gmp.wait(wg))
        procs = draw(st.integers(2, 4))
    elif group == "preempt":
        procs = draw(st.integers(2, 4))
        n = procs + draw(st.integers(1, 4))
        worker = program(wl, gmp.cpu(draw(st.integers(12 * MS, 30 * MS)),
                                     preemptible=draw(st.booleans())), gmp.done(wg))
        wl.main(gmp.add(wg, n), gmp.go(worker, count=n), gmp.wait(wg))
    elif group == "handoff":
        procs = draw(st.integers(2, 4))
        k = draw(st.integers(1, procs))
        caller = program(wl, gmp.repeat(draw(st.integers(1, 3)),
                                        gmp.syscall(draw(st.integers(100 * US, 2 * MS)))),
                         gmp.done(wg))
        busy = program(wl, gmp.repeat(draw(st.integers(20, 60)), gmp.cpu("50us"), gmp.gosched()),
                       gmp.done(wg))
        m = draw(st.integers(procs, 2 * procs))
        wl.main(gmp.add(wg, k + m), gmp.go(caller, count=k), gmp.go(busy, count=m),
                gmp.wait(wg))
    else:
        # Every P computes for 12-20 ms, so no M polls until sysmon's 10 ms
        # poll, which finds every wait complete and takes 128 at a time.
        procs = draw(st.integers(2, 6))
        n = draw(st.integers(130, 300))
        waiter = program(wl, gmp.netwait(draw(st.integers(50 * US, 500 * US))),
                         gmp.cpu(draw(st.integers(0, 3 * US))), gmp.done(wg))
        busy = program(wl, gmp.cpu(draw(st.integers(12 * MS, 20 * MS))), gmp.done(wg))
        wl.main(gmp.add(wg, n + procs), gmp.go(waiter, count=n), gmp.go(busy, count=procs),
                gmp.wait(wg))
    return group, wl, procs


@st.composite
def wild_run_options(draw):
    """run_options() plus small thread and stack limits, and an event budget."""
    opts = draw(run_options())
    opts["max_threads"] = draw(st.sampled_from([3, 4, 6, 10_000]))
    opts["max_stack"] = draw(st.sampled_from([32 * 1024, 1_000_000_000]))
    opts["max_events"] = 50_000
    return opts




@st.composite
def costs(draw):
    """A ``costs=`` mapping for :func:`gmpcore.simulate`: a few of the cost
    model's fields (ns), from 0 to several times Go's measured value, and
    now and then a spread that makes races between Ms common."""
    out = dict(
        thread_wake=draw(st.integers(0, 100_000)),
        thread_create=draw(st.integers(0, 40_000)),
        steal_attempt=draw(st.integers(0, 1_000)),
        schedule=draw(st.integers(0, 100)),
        ready=draw(st.integers(0, 200)),
        newproc=draw(st.integers(0, 300)),
        timer_wake=draw(st.integers(0, 200_000)),
    )
    if draw(st.booleans()):
        out["spread"] = {name: (draw(st.floats(0.05, 1.0)), draw(st.floats(1.0, 8.0)))
                         for name in ("schedule", "thread_wake", "ready", "newproc")}
    return out


@st.composite
def simulate_settings(draw, procs=None, machine="ideal", max_procs=8, policy=False):
    """Keyword arguments for :func:`gmpcore.simulate`: GOMAXPROCS, seed,
    costs, noise, preemption mode and runnext, on a chosen machine, and
    (``policy=True``) a :class:`gmpcore.Policy` from :func:`policies`.

    Parameters
    ----------
    procs : int or strategy, optional
        GOMAXPROCS, or a strategy of it; by default 1 to `max_procs`.
    machine : {"ideal", "any"}
        ``"ideal"`` (``cpus=None``: a CPU per thread, where the properties'
        bounds hold exactly); ``"any"`` draws from :func:`machines` (CPU
        counts, quotas, background hogs, OS scheduler knobs).

    Runs end when every goroutine has (``until="all"``) and record their
    event log, which :mod:`gmpcore.properties` replays.

    >>> from hypothesis import find
    >>> opts = find(simulate_settings(procs=4), lambda o: True)
    >>> opts["gomaxprocs"], opts["cpus"], opts["record_events"]
    (4, None, True)
    """
    if procs is None:
        procs = st.integers(1, max_procs)
    if isinstance(procs, int):
        procs = st.just(procs)
    n = draw(procs)
    opts = dict(gomaxprocs=n, seed=draw(st.integers(0, 2**32 - 1)), until="all",
                record_events=True, async_preempt=draw(st.sampled_from([True, True, False])),
                runnext=draw(st.sampled_from([True, True, False])),
                noise=draw(st.booleans()))
    if draw(st.integers(0, 2)) == 0:
        opts["costs"] = draw(costs())
    if machine == "ideal":
        opts["cpus"] = None
    else:
        opts.update(draw(machines(n)))
    if policy:
        opts["policy"] = draw(policies(extreme=False))
    return opts


@st.composite
def contended_workloads(draw, max_goroutines=40):
    """Deadlock-free workloads that keep the scheduler busy: more goroutines
    than Ps, CPU-bound loops (some longer than sysmon's 10 ms slice, some
    without safe points), yielders (``gosched`` in a loop, Go issue 13546's
    shape), channel ping-pong, a contended mutex, system calls and sleeps.

    This is the strategy the scheduler's properties
    (:mod:`gmpcore.properties`) and :func:`gmpcore.search` use by default.

    >>> from hypothesis import find
    >>> wl = find(contended_workloads(), lambda wl: True)
    >>> print(wl.to_python())
    import gmpcore as gmp
    <BLANKLINE>
    wl = gmp.Workload()
    wl.main()
    """
    wl = gmp.Workload()
    budget = max_goroutines - 1
    ops, tail = [], []
    for _ in range(draw(st.integers(0, 4))):
        if budget <= 0:
            break
        kind = draw(st.sampled_from(["spinners", "yielders", "bursts", "pingpong", "mutex",
                                     "io", "spawner", "fanout"]))
        wg = wl.waitgroup()
        if kind == "spinners":
            # for !done {}: a long loop, maybe without safe points
            n = draw(st.integers(1, min(budget, 8)))
            d = draw(st.integers(5 * MS, 60 * MS))
            worker = program(wl, gmp.cpu(d, preemptible=draw(st.booleans())), gmp.done(wg))
        elif kind == "yielders":
            # for cond { runtime.Gosched() }
            n = draw(st.integers(1, min(budget, 4)))
            worker = program(wl, gmp.repeat(draw(st.integers(1, 200)),
                                            gmp.cpu(draw(st.integers(0, 20 * US))), gmp.gosched()),
                             gmp.done(wg))
        elif kind == "bursts":
            n = draw(st.integers(1, min(budget, 16)))
            worker = program(wl, gmp.repeat(draw(st.integers(1, 20)),
                                            gmp.cpu(draw(durations(max_ns=500 * US)))),
                             gmp.done(wg))
        elif kind == "pingpong":
            if budget < 2:
                continue
            a, b = wl.chan(), wl.chan(cap=draw(st.sampled_from([0, 1])))
            k = draw(st.integers(1, 50))
            ping = program(wl, gmp.repeat(k, gmp.send(a), gmp.recv(b),
                                          gmp.cpu(draw(st.integers(0, 20 * US)))), gmp.done(wg))
            pong = program(wl, gmp.repeat(k, gmp.recv(a), gmp.cpu(draw(st.integers(0, 20 * US))),
                                          gmp.send(b)), gmp.done(wg))
            ops.extend([gmp.add(wg, 2), gmp.go(ping), gmp.go(pong)])
            budget -= 2
            tail.append(gmp.wait(wg))
            continue
        elif kind == "mutex":
            n = draw(st.integers(1, min(budget, 8)))
            mu = wl.mutex()
            worker = program(wl, gmp.repeat(draw(st.integers(1, 20)), gmp.lock(mu),
                                            gmp.cpu(draw(st.integers(0, 50 * US))), gmp.unlock(mu),
                                            gmp.cpu(draw(st.integers(0, 50 * US)))), gmp.done(wg))
        elif kind == "io":
            n = draw(st.integers(1, min(budget, 8)))
            io = draw(st.sampled_from([gmp.sleep, gmp.netwait, gmp.syscall]))
            worker = program(wl, gmp.repeat(draw(st.integers(1, 10)),
                                            io(draw(st.integers(1 * US, 3 * MS))),
                                            gmp.cpu(draw(st.integers(0, 200 * US)))), gmp.done(wg))
        elif kind == "fanout":
            # go f() k times, then keep computing: k - 1 children wait in
            # this P's ring (the last in runnext) for thieves to steal
            n = draw(st.integers(2, min(max(budget, 2), 12)))
            if n > budget:
                continue
            child = program(wl, gmp.cpu(draw(st.integers(0, 3 * MS))), gmp.done(wg))
            ops.extend([gmp.add(wg, n), gmp.go(child, count=n),
                        gmp.cpu(draw(st.integers(0, 20 * MS)))])
            worker = None
        else:
            # a goroutine that starts its children one by one between bursts
            n = draw(st.integers(1, min(budget, 10)))
            child = program(wl, gmp.cpu(draw(st.integers(0, 2 * MS))), gmp.done(wg))
            worker = None
            ops.extend([gmp.add(wg, n), gmp.repeat(n, gmp.go(child),
                                                   gmp.cpu(draw(st.integers(0, 3 * MS))))])
        if worker is not None:
            ops.extend([gmp.add(wg, n), gmp.go(worker, count=n)])
        budget -= n
        tail.append(gmp.wait(wg))
    wl.main(*ops, *tail)
    return wl


# ---------------------------------------------------------------- the queue core

@st.composite
def sched_ops(draw, nprocs=3, max_size=60):
    """A list of queue-core operations on a ``gmp.Sched(nprocs)``: tuples
    ``(method, *args)`` that :func:`apply_sched_ops` performs.  Every put
    uses a fresh G id; gets, steals, drains and global batches come in any
    order (on empty queues too); a steal or a global batch into a P whose
    ring is not empty is skipped, as Go never makes one.

    >>> from hypothesis import find
    >>> ops = find(sched_ops(), lambda ops: any(o[0] == "runqsteal" for o in ops))
    >>> ops
    [('runqsteal', 0, 0, False)]
    """
    p = st.integers(0, nprocs - 1)
    op = st.one_of(
        st.tuples(st.just("runqput"), p, st.booleans()),
        st.tuples(st.just("runqputbatch"), p, st.integers(0, 300)),
        st.tuples(st.just("runqget"), p),
        st.tuples(st.just("runqdrain"), p),
        st.tuples(st.just("runqsteal"), p, p, st.booleans()),
        st.tuples(st.just("globrunqput")),
        st.tuples(st.just("globrunqputhead")),
        st.tuples(st.just("globrunqget"), p, st.integers(0, 128)),
        st.tuples(st.just("globrunqgetbatch"), st.integers(1, 300)),
    )
    return draw(st.lists(op, max_size=max_size))


def apply_sched_ops(sched, ops, first_g=0):
    """Run `ops` (from :func:`sched_ops`) on `sched` (a ``gmp.Sched`` or the
    reference ``RefSched``); returns ``(put, out)``: the G ids put in and
    the G ids handed out, in order.  Puts number Gs from `first_g` up.

    >>> import gmpcore as gmp
    >>> put, out = apply_sched_ops(gmp.Sched(2), [("runqput", 0, False), ("runqget", 0)])
    >>> put, out
    ([0], [0])
    """
    g = first_g
    put, out = [], []

    def take(result):
        if result is None or isinstance(result, bool):
            return
        if isinstance(result, tuple):             # (g, inherit) or (g, rest)
            head, rest = result
            out.append(int(head))
            if not isinstance(rest, bool):
                out.extend(int(x) for x in rest)
            return
        if isinstance(result, int) or hasattr(result, "__index__") and not hasattr(result, "__len__"):
            out.append(int(result))
            return
        out.extend(int(x) for x in result)

    for op in ops:
        name, args = op[0], op[1:]
        if name == "runqput":
            sched.runqput(args[0], g, next=args[1])
            put.append(g)
            g += 1
        elif name == "runqputbatch":
            gs = list(range(g, g + args[1]))
            g += args[1]
            put.extend(gs)
            left = sched.runqputbatch(args[0], gs)
            sched.globrunqputbatch(list(left))        # what runqputbatch's caller does
        elif name in ("globrunqput", "globrunqputhead"):
            getattr(sched, name)(g)
            put.append(g)
            g += 1
        elif name == "runqsteal":
            thief, victim, nxt = args
            if thief != victim and sched.runqempty(thief):     # findRunnable steals when empty
                take(sched.runqsteal(thief, victim, nxt))
        elif name == "globrunqget":
            if sched.runqempty(args[0]):                      # as findRunnable calls it
                take(sched.globrunqget(*args))
        else:
            take(getattr(sched, name)(*args))
    return put, out


# ---------------------------------------------------------------- policies

def _or_go(strategy, default):
    """`strategy`, or Go's `default` as often (shrinks towards Go's)."""
    return st.one_of(st.just(default), strategy)


@st.composite
def policies(draw, extreme=True):
    """A :class:`gmpcore.Policy` with every knob varied, Go 1.25's value half
    of the time each (so a shrunk failure names the knob); with `extreme`,
    also the edges (a 1-slot ring, a 1 µs time slice, a global check every
    slice).  Bounded so runs stay short."""
    go = Policy()
    runq_size = draw(_or_go(st.one_of(st.integers(1, 8), st.integers(9, 256))
                            if extreme else st.integers(16, 256), go.runq_size))
    sysmon_min = draw(_or_go(st.integers(US if extreme else 5 * US, 200 * US),
                             go.sysmon_min_delay))
    return Policy(
        runq_size=runq_size,
        steal=draw(_or_go(st.sampled_from(STEAL_RULES), go.steal)),
        global_check_interval=draw(_or_go(st.integers(0, 70), go.global_check_interval)),
        global_batch=draw(_or_go(st.integers(0, runq_size), go.global_batch)),
        runnext=draw(_or_go(st.just(False), True)),
        runnext_inherit=draw(_or_go(st.just(False), True)),
        lifo_limit=draw(_or_go(st.integers(1, 5), 0)),
        spin_factor=draw(_or_go(st.integers(0, 8), go.spin_factor)),
        wakeup=draw(_or_go(st.sampled_from(WAKEUP_RULES), go.wakeup)),
        time_slice=draw(_or_go(st.integers(US if extreme else 100 * US, 20 * MS), go.time_slice)),
        sysmon_min_delay=sysmon_min,
        sysmon_max_delay=draw(_or_go(st.integers(sysmon_min, 20 * MS), max(go.sysmon_max_delay,
                                                                            sysmon_min))),
        sysmon_idle_cycles=draw(_or_go(st.integers(0, 100), go.sysmon_idle_cycles)),
        async_preempt=draw(_or_go(st.just(False), True)),
    )
