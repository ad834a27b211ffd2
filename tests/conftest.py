"""Shared test fixtures.

Real public data are read from ``../shared/data/raw`` next to the checkout (or from the folder named
by ``APLCORE_SHARED_DIR``); tests that need them are skipped with a clear message when absent.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

TESTS_DIR = Path(__file__).resolve().parent
# Let test modules import the dense references kept next to them (importlib import mode).
if str(TESTS_DIR) not in sys.path:
    sys.path.insert(0, str(TESTS_DIR))

settings.register_profile(
    "aplcore", deadline=None, suppress_health_check=[HealthCheck.too_slow], max_examples=60
)
settings.register_profile(
    "ci", deadline=None, suppress_health_check=[HealthCheck.too_slow], max_examples=120
)
settings.load_profile("ci" if os.environ.get("CI") else "aplcore")


def shared_raw_dir() -> Path | None:
    """The ``shared/data/raw`` folder, or None when it is not there."""
    env = os.environ.get("APLCORE_SHARED_DIR")
    candidates = [Path(env)] if env else []
    candidates.append(TESTS_DIR.parent.parent / "shared")
    for base in candidates:
        raw = base / "data" / "raw"
        if raw.is_dir():
            return raw
    return None


@pytest.fixture(scope="session")
def shared_raw() -> Path:
    """Path to ``shared/data/raw``; skips the test when the folder is absent."""
    raw = shared_raw_dir()
    if raw is None:
        pytest.skip(
            "real data not found: expected ../shared/data/raw beside the checkout "
            "(or set APLCORE_SHARED_DIR)"
        )
    return raw
