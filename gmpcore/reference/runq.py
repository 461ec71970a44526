"""Reference model of Go's run queues (go-scheduler.md §2), in plain Python.

Every operation is a generator: each ``yield`` names the shared-memory
access that comes next (a load, a CAS or a store-release), and the code after
it performs that access.  Driving a generator to its end is the operation run
alone; resuming several generators in turn is any interleaving the runtime's
atomics allow.  ``gmpcore.Sched`` and its ``Op`` must match this model step
for step; the tests hold them to it.

Ring counters are free-running uint32 values, so every counter sum is reduced
mod 2**32 and every slot index mod 256, as in Go.
"""

from collections import deque

import numpy as np

from gmpcore.errors import GoThrow

RUNQ_SIZE = 256
HALF = RUNQ_SIZE // 2
U32 = 1 << 32
P_RUNNING = 1
_M64 = (1 << 64) - 1




def _seed_state(seed):
    return int(np.random.SeedSequence(seed).generate_state(1, np.uint64)[0])


def _cheaprand(state):
    """Go's cheaprand (wyrand, 64-bit platforms): returns (new state, draw)."""
    state = (state + 0xA0761D6478BD642F) & _M64
    product = state * (state ^ 0xE7037ED1A0B428DB)
    return state, ((product >> 64) ^ product) & 0xFFFFFFFF


def cheaprand_stream(seed, n):
    """The first `n` draws, as ``gmpcore._sched.cheaprand_stream`` gives them."""
    state, out = _seed_state(seed), []
    for _ in range(n):
        state, r = _cheaprand(state)
        out.append(r)
    return np.array(out, dtype=np.uint32)


class RefOp:
    """One operation in flight; ``step()`` performs the access ``next_step`` names."""

    def __init__(self, sched, kind, p, victim, body):
        self.sched, self.kind, self.p, self.victim = sched, kind, p, victim
        self.held = []          # Gs taken out of every queue, not yet placed
        self.retries = 0        # failed CASes and torn reads
        self.backoffs = 0
        self.steps = 0
        self.result = None
        self.done = False
        self._body = body(self)
        self._advance()

    def _advance(self):
        try:
            self.next_step = next(self._body)
        except StopIteration as stop:
            self._finish(stop.value)
        except GoThrow:
            self._finish(None)
            raise

    def _finish(self, result):
        self.done, self.next_step, self.result, self.held = True, "done", result, []
        if self.kind != "runqempty":
            self.sched._busy.discard(self.p)

    def step(self):
        if self.done:
            raise RuntimeError(f"this {self.kind} has already finished")
        self.steps += 1
        self._advance()
        return self.done

    def run(self):
        while not self.done:
            self.step()
        return self.result


class RefSched:
    """The reference twin of :class:`gmpcore.Sched` (same method names)."""

    def __init__(self, nprocs, seed=0, randomize=False, sysmon=True, runq_origin=0,
                 capacity=RUNQ_SIZE, steal="half", batch=HALF):
        self.nprocs = nprocs
        # Policy.runq_size, .steal and .batch_max (gmpcore.policy); the ring
        # stays RUNQ_SIZE slots, a smaller capacity fills fewer of them.
        self.cap, self.steal_rule, self.batch = capacity, steal, batch
        self.randomize, self.sysmon = randomize, sysmon
        self.rand = _seed_state(seed)
        self.ring = [[None] * RUNQ_SIZE for _ in range(nprocs)]
        self.head = [runq_origin] * nprocs
        self.tail = [runq_origin] * nprocs
        self.next = [None] * nprocs       # runnext
        self.status = [0] * nprocs
        self.glob = deque()               # sched.runq
        self._busy = set()                # Ps whose owner is inside an Op

    # -- helpers

    def _randn(self, n):
        self.rand, r = _cheaprand(self.rand)
        return (r * n) >> 32

    def _shuffle(self, items):
        # Fisher-Yates from index 1, as runqputslow and runqputbatch do (§2.2, §2.3).
        for i in range(1, len(items)):
            j = self._randn(i + 1)
            items[i], items[j] = items[j], items[i]

    def _size(self, p):
        return (self.tail[p] - self.head[p]) % U32

    # The two decisions a thief makes (§2.7), as methods so tests can plant
    # a broken variant and watch the property tests catch it.

    def _steal_amount(self, n):
        if self.steal_rule == "half":
            return n - n // 2                                # Go's: the larger half, ceil(n/2)
        if self.steal_rule == "half_down":
            return n // 2
        if self.steal_rule == "one":
            return min(n, 1)
        return n                                             # "all"

    def steal_amount(self, n):
        """How many of a ring of `n` a thief takes (Policy.steal)."""
        return self._steal_amount(n)

    def _commit_grab(self, victim, h, n):
        if self.head[victim] != h:                           # CasRel(&runqhead, h, h+n)
            return False
        self.head[victim] = (h + n) % U32
        return True

    def _owner(self, p):
        # One thread runs a P: its owner cannot start anything mid-Op.
        if p in self._busy:
            raise RuntimeError(f"P {p} is in the middle of an operation")

    def _start(self, kind, p, body, victim=None, owner=True):
        if owner:
            self._owner(p)
            self._busy.add(p)
        return RefOp(self, kind, p, victim, body)

    # -- step-wise operations (§2.1-§2.8)

    def start_runqput(self, p, g, next=False):
        def body(op):
            nxt = next and self.sysmon                       # §2.1 step 1
            if self.randomize and nxt and self._randn(2) == 0:
                nxt = False                                  # §2.1 step 2
            gp = g
            op.held = [gp]
            if nxt:
                while True:
                    yield "load_runnext"
                    old = self.next[p]
                    yield "cas_runnext"
                    if self.next[p] == old:
                        break
                    op.retries += 1
                self.next[p] = gp
                if old is None:
                    return None
                gp = old                                     # kicked out to the tail
                op.held = [gp]
            while True:
                yield "load_head"
                h, t = self.head[p], self.tail[p]
                if (t - h) % U32 < self.cap:
                    yield "store_tail"
                    self.ring[p][t % RUNQ_SIZE] = gp
                    self.tail[p] = (t + 1) % U32
                    return None
                yield "copy_batch"                           # runqputslow, §2.2
                n = ((t - h) % U32) // 2
                batch = [self.ring[p][(h + i) % RUNQ_SIZE] for i in range(n)]
                yield "cas_head"
                if self.head[p] != h:
                    op.retries += 1
                    continue
                self.head[p] = (h + n) % U32
                batch.append(gp)
                if self.randomize:
                    self._shuffle(batch)
                op.held = batch
                yield "globrunqputbatch"
                self.glob.extend(batch)
                return None
        return self._start("runqput", p, body)

    def start_runqget(self, p):
        def body(op):
            yield "load_runnext"
            nxt = self.next[p]
            if nxt is not None:
                yield "cas_runnext"
                if self.next[p] == nxt:
                    self.next[p] = None
                    return (nxt, True)                       # inherits the time slice
                op.retries += 1                              # a thief took it; no retry
            while True:
                yield "load_head"
                h, t = self.head[p], self.tail[p]
                if t == h:
                    return None
                yield "cas_head"
                if self.head[p] != h:
                    op.retries += 1
                    continue
                self.head[p] = (h + 1) % U32
                return (self.ring[p][h % RUNQ_SIZE], False)
        return self._start("runqget", p, body)

    def start_runqempty(self, p):
        def body(op):
            while True:
                yield "load_head"
                h = self.head[p]
                yield "load_tail"
                t = self.tail[p]
                yield "load_runnext"
                nxt = self.next[p]
                yield "reload_tail"
                if self.tail[p] == t:                        # a consistent snapshot (§2.5)
                    return h == t and nxt is None
                op.retries += 1
        return self._start("runqempty", p, body, owner=False)

    def start_runqdrain(self, p):
        def body(op):
            drained = []
            yield "load_runnext"
            old = self.next[p]
            if old is not None:
                yield "cas_runnext"
                if self.next[p] == old:
                    self.next[p] = None
                    drained.append(old)
                    op.held = list(drained)
                else:
                    op.retries += 1
            while True:
                yield "load_head"
                h, t = self.head[p], self.tail[p]
                n = (t - h) % U32
                if n == 0:
                    return drained
                if n > RUNQ_SIZE:                            # torn read
                    op.retries += 1
                    continue
                yield "cas_head"
                if self.head[p] != h:
                    op.retries += 1
                    continue
                self.head[p] = (h + n) % U32
                return drained + [self.ring[p][(h + i) % RUNQ_SIZE] for i in range(n)]
        return self._start("runqdrain", p, body)

    def start_runqsteal(self, thief, victim, steal_runnext=True):
        def body(op):
            mine, theirs = self.ring[thief], self.ring[victim]
            tt = self.tail[thief]
            while True:
                yield "load_head"
                h = self.head[victim]
                yield "load_tail"
                t = self.tail[victim]
                n = self._steal_amount((t - h) % U32)
                if n == 0:
                    if not steal_runnext:
                        return None
                    yield "load_runnext"
                    nxt = self.next[victim]
                    if nxt is None:
                        return None
                    if self.status[victim] == P_RUNNING:
                        yield "backoff"                      # usleep(3)
                        op.backoffs += 1
                    yield "cas_runnext"
                    if self.next[victim] != nxt:
                        op.retries += 1
                        continue
                    if self.cap - (tt - self.head[thief]) % U32 < 1:
                        raise GoThrow("runqsteal: runq overflow")
                    self.next[victim] = None
                    mine[tt % RUNQ_SIZE] = nxt
                    return nxt
                if n > self._steal_amount(self.cap):         # torn read
                    op.retries += 1
                    continue
                yield "copy_batch"
                if n > self.cap - (tt - self.head[thief]) % U32:
                    raise GoThrow("runqsteal: runq overflow")
                for i in range(n):
                    mine[(tt + i) % RUNQ_SIZE] = theirs[(h + i) % RUNQ_SIZE]
                yield "cas_head"
                if not self._commit_grab(victim, h, n):
                    op.retries += 1
                    continue
                if n == 1:
                    return mine[tt % RUNQ_SIZE]
                op.held = [mine[(tt + i) % RUNQ_SIZE] for i in range(n)]
                yield "store_tail"
                self.tail[thief] = (tt + n - 1) % U32
                return mine[(tt + n - 1) % RUNQ_SIZE]        # the last one grabbed
        if thief == victim:
            raise ValueError("thief and victim must differ")
        return self._start("runqsteal", thief, body, victim=victim)

    # -- the same operations run alone

    def runqput(self, p, g, next=False):
        self.start_runqput(p, g, next).run()

    def runqget(self, p):
        return self.start_runqget(p).run()

    def runqempty(self, p):
        return self.start_runqempty(p).run()

    def runqdrain(self, p):
        return self.start_runqdrain(p).run()

    def runqsteal(self, thief, victim, steal_runnext=True):
        return self.start_runqsteal(thief, victim, steal_runnext).run()

    def runqgrab(self, victim, steal_runnext=False):
        n = self._steal_amount(self._size(victim))
        h = self.head[victim]
        if n == 0:
            if steal_runnext and self.next[victim] is not None:
                g, self.next[victim] = self.next[victim], None
                return [g]
            return []
        self.head[victim] = (h + n) % U32
        return [self.ring[victim][(h + i) % RUNQ_SIZE] for i in range(n)]

    def runqputbatch(self, p, gs):
        """§2.3: append while there is room; return what did not fit."""
        self._owner(p)
        gs = list(gs)
        t0 = self.tail[p]
        k = min(len(gs), self.cap - self._size(p))
        region = gs[:k]
        if self.randomize:
            self._shuffle(region)
        for i, g in enumerate(region):
            self.ring[p][(t0 + i) % RUNQ_SIZE] = g
        self.tail[p] = (t0 + k) % U32
        return gs[k:]

    # -- the global run queue (§2.9)

    def globrunqput(self, g):
        self.glob.append(g)

    def globrunqputhead(self, g):
        self.glob.appendleft(g)

    def globrunqputbatch(self, gs):
        self.glob.extend(gs)

    def _batch_size(self, n):
        return min(n, len(self.glob), len(self.glob) // self.nprocs + 1)

    def globrunqgetbatch(self, n=None):
        n = self.batch if n is None else n
        k = self._batch_size(n)
        if k == 0:
            return None
        batch = [self.glob.popleft() for _ in range(k)]
        return batch[0], batch[1:]

    def globrunqget(self, p, max=0):
        self._owner(p)
        k = self._batch_size(max or self.batch)
        if k == 0:
            return None
        if k - 1 > self.cap - self._size(p):
            raise GoThrow("Couldn't put Gs into empty local runq")
        g, rest = self.globrunqgetbatch(max or self.batch)
        self.runqputbatch(p, rest)
        return g

    # -- views

    def runqsize(self, p):
        return self._size(p)

    def runnext(self, p):
        return self.next[p]

    def runq(self, p):
        return [self.ring[p][(self.head[p] + i) % RUNQ_SIZE] for i in range(self._size(p))]

    def global_runq(self):
        return list(self.glob)

    def globrunqsize(self):
        return len(self.glob)

    def set_status(self, p, status):
        self.status[p] = status

    def busy(self, p):
        return p in self._busy

    @property
    def tables(self):
        return {"runqhead": np.array(self.head, dtype=np.uint32),
                "runqtail": np.array(self.tail, dtype=np.uint32)}
