"""Speed of the queue core's Python-facing operations (issue 2's Sched)."""

import numpy as np

import gmpcore as gmp


class RunQueue:
    params = ([1, 8, 256],)
    param_names = ["nprocs"]

    def setup(self, nprocs):
        self.s = gmp.Sched(nprocs, seed=1)
        self.batch = np.arange(200, dtype=np.int32)

    def time_runqput_runqget(self, nprocs):
        s = self.s
        for g in range(1000):
            s.runqput(0, g)
        for _ in range(1000):
            s.runqget(0)

    def time_spill_and_steal(self, nprocs):
        s = self.s
        victim, thief = 0, nprocs - 1 if nprocs > 1 else 0
        for g in range(600):
            s.runqput(victim, g, next=True)
        if thief != victim:
            while s.runqsteal(thief, victim) is not None:
                s.runqdrain(thief)
        s.runqdrain(victim)
        while s.globrunqget(victim) is not None:
            s.runqdrain(victim)

    def time_stepwise_steal(self, nprocs):
        if nprocs < 2:
            return
        s = self.s
        s.runqputbatch(0, self.batch)
        s.start_runqsteal(1, 0).run()
        s.runqdrain(0)
        s.runqdrain(1)
