"""``GET /metrics`` of a real ``certrunner serve``, after real tickets in real Chromium."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.cli import Cli
from tests.e2e.metrics import check_pending_and_issued, parse, value
from tests.e2e.service import Service

TOKEN = "test-token-0123456789abcdef"


@pytest.fixture
def cli(cli_process: Cli) -> Cli:
    """Services are processes, and so is every command beside them here."""
    return cli_process


@pytest.fixture
def service(cli: Cli, tmp_path: Path) -> Iterator[Service]:
    running = Service(cli.env, tmp_path, "--workers", "2", token=TOKEN)
    yield running
    running.stop()


def test_metrics_after_a_pending_and_an_issued_ticket(service: Service) -> None:
    before = time.monotonic()
    done = service.run("cancel_refund", "T-M1", "pending.example").json()
    assert (done["status"], done["outcome"]) == ("succeeded", "refunded"), done
    paused = service.run("cancel_refund", "T-M2", "fresh-issued.example").json()
    assert paused["status"] == "needs_input", paused
    answer = service.http.get("/metrics")
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/plain")
    samples = parse(answer.text)
    check_pending_and_issued(samples, person_wait_at_most=time.monotonic() - before + 1)
    assert value(samples, "certrunner_workers") == 2
    assert value(samples, "certrunner_workers_busy") == 0
    # Behind the service's token like every other route.
    assert service.http.get("/metrics", headers={"Authorization": "Bearer x"}).status_code == 401
