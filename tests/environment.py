"""What a test needs from outside the repository: present, or the test skips (fails in CI).

A clone on a developer's machine runs every test it can; one whose datasets or system tools are
not there skips with one reason naming what is missing. CI (CI=true) has them all by design
(`.ci/run` with ../shared beside the clone, ./test.sh installing the tools), so there a missing
one is a failure, never a silent skip.
"""

from __future__ import annotations

import os
from typing import NoReturn

import pytest


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def unavailable(reason: str) -> NoReturn:
    """Skip the test for `reason`; in CI, fail it."""
    if in_ci():
        pytest.fail(f"{reason} (CI must have it)")
    pytest.skip(reason)
