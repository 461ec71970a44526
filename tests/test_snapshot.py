"""Snapshot: the explainer's M/P/G picture drawn from the engine's dict."""

import doctest
import re

import pytest

import gmpcore.snapshot
from gmpcore.snapshot import Snapshot


def m(id, p=-1, curg=-1, state="running"):
    return {"id": id, "p": p, "curg": curg, "state": state}


def p(id, status="running", m=-1, runq=(), runnext=-1, timers=0):
    return {"id": id, "status": status, "m": m, "runq": list(runq), "runnext": runnext,
            "timers": timers}


def snapshot(**kw):
    d = {"time": 1_000_000, "gomaxprocs": 2, "ms": [], "ps": [], "global_queue": [],
         "idle_ms": [], "idle_ps": [], "syscalls": [], "netpoll_waiting": 0, "sleeping": 0,
         "goroutines": 1}
    d.update(kw)
    return d


def goids_drawn(text):
    return [int(x) for x in re.findall(r"\bG(\d+)\b", text)]


def elided(text):
    return sum(int(x) for x in re.findall(r"… (\d+) more", text))


def all_goids(d):
    out = list(d["global_queue"]) + [g for g, _ in d["syscalls"]]
    for x in d["ps"]:
        out += x["runq"] + ([x["runnext"]] if x["runnext"] >= 0 else [])
    out += [x["curg"] for x in d["ms"] if x["curg"] >= 0]
    return out


def test_doctests():
    result = doctest.testmod(gmpcore.snapshot, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0 and result.attempted > 0


def test_idle_scheduler():
    d = snapshot(gomaxprocs=2,
                 ms=[m(0, state="idle"), m(1, state="sysmon"), m(2, state="netpoll")],
                 ps=[p(0, "idle"), p(1, "idle", timers=3)],
                 idle_ms=[0], idle_ps=[0, 1], sleeping=4, netpoll_waiting=2, goroutines=7)
    text = Snapshot(d).render()
    assert text.splitlines()[0] == "SNAPSHOT 1ms: gomaxprocs=2 goroutines=7 threads=3"
    assert "M0 ─" not in text and "P0 ─" not in text       # nothing runs
    assert re.search(r"^idle Ps\s+P0 P1 \(3 timers\)$", text, re.M)
    assert re.search(r"^idle Ms\s+M0$", text, re.M)
    assert re.search(r"^other Ms\s+M1 sysmon, M2 netpoll$", text, re.M)
    assert re.search(r"^global runq\s+\(empty\)$", text, re.M)
    assert "4 sleeping, 2 in netpoll" in text
    assert "syscalls" not in text
    assert goids_drawn(text) == []


def test_busy_scheduler_draws_each_m_p_g_and_queues():
    d = snapshot(gomaxprocs=2,
                 ms=[m(0, 0, 1), m(1, 1, 2)],
                 ps=[p(0, m=0, runq=[3, 4], runnext=5), p(1, m=1, runq=[6])],
                 global_queue=[7, 8, 9], goroutines=9)
    text = str(Snapshot(d))
    lines = text.splitlines()
    assert "M0 ─ P0 ─ G1   (M0 running)" in lines
    assert "M1 ─ P1 ─ G2   (M1 running)" in lines
    # P0's queues: runnext boxed first, then the ring head to tail.
    row = next(line for line in lines if "runnext" in line)
    assert row.split() == ["runnext", "│", "G5", "│", "runq", "│", "G3", "│", "G4", "│"]
    assert re.search(r"^global runq\s+│ G7 │ G8 │ G9 │$", text, re.M)
    # Boxes close: every top edge has a bottom edge of the same width.
    tops = [line for line in lines if "┌" in line]
    bottoms = [line for line in lines if "└" in line]
    assert [len(t) for t in tops] == [len(b) for b in bottoms]
    assert sorted(goids_drawn(text)) == list(range(1, 10))
    assert text == Snapshot(d).render(max_queue=8)


def test_syscall_m_and_its_p():
    d = snapshot(gomaxprocs=2,
                 ms=[m(0, 0, 1), m(1, 1, 2, state="syscall"), m(2, -1, 3, state="syscall"),
                     m(3, 1, state="spinning")],
                 ps=[p(0, m=0), p(1, "syscall", m=1, runq=[4])],
                 syscalls=[(2, 1), (3, 2)], goroutines=4)
    text = Snapshot(d).render()
    assert "M1 ─ P1 ─ G2   (M1 syscall, P1 syscall)" in text
    assert re.search(r"^syscalls\s+G2 on M1, G3 on M2$", text, re.M)
    assert "runq (empty)" in text                             # P0
    assert "M3 spinning P1" in text                           # waiting to take P1
    assert set(goids_drawn(text)) == {1, 2, 3, 4}


def test_long_queues_are_elided_and_counted():
    ring = list(range(100, 356))                              # a full ring: 256 Gs
    glob = list(range(1000, 1250))
    d = snapshot(gomaxprocs=1, ms=[m(0, 0, 1)], ps=[p(0, m=0, runq=ring, runnext=99)],
                 global_queue=glob, goroutines=508)
    text = Snapshot(d).render(max_queue=8)
    assert "runq 256" in text and "… 248 more" in text
    assert "global runq 250" in text and "… 242 more" in text
    assert max(len(line) for line in text.splitlines()) < 120
    drawn = goids_drawn(text)
    assert drawn[:2] == [1, 99]
    assert drawn[2:10] == ring[:8] and drawn[10:] == glob[:8]
    assert len(drawn) + elided(text) == len(all_goids(d))


@pytest.mark.parametrize("max_queue", [0, 1, 3, 8, 1000])
def test_every_goid_is_drawn_or_counted(max_queue):
    d = snapshot(gomaxprocs=3,
                 ms=[m(0, 0, 1), m(1, 1, 2), m(2, -1, 30, state="syscall"), m(3, state="idle")],
                 ps=[p(0, m=0, runq=range(3, 20), runnext=20), p(1, m=1, runnext=21),
                     p(2, "idle")],
                 global_queue=list(range(22, 30)), idle_ms=[3], idle_ps=[2],
                 syscalls=[(30, 2)], goroutines=30)
    text = Snapshot(d).render(max_queue=max_queue)
    drawn = goids_drawn(text)
    # G30 is drawn twice at most (its M's line is the syscalls row); count each once.
    assert set(drawn) | set(range(1, 31)) == set(range(1, 31))
    queued = [g for g in drawn if 3 <= g <= 29 and g not in (20, 21)]
    assert len(queued) + elided(text) == 17 + 8
    assert {1, 2, 20, 21, 30} <= set(drawn)                   # running, runnext, syscall


def test_optional_keys_default_and_repr():
    s = Snapshot({"time": 0, "gomaxprocs": 1, "ms": [m(0, 0, 1)], "ps": [p(0, m=0)]})
    assert s.global_queue == [] and s.syscalls == [] and s.sleeping == 0
    assert s.goroutines is None
    assert s.render().splitlines()[0] == "SNAPSHOT 0s: gomaxprocs=1 threads=1"
    assert repr(s) == "<Snapshot at 0s: 1 Ms, 1 Ps, 0 runnable Gs>"
    assert Snapshot(s).as_dict() == s.as_dict()


def test_unknown_states_are_drawn_as_given():
    d = snapshot(ms=[m(0, 0, state="scheduling")], ps=[p(0, m=0)])
    assert "(M0 scheduling)" in Snapshot(d).render()


def test_bad_input():
    with pytest.raises(TypeError):
        Snapshot([1, 2])
    with pytest.raises(ValueError, match="lacks ps"):
        Snapshot({"time": 0, "gomaxprocs": 1, "ms": []})
    with pytest.raises(TypeError):
        Snapshot(snapshot(ms=[m(0, state=3)]))
    with pytest.raises(TypeError):
        Snapshot(snapshot(time=1.5))
    with pytest.raises(ValueError):
        Snapshot(snapshot()).render(max_queue=-1)
