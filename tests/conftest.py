"""Fixtures shared by every test: the browser launch flags come from the runner's one launcher."""

from __future__ import annotations

from typing import Any

import pytest

from runner.browser.launcher import launch_options


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """pytest-playwright launches; we only add our executable and flags."""
    options = launch_options(headless=True)
    options.pop("headless")
    return {**browser_type_launch_args, **options}
