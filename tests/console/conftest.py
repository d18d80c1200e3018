"""The console against a real `certrunner serve` on loopback, in pytest-playwright's Chromium.

The sandbox and CLI fixtures are the end-to-end suite's own (one sandbox server per session);
each test gets a service with its own state home, operators made with the CLI, and a webhook
receiver for the notifications.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.console.console_pages import Inbox, SignIn
from tests.e2e.cli import Cli
from tests.e2e.conftest import (  # noqa: F401
    cli,
    cli_process,
    sandbox,
    sandbox_clock,
    sandbox_server,
    traps,
)
from tests.e2e.service import Service
from tests.receiver import Receiver

SHOTS = Path(__file__).resolve().parents[2] / "docs" / "images"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    hook = Receiver()
    yield hook
    hook.close()


@pytest.fixture
def service(cli_process: Cli, tmp_path: Path,  # noqa: F811
            receiver: Receiver) -> Iterator[Service]:
    running = Service({**cli_process.env, "CERTRUNNER_NOTIFY_URL": receiver.url}, tmp_path,
                      "--workers", "1")
    yield running
    running.stop()


@pytest.fixture
def tokens(cli: Cli) -> dict[str, str]:  # noqa: F811
    """An admin, two operators and a viewer, each with the token `operators add` printed."""
    made = {}
    for name, role in (("ada", "admin"), ("olga", "operator"), ("omar", "operator"),
                       ("vic", "viewer")):
        answer = cli("operators", "add", name, "--role", role, "--json", "--as", "setup")
        assert answer.code == 0, answer.stdout + answer.stderr
        made[name] = answer.data["token"]
    return made


@pytest.fixture
def people(browser: Browser) -> Iterator[dict[str, BrowserContext]]:
    """One browser context per person (their own cookies), at a desktop width."""
    opened: dict[str, BrowserContext] = {}

    class Contexts(dict[str, BrowserContext]):
        def __missing__(self, name: str) -> BrowserContext:
            opened[name] = self[name] = browser.new_context(
                viewport={"width": 1280, "height": 900})
            return opened[name]

    yield Contexts()
    for context in opened.values():
        context.close()


def signed_in(people: dict[str, BrowserContext], service: Service, name: str,
              token: str) -> Page:
    """A new tab of ``name``'s, signed in with their token, on the inbox."""
    page = people[name].new_page()
    SignIn(page).sign_in(service.url, name, token)
    expect(Inbox(page).heading).to_be_visible()
    return page


def shot(page: Page, name: str) -> None:
    """The page as docs/console.md shows it, written to docs/images only when asked
    (``make shots``); otherwise taken and dropped, so a test run leaves the checkout as it was."""
    keep = SHOTS / f"console-{name}.png" if os.environ.get("CERTRUNNER_SHOTS") else None
    page.screenshot(path=str(keep) if keep else None, full_page=True)
