"""End-to-end fixtures: one sandbox server per session, reset per test; a run session per test.

The chain: ``sandbox_server`` (session, free port, DB in a tmp dir) -> ``sandbox`` (the
control library on its DB, reseeded, faults off) -> ``layout`` (normal and cosmetic) ->
``config`` (pointing at the server, store and artifacts in tmp_path) -> ``session`` (a
RunSession on pytest-playwright's ``context``, so ``--tracing retain-on-failure`` and
``--screenshot only-on-failure`` keep what a failing test's browser did).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import Browser, BrowserContext
from pytest_playwright.pytest_playwright import CreateContextCallback

from runner.browser.session import RunSession
from runner.clock import OffsetClock
from runner.config import Config, load_config
from sandbox import faults as sandbox_faults
from sandbox.control import Sandbox
from sandbox.server import SandboxServer
from tests.e2e.cli import Cli, InProcessCli

if TYPE_CHECKING:
    from tests.e2e.faults_harness import Traps


class SandboxClient(Sandbox):
    """The sandbox control library on the test server's DB, plus moving the server's clock."""

    def __init__(self, server: SandboxServer, clock: OffsetClock) -> None:
        super().__init__(server.db_path, clock, server.url)
        self._offset_clock = clock

    def advance(self, delta: timedelta) -> None:
        """Move the sandbox's time forward (sessions, captchas and mails age; no waiting)."""
        self._offset_clock.advance(delta)

    def reset(self) -> None:
        """Reseed the DB in place: every test starts from the seed, faults off, clock true."""
        self._offset_clock.offset = timedelta()
        super().reset()


@pytest.fixture(scope="session")
def sandbox_clock() -> OffsetClock:
    """The sandbox server's clock: real time plus an offset a test moves forward."""
    return OffsetClock(timedelta())


@pytest.fixture(scope="session")
def sandbox_server(tmp_path_factory: pytest.TempPathFactory,
                   sandbox_clock: OffsetClock) -> Iterator[SandboxServer]:
    server = SandboxServer(tmp_path_factory.mktemp("sandbox") / "sandbox.db", port=0,
                           clock=sandbox_clock).start()
    yield server
    server.stop()


@pytest.fixture
def sandbox(sandbox_server: SandboxServer, sandbox_clock: OffsetClock) -> SandboxClient:
    client = SandboxClient(sandbox_server, sandbox_clock)
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
                 "CERTRUNNER_STORE", "CERTRUNNER_ARTIFACTS", "SANDBOX_DB"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CERTRUNNER_HOME", str(tmp_path / "home"))
    base = load_config().with_sandbox_url(sandbox.url)
    # Patient: a page that is there appears in time even with both cores busy; only a test
    # that expects something missing shortens it (drift_config), and it waits that long only
    # for what is missing.
    return replace(base, browser=replace(base.browser, timeout=timedelta(seconds=30)))


SessionMaker = Callable[..., RunSession]


@pytest.fixture
def make_session(new_context: CreateContextCallback, browser: Browser,
                 tmp_path: Path) -> Iterator[SessionMaker]:
    """Open run sessions, each in a new context; all closed after the test.

    ``make_session(config)`` uses pytest-playwright's contexts, which ``--tracing`` and
    ``--screenshot`` cover. ``make_session(config, trace=True)`` keeps the runner's own trace
    (what a failed run keeps), on a context pytest-playwright does not trace: one context holds
    one trace at a time.
    """
    opened: list[RunSession] = []

    def make(config: Config, *, trace: bool = False) -> RunSession:
        context = browser.new_context() if trace else new_context()
        session = RunSession(config, context, tmp_path / f"run-{len(opened) + 1}", trace=trace)
        opened.append(session)
        return session

    yield make
    for session in opened:
        session.close()


@pytest.fixture
def session(context: BrowserContext, config: Config, tmp_path: Path) -> Iterator[RunSession]:
    """A run session on pytest-playwright's ``context``."""
    run = RunSession(config, context, tmp_path / "run", trace=False)
    yield run
    run.close()


@pytest.fixture
def drift_config(config: Config) -> Config:
    """Short waits: a missing locator should fail fast."""
    return replace(config, browser=replace(config.browser, timeout=timedelta(seconds=1)))


class HeldAnswers(threading.Event):
    """Set once a POST was done and its answer is held; ``release()`` lets the answers go (the
    test's end does too)."""

    def __init__(self) -> None:
        super().__init__()
        self.released = threading.Event()

    def release(self) -> None:
        self.released.set()


@pytest.fixture
def held_answers(monkeypatch: pytest.MonkeyPatch) -> Iterator[HeldAnswers]:
    """Make the sandbox's `hold` fault signal when a POST was done and its answer is held."""
    holding = HeldAnswers()

    def hold(faults: sandbox_faults.Faults, method: str) -> None:
        if method == "POST" and faults.write_fault == "hold":
            holding.set()
            holding.released.wait(timeout=300)

    monkeypatch.setattr(sandbox_faults, "hold_answer", hold)
    yield holding
    holding.release()


@pytest.fixture
def cli(sandbox: SandboxClient, sandbox_server: SandboxServer, tmp_path: Path,
        browser: Browser) -> InProcessCli:
    """The CLI's commands on this test's sandbox and home, run in this process on the worker's
    one Chromium (``cli.start`` is still a process of its own): for tests about the answer."""
    return InProcessCli(sandbox.url, Path(sandbox_server.db_path), tmp_path, browser)


@pytest.fixture
def cli_process(sandbox: SandboxClient, sandbox_server: SandboxServer, tmp_path: Path) -> Cli:
    """The CLI as its callers run it: a process per command, on this test's sandbox and home;
    for tests whose subject is the process."""
    return Cli(sandbox.url, Path(sandbox_server.db_path), tmp_path)


@pytest.fixture
def traps(monkeypatch: pytest.MonkeyPatch) -> Traps:
    """One-shot console faults on chosen requests (tests/e2e/faults_harness.py)."""
    from tests.e2e.faults_harness import Traps

    return Traps(monkeypatch)
