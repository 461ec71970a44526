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


def _queues(s):
    rings = " ".join(str(s.runqsize(p)) for p in range(s.nprocs))
    nexts = " ".join("-" if s.runnext(p) is None else str(s.runnext(p)) for p in range(s.nprocs))
    return f"runqueue={s.globrunqsize()} [ {rings} ] runnext=[ {nexts} ]"


def demo(nprocs=4, goroutines=600, seed=1, rounds=8):
    """Run the demonstration and return its lines."""
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

