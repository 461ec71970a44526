"""A SimPy model of Go's scheduler running the fan-out workload.

The yardstick of ``side_by_side.py``: how fast does a plain discrete-event
model of the same scheduler run in SimPy?  It models just what the fan-out
exercises (go-scheduler.md §2, ``proc.go``):

* each P has a 256-slot local run queue (a ring; here a deque) and a
  ``runnext`` slot;
* main runs on P0 and spawns the N goroutines; ``go f()`` puts the new G in
  ``runnext`` and kicks the previous one to the ring's tail (``runqput`` with
  ``next=true``); a full ring moves half of itself plus the kicked G to the
  global queue (``runqputslow``);
* a P looking for work (``findRunnable``) takes ``runnext``, then its ring's
  head, then a batch from the global queue (``globrunqget``: ``len/nprocs +
  1``, at most 128), then steals half (rounded up) of a random other P's
  ring, oldest first (``runqsteal``), and runs the last G it stole;
* a P that finds nothing parks; each ``go`` wakes one parked P (``wakep``),
  and so does a P that found work while others are parked (what a spinning
  M's ``resetspinning`` does).

Each P is one SimPy process; each goroutine costs two SimPy timeouts (its
spawn on P0 and its run).  Left out: time slices and preemption (main spawns
without being preempted), spinning Ms, the 1-in-61 global-queue check,
stealing ``runnext``, and per-operation costs other than ``newproc`` and the
switch after each G (``goexit`` + ``schedule``), whose defaults come from
gmpcore's cost model.

>>> r = run(n=1000, nprocs=4)
>>> r["finished"], r["spills"] > 0, r["steals"] > 0
(1000, True, True)
"""

import random
from collections import deque

RUNQ_SIZE = 256                   # len(p.runq) in Go


def _default_costs():
    try:
        from gmpcore.costs import CostModel
    except ImportError:           # the model does not need gmpcore itself
        return 75, 60
    c = CostModel()
    return c.newproc, c.goexit + c.schedule


class FanoutModel:
    """The scheduler state and the P processes; see the module docstring."""

    def __init__(self, env, n, nprocs, work_ns=1000, spawn_ns=None, switch_ns=None, seed=1):
        spawn_default, switch_default = _default_costs()
        self.env, self.n, self.nprocs, self.work_ns = env, n, nprocs, work_ns
        self.spawn_ns = spawn_default if spawn_ns is None else spawn_ns
        self.switch_ns = switch_default if switch_ns is None else switch_ns
        self.rng = random.Random(seed)
        self.runq = [deque() for _ in range(nprocs)]
        self.runnext = [None] * nprocs
        self.globq = deque()
        self.parked = []              # Ps waiting for work, and their wake-up events
        self.wake = [None] * nprocs
        self.finished = 0
        self.all_done = env.event()   # main's wg.Wait() returns
        self.spills = self.steals = self.global_batches = 0
        for p in range(nprocs):
            env.process(self.schedule(p))

    # ---- the run queues (proc.go: runqput, runqputslow, globrunqget, runqsteal)

    def runqput_next(self, p, g):
        old, self.runnext[p] = self.runnext[p], g
        if old is None:
            return
        q = self.runq[p]
        if len(q) < RUNQ_SIZE:
            q.append(old)
            return
        # runqputslow: the older half of the ring and the kicked G go global
        self.globq.extend(q.popleft() for _ in range(RUNQ_SIZE // 2))
        self.globq.append(old)
        self.spills += 1

    def globrunqget(self, p):
        n = min(len(self.globq) // self.nprocs + 1, len(self.globq), RUNQ_SIZE // 2)
        g = self.globq.popleft()
        self.runq[p].extend(self.globq.popleft() for _ in range(n - 1))
        self.global_batches += 1
        return g

    def runqsteal(self, p):
        victims = [v for v in range(self.nprocs) if v != p]
        self.rng.shuffle(victims)
        for v in victims:
            vq = self.runq[v]
            if vq:
                stolen = [vq.popleft() for _ in range(len(vq) - len(vq) // 2)]
                g = stolen.pop()
                self.runq[p].extend(stolen)
                self.steals += 1
                return g
        return None

    def find_runnable(self, p):
        g = self.runnext[p]
        if g is not None:
            self.runnext[p] = None
            return g
        if self.runq[p]:
            return self.runq[p].popleft()
        if self.globq:
            return self.globrunqget(p)
        return self.runqsteal(p) if self.nprocs > 1 else None

    def wakep(self):
        if self.parked:
            self.wake[self.parked.pop()].succeed()

    # ---- the processes

    def main(self, p):
        """main(): go worker() n times; then wg.Wait() parks it."""
        timeout = self.env.timeout
        for g in range(1, self.n + 1):
            yield timeout(self.spawn_ns)
            self.runqput_next(p, g)
            self.wakep()

    def schedule(self, p):
        """One P's scheduling loop (schedule / findRunnable / execute)."""
        env = self.env
        if p == 0:
            yield from self.main(p)
        run_ns = self.work_ns + self.switch_ns
        while True:
            g = self.find_runnable(p)
            if g is None:
                self.wake[p] = env.event()
                self.parked.append(p)
                yield self.wake[p]
                continue
            if self.parked:
                self.wakep()
            yield env.timeout(run_ns)
            self.finished += 1
            if self.finished == self.n:
                self.all_done.succeed()
                return


def run(n=10_000, nprocs=8, work_ns=1000, seed=1, **costs):
    """Simulate the fan-out of `n` goroutines on `nprocs` Ps; return a dict of
    counts and the virtual makespan in ns."""
    import simpy                  # imported here: asv imports this module without simpy

    env = simpy.Environment()
    model = FanoutModel(env, n, nprocs, work_ns=work_ns, seed=seed, **costs)
    if n:
        env.run(until=model.all_done)
    return {"finished": model.finished, "makespan_ns": env.now, "spills": model.spills,
            "steals": model.steals, "global_batches": model.global_batches}
