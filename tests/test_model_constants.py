"""The model's constants: defined once (gmpcore/_model.pxd), the same in
both engines, each Go value as Go's source has it, and no bare copies of
them left in the engines' code.

The expected values are read from Go 1.25's runtime, not from our code:

=====================  ===========  ============================================
constant               Go's value   where (Go 1.25 src/runtime)
=====================  ===========  ============================================
FORCE_PREEMPT_NS       10 ms        proc.go ``forcePreemptNS = 10 * 1000 * 1000``
SYSMON_MIN_DELAY       20 µs        proc.go sysmon: ``delay = 20`` (µs) when idle is 0
SYSMON_MAX_DELAY       10 ms        proc.go sysmon: ``if delay > 10*1000 { delay = 10 * 1000 }``
SYSMON_IDLE_CYCLES     50           proc.go sysmon: ``if idle > 50 { delay *= 2 }``
SYSMON_NETPOLL_PERIOD  10 ms        proc.go sysmon: ``lastpoll+10*1000*1000 < now``
SYSMON_DEEP_SLEEP      60 s         proc.go sysmon: ``sleep := forcegcperiod / 2``, forcegcperiod = 2 min
RETAKE_SYSCALL_NS      10 ms        proc.go retake: ``pd.syscallwhen+10*1000*1000 > now``
RUNNEXT_BACKOFF        3 µs         proc.go runqgrab: ``usleep(3)``
GLOBAL_CHECK_PERIOD    61           proc.go findRunnable: ``pp.schedtick%61 == 0``
GOIDCACHE_BATCH        16           proc.go ``_GoidCacheBatch = 16``
STACK_MIN              2048 B       stack.go ``fixedStack`` on linux/amd64 (stackMin 2048)
NETPOLL_MAX_EVENTS     128          netpoll_epoll.go netpoll: ``var events [128]syscallx.EpollEvent``
NETPOLL_RESOLUTION     1 ms         netpoll_epoll.go: epoll_wait takes a timeout in whole ms
STW_PREEMPT_PERIOD     100 µs       proc.go stopTheWorldWithSema: ``notetsleep(&sched.stopnote, 100*1000)``
UPDATE_MAXPROCS_PERIOD 1 s          proc.go sysmon: ``lastgomaxprocs+1e9 <= now``
STARVATION_THRESHOLD_NS 1 ms        internal/sync/mutex.go ``starvationThresholdNs = 1e6``
ACTIVE_SPIN            4            proc.go ``active_spin = 4`` (internal_sync_runtime_canSpin)
ACTIVE_SPIN_CNT        30           proc.go ``active_spin_cnt = 30`` (procyield in runtime_doSpin)
GFREE_TRIM             64           proc.go gfput: ``if pp.gFree.size >= 64``
GFREE_BATCH            32           proc.go gfput: ``for pp.gFree.size >= 32``; gfget: ``for pp.gFree.size < 32``
RWMUTEX_MAX_READERS    1 << 30      sync/rwmutex.go ``const rwmutexMaxReaders = 1 << 30``
=====================  ===========  ============================================
"""

import pathlib
import re

import pytest

from gmpcore import _engine, costs, model

GO_VALUES = dict(
    FORCE_PREEMPT_NS=10 * 1000 * 1000,
    SYSMON_MIN_DELAY=20 * 1000,
    SYSMON_MAX_DELAY=10 * 1000 * 1000,
    SYSMON_IDLE_CYCLES=50,
    SYSMON_NETPOLL_PERIOD=10 * 1000 * 1000,
    SYSMON_DEEP_SLEEP=2 * 60 * 1000 * 1000 * 1000 // 2,
    RETAKE_SYSCALL_NS=10 * 1000 * 1000,
    RUNNEXT_BACKOFF=3 * 1000,
    GLOBAL_CHECK_PERIOD=61,
    GOIDCACHE_BATCH=16,
    STACK_MIN=2048,
    NETPOLL_MAX_EVENTS=128,
    NETPOLL_RESOLUTION=1000 * 1000,
    STW_PREEMPT_PERIOD=100 * 1000,
    UPDATE_MAXPROCS_PERIOD=1000 * 1000 * 1000,
    STARVATION_THRESHOLD_NS=1000 * 1000,
    ACTIVE_SPIN=4,
    ACTIVE_SPIN_CNT=30,
    GFREE_TRIM=64,
    GFREE_BATCH=32,
    RWMUTEX_MAX_READERS=1 << 30,
)
MODEL_OWN = {"ZERO_TIME_BUDGET", "REUSE_PROBE", "NOISE_QUANTILES", "G_STATE_BYTES"}
# Linux's, as its documentation and source have them (docs/design/machine.md
# §2): sched-eevdf's base slice and its log scaling, HZ=250's tick, the cpu.max
# bounds of sched-bwc.rst; the context-switch cost is the model's estimate.
LINUX_VALUES = dict(
    OS_BASE_SLICE=750 * 1000,
    OS_SLICE_MAX_CPUS=8,
    OS_TICK=1000 * 1000 * 1000 // 250,
    CFS_QUOTA_MIN=1000 * 1000,
    CFS_PERIOD_MAX=1000 * 1000 * 1000,
)
MODEL_OWN |= {"OS_CTX_SWITCH"}


@pytest.mark.parametrize("name", sorted(LINUX_VALUES))
def test_linux_constants_are_linuxs(name):
    assert model.CONSTANTS[name] == LINUX_VALUES[name]


@pytest.mark.parametrize("name", sorted(GO_VALUES))
def test_go_constants_are_gos(name):
    assert model.CONSTANTS[name] == GO_VALUES[name]
    assert getattr(model, name) == GO_VALUES[name]


def test_every_constant_is_go_or_named_as_the_models():
    assert set(model.CONSTANTS) == set(GO_VALUES) | set(LINUX_VALUES) | MODEL_OWN
    assert model.CONSTANTS == _engine.MODEL


def test_reference_engine_uses_the_shared_values():
    import importlib
    used = 0
    for path in REFERENCE:
        mod = importlib.import_module(path[:-3].replace("/", "."))
        for name in model.CONSTANTS:
            if hasattr(mod, name):
                assert getattr(mod, name) is getattr(model, name), (path, name)
                used += 1
    assert used >= 12


# Go's literals as they would appear if copied into an engine's code again.
BARE = [r"%\s*61\b", r"\b10_?000_?000\b", r"\b20_?000\b", r"\b60_?000_?000_?000\b",
        r">\s*50\b", r"\b2048\b", r"\b3_?000\b", r"\b100_?000\b"]
_ROOT = pathlib.Path(__file__).resolve().parent.parent
REFERENCE = sorted(str(p.relative_to(_ROOT)) for p in (_ROOT / "gmpcore/reference").glob("*.py")
                   if p.name not in ("__init__.py", "runq.py"))
SOURCES = (["gmpcore/_engine.pyx", "gmpcore/_engine.pxd"]
           + sorted(str(p.relative_to(_ROOT)) for p in (_ROOT / "gmpcore").glob("_engine_*.pxi"))
           + REFERENCE)


def code_lines(path):
    """Lines of code with comments, strings and docstrings taken out."""
    text = (_ROOT / path).read_text()
    text = re.sub(r'"""(?:.|\n)*?"""', lambda m: "\n" * m[0].count("\n"), text)
    for n, line in enumerate(text.splitlines(), 1):
        line = re.sub(r"'[^']*'|\"[^\"]*\"", "''", line.split("#", 1)[0])
        yield n, line


@pytest.mark.parametrize("path", SOURCES)
def test_no_bare_go_literals_in_the_engines(path):
    found = [(n, line.strip()) for n, line in code_lines(path)
             if any(re.search(p, line) for p in BARE)]
    assert not found, f"{path}: use gmpcore/_model.pxd's names: {found}"


def test_costs_are_filled_by_name():
    """setup() writes each cost at its struct offset by name: the names cover
    CostModel's fields, and the struct holds nothing else."""
    assert set(_engine.COST_OFFSETS) == set(costs.FIELDS)
    assert _engine.COSTS_BYTES == 8 * len(costs.FIELDS)
    assert sorted(_engine.COST_OFFSETS.values()) == list(range(0, _engine.COSTS_BYTES, 8))


def test_a_cost_reaches_the_engine_by_name():
    """With every cost 0 but one, a syscall's run moves by exactly that cost."""
    import gmpcore as gmp
    wl = gmp.Workload()
    wl.main(gmp.syscall("1us"))
    zero = {f: 0 for f in costs.FIELDS}

    def makespan(**nonzero):            # noise=False: each cost charged exactly
        return gmp.simulate(wl, costs=dict(zero, **nonzero), noise=False).makespan_ns

    assert makespan() == 1000
    assert makespan(syscall_enter=7) == 1007
    assert makespan(syscall_exit=5) == 1005
