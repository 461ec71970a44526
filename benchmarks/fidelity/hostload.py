"""What the fidelity runners share: this machine's load, measured as
benchmarks/go/costs/load.go does, and the environment Go builds in.

The machine is shared: a measurement of real Go is only as good as the CPU
other processes left it.  ``LoadMark`` measures the CPU used since it was
made by everything but this process, its waited-for children and any hog
processes we started ourselves; ``wait_quiet`` waits for a quiet moment.
"""

import os
import tempfile
import time
from pathlib import Path


def _cpu_ticks():
    """(busy ticks of the machine, steal ticks), USER_HZ (100/s)."""
    f = Path("/proc/stat").read_text().split("\n", 1)[0].split()
    v = [int(x) for x in f[1:]]
    # user nice system idle iowait irq softirq steal guest guest_nice;
    # guest time is already in user and nice.
    return sum(v[:3]) + sum(v[5:8]), v[7] if len(v) > 7 else 0


def _own_seconds():
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def _proc_seconds(pids):
    """CPU seconds used so far by processes `pids` (those that still exist)."""
    s = 0.0
    for pid in pids:
        try:
            f = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            s += (int(f[11]) + int(f[12])) / 100
        except (OSError, IndexError):
            pass
    return s


class LoadMark:
    """CPU used by other processes since now: not ours, not our children,
    not the hog processes `hog_pids` we started on purpose."""

    def __init__(self, hog_pids=()):
        self.t, self.hogs = time.monotonic(), list(hog_pids)
        self.busy, self.steal = _cpu_ticks()
        self.own, self.hog = _own_seconds(), _proc_seconds(self.hogs)

    def foreign_cpus(self):
        busy, _ = _cpu_ticks()
        return ((busy - self.busy) / 100 - (_own_seconds() - self.own)
                - (_proc_seconds(self.hogs) - self.hog)) / (time.monotonic() - self.t)

    def steal_cpus(self):
        return (_cpu_ticks()[1] - self.steal) / 100 / (time.monotonic() - self.t)


def wait_quiet(max_s, window=1.0):
    """Wait up to `max_s` until other processes used < 0.1 CPU over `window` seconds."""
    t0 = time.monotonic()
    while True:
        m = LoadMark()
        time.sleep(window)
        f = m.foreign_cpus()
        if f < 0.1 or time.monotonic() - t0 >= max_s:
            return {"waited_s": round(time.monotonic() - t0, 1), "quiet": f < 0.1,
                    "foreign_cpus_before": round(f, 3)}


def loadavg():
    return Path("/proc/loadavg").read_text().split()[:3]


def go_env(go, cache_name):
    """Go's environment for building offline with the toolchain at `go`."""
    env = dict(os.environ, GOFLAGS="-mod=mod", GOPROXY="off", GOTOOLCHAIN="local")
    env.setdefault("GOCACHE", os.path.join(tempfile.gettempdir(), cache_name))
    if Path(go).parent.name == "bin" and (Path(go).parent.parent / "src" / "runtime").is_dir():
        env.setdefault("GOROOT", str(Path(go).parent.parent))
    return env


def write_between(doc, begin, end, text):
    """Replace what stands between the markers `begin` and `end` in the file
    `doc` (a Path) with `text`."""
    whole = doc.read_text()
    if begin not in whole or end not in whole:
        raise SystemExit(f"{doc}: the markers {begin} and {end} are missing")
    a, rest = whole.split(begin, 1)
    _, b = rest.split(end, 1)
    doc.write_text(a + begin + "\n" + text + "\n" + end + b)
