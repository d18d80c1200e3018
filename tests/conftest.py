"""Fixtures shared by every test: the browser launch flags come from the runner's one launcher,
no test ever writes to the real state home, and the run store in each database it can live in."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from runner.browser.launcher import launch_options
from tests import children
from tests.servers import postgres_schema


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The modules marked ``long`` first, in their order, then the rest in theirs: with several
    pytest workers (``make test``), a test of tens of seconds started last would run alone
    while the other workers sit idle. Every worker collects in this same order."""
    items.sort(key=lambda item: item.get_closest_marker("long") is None)


@pytest.fixture(autouse=True)
def no_child_left() -> Iterator[None]:
    """Every process the test started is killed with its group once the test is over (see
    tests/children.py): a runner left behind must not click in the next test's sandbox."""
    since = children.mark()
    yield
    children.reap(since)


@pytest.fixture(autouse=True, scope="session")
def state_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """CERTRUNNER_HOME in a temporary folder for the whole session (tests may set their own)."""
    before = os.environ.get("CERTRUNNER_HOME")
    os.environ["CERTRUNNER_HOME"] = str(tmp_path_factory.mktemp("certrunner-home"))
    yield
    if before is None:
        os.environ.pop("CERTRUNNER_HOME", None)
    else:
        os.environ["CERTRUNNER_HOME"] = before


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
