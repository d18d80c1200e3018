"""What the checks of a flow share while they go through its steps in order.

The checks are split by concern (a step's action and fields, references, the money rules,
branches and endings), but whether a reference resolves depends on where the walk stands: which
steps came before and what they output. Keeping that in one object lets each concern be plain
functions, and lets every issue be reported in the file its step was written in (a part, or
the flow), whichever concern finds it.
"""

from __future__ import annotations

from collections.abc import Mapping

from runner.actions import ActionSpec
from runner.language.model import Step
from runner.language.parse import Parsed
from runner.language.yaml_lines import Issue


class Walk:
    """One semantic check of a Parsed flow, in step order, appending to its issues."""

    def __init__(self, parsed: Parsed, actions: Mapping[str, ActionSpec]) -> None:
        self.flow = parsed.flow
        self.issues = parsed.issues
        self.ids = parsed.ids
        self.actions = actions
        self.outputs: dict[str, tuple[str, ...] | None] = {}  # step id -> fields (None: any)
        self.gate = self.flow.gate()
        self.complete = parsed.step_count == len(self.flow.steps)
        self.by_id = {step.id: step for step in self.flow.steps}
        self.by_index = {step.index: step for step in self.flow.steps}
        self.current: Step | None = None  # the step whose issues are being found

    def add(self, line: int, where: str, message: str) -> None:
        origin = self.current.origin if self.current else None
        file, via = origin.locate(where) if origin else (self.flow.path, "")
        self.issues.append(Issue(file, line, where, message, via))
