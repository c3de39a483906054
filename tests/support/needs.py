"""A test that needs something this machine lacks: skip saying what to provide, fail in CI.

Under CI a missing piece is a failure, never a silent pass: CI's machine is
meant to provide everything the suite needs.
"""

from __future__ import annotations

import os
from typing import NoReturn

import pytest


def unavailable(reason: str) -> NoReturn:
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)
