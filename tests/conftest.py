"""Fixtures shared by every test: the browser launch flags come from the runner's one launcher;
the run store in each database it can live in."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from runner.browser.launcher import launch_options
from tests.servers import postgres_schema


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """pytest-playwright launches; we only add our executable and flags."""
    options = launch_options(headless=True)
    options.pop("headless")
    return {**browser_type_launch_args, **options}


@pytest.fixture(params=["sqlite", "postgresql"])
def store_target(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str | Path]:
    """What a RunStore opens, once per database: a new SQLite file, or a new PostgreSQL schema
    (dropped after the test; skipped, or failed in CI, when PostgreSQL does not answer)."""
    if request.param == "sqlite":
        yield tmp_path / "runs.db"
        return
    with postgres_schema() as url:
        yield url
