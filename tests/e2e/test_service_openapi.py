"""The OpenAPI document is honest: schemathesis generates requests from /openapi.json and checks
every answer against it (no server errors, documented statuses, bodies matching their schemas).
Examples are few per operation: POST /runs starts real browser work."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from sandbox.server import SandboxServer
from tests.e2e.cli import Cli
from tests.e2e.service import Service

TOKEN = "schema-token-0123456789abcdef"


@pytest.fixture(scope="module")
def service(sandbox_server: SandboxServer,
            tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    home = tmp_path_factory.mktemp("schema-service")
    env = Cli(sandbox_server.url, Path(sandbox_server.db_path), home).env
    running = Service(env, home, "--workers", "2", token=TOKEN)
    yield running
    running.stop()


@pytest.fixture(scope="module")
def api_schema(service: Service) -> schemathesis.BaseSchema:
    return schemathesis.openapi.from_url(f"{service.url}/openapi.json",
                                         headers={"Authorization": f"Bearer {TOKEN}"})


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=4, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_every_answer_matches_the_openapi_document(case: schemathesis.Case) -> None:
    case.call_and_validate(headers={"Authorization": f"Bearer {TOKEN}"})
