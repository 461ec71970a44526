"""Seeded random workloads without Hypothesis: larger programs for
benchmarks and long fuzzing runs (:mod:`gmpcore.strategies` has the
Hypothesis strategies, which shrink; these cover thousands of goroutines on
fixed seeds).

>>> import random
>>> import gmpcore as gmp
>>> from gmpcore.fuzz import random_options, random_workload
>>> rng = random.Random(7)
>>> wl = random_workload(rng)
>>> res = gmp.simulate(wl, **{**random_options(rng), "until": "all"})
>>> res.counters["goroutines"] > 1
True
"""

import gmpcore as gmp

__all__ = ["US", "MS", "program", "random_workload", "random_options"]

US = 1_000
MS = 1_000_000


def program(wl, *ops):
    """``wl.program(*ops)``, defined even when `ops` is empty.

    >>> wl = gmp.Workload()
    >>> program(wl)
    <Program 1>
    """
    prog = wl.program()
    prog.define(*ops)
    return prog


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
