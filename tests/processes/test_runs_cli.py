"""Run management through the real CLI, on a store seeded without a browser: the queue of runs
waiting for a person, a run shown in full, and abandoning (refused while a side effect's fate is
unknown)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from runner.store.runs import LedgerStatus, RunStatus, RunStore
from tests.processes.cli import run_cli


def _seed(store: RunStore, ticket: str, status: RunStatus, **fields: Any) -> str:
    run = store.create_run(ticket, "cancel_refund", {"domain": f"{ticket.lower()}.example"},
                           {"steps": {}, "log": [], "flow_path": None}).run
    run.status = status
    for name, value in fields.items():
        setattr(run, name, value)
    store.save_run(run)
    store.append_event(run.run_id, run.current_step, "action", "done", duration_ms=5)
    return run.run_id


@pytest.fixture
def home(tmp_path: Path) -> dict[str, Any]:
    db = tmp_path / "runs.db"
    with RunStore(db) as store:
        ids = {
            "asks": _seed(store, "T-1", RunStatus.NEEDS_INPUT, current_step="image_number",
                          next_action={"type": "provide_input", "input": "image_number",
                                       "summary": "read the captcha",
                                       "command": {"verb": "resume", "run_id": "run-x",
                                                   "inputs": {"image_number": "<VALUE>"}}}),
            "waits": _seed(store, "T-2", RunStatus.WAITING, current_step="cancelled"),
            "failed": _seed(store, "T-3", RunStatus.FAILED, current_step="refund_now",
                            outcome="console_server_error",
                            error={"kind": "console", "code": "console_server_error",
                                   "message": "the console answered 500", "step": "refund_now"}),
            "done": _seed(store, "T-4", RunStatus.SUCCEEDED, outcome="refunded"),
        }
        store.ledger.begin("pm.refund", "ORD-3", run_id=ids["failed"], ticket="T-3")
    env = {"CERTRUNNER_STORE": str(db), "CERTRUNNER_ARTIFACTS": str(tmp_path / "artifacts")}
    return {"env": env, "ids": ids, "db": db, "cwd": tmp_path}


def cli(home: dict[str, Any], *args: str) -> tuple[int, Any, str]:
    code, out, err = run_cli(*args, "--json", cwd=home["cwd"], env=home["env"])
    return code, json.loads(out), err


def test_runs_list_filters_by_status_ticket_and_flow(home: dict[str, Any]) -> None:
    code, rows, _ = cli(home, "runs", "list")
    assert code == 0
    assert [r["ticket"] for r in rows] == ["T-4", "T-3", "T-2", "T-1"]  # newest first
    code, rows, _ = cli(home, "runs", "list", "--status", "needs_input")
    assert [(r["run_id"], r["current_step"]) for r in rows] == [(home["ids"]["asks"],
                                                                "image_number")]
    assert rows[0]["next_action"]["type"] == "provide_input"
    assert rows[0]["next_action"]["command"] == ["certrunner", "resume", "run-x", "--input",
                                                 "image_number=<VALUE>", "--json"]
    assert [r["ticket"] for r in cli(home, "runs", "list", "--ticket", "T-2")[1]] == ["T-2"]
    assert cli(home, "runs", "list", "--flow", "cancel_only")[1] == []
    code, answer, _ = cli(home, "runs", "list", "--status", "stuck")
    assert code == 2 and answer["error"]["code"] == "usage_error"


def test_runs_show_has_events_and_ledger(home: dict[str, Any]) -> None:
    code, run, _ = cli(home, "runs", "show", home["ids"]["failed"])
    assert code == 0
    assert (run["status"], run["error"]["code"]) == ("failed", "console_server_error")
    assert [(e["kind"], e["status"]) for e in run["events"]] == [("action", "done")]
    assert [(e["action"], e["order_key"], e["status"]) for e in run["ledger"]] == [
        ("pm.refund", "ORD-3", "attempting")]
    code, answer, _ = cli(home, "runs", "show", "run-nope")
    assert code == 2 and answer["error"]["code"] == "unknown_run"


def test_abandon_refuses_an_unconfirmed_side_effect_until_forced(home: dict[str, Any]) -> None:
    run_id = home["ids"]["failed"]
    code, answer, _ = cli(home, "runs", "abandon", run_id, "--reason", "customer withdrew")
    assert code == 2
    assert answer["error"]["code"] == "side_effect_unconfirmed"
    assert "check on the Product Management console" in answer["error"]["message"]
    assert "ORD-3" in answer["error"]["message"]
    with RunStore(home["db"]) as store:
        assert store.get_run(run_id).status is RunStatus.FAILED  # type: ignore[union-attr]

    code, result, _ = cli(home, "runs", "abandon", run_id, "--reason", "checked: no refund",
                          "--force")
    assert code == 0
    assert (result["status"], result["outcome"], result["next_action"]) == (
        "abandoned", "abandoned", None)
    with RunStore(home["db"]) as store:
        assert store.events(run_id)[-1].data["reason"] == "checked: no refund"
        (entry,) = store.ledger.for_run(run_id)
        assert entry.status is LedgerStatus.ATTEMPTING  # the ledger still tells the truth


@pytest.mark.parametrize("which", ["asks", "waits"])
def test_abandon_paused_runs(home: dict[str, Any], which: str) -> None:
    code, result, _ = cli(home, "runs", "abandon", home["ids"][which], "--reason", "duplicate")
    assert code == 0 and result["status"] == "abandoned"
    code, rows, _ = cli(home, "runs", "list", "--status", "abandoned")
    assert [r["run_id"] for r in rows] == [home["ids"][which]]


def test_finished_runs_and_empty_reasons_are_refused(home: dict[str, Any]) -> None:
    code, answer, _ = cli(home, "runs", "abandon", home["ids"]["done"], "--reason", "x")
    assert code == 2 and answer["error"]["code"] == "run_finished"
    code, answer, _ = cli(home, "runs", "abandon", home["ids"]["asks"], "--reason", " ")
    assert code == 2 and answer["error"]["code"] == "missing_reason"


def test_resume_due_lists_what_waits_for_a_person(home: dict[str, Any]) -> None:
    code, report, _ = cli(home, "resume", "--due")
    assert code == 0
    assert report["resumed"] == []  # the waiting run's check time is not set: nothing due
    assert [r["run_id"] for r in report["needs_input"]] == [home["ids"]["asks"]]
    code, out, _ = run_cli("resume", "--due", cwd=home["cwd"], env=home["env"])
    assert "1 run(s) wait for a person" in out and home["ids"]["asks"] in out
    assert "image_number=<VALUE>" in out
