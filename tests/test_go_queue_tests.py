"""Go's own run-queue unit tests, reproduced on gmpcore (go-scheduler.md §7.1).

Go runs these against a fresh P through ``export_test.go``; here the same
checks run against ``gmpcore.Sched`` and ``gmpcore.RandomOrder``.  Every
expected value follows from Go's algorithms (§2, §3.3), not from running
gmpcore.
"""

import math

import gmpcore as gmp

RUNQ = 256  # len(p.runq), §1.1


def test_TestSchedLocalQueue():
    """§7.1 item 1 (RunSchedLocalQueueTest): one fresh P; for i in 0..255 put
    G i, i times, with next=false (duplicates allowed) and get it back i times
    from the ring (inherit_time false, §2.4); the queue is empty before and
    after.  Never reaches 256 entries, so nothing spills (§2.2)."""
    s = gmp.Sched(1)
    for i in range(RUNQ):
        assert s.runqget(0) is None, "runq is not empty initially"
        for _ in range(i):
            s.runqput(0, i, next=False)
        for j in range(i):
            assert s.runqget(0) == (i, False), f"bad element at iter {i}/{j}"
        assert s.runqget(0) is None, "runq is not empty afterwards"
        assert s.runqempty(0)
    assert s.globrunqsize() == 0


def test_TestSchedLocalQueueSteal():
    """§7.1 item 2 (RunSchedLocalQueueStealTest): p2 steals from p1 holding i
    Gs; every G is then found exactly once (in the steal's return value, p2's
    ring or p1's ring) and the thief got s == i/2 or i/2 + 1 of them.  With
    the exact rule of §2.7 (n - n/2, the larger half) s == i - i//2."""
    for i in range(RUNQ):
        s = gmp.Sched(2)
        p1, p2 = 0, 1
        seen = [0] * i
        for j in range(i):
            s.runqput(p1, j, next=False)
        gp = s.runqsteal(p2, p1, True)
        stolen = 0
        if gp is not None:
            stolen += 1
            seen[gp] += 1
        while (got := s.runqget(p2)) is not None:
            stolen += 1
            seen[got[0]] += 1
        while (got := s.runqget(p1)) is not None:
            seen[got[0]] += 1
        for j in range(i):
            assert seen[j] == 1, f"bad element {j}({seen[j]}) at iter {i}"
        assert stolen in (i // 2, i // 2 + 1), f"bad steal {stolen}, want {i // 2} or {i // 2 + 1}, iter {i}"
        assert stolen == i - i // 2, f"ceil rule: stole {stolen} of {i}"


# ---------------------------------------------------------------- TestSchedLocalQueueEmpty


class _Interleaving:
    """One replay of TestSchedLocalQueueEmpty's race (§7.1 item 3).

    A checker thread runs ``runqempty(p)`` while the owner runs
    ``runqput(p, gs[1], next1)`` and then ``runqget(p)``.  Both sides are Ops
    advanced one shared-memory access at a time; ``choose('C')`` steps the
    checker, ``choose('O')`` the owner.
    """

    def __init__(self, next0, next1):
        self.s = gmp.Sched(1)
        self.s.runqput(0, 0, next0)
        self.next1 = next1
        self.checker = self.s.start_runqempty(0)
        self.owner_ops = []          # the put, then the get
        self.owner_done = False
        self.naive = {}              # what the checker's first loads saw

    def choices(self):
        out = []
        if not self.checker.done:
            out.append("C")
        if not self.owner_done:
            out.append("O")
        return out

    def choose(self, c):
        if c == "C":
            # A load does not change memory, so the tables at this instant
            # hold the value the checker reads; keep the first of each.
            what = self.checker.next_step
            t = self.s.tables
            val = {"load_head": lambda: int(t["runqhead"][0]),
                   "load_tail": lambda: int(t["runqtail"][0]),
                   "load_runnext": lambda: int(t["runnext"][0])}.get(what)
            if val is not None:
                self.naive.setdefault(what, val())
            self.checker.step()
            return
        # The owner is one thread: its get starts only after its put finished.
        if not self.owner_ops:
            self.owner_ops.append(self.s.start_runqput(0, 1, self.next1))
        elif self.owner_ops[-1].done:
            self.owner_ops.append(self.s.start_runqget(0))
        if self.owner_ops[-1].step() and len(self.owner_ops) == 2:
            self.owner_done = True


def _explore(next0, next1):
    """DFS over every C/O interleaving, replaying each prefix on a fresh Sched."""
    leaves = []

    def dfs(prefix):
        run = _Interleaving(next0, next1)
        for c in prefix:
            run.choose(c)
        options = run.choices()
        if not options:
            leaves.append((tuple(prefix), run))
            return
        for c in options:
            dfs(prefix + [c])

    dfs([])
    return leaves


def test_TestSchedLocalQueueEmpty():
    """§7.1 item 3 (RunSchedLocalQueueEmptyTest) with an exhaustive
    interleaving model instead of Go's 100000 racing iterations.

    For each (next0, next1): P holds G0 (in runnext or the ring); the owner
    puts G1 and gets one G while a checker runs runqempty step by step.  At
    every instant the P holds at least one G, so runqempty must be false in
    every interleaving (§2.5: its tail double-read defends against exactly the
    runnext-kicked-into-ring race)."""
    total = 0
    retried = 0
    for next0 in (True, False):
        for next1 in (True, False):
            leaves = _explore(next0, next1)
            assert len(leaves) > 20, f"only {len(leaves)} interleavings for {(next0, next1)}"
            seqs = [seq for seq, _ in leaves]
            assert len(set(seqs)) == len(seqs)
            for seq, run in leaves:
                assert run.checker.done and run.owner_done
                assert run.checker.result is False, (
                    f"queue is empty: next={(next0, next1)} schedule={''.join(seq)}")
                # Conservation: the get took one of G0/G1, the other is still queued.
                got = run.owner_ops[1].result
                assert got is not None and got[0] in (0, 1)
                rest = run.s.runqdrain(0).tolist()
                assert sorted(rest + [got[0]]) == [0, 1]
                if run.checker.retries > 0:
                    retried += 1
            total += len(leaves)
    assert total > 4 * 20
    # Non-trivial: some schedules hit the tail change and forced a re-read.
    assert retried >= 1, "no interleaving made runqempty retry"


def test_TestSchedLocalQueueEmpty_naive_check_would_fail():
    """§2.5 names the race a naive head==tail && runnext==nil check loses:
    runnext non-nil and ring empty, the owner pushes (kicking runnext into the
    ring) and pops runnext.  Show that such a schedule exists in the model:
    the checker's first three loads see an empty ring and a nil runnext, yet
    the re-read of the tail catches the change and it answers false."""
    fooled = 0
    for seq, run in _explore(True, True):
        n = run.naive
        naive_empty = n["load_head"] == n["load_tail"] and n["load_runnext"] == -1
        if naive_empty:
            fooled += 1
            assert run.checker.retries > 0, "".join(seq)
            assert run.checker.result is False
    assert fooled >= 1, "no schedule would fool a naive emptiness check"


# ---------------------------------------------------------------- TestStealOrder


def test_TestStealOrder():
    """§7.1 item 4 (RunStealOrderTest) on the random steal order of §3.3."""
    for procs in range(1, 65):
        ord_ = gmp.RandomOrder(procs)
        cop = [int(c) for c in ord_.coprimes]
        # §3.3: every i in 1..count with gcd(i, count) == 1, ascending.
        assert cop == [i for i in range(1, procs + 1) if math.gcd(i, procs) == 1]
        if procs >= 3:
            assert len(cop) >= 2, f"too few coprimes: {procs} -> {len(cop)}"
        for co in range(len(cop)):
            order = [int(x) for x in ord_.order(co)]
            assert len(order) == procs, "not done"
            assert sorted(order) == list(range(procs)), f"duplicate during enumeration: {order}"
        # Stronger than Go's loop (start(co) with co < procs always uses
        # coprimes[0]): start(c*procs) selects inc = coprimes[c], each a permutation.
        for c, inc in enumerate(cop):
            r = c * procs
            assert ord_.start(r) == (0, inc)
            order = [int(x) for x in ord_.order(r)]
            assert order == [(k * inc) % procs for k in range(procs)]
    for procs in range(2, 65):
        ord_ = gmp.RandomOrder(procs)
        n = len(ord_.coprimes)
        seen = set()
        for i in range(procs * n):
            pos, inc = ord_.start(i)
            key = pos * procs + inc
            assert key not in seen, f"duplicate pos+inc during enumeration: {(procs, i)}"
            seen.add(key)
            # §3.3: pos = r mod count, inc = coprimes[(r / count) mod len(coprimes)]
            assert pos == i % procs
            assert inc == int(ord_.coprimes[(i // procs) % n])
