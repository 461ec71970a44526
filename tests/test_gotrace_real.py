"""The reader against traces recorded here with real Go (Go 1.27.3).

tests/data/gotrace/record.sh built and ran the programs under
tests/data/gotrace/programs/ and saved, beside each trace, Go's own parse of
it: ``go tool trace -d=parsed`` (its event lines, gzipped).  Each of our events must
match Go's line for line: thread, P, goroutine, kind, time in ns and, for
state transitions, the resource, its old and new state and the reason.  No
Go toolchain is needed to run this.
"""

import gzip
import re
from pathlib import Path

import numpy as np
import pytest

import gmpcore as gmp
from gmpcore.gotrace.events import EV, GO_STATES, PROC_STATES, SPECS

DATA = Path(__file__).parent / "data" / "gotrace"
PROGRAMS = sorted(p.name for p in (DATA / "programs").iterdir() if p.is_dir())

# Go's EventKind of each wire type (internal/trace/event.go).
_KIND = {"Sync": "Sync", "CPUSample": "StackSample", "ProcsChange": "Metric",
         "HeapAlloc": "Metric", "HeapGoal": "Metric", "GoLabel": "Label",
         "STWBegin": "RangeBegin", "GCBegin": "RangeBegin", "GCSweepBegin": "RangeBegin",
         "GCMarkAssistBegin": "RangeBegin", "STWEnd": "RangeEnd", "GCEnd": "RangeEnd",
         "GCSweepEnd": "RangeEnd", "GCMarkAssistEnd": "RangeEnd", "GCActive": "RangeActive",
         "GCSweepActive": "RangeActive", "GCMarkAssistActive": "RangeActive",
         "UserTaskBegin": "TaskBegin", "UserTaskEnd": "TaskEnd",
         "UserRegionBegin": "RegionBegin", "UserRegionEnd": "RegionEnd", "UserLog": "Log"}
_LINE = re.compile(r"M=(-?\d+) P=(-?\d+) G=(-?\d+) (\w+) Time=(\d+)(.*)")
_TRANSITION = re.compile(r" (GoID|ProcID)=(-?\d+) (\w+)->(\w+) Reason=\"(.*)\"")


def go_kind(name):
    return _KIND.get(name, "Experimental" if SPECS[EV[name]].experiment else "StateTransition")


def ours(tr):
    """Our events in the shape of Go's -d=parsed lines."""
    ev = tr.events
    rows = []
    for i, name in enumerate(tr.kind_names()):
        e = ev[i]
        kind = go_kind(name)
        detail = None
        if kind == "StateTransition":
            proc = name.startswith("Proc")
            states = PROC_STATES if proc else GO_STATES
            reason = tr.strings[e["str"]] if name in ("GoStop", "GoBlock") else ""
            detail = ("ProcID" if proc else "GoID", int(e["target"]),
                      states[e["from_state"]], states[e["to_state"]], reason)
        rows.append((int(e["m"]), int(e["p"]), int(e["g"]), kind,
                     int(e["time_ns"]) + tr.start_ns, detail))
    return rows


def gos(path):
    rows = []
    for line in gzip.decompress(path.read_bytes()).decode().splitlines():
        m = _LINE.match(line)
        assert m, line
        detail = None
        if m.group(4) == "StateTransition":
            t = _TRANSITION.match(m.group(6))
            detail = (t.group(1), int(t.group(2)), t.group(3), t.group(4), t.group(5))
        rows.append((int(m.group(1)), int(m.group(2)), int(m.group(3)), m.group(4),
                     int(m.group(5)), detail))
    return rows


@pytest.mark.parametrize("name", PROGRAMS)
def test_events_match_go_tool_trace(name):
    tr = gmp.read_go_trace(DATA / f"{name}.trace")
    mine, theirs = ours(tr), gos(DATA / f"{name}.parsed.txt.gz")
    assert len(mine) == len(theirs)
    for i, (a, b) in enumerate(zip(mine, theirs)):
        assert a == b, f"event {i}: ours {a} != Go's {b}"


@pytest.mark.parametrize("name", PROGRAMS)
def test_reads_from_bytes_the_same(name):
    raw = (DATA / f"{name}.trace").read_bytes()
    a = gmp.read_go_trace(raw)
    b = gmp.read_go_trace(DATA / f"{name}.trace")
    assert np.array_equal(a.events, b.events)
    assert a.strings == b.strings and a.stacks == b.stacks


_SAMPLE = re.compile(r"^\s*(\d+)\s+(\d+):((?:\s+\d+)*)\s*$")
_LOC = re.compile(r"^\s+(\d+): 0x([0-9a-f]+) M=\d+ (\S+) (\S+):(\d+):\d+ s=\d+$")
_INLINED = re.compile(r"^\s+(\S+) (\S+):(\d+):\d+ s=\d+$")


def profile_key(frames):
    """Go's pprof keys a stack by its PCs: one whose PCs are all 0 is the
    empty stack (cmd/trace/pprof.go, stackMap)."""
    if all(pc == 0 for *_, pc in frames):
        return ()
    return tuple((f, line) for f, line, _ in frames)


def go_profile(path):
    """{stack as ((func, line), ...): (count, ns)} from go tool pprof -raw."""
    samples, locs, last = [], {}, None
    section = None
    for line in path.read_text().splitlines():
        if line in ("Samples:", "Locations", "Mappings"):
            section = line
            continue
        if section == "Samples:" and (m := _SAMPLE.match(line)):
            samples.append((int(m.group(1)), int(m.group(2)), m.group(3).split()))
        elif section == "Locations":
            if m := _LOC.match(line):
                last = locs[m.group(1)] = [(m.group(3), int(m.group(5)), int(m.group(2), 16))]
            elif m := _INLINED.match(line):
                last.append((m.group(1), int(m.group(3)), last[-1][2]))
    prof = {}
    for count, ns, ids in samples:
        key = profile_key([f for i in ids for f in locs[i]])
        c, t = prof.get(key, (0, 0))
        prof[key] = (c + count, t + ns)
    return prof


# go tool trace -pprof=<kind>: which goroutine state, and which wait reasons
# (cmd/trace/pprof.go).
PROFILES = {
    "sched": ("runnable", lambda reason: True),
    "sync": ("waiting", lambda r: "chan" in r or "sync" in r or "select" in r),
    "net": ("waiting", lambda r: r == "network"),
    "syscall": ("syscall", lambda reason: True),
}


@pytest.mark.parametrize("kind", sorted(PROFILES))
@pytest.mark.parametrize("name", PROGRAMS)
def test_state_intervals_match_go_tool_trace_profiles(name, kind):
    tr = gmp.read_go_trace(DATA / f"{name}.trace")
    state, keep = PROFILES[kind]
    iv = tr.state_intervals(state)
    counted = iv[(iv["pprof_ns"] > 0) & iv["reason"].map(keep).astype(bool)]
    ours_prof = {}
    for sid, ns in zip(counted["stack"], counted["pprof_ns"]):
        key = profile_key([(f.function, f.line, f.pc) for f in tr.stacks[sid]])
        c, t = ours_prof.get(key, (0, 0))
        ours_prof[key] = (c + 1, t + int(ns))
    assert ours_prof == go_profile(DATA / f"{name}.{kind}.txt")
    # An interval is non-negative, and what Go counts is part of it.
    assert (iv["duration_ns"] >= 0).all() and (iv["pprof_ns"] <= iv["duration_ns"]).all()


@pytest.mark.parametrize("name", PROGRAMS)
def test_sched_latency_is_the_runnable_intervals(name):
    tr = gmp.read_go_trace(DATA / f"{name}.trace")
    iv = tr.state_intervals("runnable")
    lat = tr.sched_latency
    assert lat["latency_ns"].tolist() == iv["duration_ns"].tolist()
    assert (lat["end_cause"].isin(["GoStart"])).all()


@pytest.mark.parametrize("name", PROGRAMS)
def test_goroutine_table_covers_go_goroutines(name):
    tr = gmp.read_go_trace(DATA / f"{name}.trace")
    go_ids = {d[1] for *_, d in gos(DATA / f"{name}.parsed.txt.gz") if d and d[0] == "GoID"}
    g = tr.goroutines
    assert set(g["goid"]) == go_ids
    # Go's accounting: the states a goroutine was in add up to no more than
    # its lifetime (Go's UnknownTime is the rest).
    parts = g["exec_ns"] + g["sched_wait_ns"] + g["block_ns"] + g["syscall_ns"] + g["syscall_block_ns"]
    assert (parts <= g["total_ns"]).all()
    assert (g["exec_ns"] >= 0).all()


@pytest.mark.parametrize("name", ["generations", "pipeline"])
def test_iter_go_trace_is_read_go_trace_by_generation(name):
    whole = gmp.read_go_trace(DATA / f"{name}.trace")
    parts = list(gmp.gotrace.iter_go_trace(DATA / f"{name}.trace"))
    assert len(parts) == whole.generations
    assert np.array_equal(np.concatenate([p.events for p in parts]), whole.events)
    for i, p in enumerate(parts):
        assert set(p.events["gen"].tolist()) == {i + 1}
    assert parts[-1].strings == whole.strings and parts[-1].stacks == whole.stacks
