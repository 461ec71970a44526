"""The package's types are precise enough for mypy to catch misuse in a
user's script (tests/typing/use_gmpcore.py marks the lines it must flag)."""

import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

pytest.importorskip("mypy", reason="mypy is a test extra: pip install '.[test]'")


def test_mypy_flags_exactly_the_marked_lines():
    script = Path(__file__).parent / "typing" / "use_gmpcore.py"
    expected = {n for n, line in enumerate(script.read_text().splitlines(), 1)
                if line.rstrip().endswith("# error")}
    with tempfile.TemporaryDirectory() as cache:
        out = subprocess.run(
            [sys.executable, "-m", "mypy", "--no-error-summary", "--follow-imports=silent",
             "--cache-dir", cache, "--config-file", os.devnull, str(script)],
            capture_output=True, text=True, timeout=600, cwd=cache)
    flagged = {int(m[1]) for m in re.finditer(r"use_gmpcore\.py:(\d+): error", out.stdout)}
    assert flagged == expected, out.stdout + out.stderr
