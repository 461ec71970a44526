# Timers (§3.2 step 3, time.Sleep): each P's binary heap of (when, seq, G),
# run by the M that checks them.  Reference: gmpcore/reference/timers.py.
# (Go 1.23+ channel timers, tickers and AfterFunc join this file.)
#
# Contract: add_timer wakes the netpoller when the new timer is the
# earliest (wakeNetPoller); check_timers readies each expired G into the
# checking P's runnext and charges timer_fire to the checking M.


cdef int timer_push(BinHeap* h, int64_t when, int64_t seq, gid_t g) noexcept nogil:
    cdef Event t
    t.when = when
    t.seq = seq
    t.gen = 0
    t.who = g
    t.kind = 0
    return bheap_push(h, &t)


cdef gid_t timer_pop(BinHeap* h) noexcept nogil:
    cdef Event t
    bheap_pop(h, &t)
    return t.who


cdef int add_timer(Engine* e, int32_t p, int64_t when, gid_t g) noexcept nogil:
    cdef BinHeap* th = &e.ps[p].timers
    cdef bint wake = th.n == 0 or when < th.a[0].when
    if when >= TIME_LIMIT:
        return fail(e, ERR_OVERFLOW, "virtual time exceeds 2**62 ns")
    e.seq += 1
    if timer_push(th, when, e.seq, g) < 0:
        return nomem(e)
    e.netpoll_inited = True
    if wake:
        return wake_net_poller(e, when)
    return 0


cdef int64_t check_timers(Engine* e, int32_t m, int32_t p, int32_t readier) noexcept nogil:
    """Run `p`'s expired timers on M `m`; each readies its G into
    `readier`'s runnext.

    Returns how many ran, or -1 on error."""
    cdef BinHeap* th = &e.ps[p].timers
    cdef int64_t ran = 0
    cdef gid_t g
    while th.n and th.a[0].when <= e.now:
        g = timer_pop(th)
        log_ev(e, EV_TIMER, -1, p, g, -1)
        e.n_timers += 1
        if ready(e, g, readier) < 0:
            return -1
        e.ms[m].debt += drawn(e, &e.c.timer_fire)
        e.ms[m].debt += drawn(e, &e.c.ready)
        ran += 1
    return ran


cdef int wake_net_poller(Engine* e, int64_t when) noexcept nogil:
    """wakeNetPoller (§3.6)."""
    if e.lastpoll == 0:
        if e.poll_until == 0 or e.poll_until > when:
            return netpoll_break(e)
        return 0
    return wakep(e)
