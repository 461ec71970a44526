"""Running Python inside a checkout (whose gmpcore/ folder has no compiled
core) says what to do, instead of "No module named 'gmpcore._sched'"."""

import shutil
import subprocess
import sys
from pathlib import Path

import gmpcore


def test_source_folder_without_the_core_explains(tmp_path):
    src = Path(gmpcore.__file__).parent
    shutil.copytree(src, tmp_path / "gmpcore",
                    ignore=shutil.ignore_patterns("*.so", "*.pyd", "__pycache__"))
    out = subprocess.run([sys.executable, "-c", "import gmpcore"], cwd=tmp_path,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 1
    assert "ImportError: gmpcore's compiled core is not built in" in out.stderr
    assert "Run Python from another folder" in out.stderr
