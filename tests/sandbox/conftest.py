"""Fixtures for the sandbox's own tests: a fresh DB and a real HTTP server per test.

Each test gets its own SQLite file under tmp_path and its own server on a free port, driven by
a FixedClock (the runner's one clock), so tests share nothing and move time instead of waiting.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from runner.clock import FixedClock, SystemClock
from sandbox.app import create_app
from sandbox.server import SandboxServer
from tests.sandbox.browsing import HttpSession


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(SystemClock().now().replace(microsecond=0))


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "sandbox.db"


@pytest.fixture
def app(db_path: Path, clock: FixedClock) -> Flask:
    return create_app(db_path, clock)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """Flask's in-process client, where going over the wire is not the point."""
    return app.test_client()


@pytest.fixture
def server(db_path: Path, clock: FixedClock) -> Iterator[SandboxServer]:
    with SandboxServer(db_path, clock=clock) as running:
        yield running


@pytest.fixture
def new_session(server: SandboxServer) -> Callable[[], HttpSession]:
    """Make a new cookie-keeping HTTP client (a "browser") against the test's server."""
    return lambda: HttpSession(server.url)


@pytest.fixture
def web(new_session: Callable[[], HttpSession]) -> HttpSession:
    """One HTTP "browser", for tests that need only one."""
    return new_session()

