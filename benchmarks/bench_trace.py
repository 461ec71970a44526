"""Perfetto export (issue 15): asv benchmarks.

``TraceExport.time_export``
    Wall time of ``to_perfetto(res, path)`` for a fan-out of N goroutines of
    1 µs at GOMAXPROCS 8 (the run itself is in ``setup``).  ``large``: the
    issue's 300,000 goroutines (before the streamed writer: 7.8 s of CPU on
    this machine, 670 MB peak memory; after: 1.8 s, 188 MB; docs/traces.md).
    ``GMPCORE_BENCH=quick`` (CI): 30,000.
``TraceExport.time_export_gz``
    The same into ``.json.gz``.
``TraceExport.track_bytes_per_event``
    Size of the JSON over the events written: what the 50 MB warning's
    estimate is made of.
``TraceExport.track_peak_mib``
    Peak of Python's allocations (tracemalloc) while writing: streamed, it
    should not grow with the trace.
"""

import os
import shutil
import tempfile
import tracemalloc

import gmpcore as gmp
from gmpcore.scenarios import fanout
from gmpcore.trace import to_perfetto

LARGE = (os.environ.get("GMPCORE_BENCH", "quick") or "quick") == "large"
N = 300_000 if LARGE else 30_000


class TraceExport:
    timeout = 600

    def setup(self):
        self.res = gmp.simulate(fanout(n=N, work="1us"), gomaxprocs=8, seed=1,
                                record_events=True)
        self.dir = tempfile.mkdtemp()
        self.path = os.path.join(self.dir, "t.json")

    def teardown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def time_export(self):
        to_perfetto(self.res, self.path, warn_bytes=None)

    def time_export_gz(self):
        to_perfetto(self.res, self.path + ".gz", warn_bytes=None)

    def track_bytes_per_event(self):
        written = to_perfetto(self.res, self.path, warn_bytes=None)
        return written.bytes / written.events

    track_bytes_per_event.unit = "bytes"

    def track_peak_mib(self):
        tracemalloc.start()
        try:
            to_perfetto(self.res, self.path, warn_bytes=None)
            return tracemalloc.get_traced_memory()[1] / 2**20
        finally:
            tracemalloc.stop()

    track_peak_mib.unit = "MiB"
