"""Each step against the action catalogue and the declared error codes and inputs.

Parsing knows a step's shape but not what its action accepts, raises or may do, nor which error
codes exist; a misspelt action, input or code would otherwise be found by a browser halfway
through a ticket. Here every step is also sent through the other concerns its kind has (its
references, the money rules), in the order its issues have always been reported.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from runner.actions import ActionSpec, Actor
from runner.error_codes import Kind, codes_of, lookup
from runner.errors import ErrorCode
from runner.language import money_rules, unless_done
from runner.language.model import (
    ActionStep,
    AskStep,
    EndStatus,
    EndStep,
    GateStep,
    Step,
    WaitStep,
)
from runner.language.parse import did_you_mean
from runner.language.references import expression, on_this_path, outputs_of, template
from runner.language.walk import Walk


def check_step(walk: Walk, step: Step) -> None:
    """Every issue of ``step``, reported into ``walk`` (whose current step it is)."""
    if step.own_when is not None:
        expression(walk, step, "when", step.own_when)
    unless_done.check(step, walk.flow, walk.ids, walk.actions, walk.add)
    match step:
        case ActionStep():
            spec = action(walk, step, step.action, "action")
            with_inputs(walk, step, spec, step.with_, step.with_lines)
            if step.key is not None:
                template(walk, step, "key", step.key)
            on_error(walk, step, spec)
            money_rules.side_effect(walk, step, spec)
        case WaitStep():
            spec = action(walk, step, step.action, "wait")
            with_inputs(walk, step, spec, step.with_, step.with_lines)
            money_rules.polled_action(walk, step, spec)
            if step.waiting_for is not None:
                template(walk, step, "waiting_for", step.waiting_for)
            if step.message is not None:
                template(walk, step, "message", step.message)
            walk.outputs[step.id] = outputs_of(walk, step)  # until: may read its own outputs
            expression(walk, step, "until", step.until)
            if step.timeout_code is not None:
                timeout_code(walk, step, step.timeout_code)
        case GateStep():
            money_rules.gate_step(walk, step)
            template(walk, step, "purchased_at", step.purchased_at)
        case AskStep():
            ask(walk, step)
        case EndStep():
            if step.message is not None:
                template(walk, step, "message", step.message)
            if step.detail is not None:
                template(walk, step, "detail", step.detail)
            if step.status is EndStatus.FAILED:
                failed_end(walk, step)


def action(walk: Walk, step: Step, name: str, key: str) -> ActionSpec | None:
    spec = walk.actions.get(name)
    if spec is None:
        walk.add(*step.where(key),
                 f"unknown action {name!r}{did_you_mean(name, walk.actions)}")
    elif spec.actor is Actor.CUSTOMER:
        walk.add(*step.where(key),
                 f"{name} is the customer's own action (actor: customer), kept for the demo "
                 "and tests; a flow runs as support and may only ask the customer to do it "
                 "(e.g. wait for the result with a read-only support action)")
    return spec


def with_inputs(walk: Walk, step: Step, spec: ActionSpec | None, given: Mapping[str, Any],
                lines: Mapping[str, int]) -> None:
    for key, value in given.items():
        where = f"with.{key}"
        line = lines.get(key, step.lines.get("with", step.line))
        if spec is not None and key not in spec.inputs + spec.optional_inputs:
            accepted = ", ".join(spec.inputs + spec.optional_inputs) or "no inputs"
            hint = did_you_mean(key, spec.inputs + spec.optional_inputs)
            walk.add(line, step.where(where)[1],
                     f"unknown input {key!r} for {spec.name}{hint} (accepts: {accepted})")
        for text in _strings(value):
            template(walk, step, where, text, line=line)
    if spec is not None:
        for name in spec.inputs:
            if name not in given:
                walk.add(step.lines.get("with", step.lines.get(step.kind.value, step.line)),
                         step.where("with")[1], f"missing input {name!r} for {spec.name}")


def on_error(walk: Walk, step: ActionStep, spec: ActionSpec | None) -> None:
    raises = sorted(str(code) for code in spec.raises) if spec else []
    for code, target in step.on_error.items():
        where = step.where("on_error")
        if spec is not None and code not in raises:
            known = "" if lookup(code) else "unknown error code; "
            hint = did_you_mean(code, raises) or (
                "" if lookup(code) else did_you_mean(code, ErrorCode))
            walk.add(*where, f"{code}: {known}{spec.name} never raises {code!r}{hint} "
                     f"(it raises: {', '.join(raises) or 'nothing'})")
        if target not in walk.ids:
            walk.add(*where, f"{code}: unknown step {target!r}{did_you_mean(target, walk.ids)}")
        elif walk.ids[target][0] > step.index:
            walk.add(*where, f"{code}: {target!r} comes later; on_error may only go back, "
                     "so no step (the gate above all) is ever jumped over")
        else:
            on_this_path(walk, step, where, target, f"{code}: ")


def timeout_code(walk: Walk, step: WaitStep, code: str) -> None:
    business = [str(c) for c in codes_of(Kind.BUSINESS)]
    if code not in business:
        walk.add(*step.where("timeout_code"),
                 f"{code!r} is not a declared business error code"
                 f"{did_you_mean(code, business)} (declared: {', '.join(business)})")


def ask(walk: Walk, step: AskStep) -> None:
    if step.input not in walk.flow.inputs:
        declared = ", ".join(walk.flow.inputs) or "none"
        walk.add(*step.where("ask"), f"asks for undeclared input {step.input!r}"
                 f"{did_you_mean(step.input, walk.flow.inputs)}; declare it under inputs "
                 f"with required: false (declared: {declared})")
    template(walk, step, "prompt", step.prompt)
    if step.artifact is not None:
        template(walk, step, "artifact", step.artifact)
    if step.renew is not None:
        if step.renew not in walk.ids:
            walk.add(*step.where("renew"), f"unknown step {step.renew!r}"
                     f"{did_you_mean(step.renew, walk.ids)}")
        elif walk.ids[step.renew][0] >= step.index:
            walk.add(*step.where("renew"), f"{step.renew!r} must come before this step: "
                     "renew goes back to the step that shows a new challenge")
        else:
            on_this_path(walk, step, step.where("renew"), step.renew, "")


def failed_end(walk: Walk, step: EndStep) -> None:
    """A flow's own failure is a business stop with a declared code callers branch on."""
    code = lookup(step.outcome)
    if code is None or code.kind is not Kind.BUSINESS:
        business = [str(c) for c in codes_of(Kind.BUSINESS)]
        walk.add(*step.where("end"), f"an end with status: failed needs a business error "
                 f"code declared in runner/error_codes.py as its outcome, not "
                 f"{step.outcome!r}{did_you_mean(step.outcome, business)}")


def _strings(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)
