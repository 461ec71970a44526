"""Shared test set-up: Hypothesis profiles, the engine fixture, and the
installed package's location in the report header."""

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, settings

# "ci" keeps the whole suite within a few minutes and is deterministic;
# "thorough" is for local runs: HYPOTHESIS_PROFILE=thorough pytest
settings.register_profile(
    "ci",
    max_examples=60,
    stateful_step_count=40,
    deadline=None,
    derandomize=True,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
    # No shrinking in CI, so a failure costs minutes, not an hour: the
    # printed blob replays it locally, where shrinking runs.
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target],
)
settings.register_profile(
    "thorough",
    max_examples=2000,
    stateful_step_count=150,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "empty_runtime: runs start with main alone (simulate's runtime_init "
        "defaults to False), as the module's answers are derived by hand")


@pytest.fixture(autouse=True)
def _empty_runtime(request, monkeypatch):
    """Known-answer modules (``pytestmark = pytest.mark.empty_runtime``) derive
    goids, threads and schedules by hand from a runtime that starts with main
    alone, as they use cpus=None and exact costs: simulate's runtime_init
    defaults to False in them.  Every other test runs with the default."""
    if request.node.get_closest_marker("empty_runtime"):
        import sys
        monkeypatch.setitem(sys.modules["gmpcore.simulate"].simulate.__kwdefaults__,
                            "runtime_init", False)


def pytest_report_header(config):
    import gmpcore

    where = Path(gmpcore.__file__).resolve().parent
    return f"gmpcore {gmpcore.__version__} imported from {where}"


@pytest.fixture(params=["reference", "compiled"])
def engine(request):
    """Each behaviour test runs on both engines."""
    return request.param


@pytest.fixture
def sim(engine):
    """``sim(wl, **options)``: simulate on the test's engine, seed 1 unless given."""
    import gmpcore as gmp

    def run(wl, **kw):
        kw.setdefault("seed", 1)
        return gmp.simulate(wl, engine=engine, **kw)

    return run
