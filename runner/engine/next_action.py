"""What the caller does next, as typed data: ``next_action`` in every result.

A next action carries what to run next as data (``Command``: the verb, the run, the inputs to
give, the flow, ticket and domain), never as a shell string: each door renders it in its own
form (the CLI as an argv list, ``runner.cli.argv``), so a value such as a ticket
``T-1; touch /tmp/x #`` stays one argument and is never interpolated by a shell.

The sentences (``summary``) are written in ``runner.engine.texts``; this module only holds the
shapes and their JSON form, which runs are stored in and callers read.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any, ClassVar

from runner.error_codes import NextType


class Verb(enum.StrEnum):
    """The command a next action asks for."""

    RUN = "run"        # start a flow for the ticket
    RESUME = "resume"  # continue this run (with inputs, if any)
    STATUS = "status"  # ask for the run's status again


@dataclass(frozen=True)
class Command:
    """A command to run next. An input value written ``<LIKE THIS>`` is a placeholder the caller
    replaces (the captcha answer, a corrected domain); every other value is used as it is."""

    verb: Verb
    run_id: str | None = None
    flow: str | None = None
    ticket: str | None = None
    domain: str | None = None
    inputs: Mapping[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"verb": str(self.verb), "run_id": self.run_id, "flow": self.flow,
                "ticket": self.ticket, "domain": self.domain, "inputs": dict(self.inputs)}

    @classmethod
    def from_dict(cls, data: Any) -> Command | None:
        """None for anything that is not a stored command (e.g. a run saved by an older runner,
        whose command was a shell string)."""
        if not isinstance(data, Mapping) or data.get("verb") not in set(Verb):
            return None
        return cls(Verb(data["verb"]), data.get("run_id"), data.get("flow"), data.get("ticket"),
                   data.get("domain"), dict(data.get("inputs") or {}))


def is_placeholder(value: str) -> bool:
    return value.startswith("<") and value.endswith(">")


@dataclass(frozen=True, kw_only=True)
class NextAction:
    """The fields every next action has; subclasses add what their type needs."""

    types: ClassVar[tuple[NextType, ...]] = tuple(NextType)  # the types this class stands for
    type: NextType
    summary: str
    command: Command | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, Command | NextAction):
                value = value.to_dict()
            elif isinstance(value, enum.Enum):
                value = value.value
            out[_JSON_NAMES.get(f.name, f.name)] = value
        return out

    @staticmethod
    def from_dict(data: Mapping[str, Any]) -> NextAction | None:
        """A stored next action as its typed object; None for a shape no type fits.

        Keys an older runner stored and this one does not know are dropped; one that lacks a
        field keeps its type and summary.
        """
        known = {t.value: t for t in NextType}
        kind = known.get(data.get("type", ""))
        if kind is None:
            return None
        cls = next((c for c in _SUBCLASSES if kind in c.types), NextAction)
        names = {f.name for f in fields(cls)}
        given = {_PY_NAMES.get(k, k): v for k, v in data.items()}
        values = {k: v for k, v in given.items() if k in names}
        values.update(type=kind, summary=str(data.get("summary", "")),
                      command=Command.from_dict(data.get("command")))
        if isinstance(values.get("previous"), Mapping):
            values["previous"] = NextAction.from_dict(values["previous"])
        try:
            return cls(**values)
        except TypeError:
            return NextAction(type=kind, summary=values["summary"], command=values["command"])


@dataclass(frozen=True, kw_only=True)
class ProvideInput(NextAction):
    """A person must give an input (the captcha answer), then resume."""

    types: ClassVar[tuple[NextType, ...]] = (NextType.PROVIDE_INPUT,)
    input: str
    prompt: str
    artifact: str | None = None
    expires_at: str | None = None  # the answer is refused after this (the captcha's lifetime)
    previous_answer: str | None = None  # rejected | expired: what became of the last answer
    tries_left: int | None = None  # answers the console may still reject before a person checks


@dataclass(frozen=True, kw_only=True)
class Wait(NextAction):
    """Someone else must act (the customer cancels): check again at ``next_check_at``."""

    types: ClassVar[tuple[NextType, ...]] = (NextType.WAIT,)
    waiting_for: str
    next_check_at: str
    deadline: str
    other_run: str | None = None  # the run doing this side effect on this order right now


@dataclass(frozen=True, kw_only=True)
class ConfirmSideEffect(NextAction):
    """An interrupted side effect the console does not show: a person checks and says."""

    types: ClassVar[tuple[NextType, ...]] = (NextType.CONFIRM_SIDE_EFFECT,)
    input: str
    action: str
    order: str
    attempted_at: str
    console_showed: Mapping[str, Any] | None = None


@dataclass(frozen=True, kw_only=True)
class OfferCancelOnly(NextAction):
    types: ClassVar[tuple[NextType, ...]] = (NextType.OFFER_CANCEL_ONLY,)
    flow: str


@dataclass(frozen=True, kw_only=True)
class OtherInputs(NextAction):
    """A second trigger of a ticket with other inputs: nothing started; what the run needs."""

    types: ClassVar[tuple[NextType, ...]] = (NextType.EXISTING_RUN_OTHER_INPUTS,)
    previous: NextAction | None = None


@dataclass(frozen=True, kw_only=True)
class WouldDo(NextAction):
    types: ClassVar[tuple[NextType, ...]] = (NextType.WOULD_DO,)
    step: str
    action: str
    with_: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class WouldAsk(NextAction):
    types: ClassVar[tuple[NextType, ...]] = (NextType.WOULD_ASK,)
    step: str
    input: str


@dataclass(frozen=True, kw_only=True)
class RetryLater(NextAction):
    """A console failed: ``resume --due`` tries again at ``retry_after`` (retry_later), or, after
    ``failures`` of ``attempts`` in a row, nobody does until a maintainer looks
    (alert_console_down, ``retry_after`` null)."""

    types: ClassVar[tuple[NextType, ...]] = (NextType.RETRY_LATER, NextType.ALERT_CONSOLE_DOWN)
    retry_after: str | None = None
    failures: int = 1
    attempts: int = 1


_SUBCLASSES: tuple[type[NextAction], ...] = (ProvideInput, Wait, ConfirmSideEffect,
                                             OfferCancelOnly, OtherInputs, WouldDo, WouldAsk,
                                             RetryLater)
_JSON_NAMES = {"with_": "with"}
_PY_NAMES = {v: k for k, v in _JSON_NAMES.items()}
