"""``gmpcore demo``: a short demonstration of Go's run queues.

One goroutine on P0 spawns many others the way ``go f()`` does (``runqput``
with ``next=True``, so each new G takes ``runnext`` and kicks the previous one
to the ring); the ring overflows and spills halves to the global queue.  Then
the idle Ps look for work as ``findRunnable`` does: the global queue first,
then stealing from the others in Go's random coprime order.  Each line shows
the queues like ``GODEBUG=schedtrace``: the global queue and each ring.

>>> for line in demo(nprocs=4, goroutines=600, seed=1)[:3]:
...     print(line)
spawned 600 Gs on P0: runqueue=387 [ 212 0 0 0 ] runnext=[ 599 - - - ] spills=3
round 1: P1 ran 0, then took G0 from the global queue; P2 ran 0, then took G97 from the global queue; P3 ran 0, then took G169 from the global queue
         runqueue=162 [ 212 96 72 54 ] runnext=[ 599 - - - ]

P1 takes 387/4 + 1 = 97 Gs from the global queue (runs one, queues 96),
P2 then 290/4 + 1 = 73, P3 217/4 + 1 = 55: Go's batch rule (§2.9).
"""

from gmpcore._sched import Sched

# Limits on demo()'s inputs (and ``gmpcore demo``'s options).  The idle Ps'
# search costs about nprocs² steal attempts a round, in Python, and each
# round prints every P's queue on one line: beyond 64 Ps it is slow and
# unreadable.
MAX_PROCS = 64
MAX_GOROUTINES = 10**6
MAX_ROUNDS = 100
MAX_SEED = 2**63 - 1


def _check(name, value, lo, hi):
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"demo() argument {name} must be an int, got {type(value).__name__}")
    if not lo <= value <= hi:
        raise ValueError(f"demo() argument {name} must be in [{lo}, {hi}], got {value}")


def _queues(s):
    rings = " ".join(str(s.runqsize(p)) for p in range(s.nprocs))
    nexts = " ".join("-" if s.runnext(p) is None else str(s.runnext(p)) for p in range(s.nprocs))
    return f"runqueue={s.globrunqsize()} [ {rings} ] runnext=[ {nexts} ]"


def demo(nprocs=4, goroutines=600, seed=1, rounds=8):
    """Run the demonstration and return its lines.

    `nprocs` is 2 to :data:`MAX_PROCS`, `goroutines` 1 to
    :data:`MAX_GOROUTINES`, `rounds` 0 to :data:`MAX_ROUNDS`, `seed` 0 to
    2**63 - 1; a few seconds at most.
    """
    _check("nprocs", nprocs, 2, MAX_PROCS)
    _check("goroutines", goroutines, 1, MAX_GOROUTINES)
    _check("seed", seed, 0, MAX_SEED)
    _check("rounds", rounds, 0, MAX_ROUNDS)
    s = Sched(nprocs, seed=seed)
    spills = 0
    for g in range(goroutines):
        before = s.globrunqsize()
        s.runqput(0, g, next=True)
        spills += s.globrunqsize() > before
    lines = [f"spawned {goroutines} Gs on P0: {_queues(s)} spills={spills}"]
    order = s.steal_order
    for rnd in range(1, rounds + 1):
        events = []
        for p in range(1, nprocs):
            ran = 0
            while s.runqget(p) is not None:      # run everything local first
                ran += 1
            g = s.globrunqget(p)
            if g is not None:
                events.append(f"P{p} ran {ran}, then took G{g} from the global queue")
                continue
            # stealWork, one pass: visit every other P in a random order (§3.3).
            for victim in order.order((seed * 2654435761 + rnd * 40503 + p) % 2**32):
                if victim != p and (g := s.runqsteal(p, int(victim))) is not None:
                    events.append(f"P{p} ran {ran}, then stole G{g} from P{victim}")
                    break
            else:
                events.append(f"P{p} ran {ran} and found nothing")
        lines.append(f"round {rnd}: " + "; ".join(events))
        lines.append(" " * 9 + _queues(s))
    return lines

