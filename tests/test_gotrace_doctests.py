"""Docstring examples of the Go-trace reader run as tests (tests/test_doctests.py
covers the rest of the package)."""

import doctest
import importlib
import importlib.util
from pathlib import Path

import pytest

MODULES = ["gmpcore.gotrace", "gmpcore.gotrace.events", "gmpcore.gotrace.reader",
           "gmpcore.gotrace.summary", "gmpcore.gotrace._wire"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0
    if name != "gmpcore.gotrace":
        assert result.attempted > 0, f"{name} has no examples"


def test_error_docstring_example():
    import gmpcore.errors
    finder = doctest.DocTestFinder()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    for t in finder.find(gmpcore.errors.GoTraceError, "GoTraceError"):
        runner.run(t)
    assert runner.failures == 0 and runner.tries > 0


def test_benchmark_docstring_example():
    path = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_gotrace.py"
    spec = importlib.util.spec_from_file_location("_bench_gotrace_doctest", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    result = doctest.testmod(module)
    assert result.failed == 0 and result.attempted > 0
