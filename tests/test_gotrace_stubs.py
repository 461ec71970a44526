"""gmpcore/gotrace/_wire.pyi cannot drift from the compiled module (mypy's
stubtest, as tests/test_stubs.py does for the engine)."""

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

pytest.importorskip("mypy", reason="mypy is a test extra: pip install '.[test]'")


def test_wire_stub_matches_the_compiled_module():
    allow = Path(__file__).parent / "data" / "gotrace" / "stubtest_allowlist.txt"
    with tempfile.TemporaryDirectory() as cache:
        out = subprocess.run(
            [sys.executable, "-m", "mypy.stubtest", "gmpcore.gotrace._wire",
             "--allowlist", str(allow), "--mypy-config-file", os.devnull],
            capture_output=True, text=True, timeout=600,
            env=dict(os.environ, MYPY_CACHE_DIR=cache), cwd=cache)
    assert out.returncode == 0, out.stdout + out.stderr
