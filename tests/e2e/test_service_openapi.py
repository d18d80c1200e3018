"""The OpenAPI document is honest: schemathesis generates requests from /openapi.json and checks
every answer against it (no server errors, documented statuses, bodies matching their schemas).
Examples are few per operation: POST /runs starts real browser work."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from sandbox.server import SandboxServer
from tests.e2e.cli import Cli
from tests.e2e.conftest import SandboxClient
from tests.e2e.service import Service

TOKEN = "schema-token-0123456789abcdef"


@pytest.fixture
def service(sandbox: SandboxClient, sandbox_server: SandboxServer,
            tmp_path: Path) -> Iterator[Service]:
    """A service of this test's own, on the sandbox reseeded for it (faults off, the seed's
    orders): nothing an earlier test left behind reaches the generated requests."""
    env = Cli(sandbox.url, Path(sandbox_server.db_path), tmp_path).env
    running = Service(env, tmp_path, "--workers", "2", token=TOKEN)
    yield running
    running.stop()


def test_every_answer_matches_the_openapi_document(service: Service) -> None:
    """Every operation, a few generated requests each (schemathesis's own pytest plugin does
    not run on our pytest, so its strategies are driven here with hypothesis directly)."""
    auth = {"Authorization": f"Bearer {TOKEN}"}
    api = schemathesis.openapi.from_url(f"{service.url}/openapi.json", headers=auth)
    operations = [result.ok() for result in api.get_all_operations()]
    assert {f"{o.method.upper()} {o.path}" for o in operations} >= {
        "POST /runs", "GET /runs", "GET /runs/{run_id}", "POST /runs/{run_id}/resume",
        "POST /runs/{run_id}/abandon", "GET /runs/{run_id}/artifacts/{name}", "GET /flows"}
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=4, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        def answers_as_documented(case: schemathesis.Case) -> None:
            case.call_and_validate(headers=auth)

        answers_as_documented()
