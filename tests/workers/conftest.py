"""Fixtures of the queue tier: real PostgreSQL and Redis on loopback, a sandbox, a cluster.

Without the servers these tests skip with the reason (``make test`` prints it); in CI they fail.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from runner.clock import OffsetClock
from sandbox.server import SandboxServer
from tests.e2e.conftest import SandboxClient
from tests.servers import REDIS_URL, postgres_schema, require
from tests.workers.cluster import Cluster


@pytest.fixture
def store_url() -> Iterator[str]:
    with postgres_schema("certrunner_queue") as url:
        yield url


@pytest.fixture
def broker_url() -> str:
    require("Redis", REDIS_URL)
    return REDIS_URL


@pytest.fixture
def consoles(tmp_path: Path) -> Iterator[SandboxClient]:
    """A sandbox of this test's own (its orders and refunds are this test's alone)."""
    clock = OffsetClock(timedelta())
    server = SandboxServer(tmp_path / "sandbox.db", port=0, clock=clock).start()
    yield SandboxClient(server, clock)
    server.stop()


@pytest.fixture
def cluster(tmp_path: Path, store_url: str, broker_url: str,
            consoles: SandboxClient) -> Iterator[Cluster]:
    import redis

    queue = f"certrunner-test-{secrets.token_hex(4)}"
    made = Cluster(tmp_path / "machines", store_url, broker_url, consoles.url, queue)
    yield made
    made.stop()
    redis.Redis.from_url(broker_url).delete(queue)
