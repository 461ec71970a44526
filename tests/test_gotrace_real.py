"""The reader against traces recorded here with real Go (Go 1.27.3).

tests/data/gotrace/record.sh built and ran the programs under
tests/data/gotrace/programs/ and saved, beside each trace, Go's own parse of
it: ``go tool trace -d=parsed`` (its event lines).  Each of our events must
match Go's line for line: thread, P, goroutine, kind, time in ns and, for
state transitions, the resource, its old and new state and the reason.  No
Go toolchain is needed to run this.
"""

import re
from pathlib import Path

import numpy as np
import pytest

import gmpcore as gmp
from gmpcore.gotrace.events import EV, GO_STATES, PROC_STATES, SPECS

DATA = Path(__file__).parent / "data" / "gotrace"
PROGRAMS = sorted(p.name for p in (DATA / "programs").iterdir())

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
    for line in path.read_text().splitlines():
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
    mine, theirs = ours(tr), gos(DATA / f"{name}.parsed.txt")
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
