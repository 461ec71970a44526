"""gmpcore.strategies: the public Hypothesis strategies, their printed
form (Workload.to_python), and Hypothesis as an optional dependency."""

import os
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import numpy as np
from hypothesis import given, note
from hypothesis import strategies as st

import gmpcore as gmp
from gmpcore import strategies as gst
from gmpcore.reference import RefSched
from gmpcore.workload import GoroutineLeakWarning

FIELDS = ("code", "dists", "entry", "loop_depth", "chan_cap", "timers", "program_names",
          "panic_messages", "span_names")


def compiled(wl):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", GoroutineLeakWarning)
        return wl.compile()


def same_arrays(a, b):
    for name in FIELDS:
        if not hasattr(a, name):
            continue
        x, y = getattr(a, name), getattr(b, name)
        if isinstance(x, np.ndarray):
            assert x.dtype == y.dtype and np.array_equal(x, y), name
        else:
            assert tuple(x) == tuple(y), name


def rebuilt(wl):
    env = {}
    exec(wl.to_python(), env)
    return env["wl"]


@given(st.one_of(gst.workloads(max_goroutines=60), gst.wild_workloads(),
                 gst.contended_workloads()))
def test_to_python_rebuilds_an_identical_workload(wl):
    # The printed code, run, compiles to the same arrays, field by field.
    src = wl.to_python()
    note(src)
    same_arrays(compiled(rebuilt(wl)), compiled(wl))
    assert rebuilt(wl).to_python() == src          # and prints the same again


def test_to_python_covers_every_construct():
    wl = gmp.Workload()
    ch, wg, mu, rw = wl.chan(cap=1), wl.waitgroup(), wl.mutex(), wl.rwmutex()
    c, tk, t = wl.cond(rw), wl.ticker(), wl.timer()
    fork = wl.program(name="class")                # not usable as a variable name
    f = wl.timer(func=fork)
    fork.define(gmp.cpu(gmp.lognormal("1us", 0.5), preemptible=False),
                gmp.syscall(gmp.uniform(1, 9), blocking=True), gmp.sleep(gmp.exponential(5)),
                gmp.netwait(3), gmp.after(4), gmp.gosched(), gmp.gomaxprocs(2),
                gmp.lock_os_thread(), gmp.unlock_os_thread(), gmp.stack("4KiB"),
                gmp.choice((0.25, [gmp.goexit()]), (0.75, [gmp.panic("it's 'quoted'")])),
                gmp.repeat(gmp.uniform(1, 3), gmp.span("s", gmp.send(ch, span="j"))),
                gmp.span_end("j"), gmp.exit())
    _ = wl.main(gmp.add(wg, 2), gmp.go(fork, count=2), gmp.lock(mu), gmp.unlock(mu),
                gmp.rlock(rw), gmp.runlock(rw), gmp.lock(rw), gmp.wait(c), gmp.signal(c),
                gmp.broadcast(c), gmp.unlock(rw), gmp.reset(tk, "1ms"), gmp.reset(t, 5),
                gmp.reset(f, 6), gmp.stop(f), gmp.recv(t), gmp.each(ch, gmp.cpu(1)),
                gmp.select(gmp.case_recv(ch, gmp.cpu(2)), gmp.case_send(ch),
                           gmp.case_after(7, gmp.cpu(3)), gmp.case_recv(tk),
                           gmp.case_default(gmp.cpu(4))),
                gmp.select(), gmp.close(ch), gmp.wait(wg),
                gmp.arrivals(fork, gmp.exponential(100), 3))
    src = wl.to_python()
    assert "p1 = wl.program(name='class')" in src
    assert "gmp.choice((0.25, [gmp.goexit()]), (0.75, [gmp.panic(\"it's 'quoted'\")]))" in src
    same_arrays(compiled(rebuilt(wl)), compiled(wl))


@given(gst.simulate_settings(machine="any"), gst.contended_workloads(max_goroutines=12))
def test_simulate_settings_are_accepted(opts, wl):
    res = gmp.simulate(wl, **opts)
    assert res.counters["events_dropped"] == 0 and len(res.events) > 0


@given(gst.sched_ops(nprocs=3))
def test_sched_ops_run_alike_on_both_queue_cores(ops):
    # The same operations on the compiled queue core and the reference one
    # hand out the same Gs, and none is lost or duplicated.
    put, out = gst.apply_sched_ops(gmp.Sched(3), ops)
    rput, rout = gst.apply_sched_ops(RefSched(3), ops)
    assert (put, out) == (rput, rout)
    sched = gmp.Sched(3)
    gst.apply_sched_ops(sched, ops)
    left = [int(g) for p in range(3) for g in sched.runq(p)]
    left += [g for g in (sched.runnext(p) for p in range(3)) if g is not None]
    left += [int(g) for g in sched.global_runq()]
    assert sorted(out + left) == sorted(put)


def test_importing_without_hypothesis_says_what_to_install(tmp_path):
    # A path hook that hides hypothesis: gmpcore imports, gmpcore.strategies says how.
    code = textwrap.dedent("""
        import sys
        class Hide:
            def find_spec(self, name, path=None, target=None):
                if name == "hypothesis" or name.startswith("hypothesis."):
                    raise ImportError("no hypothesis here")
        sys.meta_path.insert(0, Hide())
        import gmpcore
        try:
            import gmpcore.strategies
        except ImportError as e:
            print(e)
    """)
    env = {**os.environ, "PYTHONPATH": str(Path(gmp.__file__).resolve().parent.parent)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120, cwd=tmp_path, env=env)
    assert out.returncode == 0, out.stderr
    assert "pip install gmpcore[fuzz]" in out.stdout
