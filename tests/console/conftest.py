"""The console against a real `certrunner serve` on loopback, in pytest-playwright's Chromium.

The sandbox and CLI fixtures are the end-to-end suite's own (one sandbox server per session);
each test gets a service with its own state home, operators made with the CLI, and a webhook
receiver for the notifications.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.cli import Cli
from tests.e2e.conftest import (  # noqa: F401
    cli,
    cli_process,
    sandbox,
    sandbox_clock,
    sandbox_server,
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
