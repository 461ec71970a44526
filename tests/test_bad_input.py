"""Argument validation of the public API: Sched, Op and RandomOrder.

Every rejected call must raise the documented exception type, name the
offending argument in its message, and leave every queue, every P's busy
flag and the cheaprand stream exactly as they were ("Python decides, Cython
does": validate once at the boundary, before touching any state).
"""

import gc

import numpy as np
import pytest

import gmpcore as gmp

NPROCS = 4
MAX_G = 2**31 - 1
BOOLS = [np.bool_(True), True, False]


# ---------------------------------------------------------------- helpers


def populated(randomize=False, seed=11):
    """A Sched with something in every kind of queue, P3 left empty."""
    s = gmp.Sched(NPROCS, seed=seed, randomize=randomize)
    s.runqputbatch(0, np.arange(10, 20))
    s.runqput(1, 30)
    s.runqput(1, 31, next=True)
    s.runqputbatch(2, np.arange(40, 296))      # a full ring
    s.globrunqputbatch([50, 51, 52])
    s.set_status(1, 1)
    return s


def snapshot(s):
    snap = {name: np.array(view, copy=True) for name, view in s.tables.items()}
    snap["global"] = s.global_runq()
    snap["busy"] = np.array([s.busy(p) for p in range(s.nprocs)])
    return snap


def assert_same(a, b):
    assert a.keys() == b.keys()
    for k in a:
        np.testing.assert_array_equal(a[k], b[k], err_msg=k)


def probe(s):
    """A workload whose outcome depends on every later cheaprand draw."""
    seen = []
    for g in range(48):
        s.runqput(3, 1000 + g, next=True)
        seen.append(-1 if s.runnext(3) is None else s.runnext(3))
    for g in range(300):
        s.runqput(3, 2000 + g)
    seen += s.runq(3).tolist() + s.global_runq().tolist()
    return seen


def call(obj, meth, args, kwargs):
    return getattr(obj, meth)(*args, **kwargs)


def check_rejected(meth, args, kwargs, exc, match):
    """Run a bad call on a populated Sched; check the error and that nothing changed."""
    s = populated(randomize=True)
    before = snapshot(s)
    with pytest.raises(exc, match=match):
        call(s, meth, args, kwargs)
    assert_same(before, snapshot(s))
    # The race-mode random stream was not advanced either.
    assert probe(s) == probe(populated(randomize=True))


# ---------------------------------------------------------------- P indices

# (method, builder of positional args with the P in it, name in the message)
P_ARGS = [
    ("runqput", lambda p: (p, 1), "p"),
    ("runqputbatch", lambda p: (p, [1, 2]), "p"),
    ("runqget", lambda p: (p,), "p"),
    ("runqempty", lambda p: (p,), "p"),
    ("runqdrain", lambda p: (p,), "p"),
    ("runqsize", lambda p: (p,), "p"),
    ("runnext", lambda p: (p,), "p"),
    ("runq", lambda p: (p,), "p"),
    ("globrunqget", lambda p: (p,), "p"),
    ("set_status", lambda p: (p, 0), "p"),
    ("busy", lambda p: (p,), "p"),
    ("start_runqput", lambda p: (p, 1), "p"),
    ("start_runqget", lambda p: (p,), "p"),
    ("start_runqdrain", lambda p: (p,), "p"),
    ("start_runqempty", lambda p: (p,), "p"),
    ("runqgrab", lambda p: (p,), "victim"),
    ("runqsteal", lambda p: (p, 0), "thief"),
    ("runqsteal", lambda p: (3, p), "victim"),
    ("start_runqsteal", lambda p: (p, 0), "thief"),
    ("start_runqsteal", lambda p: (3, p), "victim"),
]
P_OUT_OF_RANGE = [-1, NPROCS, NPROCS + 1, 2**31, 2**64, np.int64(-1), np.uint32(NPROCS)]
P_WRONG_TYPE = ["0", 0.0, 1.5, None, True, False, np.bool_(False), [0], np.float64(1.0)]


@pytest.mark.parametrize("meth,build,name", P_ARGS, ids=[f"{m}-{n}" for m, _, n in P_ARGS])
@pytest.mark.parametrize("bad", P_OUT_OF_RANGE, ids=repr)
def test_p_out_of_range(meth, build, name, bad):
    check_rejected(meth, build(bad), {}, ValueError, f"^{name} must be in \\[0, {NPROCS - 1}\\]")


@pytest.mark.parametrize("meth,build,name", P_ARGS, ids=[f"{m}-{n}" for m, _, n in P_ARGS])
@pytest.mark.parametrize("bad", P_WRONG_TYPE, ids=repr)
def test_p_wrong_type(meth, build, name, bad):
    check_rejected(meth, build(bad), {}, TypeError, f"^{name} must be")


@pytest.mark.parametrize("meth", ["runqsteal", "start_runqsteal"])
@pytest.mark.parametrize("p", [0, 3, np.int32(3)])
def test_thief_equals_victim(meth, p):
    check_rejected(meth, (p, p), {}, ValueError, "thief and victim must differ")


@pytest.mark.parametrize("meth,build,name", P_ARGS, ids=[f"{m}-{n}" for m, _, n in P_ARGS])
def test_p_valid_integer_types_accepted(meth, build, name):
    """Any integer type (Python or NumPy, via __index__) is a valid P."""
    for p in (3, np.int8(3), np.uint64(3)):
        s = populated()
        if meth in ("runqsteal", "start_runqsteal") and name == "victim":
            call(s, meth, (2, p), {})
        else:
            call(s, meth, build(p), {})


# ---------------------------------------------------------------- G ids

G_ARGS = [
    ("runqput", lambda g: (3, g)),
    ("start_runqput", lambda g: (3, g)),
    ("globrunqput", lambda g: (g,)),
    ("globrunqputhead", lambda g: (g,)),
]
G_OUT_OF_RANGE = [-1, MAX_G + 1, 2**32, 2**63, -(2**63), np.int64(-1), np.int64(2**31), np.uint64(2**63)]
G_WRONG_TYPE = ["1", 1.0, 2.5, None, True, False, np.bool_(True), 1j, [1], np.float32(3)]


@pytest.mark.parametrize("meth,build", G_ARGS, ids=[m for m, _ in G_ARGS])
@pytest.mark.parametrize("bad", G_OUT_OF_RANGE, ids=repr)
def test_g_out_of_range(meth, build, bad):
    check_rejected(meth, build(bad), {}, ValueError, f"^g must be in \\[0, {MAX_G}\\]")


@pytest.mark.parametrize("meth,build", G_ARGS, ids=[m for m, _ in G_ARGS])
@pytest.mark.parametrize("bad", G_WRONG_TYPE, ids=repr)
def test_g_wrong_type(meth, build, bad):
    check_rejected(meth, build(bad), {}, TypeError, "^g must be")


@pytest.mark.parametrize("g", [0, MAX_G, np.int32(MAX_G), np.uint32(7), np.int64(0)])
def test_g_bounds_accepted(g):
    """G ids are ints in [0, 2**31 - 1], both ends included."""
    s = gmp.Sched(1)
    s.runqput(0, g)
    s.runqput(0, g, next=True)
    s.globrunqput(g)
    s.globrunqputhead(g)
    assert s.runq(0).tolist() == [int(g)] and s.runnext(0) == int(g)
    assert s.global_runq().tolist() == [int(g), int(g)]


# ---------------------------------------------------------------- bool flags

FLAG_ARGS = [
    ("runqput", (3, 1), "next"),
    ("start_runqput", (3, 1), "next"),
    ("runqgrab", (0,), "steal_runnext"),
    ("runqsteal", (3, 0), "steal_runnext"),
    ("start_runqsteal", (3, 0), "steal_runnext"),
]
NOT_BOOLS = [1, 0, np.int64(1), "True", "", None, 1.0, [True]]


@pytest.mark.parametrize("meth,args,name", FLAG_ARGS)
@pytest.mark.parametrize("bad", NOT_BOOLS, ids=repr)
def test_flag_not_bool(meth, args, name, bad):
    check_rejected(meth, args, {name: bad}, TypeError, f"^{name} must be a bool")


@pytest.mark.parametrize("meth,args,name", FLAG_ARGS)
@pytest.mark.parametrize("ok", BOOLS, ids=repr)
def test_flag_bool_types_accepted(meth, args, name, ok):
    call(populated(), meth, args, {name: ok})


# ---------------------------------------------------------------- batch arrays

BATCH_ARGS = [
    ("runqputbatch", lambda gs: (3, gs)),
    ("globrunqputbatch", lambda gs: (gs,)),
]
BAD_SHAPE = [
    [[1, 2], [3, 4]],
    np.zeros((2, 2), dtype=np.int32),
    np.zeros((1, 3), dtype=np.int64),
    np.zeros((2, 0, 2), dtype=np.int32),
]
BAD_DTYPE = [
    np.array([1.0, 2.0]),
    [1.5],
    [1, 2.5],
    np.array([1, 2], dtype=np.float32),
    [True, False],
    np.array([1], dtype=np.bool_),
    ["1", "2"],
    [None],
    [1, None],
    np.array([1 + 0j]),
]
BAD_ENTRIES = [
    [-1],
    [0, 1, -5],
    [MAX_G + 1],
    [5, MAX_G + 1, 6],
    np.array([2**32], dtype=np.uint64),
    np.array([-(2**40)], dtype=np.int64),
]


@pytest.mark.parametrize("meth,build", BATCH_ARGS, ids=[m for m, _ in BATCH_ARGS])
@pytest.mark.parametrize("bad", BAD_SHAPE, ids=lambda a: f"shape{np.shape(a)}")
def test_batch_not_one_dimensional(meth, build, bad):
    check_rejected(meth, build(bad), {}, ValueError, "^gs must be one-dimensional")


@pytest.mark.parametrize("meth,build", BATCH_ARGS, ids=[m for m, _ in BATCH_ARGS])
@pytest.mark.parametrize("bad", BAD_DTYPE, ids=repr)
def test_batch_not_integers(meth, build, bad):
    check_rejected(meth, build(bad), {}, TypeError, "^gs must hold integer G ids")


@pytest.mark.parametrize("meth,build", BATCH_ARGS, ids=[m for m, _ in BATCH_ARGS])
@pytest.mark.parametrize("bad", BAD_ENTRIES, ids=repr)
def test_batch_entries_out_of_range(meth, build, bad):
    check_rejected(meth, build(bad), {}, ValueError, f"^gs entries must be in \\[0, {MAX_G}\\]")


@pytest.mark.parametrize("meth,build", BATCH_ARGS, ids=[m for m, _ in BATCH_ARGS])
@pytest.mark.parametrize("bad", [None, 5, "abc", [2**70]], ids=repr)
def test_batch_not_an_id_sequence(meth, build, bad):
    """Scalars and ids no integer dtype can hold: either error type is
    reasonable, but the message must name gs."""
    check_rejected(meth, build(bad), {}, (TypeError, ValueError), "^gs ")


@pytest.mark.parametrize("meth,build", BATCH_ARGS, ids=[m for m, _ in BATCH_ARGS])
def test_batch_ragged_names_gs(meth, build):
    check_rejected(meth, build([[1, 2], [3]]), {}, ValueError, "^gs ")


@pytest.mark.parametrize("meth,build", BATCH_ARGS, ids=[m for m, _ in BATCH_ARGS])
def test_batch_valid_forms_accepted(meth, build):
    """Lists, ranges, tuples, any integer dtype, non-contiguous views, and the
    ends of the id range are all valid batches."""
    for gs in ([0, MAX_G], range(3), (4, 5), np.array([1, 2], dtype=np.uint8),
               np.arange(10, dtype=np.int64)[::3], np.array([7], dtype=">i4"), []):
        s = gmp.Sched(NPROCS)
        call(s, meth, build(gs), {})
        got = s.runq(3) if meth == "runqputbatch" else s.global_runq()
        assert got.tolist() == [int(x) for x in gs]


@pytest.mark.parametrize("meth,build", BATCH_ARGS, ids=[m for m, _ in BATCH_ARGS])
def test_batch_read_only_array_accepted(meth, build):
    gs = np.arange(5, dtype=np.int32)
    gs.flags.writeable = False
    s = gmp.Sched(NPROCS)
    call(s, meth, build(gs), {})
    got = s.runq(3) if meth == "runqputbatch" else s.global_runq()
    assert got.tolist() == [0, 1, 2, 3, 4]


def test_batch_does_not_modify_callers_array():
    s = gmp.Sched(1, randomize=True, seed=2)
    gs = np.arange(300, dtype=np.int32)
    left = s.runqputbatch(0, gs)
    assert gs.tolist() == list(range(300))            # the shuffle is in the ring only
    assert left.tolist() == list(range(256, 300))
    left[0] = -7
    assert gs[256] == 256


# ---------------------------------------------------------------- integer parameters

INT_PARAMS = [
    # (method, args, kwarg name, out-of-range values, wrong-type values)
    ("globrunqget", (3,), "max", [-1, 129, 256, 2**40], [1.0, None, True, "1", np.float64(0)]),
    ("globrunqgetbatch", (), "n", [0, -1, 2**31, 2**64], [1.0, None, True, "2", [1]]),
    ("set_status", (3,), "status", [-1, 5, 256, 2**70], ["1", 1.0, None, True, np.bool_(True)]),
]


@pytest.mark.parametrize("meth,args,name,bad_range,bad_type", INT_PARAMS)
def test_int_param_out_of_range(meth, args, name, bad_range, bad_type):
    for bad in bad_range:
        check_rejected(meth, args, {name: bad}, ValueError, f"^{name} must be in")


@pytest.mark.parametrize("meth,args,name,bad_range,bad_type", INT_PARAMS)
def test_int_param_wrong_type(meth, args, name, bad_range, bad_type):
    for bad in bad_type:
        check_rejected(meth, args, {name: bad}, TypeError, f"^{name} must be")


def test_int_param_bounds_accepted():
    """max in [0, 128] (0 = the default batch), n in [1, 2**31 - 1], status in [0, 4]."""
    s = populated()                                   # global [50, 51, 52], 4 Ps
    assert s.globrunqget(3, max=128) == 50            # min(128, 3, 3/4 + 1) = 1
    s.globrunqputbatch(np.arange(100, 110))           # global [51, 52, 100..109]
    assert s.globrunqget(3, max=0) == 51              # min(128, 12, 12/4 + 1) = 4
    assert s.runq(3).tolist() == [52, 100, 101]
    g, rest = s.globrunqgetbatch(1)
    assert g == 102 and rest.tolist() == []
    g, rest = s.globrunqgetbatch(2**31 - 1)           # min(n, 7, 7/4 + 1) = 2
    assert g == 103 and rest.tolist() == [104]
    for st in range(5):
        s.set_status(0, st)
        assert s.tables["status"][0] == st


# ---------------------------------------------------------------- Sched constructor

CTOR_BAD = [
    # nprocs
    ({"nprocs": 0}, ValueError, "^nprocs must be in"),
    ({"nprocs": -1}, ValueError, "^nprocs must be in"),
    ({"nprocs": gmp.MAX_NPROCS + 1}, ValueError, "^nprocs must be in"),
    ({"nprocs": 2**40}, ValueError, "^nprocs must be in"),
    ({"nprocs": "4"}, TypeError, "^nprocs must be"),
    ({"nprocs": 4.0}, TypeError, "^nprocs must be"),
    ({"nprocs": None}, TypeError, "^nprocs must be"),
    ({"nprocs": True}, TypeError, "^nprocs must be"),
    ({"nprocs": [4]}, TypeError, "^nprocs must be"),
    # seed
    ({"nprocs": 2, "seed": -1}, ValueError, "^seed must be"),
    ({"nprocs": 2, "seed": -(2**70)}, ValueError, "^seed must be"),
    ({"nprocs": 2, "seed": np.int64(-5)}, ValueError, "^seed must be"),
    ({"nprocs": 2, "seed": "1"}, TypeError, "^seed must be"),
    ({"nprocs": 2, "seed": 1.5}, TypeError, "^seed must be"),
    ({"nprocs": 2, "seed": True}, TypeError, "^seed must be"),
    ({"nprocs": 2, "seed": [1, 2]}, TypeError, "^seed must be"),
    # randomize / sysmon
    ({"nprocs": 2, "randomize": 1}, TypeError, "^randomize must be a bool"),
    ({"nprocs": 2, "randomize": "yes"}, TypeError, "^randomize must be a bool"),
    ({"nprocs": 2, "randomize": None}, TypeError, "^randomize must be a bool"),
    ({"nprocs": 2, "sysmon": 0}, TypeError, "^sysmon must be a bool"),
    ({"nprocs": 2, "sysmon": "no"}, TypeError, "^sysmon must be a bool"),
    ({"nprocs": 2, "sysmon": None}, TypeError, "^sysmon must be a bool"),
    # runq_origin
    ({"nprocs": 2, "runq_origin": -1}, ValueError, "^runq_origin must be in"),
    ({"nprocs": 2, "runq_origin": 2**32}, ValueError, "^runq_origin must be in"),
    ({"nprocs": 2, "runq_origin": 2**64}, ValueError, "^runq_origin must be in"),
    ({"nprocs": 2, "runq_origin": 1.0}, TypeError, "^runq_origin must be"),
    ({"nprocs": 2, "runq_origin": "0"}, TypeError, "^runq_origin must be"),
    ({"nprocs": 2, "runq_origin": None}, TypeError, "^runq_origin must be"),
    ({"nprocs": 2, "runq_origin": True}, TypeError, "^runq_origin must be"),
]


@pytest.mark.parametrize("kwargs,exc,match", CTOR_BAD, ids=lambda x: repr(x)[:40])
def test_sched_constructor_rejects(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        gmp.Sched(**kwargs)


def test_sched_constructor_bounds_accepted():
    for kw in ({"nprocs": 1}, {"nprocs": np.int16(3)}, {"nprocs": 2, "seed": None},
               {"nprocs": 2, "seed": 0}, {"nprocs": 2, "seed": 2**64},
               {"nprocs": 2, "runq_origin": 0}, {"nprocs": 2, "runq_origin": 2**32 - 1},
               {"nprocs": 2, "randomize": np.bool_(True), "sysmon": np.bool_(False)}):
        s = gmp.Sched(**kw)
        assert s.nprocs == int(kw["nprocs"])
        assert s.runqempty(0) and s.globrunqsize() == 0


def test_sched_init_twice_refused():
    s = populated()
    before = snapshot(s)
    with pytest.raises(RuntimeError, match="__init__ may only run once"):
        s.__init__(2)
    assert s.nprocs == NPROCS
    assert_same(before, snapshot(s))


@pytest.mark.parametrize("attr", ["nprocs", "seed", "randomize", "sysmon", "tables", "steal_order"])
def test_sched_attributes_read_only(attr):
    s = populated()
    before = snapshot(s)
    with pytest.raises(AttributeError):
        setattr(s, attr, 1)
    assert_same(before, snapshot(s))


# ---------------------------------------------------------------- busy Ps (one owner at a time)


PENDING = {
    "runqput": lambda s: s.start_runqput(0, 77, next=True),
    "runqget": lambda s: s.start_runqget(0),
    "runqdrain": lambda s: s.start_runqdrain(0),
    "runqsteal": lambda s: s.start_runqsteal(0, 2),
}

OWNER_CALLS = [
    ("runqput", (0, 1), {}),
    ("runqput", (0, 1), {"next": True}),
    ("runqputbatch", (0, [1, 2]), {}),
    ("runqget", (0,), {}),
    ("runqdrain", (0,), {}),
    ("globrunqget", (0,), {}),
    ("globrunqget", (0,), {"max": 1}),
    ("runqsteal", (0, 2), {}),
    ("start_runqput", (0, 1), {}),
    ("start_runqget", (0,), {}),
    ("start_runqdrain", (0,), {}),
    ("start_runqsteal", (0, 2), {}),
]


@pytest.mark.parametrize("kind", sorted(PENDING))
@pytest.mark.parametrize("steps", [0, 1])
@pytest.mark.parametrize("meth,args,kwargs", OWNER_CALLS)
def test_owner_busy_with_unfinished_op(kind, steps, meth, args, kwargs):
    """A P runs one thing at a time: its owner cannot start another queue
    operation while one of its Ops is unfinished; nothing changes."""
    s = populated()
    op = PENDING[kind](s)
    for _ in range(steps):
        assert not op.step()
    assert s.busy(0)
    before = snapshot(s)
    with pytest.raises(RuntimeError, match=f"^P 0 is in the middle of {kind}"):
        call(s, meth, args, kwargs)
    assert_same(before, snapshot(s))
    assert op.kind == kind and not op.done
    op.run()
    assert not s.busy(0)
    call(s, meth, args, kwargs)          # free again once the Op finished


def test_non_owner_calls_allowed_while_busy():
    """Reads, emptiness checks and thieves may act on a busy P (§1.4: anyone
    may advance runqhead or clear runnext)."""
    s = populated()
    op = s.start_runqget(0)
    assert s.busy(0)
    assert s.runqempty(0) is False
    assert s.runqsize(0) == 10 and s.runnext(0) is None
    assert s.runq(0).tolist() == list(range(10, 20))
    assert s.start_runqempty(0).run() is False
    s.set_status(0, 1)
    assert s.runqgrab(0).tolist() == [10, 11, 12, 13, 14]
    assert s.runqsteal(3, 0) == 17
    assert op.run() == (18, False)
    assert not s.busy(0)


def test_abandoned_op_frees_its_p():
    s = populated()
    op = s.start_runqput(0, 5)
    assert s.busy(0)
    del op
    gc.collect()
    assert not s.busy(0)
    s.runqput(0, 6)


# ---------------------------------------------------------------- Op


@pytest.mark.parametrize("start", [
    lambda s: s.start_runqput(3, 1),
    lambda s: s.start_runqput(1, 2, next=True),
    lambda s: s.start_runqput(2, 3),               # full ring: spills
    lambda s: s.start_runqget(0),
    lambda s: s.start_runqget(3),
    lambda s: s.start_runqdrain(1),
    lambda s: s.start_runqempty(3),
    lambda s: s.start_runqsteal(3, 0),
    lambda s: s.start_runqsteal(3, 1),
])
def test_op_step_after_done(start):
    s = populated()
    op = start(s)
    result = op.run()
    assert op.done and op.next_step == "done"
    before = snapshot(s)
    with pytest.raises(RuntimeError, match=f"this {op.kind} has already finished"):
        op.step()
    assert_same(before, snapshot(s))
    # run() on a finished Op just reports the result again.
    res2 = op.run()
    if isinstance(result, np.ndarray):
        np.testing.assert_array_equal(result, res2)
    else:
        assert res2 == result
    assert not s.busy(op.p)


def test_op_step_after_overflow_throw():
    """A GoThrow finishes the Op; stepping it again is a RuntimeError."""
    s = populated()
    op = s.start_runqsteal(2, 0)                   # P2's ring is full
    with pytest.raises(gmp.GoThrow, match="runqsteal: runq overflow"):
        op.run()
    with pytest.raises(RuntimeError, match="already finished"):
        op.step()


@pytest.mark.parametrize("attr", ["kind", "p", "victim", "done", "next_step", "retries",
                                  "steps", "backoffs", "held", "result"])
def test_op_attributes_read_only(attr):
    s = populated()
    op = s.start_runqget(0)
    with pytest.raises(AttributeError):
        setattr(op, attr, 1)
    op.run()


# ---------------------------------------------------------------- RandomOrder

RO_BAD = [
    (0, ValueError, "^count must be in"),
    (-1, ValueError, "^count must be in"),
    (gmp.MAX_NPROCS + 1, ValueError, "^count must be in"),
    (3.0, TypeError, "^count must be"),
    ("3", TypeError, "^count must be"),
    (None, TypeError, "^count must be"),
    (True, TypeError, "^count must be"),
]


@pytest.mark.parametrize("count,exc,match", RO_BAD, ids=repr)
def test_random_order_count(count, exc, match):
    with pytest.raises(exc, match=match):
        gmp.RandomOrder(count)


@pytest.mark.parametrize("meth", ["start", "order"])
@pytest.mark.parametrize("bad,exc,match", [
    (-1, ValueError, "^r must be in"),
    (2**32, ValueError, "^r must be in"),
    (2**64, ValueError, "^r must be in"),
    (1.0, TypeError, "^r must be"),
    (None, TypeError, "^r must be"),
    (True, TypeError, "^r must be"),
    ("1", TypeError, "^r must be"),
], ids=repr)
def test_random_order_r(meth, bad, exc, match):
    o = gmp.RandomOrder(6)
    cop = o.coprimes.copy()
    with pytest.raises(exc, match=match):
        getattr(o, meth)(bad)
    np.testing.assert_array_equal(o.coprimes, cop)
    assert o.count == 6


def test_random_order_r_bounds_accepted():
    o = gmp.RandomOrder(6)
    # §3.3: pos = r mod count, inc = coprimes[(r / count) mod len(coprimes)]
    r = 2**32 - 1
    assert o.start(r) == (r % 6, int(o.coprimes[(r // 6) % 2]))
    assert sorted(o.order(r).tolist()) == list(range(6))
    assert o.start(0) == (0, 1)
