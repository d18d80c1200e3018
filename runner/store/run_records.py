"""What the run store hands back: a run, one of its events, and whether a create made the run.

Plain data, read from a row of ``runs`` or ``events`` (``run_of``, ``event_of``); the store
(``runner.store.runs``) is the only writer.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

from runner.store.db import at, dt, loads


class RunStatus(enum.StrEnum):
    QUEUED = "queued"  # enqueued for the workers; none has taken it yet (since ``queued_at``)
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    DENIED = "denied"
    WAITING = "waiting"
    NEEDS_INPUT = "needs_input"
    FAILED = "failed"
    ABANDONED = "abandoned"  # a person gave up on it (``abandon_run``); never resumed


@dataclass
class Run:
    run_id: str
    ticket: str
    flow: str
    status: RunStatus
    created_at: datetime
    updated_at: datetime
    current_step: str | None = None  # where a resume starts
    context: dict[str, Any] = field(default_factory=dict)
    inputs: dict[str, Any] = field(default_factory=dict)
    outcome: str | None = None
    message: str | None = None
    next_action: dict[str, Any] | None = None
    error: dict[str, Any] | None = None
    next_check_at: datetime | None = None
    deadline: datetime | None = None
    lease_owner: str | None = None  # read-only here: change it with acquire/release_lease
    lease_expires_at: datetime | None = None
    queued_at: datetime | None = None  # when it was last handed to the queue


@dataclass(frozen=True)
class Event:
    run_id: str
    seq: int
    ts: datetime
    step: str | None  # None for events about the whole run (e.g. abandoned)
    kind: str
    status: str | None
    duration_ms: int | None
    data: dict[str, Any]


class Created(NamedTuple):
    run: Run
    created: bool  # False: the ticket already had a run for this flow, and this is it



def run_of(row: Mapping[str, Any]) -> Run:
    return Run(
        run_id=row["run_id"], ticket=row["ticket"], flow=row["flow"],
        status=RunStatus(row["status"]), created_at=at(row["created_at"]),
        updated_at=at(row["updated_at"]),
        current_step=row["current_step"], context=loads(row["context"]) or {},
        inputs=loads(row["inputs"]) or {}, outcome=row["outcome"], message=row["message"],
        next_action=loads(row["next_action"]), error=loads(row["error"]),
        next_check_at=dt(row["next_check_at"]), deadline=dt(row["deadline"]),
        lease_owner=row["lease_owner"], lease_expires_at=dt(row["lease_expires_at"]),
        queued_at=dt(row["queued_at"]))


def event_of(row: Mapping[str, Any]) -> Event:
    return Event(row["run_id"], row["seq"], at(row["ts"]), row["step"],
                 row["kind"], row["status"], row["duration_ms"], loads(row["data"]) or {})
