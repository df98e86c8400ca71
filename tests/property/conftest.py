"""Hypothesis settings for the parser property tests.

Every example is bounded: a fixed number of examples per test and a deadline per example,
so that an input that makes a parser hang (YAML aliases that expand exponentially, a
pathological pattern) fails the test instead of stalling ``make test``. Under ``CI=true``
the examples are derived from the test's name (``derandomize``), so a CI run is
repeatable; elsewhere they are random, and a failing example is remembered in
``.hypothesis/`` and tried first next time.
"""

from __future__ import annotations

import os
from datetime import timedelta

from hypothesis import HealthCheck, settings

_COMMON = {
    "deadline": timedelta(seconds=2),
    # each test writes its example into one file of its own tmp_path, overwritten per example
    "suppress_health_check": [HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                              HealthCheck.data_too_large],
    "print_blob": True,
}

settings.register_profile("harness", max_examples=80, **_COMMON)
settings.register_profile("ci", max_examples=80, derandomize=True, database=None, **_COMMON)
settings.register_profile("thorough", max_examples=2000, **_COMMON)
settings.load_profile(os.environ.get("HARNESS_HYPOTHESIS_PROFILE")
                      or ("ci" if os.environ.get("CI", "").lower() == "true" else "harness"))
