"""The scheduler core (§3): idle P and M lists, Ms starting, stopping and
spinning, readying and parking Gs, schedule/findRunnable/stealWork, checkdead.

Compiled twin: gmpcore/_engine_sched.pxi.  Every M step ends in resume()
(a future event) or with the M parked on midle.
"""

from gmpcore.errors import Deadlock, GoThrow, ThreadExhaustion, goroutine_dump
from gmpcore.events import (
    EV_HANDOFF,
    EV_M_PARK,
    EV_M_WAKE,
    EV_NETPOLL,
    EV_READY,
    EV_SPILL,
    EV_SPIN,
    EV_STEAL,
    EV_STOP,
    EV_THREAD_CREATE,
    EV_WAIT,
    G_DEAD,
    G_RUNNABLE,
    G_RUNNING,
    G_SYSCALL,
    G_WAITING,
    P_IDLE,
    P_RUNNING,
    STOP_PARK,
    WAIT_NONE,
)
from gmpcore.model import NETPOLL_RESOLUTION, RUNNEXT_BACKOFF
from gmpcore.reference.common import (
    E_M,
    OFF_CPU_PHASES,
    PH_BACKOFF,
    PH_EXECUTE,
    PH_IDLE,
    PH_NETPOLL,
    PH_SCHEDULE,
    PH_START,
    PH_STEAL,
)
from gmpcore.reference.cpu import T_ON, Thread
from gmpcore.results import COUNTER_MAX


class M:
    __slots__ = ("id", "p", "curg", "spinning", "phase", "nextp", "oldp", "syscalltick",
                 "gen", "nextg", "next_inherit", "steal", "was_spinning", "poll_until",
                 "created", "debt", "t", "lockedg", "locked_ext", "locked_int", "spin_since")

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
        self.spin_since = None       # when its current spin started on-CPU (spinning_ns)
        self.debt = 0                # ns of timer/netpoll work to add to its next step
        self.t = Thread(mid)         # what the OS knows of it (reference/cpu.py)
        self.lockedg = None          # the G wired to it (LockOSThread), or LOCKEDG_EXIT
        self.locked_ext = 0          # m.lockedExt
        self.locked_int = 0          # m.lockedInt: runtime.main's lockOSThread during the inits


class P:
    __slots__ = ("id", "status", "m", "schedtick", "syscalltick", "sysmon", "timers",
                 "goidcache", "goidcacheend", "busy_ns", "idle_ns", "idle_since", "steals",
                 "gfree", "tzombies", "tmin_modified", "lifo_streak", "lifo_tick")

    def __init__(self, pid):
        self.id = pid
        self.status, self.m = P_IDLE, None
        self.schedtick = self.syscalltick = 0
        self.lifo_streak = 0         # Gs run in a row from runnext (Policy.lifo_limit) ...
        self.lifo_tick = 0           # ... counted while schedtick is still this
        self.sysmon = [0, 0, 0, 0]   # sysmontick: schedtick, schedwhen, syscalltick, syscallwhen
        self.timers = []             # heap of (when, seq, G or Timer, TE_SLEEP or TE_TIMER)
        self.tzombies = 0            # timers.zombies
        self.tmin_modified = 0       # timers.minWhenModified, 0 none
        self.goidcache = self.goidcacheend = 0
        self.busy_ns = self.idle_ns = 0
        self.idle_since = 0
        self.steals = 0
        self.gfree = []              # gFree: dead Gs kept for reuse, True = with its stack


class SchedCore:
    """RefEngine's the scheduler core (§3): idle P and M lists, Ms starting, stopping and"""

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

    def resume(self, m, when, phase):
        """The M does `phase` at `when` (it is busy until then), plus any CPU
        it spent meanwhile running timers or polling the network."""
        m.phase = phase
        m.gen += 1
        when += m.debt
        m.debt = 0
        if self.cpu_on and when > self.now and phase in OFF_CPU_PHASES and m.t.state == T_ON:
            self.cpu_release(m.t)                  # it sleeps, blocks or waits off-CPU
        m.t.due = when
        self.push(when, E_M, m.id, m.gen)

    def newm(self, p, spinning):
        """newm (§3.6): a new thread that will start with nextp = p.  Asked
        for on a locked M, the template thread clones it: it wakes first."""
        delay = self.draw_cost("thread_create")
        if self.cur_m is not None and self.cur_m.locked_ext != 0:
            delay += self.draw_cost("thread_wake")
        if len(self.ms) >= self.max_threads:
            raise ThreadExhaustion(self.max_threads)
        m = M(len(self.ms), self.now)
        self.ms.append(m)
        self.counters["threads"] += 1
        m.nextp, m.spinning = p, spinning
        self.log(EV_THREAD_CREATE, m=m, p=p)
        self.resume(m, self.now + delay, PH_START)
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
        self.counters["thread_wakes"] += 1
        self.log(EV_M_WAKE, m=m, p=p, arg=int(spinning))
        self.resume(m, self.now + self.draw_cost("thread_wake"), PH_START)

    def stopm(self, m):
        """stopm (§3.6): park the M on the idle list until someone hands it a P."""
        assert m.p is None, "stopm holding p"
        assert not m.spinning, "stopm spinning"
        m.phase = PH_IDLE
        m.gen += 1
        m.debt = 0                  # poll/timer work before parking delays no later wake
        if self.cpu_on:
            self.cpu_release_m(m)
        self.midle.append(m)
        self.log(EV_M_PARK, m=m)
        self.checkdead()

    def wakep(self):
        """wakep (§3.5): start one more spinning M if there is an idle P and none spins."""
        if self.nmspinning >= self.wake_max_spinning:   # Go's: != 0 (Policy.wakeup)
            return
        self.nmspinning += 1
        p = self.pidlegetSpinning()
        if p is None:
            self.nmspinning -= 1
            return
        self.counters["spinning"] += 1
        self.startm(p, True)

    def spin_clock_start(self, m):
        """The M runs spinning: spinning_ns gets now - start when it stops.
        (The compiled engine subtracts the start from the counter at once
        and keeps only a flag in MRec; the sum is the same.)"""
        m.spin_since = self.now

    def spin_clock_stop(self, m):
        """The M stops spinning: add the spin's length to spinning_ns."""
        if m.spin_since is not None:
            self.counters["spinning_ns"] += self.now - m.spin_since
            m.spin_since = None

    def become_spinning(self, m):
        m.spinning = True
        self.spin_clock_start(m)
        self.nmspinning += 1
        self.needspinning = 0
        self.counters["spinning"] += 1
        self.log(EV_SPIN, m=m, p=m.p, arg=1)

    def reset_spinning(self, m):
        """resetspinning (§3.1 step 6): the spinner found work; wake another."""
        m.spinning = False
        self.spin_clock_stop(m)
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
        if self.gcwaiting:                       # the STW takes the P (§1.4)
            self.p_gcstopped(p)
            return
        if self.npidle() == self.nprocs - 1 and self.lastpoll != 0:
            self.startm(p, False)
            return
        self.pidleput(p)
        if p.timers:
            self.wake_net_poller(self.timers_wake_time(p))

    def ready(self, g, p):
        """ready / goready (§5.3): into `p`'s runnext, then wakep."""
        assert g.status == G_WAITING, "bad g->status in ready"
        g.status, g.waitreason = G_RUNNABLE, WAIT_NONE
        g.since = self.now
        self.log(EV_READY, p=p, g=g)
        self.runqput(p, g, True)
        self.wakep()

    def runnext_allowed(self, p):
        """runnext off, or Policy.lifo_limit: after that many Gs in a row ran
        from this P's runnext (in the current slice's run), to the tail."""
        if not self.q.sysmon:
            return False
        return p.lifo_tick != p.schedtick or p.lifo_streak < self.policy.lifo_limit

    def runqput(self, p, g, next_):
        before = self.q.globrunqsize()
        if next_ and not self.use_runnext:
            next_ = self.runnext_allowed(p)
        self.q.runqput(p.id, g.idx, next_)
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
        self.resume(m, self.now + extra + self.draw_cost("park"), PH_SCHEDULE)

    def schedule(self, m):
        if m.lockedg is not None:
            return self.schedule_locked(m)           # stoplockedm, or mexit after its G
        p = m.p
        if m.spinning:
            assert self.q.runqempty(p.id), "schedule: spinning with local work"
        self.find_runnable(m)

    def runnext_run(self, p):
        """g comes from runnext under Policy.lifo_limit or runnext_inherit off:
        count it in the P's streak, which a new slice ends (execute bumps
        schedtick); without inheritance it starts one itself.  Returns whether
        it inherits the time slice."""
        if p.lifo_tick != p.schedtick:
            p.lifo_streak = 0
        p.lifo_streak += 1
        p.lifo_tick = p.schedtick + (0 if self.policy.runnext_inherit else 1)
        return self.policy.runnext_inherit

    def found(self, m, g, inherit):
        """findRunnable returned g: resetspinning, then execute after the switch cost."""
        if m.spinning:
            self.reset_spinning(m)
        m.nextg, m.next_inherit = g, inherit
        cost = self.draw_cost("schedule")
        cost += self.cold_switch_ns()
        self.resume(m, self.now + cost, PH_EXECUTE)

    def global_check_due(self, p):
        # Policy.global_check_interval (Go: schedtick % 61 == 0); 0 never.
        every = self.policy.global_check_interval
        return every != 0 and p.schedtick % every == 0

    def find_runnable(self, m):
        if self.gcwaiting:                       # top: a STW wants our P (§1.4)
            return self.gcstopm(m)
        p = m.p
        # 3. This P's expired timers (they ready Gs into our runnext).
        self.check_timers(m, p, p)
        # 6. Fairness: every 61st schedtick, one G from the global queue.
        if self.global_check_due(p) and self.q.globrunqsize():
            gi = self.q.globrunqget(p.id, 1)
            return self.found(m, self.gs[gi], False)
        # 8. Local run queue.
        got = self.q.runqget(p.id)
        if got is not None:
            inherit = got[1]
            if inherit and self.runnext_special:
                inherit = self.runnext_run(p)
            return self.found(m, self.gs[got[0]], inherit)
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
        if m.spinning or self.policy.spin_factor * self.nmspinning < self.nprocs - self.npidle():
            if not m.spinning:
                self.become_spinning(m)
            search = self.draw_cost("steal_attempt") * (self.nprocs - 1)
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
                if self.gcwaiting and st["backed_off"] is None:
                    m.steal = None
                    return self.find_runnable(m)  # newWork: back to the top, which stops (§1.4)
                victim = self.ps[enum[0]]
                if victim is not p:
                    if last and victim.timers and st["timers_at"] != enum[2]:
                        st["timers_at"] = enum[2]     # not again after a back-off
                        if self.check_timers(m, victim, p):
                            got = self.q.runqget(p.id)
                            if got is not None:
                                m.steal = None
                                inherit = got[1]
                                if inherit and self.runnext_special:
                                    inherit = self.runnext_run(p)
                                return self.found(m, self.gs[got[0]], inherit)
                            st["ran_timer"] = True
                        w = self.timers_wake_time(victim)
                        if w:
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
                        if (last and self.q.steal_amount(self.q.runqsize(victim.id)) == 0
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
        if self.gcwaiting:                       # the re-check under sched.lock (§1.4)
            return self.find_runnable(m)
        w = self.timers_wake_time(p)
        if w and (poll_until == 0 or w < poll_until):
            poll_until = w
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
            self.spin_clock_stop(m)
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
                w = self.timers_wake_time(p2)
                if w and (poll_until == 0 or w < poll_until):
                    poll_until = w
        # 16. Block in netpoll until I/O or the earliest timer.
        if self.netpoll_inited and (self.io_waiters or poll_until) and self.lastpoll != 0:
            self.lastpoll = 0
            self.poll_until = poll_until
            self.poller = m
            m.was_spinning = was_spinning
            m.phase = PH_NETPOLL
            m.gen += 1
            m.debt = 0
            if self.cpu_on and not self.io_ready:
                self.cpu_release_m(m)              # blocked in epoll_wait
            if self.io_ready:
                self.resume(m, self.now, PH_NETPOLL)
            elif poll_until:
                # epoll_wait takes whole milliseconds: under 1 ms waits 1 ms,
                # longer delays are rounded down; an early wake polls again.
                # The timeout's expiry comes late by the timer slack and the
                # idle CPU's wake-up (timer_wake).
                delay = max(poll_until - self.now, 0)
                if delay:
                    delay = NETPOLL_RESOLUTION if delay < NETPOLL_RESOLUTION else \
                        delay - delay % NETPOLL_RESOLUTION
                    delay += self.draw_cost("timer_wake")
                self.push(self.now + delay, E_M, m.id, m.gen)
            return
        if poll_until and self.lastpoll == 0 and (self.poll_until == 0 or poll_until < self.poll_until):
            self.netpoll_break()
        self.stopm(m)

    def checkdead(self):
        # mcount - nmidle - nmidlelocked - nmsys (sysmon, the template thread)
        run = (len(self.ms) - self.nmfreed) - len(self.midle) - self.nmidlelocked - self.nmsys
        if run > 0:
            return
        if run < 0:
            raise GoThrow("checkdead: inconsistent counts")
        if self.until == "all" and self.live == self.n_sys and not self.main_goexit:
            return
        waiting = 0
        for g in self.gs:
            if g.system:                             # Go skips isSystemGoroutine
                continue
            if g.status in (G_RUNNABLE, G_RUNNING, G_SYSCALL):
                raise AssertionError("checkdead: runnable g")
            waiting += g.status == G_WAITING
        if waiting == 0:
            raise Deadlock("no goroutines (main called runtime.Goexit) - deadlock!")
        if any(p.timers for p in self.ps) or self.io_waiters:
            return
        rows = [(g.goid, g.status, g.waitreason, g.since, g.program)
                for g in self.gs if g.status != G_DEAD and not g.system]   # Go hides the runtime's
        raise Deadlock("all goroutines are asleep - deadlock!",
                       goroutine_dump(rows, self.now, self.program_names))
