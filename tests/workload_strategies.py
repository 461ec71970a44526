"""Hypothesis strategies: small random workloads and run options.

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

Durations stay in microseconds, with an occasional multi-millisecond CPU
burst so that sysmon's 10 ms preemption and syscall retakes happen.

"""

from hypothesis import settings
from hypothesis import strategies as st

import gmpcore as gmp

US = 1_000
MS = 1_000_000


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


def program(wl, *ops):
    """wl.program(*ops), defined even when `ops` is empty."""
    prog = wl.program()
    prog.define(*ops)
    return prog


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
                                     "select_send", "rwmutex", "cond", "timers"]))
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


# ---------------------------------------------------------------- seeded, larger

def random_workload(rng):
    """A larger deadlock-free workload from a ``random.Random``: 2-8 groups of
    up to 400 workers, producer/consumer pairs, nested fan-outs and
    fire-and-forget goroutines (Hypothesis prefers small examples; this
    covers thousands of Gs on fixed seeds)."""

    def dur(mx):
        k = rng.random()
        if k < .4:
            return rng.randint(0, mx)
        if k < .6:
            lo = rng.randint(0, mx)
            return gmp.uniform(lo, rng.randint(lo, mx))
        if k < .8:
            return gmp.exponential(rng.randint(0, mx))
        return gmp.lognormal(rng.randint(0, mx), rng.uniform(0, 1.5))

    def leaf(depth):
        kinds = ["cpu"] * 4 + ["sleep", "netwait", "syscall", "gosched", "stack", "lock"]
        kind = rng.choice(kinds + (["repeat", "repeat", "choice"] if depth < 2 else []))
        if kind == "cpu":
            d = rng.randint(5 * MS, 30 * MS) if rng.random() < .03 else dur(50 * US)
            return [gmp.cpu(d, preemptible=rng.random() < .7)]
        if kind == "sleep":
            return [gmp.sleep(dur(300 * US))]
        if kind == "netwait":
            return [gmp.netwait(dur(300 * US))]
        if kind == "syscall":
            d = rng.randint(10 * MS, 20 * MS) if rng.random() < .1 else dur(80 * US)
            return [gmp.syscall(d, blocking=rng.random() < .3)]
        if kind == "gosched":
            return [gmp.gosched()]
        if kind == "stack":
            return [gmp.stack(rng.randint(1, 200_000))]
        if kind == "lock":
            return [gmp.lock_os_thread() if rng.random() < .6 else gmp.unlock_os_thread()]
        if kind == "choice":
            return [gmp.choice(*[(rng.choice([0, .2, 1, 2.5]) if i else 1, leaves(2, depth + 1))
                                 for i in range(rng.randint(1, 3))])]
        if rng.random() < .5:                        # a count drawn when the loop starts
            lo = rng.randint(0, 4)
            return [gmp.repeat(gmp.uniform(lo, rng.randint(lo, 6)), *leaves(3, depth + 1))]
        return [gmp.repeat(rng.randint(0, 6), *leaves(3, depth + 1))]

    def leaves(n, depth=0):
        return [op for _ in range(rng.randint(0, n)) for op in leaf(depth)]

    wl = gmp.Workload()
    ops, tail = leaves(2), []
    for _ in range(rng.randint(2, 8)):
        kind = rng.choice(["workers", "pair", "nested", "fire", "pool", "mutex", "select"])
        if kind == "workers":
            wg, n = wl.waitgroup(), rng.randint(1, 400)
            # now and then runtime.Goexit after done: what follows never runs
            end = [gmp.goexit(), *leaves(2)] if rng.random() < .3 else []
            worker = program(wl, *leaves(4), gmp.done(wg), *end)
            ops += [gmp.add(wg, n), gmp.go(worker, count=n)]
            (ops if rng.random() < .5 else tail).append(gmp.wait(wg))
        elif kind == "pair":
            wg, ch = wl.waitgroup(), wl.chan(cap=rng.choice([0, 0, 1, 4]))
            p, n = rng.randint(1, 6), rng.randint(1, 30)
            prod = program(wl, gmp.repeat(n, *leaves(2), gmp.send(ch)), gmp.done(wg))
            cons = program(wl, gmp.repeat(n, gmp.recv(ch), *leaves(2)), gmp.done(wg))
            ops += [gmp.add(wg, 2 * p), gmp.go(prod, count=p), gmp.go(cons, count=p)]
            tail.append(gmp.wait(wg))
        elif kind == "nested":
            wg, wg2 = wl.waitgroup(), wl.waitgroup()
            n, k = rng.randint(1, 20), rng.randint(1, 20)
            child = program(wl, *leaves(2), gmp.done(wg2))
            worker = program(wl, *leaves(2), gmp.add(wg2, k), gmp.go(child, count=k),
                             gmp.wait(wg2), gmp.done(wg))
            ops += [gmp.add(wg, n), gmp.go(worker, count=n)]
            tail.append(gmp.wait(wg))
        elif kind == "pool":
            # workers range over jobs until the producer closes it after n sends
            wg, jobs = wl.waitgroup(), wl.chan(cap=rng.choice([0, 0, 1, 4]))
            w, n = rng.randint(1, 40), rng.randint(0, 200)
            worker = program(wl, gmp.each(jobs, *leaves(2)), gmp.done(wg))
            prod = program(wl, gmp.repeat(n, *leaves(1), gmp.send(jobs)), gmp.close(jobs))
            ops += [gmp.add(wg, w), gmp.go(worker, count=w), gmp.go(prod)]
            tail.append(gmp.wait(wg))
        elif kind == "select":
            # p producers per channel send then (the last) close; c consumers
            # select k times over both, with a time.After now and then, then drain
            wg, ca, cb = wl.waitgroup(), wl.chan(cap=rng.choice([0, 0, 4])), wl.chan(cap=rng.choice([0, 2]))
            n, c = rng.randint(0, 40), rng.randint(1, 20)
            prods = [program(wl, gmp.repeat(n, *leaves(1), gmp.send(ch)), gmp.close(ch),
                             gmp.done(wg)) for ch in (ca, cb)]
            cases = [gmp.case_recv(ca, *leaves(2)), gmp.case_recv(cb, *leaves(2))]
            if rng.random() < .5:
                cases.append(gmp.case_after(dur(200 * US), *leaves(1)))
            start, stop = [], []
            if rng.random() < .5:                     # for { select { case <-ticker.C: ... } }
                tk = wl.ticker() if rng.random() < .7 else wl.timer()
                cases.append(gmp.case_recv(tk, *leaves(2)))
                start, stop = [gmp.reset(tk, rng.randint(1 * US, 200 * US))], [gmp.stop(tk)]
            rng.shuffle(cases)
            cons = program(wl, *start, gmp.repeat(rng.randint(1, 30), gmp.select(*cases),
                                                  *leaves(1)),
                           *stop, gmp.each(ca), gmp.each(cb), gmp.done(wg))
            ops += [gmp.add(wg, c + 2), gmp.go(cons, count=c), gmp.go(prods[0]), gmp.go(prods[1])]
            tail.append(gmp.wait(wg))
        elif kind == "mutex":
            # contended sync.Mutex: critical sections around random bodies
            wg, mu, n = wl.waitgroup(), wl.mutex(), rng.randint(1, 100)
            worker = program(wl, gmp.repeat(rng.randint(1, 20), gmp.lock(mu), *leaves(2),
                                            gmp.unlock(mu), *leaves(1)), gmp.done(wg))
            ops += [gmp.add(wg, n), gmp.go(worker, count=n)]
            (ops if rng.random() < .5 else tail).append(gmp.wait(wg))
        else:
            ops.append(gmp.go(program(wl, *leaves(3)), count=rng.randint(1, 50)))
        ops += leaves(1)
    wl.main(*ops, *tail)
    return wl


def random_options(rng):
    """simulate() options for random_workload()."""
    opts = dict(gomaxprocs=rng.choice([1, 2, 3, 4, 8, 16, 64]), seed=rng.randint(0, 2**32),
                async_preempt=rng.random() < .7, runnext=rng.random() < .8,
                until=rng.choice(["main", "all"]))
    if rng.random() < .2:
        opts["schedtrace"] = "1ms"
        opts["scheddetail"] = rng.random() < .3
    if rng.random() < .3:
        opts["monitor"] = rng.choice(["10us", "1ms"])
        opts["max_samples"] = 5000
    if rng.random() < .3:
        opts["snapshot_at"] = rng.randint(0, 5 * MS)
    return opts
