"""What a flow is, once read: frozen steps of five kinds, each remembering its source lines.

Reading a YAML document into these is ``runner.language.parse``'s job (shape: fields, types,
durations, step ids); whether actions exist and references resolve is
``runner.language.validate``'s, because that needs the action catalogue.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, ClassVar


class StepKind(enum.StrEnum):
    ACTION = "action"
    GATE = "gate"
    ASK = "ask"
    WAIT = "wait"
    END = "end"


class EndStatus(enum.StrEnum):
    """How an ``end`` step finishes the run (the run's status)."""

    SUCCEEDED = "succeeded"
    DENIED = "denied"
    FAILED = "failed"


class OnExpired(enum.StrEnum):
    """What the gate does when the refund window has closed."""

    DENY = "deny"  # end the run: denied, outcome refund_window_expired, the policy message
    CONTINUE = "continue"  # record the decision and go on (cancel-only flows branch on it)


REFUND_WINDOW_GATE = "refund_window"
EXPIRED_OUTCOME = "refund_window_expired"
GATE_OUTPUTS = ("eligible", "purchased_at", "window_ends_at", "window_ends_on", "days_left",
                "message", "enforced")
ASK_OUTPUTS = ("value",)
INPUTS = "inputs"  # the reserved root name for the run's inputs in expressions


@dataclass(frozen=True)
class InputDecl:
    name: str
    required: bool
    description: str
    line: int


@dataclass(frozen=True)
class Origin:
    """Where a step was written: its file and field path there, and ``via``, the chain of
    ``use:`` steps (or the end step) that brought it into this flow, for messages that must
    name both places. ``fields`` moves single fields elsewhere: an end's message comes from
    its named outcome's file (field root -> (file, field path, via))."""

    file: str
    where: str
    via: str = ""
    fields: Mapping[str, tuple[str, str, str]] = field(default_factory=dict)

    def locate(self, where: str) -> tuple[str, str]:
        """The (file, via) of a message about ``where`` (a field path of this step)."""
        for file, path, via in self.fields.values():
            if where == path or where.startswith(path + "."):
                return file, via
        return self.file, self.via


@dataclass(frozen=True)
class Arm:
    """One enclosing ``if:`` of a step: which block (``number``, in order of the flow), which
    side (``then`` or ``else``), its condition and where the ``if:`` is written."""

    number: int
    side: str
    condition: str
    file: str
    line: int

    def test(self) -> str:
        """The condition as it holds on this side."""
        return self.condition if self.side == "then" else f"not ({self.condition})"


def combined_when(arms: tuple[Arm, ...], own: str | None) -> str | None:
    """The one condition the executor evaluates: every enclosing branch's and the step's own."""
    parts = [arm.test() for arm in arms] + ([own] if own else [])
    if len(parts) <= 1:
        return parts[0] if parts else None
    return " and ".join(f"({part})" for part in parts)


@dataclass(frozen=True, kw_only=True)
class Step:
    """Fields every step has; ``lines`` maps each field name to its source line.

    ``when`` is the condition the executor evaluates: the step's own (``own_when``) and those
    of the ``if:`` blocks around it (``arms``), lowered so that the executor runs a flat list.
    """

    kind: ClassVar[StepKind]
    id: str
    index: int
    line: int
    when: str | None = None
    unless_done: str | None = None  # a later side-effect step; skip this one once it is done
    description: str = ""
    lines: Mapping[str, int] = field(default_factory=dict, compare=False)
    own_when: str | None = None
    arms: tuple[Arm, ...] = ()
    origin: Origin | None = field(default=None, compare=False)

    def where(self, name: str | None = None) -> tuple[int, str]:
        """The (line, field path) for a message about this step or one of its fields."""
        moved = self.origin.fields.get((name or "").split(".")[0]) if self.origin else None
        if moved is not None and name:
            path = moved[1] + name[len(name.split(".")[0]):]
        else:
            base = self.origin.where if self.origin else f"steps[{self.index}]"
            path = base + (f".{name}" if name else "")
        return self.lines.get((name or "").split(".")[0], self.line), path

    @property
    def file(self) -> str | None:
        return self.origin.file if self.origin else None

    def sees(self, other: Step) -> bool:
        """Whether ``other`` ran on every path to this step, as far as ``if:`` blocks go: it
        stands in this step's block or in a block around it."""
        mine = [(a.number, a.side) for a in self.arms]
        return [(a.number, a.side) for a in other.arms] == mine[:len(other.arms)]


@dataclass(frozen=True, kw_only=True)
class ActionStep(Step):
    """``key`` names what a side effect changes (the ledger's order key, a template);
    ``on_error`` maps an error code to an earlier step to go back to (a wrong captcha)."""

    kind: ClassVar[StepKind] = StepKind.ACTION
    action: str
    with_: Mapping[str, Any] = field(default_factory=dict)
    with_lines: Mapping[str, int] = field(default_factory=dict, compare=False)
    key: str | None = None
    on_error: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class GateStep(Step):
    kind: ClassVar[StepKind] = StepKind.GATE
    gate: str
    purchased_at: str
    on_expired: OnExpired = OnExpired.DENY


@dataclass(frozen=True, kw_only=True)
class AskStep(Step):
    """``renew`` is an earlier step that shows a new challenge (reads a new captcha): the run
    goes back to it when the answer expired (``expires_in`` after the question), was lost in an
    interruption, or was rejected. After ``tries`` rejected answers the run stops asking and a
    person checks the order."""

    kind: ClassVar[StepKind] = StepKind.ASK
    input: str
    prompt: str
    artifact: str | None = None
    expires_in: timedelta | None = None
    renew: str | None = None
    tries: int | None = None


@dataclass(frozen=True, kw_only=True)
class WaitStep(Step):
    """``timeout_code`` is the error code when the deadline passes; ``waiting_for`` (a template)
    tells the caller what the run is waiting for, ``message`` (a template) the customer."""

    kind: ClassVar[StepKind] = StepKind.WAIT
    action: str
    until: str
    every: timedelta
    deadline: timedelta
    with_: Mapping[str, Any] = field(default_factory=dict)
    with_lines: Mapping[str, int] = field(default_factory=dict, compare=False)
    timeout_code: str | None = None
    waiting_for: str | None = None
    message: str | None = None


@dataclass(frozen=True, kw_only=True)
class EndStep(Step):
    """``message`` is for the customer; ``detail`` (a failed end only) is the internal
    ``error.message``: what a person checks, which the customer must not read."""

    kind: ClassVar[StepKind] = StepKind.END
    outcome: str
    status: EndStatus = EndStatus.SUCCEEDED
    message: str | None = None
    detail: str | None = None


@dataclass(frozen=True)
class StepNode:
    """A step in the flow's tree: ``index`` in the flat list (present even if it was too
    broken to build)."""

    index: int
    file: str
    line: int
    where: str


@dataclass(frozen=True)
class UseNode:
    """A ``use:`` of a part, with the part's own tree."""

    part: str
    file: str
    line: int
    where: str
    body: tuple[Node, ...]


@dataclass(frozen=True)
class BranchNode:
    """An ``if:`` block; ``otherwise`` is its ``else:`` (None without one)."""

    arm: Arm
    where: str
    then: tuple[Node, ...]
    otherwise: tuple[Node, ...] | None

    @property
    def file(self) -> str:
        return self.arm.file

    @property
    def line(self) -> int:
        return self.arm.line


Node = StepNode | UseNode | BranchNode


@dataclass(frozen=True)
class Flow:
    """``steps`` is the flat list the executor runs; ``tree`` the flow as written (parts and
    branches), for the validator's path rules and for showing the flow."""

    name: str
    description: str
    inputs: Mapping[str, InputDecl]
    steps: tuple[Step, ...]
    path: str
    tree: tuple[Node, ...] = ()

    def step(self, step_id: str) -> Step:
        for step in self.steps:
            if step.id == step_id:
                return step
        raise KeyError(step_id)

    def gate(self) -> GateStep | None:
        return next((s for s in self.steps if isinstance(s, GateStep)), None)

    def required_inputs(self) -> list[str]:
        return [name for name, decl in self.inputs.items() if decl.required]

