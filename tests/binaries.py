"""System software some tests drive for real, installed by tests/setup/*.sh: found, or the test is
skipped on a developer's machine and fails in CI (``CI`` set), where a missing one is a broken setup."""

from __future__ import annotations

import os
import shutil

import pytest


def require(name: str, setup: str) -> str:
    """The path of the program ``name``, which ``tests/setup/<setup>`` installs."""
    found = shutil.which(name)
    if found:
        return found
    missing = f"{name} is not installed: run bash tests/setup/{setup}"
    if os.environ.get("CI"):
        pytest.fail(missing)
    pytest.skip(missing)
