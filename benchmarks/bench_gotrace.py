"""Speed of reading Go execution traces (gmp.read_go_trace) and of replaying them.

The trace is generated here (no Go toolchain needed): ``synthetic_trace``
writes the Go 1.26 format: P Ms, each holding one P and cycling through its
own goroutines, every step a GoStart, a GoUnblock of the goroutine that ran
before and a GoBlock, split into generations of ``per_gen`` events (each
restating every goroutine's and P's status, as the runtime does) and into
batches of at most 64 KiB.  Every event passes through the whole reader:
varint decoding, the ordering state machines across Ms, the tables.

``GMPCORE_BENCH=quick|large`` picks the sizes (10^5 and 10^6 events, or 10^6
and 10^7); the result to read is events/s = events / time.
"""

import os
import tempfile

import gmpcore as gmp
from gmpcore.gotrace.events import EV

PROFILES = {"quick": [100_000, 1_000_000], "large": [1_000_000, 10_000_000]}
PROFILE = os.environ.get("GMPCORE_BENCH", "quick") or "quick"
if PROFILE not in PROFILES:
    raise ValueError(f"GMPCORE_BENCH must be one of {sorted(PROFILES)}, got {PROFILE!r}")

_NO_THREAD = 2**64 - 1
_MAX_BATCH = 60_000


def uvarint(v):
    out = bytearray()
    while v >= 0x80:
        out.append((v & 0x7F) | 0x80)
        v >>= 7
    out.append(v)
    return bytes(out)


def synthetic_trace(n_events, procs=4, goroutines_per_proc=8, per_gen=250_000, file=None):
    """A valid Go 1.26 trace of about n_events scheduling events (bytes).

    With `file` (a binary file object) each generation is written to it as
    it is made, so a trace larger than memory can be made; returns None.

    >>> import gmpcore as gmp
    >>> tr = gmp.read_go_trace(synthetic_trace(1000, per_gen=600))
    >>> tr.generations, int((tr.events["kind"] == gmp.gotrace.EV["GoBlock"]).sum())
    (2, 333)
    """
    cache = {}

    def v(x):
        b = cache.get(x)
        if b is None:
            b = cache[x] = uvarint(x)
        return b

    k = goroutines_per_proc
    steps = max(1, n_events // 3)
    per_gen_steps = max(1, per_gen // 3)
    dt = 7
    out = bytearray(b"go 1.26 trace\x00\x00\x00")
    # Per M: its goroutines' seq counters and statuses, the step index.
    gids = [[1 + p * k + j for j in range(k)] for p in range(procs)]
    status = [[1] * k for _ in range(procs)]          # tracev2: 1 runnable, 4 waiting
    step_of = [0] * procs
    now = 1000
    gen = 0
    done = 0
    while done < steps:
        gen += 1
        seq = [[0] * k for _ in range(procs)]
        gen_steps = min(per_gen_steps, steps - done)
        for p in range(procs):
            m = 100 + p
            t = now
            body = bytearray()
            batch_time = t

            def flush(body, batch_time):
                out.extend(bytes([EV["EventBatch"]]) + v(gen) + v(m) + v(batch_time)
                           + v(len(body)))
                out.extend(body)

            body += bytes([EV["ProcStatus"]]) + v(dt) + v(p) + v(1)
            t += dt
            for j in range(k):
                body += bytes([EV["GoStatus"]]) + v(dt) + v(gids[p][j]) + v(_NO_THREAD) + v(status[p][j])
                t += dt
            share = gen_steps // procs + (1 if p < gen_steps % procs else 0)
            for _ in range(share):
                s = step_of[p]
                j = s % k
                prev = (s - 1) % k
                seq[p][j] += 1
                body += bytes([EV["GoStart"]]) + v(dt) + v(gids[p][j]) + v(seq[p][j])
                if status[p][prev] == 4:
                    seq[p][prev] += 1
                    status[p][prev] = 1
                    body += bytes([EV["GoUnblock"]]) + v(dt) + v(gids[p][prev]) + v(seq[p][prev]) + v(1)
                body += bytes([EV["GoBlock"]]) + v(dt) + v(1) + v(1)
                status[p][j] = 4
                t += 3 * dt
                step_of[p] += 1
                if len(body) > _MAX_BATCH:
                    flush(body, batch_time)
                    body = bytearray()
                    batch_time = t
            flush(body, batch_time)
        done += gen_steps
        now += 3 * dt * (gen_steps // procs + 2) + dt * (k + 2)
        sync = (bytes([50, EV["Frequency"]]) + v(1_000_000_000)
                + bytes([EV["ClockSnapshot"]]) + v(1) + v(now) + v(1_700_000_000) + v(0))
        strings = bytes([EV["Strings"]])
        for sid, s in ((1, b"sync"), (2, b"main.work"), (3, b"main.go")):
            strings += bytes([EV["String"]]) + v(sid) + v(len(s)) + s
        stacks = bytes([EV["Stacks"], EV["Stack"]]) + v(1) + v(1) + v(0x401000) + v(2) + v(3) + v(10)
        for data in (sync, strings, stacks):
            out.extend(bytes([EV["EventBatch"]]) + v(gen) + v(_NO_THREAD) + v(now) + v(len(data)))
            out.extend(data)
        out.append(EV["EndOfGeneration"])
        now += 100
        if file is not None:
            file.write(out)
            out.clear()
    return None if file is not None else bytes(out)


class ReadGoTrace:
    """Read a generated trace from a file; events/s = n / time."""

    params = (PROFILES[PROFILE],)
    param_names = ["events"]
    timeout = 600

    def setup(self, events):
        self.dir = tempfile.TemporaryDirectory()
        self.path = os.path.join(self.dir.name, "bench.trace")
        with open(self.path, "wb") as f:
            f.write(synthetic_trace(events))

    def teardown(self, events):
        self.dir.cleanup()

    def time_read(self, events):
        gmp.read_go_trace(self.path)

    def track_events_per_second(self, events):
        import time
        t0 = time.perf_counter()
        tr = gmp.read_go_trace(self.path)
        return len(tr.events) / (time.perf_counter() - t0)

    track_events_per_second.unit = "events/s"

    def peakmem_read(self, events):
        gmp.read_go_trace(self.path)


class ReplayGoTrace:
    """A generated trace replayed at its own GOMAXPROCS: workload_from_trace
    (the inference) and one simulate (issue 15: a replay of a 10^6-event
    trace takes seconds, not minutes).  The trace is read in setup."""

    # quick: 10^5 events (CI); large: 10^6, the size.
    params = ([100_000] if PROFILE == "quick" else [1_000_000],)
    param_names = ["events"]
    timeout = 600

    def setup(self, events):
        self.trace = gmp.read_go_trace(synthetic_trace(events))

    def time_infer(self, events):
        gmp.workload_from_trace(self.trace)

    def time_replay(self, events):
        wl, info = gmp.workload_from_trace(self.trace)
        gmp.simulate(wl, gomaxprocs=info.gomaxprocs, seed=0, cpus=None)
