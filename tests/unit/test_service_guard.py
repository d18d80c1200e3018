"""The service's guards without a browser: who may start it where, the bearer token, the body
limit, and abandoning on today's store."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from runner.app import runs
from runner.app.context import AppContext
from runner.app.options import ServiceOptions
from runner.app.people import Actor
from runner.errors import ConfigError, InputError, RunnerError
from runner.service.guard import Guard
from runner.store.runs import RunStatus, RunStore, StoreError

TOKEN = "unit-token-0123456789"


@pytest.mark.parametrize("host", ["0.0.0.0", "10.1.2.3", "::", "example.com"])
def test_beyond_loopback_a_token_is_required(host: str) -> None:
    with pytest.raises(ConfigError, match="CERTRUNNER_API_TOKEN") as caught:
        ServiceOptions(host=host).check()
    assert caught.value.code == "api_token_required"
    ServiceOptions(host=host, token=TOKEN).check()


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1", "127.0.0.2"])
def test_loopback_needs_no_token(host: str) -> None:
    ServiceOptions(host=host).check()


def test_a_short_token_is_refused() -> None:
    with pytest.raises(ConfigError, match="too short"):
        ServiceOptions(host="0.0.0.0", token="short").check()


def test_token_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CERTRUNNER_API_TOKEN", TOKEN)
    assert ServiceOptions().with_token_from_env().token == TOKEN


async def _echo(request: Request) -> JSONResponse:
    return JSONResponse({"size": len(await request.body())})


def _client(token: str | None) -> TestClient:
    app = Starlette(routes=[Route("/runs", _echo, methods=["POST"]), Route("/health", _echo)])
    return TestClient(Guard(app, token=token, max_body_bytes=100))


def test_the_token_is_checked_everywhere_but_health() -> None:
    client = _client(TOKEN)
    refused = client.post("/runs", json={})
    assert refused.status_code == 401
    assert refused.json()["error"] == {
        "kind": "input", "code": "unauthorized",
        "message": "a valid bearer token is required "
                   "(Authorization: Bearer $CERTRUNNER_API_TOKEN, or an operator's own token)"}
    assert refused.headers["www-authenticate"].startswith("Bearer")
    assert client.post("/runs", json={}, headers={"Authorization": "Bearer wrong"}).status_code \
        == 401
    assert client.post("/runs", json={},
                       headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200
    assert client.get("/health").status_code == 200


@pytest.mark.parametrize("chunked", [False, True])
def test_bodies_past_the_limit_are_refused(chunked: bool) -> None:
    client = _client(None)
    assert client.post("/runs", content=b"x" * 100).json() == {"size": 100}
    body = b"x" * 101
    answer = client.post("/runs", content=iter([body[:60], body[60:]]) if chunked else body)
    assert answer.status_code == 413
    assert answer.json()["error"]["code"] == "body_too_large"


def test_abandoning_a_paused_run_ends_it_for_good(tmp_path: Path) -> None:
    with RunStore(tmp_path / "runs.db") as store:
        run = store.create_run("T-1", "cancel_refund", {"domain": "x.example"}).run
        run.status = RunStatus.WAITING
        store.save_run(run)
        done = runs.abandon(_ctx(store), run.run_id, "customer withdrew", ANN)
        assert (done.status, done.outcome) == (RunStatus.ABANDONED, "abandoned")
        assert done.next_action is None
        assert [r.run_id for r in store.list_runs(status="abandoned")] == [run.run_id]
        decided = store.decisions.for_run(run.run_id)
        assert [(d.actor, d.via, d.action) for d in decided] == [("ann", "cli", "abandon")]
        assert store.due_runs() == [] and store.orphaned_runs() == []
        again = runs.abandon(_ctx(store), run.run_id, "twice", ANN)  # changes nothing
        assert again.status == RunStatus.ABANDONED
        assert len(store.decisions.for_run(run.run_id)) == 1
        assert [e.kind for e in store.events(run.run_id)].count("abandoned") == 1
        finished = store.create_run("T-9", "cancel_refund").run
        finished.status = RunStatus.SUCCEEDED
        store.save_run(finished)
        with pytest.raises(StoreError) as refused:
            runs.abandon(_ctx(store), finished.run_id, "too late", ANN)
        assert refused.value.code == "run_finished"


def test_a_run_with_an_unconfirmed_side_effect_is_not_abandoned(tmp_path: Path) -> None:
    """Whether the refund happened is unknown: a person looks at the console first."""
    with RunStore(tmp_path / "runs.db") as store:
        run = store.create_run("T-3", "cancel_refund").run
        store.ledger.begin("pm.refund", "O-1", run_id=run.run_id, ticket="T-3")
        with pytest.raises(RunnerError, match="O-1") as unsure:
            runs.abandon(_ctx(store), run.run_id, "stop", ANN)
        assert unsure.value.code == "side_effect_unconfirmed"
        assert (store.get_run(run.run_id) or run).status is RunStatus.RUNNING
        with pytest.raises(InputError) as blank:
            runs.abandon(_ctx(store), run.run_id, "  ", ANN)
        assert blank.value.code == "missing_reason"


def test_a_run_held_by_another_worker_is_not_abandoned(tmp_path: Path) -> None:
    with RunStore(tmp_path / "runs.db") as store:
        run = store.create_run("T-2", "cancel_refund").run
        assert store.acquire_lease(run.run_id, "worker-a", timedelta(minutes=5))
        with pytest.raises(StoreError, match="being worked on") as busy:
            runs.abandon(_ctx(store), run.run_id, "stop", ANN)
        assert busy.value.code == "run_in_progress"


def _ctx(store: RunStore) -> AppContext:
    """The application layer over this test's store (no sandbox, no browser)."""
    ctx = AppContext()
    ctx._store = store
    return ctx


ANN = Actor("ann", "cli")
