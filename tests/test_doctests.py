"""Docstring examples of the installed package run as tests."""

import doctest
import importlib

import pytest

MODULES = ["gmpcore", "gmpcore._sched", "gmpcore.reference.runq", "gmpcore.__main__",
           "gmpcore.workload", "gmpcore.durations", "gmpcore.costs", "gmpcore.scenarios",
           "gmpcore.simulate", "gmpcore.state", "gmpcore.snapshot", "gmpcore.trace",
           "gmpcore.leaks", "gmpcore.plots", "gmpcore.cli", "gmpcore.demo", "gmpcore.results",
           "gmpcore.latency", "gmpcore.errors", "gmpcore.model", "gmpcore.progress",
           "gmpcore.sweep", "gmpcore.machine", "gmpcore.spans", "gmpcore.calibrate",
           "gmpcore.noise", "gmpcore.strategies", "gmpcore.properties", "gmpcore.search",
           "gmpcore.fuzz"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0
    if name != "gmpcore.reference.runq":
        assert result.attempted > 0, f"{name} has no examples"
