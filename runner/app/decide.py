"""What a person decides about a run, from any door: answer, retry, abandon, claim.

Each decision is checked against the actor's role, refused while another operator holds the
run's person-task, recorded in the decisions table with the actor's name and door (an answer's
value never: a captcha answer is a single-use secret; a confirmation's choice, yes), and then
carried out through the warm host, which drives the run on whichever worker has the browser.
"""

from __future__ import annotations

from concurrent.futures import Future
from datetime import timedelta
from typing import Any, Protocol

from runner.app.inbox import CLAIM_TTL, task_kind
from runner.app.operators import Permission, require
from runner.app.people import Actor
from runner.app.tickets import answered_by
from runner.engine.result import RunResult
from runner.error_codes import ErrorCode
from runner.errors import InputError
from runner.store.run_records import Run
from runner.store.runs import RunStore
from runner.store.task_claims import TaskClaim

DRIVE_TIMEOUT = timedelta(minutes=10)  # a resume runs to its next pause; a deadline, not a wait


class RunHost(Protocol):
    """What the warm host (the service's run service) offers the doors."""

    @property
    def store(self) -> RunStore: ...

    def resume_run(self, run_id: str, inputs: dict[str, Any], actor: Actor = ...,
                   seen: str | None = None) -> Future[RunResult]: ...

    def abandon_run(self, run_id: str, reason: str, actor: Actor = ...,
                    force: bool = False) -> RunResult: ...

    def get_run(self, run_id: str) -> RunResult: ...

    def artifact(self, run_id: str, name: str) -> tuple[bytes, str]: ...


def _run(store: RunStore, run_id: str) -> Run:
    run = store.get_run(run_id)
    if run is None:
        raise InputError(f"no run {run_id}", ErrorCode.UNKNOWN_RUN)
    return run


def _not_held_by_another(store: RunStore, actor: Actor, run_id: str) -> None:
    held = store.task_claims.holder(run_id)
    if held is not None and held.operator != actor.name:
        raise InputError(f"{held.operator} is working on this task (claimed "
                         f"{held.claimed_at:%H:%M} UTC, until {held.expires_at:%H:%M} UTC); "
                         "ask them, or wait for the claim to end", ErrorCode.TASK_CLAIMED,
                         holder=held.operator)


def claim(store: RunStore, actor: Actor, run_id: str,
          ttl: timedelta = CLAIM_TTL) -> TaskClaim:
    """Take the run's person-task; refused (naming the holder) while another operator has it."""
    require(actor, Permission.CLAIM)
    if task_kind(_run(store, run_id)) is None:
        raise InputError(f"run {run_id} waits for no person now", ErrorCode.NOT_A_PERSON_TASK)
    _not_held_by_another(store, actor, run_id)
    got = store.task_claims.claim(run_id, actor.name, ttl)
    if got.operator != actor.name:  # taken between the look and the claim
        _not_held_by_another(store, actor, run_id)
    store.decisions.record(actor.name, actor.via, "claim", run_id)
    return got


def release(store: RunStore, actor: Actor, run_id: str) -> None:
    require(actor, Permission.CLAIM)
    if store.task_claims.release(run_id, actor.name):
        store.decisions.record(actor.name, actor.via, "release", run_id)


def answer(host: RunHost, actor: Actor, run_id: str, inputs: dict[str, str],
           seen: str | None = None) -> RunResult:
    """Give the inputs a paused run asks for and drive it on to its next pause or end.

    ``seen``: the captcha image the person read (its file name), when their page showed one
    (``runner.app.tickets.check_seen`` refuses an answer read off an image no longer asked
    about)."""
    store = host.store
    require(actor, Permission.ANSWER)
    run = _run(store, run_id)
    if task_kind(run) is None:
        by = answered_by(store, run_id)
        raise InputError(f"ticket {run.ticket} (run {run_id}) waits for no answer now "
                         f"({run.status}){': ' + by if by else ''}", ErrorCode.NOT_A_PERSON_TASK)
    _not_held_by_another(store, actor, run_id)
    return _drive(host, actor, run_id, dict(inputs), seen)  # recorded by tickets.resume


def retry(host: RunHost, actor: Actor, run_id: str) -> RunResult:
    """Resume a failed or paused run without new inputs (after a person fixed the cause)."""
    require(actor, Permission.RETRY)
    _run(host.store, run_id)
    _not_held_by_another(host.store, actor, run_id)
    return _drive(host, actor, run_id, {})  # recorded by runner.app.tickets.resume


def abandon(host: RunHost, actor: Actor, run_id: str, reason: str) -> RunResult:
    require(actor, Permission.ABANDON)
    if not reason.strip():
        raise InputError("say why the run is abandoned (reason)", ErrorCode.MISSING_REASON)
    _not_held_by_another(host.store, actor, run_id)
    result = host.abandon_run(run_id, reason, actor)  # recorded by runner.app.runs.abandon
    host.store.task_claims.release(run_id)
    return result


def _drive(host: RunHost, actor: Actor, run_id: str, inputs: dict[str, Any],
           seen: str | None = None) -> RunResult:
    result = host.resume_run(run_id, inputs, actor, seen).result(
        timeout=DRIVE_TIMEOUT.total_seconds())
    run = host.store.get_run(run_id)
    if run is not None and task_kind(run) is None:
        host.store.task_claims.release(run_id)  # done with: nobody holds what is not a task
    return result
