"""The inbox: every run that waits for a person, oldest first, and what that person decides.

Two kinds of run wait for a person. A ``needs_input`` run asks a question only a person can
answer (the captcha, or whether an interrupted side effect happened). A failed run whose next
action is a person's (check the order, a drifted page, a console down after every retry, the
runner's configuration, the ticket's data) stays failed until somebody looks; the scheduler
retries only ``retry_later`` failures by itself, so those are not here.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from runner.error_codes import NextType
from runner.store.run_records import Run, RunStatus
from runner.store.runs import RunStore
from runner.store.task_claims import TaskClaim

CLAIM_TTL = timedelta(minutes=15)


class TaskKind(enum.StrEnum):
    CAPTCHA = "captcha"  # read the image, type the number
    CONFIRM = "confirm"  # an interrupted side effect: did it happen?
    CHECK_ORDER = "check_order"  # the console rejected the answers too often
    REVIEW_ORDER = "review_order"  # the order failed a check: look, answer the customer
    DRIFT = "drift"  # a vendor page changed: the maintainers
    CONSOLE_DOWN = "console_down"  # failed on every automatic retry
    CONFIGURATION = "configuration"  # the runner's own set-up is wrong
    FIX_TICKET = "fix_ticket"  # the ticket's data is wrong
    INPUT = "input"  # any other question a flow asks


TITLES = {
    TaskKind.CAPTCHA: "Read the captcha", TaskKind.CONFIRM: "Confirm a side effect",
    TaskKind.CHECK_ORDER: "Check the order", TaskKind.REVIEW_ORDER: "Review the order",
    TaskKind.DRIFT: "A console page changed",
    TaskKind.CONSOLE_DOWN: "A console is down", TaskKind.CONFIGURATION: "Fix the configuration",
    TaskKind.FIX_TICKET: "Fix the ticket's data", TaskKind.INPUT: "Give an input",
}
# Every person's task a failure can have (runner.error_codes: NextType.person_task).
FAILED_FOR_A_PERSON = {
    NextType.CHECK_ORDER: TaskKind.CHECK_ORDER, NextType.REVIEW_ORDER: TaskKind.REVIEW_ORDER,
    NextType.ALERT_MAINTAINERS: TaskKind.DRIFT,
    NextType.ALERT_CONSOLE_DOWN: TaskKind.CONSOLE_DOWN,
    NextType.FIX_CONFIGURATION: TaskKind.CONFIGURATION, NextType.FIX_TICKET: TaskKind.FIX_TICKET,
}
# What the captcha's ask step names its input (flows/parts): anything else asked is an input.
CAPTCHA_INPUTS = ("image_number",)


@dataclass(frozen=True)
class Task:
    run: Run
    kind: TaskKind
    since: datetime  # when it started waiting (the run's last change)
    age: timedelta
    next_action: dict[str, Any]
    holder: TaskClaim | None = None
    fields: list[tuple[str, list[str]]] = field(default_factory=list)  # input, its choices

    @property
    def title(self) -> str:
        return TITLES[self.kind]

    @property
    def expires_at(self) -> str | None:
        value = self.next_action.get("expires_at")
        return str(value) if value else None


def task_kind(run: Run) -> TaskKind | None:
    """The person-task a run is, or None while it waits for nobody."""
    action = run.next_action or {}
    kind = action.get("type")
    if run.status == RunStatus.NEEDS_INPUT:
        if kind == NextType.CONFIRM_SIDE_EFFECT:
            return TaskKind.CONFIRM
        return TaskKind.CAPTCHA if action.get("input") in CAPTCHA_INPUTS else TaskKind.INPUT
    if run.status == RunStatus.FAILED and kind in FAILED_FOR_A_PERSON:
        return FAILED_FOR_A_PERSON[NextType(kind)]
    return None


def fields_of(next_action: dict[str, Any]) -> list[tuple[str, list[str]]]:
    """The inputs a resume takes, from the next action's command: ``<VALUE>`` is typed,
    ``<retry|done>`` is one of its choices."""
    inputs = (next_action.get("command") or {}).get("inputs") or {}
    out = []
    for name, value in inputs.items():
        text = str(value)
        if text.startswith("<") and text.endswith(">"):
            choices = text[1:-1].split("|")
            out.append((name, choices if len(choices) > 1 else []))
    return out


def task_of(store: RunStore, run: Run, now: datetime,
            holders: dict[str, TaskClaim] | None = None) -> Task | None:
    kind = task_kind(run)
    if kind is None:
        return None
    held = holders.get(run.run_id) if holders is not None else store.task_claims.holder(
        run.run_id)
    action = run.next_action or {}
    return Task(run, kind, run.updated_at, max(now - run.updated_at, timedelta()), action,
                held, fields_of(action))


def inbox(store: RunStore, now: datetime | None = None) -> list[Task]:
    """Every person-task, oldest first."""
    moment = now or store.clock.now()
    runs = [*store.list_runs(status=RunStatus.NEEDS_INPUT.value),
            *store.list_runs(status=RunStatus.FAILED.value)]
    holders = store.task_claims.holders(r.run_id for r in runs)
    tasks = [t for r in runs if (t := task_of(store, r, moment, holders)) is not None]
    return sorted(tasks, key=lambda t: t.since)
