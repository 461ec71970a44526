"""Reference engine: Go's scheduler in virtual time, in plain Python.

The oracle for the compiled engine (docs/simulator-design.md): the same
workload and seed must give the same event log, row for row.  It favours
clarity over speed; each method is one runtime function, named as in Go's
proc.go and citing go-scheduler.md (§).

A run is a discrete-event simulation.  Ms are the actors: each is running a
G, searching for work, blocked in a system call or in netpoll, parked, or
starting up.  An M's next step is an event in one heap ordered by
(time, seq); sysmon and network completions are events too.
"""

import heapq
import math

import numpy as np

from gmpcore.costs import FIELDS, CostModel
from gmpcore.noise import noise_seed, noise_tables
from gmpcore.errors import GoFatalError
from gmpcore.events import CAUSE_USER, CAUSES, EV_THREAD_CREATE, G_RUNNABLE, G_RUNNING, P_DEAD, P_IDLE
from gmpcore.latency import N_COUNTS as LAT_N_COUNTS
from gmpcore.policy import as_policy
from gmpcore.reference.check import Checks
from gmpcore.reference.cpu import T_OFF, T_ON, Cpus
from gmpcore.startup import runtime_programs
from gmpcore.reference.common import (
    OP_SEND,
    E_CPU,
    E_IO,
    E_M,
    E_PERIOD,
    E_PREEMPT,
    E_QUOTA,
    E_SYSMON,
    E_THROTTLE,
    MAX_SAMPLE,
    PH_BACKOFF,
    PH_EXECUTE,
    PH_NETPOLL,
    PH_RUN,
    PH_SCHEDULE,
    PH_START,
    PH_STEAL,
    PH_STW_WAIT,
    PH_SYSCALL,
    STW_NONE,
)
from gmpcore.reference.gtable import GTable
from gmpcore.reference.heap import EventHeap
from gmpcore.reference.lockedm import LockedThreads
from gmpcore.reference.mutex import Mutex, Mutexes
from gmpcore.reference.netpoll import NetPoller
from gmpcore.reference.observe import Observer
from gmpcore.reference.program import Goroutines
from gmpcore.reference.rwmutex import Cond, RWMutex, RWMutexes
from gmpcore.reference.runq import RefSched, _cheaprand, _seed_state
from gmpcore.reference.sched import M, P, SchedCore
from gmpcore.reference.select import Selects
from gmpcore.reference.sync import Chan, SyncObjects, WaitGroup
from gmpcore.reference.runtime import Runtime
from gmpcore.reference.stw import StopTheWorld, steal_order
from gmpcore.reference.syscalls import Syscalls
from gmpcore.reference.sysmon import Sysmon
from gmpcore.reference.timers import Timer, Timers


class RefEngine(EventHeap, GTable, SchedCore, LockedThreads, Timers, NetPoller, Goroutines,
                SyncObjects, Mutexes, Selects, RWMutexes, Syscalls, Sysmon, Cpus, StopTheWorld,
                Runtime, Checks, Observer):
    """One simulation run.  ``RefEngine(...).run()`` returns the result dict.

    Each base class is one concept, in its own module, the twin of one of
    the compiled engine's gmpcore/_engine_*.pxi files; this class holds the
    run's state and its event loop."""

    def __init__(self, compiled, gomaxprocs=1, seed=0, costs=None, async_preempt=True,
                 runnext=True, max_threads=10_000, max_stack=1_000_000_000, until="main",
                 schedtrace=0, record_events=True, max_events=None, check=False,
                 scheddetail=False, on_schedtrace=None, monitor=0, max_samples=1_000_000,
                 snapshot_at=-1, trace_window=None, trace_goroutines=None,
                 max_trace_events=None, cancel=None, cpus=None, background=0,
                 os_sched=None, cpu_quota=None, updater=False, containermaxprocs=True,
                 max_spans=10**7, noise=False, policy=None, runtime_init=False,
                 updatemaxprocs=True):
        self.code = np.asarray(compiled.code).tolist()
        self.dists = np.asarray(compiled.dists).tolist()
        self.entry = np.asarray(compiled.entry).tolist()
        self.depth = np.asarray(compiled.loop_depth).tolist()
        # The periodic GOMAXPROCS update (reference/stw.py) and the runtime's
        # start (reference/runtime.py): runtime.main, the runtime's goroutines
        # and the updater come after the workload's programs (gmpcore.startup).
        assert not updater or cpus is not None, "the GOMAXPROCS updater needs cpus"
        self.upd_on, self.containermaxprocs = updater, containermaxprocs
        self.upd_last, self.upd_procs, self.upd_g, self.upd_idle = None, 0, None, False
        extra = runtime_programs(len(self.entry), self.entry[0], len(self.code),
                                 len(compiled.chan_cap),
                                 updatemaxprocs if runtime_init else updater, runtime_init)
        self.upd_program, self.rt_init, self.rt_program = (extra.updater_program, runtime_init,
                                                           extra.rt_program)
        self.n_sys = self.n_sys_waiting = 0
        self.code += extra.code.tolist()
        self.entry += extra.entries.tolist()
        self.depth += [0] * len(extra.names)
        self.panic_messages = tuple(compiled.panic_messages)
        self.program_names = tuple(compiled.program_names) + extra.names
        self.costs = costs or CostModel()
        self.nprocs = gomaxprocs
        self.policy = as_policy(policy)
        self.async_preempt = async_preempt and self.policy.async_preempt
        # As the compiled engine's e.use_runnext / e.pol: runnext without a
        # LIFO limit, wakep's spinning bound, execute's runnext bookkeeping.
        self.use_runnext = runnext and self.policy.runnext and not self.policy.lifo_limit
        self.wake_max_spinning = 1 if self.policy.wakeup == "go" else 1 << 62
        self.runnext_special = bool(self.policy.lifo_limit) or not self.policy.runnext_inherit
        self.max_threads, self.max_stack, self.until = max_threads, max_stack, until
        self.record = record_events
        # Event log filters: a virtual-time window, a set of goids, a cap.
        self.trace_window = trace_window or (0, 2**63 - 1)
        self.trace_goids = None if trace_goroutines is None else set(trace_goroutines)
        self.max_trace_events = max_trace_events
        self.max_events = max_events
        self.scheddetail, self.on_schedtrace = scheddetail, on_schedtrace
        self.mon_period, self.mon_next, self.max_samples = monitor, 0, max_samples
        self.samples = []
        self.snapshot_at, self.snapshot = snapshot_at, None
        self.check = check
        self.cancel = cancel                      # .cancelled ends the run (Ctrl-C from another thread)
        self.schedtrace_ns = schedtrace
        self.rng = np.random.Generator(np.random.PCG64(seed))     # workload durations
        self.cheaprand = _seed_state(seed)                         # scheduler randomness
        # Noise (gmpcore.noise): each cost field's quantile table, and its own stream.
        self.noise_rng = noise_seed(seed) if noise else None
        self.noise_rows = dict(zip(FIELDS, noise_tables(self.costs).tolist())) if noise else None
        # Queues: the reference model of §2.  A G is queued by its index.
        # P arrays for the most Ps the run can have; those past gomaxprocs are _Pdead.
        np_alloc = max(gomaxprocs, int(getattr(compiled, "max_gomaxprocs", 0)),
                       cpus if updater else 0)
        self.q = RefSched(np_alloc, seed=seed, sysmon=runnext and self.policy.runnext,
                          capacity=self.policy.runq_size, steal=self.policy.steal,
                          batch=self.policy.batch_max)
        self.q.nprocs = gomaxprocs
        self.order = steal_order(gomaxprocs)
        self.now = 0
        self.heap, self.seq = [], 0
        self.heap_cap = 64                        # compact_events when the heap reaches it
        self.events = []
        self.gs, self.ms = [], []
        self.allp = [P(i) for i in range(np_alloc)]
        for p in self.allp[gomaxprocs:]:
            p.status = P_DEAD
        self.ps = self.allp[:gomaxprocs]          # Go's allp: the Ps that exist now
        self.np_seen = gomaxprocs
        # Stop the world (reference/stw.py).
        self.gcwaiting, self.stopwait = False, 0
        self.stw_state, self.stw_m, self.stw_reason, self.stw_t0 = STW_NONE, None, 0, 0
        self.newprocs, self.newprocs_cause = 0, CAUSE_USER
        self.stw_owner, self.stw_sema = None, []
        self.custom = False
        self.gomaxprocs_history = []
        self.chans = [Chan(int(c)) for c in np.asarray(compiled.chan_cap).tolist()]
        if runtime_init:
            self.chans.append(Chan(2))                # gcenable's c := make(chan int, 2)
        self.wgs = [WaitGroup() for _ in range(int(compiled.n_waitgroups))]
        self.mutexes = [Mutex() for _ in range(int(compiled.n_mutexes))]
        self.tms = [Timer(i, k, f) for i, (k, f) in               # reference/timers.py
                    enumerate(np.asarray(compiled.timers).reshape(-1, 2).tolist())]
        self.mu_locals = {}                       # G index -> lockSlow's locals (reference/mutex.py)
        self.rwmutexes = [RWMutex() for _ in range(int(getattr(compiled, "n_rwmutexes", 0)))]
        self.conds = [Cond() for _ in range(int(getattr(compiled, "n_conds", 0)))]
        self.gsync = {}                           # G index -> GSync (reference/rwmutex.py)
        # Carried spans: the channels some SEND stamps keep a ring of stamps.
        stamped = {a for op, a, b, _ in self.code if op == OP_SEND and b}
        self.stamps_on = bool(stamped)
        for i in stamped:
            self.chans[i].stamped = True
        self.pidle, self.midle = [], []          # LIFO stacks (§3.6)
        self.nmspinning = 0
        self.needspinning = 0
        self.goidgen = 0
        self.lastpoll = 1                         # 0 = an M is blocked in netpoll (§1.5)
        self.poll_until = 0                       # sched.pollUntil
        self.netpoll_inited = False
        self.io_waiters = 0                       # Gs parked in the netpoller
        self.io_ready = []                        # their fds became ready, not yet polled
        self.poller = None                        # the M blocked in netpoll
        # Locked threads (lockedm.py).
        self.cur_m = None                         # whose step this is: newm's caller
        self.template_m = None                    # created by the first LockOSThread
        self.nmidlelocked = 0                     # Ms parked in stoplockedm
        self.nmsys = 0                            # sysmon, the template thread
        self.nmfreed = 0                          # Ms that exited; mcount = len(ms) - nmfreed
        self.sysmon = {"idle": 0, "delay": self.policy.sysmon_min_delay, "gen": 0, "wait": False,
                       "lasttrace": None, "starttime": 0}
        self.counters = dict(threads=0, threads_exited=0, steals=0, spills=0, handoffs=0, preemptions=0,
                             syscalls=0, spinning=0, spinning_ns=0, thread_wakes=0, netpolls=0, timers=0, events=0,
                             events_dropped=0, goroutines=0, gomaxprocs_changes=0,
                             stw_count=0, stw_stopping_ns=0, stw_total_ns=0)
        self.schedtrace = []
        self.has_spans = bool(getattr(compiled, "span_names", ()))
        self.spans, self.max_spans = [], max_spans   # (name, goid, start, end) rows
        self.spans_dropped = 0
        self.spans_unstamped = 0                  # span_end without a matching carried stamp
        self.lat_counts = [0] * LAT_N_COUNTS      # /sched/latencies, gmpcore.latency's layout
        self.lat_sum = 0
        self.main_done = False
        self.main_goexit = False        # main called runtime.Goexit: the run ends in checkdead
        self.live = 0
        self.stack_inuse = 0                      # bytes of stack of Gs not yet exited
        self.gfree_stack = self.gfree_nostack = 0  # sched.gFree's two lists, by count
        self.machine = (cpus, background, os_sched, cpu_quota)

    def log(self, kind, m=None, p=None, g=None, arg=-1):
        if self.record and self.trace_window[0] <= self.now <= self.trace_window[1] \
                and (g is None or self.trace_goids is None or g.goid in self.trace_goids):
            if self.max_trace_events is not None and len(self.events) >= self.max_trace_events:
                self.counters["events_dropped"] += 1
                return
            self.events.append((self.now, kind, -1 if m is None else m.id,
                                -1 if p is None else p.id, -1 if g is None else g.idx, arg))

    def rand32(self):
        self.cheaprand, r = _cheaprand(self.cheaprand)
        return r

    def draw_cost(self, name):
        """One charge of cost field `name` (the compiled engine's drawn()): its
        value, or with noise a draw from its quantile table on the noise stream."""
        v = getattr(self.costs, name)
        if self.noise_rng is None:
            return v
        self.noise_rng, r = _cheaprand(self.noise_rng)
        return v * self.noise_rows[name][r >> 24] >> 16

    def sample(self, dist_id):
        """Draw a duration (docs/simulator-design.md §1.2)."""
        kind, p1, p2 = self.dists[dist_id]
        if kind == 0:
            return int(p1)
        if kind == 1:
            x = p1 + math.floor(self.rng.random() * (p2 - p1 + 1.0))
        elif kind == 2:
            x = math.floor(p1 * self.rng.standard_exponential() + 0.5)
        else:
            z = p2 * self.rng.standard_normal()
            # exp() overflows past ~709; floor() fails on inf: clamp first.
            # A median of 0 draws 0 whatever the spread (0 * inf would be NaN).
            if p1 == 0:
                y = 0.0
            else:
                y = p1 * math.exp(z) + 0.5 if z <= 709.0 else math.inf
            x = MAX_SAMPLE if y >= MAX_SAMPLE else math.floor(y)
        return int(min(x, MAX_SAMPLE))           # an unbounded draw is clamped

    def run(self):
        """Simulate until main exits (or every G has, with until="all")."""
        try:
            return self._run()
        except GoFatalError as exc:
            exc.time_ns = self.now                    # when the program died
            exc.partial = self.result()               # the run up to its death
            raise

    def _run(self):
        m0 = M(0, 0)
        self.ms.append(m0)
        self.counters["threads"] += 1
        self.cpu_init(*self.machine)
        for p in reversed(self.ps[1:]):              # procresize: P1 is popped first
            p.status = P_IDLE
            self.pidle.append(p)
        self.acquirep(m0, self.ps[0])
        main = self.newg(None, 0, self.ps[0])
        if self.rt_init:
            main.pc = self.entry[self.rt_program]     # runtime.main, then main.main
        self.q.runqput(0, main.idx, True)
        # runtime.main starts sysmon on a new M without a P (§4.5, §5.5).
        self.sysmon_m = M(1, 0)
        self.ms.append(self.sysmon_m)
        self.counters["threads"] += 1
        self.nmsys += 1
        self.cur_m = m0
        self.log(EV_THREAD_CREATE, m=self.sysmon_m)
        self.sysmon_schedule(self.policy.sysmon_min_delay)
        if not self.cpu_on or self.cpu_wake(m0.t):
            self.schedule(m0)
        else:
            m0.phase = PH_SCHEDULE                   # it starts when it gets a CPU
        while not self.finished():
            if not self.heap:
                raise AssertionError("the event heap ran dry")
            self.observe(self.heap[0][0] - 1)
            when, _, kind, who, gen = heapq.heappop(self.heap)
            if not self.event_live(kind, who, gen):
                continue                              # cancelled: as if never pushed
            self.now = when
            self.counters["events"] += 1
            # cur_m: whose step this is (newm on a locked M goes through the template thread).
            if kind == E_M:
                self.cur_m = self.ms[who]
                if self.cpu_on and not self.on_cpu(self.ms[who].t):
                    pass                               # waits for a CPU: deferred
                else:
                    self.dispatch(self.ms[who])
            elif kind == E_PREEMPT:
                self.cur_m = self.ms[who]
                self.async_preempt_arrives(self.ms[who], gen)
            elif kind == E_IO:
                self.cur_m = None
                self.io_complete(self.gs[who])
            elif kind == E_SYSMON:
                self.cur_m = None
                if not self.cpu_on:
                    self.sysmon_loop()
                elif self.on_cpu(self.sysmon_m.t):
                    self.sysmon_loop()
                    self.cpu_release(self.sysmon_m.t)  # its loop takes no time
            elif kind == E_CPU:
                self.cur_m = None
                self.cpu_slice_end(who)
            elif kind == E_PERIOD:
                self.cur_m = None
                self.quota_period()
            elif kind == E_THROTTLE:
                self.cur_m = None
                self.quota_exhausted()
            else:
                assert kind == E_QUOTA
                self.cur_m = None
                self.quota_set(who)
            if self.check:
                self.check_invariants()
            if self.max_events is not None and self.counters["events"] >= self.max_events:
                break
            if self.cancel is not None and self.cancel.cancelled:
                raise KeyboardInterrupt("simulation interrupted (Ctrl-C in the main thread)")
        self.observe(self.now, final=True)
        return self.result()

    def on_cpu(self, t):
        """The thread whose event fired is on a CPU, or wakes onto one now."""
        if t.state == T_ON:
            return True
        return t.state == T_OFF and self.cpu_wake(t)

    def finished(self):
        if self.until == "main":
            return self.main_done
        return self.live == self.n_sys and not self.main_goexit   # after main's Goexit, checkdead ends it

    def dispatch(self, m):
        phase = m.phase
        if phase == PH_RUN:
            self.run_g(m)
        elif phase == PH_EXECUTE:
            self.execute(m, m.nextg, m.next_inherit)
        elif phase == PH_SCHEDULE:
            self.schedule(m)
        elif phase == PH_STEAL:
            self.find_after_spin(m)
        elif phase == PH_BACKOFF:
            self.steal_work_continue(m)
        elif phase == PH_START:
            p, m.nextp = m.nextp, None
            if m.spinning:                           # started spinning by wakep/handoffp
                self.spin_clock_start(m)
            self.acquirep(m, p)
            if m.lockedg is not None:                # woken by startlockedm: run its G
                self.resume(m, self.now, PH_EXECUTE)
            else:
                self.schedule(m)
        elif phase == PH_SYSCALL:
            self.exitsyscall(m)
        elif phase == PH_NETPOLL:
            self.netpoll_return(m)
        elif phase == PH_STW_WAIT:
            self.stw_step(m)

    def result(self):
        self.cpu_close()
        for m in self.ms:
            g = m.curg
            if g is not None and g.status == G_RUNNING:
                g.running_ns += self.now - g.run_start
                m.p.busy_ns += self.now - g.run_start
                g.run_start = self.now
        for g in self.gs:
            if g.status == G_RUNNABLE:               # queued, or in an M's hand
                g.runnable_ns += self.now - g.since
                g.since = self.now
        for p in self.pidle:
            p.idle_ns += self.now - p.idle_since
            p.idle_since = self.now
        for m in self.ms:                            # spins still going on at the end
            self.spin_clock_stop(m)
        return {
            "spans": (np.array(self.spans, dtype=np.int64).reshape(-1, 5) if self.has_spans
                      else None),
            # until main exits; with until="all", until the last G exits
            "makespan_ns": self.now if self.until == "all" else getattr(self, "makespan", self.now),
            "now": self.now,
            "events": np.array(self.events, dtype=np.int64).reshape(-1, 6),
            "counters": dict(self.counters, threads=self.counters["threads"] - self.nmfreed,
                             threads_exited=self.nmfreed,
                             **({"spans_dropped": self.spans_dropped,
                                  "spans_unstamped": self.spans_unstamped}
                                 if self.has_spans else {})),
            "monitor": self.samples,
            "snapshot": self.snapshot,
            "goroutines": [(g.goid, 0 if g.parent < 0 else self.gs[g.parent].goid, g.program,
                            g.created, g.first_run, g.finished,
                            g.runnable_ns, g.running_ns, g.preemptions, g.steals,
                            g.status, g.waitreason, g.stack) for g in self.gs],
            "procs": [(p.id, p.busy_ns, p.schedtick, p.steals, p.idle_ns)
                      for p in self.allp[:self.np_seen]],
            "gomaxprocs_history": [(t, old, new, CAUSES[c])
                                   for t, old, new, c in self.gomaxprocs_history],
            "schedtrace": list(self.schedtrace),
            "sched_latencies": np.array(self.lat_counts, dtype=np.uint64),
            "sched_latency_sum": self.lat_sum,
            "heap_slots": self.heap_cap,             # event-heap memory, for tests
            # per M: id, created, run delay, CPU time, switches, involuntary ones
            "threads": [(m.id, m.created, m.t.run_delay_ns, m.t.cpu_ns, m.t.nr_switches,
                         m.t.nr_involuntary) for m in self.ms],
        }
