"""End-to-end fixtures: one sandbox server per session, reset per test; a run session per test.

The chain: ``sandbox_server`` (session, free port, DB in a tmp dir) -> ``sandbox`` (reseeded,
faults off) -> ``layout`` (normal and cosmetic) -> ``config`` (pointing at the server, store
and artifacts in tmp_path) -> ``session`` (a RunSession on pytest-playwright's ``browser``: one
browser for the whole session, one context per test).
"""

from __future__ import annotations

import hashlib
import json
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser

from runner.browser.session import RunSession
from runner.config import Config, load_config
from sandbox.server import SandboxServer


class SandboxClock:
    """The sandbox server's clock: real time plus an offset a test can move forward."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset


class SandboxClient:
    """The sandbox's own JSON API (never subject to faults): reset, faults, orders, refunds."""

    def __init__(self, url: str, clock: SandboxClock) -> None:
        self.url = url
        self.clock = clock

    def advance(self, delta: timedelta) -> None:
        """Move the sandbox's time forward (sessions, captchas and mails age; no waiting)."""
        self.clock.offset += delta

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.url + path, data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())

    def reset(self) -> None:
        """Reseed the DB in place: every test starts from the seed, faults off, clock true."""
        self.clock.offset = timedelta()
        self._call("POST", "/sandbox/reset")

    def faults(self, **changes: Any) -> dict[str, Any]:
        return dict(self._call("POST", "/sandbox/faults", changes))

    def orders(self, domain: str) -> list[dict[str, Any]]:
        return list(self._call("GET", f"/sandbox/orders?domain={domain}"))

    def order(self, domain: str) -> dict[str, Any]:
        """The one order whose domain is exactly ``domain``."""
        (found,) = [o for o in self.orders(domain) if o["domain"] == domain]
        return found

    def add_order(self, **fields: Any) -> dict[str, Any]:
        return dict(self._call("POST", "/sandbox/orders", fields))

    def refunds(self, order_id: str) -> list[dict[str, Any]]:
        return list(self._call("GET", f"/sandbox/refunds?order_id={order_id}"))

    def posts(self, order_id: str) -> dict[str, int]:
        """Side-effecting POSTs that reached the consoles for one order, and its access mails."""
        return dict(self._call("GET", f"/sandbox/posts?order_id={order_id}"))

    def solve_captcha(self, image: Path) -> str:
        """What `sandbox solve-captcha FILE` answers: looked up by the image's SHA-256."""
        digest = hashlib.sha256(image.read_bytes()).hexdigest()
        return str(self._call("GET", f"/sandbox/captcha/{digest}")["answer"])


@pytest.fixture(scope="session")
def sandbox_clock() -> SandboxClock:
    return SandboxClock()


@pytest.fixture(scope="session")
def sandbox_server(tmp_path_factory: pytest.TempPathFactory,
                   sandbox_clock: SandboxClock) -> Iterator[SandboxServer]:
    server = SandboxServer(tmp_path_factory.mktemp("sandbox") / "sandbox.db", port=0,
                           clock=sandbox_clock).start()
    yield server
    server.stop()


@pytest.fixture
def sandbox(sandbox_server: SandboxServer, sandbox_clock: SandboxClock) -> SandboxClient:
    client = SandboxClient(sandbox_server.url, sandbox_clock)
    client.reset()
    return client


@pytest.fixture(params=["normal", "cosmetic"])
def layout(request: pytest.FixtureRequest, sandbox: SandboxClient) -> str:
    """Run the test on the normal layout and on the cosmetic one (ids and classes changed)."""
    sandbox.faults(layout=request.param)
    return str(request.param)


@pytest.fixture
def config(sandbox: SandboxClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Config:
    for name in ("SYMANTEC_USERNAME", "SYMANTEC_PASSWORD", "CERTRUNNER_CONFIG",
                 "CERTRUNNER_STORE", "CERTRUNNER_ARTIFACTS"):
        monkeypatch.delenv(name, raising=False)
    base = load_config().with_sandbox_url(sandbox.url)
    return replace(base, store=tmp_path / "store" / "runs.db", artifacts=tmp_path / "artifacts",
                   browser=replace(base.browser, timeout_ms=5_000))


@pytest.fixture
def make_session(browser: Browser, tmp_path: Path) -> Iterator[Callable[[Config], RunSession]]:
    """Open run sessions (each its own context) on the one browser; all closed after the test."""
    opened: list[RunSession] = []

    def make(config: Config) -> RunSession:
        session = RunSession(config, browser, tmp_path / f"run-{len(opened) + 1}")
        opened.append(session)
        return session

    yield make
    for session in opened:
        session.close()


@pytest.fixture
def session(make_session: Callable[[Config], RunSession], config: Config) -> RunSession:
    return make_session(config)


@pytest.fixture
def drift_config(config: Config) -> Config:
    """Short waits: a missing locator should fail fast."""
    return replace(config, browser=replace(config.browser, timeout_ms=1_000))
