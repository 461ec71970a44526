"""Shared test set-up: Hypothesis profiles and a guard against testing the source tree."""

import os
from pathlib import Path

from hypothesis import HealthCheck, settings

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


def pytest_report_header(config):
    import gmpcore

    where = Path(gmpcore.__file__).resolve().parent
    return f"gmpcore {gmpcore.__version__} imported from {where}"
