"""Boundary behaviour of the local and global run queues (go-scheduler.md §1.1, §2).

Every expectation is derived in the test from Go's rules: a 256-slot ring
with free-running uint32 counters, runnext in front of it, runqputslow moving
the 128 oldest plus the new G, stealing the larger half of the oldest, and
the global batch size min(n, size, size/gomaxprocs + 1).
"""

import numpy as np
import pytest

import gmpcore as gmp

RUNQ = 256          # len(p.runq), §1.1
HALF = RUNQ // 2    # runqputslow batch and the largest steal (§2.2, §2.7)
NIL = -1            # runnext table value for "no G" (Sched.tables docstring)
U32 = 2**32


def ceil_half(k):
    """§2.7: n - n/2, the larger half."""
    return k - k // 2


def filled(nprocs=2, k=0, p=0, base=0, **kw):
    s = gmp.Sched(nprocs, **kw)
    for g in range(base, base + k):
        s.runqput(p, g)
    return s


def snapshot(s):
    """A deep copy of all observable queue state."""
    snap = {name: np.array(view, copy=True) for name, view in s.tables.items()}
    snap["global"] = s.global_runq()
    return snap


def assert_same(a, b):
    assert a.keys() == b.keys()
    for k in a:
        np.testing.assert_array_equal(a[k], b[k], err_msg=k)


# ---------------------------------------------------------------- FIFO and runnext


def test_ring_is_fifo():
    """§2.1 step 4 appends at the tail, §2.4 takes from the head."""
    s = filled(1, 100)
    assert s.runq(0).tolist() == list(range(100))
    assert [s.runqget(0) for _ in range(100)] == [(g, False) for g in range(100)]
    assert s.runqget(0) is None


def test_global_queue_is_fifo():
    """§2.9: globrunqput / globrunqputbatch append at the tail; gets pop the head."""
    s = gmp.Sched(1)
    s.globrunqput(1)
    s.globrunqputbatch([2, 3, 4])
    s.globrunqput(5)
    assert s.global_runq().tolist() == [1, 2, 3, 4, 5]
    assert s.globrunqsize() == 5
    got = [s.globrunqget(0, max=1) for _ in range(5)]
    assert got == [1, 2, 3, 4, 5]
    assert s.globrunqget(0, max=1) is None
    assert s.globrunqsize() == 0


def test_global_queue_fifo_across_growth():
    """The unbounded global queue keeps FIFO order through many grow/wrap cycles."""
    s = gmp.Sched(1)
    expect = []
    nxt = 0
    for rnd in range(6):
        k = 50 * (rnd + 1)
        s.globrunqputbatch(np.arange(nxt, nxt + k))
        expect += list(range(nxt, nxt + k))
        nxt += k
        for _ in range(k // 2):
            assert s.globrunqget(0, max=1) == expect.pop(0)
        for _ in range(3):
            s.globrunqput(nxt)
            expect.append(nxt)
            nxt += 1
        assert s.global_runq().tolist() == expect


def test_globrunqputhead_order():
    """§2.9: globrunqputhead pushes at the head, so the last pushed runs first."""
    s = gmp.Sched(1)
    s.globrunqputbatch([10, 11])
    for g in (1, 2, 3):
        s.globrunqputhead(g)
    assert s.global_runq().tolist() == [3, 2, 1, 10, 11]
    # Head pushes and tail pushes interleaved across the queue's growth.
    s = gmp.Sched(1)
    for g in range(200):
        s.globrunqputhead(1000 + g)
        s.globrunqput(g)
    assert s.global_runq().tolist() == list(range(1199, 999, -1)) + list(range(200))
    assert s.globrunqget(0, max=1) == 1199


def test_runnext_kick_out_goes_to_ring_tail():
    """§2.1 step 3: the newest readied G wins runnext; the displaced one is
    appended at the ring tail, after the entries already there."""
    s = filled(1, 3)                    # ring [0, 1, 2]
    s.runqput(0, 10, next=True)
    assert s.runnext(0) == 10 and s.runq(0).tolist() == [0, 1, 2]
    s.runqput(0, 11, next=True)
    assert s.runnext(0) == 11
    assert s.runq(0).tolist() == [0, 1, 2, 10]
    assert s.runqsize(0) == 4           # runnext is not counted (§6.3)


def test_runqget_prefers_runnext_with_inherit_time():
    """§2.4: runnext first with inheritTime = true; ring Gs get false."""
    s = filled(1, 2)
    s.runqput(0, 7, next=True)
    assert s.runqget(0) == (7, True)
    assert s.runnext(0) is None
    assert s.runqget(0) == (0, False)
    assert s.runqget(0) == (1, False)
    assert s.runqget(0) is None
    s.runqput(0, 8, next=True)
    assert not s.runqempty(0)
    assert s.runqget(0) == (8, True)
    assert s.runqempty(0)


def test_runqdrain_runnext_then_ring():
    """§2.6: runnext first, then the ring in FIFO order; the P ends empty."""
    s = filled(1, 5)
    s.runqput(0, 99, next=True)
    assert s.runqdrain(0).tolist() == [99, 0, 1, 2, 3, 4]
    assert s.runqempty(0) and s.runqsize(0) == 0
    assert s.runqdrain(0).tolist() == []


# ---------------------------------------------------------------- 0/1/255/256/257 Gs


@pytest.mark.parametrize("k", [0, 1, 255, 256])
def test_ring_sizes_without_spill(k):
    """Up to 256 Gs fit in the ring (§1.1); nothing goes global."""
    s = filled(1, k)
    assert s.runqsize(0) == k
    assert s.runq(0).tolist() == list(range(k))
    assert s.globrunqsize() == 0
    assert s.runqempty(0) == (k == 0)
    t = s.tables
    assert int(t["runqtail"][0]) - int(t["runqhead"][0]) == k


def test_257th_put_spills_oldest_half_plus_new():
    """§2.2: a full ring moves its 128 oldest Gs plus the new one to the
    global tail, in order; the ring keeps the newest 128."""
    s = filled(1, 256)
    s.globrunqput(1000)                 # already queued globally: stays ahead
    s.runqput(0, 256)
    assert s.global_runq().tolist() == [1000] + list(range(HALF)) + [256]
    assert s.runq(0).tolist() == list(range(HALF, RUNQ))
    assert s.runqsize(0) == HALF
    assert s.globrunqsize() == HALF + 2


def test_spill_of_a_kicked_out_runnext():
    """§2.1 step 3 then 5: with a full ring, putting next=True kicks the old
    runnext out and it is the G that spills along with the 128 oldest."""
    s = filled(1, 256)
    s.runqput(0, 500, next=True)        # runnext was empty: no ring change
    assert s.runqsize(0) == 256 and s.globrunqsize() == 0
    s.runqput(0, 501, next=True)        # kicks 500 out into the full ring
    assert s.runnext(0) == 501
    assert s.global_runq().tolist() == list(range(HALF)) + [500]
    assert s.runq(0).tolist() == list(range(HALF, RUNQ))


def test_runqputbatch_room_partially_full():
    """§2.3: append in order while there is room; the rest is returned."""
    s = filled(1, 250)
    left = s.runqputbatch(0, np.arange(1000, 1010))
    assert left.tolist() == [1006, 1007, 1008, 1009]
    assert s.runq(0).tolist() == list(range(250)) + [1000, 1001, 1002, 1003, 1004, 1005]
    assert s.globrunqsize() == 0        # leftovers are the caller's, not spilled
    # Full ring: nothing fits.
    assert s.runqputbatch(0, [1, 2]).tolist() == [1, 2]
    # Empty ring, exactly 256 fit; 257 leaves one.
    s = gmp.Sched(1)
    assert s.runqputbatch(0, range(257)).tolist() == [256]
    assert s.runq(0).tolist() == list(range(256))
    s = gmp.Sched(1)
    assert s.runqputbatch(0, range(600)).tolist() == list(range(256, 600))
    assert s.runqputbatch(0, []).tolist() == []


def test_runqputbatch_after_consumption_wraps_slots():
    """The ring is circular: after the head moved, batch slots wrap mod 256."""
    s = filled(1, 200)
    for g in range(150):
        assert s.runqget(0) == (g, False)
    left = s.runqputbatch(0, np.arange(1000, 1300))
    room = RUNQ - 50
    assert left.tolist() == list(range(1000 + room, 1300))
    assert s.runq(0).tolist() == list(range(150, 200)) + list(range(1000, 1000 + room))


# ---------------------------------------------------------------- stealing


@pytest.mark.parametrize("k", [0, 1, 2, 3, 5, 255, 256])
def test_runqgrab_amount_and_oldest(k):
    """§2.7 table: the thief takes ceil(k/2), the oldest entries."""
    s = filled(2, k)
    got = s.runqgrab(0)
    n = ceil_half(k)
    assert got.tolist() == list(range(n))
    assert s.runq(0).tolist() == list(range(n, k))


@pytest.mark.parametrize("k", [0, 1, 2, 3, 5, 255, 256])
@pytest.mark.parametrize("thief_has", [0, 7])
def test_runqsteal_amount_oldest_and_last_returned(k, thief_has):
    """§2.8: the grabbed Gs land at the thief's tail; the last grabbed is
    returned to run, the other n-1 stay queued behind the thief's own Gs."""
    s = filled(2, k)
    for g in range(thief_has):
        s.runqput(1, 10_000 + g)
    own = list(range(10_000, 10_000 + thief_has))
    gp = s.runqsteal(1, 0)
    n = ceil_half(k)
    if n == 0:
        assert gp is None
    else:
        assert gp == n - 1
    assert s.runq(1).tolist() == own + list(range(max(n - 1, 0)))
    assert s.runq(0).tolist() == list(range(n, k))
    # Conservation (style.md, Tokio): nothing lost or duplicated.
    everything = s.runq(0).tolist() + s.runq(1).tolist() + ([] if gp is None else [gp])
    assert sorted(everything) == sorted(list(range(k)) + own)


def test_runnext_stolen_only_when_ring_empty_and_allowed():
    """§2.7 step 2: runnext is a last resort, only with stealRunNextG."""
    # Ring non-empty: the ring is stolen, runnext stays even if allowed.
    s = filled(2, 1)
    s.runqput(0, 50, next=True)
    assert s.runqsteal(1, 0, steal_runnext=True) == 0
    assert s.runnext(0) == 50
    # Ring empty, not allowed: nothing.
    s = gmp.Sched(2)
    s.runqput(0, 50, next=True)
    assert s.runqsteal(1, 0, steal_runnext=False) is None
    assert s.runqgrab(0).tolist() == []           # runqgrab's default is False
    assert s.runnext(0) == 50
    # Ring empty, allowed: runnext is taken and returned; no ring change.
    assert s.runqsteal(1, 0, steal_runnext=True) == 50
    assert s.runnext(0) is None and s.runqsize(1) == 0
    s.runqput(0, 51, next=True)
    assert s.runqgrab(0, steal_runnext=True).tolist() == [51]
    assert s.runqempty(0)
    # runqsteal's default is True (Go's last stealWork pass).
    s.runqput(0, 52, next=True)
    assert s.runqsteal(1, 0) == 52


@pytest.mark.parametrize("status,backoffs", [(0, 0), (1, 1), (2, 0), (4, 0)])
def test_runnext_steal_backs_off_only_from_running_victim(status, backoffs):
    """§2.7 (1.25): back off 3 us before stealing a _Prunning victim's runnext."""
    s = gmp.Sched(2)
    s.runqput(0, 5, next=True)
    s.set_status(0, status)
    op = s.start_runqsteal(1, 0, steal_runnext=True)
    assert op.run() == 5
    assert op.backoffs == backoffs
    assert s.tables["status"][0] == status


@pytest.mark.parametrize(
    "thief_size,victim_size",
    [(255, 3), (200, 120), (129, 255), (250, 13), (200, 113), (129, 256)],
)
def test_runqsteal_overflow_throws_and_changes_nothing(thief_size, victim_size):
    """§2.8 step 4: keeping n-1 Gs must leave t - head + (n-1) < 256, else
    throw "runqsteal: runq overflow".  gmpcore refuses before moving anything."""
    n = ceil_half(victim_size)
    assert thief_size + n - 1 >= RUNQ            # the case is an overflow by Go's rule
    s = gmp.Sched(2)
    s.runqputbatch(0, np.arange(victim_size))
    s.runqputbatch(1, np.arange(5000, 5000 + thief_size))
    before = snapshot(s)
    with pytest.raises(gmp.GoThrow, match="runqsteal: runq overflow"):
        s.runqsteal(1, 0)
    assert_same(before, snapshot(s))
    assert not s.busy(1)
    # Op form: same throw, same untouched state.
    op = s.start_runqsteal(1, 0)
    with pytest.raises(gmp.GoThrow, match="runqsteal: runq overflow"):
        op.run()
    assert op.done and not s.busy(1)
    assert_same(before, snapshot(s))


@pytest.mark.parametrize("thief_size,victim_size", [(254, 3), (200, 111), (128, 255), (128, 256), (0, 256)])
def test_runqsteal_just_fits(thief_size, victim_size):
    """The same rule's boundary from below: t - head + (n-1) < 256 succeeds."""
    n = ceil_half(victim_size)
    assert thief_size + n - 1 < RUNQ
    s = gmp.Sched(2)
    s.runqputbatch(0, np.arange(victim_size))
    s.runqputbatch(1, np.arange(5000, 5000 + thief_size))
    assert s.runqsteal(1, 0) == n - 1
    assert s.runqsize(1) == thief_size + n - 1
    assert s.runq(1).tolist()[thief_size:] == list(range(n - 1))


def test_runqsteal_into_full_thief_ring_throws():
    """A full thief cannot take even one G (its slot t%256 holds a live G);
    the Sched docstring promises GoThrow with nothing changed."""
    for steal_next in (False, True):
        s = gmp.Sched(2)
        if steal_next:
            s.runqput(0, 77, next=True)
        else:
            s.runqput(0, 77)
        s.runqputbatch(1, np.arange(5000, 5256))
        before = snapshot(s)
        with pytest.raises(gmp.GoThrow, match="runqsteal: runq overflow"):
            s.runqsteal(1, 0, steal_runnext=True)
        assert_same(before, snapshot(s))


# ---------------------------------------------------------------- global batches


def batch_size(n, size, nprocs):
    """§2.9: n = min(n, size, size/gomaxprocs + 1)."""
    return min(n, size, size // nprocs + 1)


@pytest.mark.parametrize("nprocs", [1, 2, 3, 4, 7, 64])
def test_globrunqgetbatch_size_grid(nprocs):
    """§2.9 (1.25 globrunqgetbatch): pops min(n, size, size/gomaxprocs + 1)
    Gs, the first to run and the rest FIFO."""
    for size in (0, 1, 2, 3, 9, 10, 63, 64, 65, 127, 128, 129, 300, 1000):
        for n in (1, 2, 5, 64, 128, 1000):
            s = gmp.Sched(nprocs)
            s.globrunqputbatch(np.arange(size))
            out = s.globrunqgetbatch(n)
            k = batch_size(n, size, nprocs)
            if k == 0:
                assert out is None
                continue
            g, rest = out
            assert g == 0
            assert rest.tolist() == list(range(1, k))
            assert s.global_runq().tolist() == list(range(k, size))


def test_globrunqgetbatch_doc_example():
    """§2.9 example: size 10, gomaxprocs 4 -> 3: run one, two to the ring."""
    s = gmp.Sched(4)
    s.globrunqputbatch(range(10))
    g, rest = s.globrunqgetbatch()          # default n = 128 = len(runq)/2
    assert (g, rest.tolist()) == (0, [1, 2])
    assert s.globrunqsize() == 7


def test_globrunqget_max1_pops_one():
    """§2.9: Go 1.25 globrunqget() / ≤1.24 max=1 takes exactly one G."""
    s = gmp.Sched(1)
    s.globrunqputbatch(range(20))
    assert s.globrunqget(0, max=1) == 0
    assert s.runqsize(0) == 0 and s.runnext(0) is None
    assert s.globrunqsize() == 19


@pytest.mark.parametrize("nprocs,size,mx", [(1, 300, 0), (4, 10, 0), (2, 50, 0), (3, 1, 0),
                                             (1, 300, 5), (8, 800, 100), (2, 40, 128)])
def test_globrunqget_moves_batch_into_ring(nprocs, size, mx):
    """§2.9 / §3.2: max=0 is globrunqgetbatch(128) followed by runqputbatch
    of the rest into p's ring; max > 0 also clamps (≤1.24 signature)."""
    s = gmp.Sched(nprocs)
    s.globrunqputbatch(np.arange(size))
    p = nprocs - 1
    k = batch_size(mx if mx else HALF, size, nprocs)
    assert s.globrunqget(p, max=mx) == 0
    assert s.runq(p).tolist() == list(range(1, k))
    assert s.global_runq().tolist() == list(range(k, size))


def test_globrunqget_empty_and_no_room():
    """Empty global queue -> None.  Go only fetches a batch into an empty ring
    and throws "Couldn't put Gs into empty local runq" otherwise (§3.2)."""
    s = gmp.Sched(1)
    assert s.globrunqget(0) is None
    s.runqputbatch(0, np.arange(200))
    s.globrunqputbatch(np.arange(1000, 1300))     # batch = 128, 127 to queue > 56 room
    before = snapshot(s)
    with pytest.raises(gmp.GoThrow, match="Couldn't put Gs into empty local runq"):
        s.globrunqget(0)
    assert_same(before, snapshot(s))
    assert s.globrunqget(0, max=1) == 1000        # one G needs no room


# ---------------------------------------------------------------- wrap-around at 2**32


@pytest.mark.parametrize("origin", [U32 - 3, U32 - 1, U32 - 200, U32 - 128])
def test_counter_wraparound(origin):
    """§1.1: head and tail are free-running uint32 counters; size is
    tail - head mod 2**32 and the slot is counter mod 256, so every queue
    operation is unaffected by crossing 2**32."""
    s = gmp.Sched(2, runq_origin=origin)
    t = s.tables
    assert int(t["runqhead"][0]) == origin and int(t["runqtail"][0]) == origin
    # Fill past the wrap: sizes and FIFO order.
    for g in range(256):
        s.runqput(0, g)
    assert s.runqsize(0) == 256
    assert s.runq(0).tolist() == list(range(256))
    assert int(t["runqtail"][0]) == (origin + 256) % U32
    # Spill across the wrap (§2.2).
    s.runqput(0, 256)
    assert s.global_runq().tolist() == list(range(HALF)) + [256]
    assert s.runq(0).tolist() == list(range(HALF, RUNQ))
    assert int(t["runqhead"][0]) == (origin + HALF) % U32
    # Steal across the wrap (§2.7, §2.8).
    gp = s.runqsteal(1, 0)
    assert gp == HALF + ceil_half(HALF) - 1
    assert s.runq(1).tolist() == list(range(HALF, HALF + ceil_half(HALF) - 1))
    assert s.runq(0).tolist() == list(range(HALF + ceil_half(HALF), RUNQ))
    # FIFO gets across the wrap.
    rest = [s.runqget(0)[0] for _ in range(s.runqsize(0))]
    assert rest == list(range(HALF + ceil_half(HALF), RUNQ))
    assert s.runqempty(0)
    head = int(t["runqhead"][0])
    assert head == int(t["runqtail"][0]) == (origin + 256) % U32
    assert t["runqhead"].dtype == np.uint32
    assert head < origin                                  # it wrapped


def test_counter_wraparound_small_steps():
    """Put/get one at a time straight through 2**32; runqhead reads back as
    the wrapped uint32 value."""
    origin = U32 - 3
    s = gmp.Sched(1, runq_origin=origin)
    t = s.tables
    for i in range(10):
        s.runqput(0, i)
        assert s.runqsize(0) == 1
        assert s.runqget(0) == (i, False)
        assert int(t["runqhead"][0]) == (origin + i + 1) % U32
    assert t["runqhead"][0] == 7
    assert t["runqtail"][0] == 7
    # A grab and a drain straddling the wrap.
    s = gmp.Sched(2, runq_origin=U32 - 2)
    s.runqputbatch(0, [10, 11, 12, 13, 14])
    assert s.runqgrab(0).tolist() == [10, 11, 12]
    assert int(s.tables["runqhead"][0]) == 1
    assert s.runqdrain(0).tolist() == [13, 14]
    assert s.runqempty(0)


def test_runq_origin_op_form_wraps():
    """The step-wise Ops use the same uint32 arithmetic (§2.8 across the wrap)."""
    s = gmp.Sched(2, runq_origin=U32 - 1)
    s.runqputbatch(0, np.arange(9))
    s.runqputbatch(1, [100])          # thief's own tail has wrapped
    op = s.start_runqsteal(1, 0)
    assert op.run() == ceil_half(9) - 1
    assert s.runq(1).tolist() == [100] + list(range(ceil_half(9) - 1))
    assert s.runq(0).tolist() == list(range(ceil_half(9), 9))


# ---------------------------------------------------------------- race-mode randomization


def _random_trace(seed):
    """A fixed workload under randomize=True; returns everything observable."""
    s = gmp.Sched(2, seed=seed, randomize=True)
    trace = []
    for g in range(300):
        s.runqput(0, g, next=(g % 3 == 0))
    trace.append(s.global_runq())
    trace.append(s.runq(0))
    trace.append(s.runqputbatch(1, np.arange(1000, 1300)))
    trace.append(s.runq(1))
    op = s.start_runqput(0, 2000, next=True)
    op.run()
    trace.append(np.array([s.runnext(0) if s.runnext(0) is not None else -1]))
    s.globrunqputbatch(np.arange(3000, 3100))
    s.runqdrain(1)
    s.globrunqget(1)
    trace.append(s.runq(1))
    trace.extend(np.array(v, copy=True) for v in s.tables.values())
    return trace


def test_randomize_same_seed_reproduces_bit_for_bit():
    """A seed reproduces the cheaprand stream, hence every shuffle and coin flip."""
    for seed in (0, 1, 12345, 2**63):
        a, b = _random_trace(seed), _random_trace(seed)
        assert len(a) == len(b)
        for x, y in zip(a, b):
            assert x.dtype == y.dtype
            np.testing.assert_array_equal(x, y)


def test_randomize_different_seeds_differ():
    base = _random_trace(0)
    differs = False
    for seed in range(1, 20):
        other = _random_trace(seed)
        if any(x.shape != y.shape or not np.array_equal(x, y) for x, y in zip(base, other)):
            differs = True
            break
    assert differs


def test_randomize_refuses_runnext_about_half_the_time():
    """§2.1 step 2: under the race detector next is forced false with
    probability 1/2."""
    s = gmp.Sched(1, seed=7, randomize=True)
    trials = 2000
    used = 0
    for g in range(trials):
        s.runqput(0, g, next=True)
        if s.runnext(0) == g:
            used += 1
            s.runqget(0)
        else:
            # Refused: it went to the ring tail.
            assert s.runq(0).tolist()[-1] == g
            s.runqdrain(0)
        assert s.runqempty(0)
    assert 0.35 * trials <= trials - used <= 0.65 * trials
    # The Op form flips the same coin.
    s = gmp.Sched(1, seed=7, randomize=True)
    used = 0
    for g in range(trials):
        s.start_runqput(0, g, next=True).run()
        used += s.runnext(0) == g
        s.runqdrain(0)
    assert 0.35 * trials <= trials - used <= 0.65 * trials


def test_randomize_never_turns_next_false_into_true():
    s = gmp.Sched(1, seed=3, randomize=True)
    for g in range(200):
        s.runqput(0, g, next=False)
    assert s.runnext(0) is None
    assert s.runq(0).tolist() == list(range(200))     # no shuffle on single puts


@pytest.mark.parametrize("seed", [0, 1, 99])
def test_randomize_spill_batch_is_permutation(seed):
    """§2.2 step 4: the 129 spilled Gs are shuffled, but they are exactly the
    128 oldest plus the new G; the ring keeps the newest 128 in order."""
    s = gmp.Sched(1, seed=seed, randomize=True)
    for g in range(256):
        s.runqput(0, g)
    s.runqput(0, 256)
    spilled = s.global_runq()
    assert sorted(spilled.tolist()) == list(range(HALF)) + [256]
    assert s.runq(0).tolist() == list(range(HALF, RUNQ))
    # A uniform shuffle of 129 Gs is the identity with probability 1/129!.
    plain = list(range(HALF)) + [256]
    assert spilled.tolist() != plain


@pytest.mark.parametrize("seed", [0, 5])
def test_randomize_runqputbatch_shuffles_only_new_region(seed):
    """§2.3: only the newly appended region is shuffled; leftovers stay in order."""
    s = gmp.Sched(1, seed=seed, randomize=True)
    for g in range(100):
        s.runqput(0, g)
    left = s.runqputbatch(0, np.arange(1000, 1200))
    assert left.tolist() == list(range(1156, 1200))
    ring = s.runq(0).tolist()
    assert ring[:100] == list(range(100))
    assert sorted(ring[100:]) == list(range(1000, 1156))
    assert ring[100:] != list(range(1000, 1156))


def test_without_randomize_no_shuffle():
    s = gmp.Sched(1, seed=1, randomize=False)
    s.runqputbatch(0, np.arange(256))
    s.runqput(0, 256)
    assert s.global_runq().tolist() == list(range(HALF)) + [256]
    assert not s.randomize


def test_sysmon_false_never_uses_runnext():
    """§2.1 step 1: without sysmon, next is forced false."""
    s = gmp.Sched(1, sysmon=False)
    assert s.sysmon is False
    for g in range(10):
        s.runqput(0, g, next=True)
        assert s.runnext(0) is None
    assert s.runq(0).tolist() == list(range(10))
    assert s.runqget(0) == (0, False)
    s.start_runqput(0, 10, next=True).run()
    assert s.runnext(0) is None and s.runq(0).tolist()[-1] == 10
    # Also under randomize.
    s = gmp.Sched(1, sysmon=False, randomize=True, seed=4)
    for g in range(50):
        s.runqput(0, g, next=True)
    assert s.runnext(0) is None and s.runqsize(0) == 50


# ---------------------------------------------------------------- tables


def test_tables_are_read_only():
    s = filled(2, 3)
    t = s.tables
    assert set(t) >= {"runq", "runqhead", "runqtail", "runnext", "status"}
    for name, view in t.items():
        assert not view.flags.writeable, name
        with pytest.raises(ValueError):
            view[0] = 1
    with pytest.raises(ValueError):
        t["runq"][0, 0] = 5
    assert s.runq(0).tolist() == [0, 1, 2]


def test_tables_cannot_be_made_writeable():
    s = gmp.Sched(1)
    for name, view in s.tables.items():
        with pytest.raises(ValueError):
            view.flags.writeable = True
    assert s.runqsize(0) == 0


def test_tables_share_memory_and_track_state():
    s = gmp.Sched(2)
    a, b = s.tables, s.tables
    for name in a:
        assert np.shares_memory(a[name], b[name]), name
    t = s.tables
    assert t["runq"].shape == (2, RUNQ)
    assert t["runqtail"][1] == 0 and t["runnext"][1] == NIL
    s.runqput(1, 42)
    s.runqput(1, 43, next=True)
    s.set_status(1, 1)
    # The views taken before the operations see them.
    assert t["runqtail"][1] == 1 and t["runqhead"][1] == 0
    assert t["runq"][1, 0] == 42
    assert t["runnext"][1] == 43
    assert t["status"][1] == 1
    s.runqget(1)
    assert t["runnext"][1] == NIL


def test_runq_accessor_returns_copy():
    s = filled(1, 3)
    r = s.runq(0)
    r[0] = 99
    assert s.runq(0).tolist() == [0, 1, 2]
