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
from collections import deque

import numpy as np

from gmpcore.costs import CostModel
from gmpcore.events import (
    EV_CREATE, EV_HANDOFF, EV_IO_READY, EV_M_PARK, EV_M_WAKE, EV_NETPOLL, EV_PREEMPT,
    EV_READY, EV_RUN, EV_SPILL, EV_SPIN, EV_STEAL, EV_STOP, EV_SYSCALL_ENTER,
    EV_SYSCALL_EXIT, EV_THREAD_CREATE, EV_TIMER, EV_WAIT, G_DEAD, G_RUNNABLE, G_RUNNING,
    G_SYSCALL, G_WAITING, P_IDLE, P_RUNNING, P_SYSCALL, STOP_EXIT, STOP_GOSCHED,
    STOP_PARK, STOP_PREEMPT, STOP_SYSCALL, WAIT_CHAN_RECEIVE, WAIT_CHAN_SEND,
    WAIT_IO, WAIT_NONE, WAIT_SLEEP, WAIT_WAITGROUP,
)
from gmpcore.errors import (Deadlock, GoFatalError, StackOverflow, ThreadExhaustion, WorkloadPanic,
                            goroutine_dump)
from gmpcore.latency import N_COUNTS as LAT_N_COUNTS, bucket_index
from gmpcore.model import (FORCE_PREEMPT_NS, GLOBAL_CHECK_PERIOD, GOIDCACHE_BATCH,
                           NETPOLL_MAX_EVENTS, NETPOLL_RESOLUTION, RETAKE_SYSCALL_NS,
                           RUNNEXT_BACKOFF, STACK_MIN, SYSMON_DEEP_SLEEP, SYSMON_IDLE_CYCLES,
                           SYSMON_MAX_DELAY, SYSMON_MIN_DELAY, SYSMON_NETPOLL_PERIOD,
                           ZERO_TIME_BUDGET)
from gmpcore.reference.runq import RefSched, _cheaprand, _seed_state
from gmpcore.results import COUNTER_MAX
from gmpcore.state import scheddetail

# Opcodes (docs/simulator-design.md §1.1).
(OP_EXIT, OP_CPU, OP_SYSCALL, OP_SLEEP, OP_NETWAIT, OP_GO, OP_GOSCHED, OP_SEND,
 OP_RECV, OP_WG_ADD, OP_WG_WAIT, OP_LOOP, OP_ENDLOOP, OP_STACK) = range(14)

# What an M does when its pending event fires.
PH_RUN = "run"              # continue its G's program
PH_EXECUTE = "execute"      # start running the G findRunnable chose
PH_SCHEDULE = "schedule"    # look for work from the top of findRunnable
PH_STEAL = "steal"          # the spinning search is over: stealWork
PH_BACKOFF = "backoff"      # the 3 us pause before stealing runnext is over
PH_START = "start"          # a woken or new M takes its nextp
PH_SYSCALL = "syscall"      # its system call returns
PH_NETPOLL = "netpoll"      # blocked in netpoll
PH_IDLE = "idle"            # parked on midle

# Event kinds in the heap.
E_M, E_PREEMPT, E_IO, E_SYSMON = 0, 1, 2, 3

MAX_SAMPLE = 2**53                   # largest duration a distribution may yield (durations.py)


class G:
    __slots__ = ("idx", "goid", "parent", "program", "pc", "status", "waitreason", "remaining",
                 "loops", "stack", "created", "first_run", "finished", "since",
                 "runnable_ns", "running_ns", "run_start", "preemptions", "steals",
                 "preempt", "m", "burst_end", "preemptible", "after_slow_syscall")

    def __init__(self, idx, goid, parent, program, pc, depth, now):
        self.idx, self.goid, self.parent, self.pc = idx, goid, parent, pc
        self.program = program
        self.status, self.waitreason = G_RUNNABLE, WAIT_NONE
        self.remaining = -1          # ns of CPU (or spawns) left in the current op; -1 = not started
        self.loops = [0] * depth
        self.stack = STACK_MIN
        self.created, self.first_run, self.finished = now, -1, -1
        # since: when it last became runnable or started waiting (latency, deadlock dump)
        self.since, self.runnable_ns, self.running_ns = now, 0, 0
        self.run_start = -1
        self.preemptions = self.steals = 0
        self.preempt = False         # gp.preempt: stop at the next safe point
        self.m = None
        self.burst_end = -1
        self.preemptible = True
        self.after_slow_syscall = False


class M:
    __slots__ = ("id", "p", "curg", "spinning", "phase", "nextp", "oldp", "syscalltick",
                 "gen", "nextg", "next_inherit", "steal", "was_spinning", "poll_until",
                 "created", "debt")

    def __init__(self, mid, now):
        self.id = mid
        self.p = self.curg = self.nextp = self.oldp = self.nextg = None
        self.spinning = self.next_inherit = self.was_spinning = False
        self.phase = PH_IDLE
        self.syscalltick = 0
        self.gen = 0                 # bumps to cancel a pending event
        self.steal = None            # stealWork progress across the runnext back-off
        self.poll_until = 0
        self.created = now
        self.debt = 0                # ns of timer/netpoll work to add to its next step


class P:
    __slots__ = ("id", "status", "m", "schedtick", "syscalltick", "sysmon", "timers",
                 "goidcache", "goidcacheend", "busy_ns", "idle_ns", "idle_since", "steals")

    def __init__(self, pid):
        self.id = pid
        self.status, self.m = P_IDLE, None
        self.schedtick = self.syscalltick = 0
        self.sysmon = [0, 0, 0, 0]   # sysmontick: schedtick, schedwhen, syscalltick, syscallwhen
        self.timers = []             # heap of (when, seq, G)
        self.goidcache = self.goidcacheend = 0
        self.busy_ns = self.idle_ns = 0
        self.idle_since = 0
        self.steals = 0


class Chan:
    __slots__ = ("cap", "count", "recvq", "sendq")

    def __init__(self, cap):
        self.cap, self.count = cap, 0
        self.recvq, self.sendq = deque(), deque()


class WaitGroup:
    __slots__ = ("counter", "waiters")

    def __init__(self):
        self.counter, self.waiters = 0, deque()


class RefEngine:
    """One simulation run.  ``RefEngine(...).run()`` returns the result dict."""

    def __init__(self, compiled, gomaxprocs=1, seed=0, costs=None, async_preempt=True,
                 runnext=True, max_threads=10_000, max_stack=1_000_000_000, until="main",
                 schedtrace=0, record_events=True, max_events=None, check=False,
                 scheddetail=False, on_schedtrace=None, monitor=0, max_samples=1_000_000,
                 snapshot_at=-1, trace_window=None, trace_goroutines=None,
                 max_trace_events=None, cancel=None):
        self.code = np.asarray(compiled.code).tolist()
        self.dists = np.asarray(compiled.dists).tolist()
        self.entry = np.asarray(compiled.entry).tolist()
        self.depth = np.asarray(compiled.loop_depth).tolist()
        self.program_names = tuple(compiled.program_names)
        self.costs = costs or CostModel()
        self.nprocs = gomaxprocs
        self.async_preempt, self.use_runnext = async_preempt, runnext
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
        # Queues: the reference model of §2.  A G is queued by its index.
        self.q = RefSched(gomaxprocs, seed=seed, sysmon=runnext)
        self.order = [i for i in range(1, gomaxprocs + 1) if math.gcd(i, gomaxprocs) == 1]
        self.now = 0
        self.heap, self.seq = [], 0
        self.heap_cap = 64                        # compact_events when the heap reaches it
        self.events = []
        self.gs, self.ms = [], []
        self.ps = [P(i) for i in range(gomaxprocs)]
        self.chans = [Chan(int(c)) for c in np.asarray(compiled.chan_cap).tolist()]
        self.wgs = [WaitGroup() for _ in range(int(compiled.n_waitgroups))]
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
        self.sysmon = {"idle": 0, "delay": SYSMON_MIN_DELAY, "gen": 0, "wait": False,
                       "lasttrace": None, "starttime": 0}
        self.counters = dict(threads=0, steals=0, spills=0, handoffs=0, preemptions=0,
                             syscalls=0, spinning=0, netpolls=0, timers=0, events=0,
                             events_dropped=0, goroutines=0)
        self.schedtrace = []
        self.lat_counts = [0] * LAT_N_COUNTS      # /sched/latencies, gmpcore.latency's layout
        self.lat_sum = 0
        self.main_done = False
        self.live = 0

    # ------------------------------------------------------------ bookkeeping

    def log(self, kind, m=None, p=None, g=None, arg=-1):
        if self.record and self.trace_window[0] <= self.now <= self.trace_window[1] \
                and (g is None or self.trace_goids is None or g.goid in self.trace_goids):
            if self.max_trace_events is not None and len(self.events) >= self.max_trace_events:
                self.counters["events_dropped"] += 1
                return
            self.events.append((self.now, kind, -1 if m is None else m.id,
                                -1 if p is None else p.id, -1 if g is None else g.idx, arg))

    def push(self, when, kind, who, gen=0):
        self.seq += 1
        if len(self.heap) >= self.heap_cap:
            self.compact_events()
        heapq.heappush(self.heap, (when, self.seq, kind, who, gen))

    def event_live(self, kind, who, gen):
        """A cancelled event (its M or sysmon moved on: lazy cancellation) is a
        no-op when it comes due; only live events count and dispatch."""
        if kind in (E_M, E_PREEMPT):
            return gen == self.ms[who].gen
        if kind == E_SYSMON:
            return gen == self.sysmon["gen"]
        return True                                   # E_IO

    def compact_events(self):
        """Drop cancelled events before the heap grows, so that preempting a long
        CPU burst does not leave its end behind; pop order, by (when, seq), is
        unchanged.  The heap may then double if over half of it is live."""
        self.heap = [ev for ev in self.heap if self.event_live(*ev[2:])]
        heapq.heapify(self.heap)
        if 2 * len(self.heap) > self.heap_cap:
            self.heap_cap *= 2

    def resume(self, m, when, phase):
        """The M does `phase` at `when` (it is busy until then), plus any CPU
        it spent meanwhile running timers or polling the network."""
        m.phase = phase
        m.gen += 1
        when += m.debt
        m.debt = 0
        self.push(when, E_M, m.id, m.gen)

    def rand32(self):
        self.cheaprand, r = _cheaprand(self.cheaprand)
        return r

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

    # ------------------------------------------------------------ Gs and Ps

    def newg(self, parent, program, p):
        """newproc1 (§5.1): a fresh G with the next goid of `p`'s cache."""
        if p.goidcache == p.goidcacheend:
            self.goidgen += GOIDCACHE_BATCH
            p.goidcache = self.goidgen - GOIDCACHE_BATCH + 1
            p.goidcacheend = self.goidgen + 1
        g = G(len(self.gs), p.goidcache, -1 if parent is None else parent.idx, program,
              self.entry[program], self.depth[program], self.now)
        p.goidcache += 1
        self.gs.append(g)
        self.live += 1
        self.counters["goroutines"] += 1
        self.log(EV_CREATE, p=p, g=g, arg=-1 if parent is None else parent.idx)
        return g

    def pidleput(self, p):
        assert self.q.runqempty(p.id), "pidleput: P has non-empty run queue"
        p.status, p.m = P_IDLE, None
        p.idle_since = self.now
        self.pidle.append(p)

    def pidleget(self):
        if not self.pidle:
            return None
        p = self.pidle.pop()
        p.idle_ns += self.now - p.idle_since
        return p

    def pidlegetSpinning(self):
        p = self.pidleget()
        if p is None:
            self.needspinning = 1      # §3.5: a non-spinning M about to drop its P must spin
        return p

    def acquirep(self, m, p):
        assert m.p is None and p.status == P_IDLE and p.m is None, "wirep: invalid p state"
        m.p, p.m, p.status = p, m, P_RUNNING

    def releasep(self, m):
        p = m.p
        assert p.status == P_RUNNING and p.m is m, "releasep: invalid p state"
        m.p, p.m, p.status = None, None, P_IDLE
        return p

    def npidle(self):
        return len(self.pidle)

    # ------------------------------------------------------------ Ms

    def newm(self, p, spinning):
        """newm (§3.6): a new thread that will start with nextp = p."""
        if len(self.ms) >= self.max_threads:
            raise ThreadExhaustion(self.max_threads)
        m = M(len(self.ms), self.now)
        self.ms.append(m)
        self.counters["threads"] += 1
        m.nextp, m.spinning = p, spinning
        self.log(EV_THREAD_CREATE, m=m, p=p)
        self.resume(m, self.now + self.costs.thread_create, PH_START)
        return m

    def startm(self, p, spinning):
        """startm (§3.6): give `p` (or an idle P) to an idle or new M."""
        if p is None:
            assert not spinning, "startm: P required for spinning=true"
            p = self.pidleget()
            if p is None:
                return
        if not self.midle:
            self.newm(p, spinning)
            return
        m = self.midle.pop()
        assert m.p is None and m.nextp is None, "startm: m has p"
        m.spinning, m.nextp = spinning, p
        self.log(EV_M_WAKE, m=m, p=p, arg=int(spinning))
        self.resume(m, self.now + self.costs.thread_wake, PH_START)

    def stopm(self, m):
        """stopm (§3.6): park the M on the idle list until someone hands it a P."""
        assert m.p is None, "stopm holding p"
        assert not m.spinning, "stopm spinning"
        m.phase = PH_IDLE
        m.gen += 1
        m.debt = 0                  # poll/timer work before parking delays no later wake
        self.midle.append(m)
        self.log(EV_M_PARK, m=m)
        self.checkdead()

    def wakep(self):
        """wakep (§3.5): start one more spinning M if there is an idle P and none spins."""
        if self.nmspinning != 0:
            return
        self.nmspinning = 1
        p = self.pidlegetSpinning()
        if p is None:
            self.nmspinning -= 1
            return
        self.counters["spinning"] += 1
        self.startm(p, True)

    def become_spinning(self, m):
        m.spinning = True
        self.nmspinning += 1
        self.needspinning = 0
        self.counters["spinning"] += 1
        self.log(EV_SPIN, m=m, p=m.p, arg=1)

    def reset_spinning(self, m):
        """resetspinning (§3.1 step 6): the spinner found work; wake another."""
        m.spinning = False
        self.nmspinning -= 1
        assert self.nmspinning >= 0, "findRunnable: negative nmspinning"
        self.log(EV_SPIN, m=m, p=m.p, arg=0)
        self.wakep()

    def handoffp(self, p):
        """handoffp (§3.6): a P without an M; start one if there is anything to do."""
        self.counters["handoffs"] += 1
        self.log(EV_HANDOFF, p=p)
        if not self.q.runqempty(p.id) or self.q.globrunqsize():
            self.startm(p, False)
            return
        if self.nmspinning + self.npidle() == 0:
            self.nmspinning += 1
            self.needspinning = 0
            self.counters["spinning"] += 1
            self.startm(p, True)
            return
        if self.npidle() == self.nprocs - 1 and self.lastpoll != 0:
            self.startm(p, False)
            return
        self.pidleput(p)
        if p.timers:
            self.wake_net_poller(p.timers[0][0])

    # ------------------------------------------------------------ timers and netpoll

    def add_timer(self, p, when, g):
        wake = not p.timers or when < p.timers[0][0]
        self.seq += 1
        heapq.heappush(p.timers, (when, self.seq, g))
        self.netpoll_inited = True
        if wake:
            self.wake_net_poller(when)

    def check_timers(self, m, p, readier):
        """Run `p`'s expired timers on M `m`; each readies its G into
        `readier`'s runnext."""
        ran = 0
        while p.timers and p.timers[0][0] <= self.now:
            _, _, g = heapq.heappop(p.timers)
            self.log(EV_TIMER, p=p, g=g)
            self.counters["timers"] += 1
            self.ready(g, readier)
            m.debt += self.costs.timer_fire + self.costs.ready
            ran += 1
        return ran

    def wake_net_poller(self, when):
        """wakeNetPoller (§3.6)."""
        if self.lastpoll == 0:
            if self.poll_until == 0 or self.poll_until > when:
                self.netpoll_break()
        else:
            self.wakep()

    def netpoll_break(self):
        m = self.poller
        if m is not None and m.phase == PH_NETPOLL:
            self.resume(m, self.now, PH_NETPOLL)

    def netpoll(self, m):
        """One epoll_wait on M `m`: up to 128 ready Gs, newest first (netpollready
        pushes each at the head of its list)."""
        ready = self.io_ready[:NETPOLL_MAX_EVENTS]
        del self.io_ready[:NETPOLL_MAX_EVENTS]
        for g in ready:
            self.log(EV_READY, m=m, g=g, arg=1)
        ready.reverse()
        self.io_waiters -= len(ready)
        for g in ready:
            g.status = G_RUNNABLE
            g.waitreason = WAIT_NONE
            g.since = self.now
        self.counters["netpolls"] += 1
        m.debt += self.costs.netpoll
        return ready

    def injectglist(self, gs, m):
        """injectglist (§3.9): netpoll's Gs to idle Ps via the global queue, the rest local."""
        if not gs:
            return
        p = m.p if m is not None else None
        if p is None:
            self.q.globrunqputbatch([g.idx for g in gs])
            self.start_idle(len(gs))
            return
        n2 = min(self.npidle(), len(gs))
        if n2:
            self.q.globrunqputbatch([g.idx for g in gs[:n2]])
            self.start_idle(n2)
        rest = [g.idx for g in gs[n2:]]
        if rest:
            left = self.q.runqputbatch(p.id, rest)
            if left:
                self.q.globrunqputbatch(left)
        self.wakep()

    def start_idle(self, n):
        for _ in range(n):
            p = self.pidlegetSpinning()
            if p is None:
                break
            self.startm(p, False)

    # ------------------------------------------------------------ readying and parking

    def ready(self, g, p):
        """ready / goready (§5.3): into `p`'s runnext, then wakep."""
        assert g.status == G_WAITING, "bad g->status in ready"
        g.status, g.waitreason = G_RUNNABLE, WAIT_NONE
        g.since = self.now
        self.log(EV_READY, p=p, g=g)
        self.runqput(p, g, True)
        self.wakep()

    def runqput(self, p, g, next_):
        before = self.q.globrunqsize()
        self.q.runqput(p.id, g.idx, next_ and self.use_runnext)
        if self.q.globrunqsize() > before:
            self.counters["spills"] += 1
            self.log(EV_SPILL, p=p, arg=self.q.globrunqsize() - before)

    def dropg(self, m, g, reason):
        g.running_ns += self.now - g.run_start
        m.p.busy_ns += self.now - g.run_start
        g.m = None
        m.curg = None
        self.log(EV_STOP, m=m, p=m.p, g=g, arg=reason)

    def park(self, m, g, reason, extra=0):
        """gopark (§3.7): the G waits; its M looks for other work."""
        self.dropg(m, g, STOP_PARK)
        g.status, g.waitreason = G_WAITING, reason
        g.since = self.now
        self.log(EV_WAIT, m=m, p=m.p, g=g, arg=reason)
        self.resume(m, self.now + extra + self.costs.park, PH_SCHEDULE)

    # ------------------------------------------------------------ the run

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
        for p in reversed(self.ps[1:]):              # procresize: P1 is popped first
            p.status = P_IDLE
            self.pidle.append(p)
        self.acquirep(m0, self.ps[0])
        main = self.newg(None, 0, self.ps[0])
        self.q.runqput(0, main.idx, True)
        # runtime.main starts sysmon on a new M without a P (§4.5, §5.5).
        self.sysmon_m = M(1, 0)
        self.ms.append(self.sysmon_m)
        self.counters["threads"] += 1
        self.log(EV_THREAD_CREATE, m=self.sysmon_m)
        self.sysmon_schedule(SYSMON_MIN_DELAY)
        self.schedule(m0)
        while not self.finished():
            if not self.heap:
                raise AssertionError("the event heap ran dry")
            self.observe(self.heap[0][0] - 1)
            when, _, kind, who, gen = heapq.heappop(self.heap)
            if not self.event_live(kind, who, gen):
                continue                              # cancelled: as if never pushed
            self.now = when
            self.counters["events"] += 1
            if kind == E_M:
                self.dispatch(self.ms[who])
            elif kind == E_PREEMPT:
                self.async_preempt_arrives(self.ms[who], gen)
            elif kind == E_IO:
                self.io_complete(self.gs[who])
            else:
                self.sysmon_loop()
            if self.check:
                self.check_invariants()
            if self.max_events is not None and self.counters["events"] >= self.max_events:
                break
            if self.cancel is not None and self.cancel.cancelled:
                raise KeyboardInterrupt("simulation interrupted (Ctrl-C in the main thread)")
        self.observe(self.now, final=True)
        return self.result()

    # ------------------------------------------------------------ observing a run

    def observe(self, until, final=False):
        """Monitor samples and the snapshot for the times up to `until`: the
        state then is the state after every event at or before it."""
        while self.mon_period and self.mon_next <= until and len(self.samples) < self.max_samples:
            self.samples.append(self.monitor_row(self.mon_next))
            self.mon_next += self.mon_period
        if self.snapshot_at >= 0 and self.snapshot is None and (self.snapshot_at <= until or final):
            self.snapshot = self.view()
            self.snapshot["time"] = self.snapshot_at if self.snapshot_at <= until else self.now

    def monitor_row(self, t):
        live = [g for g in self.gs if g.status != G_DEAD]
        return (t, len(live), sum(g.status == G_RUNNABLE for g in live),
                sum(g.status == G_RUNNING for g in live), self.q.globrunqsize(), len(self.ms),
                len(self.midle), self.nmspinning, self.npidle(), sum(g.stack for g in live),
                tuple(self.q.runqsize(p.id) for p in self.ps))

    def view(self):
        """The scheduler's state now, as gmpcore.state describes it."""
        def nil(x):
            return -1 if x is None else x.id if not isinstance(x, int) else x
        midle = set(id(m) for m in self.midle)
        return dict(
            time=self.now, since_start=self.now - self.sysmon["starttime"],
            gomaxprocs=self.nprocs, npidle=self.npidle(), threads=len(self.ms),
            nmspinning=self.nmspinning, needspinning=self.needspinning, nmidle=len(self.midle),
            sysmonwait=self.sysmon["wait"],
            global_queue=list(self.q.global_runq()),
            ps=[dict(id=p.id, status=p.status, schedtick=p.schedtick, syscalltick=p.syscalltick,
                     m=nil(p.m), runq=list(self.q.runq(p.id)),
                     runnext=nil(self.q.runnext(p.id)), timers=len(p.timers),
                     idle=any(p is q for q in self.pidle)) for p in self.ps],
            ms=[dict(id=m.id, p=nil(m.p), curg=-1 if m.curg is None else m.curg.idx,
                     nextp=nil(m.nextp), spinning=bool(m.spinning), idle=id(m) in midle,
                     poller=m is self.poller, sysmon=m is self.sysmon_m) for m in self.ms],
            goid=np.array([g.goid for g in self.gs], dtype=np.int64),
            g_status=np.array([g.status for g in self.gs], dtype=np.uint8),
            g_waitreason=np.array([g.waitreason for g in self.gs], dtype=np.uint8),
            io_waiting=self.io_waiters,
            sleeping=sum(len(p.timers) for p in self.ps))

    def finished(self):
        if self.until == "main":
            return self.main_done
        return self.live == 0

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
            self.acquirep(m, p)
            self.schedule(m)
        elif phase == PH_SYSCALL:
            self.exitsyscall(m)
        elif phase == PH_NETPOLL:
            self.netpoll_return(m)

    # ------------------------------------------------------------ schedule (§3.1, §3.2)

    def schedule(self, m):
        p = m.p
        if m.spinning:
            assert self.q.runqempty(p.id), "schedule: spinning with local work"
        self.find_runnable(m)

    def found(self, m, g, inherit):
        """findRunnable returned g: resetspinning, then execute after the switch cost."""
        if m.spinning:
            self.reset_spinning(m)
        m.nextg, m.next_inherit = g, inherit
        self.resume(m, self.now + self.costs.schedule, PH_EXECUTE)

    def find_runnable(self, m):
        p = m.p
        # 3. This P's expired timers (they ready Gs into our runnext).
        self.check_timers(m, p, p)
        # 6. Fairness: every 61st schedtick, one G from the global queue.
        if p.schedtick % GLOBAL_CHECK_PERIOD == 0 and self.q.globrunqsize():
            gi = self.q.globrunqget(p.id, 1)
            return self.found(m, self.gs[gi], False)
        # 8. Local run queue.
        got = self.q.runqget(p.id)
        if got is not None:
            return self.found(m, self.gs[got[0]], got[1])
        # 9. Global run queue, a batch.
        if self.q.globrunqsize():
            gi = self.q.globrunqget(p.id, 0)
            return self.found(m, self.gs[gi], False)
        # 10. Non-blocking netpoll (paid for even when nothing is ready).
        if self.netpoll_inited and self.io_waiters and self.lastpoll != 0:
            ready = self.netpoll(m)
            if ready:
                self.log(EV_NETPOLL, m=m, p=p, arg=len(ready))
                g, rest = ready[0], ready[1:]
                self.injectglist(rest, m)
                return self.found(m, g, False)
        # 11. Steal, if allowed to spin; the search takes time.
        if m.spinning or 2 * self.nmspinning < self.nprocs - self.npidle():
            if not m.spinning:
                self.become_spinning(m)
            search = self.costs.steal_attempt * (self.nprocs - 1)
            self.resume(m, self.now + search, PH_STEAL)
            return
        self.drop_p(m)

    def find_after_spin(self, m):
        m.steal = {"pass": 0, "enum": None, "poll_until": 0, "ran_timer": False,
                   "timers_at": -1, "backed_off": None}
        self.steal_work_continue(m)

    def steal_work_continue(self, m):
        """stealWork (§3.3): 4 passes in random order; timers and runnext on the last."""
        p, st = m.p, m.steal
        while st["pass"] < 4:
            last = st["pass"] == 3
            if st["enum"] is None:
                r = self.rand32()
                st["enum"] = [r % self.nprocs,
                              self.order[(r // self.nprocs) % len(self.order)], 0]
            enum = st["enum"]
            while enum[2] < self.nprocs:
                victim = self.ps[enum[0]]
                if victim is not p:
                    if last and victim.timers and st["timers_at"] != enum[2]:
                        st["timers_at"] = enum[2]     # not again after a back-off
                        if self.check_timers(m, victim, p):
                            got = self.q.runqget(p.id)
                            if got is not None:
                                m.steal = None
                                return self.found(m, self.gs[got[0]], got[1])
                            st["ran_timer"] = True
                        if victim.timers:
                            w = victim.timers[0][0]
                            if st["poll_until"] == 0 or w < st["poll_until"]:
                                st["poll_until"] = w
                    # The back-off is for this victim only (we resume at it).
                    backed_off, st["backed_off"] = st["backed_off"], None
                    if victim not in self.pidle:
                        if backed_off is not None and self.q.runnext(victim.id) == backed_off:
                            # After usleep(3) runqgrab's CAS on runnext succeeds:
                            # the thief takes it even if the ring refilled (§2.7).
                            self.q.next[victim.id] = None
                            return self.stolen(m, victim, self.gs[backed_off], [])
                        # runqgrab's back-off before taking a running P's runnext.
                        if (last and self.q.runqsize(victim.id) == 0
                                and self.q.runnext(victim.id) is not None
                                and victim.status == P_RUNNING):
                            st["backed_off"] = self.q.runnext(victim.id)
                            self.resume(m, self.now + self.usleep(RUNNEXT_BACKOFF), PH_BACKOFF)
                            return
                        before = self.q.runqsize(p.id)
                        gi = self.q.runqsteal(p.id, victim.id, last)
                        if gi is not None:
                            moved = self.q.runq(p.id)[before:]
                            return self.stolen(m, victim, self.gs[gi], moved)
                enum[0] = (enum[0] + enum[1]) % self.nprocs
                enum[2] += 1
            st["pass"] += 1
            st["enum"] = None
            st["timers_at"] = -1
        m.steal = None
        if st["ran_timer"]:
            return self.find_runnable(m)             # newWork: start over (§3.2 step 11)
        m.poll_until = st["poll_until"]
        self.drop_p(m)

    def stolen(self, m, victim, g, moved):
        """A steal succeeded: g runs now, `moved` went to the thief's ring."""
        p = m.p
        g.steals = min(g.steals + 1, COUNTER_MAX)     # saturates (results.G_DTYPE)
        for gi in moved:
            self.gs[gi].steals = min(self.gs[gi].steals + 1, COUNTER_MAX)
        p.steals += 1
        self.counters["steals"] += 1
        self.log(EV_STEAL, m=m, p=p, g=g, arg=victim.id)
        m.steal = None
        self.found(m, g, False)

    def drop_p(self, m):
        """§3.2 steps 14-17: give up the P, re-check, poll the network, or stop."""
        p = m.p
        poll_until = m.poll_until
        m.poll_until = 0
        if p.timers and (poll_until == 0 or p.timers[0][0] < poll_until):
            poll_until = p.timers[0][0]
        if self.q.globrunqsize():
            gi = self.q.globrunqget(p.id, 0)
            return self.found(m, self.gs[gi], False)
        if not m.spinning and self.needspinning == 1:
            self.become_spinning(m)
            return self.find_runnable(m)
        self.releasep(m)
        self.pidleput(p)
        was_spinning = m.spinning
        if m.spinning:
            # The delicate dance: stop spinning first, then re-check everything.
            m.spinning = False
            self.nmspinning -= 1
            assert self.nmspinning >= 0, "findRunnable: negative nmspinning"
            self.log(EV_SPIN, m=m, p=p, arg=0)
            if self.q.globrunqsize():
                p2 = self.pidlegetSpinning()
                if p2 is not None:
                    self.acquirep(m, p2)
                    self.become_spinning(m)
                    gi = self.q.globrunqget(p2.id, 0)
                    return self.found(m, self.gs[gi], False)
            for p2 in self.ps:
                if p2 not in self.pidle and not self.q.runqempty(p2.id):
                    p3 = self.pidlegetSpinning()
                    if p3 is not None:
                        self.acquirep(m, p3)
                        self.become_spinning(m)
                        return self.find_runnable(m)
                    break
            poll_until = 0
            for p2 in self.ps:
                if p2.timers and (poll_until == 0 or p2.timers[0][0] < poll_until):
                    poll_until = p2.timers[0][0]
        # 16. Block in netpoll until I/O or the earliest timer.
        if self.netpoll_inited and (self.io_waiters or poll_until) and self.lastpoll != 0:
            self.lastpoll = 0
            self.poll_until = poll_until
            self.poller = m
            m.was_spinning = was_spinning
            m.phase = PH_NETPOLL
            m.gen += 1
            m.debt = 0
            if self.io_ready:
                self.resume(m, self.now, PH_NETPOLL)
            elif poll_until:
                # epoll_wait takes whole milliseconds: under 1 ms waits 1 ms,
                # longer delays are rounded down; an early wake polls again.
                delay = max(poll_until - self.now, 0)
                if delay:
                    delay = NETPOLL_RESOLUTION if delay < NETPOLL_RESOLUTION else \
                        delay - delay % NETPOLL_RESOLUTION
                self.push(self.now + delay, E_M, m.id, m.gen)
            return
        if poll_until and self.lastpoll == 0 and (self.poll_until == 0 or poll_until < self.poll_until):
            self.netpoll_break()
        self.stopm(m)

    def netpoll_return(self, m):
        """The blocked netpoll returned (I/O, timeout or break)."""
        self.poller = None
        self.poll_until = 0
        self.lastpoll = self.now
        ready = self.netpoll(m)
        self.log(EV_NETPOLL, m=m, arg=len(ready))
        p = self.pidleget()
        if p is None:
            self.injectglist(ready, None)
            self.stopm(m)
            return
        self.acquirep(m, p)
        if ready:
            g, rest = ready[0], ready[1:]
            self.injectglist(rest, m)
            return self.found(m, g, False)
        if m.was_spinning:
            self.become_spinning(m)
        self.find_runnable(m)

    def io_complete(self, g):
        """A network wait is over: the fd is ready; a blocked poller returns now."""
        self.io_ready.append(g)
        self.log(EV_IO_READY, g=g)
        if self.lastpoll == 0:
            self.netpoll_break()

    # ------------------------------------------------------------ running Gs

    def execute(self, m, g, inherit):
        """execute (§3.4): a new time slice unless inheritTime."""
        p = m.p
        m.nextg = None
        m.curg, g.m = g, m
        g.status, g.preempt = G_RUNNING, False
        g.runnable_ns += self.now - g.since
        # /sched/latencies (casgstatus): the time runnable, every time (Go samples 1 in 8).
        self.lat_counts[bucket_index(self.now - g.since)] += 1
        self.lat_sum += self.now - g.since
        if g.first_run < 0:
            g.first_run = self.now
        g.run_start = self.now
        if not inherit:
            p.schedtick += 1
        if g.after_slow_syscall:                     # §4.3 step 5
            g.after_slow_syscall = False
            p.syscalltick += 1
        self.log(EV_RUN, m=m, p=p, g=g, arg=int(inherit))
        self.run_g(m)

    def run_g(self, m):
        """Interpret the current G's program until it blocks or time must pass."""
        g, p = m.curg, m.p
        budget = ZERO_TIME_BUDGET
        while True:
            if g.preempt:                                # a safe point: gopreempt_m
                return self.gopreempt(m, g, self.costs.gosched)
            budget -= 1
            if budget == 0:
                # Instructions that take no time: let the event loop (and
                # max_events, and Ctrl-C in the compiled engine) in.
                self.resume(m, self.now, PH_RUN)
                return
            op, a, b, c = self.code[g.pc]
            if op == OP_CPU:
                if g.remaining < 0:
                    g.remaining = self.sample(a)
                    g.preemptible = bool(b)
                if g.remaining == 0:
                    g.remaining = -1
                    g.pc += 1
                    continue
                g.burst_end = self.now + g.remaining
                g.remaining = 0
                self.resume(m, g.burst_end, PH_RUN)
                return
            g.burst_end = -1
            if op == OP_EXIT:
                return self.goexit(m, g)
            if op == OP_GO:
                if g.remaining < 0:
                    g.remaining = b
                if g.remaining == 0:
                    g.remaining = -1
                    g.pc += 1
                    continue
                g.remaining -= 1
                self.newproc(p, g, a)
                self.resume(m, self.now + self.costs.newproc, PH_RUN)
                return
            g.pc += 1
            if op == OP_LOOP:
                if a == 0:
                    g.pc = c
                else:
                    g.loops[b] = a
                continue
            if op == OP_ENDLOOP:
                g.loops[b] -= 1
                if g.loops[b] > 0:
                    g.pc = a
                continue
            if op == OP_STACK:
                self.grow_stack(g, a)
                continue
            if op == OP_GOSCHED:
                return self.gosched(m, g, STOP_GOSCHED, self.costs.gosched)
            if op == OP_SEND:
                return self.chansend(m, g, self.chans[a])
            if op == OP_RECV:
                return self.chanrecv(m, g, self.chans[a])
            if op == OP_WG_ADD:
                return self.wg_add(m, g, self.wgs[a], b)
            if op == OP_WG_WAIT:
                wg = self.wgs[a]
                if wg.counter == 0:
                    self.resume(m, self.now + self.costs.wg_op, PH_RUN)
                    return
                wg.waiters.append(g)
                return self.park(m, g, WAIT_WAITGROUP, self.costs.wg_op)
            if op == OP_SLEEP:
                d = self.sample(a)
                if d <= 0:                           # timeSleep returns at once
                    continue
                self.add_timer(p, self.now + d, g)
                return self.park(m, g, WAIT_SLEEP, self.costs.timer_add)
            if op == OP_NETWAIT:
                d = self.sample(a)
                self.netpoll_inited = True
                self.io_waiters += 1
                self.push(self.now + d, E_IO, g.idx)
                return self.park(m, g, WAIT_IO)
            if op == OP_SYSCALL:
                return self.entersyscall(m, g, self.sample(a), bool(b))
            raise AssertionError(f"unknown opcode {op}")

    def newproc(self, p, parent, program):
        """newproc (§5.1): the new G takes runnext; wakep."""
        g = self.newg(parent, program, p)
        self.runqput(p, g, True)
        self.wakep()

    def goexit(self, m, g):
        """goexit0 (§5.2)."""
        self.dropg(m, g, STOP_EXIT)
        g.status = G_DEAD
        g.finished = self.now
        self.live -= 1
        if g.idx == 0:
            self.main_done = True
            self.makespan = self.now
        self.resume(m, self.now + self.costs.goexit, PH_SCHEDULE)

    def gosched(self, m, g, reason, cost):
        """goschedImpl (§3.7): to the global queue tail; wakep."""
        self.dropg(m, g, reason)
        g.status = G_RUNNABLE
        g.since = self.now
        self.q.globrunqput(g.idx)
        self.wakep()
        self.resume(m, self.now + cost, PH_SCHEDULE)

    def gopreempt(self, m, g, cost):
        """gopreempt_m (§4.7): like Gosched; `cost` is the CPU its M spends
        getting there (a gosched, or the signal handler's round trip too)."""
        g.preempt = False
        g.preemptions = min(g.preemptions + 1, COUNTER_MAX)
        self.counters["preemptions"] += 1
        self.gosched(m, g, STOP_PREEMPT, cost)

    def grow_stack(self, g, need):
        """newstack (§5.4): double until it fits; beyond max_stack is fatal."""
        size = g.stack
        while size < need:
            size *= 2
            if size > self.max_stack:
                raise StackOverflow(self.max_stack, g.goid)
        g.stack = size

    # ------------------------------------------------------------ channels, WaitGroups

    def chansend(self, m, g, ch):
        cost = self.costs.chan_op
        if ch.recvq:
            self.ready(ch.recvq.popleft(), m.p)          # hand the value over
            cost += self.costs.ready
        elif ch.count < ch.cap:
            ch.count += 1
        else:
            ch.sendq.append(g)
            return self.park(m, g, WAIT_CHAN_SEND, self.costs.chan_op)
        self.resume(m, self.now + cost, PH_RUN)

    def chanrecv(self, m, g, ch):
        cost = self.costs.chan_op
        if ch.sendq:
            # Unbuffered: take the sender's value.  Buffered and full: take the
            # head; the sender's value fills the freed slot.
            self.ready(ch.sendq.popleft(), m.p)
            cost += self.costs.ready
        elif ch.count:
            ch.count -= 1
        else:
            ch.recvq.append(g)
            return self.park(m, g, WAIT_CHAN_RECEIVE, self.costs.chan_op)
        self.resume(m, self.now + cost, PH_RUN)

    def wg_add(self, m, g, wg, delta):
        # WaitGroup.Add: the counter is the high 32 bits of a uint64 state, read
        # back as an int32, so it wraps: Add(1 << 31) from 0 reads as negative.
        wg.counter = (wg.counter + delta + 2**31) % 2**32 - 2**31
        if wg.counter < 0:
            raise WorkloadPanic("sync: negative WaitGroup counter", g.goid)
        cost = self.costs.wg_op
        if wg.counter == 0:
            while wg.waiters:                            # semrelease, FIFO
                self.ready(wg.waiters.popleft(), m.p)
                cost += self.costs.ready
        self.resume(m, self.now + cost, PH_RUN)

    # ------------------------------------------------------------ system calls (§4.1-§4.3)

    def entersyscall(self, m, g, duration, blocking=False):
        """entersyscall (§4.1), or entersyscallblock (§4.2) for a known-blocking call."""
        p = m.p
        self.dropg(m, g, STOP_SYSCALL)
        g.m = m
        m.curg = g
        g.status = G_SYSCALL
        self.counters["syscalls"] += 1
        self.log(EV_SYSCALL_ENTER, m=m, p=p, g=g)
        m.syscalltick = p.syscalltick
        if blocking:
            p.syscalltick += 1
            self.releasep(m)
            self.handoffp(p)
        else:
            if self.sysmon["wait"]:                  # only the plain entersyscall wakes it
                self.sysmon_wake()
            p.m, m.oldp, m.p = None, p, None
            p.status = P_SYSCALL
        self.resume(m, self.now + self.costs.syscall_enter + duration, PH_SYSCALL)

    def exitsyscall(self, m):
        g, oldp = m.curg, m.oldp
        m.oldp = None
        if oldp is not None and oldp.status == P_SYSCALL:
            # Fast path: our P is still ours (§4.3 step 2b).
            oldp.status = P_IDLE
            self.acquirep(m, oldp)
            if m.syscalltick != oldp.syscalltick:
                oldp.syscalltick += 1
            how = 0
        else:
            p = self.pidleget()
            if p is not None:
                if self.sysmon["wait"]:
                    self.sysmon_wake()
                self.acquirep(m, p)
                how = 1
            else:
                return self.exitsyscall0(m, g)
        m.p.syscalltick += 1
        g.status = G_RUNNING
        g.run_start = self.now
        self.log(EV_SYSCALL_EXIT, m=m, p=m.p, g=g, arg=how)
        self.resume(m, self.now + self.costs.syscall_exit, PH_RUN)

    def exitsyscall0(self, m, g):
        """The slow path: no P; the G goes to the global queue, the M stops."""
        g.status = G_RUNNABLE
        g.m, m.curg = None, None
        g.since = self.now
        g.after_slow_syscall = True
        self.log(EV_SYSCALL_EXIT, m=m, g=g, arg=2)
        p = self.pidleget()
        if p is None:
            self.q.globrunqput(g.idx)
        elif self.sysmon["wait"]:
            self.sysmon_wake()
        if p is not None:
            self.acquirep(m, p)
            m.nextg, m.next_inherit = g, False
            self.resume(m, self.now + self.costs.syscall_exit_slow, PH_EXECUTE)
            return
        self.stopm(m)

    # ------------------------------------------------------------ sysmon (§4.5, §4.6)

    def usleep(self, d):
        """How long the runtime's usleep(d) really sleeps: d plus the timer
        slack measured as sysmon_tick − 20 µs (docs/cost-model.md)."""
        return d + max(self.costs.sysmon_tick - SYSMON_MIN_DELAY, 0)

    def sysmon_schedule(self, delay, slack=True):
        self.sysmon["gen"] += 1
        self.push(self.now + (self.usleep(delay) if slack else delay), E_SYSMON, -1,
                  self.sysmon["gen"])

    def sysmon_wake(self):
        """entersyscall/exitsyscall wake a deep-sleeping sysmon."""
        self.sysmon["wait"] = False
        self.sysmon["woken"] = True
        self.sysmon["idle"], self.sysmon["delay"] = 0, SYSMON_MIN_DELAY
        self.sysmon_schedule(0, slack=False)

    def sysmon_loop(self):
        sm = self.sysmon
        # Woken from its deep sleep, sysmon finishes that loop iteration
        # rather than checking for idleness again (§4.5 step 2).
        from_deep_sleep = sm["wait"] or sm.pop("woken", False)
        sm["wait"] = False
        if self.schedtrace_ns <= 0 and self.npidle() == self.nprocs and not from_deep_sleep:
            # Deep sleep until the next timer (or 60 s) unless woken (§4.5 step 2).
            nxt = min((p.timers[0][0] for p in self.ps if p.timers), default=None)
            if nxt is None or nxt > self.now:
                sleep = SYSMON_DEEP_SLEEP if nxt is None else min(nxt - self.now, SYSMON_DEEP_SLEEP)
                sm["wait"] = True
                self.sysmon_schedule(sleep, slack=False)
                return
        if self.netpoll_inited and self.lastpoll != 0 and self.lastpoll + SYSMON_NETPOLL_PERIOD < self.now:
            self.lastpoll = self.now
            ready = self.netpoll(self.sysmon_m)
            self.sysmon_m.debt = 0                   # sysmon's own time is not modelled
            if ready:
                self.log(EV_NETPOLL, m=self.sysmon_m, arg=len(ready))
                self.injectglist(ready, None)
        if self.retake():
            sm["idle"] = 0
        else:
            sm["idle"] += 1
        if self.schedtrace_ns > 0 and (sm["lasttrace"] is None
                                       or sm["lasttrace"] + self.schedtrace_ns <= self.now):
            if sm["lasttrace"] is None:
                sm["starttime"] = self.now          # so the first line reads SCHED 0ms
            sm["lasttrace"] = self.now
            line = scheddetail(self.view()) if self.scheddetail else self.schedtrace_line()
            self.schedtrace.append(line)
            if self.on_schedtrace is not None:
                self.on_schedtrace(line)
        if sm["idle"] == 0:
            sm["delay"] = SYSMON_MIN_DELAY
        elif sm["idle"] > SYSMON_IDLE_CYCLES:
            sm["delay"] *= 2
        sm["delay"] = min(sm["delay"], SYSMON_MAX_DELAY)
        self.sysmon_schedule(sm["delay"])

    def retake(self):
        n = 0
        for p in self.ps:
            pd = p.sysmon
            sysretake = False
            if p.status in (P_RUNNING, P_SYSCALL):
                if pd[0] != p.schedtick:
                    pd[0], pd[1] = p.schedtick, self.now
                elif pd[1] + FORCE_PREEMPT_NS <= self.now:
                    self.preemptone(p)
                    sysretake = True
            if p.status == P_SYSCALL:
                if not sysretake and pd[2] != p.syscalltick:
                    pd[2], pd[3] = p.syscalltick, self.now
                    continue
                if (self.q.runqempty(p.id) and self.nmspinning + self.npidle() > 0
                        and pd[3] + RETAKE_SYSCALL_NS > self.now):
                    continue
                p.status = P_IDLE
                n += 1
                p.syscalltick += 1
                self.handoffp(p)
        return n

    def preemptone(self, p):
        """preemptone (§4.7): ask the P's G to stop; signal it if async is on."""
        m = p.m
        if m is None or m.curg is None:
            return False
        g = m.curg
        g.preempt = True
        self.log(EV_PREEMPT, m=m, p=p, g=g, arg=int(self.async_preempt))
        if g.burst_end > self.now and (g.preemptible or self.async_preempt):
            # At its next function call, or at once by SIGURG; either way the
            # G's work stops now and its M pays the cost (gopreempt).
            self.push(self.now, E_PREEMPT, m.id, m.gen)
        return True

    def async_preempt_arrives(self, m, gen):
        """The preemption takes effect if the same CPU burst is still running."""
        g = m.curg
        if gen != m.gen or g is None or not g.preempt or m.phase != PH_RUN or g.burst_end <= self.now:
            return
        g.remaining = g.burst_end - self.now
        g.burst_end = -1
        m.gen += 1                                        # cancel the burst's end
        self.gopreempt(m, g, self.costs.gosched if g.preemptible else self.costs.preempt_signal)

    # ------------------------------------------------------------ deadlock (§3.12)

    def checkdead(self):
        run = len(self.ms) - len(self.midle) - 1          # sysmon is nmsys
        if run > 0:
            return
        if self.until == "all" and self.live == 0:
            return
        waiting = 0
        for g in self.gs:
            if g.status in (G_RUNNABLE, G_RUNNING, G_SYSCALL):
                raise AssertionError("checkdead: runnable g")
            waiting += g.status == G_WAITING
        if waiting == 0:
            raise Deadlock("no goroutines (main called runtime.Goexit) - deadlock!")
        if any(p.timers for p in self.ps) or self.io_waiters:
            return
        rows = [(g.goid, g.status, g.waitreason, g.since, g.program)
                for g in self.gs if g.status != G_DEAD]
        raise Deadlock("all goroutines are asleep - deadlock!",
                       goroutine_dump(rows, self.now, self.program_names))

    # ------------------------------------------------------------ checking mode

    def check_invariants(self):
        """Every G is in exactly one place; the scheduler's own assertions hold (§9)."""
        where = {}

        def put(g, place):
            assert g not in where, f"G{g} is both {where[g]} and {place}"
            where[g] = place

        for p in self.ps:
            for gi in self.q.runq(p.id):
                put(gi, f"runq of P{p.id}")
            if self.q.runnext(p.id) is not None:
                put(self.q.runnext(p.id), f"runnext of P{p.id}")
            for _, _, g in p.timers:
                put(g.idx, f"a timer of P{p.id}")
        for gi in self.q.global_runq():
            put(gi, "the global queue")
        for m in self.ms:
            if m.curg is not None:
                put(m.curg.idx, f"running on M{m.id}")
            if m.nextg is not None:
                put(m.nextg.idx, f"in M{m.id}'s hand")
            if m.spinning:
                assert (m.p or m.nextp) is not None, "a spinning M holds a P (or is about to)"
        for ch in self.chans:
            for g in list(ch.recvq) + list(ch.sendq):
                put(g.idx, "a channel queue")
        for wg in self.wgs:
            for g in wg.waiters:
                put(g.idx, "a WaitGroup")
        for g in self.io_ready:
            put(g.idx, "the netpoller's ready list")
        io_pending = sum(1 for g in self.gs if g.status == G_WAITING and g.waitreason == WAIT_IO)
        assert io_pending == self.io_waiters, "netpoll waiter count"
        for g in self.gs:
            if g.status == G_DEAD or (g.status == G_WAITING and g.waitreason == WAIT_IO
                                      and g.idx not in where):
                assert g.idx not in where or g.status != G_DEAD, f"dead G{g.idx} is queued"
                continue
            assert g.idx in where, f"G{g.idx} (status {g.status}) is nowhere"
        assert self.nmspinning == sum(m.spinning for m in self.ms), "nmspinning"
        assert all(p.status == P_IDLE for p in self.pidle), "an idle-list P is not idle"
        assert len(set(map(id, self.pidle))) == len(self.pidle), "a P is on the idle list twice"
        for p in self.ps:
            if p.status == P_RUNNING:
                assert p.m is not None and p.m.p is p, f"P{p.id} running without its M"

    # ------------------------------------------------------------ output

    def schedtrace_line(self):
        """schedtrace's non-detailed line, Go 1.25 format (§6.2, §6.3)."""
        rings = " ".join(str(self.q.runqsize(p.id)) for p in self.ps)
        ticks = "".join(f"{p.schedtick} " for p in self.ps)
        idle_ms = len(self.midle)
        return (f"SCHED {(self.now - self.sysmon['starttime']) // 1_000_000}ms: "
                f"gomaxprocs={self.nprocs} "
                f"idleprocs={self.npidle()} threads={len(self.ms)} "
                f"spinningthreads={self.nmspinning} needspinning={self.needspinning} "
                f"idlethreads={idle_ms} runqueue={self.q.globrunqsize()} [ {rings} ] "
                f"schedticks=[ {ticks}]")

    def result(self):
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
        return {
            # until main exits; with until="all", until the last G exits
            "makespan_ns": self.now if self.until == "all" else getattr(self, "makespan", self.now),
            "now": self.now,
            "events": np.array(self.events, dtype=np.int64).reshape(-1, 6),
            "counters": dict(self.counters),
            "monitor": self.samples,
            "snapshot": self.snapshot,
            "goroutines": [(g.goid, 0 if g.parent < 0 else self.gs[g.parent].goid, g.program,
                            g.created, g.first_run, g.finished,
                            g.runnable_ns, g.running_ns, g.preemptions, g.steals,
                            g.status, g.waitreason, g.stack) for g in self.gs],
            "procs": [(p.id, p.busy_ns, p.schedtick, p.steals, p.idle_ns) for p in self.ps],
            "schedtrace": list(self.schedtrace),
            "sched_latencies": np.array(self.lat_counts, dtype=np.uint64),
            "sched_latency_sum": self.lat_sum,
            "heap_slots": self.heap_cap,             # event-heap memory, for tests
        }
