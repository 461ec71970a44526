"""The .pyi stubs of the compiled modules cannot drift from them: mypy's
stubtest compares every name and signature (tests/stubtest_allowlist.txt
lists the few differences, each with its reason)."""

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

pytest.importorskip("mypy", reason="mypy is a test extra: pip install '.[test]'")


def test_stubs_match_the_compiled_modules():
    allow = Path(__file__).with_name("stubtest_allowlist.txt")
    with tempfile.TemporaryDirectory() as cache:
        out = subprocess.run(
            [sys.executable, "-m", "mypy.stubtest", "gmpcore._engine", "gmpcore._sched",
             "--allowlist", str(allow), "--mypy-config-file", os.devnull],
            capture_output=True, text=True, timeout=600,
            env=dict(os.environ, MYPY_CACHE_DIR=cache), cwd=cache)
    assert out.returncode == 0, out.stdout + out.stderr
