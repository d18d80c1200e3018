"""Operators in the store (a token kept only as a hash), roles, and task claims."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from runner.app import operators
from runner.app.people import Actor
from runner.clock import FixedClock
from runner.errors import InputError
from runner.store.runs import RunStore

OWNER = Actor("owner", "cli")  # no role: the machine's owner at the command line


def test_a_token_is_shown_once_kept_as_a_hash_and_names_its_operator(
        store_target: str | Path) -> None:
    with RunStore(store_target) as store:
        made = operators.add(store, OWNER, "alice", "operator")
        assert made["token"] not in str(store.operators.all())
        assert store.operators.get("alice").token_hash.startswith("sha256:")  # type: ignore
        assert operators.bearer(store, made["token"], "http") == Actor("alice", "http",
                                                                        "operator")
        assert operators.bearer(store, made["token"] + "x", "http") is None
        assert operators.sign_in(store, "alice", made["token"]).name == "alice"
        with pytest.raises(InputError, match="no operator has that name and token"):
            operators.sign_in(store, "bob", made["token"])
        with pytest.raises(InputError, match="exists already"):
            operators.add(store, OWNER, "alice", "viewer")
        actions = [d.action for d in store.decisions.latest()]
        assert actions == ["operator_add"]


def test_roles_refuse_saying_why(store_target: str | Path) -> None:
    with RunStore(store_target) as store:
        viewer = Actor("vic", "console", "viewer")
        with pytest.raises(InputError, match="vic is a viewer: an operator or an admin may "
                                             "answer") as refused:
            operators.require(viewer, operators.Permission.ANSWER)
        assert refused.value.code == "forbidden"
        operators.require(Actor("olga", "console", "operator"), operators.Permission.ABANDON)
        with pytest.raises(InputError, match="an admin may manage operators"):
            operators.add(store, Actor("olga", "console", "operator"), "x", "admin")


def test_the_last_admin_stays(store_target: str | Path) -> None:
    with RunStore(store_target) as store:
        operators.add(store, OWNER, "root-admin", "admin")
        operators.add(store, OWNER, "vic", "viewer")
        with pytest.raises(InputError, match="last admin"):
            operators.remove(store, OWNER, "root-admin")
        operators.remove(store, OWNER, "vic")
        assert [d.action for d in store.decisions.latest()][0] == "operator_remove"


def test_one_of_two_operators_holds_a_task_until_it_expires(tmp_path: Path) -> None:
    clock = FixedClock(datetime(2026, 12, 1, 9, tzinfo=UTC))
    with RunStore(tmp_path / "runs.db", clock) as store:
        run = store.create_run("T-1", "cancel_refund", {"domain": "a.example"}).run
        first = store.task_claims.claim(run.run_id, "alice", timedelta(minutes=10))
        second = store.task_claims.claim(run.run_id, "bob", timedelta(minutes=10))
        assert (first.operator, second.operator) == ("alice", "alice")
        assert store.task_claims.holder(run.run_id).operator == "alice"  # type: ignore
        clock.advance(timedelta(minutes=11))
        assert store.task_claims.holder(run.run_id) is None
        assert store.task_claims.claim(run.run_id, "bob", timedelta(minutes=10)).operator == "bob"
