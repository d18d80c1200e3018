"""Check a flow against the action catalog before any browser starts.

Every problem is collected and reported together, each at ``file:line: field:``, so an author
fixes a flow in one edit instead of one run per typo. This is the one door to a checked flow
(callers import from here); the checks themselves are split by concern: a step's action and
fields (``step_checks``), references (``references``), the rules that protect money
(``money_rules``), and branches and endings (``branches``).
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from runner.actions import ActionSpec, Catalogue, load_catalogue
from runner.errors import ErrorCode, InputError
from runner.language import branches
from runner.language.compose import compose, parts_folder
from runner.language.model import Flow, StepNode
from runner.language.parse import Parsed, Sources, build, did_you_mean
from runner.language.references import outputs_of
from runner.language.step_checks import check_step
from runner.language.walk import Walk
from runner.language.yaml_lines import FlowError, Issue, loads, read_text


class FlowInvalid(FlowError):
    """A flow parsed but breaks the rules; ``issues`` lists every problem with its line."""

    def __init__(self, path: str, issues: list[Issue]) -> None:
        ordered = sorted(issues, key=lambda i: (i.file != path, i.file, i.line))
        count = f"{len(ordered)} problem" + ("s" if len(ordered) != 1 else "")
        lines = "\n".join(f"  {issue}" for issue in ordered)
        super().__init__(f"{path}: invalid flow, {count}:\n{lines}", ErrorCode.FLOW_INVALID,
                         ordered)


def default_actions() -> Mapping[str, ActionSpec]:
    """The catalogue of the default action modules, for callers that were handed none."""
    return load_catalogue()


def _check(parsed: Parsed, actions: Mapping[str, ActionSpec]) -> None:
    """Steps in flow order, so a reference sees only what ran before it; a branch's ``if:``
    just before its block's first step, whose outputs it cannot read yet."""
    walk = Walk(parsed, actions)
    conditions = branches.conditions_by_start(walk.flow.tree)
    for step in walk.flow.steps:
        for branch in conditions.get(step.index, []):
            branches.branch_condition(walk, branch, step)
        walk.current = step
        check_step(walk, step)
        walk.outputs[step.id] = outputs_of(walk, step)
    walk.current = None
    branches.check_ending(walk)


def validate_document(doc: Any, path: str, actions: Mapping[str, ActionSpec] | None = None,
                      parts: Path | None = None) -> Flow:
    """Lower parts and branches (``parts``: the folder of parts), build and check a loaded
    document; raise FlowInvalid listing every problem."""
    composed = compose(doc, path, parts)
    sources = Sources(composed.origins, composed.arms, composed.input_files) \
        if composed.doc is not doc else None
    parsed = build(composed.doc, path, sources)
    parsed.issues[:0] = composed.issues
    tree = composed.tree or tuple(StepNode(s.index, path, s.line, s.where()[1])
                                  for s in parsed.flow.steps)
    parsed.flow = dataclasses.replace(parsed.flow, tree=tree)
    _check(parsed, default_actions() if actions is None else actions)
    if parsed.issues:
        raise FlowInvalid(path, parsed.issues)
    return parsed.flow


def validate_text(text: str, path: str = "<string>", actions: Catalogue | None = None,
                  parts: Path | None = None) -> Flow:
    return validate_document(loads(text, path), path, actions, parts)


def load_flow(path: str | Path, actions: Mapping[str, ActionSpec] | None = None) -> Flow:
    """Read, parse and validate a flow file: the only way the executor should get a Flow.
    Checked once per path, text, parts and catalogue: a service loads a flow for every
    request, and parsing costs as much as a step. The texts are read every time (the parts
    by their size and time), so an edit is seen."""
    catalogue = default_actions() if actions is None else actions
    return _checked(str(path), read_text(path), _parts_stamp(parts_folder(path)),
                    tuple(catalogue.values()))


def _parts_stamp(folder: Path) -> tuple[tuple[str, int, int], ...]:
    if not folder.is_dir():
        return ()
    return tuple((p.name, p.stat().st_mtime_ns, p.stat().st_size)
                 for p in sorted(folder.glob("*.yaml")))


@functools.lru_cache(maxsize=32)
def _checked(path: str, text: str, stamp: tuple[tuple[str, int, int], ...],
             actions: tuple[ActionSpec, ...]) -> Flow:
    return validate_document(loads(text, path), path, {spec.name: spec for spec in actions},
                             parts_folder(path))


def check_inputs(flow: Flow, supplied: Mapping[str, Any]) -> dict[str, Any]:
    """Refuse a run whose inputs miss a required one or name one the flow does not declare.

    A misspelt ``--input`` would otherwise be ignored silently and the run would stall later.
    """
    for name in supplied:
        if name not in flow.inputs:
            raise InputError(
                f"flow {flow.name} has no input {name!r}{did_you_mean(name, flow.inputs)} "
                f"(inputs: {', '.join(flow.inputs) or 'none'})",
                code=ErrorCode.UNKNOWN_INPUT, input=name)
    for name in flow.required_inputs():
        value = supplied.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            description = flow.inputs[name].description
            raise InputError(f"flow {flow.name} needs input {name!r}"
                             + (f" ({description})" if description else ""),
                             code=ErrorCode.MISSING_INPUT, input=name)
    return dict(supplied)
