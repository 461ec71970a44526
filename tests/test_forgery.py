"""Extension types used without their constructor, twice-initialised, copied.

``T.__new__(T)`` makes an object whose ``__init__`` never ran; a subclass can
also swallow the error of a failed ``super().__init__``.  Every public
method and property of such an object must raise a clear Python exception
(never touch a NULL table or divide by a zero count); ``Op`` cannot be made
without a ``Sched`` at all.  Each case runs in a subprocess, so a crash
(SIGSEGV, SIGFPE) fails that case instead of killing pytest.
"""

import copy
import os
import pickle
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import gmpcore as gmp
from gmpcore import _sched

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
UNINIT_CASES = [(how, member) for how in UNINIT
                for member in TYPES[how.split("-")[0]]]


@pytest.mark.parametrize("how,member", UNINIT_CASES)
def test_uninitialised_member_raises(how, member):
    expr = f".{member}{TYPES[how.split('-')[0]][member]}"
    out = outcome_of(UNINIT[how], expr)
    kind = how.split("-")[0]
    assert out.startswith("EXC RuntimeError: "), out
    assert f"{kind} was not initialised; construct it with {kind}(" in out, out


@pytest.mark.parametrize("how", sorted(UNINIT))
def test_uninitialised_repr_and_dealloc(how):
    out = run_child(UNINIT[how] + "print(repr(x))\ndel x\nimport gc; gc.collect()\n")
    assert "not initialised" in out


@pytest.mark.parametrize("how", sorted(UNINIT))
def test_uninitialised_then_init(how):
    """A failed or skipped __init__ leaves an object that a proper __init__ completes."""
    kind = how.split("-")[0]
    if "subclass" in how or how == "Sched-failed-init":
        pytest.skip("the subclass's own __init__ takes no arguments")
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


@pytest.mark.parametrize("member", sorted(OP_CALLS))
def test_op_members_of_a_real_op_work(member):
    """The same members on a real Op, in a child too (the control)."""
    out = outcome_of("import gmpcore as gmp\ns = gmp.Sched(2)\ns.runqput(0, 4)\n"
                     "x = s.start_runqget(0)\n", f".{member}{OP_CALLS[member]}")
    assert out.startswith("VALUE"), out


@pytest.mark.parametrize("member", sorted(SCHED_CALLS))
def test_sched_members_of_a_real_sched_work(member):
    out = outcome_of("import gmpcore as gmp\nx = gmp.Sched(2)\nx.runqput(0, 9)\n",
                     f".{member}{SCHED_CALLS[member]}")
    assert out.startswith("VALUE"), out


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
