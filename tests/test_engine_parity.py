"""The two engines are split the same way: for each concept, one compiled
file (gmpcore/_engine_<concept>.pxi) and one reference module
(gmpcore/reference/<concept>.py), and every function named after Go's
runtime lives in both, in the same concept (as cytoolz keeps toolz's
signatures).  A reader can hold the two side by side."""

import ast
import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent / "gmpcore"
CONCEPTS = ["heap", "gtable", "sched", "lockedm", "timers", "netpoll", "program", "sync", "mutex",
            "select", "rwmutex", "syscalls", "sysmon", "cpu", "stw", "runtime", "check",
            "observe"]

# Functions named after Go's runtime (or the design's step names), by concept.
GO_NAMED = {
    "heap": ["push", "event_live", "compact_events"],
    "gtable": ["newg"],
    "sched": ["pidleput", "pidleget", "pidlegetSpinning", "acquirep", "releasep", "resume",
              "newm", "startm", "stopm", "wakep", "become_spinning", "reset_spinning",
              "handoffp", "ready", "dropg", "park", "schedule", "found", "find_runnable",
              "find_after_spin", "steal_work_continue", "stolen", "drop_p", "checkdead"],
    "lockedm": ["startTemplateThread", "LockOSThread", "UnlockOSThread", "stoplockedm",
                "startlockedm", "mexit"],
    "timers": ["add_timer", "add_timer_tag", "check_timers", "wake_net_poller"],
    "netpoll": ["netpoll_break", "netpoll", "injectglist", "start_idle", "netpoll_return",
                "io_complete"],
    "program": ["execute", "run_g", "span_row", "newproc", "goexit", "gosched", "gopreempt",
                "grow_stack"],
    "sync": ["chansend", "chanrecv", "closechan", "wg_add", "stamp_in"],
    "select": ["waitq_dequeue", "chan_send_try", "chan_recv_try", "waitq_claim_all", "selectgo",
               "after_ready", "selectgo_woken", "dequeue_sudog", "sel_timer_live", "sel_case_of"],
    "mutex": ["Lock", "lockSlow", "canSpin", "semacquire", "semacquire_woken", "lockSlow_woken",
              "Unlock", "unlockSlow", "semrelease", "goyield"],
    "rwmutex": ["gsync_local", "semacquire_rw", "semrelease_rw", "rw_woken", "RLock", "RUnlock",
                "rUnlockSlow", "rwLock", "rwUnlock", "notifyListAdd", "notifyListWait",
                "notifyListNotifyOne", "notifyListNotifyAll"],
    "syscalls": ["entersyscall", "exitsyscall", "exitsyscall0"],
    "sysmon": ["sysmon_schedule", "sysmon_wake", "sysmon_loop", "retake", "preemptone",
               "async_preempt_arrives"],
    "cpu": ["place", "pick", "cpu_wake", "wakeup_preempt", "cpu_take", "cpu_fill",
            "deschedule", "cpu_release", "cpu_arm", "cpu_slice_end", "quota_charge",
            "quota_rearm", "period_timer_start", "quota_period", "quota_exhausted",
            "unthrottle", "quota_set", "cpu_check"],
    "stw": ["gomaxprocs_stw", "stw_begin", "stw_step", "stopTheWorldWithSema", "preemptall",
            "p_gcstopped", "gcstopm", "entersyscall_gcwait", "stw_stopped", "stw_end",
            "startTheWorldWithSema", "mget", "procresize", "pdestroy"],
    "runtime": ["run_runtime_op", "inject_updater"],
    "check": ["check_invariants"],
    "observe": ["observe"],
}


def compiled_functions(concept):
    text = (ROOT / f"_engine_{concept}.pxi").read_text()
    return set(re.findall(r"^cdef (?:inline )?[\w\*]+ (\w+)\(", text, re.M))


def reference_functions(concept):
    tree = ast.parse((ROOT / "reference" / f"{concept}.py").read_text())
    return {f.name for c in tree.body if isinstance(c, ast.ClassDef) for f in c.body
            if isinstance(f, ast.FunctionDef)}


@pytest.mark.parametrize("concept", CONCEPTS)
def test_each_concept_has_a_twin_with_its_contract(concept):
    pxi = (ROOT / f"_engine_{concept}.pxi").read_text()
    py = (ROOT / "reference" / f"{concept}.py").read_text()
    assert pxi.startswith("# ") and f"gmpcore/reference/{concept}.py" in pxi.split("\n\n")[0]
    assert f"gmpcore/_engine_{concept}.pxi" in ast.get_docstring(ast.parse(py))
    assert f'include "_engine_{concept}.pxi"' in (ROOT / "_engine.pyx").read_text()


@pytest.mark.parametrize("concept", CONCEPTS)
def test_go_named_functions_live_in_both_engines_alike(concept):
    names = set(GO_NAMED[concept])
    assert names <= compiled_functions(concept), names - compiled_functions(concept)
    assert names <= reference_functions(concept), names - reference_functions(concept)


def test_no_go_named_function_is_elsewhere():
    """Each Go-named function is defined once per engine, in its concept."""
    for concept in CONCEPTS:
        others = set().union(*(set(GO_NAMED[c]) for c in CONCEPTS if c != concept))
        assert not others & compiled_functions(concept), concept
        assert not others & reference_functions(concept), concept


def test_reference_engine_is_the_concepts_together():
    from gmpcore.reference.engine import RefEngine
    bases = [b.__module__.rsplit(".", 1)[1] for b in RefEngine.__bases__]
    assert bases == CONCEPTS
