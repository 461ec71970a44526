# sync.RWMutex (Go 1.25 sync/rwmutex.go) and sync.Cond's notifyList
# (sync/cond.go, runtime/sema.go notifyList*), on the runtime semaphore
# (sema.go semacquire1/semrelease1, lifo false, no hand-off).
# Reference: gmpcore/reference/rwmutex.py.
#
# Contract: an RWMutex's w is a sync.Mutex run by _engine_mutex.pxi (RWLOCK
# b=0 is rw.w.Lock(), RWUNLOCK b=1 rw.w.Unlock()).  readerCount and
# readerWait are Go's int32 words.  A G parked on writerSem or readerSem has
# GSync.sema set and its pc moved back: woken, it re-runs the instruction,
# which takes the count or queues again at the tail (a newcomer may have
# taken it).  Cond.Wait is NOTIFY_ADD, the locker's unlock, NOTIFY_WAIT, the
# locker's lock; the ticket waits in GSync.ticket between the first two.


cdef GSync* gsync_local(Engine* e, gid_t g) noexcept nogil:
    # e.gsy[g], growing the table (zeroed) on first use; NULL if out of memory.
    cdef int64_t ncap
    cdef GSync* nl
    if g >= e.gsy_cap:
        ncap = e.gsy_cap * 2 if e.gsy_cap else 64
        while ncap <= g:
            ncap *= 2
        nl = <GSync*>realloc(e.gsy, <size_t>ncap * sizeof(GSync))
        if nl == NULL:
            return NULL
        memset(nl + e.gsy_cap, 0, <size_t>(ncap - e.gsy_cap) * sizeof(GSync))
        e.gsy = nl
        e.gsy_cap = ncap
    return &e.gsy[g]


cdef inline int32_t add32(int32_t x, int64_t d) noexcept nogil:
    # atomic.AddInt32's wrap-around (in uint32, narrowed as two's complement).
    return <int32_t><uint32_t>(<uint64_t><int64_t>x + <uint64_t>d)


cdef int semacquire_rw(Engine* e, int32_t m, gid_t g, Sema* s, int64_t reason, int64_t cost) noexcept nogil:
    """semacquire1 (lifo false): take the count, or queue at the tail and park."""
    cdef GSync* loc = gsync_local(e, g)
    if loc == NULL:
        return nomem(e)
    if s.count > 0:                                 # cansemacquire
        s.count -= 1
        loc.sema = 0
        return resume(e, m, e.now + cost, PH_RUN)
    if gq_push_back(&s.q, g) < 0:
        return nomem(e)
    loc.sema = 1
    e.g.a[g].pc -= 1
    return park(e, m, g, reason, cost)


cdef int semrelease_rw(Engine* e, int32_t m, Sema* s, int64_t* cost) noexcept nogil:
    """semrelease1 (handoff false): one more count; the head waiter is
    readied into our runnext."""
    s.count += 1
    if s.q.size:
        if ready(e, gq_pop_front(&s.q), e.ms[m].p) < 0:
            return -1
        cost[0] += drawn(e, &e.c.ready)
    return 0


cdef inline bint rw_woken(Engine* e, gid_t g) noexcept nogil:
    return g < e.gsy_cap and e.gsy[g].sema != 0


cdef int RLock(Engine* e, int32_t m, gid_t g, RWMutex* rw) noexcept nogil:
    """RWMutex.RLock: readerCount + 1; negative means a writer is pending:
    wait on readerSem."""
    if rw_woken(e, g):
        return semacquire_rw(e, m, g, &rw.readerSem, WAIT_SYNC_RWMUTEX_RLOCK, drawn(e, &e.c.rwmutex_rlock))
    rw.readerCount = add32(rw.readerCount, 1)
    if rw.readerCount < 0:
        return semacquire_rw(e, m, g, &rw.readerSem, WAIT_SYNC_RWMUTEX_RLOCK, drawn(e, &e.c.rwmutex_rlock))
    return resume(e, m, e.now + drawn(e, &e.c.rwmutex_rlock), PH_RUN)


cdef int RUnlock(Engine* e, int32_t m, gid_t g, RWMutex* rw) noexcept nogil:
    """RWMutex.RUnlock: readerCount - 1; negative means rUnlockSlow."""
    cdef int32_t r = add32(rw.readerCount, -1)
    rw.readerCount = r
    if r < 0:
        return rUnlockSlow(e, m, g, rw, r)
    return resume(e, m, e.now + drawn(e, &e.c.rwmutex_runlock), PH_RUN)


cdef int rUnlockSlow(Engine* e, int32_t m, gid_t g, RWMutex* rw, int32_t r) noexcept nogil:
    """rUnlockSlow: fatal if it was not read-locked; the last departing
    reader releases writerSem."""
    cdef int64_t cost
    if r + 1 == 0 or r + 1 == -RWMUTEX_MAX_READERS:
        e.err_goid = e.g.a[g].goid
        return fail(e, ERR_FATAL, "sync: RUnlock of unlocked RWMutex")
    cost = drawn(e, &e.c.rwmutex_runlock)
    rw.readerWait = add32(rw.readerWait, -1)
    if rw.readerWait == 0:
        if semrelease_rw(e, m, &rw.writerSem, &cost) < 0:
            return -1
    return resume(e, m, e.now + cost, PH_RUN)


cdef int rwLock(Engine* e, int32_t m, gid_t g, RWMutex* rw, int64_t step) noexcept nogil:
    """RWMutex.Lock: step 0 is rw.w.Lock(); step 1 announces the writer
    (readerCount - rwmutexMaxReaders) and waits on writerSem for the
    readers still inside."""
    cdef int32_t r
    if step == 0:
        return Lock(e, m, g, &rw.w)
    if rw_woken(e, g):
        return semacquire_rw(e, m, g, &rw.writerSem, WAIT_SYNC_RWMUTEX_LOCK, drawn(e, &e.c.rwmutex_rlock))
    rw.readerCount = add32(rw.readerCount, -RWMUTEX_MAX_READERS)
    r = add32(rw.readerCount, RWMUTEX_MAX_READERS)
    if r != 0:
        rw.readerWait = add32(rw.readerWait, r)
        if rw.readerWait != 0:
            return semacquire_rw(e, m, g, &rw.writerSem, WAIT_SYNC_RWMUTEX_LOCK, drawn(e, &e.c.rwmutex_rlock))
    return resume(e, m, e.now + drawn(e, &e.c.rwmutex_rlock), PH_RUN)


cdef int rwUnlock(Engine* e, int32_t m, gid_t g, RWMutex* rw, int64_t step) noexcept nogil:
    """RWMutex.Unlock: step 0 announces no writer (readerCount +
    rwmutexMaxReaders; fatal if none was there) and releases readerSem once
    per reader that queued; step 1 is rw.w.Unlock()."""
    cdef int32_t r, i
    cdef int64_t cost
    if step == 1:
        return Unlock(e, m, g, &rw.w)
    r = add32(rw.readerCount, RWMUTEX_MAX_READERS)
    rw.readerCount = r
    if r >= RWMUTEX_MAX_READERS:
        e.err_goid = e.g.a[g].goid
        return fail(e, ERR_FATAL, "sync: Unlock of unlocked RWMutex")
    cost = drawn(e, &e.c.rwmutex_runlock)
    for i in range(r):
        if semrelease_rw(e, m, &rw.readerSem, &cost) < 0:
            return -1
    return resume(e, m, e.now + cost, PH_RUN)


cdef int notifyListAdd(Engine* e, int32_t m, gid_t g, Cond* c) noexcept nogil:
    """notifyListAdd: the ticket is wait's old value; wait + 1."""
    cdef GSync* loc = gsync_local(e, g)
    if loc == NULL:
        return nomem(e)
    loc.ticket = c.wait
    c.wait += 1
    return resume(e, m, e.now + drawn(e, &e.c.cond_op), PH_RUN)


cdef int notifyListWait(Engine* e, int32_t m, gid_t g, Cond* c) noexcept nogil:
    """notifyListWait(t): return at once if t was notified already
    (less(t, notify), wrap-around safe); else join the list and park."""
    cdef GSync* loc = gsync_local(e, g)
    if loc == NULL:
        return nomem(e)
    if <int32_t>(<uint32_t>loc.ticket - c.notify) < 0:
        return resume(e, m, e.now + drawn(e, &e.c.cond_op), PH_RUN)
    if gq_push_back(&c.waiters, g) < 0:
        return nomem(e)
    return park(e, m, g, WAIT_SYNC_COND_WAIT, drawn(e, &e.c.cond_op))


cdef int notifyListNotifyOne(Engine* e, int32_t m, gid_t g, Cond* c) noexcept nogil:
    """Cond.Signal: nothing if wait == notify; else ticket notify (the
    oldest) is notified: its waiter, if already parked, is unlinked and
    readied; one not yet parked will see the ticket and not park."""
    cdef uint32_t t
    cdef uint64_t i, j, mask
    cdef gid_t w
    cdef int64_t cost = drawn(e, &e.c.cond_op)
    if c.wait == c.notify:
        return resume(e, m, e.now + cost, PH_RUN)
    t = c.notify
    c.notify += 1
    mask = c.waiters.cap - 1
    for i in range(c.waiters.size):
        w = gq_at(&c.waiters, i)
        if <uint32_t>e.gsy[w].ticket == t:
            for j in range(i, c.waiters.size - 1):   # unlink: close the gap
                c.waiters.buf[(c.waiters.head + j) & mask] = c.waiters.buf[(c.waiters.head + j + 1) & mask]
            c.waiters.size -= 1
            if ready(e, w, e.ms[m].p) < 0:
                return -1
            cost += drawn(e, &e.c.cond_waiter)
            break
    return resume(e, m, e.now + cost, PH_RUN)


cdef int notifyListNotifyAll(Engine* e, int32_t m, gid_t g, Cond* c) noexcept nogil:
    """Cond.Broadcast: notify = wait; every parked waiter is readied in
    the list's order."""
    cdef int64_t cost = drawn(e, &e.c.cond_op)
    if c.wait == c.notify:
        return resume(e, m, e.now + cost, PH_RUN)
    c.notify = c.wait
    while c.waiters.size:
        if ready(e, gq_pop_front(&c.waiters), e.ms[m].p) < 0:
            return -1
        cost += drawn(e, &e.c.cond_waiter)
    return resume(e, m, e.now + cost, PH_RUN)
