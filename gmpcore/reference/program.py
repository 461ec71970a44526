"""Running goroutines: execute, the bytecode interpreter, and how a G leaves
its M (goexit, gosched, gopreempt) or grows its stack.

Compiled twin: gmpcore/_engine_program.pxi.
"""

from gmpcore.errors import StackOverflow, WorkloadPanic
from gmpcore.events import (
    CAUSE_USER,
    EV_RUN,
    G_DEAD,
    G_RUNNABLE,
    G_RUNNING,
    STOP_EXIT,
    STOP_GOSCHED,
    STOP_PREEMPT,
    WAIT_IO,
    WAIT_SELECT_NO_CASES,
    WAIT_SLEEP,
    WAIT_WAITGROUP,
)
from gmpcore.latency import bucket_index
from gmpcore.model import STACK_MIN, ZERO_TIME_BUDGET
from gmpcore.reference.common import (
    CHOICE_ONE,
    E_IO,
    LOCKEDG_EXIT,
    OP_AFTER,
    OP_BLOCK,
    OP_CHOICE,
    OP_CLOSE,
    OP_CPU,
    OP_ENDLOOP,
    OP_ENDRANGE,
    OP_EXIT,
    OP_GO,
    OP_GOEXIT,
    OP_GOMAXPROCS,
    OP_GOSCHED,
    OP_LOCK,
    OP_LOCKOSTHREAD,
    OP_LOOP,
    OP_LOOPDRAW,
    OP_NETWAIT,
    OP_NOTIFY,
    OP_NOTIFY_ADD,
    OP_NOTIFY_WAIT,
    OP_PANIC,
    OP_RANGE,
    OP_RECV,
    OP_RLOCK,
    OP_RT_LOCK,
    OP_RUNLOCK,
    OP_RWLOCK,
    OP_RWUNLOCK,
    OP_SELECT,
    OP_SELEND,
    OP_SEND,
    OP_SLEEP,
    OP_SPAN_BEGIN,
    OP_SPAN_END,
    OP_SPAN_RECV_END,
    OP_STACK,
    OP_SYSCALL,
    OP_TIMER_RESET,
    OP_UNLOCK,
    OP_UNLOCKOSTHREAD,
    OP_UPDATE_DONE,
    OP_WG_ADD,
    OP_WG_WAIT,
    PH_RUN,
    PH_SCHEDULE,
)
from gmpcore.results import COUNTER_MAX


class Goroutines:
    """RefEngine's running goroutines: execute, the bytecode interpreter, and how a G leaves"""

    def execute(self, m, g, inherit):
        """execute (§3.4): a new time slice unless inheritTime."""
        if g.lockedm is not None and g.lockedm is not m:
            return self.startlockedm(m, g)           # wired to another M: hand it our P
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
                return self.gopreempt(m, g, self.draw_cost("gosched"))
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
                cost = self.gfget(p)
                self.newproc(p, g, a)
                cost += self.draw_cost("newproc")
                self.resume(m, self.now + cost, PH_RUN)
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
                return self.gosched(m, g, STOP_GOSCHED, self.draw_cost("gosched"))
            if op == OP_SEND:
                return self.chansend(m, g, a, b)
            if op == OP_RECV:
                return self.chanrecv(m, g, a)
            if op == OP_WG_ADD:
                return self.wg_add(m, g, self.wgs[a], b)
            if op == OP_WG_WAIT:
                wg = self.wgs[a]
                if wg.counter == 0:
                    self.resume(m, self.now + self.draw_cost("wg_op"), PH_RUN)
                    return
                wg.waiters.append(g)
                return self.park(m, g, WAIT_WAITGROUP, self.draw_cost("wg_op"))
            if op == OP_SLEEP:
                d = self.sample(a)
                if d <= 0:                           # timeSleep returns at once
                    continue
                self.add_timer(p, self.now + d, g)
                return self.park(m, g, WAIT_SLEEP, self.draw_cost("timer_add"))
            if op == OP_NETWAIT:
                d = self.sample(a)
                self.netpoll_inited = True
                self.io_waiters += 1
                self.push(self.now + d, E_IO, g.idx)
                return self.park(m, g, WAIT_IO)
            if op == OP_SYSCALL:
                return self.entersyscall(m, g, self.sample(a), bool(b))
            if op == OP_GOMAXPROCS:
                # runtime.GOMAXPROCS(a) (§1.3): a <= 0 only reads it; otherwise
                # custom from now on, and a STW unless a is the current value
                # (remaining >= 0: woken from gcsema, the check was done).
                if a <= 0:
                    continue
                if g.remaining < 0:
                    self.custom = True
                    if a == self.nprocs:
                        continue
                return self.gomaxprocs_stw(m, g, a, CAUSE_USER)
            if op == OP_LOCKOSTHREAD:
                self.LockOSThread(m, g)
                continue
            if op == OP_UNLOCKOSTHREAD:
                self.UnlockOSThread(m, g)
                continue
            if op == OP_CLOSE:
                return self.closechan(m, g, a)
            if op == OP_RANGE:
                # v, ok := <-ch; if !ok, leave the loop (closed and drained).
                ch = self.chans[a]
                if ch.closed and ch.count == 0:
                    g.pc = c
                    if self.stamps_on:
                        self.stamp_in(g, 0, 0, 0)
                    self.resume(m, self.now + self.draw_cost("chan_op"), PH_RUN)
                    return
                return self.chanrecv(m, g, a)
            if op == OP_ENDRANGE:
                g.pc = a
                continue
            if op == OP_LOCK:
                return self.Lock(m, g, self.mutexes[a])
            if op == OP_UNLOCK:
                return self.Unlock(m, g, self.mutexes[a])
            if op == OP_RLOCK:
                return self.RLock(m, g, self.rwmutexes[a])
            if op == OP_RUNLOCK:
                return self.RUnlock(m, g, self.rwmutexes[a])
            if op == OP_RWLOCK:
                return self.rwLock(m, g, self.rwmutexes[a], b)
            if op == OP_RWUNLOCK:
                return self.rwUnlock(m, g, self.rwmutexes[a], b)
            if op == OP_NOTIFY_ADD:
                return self.notifyListAdd(m, g, self.conds[a])
            if op == OP_NOTIFY_WAIT:
                return self.notifyListWait(m, g, self.conds[a])
            if op == OP_NOTIFY:
                if b:
                    return self.notifyListNotifyAll(m, g, self.conds[a])
                return self.notifyListNotifyOne(m, g, self.conds[a])
            if op == OP_CHOICE:
                # A zero-time test: a == 0 jumps and a == 2**53 falls through without
                # a draw; otherwise random() = k / 2**53 exactly, so k < a is exact.
                if a == 0 or (a < CHOICE_ONE and int(self.rng.random() * CHOICE_ONE) >= a):
                    g.pc = c
                continue
            if op == OP_LOOPDRAW:
                # OP_LOOP with the count drawn when the loop starts.
                n = self.sample(a)
                if n == 0:
                    g.pc = c
                else:
                    g.loops[b] = n
                continue
            if op == OP_GOEXIT:
                if g.idx == 0:
                    self.main_goexit = True
                return self.goexit(m, g)
            if op == OP_PANIC:
                raise WorkloadPanic(self.panic_messages[a], g.goid)
            if op == OP_SPAN_BEGIN:
                g.loops[b] = self.now                # a span takes a level: its start time
                continue
            if op == OP_SPAN_END:
                self.span_row(a, g.goid, g.loops[b], g.goid)
                continue
            if op == OP_SPAN_RECV_END:
                # The span carried by the last value received, if it is span a.
                loc = self.gsync.get(g.idx)
                if loc is not None and loc.in_span == a + 1:
                    loc.in_span = 0
                    self.span_row(a, g.goid, loc.in_start, loc.in_goid)
                else:
                    self.spans_unstamped += 1
                continue
            if op == OP_SELECT:
                return self.selectgo(m, g, g.pc - 1)
            if op == OP_SELEND:
                g.pc = a
                continue
            if op == OP_BLOCK:
                return self.park(m, g, WAIT_SELECT_NO_CASES)  # select {}: forever
            if OP_TIMER_RESET <= op <= OP_AFTER:
                if self.run_timer_op(m, g, p, op, a, b):
                    continue
                return
            if OP_RT_LOCK <= op <= OP_UPDATE_DONE:
                # runtime.main and the runtime's goroutines (reference/runtime.py)
                if self.run_runtime_op(m, g, p, op, a):
                    continue
                return
            raise AssertionError(f"unknown opcode {op}")  # (OP_SELCASE is a select's data, never run)

    def span_row(self, name, goid, start, start_goid):
        """A span ended now: one row, or counted as dropped past max_spans."""
        if len(self.spans) >= self.max_spans:
            self.spans_dropped += 1
            return
        self.spans.append((name, goid, start, self.now, start_goid))

    def newproc(self, p, parent, program):
        """newproc (§5.1): the new G takes runnext; wakep."""
        g = self.newg(parent, program, p)
        self.runqput(p, g, True)
        self.wakep()

    def goexit(self, m, g):
        """goexit0 (§5.2)."""
        self.dropg(m, g, STOP_EXIT)
        if g.lockedm is not None:
            # gdestroy: unwire; the thread exits (mexit) instead of scheduling.
            g.lockedm = None
            m.lockedg = LOCKEDG_EXIT
        g.status = G_DEAD
        g.finished = self.now
        self.gfput(m.p, g.stack == STACK_MIN)
        self.stack_inuse -= g.stack
        loc = self.gsync.get(g.idx)
        if loc is not None:
            loc.in_span = 0                       # a reused row carries no stamp
        self.live -= 1
        if g.idx == 0 and not self.main_goexit:
            self.main_done = True
            self.makespan = self.now
        self.resume(m, self.now + self.draw_cost("goexit"), PH_SCHEDULE)

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
        self.stack_inuse += size - g.stack
        g.stack = size
