"""Forged objects: extension types without __init__, hand-built CompiledWorkloads.

``T.__new__(T)`` makes an object whose ``__init__`` never ran; a subclass can
also swallow the error of a failed ``super().__init__``.  Every public
method and property of such an object must raise a clear Python exception
(never touch a NULL table or divide by a zero count); ``Op`` cannot be made
without a ``Sched`` at all.  Each case runs in a subprocess, so a crash
(SIGSEGV, SIGFPE) fails that case instead of killing pytest.

A hand-built :class:`~gmpcore.workload.CompiledWorkload` that breaks any
invariant the engines rely on is refused when it is made (second half).
"""

import copy
import os
import pickle
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from gmpcore.strategies import examples, random_workload, wild_workloads, workloads

import gmpcore as gmp
from gmpcore import _sched
from gmpcore import workload as w
from gmpcore.workload import CompiledWorkload, Opcode

ROOT = Path(gmp.__file__).resolve().parent.parent     # the gmpcore this pytest imports

# Arguments for every public method; properties are only read.  A public
# name missing here fails test_every_public_name_is_covered.
SCHED_CALLS = {
    "runqput": "(0, 1)", "runqputbatch": "(0, [1, 2])", "runqget": "(0)",
    "runqempty": "(0)", "runqdrain": "(0)", "runqgrab": "(0)", "runqsteal": "(1, 0)",
    "runqsize": "(0)", "runnext": "(0)", "runq": "(0)", "globrunqput": "(1)",
    "globrunqputhead": "(1)", "globrunqputbatch": "([1, 2])", "globrunqget": "(0)",
    "globrunqgetbatch": "(1)", "globrunqsize": "()", "global_runq": "()",
    "set_status": "(0, 1)", "busy": "(0)", "start_runqput": "(0, 1)",
    "start_runqget": "(0)", "start_runqdrain": "(0)", "start_runqempty": "(0)",
    "start_runqsteal": "(1, 0)",
    "nprocs": "", "seed": "", "randomize": "", "sysmon": "", "steal_order": "",
    "tables": "",
}
ORDER_CALLS = {"count": "", "coprimes": "", "start": "(0)", "order": "(0)"}
OP_CALLS = {"kind": "", "p": "", "victim": "", "done": "", "next_step": "", "retries": "",
            "steps": "", "backoffs": "", "held": "", "result": "", "step": "()", "run": "()"}
TYPES = {"Sched": SCHED_CALLS, "RandomOrder": ORDER_CALLS, "Op": OP_CALLS}


def run_child(src):
    """Run `src` in a fresh interpreter that imports this gmpcore; its output."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(src)], capture_output=True,
                          text=True, env=env, timeout=120, cwd=str(ROOT))
    assert proc.returncode == 0, (
        f"the child died with return code {proc.returncode} "
        f"(a negative code is a signal)\nstdout: {proc.stdout}\nstderr: {proc.stderr}")
    return proc.stdout.strip()


def outcome_of(make, expr):
    """Run `make` (statements defining `x`), then evaluate ``x<expr>``: 'EXC Type: message'."""
    return run_child(make + textwrap.dedent(f"""
        try:
            value = x{expr}
        except Exception as exc:
            print(f"EXC {{type(exc).__name__}}: {{exc}}")
        else:
            print(f"VALUE {{value!r}}")
        """))


def public_names(cls):
    return sorted(n for n in dir(cls) if not n.startswith("_"))


@pytest.mark.parametrize("name", sorted(TYPES))
def test_every_public_name_is_covered(name):
    assert public_names(getattr(_sched, name)) == sorted(TYPES[name])


# ---------------------------------------------------------------- never initialised

UNINIT = {
    "Sched": "import gmpcore as gmp\nx = gmp.Sched.__new__(gmp.Sched)\n",
    "RandomOrder": "import gmpcore as gmp\nx = gmp.RandomOrder.__new__(gmp.RandomOrder)\n",
    # A subclass whose __init__ forgets super().__init__().
    "Sched-subclass": textwrap.dedent("""
        import gmpcore as gmp
        class S(gmp.Sched):
            def __init__(self):
                pass
        x = S()
        """),
    # A subclass that swallows a failed super().__init__: nprocs was valid, seed was not.
    "Sched-failed-init": textwrap.dedent("""
        import gmpcore as gmp
        class S(gmp.Sched):
            def __init__(self):
                try:
                    super().__init__(4, seed=-1)
                except ValueError:
                    pass
        x = S()
        """),
    "Sched-failed-init-late": textwrap.dedent("""
        import gmpcore as gmp
        x = gmp.Sched.__new__(gmp.Sched)
        try:
            x.__init__(4, runq_origin=-1)
        except ValueError:
            pass
        """),
    "RandomOrder-failed-init": textwrap.dedent("""
        import gmpcore as gmp
        x = gmp.RandomOrder.__new__(gmp.RandomOrder)
        try:
            x.__init__(0)
        except ValueError:
            pass
        """),
}
UNINIT_CASES = [(how, member) for how in ("Sched", "RandomOrder") for member in TYPES[how]]


def assert_refused(kind, out):
    assert out.startswith("EXC RuntimeError: "), out
    assert f"{kind} was not initialised; construct it with {kind}(" in out, out


@pytest.mark.parametrize("how,member", UNINIT_CASES)
def test_uninitialised_member_raises(how, member):
    """``T.__new__(T)``, then one member: one subprocess per case."""
    assert_refused(how, outcome_of(UNINIT[how], f".{member}{TYPES[how][member]}"))


@pytest.mark.parametrize("how", sorted(set(UNINIT) - {"Sched", "RandomOrder"}))
def test_uninitialised_variant_members_raise(how):
    """The other ways to an uninitialised object, every member in one subprocess
    (each line is flushed: after a crash the output shows how far it got)."""
    kind = how.split("-")[0]
    calls = "".join(textwrap.dedent(f"""
        try:
            x.{member}{args}
        except Exception as exc:
            print(f"{member}: EXC {{type(exc).__name__}}: {{exc}}", flush=True)
        else:
            print("{member}: no exception", flush=True)
        """) for member, args in TYPES[kind].items())
    lines = run_child(UNINIT[how] + calls).splitlines()
    assert [line.split(":")[0] for line in lines] == list(TYPES[kind])
    for line in lines:
        assert_refused(kind, line.split(": ", 1)[1])


@pytest.mark.parametrize("how", sorted(UNINIT))
def test_uninitialised_repr_and_dealloc(how):
    out = run_child(UNINIT[how] + "print(repr(x))\ndel x\nimport gc; gc.collect()\n")
    assert "not initialised" in out


@pytest.mark.parametrize("how", ["Sched", "Sched-failed-init-late", "RandomOrder",
                                 "RandomOrder-failed-init"])
def test_uninitialised_then_init(how):
    """A failed or skipped __init__ leaves an object that a proper __init__ completes."""
    kind = how.split("-")[0]
    check = ("x.__init__(3); x.runqput(0, 5); print(x.runqget(0), x.nprocs)" if kind == "Sched"
             else "x.__init__(6); print(x.order(13).tolist(), x.count)")
    out = run_child(UNINIT[how] + check)
    assert out == ("(5, False) 3" if kind == "Sched" else "[1, 2, 3, 4, 5, 0] 6")


def test_random_order_new_then_order_no_sigfpe():
    """The issue's reproducer: it used to kill the interpreter with SIGFPE."""
    out = run_child("""
        from gmpcore import RandomOrder
        try:
            RandomOrder.__new__(RandomOrder).order(0)
        except RuntimeError as exc:
            print(exc)
        """)
    assert out == "RandomOrder was not initialised; construct it with RandomOrder(count)"


# ---------------------------------------------------------------- Op: only from a Sched

OP_FORGERIES = {
    "new": "import gmpcore as gmp\ngmp.Op.__new__(gmp.Op)\n",
    "call": "import gmpcore as gmp\ngmp.Op()\n",
    "subclass": "import gmpcore as gmp\nclass O(gmp.Op):\n    pass\nO.__new__(O)\n",
    "subclass-init": ("import gmpcore as gmp\nclass O(gmp.Op):\n    def __init__(self):\n"
                      "        pass\nO()\n"),
    "new-args": "import gmpcore as gmp\ngmp.Op.__new__(gmp.Op, 1, 2)\n",
}


@pytest.mark.parametrize("how", sorted(OP_FORGERIES))
def test_op_cannot_be_forged(how):
    src = "try:\n" + textwrap.indent(OP_FORGERIES[how], "    ") + textwrap.dedent("""
        except TypeError as exc:
            print("TypeError", exc)
        else:
            print("made one")
        """)
    out = run_child(src)
    assert out.startswith("TypeError Op objects are made by Sched.start_runqput()"), out


@pytest.mark.parametrize("kind", sorted(TYPES))
def test_members_of_real_objects_work(kind):
    """The control: the same calls on properly made objects succeed."""
    s = gmp.Sched(2)
    s.runqput(0, 4)
    x = {"Sched": lambda: s, "RandomOrder": lambda: gmp.RandomOrder(5),
         "Op": lambda: s.start_runqget(0)}[kind]()
    for member, args in TYPES[kind].items():
        eval(f"x.{member}{args}", {"x": x})


# ---------------------------------------------------------------- __init__ twice

def test_random_order_init_twice_refused():
    o = gmp.RandomOrder(6)
    with pytest.raises(RuntimeError, match=r"RandomOrder.__init__ may only run once"):
        o.__init__(5)
    assert o.count == 6 and o.order(13).tolist() == [1, 2, 3, 4, 5, 0]
    with pytest.raises(RuntimeError, match=r"may only run once"):
        o.__init__(0)                      # refused before the argument is even looked at
    assert o.coprimes.tolist() == [1, 5]


def test_sched_init_twice_refused_even_with_bad_arguments():
    s = gmp.Sched(2)
    s.runqput(0, 1)
    with pytest.raises(RuntimeError, match=r"Sched.__init__ may only run once"):
        s.__init__(0)
    assert s.nprocs == 2 and s.runq(0).tolist() == [1]


def test_sched_init_twice_with_pending_op():
    s = gmp.Sched(2)
    s.runqput(0, 1)
    op = s.start_runqget(0)
    with pytest.raises(RuntimeError, match=r"may only run once"):
        s.__init__(3)
    assert op.run() == (1, False)


# ---------------------------------------------------------------- pickle and copy

@pytest.mark.parametrize("dup", [copy.copy, copy.deepcopy,
                                 lambda o: pickle.loads(pickle.dumps(o))],
                         ids=["copy", "deepcopy", "pickle"])
def test_random_order_copies(dup):
    o = gmp.RandomOrder(12)
    d = dup(o)
    assert d is not o and d.count == 12
    assert d.coprimes.tolist() == o.coprimes.tolist()
    assert d.order(77).tolist() == o.order(77).tolist()


def test_uninitialised_random_order_cannot_be_pickled():
    o = gmp.RandomOrder.__new__(gmp.RandomOrder)
    with pytest.raises(RuntimeError, match="not initialised"):
        pickle.dumps(o)


@pytest.mark.parametrize("dup", [copy.copy, copy.deepcopy, pickle.dumps],
                         ids=["copy", "deepcopy", "pickle"])
def test_sched_and_op_refuse_copies(dup):
    s = gmp.Sched(2)
    s.runqput(0, 3)
    op = s.start_runqget(0)
    with pytest.raises(TypeError, match=r"Sched objects cannot be copied or pickled"):
        dup(s)
    with pytest.raises(TypeError, match=r"Op objects cannot be copied or pickled"):
        dup(op)
    assert op.run() == (3, False)


# ---------------------------------------------------------------- hand-built CompiledWorkload
#
# simulate() accepts a CompiledWorkload, and the compiled engine reads its
# arrays without bounds checks: every invariant the engines rely on is
# checked when one is made.  No Workload.compile() output may be refused, and
# every array broken in one place must be, with a ValueError.

O = Opcode


def parts(c):
    """The fields of `c` as fresh writable arrays, ready to break."""
    return dict(code=np.array(c.code), dists=np.array(c.dists), entry=np.array(c.entry),
                chan_cap=np.array(c.chan_cap), n_waitgroups=c.n_waitgroups,
                loop_depth=np.array(c.loop_depth), program_names=c.program_names,
                max_gomaxprocs=c.max_gomaxprocs, n_mutexes=c.n_mutexes,
                panic_messages=c.panic_messages, span_names=c.span_names,
                n_rwmutexes=c.n_rwmutexes, n_conds=c.n_conds, timers=np.array(c.timers))


def rows(p, *opcodes):
    return np.flatnonzero(np.isin(p["code"][:, 0], opcodes))


def ends(p):
    return np.append(p["entry"][1:], len(p["code"])) - 1


MUTATIONS = {}


def mutation(match):
    """Register a mutation: it breaks one invariant of the parts it gets, or
    returns False when the workload has nothing to break that way."""
    def register(fn):
        MUTATIONS[fn.__name__] = (fn, match)
        return fn
    return register


def _set(p, opcode, col, value, last=False):
    r = rows(p, opcode)
    if not len(r):
        return False
    p["code"][r[-1] if last else r[0], col] = value(p) if callable(value) else value
    return True


@mutation(r"SPAN_END: operand a \(span name index\) must be \d+, its SPAN_BEGIN's")
def span_end_other_name(p):
    r = rows(p, O.SPAN_END)
    if len(p["span_names"]) < 2 or not len(r):
        return False
    p["code"][r[0], 1] = 1 - p["code"][r[0], 1] if p["code"][r[0], 1] < 2 else 0


@mutation(r"SPAN_BEGIN: operand a \(span name index\) must be in \[0, \d+\]; "
          r"len\(span_names\)")
def span_name_out_of_range(p):
    return _set(p, O.SPAN_BEGIN, 1, lambda p: len(p["span_names"]))


@mutation(r"SPAN_END: operand b \(depth\) must be \d+, the depth of its SPAN_BEGIN")
def span_end_depth_column(p):
    return _set(p, O.SPAN_END, 2, lambda p: p["code"][rows(p, O.SPAN_END)[0], 2] + 1)


@mutation(r"SPAN_BEGIN has no SPAN_END in program 0")
def span_without_end(p):
    r = [pc for pc in rows(p, O.SPAN_END) if p["code"][pc + 1, 0] == O.EXIT]  # outermost
    if not r:
        return False
    p["code"][r[0]] = (O.GOSCHED, 0, 0, 0)


@mutation(r"entry\[0\] must be 0")
def entry_not_zero(p):
    p["entry"][0] = 1


@mutation(r"entry\[\d+\] = \d+ must be greater than entry\[\d+\] = \d+")
def entries_out_of_order(p):
    if len(p["entry"]) < 3:
        return False
    p["entry"][[1, 2]] = p["entry"][[2, 1]]


@mutation(r"entry\[1\] = 0 must be greater than entry\[0\] = 0")
def empty_program(p):
    if len(p["entry"]) < 2:
        return False
    p["entry"][1] = 0


@mutation(r"entry\[\d+\] must be in \[0, \d+\] \(len\(code\) = \d+\), got \d+")
def entry_beyond_code(p):
    p["entry"] = np.append(p["entry"], len(p["code"]))
    p["loop_depth"] = np.append(p["loop_depth"], 0)
    p["program_names"] += ("",)


@mutation(r"program 0 must end with EXIT, got GOSCHED")
def no_exit_at_end(p):
    p["code"][ends(p)[0]] = (O.GOSCHED, 0, 0, 0)


@mutation(r"GOMAXPROCS: operand a \(n\) must be in \[-9223372036854775808, 4096\]")
def gomaxprocs_too_big(p):
    r = rows(p, O.GOMAXPROCS)
    if not len(r):
        return False
    p["code"][r[0], 1] = 4097
    p["max_gomaxprocs"] = 4097


@mutation(r"max_gomaxprocs must be \d+, the largest GOMAXPROCS operand")
def max_gomaxprocs_wrong(p):
    p["max_gomaxprocs"] += 1


@mutation(r"unknown opcode 61 \(opcodes are 0 to \d+")
def opcode_too_big(p):
    p["code"][0, 0] = 61                       # below the internal 62/63


@mutation(r"unknown opcode -1")
def opcode_negative(p):
    p["code"][-1, 0] = -1


@mutation(r"operand a \(dist index\) (must be in \[0, \d+\]|has no valid value); "
          r"len\(dists\) = \d+, got")
def dist_index_too_big(p):
    return _set(p, [O.CPU, O.SYSCALL, O.SLEEP, O.NETWAIT][hash(len(p["code"])) % 4], 1,
                lambda p: len(p["dists"])) or _set(p, O.CPU, 1, lambda p: len(p["dists"]))


@mutation(r"operand a \(dist index\) must be in .* got -1")
def dist_index_negative(p):
    return _set(p, O.SLEEP, 1, -1) or _set(p, O.CPU, 1, -1) or _set(p, O.SYSCALL, 1, -1)


@mutation(r"CPU: operand b \(preemptible flag\) must be in \[0, 1\], got 2")
def cpu_flag(p):
    return _set(p, O.CPU, 2, 2)


@mutation(r"SYSCALL: operand b \(blocking flag\) must be in \[0, 1\], got -1")
def syscall_flag(p):
    return _set(p, O.SYSCALL, 2, -1, last=True)


@mutation(r"GO: operand a \(program index\) must be in \[0, \d+\]; len\(entry\) = \d+")
def go_program(p):
    return _set(p, O.GO, 1, lambda p: len(p["entry"]))


@mutation(r"GO: operand b \(count\) must be in \[0, 1000000000\], got 1000000001")
def go_count_too_big(p):
    return _set(p, O.GO, 2, 10**9 + 1, last=True)


@mutation(r"GO: operand b \(count\) must be in \[0, 1000000000\], got -1")
def go_count_negative(p):
    return _set(p, O.GO, 2, -1)


@mutation(r"(SEND|RECV): operand a \(channel index\) must be in \[0, \d+\]; "
          r"len\(chan_cap\) = \d+, got \d+")
def chan_index(p):
    return _set(p, O.RECV, 1, lambda p: len(p["chan_cap"]), last=True) or \
        _set(p, O.SEND, 1, lambda p: len(p["chan_cap"]))


@mutation(r"(SEND|RECV): operand a \(channel index\) has no valid value; "
          r"len\(chan_cap\) = 0, got \d+")
def no_channels(p):
    if not len(rows(p, O.SEND, O.RECV)):
        return False
    p["chan_cap"] = p["chan_cap"][:0]


@mutation(r"CLOSE: operand a \(channel index\) must be in \[0, \d+\]; len\(chan_cap\) = \d+")
def close_chan_index(p):
    return _set(p, O.CLOSE, 1, lambda p: len(p["chan_cap"]))


@mutation(r"RANGE: operand a \(channel index\) must be in \[0, \d+\]; len\(chan_cap\) = \d+")
def range_chan_index(p):
    return _set(p, O.RANGE, 1, lambda p: len(p["chan_cap"]))


@mutation(r"RANGE: operand c \(exit pc\) must be \d+, just after its ENDRANGE")
def range_exit_pc(p):
    return _set(p, O.RANGE, 3, lambda p: p["code"][rows(p, O.RANGE)[0], 3] - 1)


@mutation(r"ENDRANGE: operand a \(range pc\) must be \d+, its RANGE")
def endrange_range_pc(p):
    return _set(p, O.ENDRANGE, 1, lambda p: p["code"][rows(p, O.ENDRANGE)[0], 1] + 1)


@mutation(r"(RANGE is not closed in program|ENDLOOP does not close the RANGE)")
def range_without_endrange(p):
    return _set(p, O.ENDRANGE, slice(None), (O.GOSCHED, 0, 0, 0))


@mutation(r"(ENDRANGE does not close the LOOP|LOOP: operand c \(exit pc\) must be)")
def endrange_closes_a_loop(p):
    # swap the ENDLOOP inside a range body with the ENDRANGE after it
    r = rows(p, O.ENDRANGE)
    if not len(r) or p["code"][r[0] - 1, 0] != O.ENDLOOP:
        return False
    p["code"][[r[0] - 1, r[0]]] = p["code"][[r[0], r[0] - 1]]


@mutation(r"(WG_ADD|WG_WAIT): operand a \(waitgroup index\) "
          r"(must be in \[0, \d+\]|has no valid value); n_waitgroups = \d+")
def wg_index(p):
    r = rows(p, O.WG_ADD, O.WG_WAIT)
    if not len(r):
        return False
    p["n_waitgroups"] = int(p["code"][r, 1].max())          # one too few


@mutation(r"(LOCK|UNLOCK): operand a \(mutex index\) "
          r"(must be in \[0, \d+\]|has no valid value); n_mutexes = \d+")
def mutex_index(p):
    r = rows(p, O.LOCK, O.UNLOCK)
    if not len(r):
        return False
    p["n_mutexes"] = int(p["code"][r, 1].max())             # one too few


@mutation(r"(TIMER_RESET|TIMER_STOP|TIMER_RECV): operand a \(timer index\) "
          r"(must be in \[0, \d+\]|has no valid value); len\(timers\) = \d+")
def timer_index(p):
    r = rows(p, O.TIMER_RESET, O.TIMER_STOP, O.TIMER_RECV)
    if not len(r):
        return False
    p["timers"] = p["timers"][:int(p["code"][r, 1].max())]  # one too few


@mutation(r"TIMER_RESET: operand b \(dist index\) must be in \[0, \d+\]; len\(dists\) = \d+")
def timer_reset_dist(p):
    return _set(p, O.TIMER_RESET, 2, lambda p: len(p["dists"]))


@mutation(r"AFTER: operand a \(dist index\) must be in \[0, \d+\]; len\(dists\) = \d+")
def after_dist(p):
    return _set(p, O.AFTER, 1, lambda p: len(p["dists"]))


@mutation(r"TIMER_STOP: operand b is unused and must be 0, got 1")
def timer_stop_operand_b(p):
    return _set(p, O.TIMER_STOP, 2, 1)


@mutation(r"timers\[0\] kind must be 0 \(timer\), 1 \(ticker\) or 2 \(func\), got 3")
def timer_kind(p):
    if not len(p["timers"]):
        return False
    p["timers"][0, 0] = 3


@mutation(r"timers\[\d+\]: an AfterFunc timer's program must be in \[0, \d+\]")
def afterfunc_program(p):
    r = np.flatnonzero(p["timers"][:, 0] == 2)
    if not len(r):
        return False
    p["timers"][r[0], 1] = len(p["entry"])


@mutation(r"timers\[\d+\]: a channel timer's program must be -1, got 0")
def channel_timer_program(p):
    r = np.flatnonzero(p["timers"][:, 0] != 2)
    if not len(r):
        return False
    p["timers"][r[0], 1] = 0


@mutation(r"TIMER_RECV: timer \d+ is an AfterFunc timer \(timers\[\d+\] kind 2\), "
          r"which has no channel")
def recv_of_afterfunc(p):
    f = np.flatnonzero(p["timers"][:, 0] == 2)
    if not len(f) or not len(rows(p, O.TIMER_RECV)):
        return False
    return _set(p, O.TIMER_RECV, 1, int(f[0]))


@mutation(r"UNLOCK: operand b is unused and must be 0, got 1")
def unlock_operand_b(p):
    return _set(p, O.UNLOCK, 2, 1)


@mutation(r"(RLOCK|RUNLOCK|RWLOCK|RWUNLOCK): operand a \(rwmutex index\) "
          r"(must be in \[0, \d+\]|has no valid value); n_rwmutexes = \d+")
def rwmutex_index(p):
    r = rows(p, O.RLOCK, O.RUNLOCK, O.RWLOCK, O.RWUNLOCK)
    if not len(r):
        return False
    p["n_rwmutexes"] = int(p["code"][r, 1].max())           # one too few


@mutation(r"(NOTIFY_ADD|NOTIFY_WAIT|NOTIFY): operand a \(cond index\) "
          r"(must be in \[0, \d+\]|has no valid value); n_conds = \d+")
def cond_index(p):
    r = rows(p, O.NOTIFY_ADD, O.NOTIFY_WAIT, O.NOTIFY)
    if not len(r):
        return False
    p["n_conds"] = int(p["code"][r, 1].max())               # one too few


@mutation(r"RWLOCK: operand b \(step\) must be in \[0, 1\], got 2")
def rwlock_step(p):
    return _set(p, O.RWLOCK, 2, 2)


@mutation(r"RWUNLOCK: operand b \(step\) must be in \[0, 1\], got -1")
def rwunlock_step(p):
    return _set(p, O.RWUNLOCK, 2, -1)


@mutation(r"RLOCK: operand b is unused and must be 0, got 1")
def rlock_operand_b(p):
    return _set(p, O.RLOCK, 2, 1)


@mutation(r"NOTIFY: operand b \(broadcast flag\) must be in \[0, 1\], got 2")
def notify_flag(p):
    return _set(p, O.NOTIFY, 2, 2)


@mutation(r"NOTIFY_WAIT: operand c is unused and must be 0, got 5")
def notify_wait_operand_c(p):
    return _set(p, O.NOTIFY_WAIT, 3, 5)


@mutation(r"SEND: operand b \(span name index \+ 1, 0 for none\) must be in \[0, (\d+)\]; "
          r"len\(span_names\) = \1, got \d+")
def send_span_beyond(p):
    return _set(p, O.SEND, 2, lambda p: len(p["span_names"]) + 1)


@mutation(r"SEND: operand b \(span name index \+ 1, 0 for none\) must be in \[0, \d+\]; "
          r"len\(span_names\) = \d+, got -1")
def send_span_negative(p):
    return _set(p, O.SEND, 2, -1)


@mutation(r"SPAN_RECV_END: operand a \(span name index\) must be in \[0, \d+\]; "
          r"len\(span_names\) = \d+, got \d+")
def span_recv_end_name(p):
    return _set(p, O.SPAN_RECV_END, 1, lambda p: len(p["span_names"]))


@mutation(r"n_rwmutexes must be in \[0, MAX_RWMUTEXES = 10000000\], got -1")
def n_rwmutexes_negative(p):
    p["n_rwmutexes"] = -1


@mutation(r"n_conds must be in \[0, MAX_CONDS = 10000000\], got -1")
def n_conds_negative(p):
    p["n_conds"] = -1


@mutation(r"n_mutexes must be in \[0, MAX_MUTEXES = 10000000\], got -1")
def n_mutexes_negative(p):
    p["n_mutexes"] = -1


@mutation(r"LOOP: operand a \(count\) must be in \[0, 4611686018427387904\], got -1")
def loop_count_negative(p):
    return _set(p, O.LOOP, 1, -1)


@mutation(r"LOOP: operand a \(count\) must be in .* got 4611686018427387905")
def loop_count_too_big(p):
    return _set(p, O.LOOP, 1, 2**62 + 1, last=True)


@mutation(r"(LOOP has no ENDLOOP|SPAN_BEGIN has no SPAN_END) in program \d+")
def loop_without_endloop(p):
    return _set(p, O.ENDLOOP, slice(None), (O.GOSCHED, 0, 0, 0), last=True)


@mutation(r"(ENDLOOP has no LOOP open before it|LOOP: operand b \(depth\) must be 0)")
def endloop_without_loop(p):
    return _set(p, O.LOOP, slice(None), (O.GOSCHED, 0, 0, 0))


@mutation(r"LOOP: operand b \(depth\) must be \d+, the number of loops open around it")
def loop_depth_column(p):
    r = rows(p, O.LOOP)
    if not len(r):
        return False
    p["code"][r[-1], 2] += 1 if p["code"][r[-1], 2] < 63 else -1


@mutation(r"ENDLOOP: operand b \(depth\) must be \d+, the depth of its LOOP")
def endloop_depth_column(p):
    r = rows(p, O.ENDLOOP)
    if not len(r):
        return False
    p["code"][r[0], 2] += 1 if p["code"][r[0], 2] < 63 else -1


@mutation(r"ENDLOOP: operand a \(body pc\) must be \d+, just after its LOOP")
def endloop_body_pc(p):
    r = rows(p, O.ENDLOOP)
    if not len(r):
        return False
    p["code"][r[0], 1] -= 1


@mutation(r"LOOP: operand c \(exit pc\) must be \d+, just after its ENDLOOP")
def loop_exit_pc(p):
    r = rows(p, O.LOOP)
    if not len(r):
        return False
    p["code"][r[0], 3] -= 1


@mutation(r"LOOP: operand c \(exit pc\) must be in \[0, \d+\]; len\(code\)")
def loop_exit_beyond_code(p):
    return _set(p, O.LOOP, 3, lambda p: len(p["code"]) + 1)


@mutation(r"loop_depth\[\d+\] must be \d+, the deepest LOOP nesting in program")
def loop_depth_too_big(p):
    p["loop_depth"][-1] += 1


@mutation(r"loop_depth\[\d+\] must be \d+, the deepest LOOP nesting in program")
def loop_depth_too_small(p):
    if not p["loop_depth"].any():
        return False
    p["loop_depth"][np.argmax(p["loop_depth"])] -= 1


@mutation(r"loop_depth\[0\] must be in \[0, MAX_LOOP_DEPTH = 64\], got 65")
def loop_depth_beyond_max(p):
    p["loop_depth"][0] = 65


@mutation(r"STACK: operand a \(bytes\) must be in \[1, 1099511627776\], got 0")
def stack_zero(p):
    return _set(p, O.STACK, 1, 0)


@mutation(r"STACK: operand a \(bytes\) must be in \[1, 1099511627776\], got 1099511627777")
def stack_too_big(p):
    return _set(p, O.STACK, 1, 2**40 + 1, last=True)


@mutation(r"EXIT: operand c is unused and must be 0, got 1")
def exit_operand(p):
    p["code"][-1, 3] = 1


@mutation(r"(GOSCHED|SEND|RECV|WG_WAIT|SLEEP|NETWAIT): operand b is unused and must be 0")
def unused_operand(p):
    return any(_set(p, op, 2, 7) for op in (O.GOSCHED, O.SEND, O.RECV, O.WG_WAIT,
                                            O.SLEEP, O.NETWAIT))


@mutation(r"(CLOSE|RANGE|ENDRANGE): operand b is unused and must be 0")
def unused_chan_operand(p):
    return any(_set(p, op, 2, 7) for op in (O.CLOSE, O.RANGE, O.ENDRANGE))


def _dist(p, kinds, col, value):
    r = np.flatnonzero(np.isin(p["dists"][:, 0], kinds))
    if not len(r):
        return False
    p["dists"][r[0], col] = value(p["dists"][r[0]]) if callable(value) else value


ANY_KIND = (0, 1, 2, 3)


@mutation(r"dists\[\d+\] = .*: kind must be 0 \(constant\), 1 \(uniform\)")
def dist_kind_unknown(p):
    return _dist(p, ANY_KIND, 0, 4)


@mutation(r"dists\[\d+\] = .*: kind must be")
def dist_kind_fraction(p):
    return _dist(p, ANY_KIND, 0, 0.5)


@mutation(r"dists\[\d+\] = .*: p1 must be a whole number of ns in \[0, 2\*\*53\]")
def dist_p1_negative(p):
    return _dist(p, ANY_KIND, 1, -1)


@mutation(r"dists\[\d+\] = .*: p1 must be a whole number of ns in \[0, 2\*\*53\]")
def dist_p1_nan(p):
    return _dist(p, ANY_KIND, 1, np.nan)


@mutation(r"dists\[\d+\] = .*: p1 must be a whole number of ns in \[0, 2\*\*53\]")
def dist_p1_inf(p):
    return _dist(p, ANY_KIND, 1, np.inf)


@mutation(r"dists\[\d+\] = .*: p1 must be a whole number of ns in \[0, 2\*\*53\]")
def dist_p1_too_big(p):
    return _dist(p, (0, 2, 3), 1, 2.0**53 + 2)


@mutation(r"dists\[\d+\] = .*: p1 must be a whole number of ns in \[0, 2\*\*53\]")
def dist_p1_fraction(p):
    return _dist(p, ANY_KIND, 1, 1.5)


@mutation(r"a uniform's p2 \(high\) must be a whole number of ns in \[p1, 2\*\*53\]")
def uniform_high_below_low(p):
    return _dist(p, (1,), 2, lambda row: row[1] - 1) if _has_dist(p, 1, lambda r: r[1] > 0) \
        else False


@mutation(r"a uniform's p2 \(high\) must be a whole number of ns in \[p1, 2\*\*53\]")
def uniform_high_fraction(p):
    return _dist(p, (1,), 2, lambda row: row[2] + 0.25)


@mutation(r"a lognormal's p2 \(sigma\) must be finite and >= 0")
def lognormal_sigma_negative(p):
    return _dist(p, (3,), 2, -1.0)


@mutation(r"a lognormal's p2 \(sigma\) must be finite and >= 0")
def lognormal_sigma_nan(p):
    return _dist(p, (3,), 2, np.nan)


@mutation(r"a constant's or exponential's p2 must be 0")
def constant_p2(p):
    return _dist(p, (0, 2), 2, 1.0)


def _has_dist(p, kind, cond):
    return any(row[0] == kind and cond(row) for row in p["dists"])


@mutation(r"chan_cap\[\d+\] must be in \[0, 2\*\*31\], got -1")
def chan_cap_negative(p):
    if not len(p["chan_cap"]):
        return False
    p["chan_cap"][-1] = -1


@mutation(r"chan_cap\[\d+\] must be in \[0, 2\*\*31\], got 2147483649")
def chan_cap_too_big(p):
    if not len(p["chan_cap"]):
        return False
    p["chan_cap"][0] = 2**31 + 1


@mutation(r"n_waitgroups must be in \[0, MAX_WAITGROUPS = 10000000\], got -1")
def n_waitgroups_negative(p):
    p["n_waitgroups"] = -1


@mutation(r"n_waitgroups must be in \[0, MAX_WAITGROUPS = 10000000\], got 10000001")
def n_waitgroups_too_many(p):
    p["n_waitgroups"] = 10**7 + 1


@mutation(r"operand a \(dist index\) (must be in \[0, \d+\]|has no valid value); "
          r"len\(dists\)")
def dists_truncated(p):
    if not len(rows(p, O.CPU, O.SYSCALL, O.SLEEP, O.NETWAIT)):
        return False
    p["dists"] = p["dists"][:-1]


@mutation(r"entry, loop_depth and program_names need one entry per program")
def loop_depth_short(p):
    p["loop_depth"] = p["loop_depth"][:-1]


@mutation(r"entry, loop_depth and program_names need one entry per program")
def names_long(p):
    p["program_names"] = p["program_names"] + ("extra",)


@mutation(r"code has 0 instructions; need 1 to MAX_INSTRUCTIONS")
def no_code(p):
    p["code"] = p["code"][:0]
    p["entry"] = p["entry"][:1]
    p["loop_depth"] = p["loop_depth"][:1]
    p["program_names"] = p["program_names"][:1]


@mutation(r"CHOICE: operand a \(probability \* 2\*\*53\) must be in \[0, 9007199254740992\], "
          r"got 9007199254740993")
def choice_probability_too_big(p):
    return _set(p, O.CHOICE, 1, 2**53 + 1)


@mutation(r"CHOICE: operand c \(jump pc\) must be in \[\d+, \d+\], forward within its program")
def choice_jumps_back(p):
    return _set(p, O.CHOICE, 3, lambda p: rows(p, O.CHOICE)[0])


@mutation(r"CHOICE: operand c \(jump pc\) must be in \[\d+, \d+\], forward within its program")
def choice_jumps_out_of_its_program(p):
    r = rows(p, O.CHOICE)
    if not len(r):
        return False
    p["code"][r[-1], 3] = ends(p)[np.searchsorted(p["entry"], r[-1], side="right") - 1] + 1


@mutation(r"LOOPDRAW: operand a \(dist index\) must be in \[0, \d+\]; len\(dists\)")
def loopdraw_dist_index(p):
    return _set(p, O.LOOPDRAW, 1, lambda p: len(p["dists"]))


@mutation(r"LOOPDRAW: operand c \(exit pc\) must be in \[0, \d+\]; len\(code\)")
def loopdraw_exit_beyond_code(p):
    return _set(p, O.LOOPDRAW, 3, lambda p: len(p["code"]) + 1)


@mutation(r"LOOP: operand c \(exit pc\) must be \d+, just after its ENDLOOP")
def loopdraw_exit_pc(p):
    return _set(p, O.LOOPDRAW, 3, lambda p: p["code"][rows(p, O.LOOPDRAW)[0], 3] - 1)


@mutation(r"GOEXIT: operand a is unused and must be 0, got 1")
def goexit_operand(p):
    return _set(p, O.GOEXIT, 1, 1)


@mutation(r"PANIC: operand a \(message index\) has no valid value; len\(panic_messages\) = 0")
def panic_messages_missing(p):
    if not len(rows(p, O.PANIC)):
        return False
    p["panic_messages"] = ()


@mutation(r"SELCASE, got \w+|must be SELCASE")
def select_count_too_big(p):
    return _set(p, O.SELECT, 1, lambda p: p["code"][rows(p, O.SELECT)[0], 1] + 1)


@mutation(r"SELCASE is not one of the rows right after a SELECT")
def selcase_without_its_select(p):
    r = [pc for pc in rows(p, O.SELECT) if p["code"][pc, 1] >= 2]
    if not r:
        return False
    p["code"][r[0], 1] -= 1


@mutation(r"SELECT: operand c \(end pc\) must be in \[\d+, \d+\], after its cases")
def select_end_before_its_cases(p):
    return _set(p, O.SELECT, 3, lambda p: rows(p, O.SELECT)[0] + 1)


@mutation(r"SELECT: operand b \(default flag\) must be in \[0, 1\], got 2")
def select_default_flag(p):
    return _set(p, O.SELECT, 2, 2)


@mutation(r"SELCASE: operand a \(case kind\) must be in \[0, 3\], got 4")
def selcase_kind(p):
    return _set(p, O.SELCASE, 1, 4)


@mutation(r"SELCASE: operand b \(channel index; len\(chan_cap\) = \d+\) must be in")
def selcase_channel_index(p):
    r = [pc for pc in rows(p, O.SELCASE) if p["code"][pc, 1] in (w.SEL_RECV, w.SEL_SEND)]
    if not r:
        return False
    p["code"][r[0], 2] = len(p["chan_cap"])


@mutation(r"SELCASE: operand b \(dist index; len\(dists\) = \d+\) must be in")
def selcase_after_dist_index(p):
    r = [pc for pc in rows(p, O.SELCASE) if p["code"][pc, 1] == w.SEL_AFTER]
    if not r:
        return False
    p["code"][r[0], 2] = len(p["dists"])


@mutation(r"SELCASE: operand b \(timer index; len\(timers\) = \d+\) must be in")
def selcase_timer_index(p):
    r = [pc for pc in rows(p, O.SELCASE) if p["code"][pc, 1] == w.SEL_RECV_TIMER]
    if not r:
        return False
    p["code"][r[0], 2] = len(p["timers"])


@mutation(r"SELCASE: timer \d+ is an AfterFunc timer \(timers\[\d+\] kind 2\), "
          r"which has no channel")
def selcase_timer_of_afterfunc(p):
    r = [pc for pc in rows(p, O.SELCASE) if p["code"][pc, 1] == w.SEL_RECV_TIMER]
    f = np.flatnonzero(p["timers"][:, 0] == 2)
    if not r or not len(f):
        return False
    p["code"][r[0], 2] = int(f[0])


@mutation(r"SELCASE: operand b \(channel index; len\(chan_cap\) = \d+\) must be in")
def selcase_timer_kind_on_a_channel_row(p):
    # a timer case turned into a channel case whose channel does not exist
    r = [pc for pc in rows(p, O.SELCASE) if p["code"][pc, 1] == w.SEL_RECV_TIMER]
    if not r:
        return False
    p["code"][r[0], 1] = w.SEL_RECV
    p["code"][r[0], 2] = len(p["chan_cap"])


@mutation(r"SELCASE: operand c \(body pc\) must be in \[\d+, \d+\], between its SELECT")
def selcase_body_before_its_cases(p):
    return _set(p, O.SELCASE, 3, lambda p: rows(p, O.SELCASE)[0])


@mutation(r"SELEND: operand a \(end pc\) must be in \[\d+, \d+\], forward within its program")
def selend_backwards(p):
    return _set(p, O.SELEND, 1, lambda p: rows(p, O.SELEND)[0])


@mutation(r"SELEND: operand a \(end pc\) \d+ is a SELCASE row")
def selend_into_case_rows(p):
    for j in rows(p, O.SELEND):
        later = [pc for pc in rows(p, O.SELCASE) if pc > j
                 and np.searchsorted(p["entry"], pc, side="right")
                 == np.searchsorted(p["entry"], j, side="right")]
        if later:
            p["code"][j, 1] = later[0]
            return True
    return False


@mutation(r"BLOCK: operand a is unused and must be 0, got 1")
def block_operand(p):
    return _set(p, O.BLOCK, 1, 1)


def rich():
    """A workload with every opcode, nested loops and every distribution kind."""
    wl = gmp.Workload()
    ch, ch2, wg, mu = wl.chan(cap=2), wl.chan(), wl.waitgroup(), wl.mutex()
    worker = wl.program(repeat := gmp.repeat(2, gmp.cpu(gmp.uniform(1, 5)),
                                             gmp.repeat(3, gmp.send(ch), gmp.recv(ch2))),
                        gmp.done(wg), name="worker")
    del repeat
    helper = wl.program(gmp.repeat(6, gmp.send(ch2)), gmp.exit(), gmp.gosched())
    jobs = wl.chan(cap=1)
    ranger = wl.program(gmp.repeat(1, gmp.each(jobs, gmp.span("job", gmp.cpu(1)),
                                                gmp.span_end("job"),
                                                gmp.repeat(2, gmp.gosched()))),
                        name="ranger")
    rw, mu2 = wl.rwmutex(), wl.mutex()
    c, c2 = wl.cond(mu2), wl.cond(rw)
    # The signaller gets mu2 only once main's Wait has taken its ticket and unlocked.
    signaller = wl.program(gmp.lock(mu2), gmp.signal(c), gmp.broadcast(c2), gmp.unlock(mu2),
                           name="signaller")
    flow = wl.program(gmp.choice((1, [gmp.cpu(1)]), (0, []),
                                 (3, [gmp.repeat(gmp.uniform(0, 3), gmp.gosched())])),
                      gmp.goexit(), gmp.cpu(5), name="flow")
    wl.program(gmp.panic("never started"), name="panicky")
    wl.program(gmp.select(), name="blocker")
    sc, sc2 = wl.chan(cap=1), wl.chan(cap=1)
    selects = [gmp.select(gmp.case_recv(sc, gmp.cpu(1)), gmp.case_after(gmp.uniform(1, 5)),
                          gmp.case_default(gmp.gosched())),
               gmp.select(gmp.case_recv(sc2), gmp.case_send(sc, gmp.repeat(2, gmp.cpu(1)))),
               gmp.select(gmp.case_after(100, gmp.select(gmp.case_recv(sc), gmp.case_send(sc2)))),
               gmp.select(gmp.case_send(sc2), gmp.case_default())]
    wl.main(gmp.add(wg, 1), gmp.go(worker), gmp.go(helper, count=1),
            gmp.syscall("1us", blocking=True), gmp.syscall("2us"),
            gmp.sleep(gmp.lognormal(1000, 0.5)), gmp.netwait(gmp.exponential(100)),
            gmp.gosched(), gmp.repeat(6, gmp.recv(ch)), gmp.wait(wg), gmp.stack("8KiB"),
            gmp.cpu(7, preemptible=False), gmp.gomaxprocs(3), gmp.gomaxprocs(0),
            gmp.go(ranger), gmp.send(jobs, span="job"), gmp.close(jobs),
            gmp.rlock(rw), gmp.runlock(rw), gmp.lock(rw), gmp.unlock(rw),
            gmp.lock(mu2), gmp.go(signaller), gmp.wait(c), gmp.unlock(mu2),
            gmp.lock(mu), gmp.unlock(mu), gmp.go(flow), *selects,
            gmp.reset(t := wl.timer(), 3), gmp.recv(t), gmp.reset(tk := wl.ticker(), 5),
            gmp.recv(tk), gmp.select(gmp.case_recv(sc2), gmp.case_recv(tk, gmp.cpu(1))),
            gmp.stop(tk), gmp.after(gmp.uniform(1, 9)),
            gmp.reset(wl.timer(func=flow), 2), gmp.stop(t),
            gmp.span("locked", gmp.lock(mu), gmp.span("job"), gmp.unlock(mu)))
    return wl


def test_rich_workload_runs_and_round_trips(engine):
    c = rich().compile()
    again = CompiledWorkload(**parts(c))
    assert again.code.tolist() == c.code.tolist()
    gmp.simulate(again, gomaxprocs=2, engine=engine)


@pytest.mark.parametrize("name", sorted(MUTATIONS))
def test_broken_compiled_workload_is_refused(name):
    fn, match = MUTATIONS[name]
    p = parts(rich().compile())
    assert fn(p) is not False, f"{name} found nothing to break in rich()"
    with pytest.raises(ValueError, match=r"^CompiledWorkload: .*" + match):
        gmp.simulate(CompiledWorkload(**p), engine="compiled")


def test_the_issues_endloop_without_loop():
    """ENDLOOP with no LOOP set: the compiled engine read an uninitialised counter."""
    wl = gmp.Workload()
    wl.main(gmp.repeat(2, gmp.cpu(1)))
    p = parts(wl.compile())
    assert p["code"][:, 0].tolist() == [O.LOOP, O.CPU, O.ENDLOOP, O.EXIT]
    p["code"][0] = (O.GOSCHED, 0, 0, 0)
    with pytest.raises(ValueError, match=r"^CompiledWorkload: code\[2\] ENDLOOP has no LOOP "
                                         r"open before it in program 0$"):
        CompiledWorkload(**p)
    p["loop_depth"][0] = 0                     # and with loop_depth agreeing: still refused
    with pytest.raises(ValueError, match=r"code\[2\] ENDLOOP has no LOOP open"):
        CompiledWorkload(**p)


def test_the_issues_entries_out_of_order():
    wl = gmp.Workload()
    a, b = wl.program(gmp.cpu(1)), wl.program(gmp.cpu(2), gmp.cpu(3))
    wl.main(gmp.go(a), gmp.go(b))
    p = parts(wl.compile())
    assert p["entry"].tolist() == [0, 3, 5]
    p["entry"] = np.array([0, 5, 3])
    with pytest.raises(ValueError, match=r"^CompiledWorkload: entry\[2\] = 3 must be greater "
                                         r"than entry\[1\] = 5 \(programs are laid out in "
                                         r"order, each at least one instruction\)$"):
        CompiledWorkload(**p)


def test_loop_across_programs_is_refused():
    wl = gmp.Workload()
    wl.main(gmp.repeat(2, gmp.cpu(1), gmp.cpu(2)))
    p = parts(wl.compile())            # LOOP CPU CPU ENDLOOP EXIT
    p["code"][2] = (O.EXIT, 0, 0, 0)   # program 1 = code[3:]: ENDLOOP EXIT
    p["entry"] = np.array([0, 3])
    p["loop_depth"] = np.array([1, 1])
    p["program_names"] = ("main", "")
    with pytest.raises(ValueError, match=r"code\[0\] LOOP has no ENDLOOP in program 0 "
                                         r"\(it ends at code\[2\]\)"):
        CompiledWorkload(**p)


def test_empty_loop_body_is_refused():
    code = [(O.LOOP, 2**62, 0, 2), (O.ENDLOOP, 1, 0, 0), (O.EXIT, 0, 0, 0)]
    with pytest.raises(ValueError, match=r"code\[0\] LOOP: the body is empty"):
        CompiledWorkload(code, np.zeros((0, 3)), [0], [], 0, [1])


@pytest.mark.parametrize("field,value,exc,match", [
    ("code", np.zeros((2, 4)) + 0.5, TypeError, r"code must hold integers, got dtype float64"),
    ("entry", np.array([0.0]), TypeError, r"entry must hold integers, got dtype float64"),
    ("chan_cap", ["1"], TypeError, r"chan_cap must hold integers"),
    ("loop_depth", np.array([2**63], dtype=np.uint64), ValueError,
     r"loop_depth\[0\] = 9223372036854775808 is beyond int64"),
    ("dists", [["a", "b", "c"]], TypeError, r"dists must hold real numbers"),
    ("code", np.zeros((2, 3), dtype=np.int64), ValueError,
     r"code: expected shape \(n, 4\), got \(2, 3\)"),
    ("entry", [[0]], ValueError, r"entry: expected shape \(n,\), got \(1, 1\)"),
    ("n_waitgroups", 1.0, TypeError, r"n_waitgroups must be an int, got float"),
    ("n_waitgroups", True, TypeError, r"n_waitgroups must be an int, got bool"),
    ("n_mutexes", 1.0, TypeError, r"n_mutexes must be an int, got float"),
    ("n_rwmutexes", 1.0, TypeError, r"n_rwmutexes must be an int, got float"),
    ("n_conds", True, TypeError, r"n_conds must be an int, got bool"),
    ("program_names", "main", TypeError, r"program_names must be a sequence of str"),
    ("program_names", (3,), TypeError, r"program_names\[0\] must be a str, got int"),
])
def test_wrong_types_and_shapes_are_refused(field, value, exc, match):
    wl = gmp.Workload()
    wl.main(gmp.cpu(1))
    p = parts(wl.compile())
    p[field] = value
    with pytest.raises(exc, match=r"^CompiledWorkload: " + match):
        CompiledWorkload(**p)


def test_empty_lists_are_accepted():
    c = CompiledWorkload([(O.GOSCHED, 0, 0, 0), (O.EXIT, 0, 0, 0)], [], [0], [], 0, [0])
    assert c.dists.shape == (0, 3) and c.chan_cap.dtype == np.int64
    assert c.program_names == ("",)


def test_arrays_are_private_copies():
    """Changing the caller's array afterwards cannot change (or break) the workload."""
    wl = gmp.Workload()
    wl.main(gmp.repeat(2, gmp.cpu(1)))
    p = parts(wl.compile())
    c = CompiledWorkload(**p)
    p["code"][0] = (O.GOSCHED, 0, 0, 0)           # would leave an ENDLOOP without LOOP
    assert c.code[0, 0] == O.LOOP
    for arr in (c.code, c.dists, c.entry, c.chan_cap, c.loop_depth):
        with pytest.raises(ValueError):
            arr.flags.writeable = True


@pytest.mark.parametrize("dup", [copy.copy, copy.deepcopy,
                                 lambda o: pickle.loads(pickle.dumps(o))],
                         ids=["copy", "deepcopy", "pickle"])
def test_compiled_workload_copies_are_checked(dup):
    c = rich().compile()
    d = dup(c)
    assert d.code.tolist() == c.code.tolist() and d.program_names == c.program_names
    assert not d.code.flags.writeable
    # Unpickling calls the constructor: arrays forged into a pickle are checked too.
    fn, args = c.__reduce__()
    args = list(args)
    args[2] = np.array(args[2])[::-1].copy()          # entries out of order
    with pytest.raises(ValueError, match="entry"):
        fn(*args)


# ---------------------------------------------------------------- property tests

def _compiled(wl):
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", w.GoroutineLeakWarning)
        return wl.compile()


@settings(max_examples=examples(60), suppress_health_check=[HealthCheck.too_slow])
@given(wl=st.one_of(workloads(), wild_workloads()))
def test_every_compiled_workload_passes_and_every_break_is_refused(wl):
    c = _compiled(wl)                              # no false rejects
    CompiledWorkload(**parts(c))                   # and none when rebuilt by hand
    for name, (fn, match) in MUTATIONS.items():
        p = parts(c)
        if fn(p) is False:
            continue
        with pytest.raises(ValueError, match=r"^CompiledWorkload: "):
            CompiledWorkload(**p)


def test_seeded_random_workloads_pass():
    """The larger seeded workloads of the differential tests: no false rejects."""
    import random
    for seed in range(25):
        c = _compiled(random_workload(random.Random(seed)))
        assert CompiledWorkload(**parts(c)).code.tolist() == c.code.tolist()


_FATAL = (gmp.GoFatalError,)


@settings(max_examples=examples(40), suppress_health_check=[HealthCheck.too_slow])
@given(wl=workloads(max_goroutines=30), data=st.data())
def test_any_accepted_mutant_runs_safely(wl, data):
    """One cell of `code` set to a random value: refused, or it runs on both
    engines with at most a Go-style fatal error (never an IndexError, an
    unknown opcode or a crash)."""
    p = parts(_compiled(wl))
    pc = data.draw(st.integers(0, len(p["code"]) - 1))
    col = data.draw(st.integers(0, 3))
    p["code"][pc, col] = data.draw(st.one_of(st.integers(-3, 70),
                                             st.sampled_from([2**31, 2**62, -2**63])))
    try:
        c = CompiledWorkload(**p)
    except ValueError:
        return
    for engine in ("compiled", "reference"):
        try:
            gmp.simulate(c, gomaxprocs=2, engine=engine, max_events=20_000)
        except _FATAL:
            pass

