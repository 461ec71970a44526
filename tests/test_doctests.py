"""Docstring examples of the installed package run as tests."""

import doctest
import importlib
import importlib.util
from pathlib import Path

import pytest

MODULES = ["gmpcore", "gmpcore._sched", "gmpcore.reference.runq", "gmpcore.__main__",
           "gmpcore.workload", "gmpcore.durations", "gmpcore.costs", "gmpcore.scenarios",
           "gmpcore.simulate", "gmpcore.state", "gmpcore.snapshot", "gmpcore.trace",
           "gmpcore.leaks", "gmpcore.plots", "gmpcore.cli", "gmpcore.demo", "gmpcore.results",
           "gmpcore.latency", "gmpcore.errors", "gmpcore.model", "gmpcore.progress",
           "gmpcore.sweep", "gmpcore.machine", "gmpcore.spans", "gmpcore.calibrate",
           "gmpcore.noise", "gmpcore.strategies", "gmpcore.properties", "gmpcore.search",
           "gmpcore.fuzz", "gmpcore.startup", "gmpcore.policy", "gmpcore.compare",
           "gmpcore.gotrace", "gmpcore.gotrace.events", "gmpcore.gotrace.reader",
           "gmpcore.gotrace.summary", "gmpcore.gotrace._wire", "gmpcore.gotrace.writer",
           "gmpcore.gotrace.replay"]
# Modules whose docstrings hold no example of their own (the package's entry points).
NO_EXAMPLES = {"gmpcore.reference.runq", "gmpcore.gotrace"}


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0
    if name not in NO_EXAMPLES:
        assert result.attempted > 0, f"{name} has no examples"


def test_benchmark_docstring_example():
    path = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_gotrace.py"
    spec = importlib.util.spec_from_file_location("_bench_gotrace_doctest", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    result = doctest.testmod(module)
    assert result.failed == 0 and result.attempted > 0
