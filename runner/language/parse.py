"""Reading a flow document into ``runner.language.model``'s steps, checking shape only.

Shape is fields, types, durations and step ids; whether actions exist and references resolve
is ``runner.language.validate``'s job, because that needs the action catalogue. Both report into
the same list of issues, so an author sees every problem in one pass.
"""

from __future__ import annotations

import difflib
import enum
import keyword
import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from runner.language import model
from runner.language.durations import parse_duration
from runner.language.model import (
    INPUTS,
    REFUND_WINDOW_GATE,
    Arm,
    EndStatus,
    Flow,
    InputDecl,
    OnExpired,
    Origin,
    Step,
    StepKind,
    combined_when,
)
from runner.language.yaml_lines import Issue, LineDict, LineList, line_of

_NAME = re.compile(r"[a-z][a-z0-9_]*\Z")
NAME = _NAME  # names of steps, inputs, parts and outcomes

_COMMON_KEYS = ("id", "when", "unless_done", "description")
STEP_KEYS: dict[StepKind, tuple[str, ...]] = {
    StepKind.ACTION: ("action", "with", "key", "on_error"),
    StepKind.GATE: ("gate", "purchased_at", "on_expired"),
    StepKind.ASK: ("ask", "prompt", "artifact", "expires_in", "renew", "tries"),
    StepKind.WAIT: ("wait", "with", "until", "every", "deadline", "timeout_code", "waiting_for",
                     "message"),
    StepKind.END: ("end", "status", "message", "detail"),
}
_FLOW_KEYS = ("name", "description", "inputs", "outcomes", "steps")
_INPUT_KEYS = ("required", "description")


def _join(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def did_you_mean(word: str, candidates: Any) -> str:
    """A ' (did you mean 'x'?)' suffix when a close candidate exists, else ''."""
    close = difflib.get_close_matches(str(word), [str(c) for c in candidates], n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


@dataclass
class Parsed:
    """A flow as far as its shape allows, the issues found, and every step id that was readable.

    ``ids`` includes steps too broken to build, so one bad step does not cascade into
    "unknown step" errors at every place that uses it.
    """

    flow: Flow
    issues: list[Issue]
    ids: dict[str, tuple[int, int]]  # step id -> (index, line)
    step_count: int  # steps in the file, built or not


@dataclass
class Sources:
    """What lowering parts and branches left beside the flat steps (``runner.language.compose``):
    each step's origin and enclosing branches, and the file each input was declared in."""

    origins: list[Origin]
    arms: list[tuple[Arm, ...]]
    input_files: dict[str, str]


class _Reader:
    """Reads one document, appending an Issue for every problem instead of stopping."""

    def __init__(self, path: str, sources: Sources | None = None) -> None:
        self.path = path
        self.sources = sources
        self.current: Origin | None = None  # where the step being read was written
        self.issues: list[Issue] = []
        self.ids: dict[str, tuple[int, int]] = {}
        self.id_files: dict[str, str] = {}
        self.step_count = 0

    def add(self, line: int, where: str, message: str) -> None:
        file, via = self.current.locate(where) if self.current else (self.path, "")
        self.issues.append(Issue(file, line, where, message, via))

    def text(self, raw: LineDict, key: str, where: str, *, required: bool) -> str | None:
        value = raw.get(key)
        if value is None:
            if required:
                self.add(raw.line, _join(where, key), "required, but missing")
            return None
        if not isinstance(value, str) or not value.strip():
            self.add(raw.line_of(key), _join(where, key), f"must be text, got {value!r}")
            return None
        return str(value)

    def unknown_keys(self, raw: LineDict, allowed: tuple[str, ...], where: str) -> None:
        for key in raw:
            if key not in allowed:
                hint = did_you_mean(key, allowed) or f" (allowed: {', '.join(allowed)})"
                self.add(raw.line_of(key), _join(where, key), f"unknown field {key!r}{hint}")

    def flow(self, doc: Any) -> Flow:
        if not isinstance(doc, LineDict):
            self.add(line_of(doc, 1), "", "a flow must be a mapping with name and steps")
            return Flow("", "", {}, (), self.path)
        self.unknown_keys(doc, _FLOW_KEYS, "")
        name = self.text(doc, "name", "", required=True) or ""
        if name and not _NAME.match(name):
            self.add(doc.line_of("name"), "name", f"{name!r} must be lower_snake_case")
        description = self.text(doc, "description", "", required=False) or ""
        inputs = self.inputs(doc.get("inputs"), doc.line_of("inputs"))
        steps = self.steps(doc.get("steps"), doc.line_of("steps"))
        return Flow(name, description, inputs, steps, self.path)

    def inputs(self, raw: Any, line: int) -> dict[str, InputDecl]:
        if raw is None:
            return {}
        if not isinstance(raw, LineDict):
            self.add(line, "inputs", "must be a mapping of input name to {required, description}")
            return {}
        found: dict[str, InputDecl] = {}
        files = self.sources.input_files if self.sources else {}
        for name, spec in raw.items():
            where, key_line = f"inputs.{name}", raw.line_of(name)
            self.current = Origin(files.get(str(name), self.path), "")
            if not isinstance(name, str) or not _NAME.match(name):
                self.add(key_line, where, f"input name {name!r} must be lower_snake_case")
                continue
            spec = spec if spec is not None else LineDict()
            if not isinstance(spec, LineDict):
                self.add(key_line, where, "must be a mapping {required: true|false, description}")
                continue
            self.unknown_keys(spec, _INPUT_KEYS, where)
            required = spec.get("required", False)
            if not isinstance(required, bool):
                self.add(spec.line_of("required"), f"{where}.required", "must be true or false")
            description = spec.get("description", "")
            found[name] = InputDecl(name, required is True, str(description or ""), key_line)
        self.current = None
        return found

    def steps(self, raw: Any, line: int) -> tuple[Step, ...]:
        if raw is None:
            self.add(line, "steps", "required, but missing")
            return ()
        if not isinstance(raw, LineList) or not raw:
            self.add(line, "steps", "must be a non-empty list of steps")
            return ()
        self.step_count = len(raw)
        built = []
        for index, item in enumerate(raw):
            origin = self.sources.origins[index] if self.sources else None
            self.current = origin
            arms = self.sources.arms[index] if self.sources else ()
            built.append(self.step(item, index, raw.line_of(index), origin, arms))
        self.current = None
        return tuple(step for step in built if step is not None)

    def step_id(self, raw: LineDict, where: str) -> str | None:
        step_id = self.text(raw, "id", where, required=True)
        if step_id is None:
            return None
        if not _NAME.match(step_id) or keyword.iskeyword(step_id) or step_id == INPUTS:
            self.add(raw.line_of("id"), f"{where}.id",
                     f"step id {step_id!r} must be lower_snake_case, not a keyword or 'inputs'")
            return None
        if step_id in self.ids:
            first, file = self.ids[step_id][1], self.id_files[step_id]
            here = self.current.file if self.current else self.path
            place = f"line {first}" if file == here else f"{file}:{first}"
            self.add(raw.line_of("id"), f"{where}.id",
                     f"duplicate step id {step_id!r} (first on {place})")
            return None
        return step_id

    def step_kind(self, raw: LineDict, where: str) -> StepKind | None:
        kinds = [kind for kind in StepKind if kind.value in raw]
        if len(kinds) == 1:
            return kinds[0]
        names = ", ".join(k.value for k in StepKind)
        if not kinds:
            known = {k for keys in STEP_KEYS.values() for k in keys} | set(_COMMON_KEYS)
            hints = [did_you_mean(k, list(StepKind)) for k in raw if k not in known]
            hint = next((h for h in hints if h), "")
            self.add(raw.line, where, f"step has no kind: give exactly one of {names}{hint} "
                     "(or use: a part, if: a branch)")
        else:
            both = " and ".join(k.value for k in kinds)
            self.add(raw.line_of(kinds[1].value), where,
                     f"step has more than one kind ({both}): give exactly one of {names}")
        return None

    def step(self, raw: Any, index: int, line: int, origin: Origin | None = None,
             arms: tuple[Arm, ...] = ()) -> Step | None:
        where = origin.where if origin else f"steps[{index}]"
        if not isinstance(raw, LineDict):
            self.add(line, where, "a step must be a mapping with an id and a kind")
            return None
        step_id = self.step_id(raw, where)
        if step_id is not None:
            self.ids[step_id] = (index, raw.line)
            self.id_files[step_id] = origin.file if origin else self.path
        kind = self.step_kind(raw, where)
        if kind is None:
            return None
        self.unknown_keys(raw, _COMMON_KEYS + STEP_KEYS[kind], where)
        before = len(self.issues)
        own_when = self.text(raw, "when", where, required=False)
        common: dict[str, Any] = {
            "id": step_id or "", "index": index, "line": raw.line,
            "when": combined_when(arms, own_when), "own_when": own_when, "arms": arms,
            "origin": origin,
            "unless_done": self.text(raw, "unless_done", where, required=False),
            "description": self.text(raw, "description", where, required=False) or "",
            "lines": dict(raw.key_lines),
        }
        step = _BUILDERS[kind](self, raw, where, common)
        return step if step_id is not None and len(self.issues) == before else None

    def with_(self, raw: LineDict, where: str) -> tuple[dict[str, Any], dict[str, int]]:
        value = raw.get("with")
        if value is None:
            return {}, {}
        if not isinstance(value, LineDict):
            self.add(raw.line_of("with"), f"{where}.with", "must be a mapping of input: value")
            return {}, {}
        return dict(value), dict(value.key_lines)

    def duration(self, raw: LineDict, key: str, where: str) -> timedelta | None:
        if key not in raw:
            self.add(raw.line, _join(where, key), "required, but missing")
            return None
        try:
            return parse_duration(raw[key])
        except ValueError as exc:
            self.add(raw.line_of(key), f"{where}.{key}", str(exc))
            return None

    def choice(self, raw: LineDict, key: str, where: str, enum_type: type[enum.StrEnum],
               default: enum.StrEnum) -> Any:
        value = raw.get(key, default.value)
        try:
            return enum_type(value)
        except ValueError:
            allowed = ", ".join(m.value for m in enum_type)
            self.add(raw.line_of(key), f"{where}.{key}",
                     f"unknown {key} {value!r}{did_you_mean(value, [m.value for m in enum_type])}"
                     f" (use one of: {allowed})")
            return default


def _on_error(r: _Reader, raw: LineDict, where: str) -> dict[str, str]:
    value = raw.get("on_error")
    if value is None:
        return {}
    if not isinstance(value, LineDict) or not all(
            isinstance(k, str) and _NAME.match(k) and isinstance(v, str) for k, v in value.items()):
        r.add(raw.line_of("on_error"), f"{where}.on_error",
              "must map error codes to step ids, e.g. {captcha_incorrect: captcha}")
        return {}
    return {str(k): str(v) for k, v in value.items()}


def _action(r: _Reader, raw: LineDict, where: str, common: dict[str, Any]) -> Step | None:
    action = r.text(raw, "action", where, required=True)
    with_, with_lines = r.with_(raw, where)
    key = r.text(raw, "key", where, required=False)
    on_error = _on_error(r, raw, where)
    if action is None:
        return None
    return model.ActionStep(action=action, with_=with_, with_lines=with_lines, key=key,
                      on_error=on_error, **common)


def _gate(r: _Reader, raw: LineDict, where: str, common: dict[str, Any]) -> Step | None:
    gate = r.text(raw, "gate", where, required=True)
    if gate is not None and gate != REFUND_WINDOW_GATE:
        r.add(raw.line_of("gate"), f"{where}.gate",
              f"unknown gate {gate!r}: the only gate is {REFUND_WINDOW_GATE!r}")
    purchased_at = r.text(raw, "purchased_at", where, required=True)
    on_expired = r.choice(raw, "on_expired", where, OnExpired, OnExpired.DENY)
    if gate is None or purchased_at is None:
        return None
    return model.GateStep(gate=gate, purchased_at=purchased_at, on_expired=on_expired, **common)


def _ask(r: _Reader, raw: LineDict, where: str, common: dict[str, Any]) -> Step | None:
    name = r.text(raw, "ask", where, required=True)
    prompt = r.text(raw, "prompt", where, required=True)
    artifact = r.text(raw, "artifact", where, required=False)
    expires_in = r.duration(raw, "expires_in", where) if "expires_in" in raw else None
    renew = r.text(raw, "renew", where, required=False)
    tries = raw.get("tries")
    if tries is not None and (isinstance(tries, bool) or not isinstance(tries, int)
                              or tries < 1):
        r.add(raw.line_of("tries"), f"{where}.tries", f"must be a whole number >= 1, not "
              f"{tries!r}")
        tries = None
    if name is None or prompt is None:
        return None
    return model.AskStep(input=name, prompt=prompt, artifact=artifact, expires_in=expires_in,
                   renew=renew, tries=tries, **common)


def _wait(r: _Reader, raw: LineDict, where: str, common: dict[str, Any]) -> Step | None:
    action = r.text(raw, "wait", where, required=True)
    with_, with_lines = r.with_(raw, where)
    until = r.text(raw, "until", where, required=True)
    every = r.duration(raw, "every", where)
    deadline = r.duration(raw, "deadline", where)
    if every and deadline and every > deadline:
        r.add(raw.line_of("every"), f"{where}.every", "must not be longer than the deadline")
    timeout_code = r.text(raw, "timeout_code", where, required=False)
    if timeout_code is not None and not _NAME.match(timeout_code):
        r.add(raw.line_of("timeout_code"), f"{where}.timeout_code",
              f"error code {timeout_code!r} must be lower_snake_case")
    waiting_for = r.text(raw, "waiting_for", where, required=False)
    message = r.text(raw, "message", where, required=False)
    if action is None or until is None or every is None or deadline is None:
        return None
    return model.WaitStep(action=action, with_=with_, with_lines=with_lines, until=until,
                    every=every, deadline=deadline, timeout_code=timeout_code,
                    waiting_for=waiting_for, message=message, **common)


def _end(r: _Reader, raw: LineDict, where: str, common: dict[str, Any]) -> Step | None:
    outcome = r.text(raw, "end", where, required=True)
    if outcome is not None and not _NAME.match(outcome):
        r.add(raw.line_of("end"), f"{where}.end", f"outcome {outcome!r} must be lower_snake_case")
    status = r.choice(raw, "status", where, EndStatus, EndStatus.SUCCEEDED)
    message = r.text(raw, "message", where, required=False)
    detail = r.text(raw, "detail", where, required=False)
    if detail is not None and status is not EndStatus.FAILED:
        r.add(raw.line_of("detail"), f"{where}.detail", "only an end with status: failed has a "
              "detail (the internal error message)")
    if outcome is None:
        return None
    return model.EndStep(outcome=outcome, status=status, message=message, detail=detail, **common)


_BUILDERS = {
    StepKind.ACTION: _action,
    StepKind.GATE: _gate,
    StepKind.ASK: _ask,
    StepKind.WAIT: _wait,
    StepKind.END: _end,
}


def build(doc: Any, path: str, sources: Sources | None = None) -> Parsed:
    """Turn a loaded YAML document into a Flow, collecting every shape problem on the way."""
    reader = _Reader(path, sources)
    flow = reader.flow(doc)
    return Parsed(flow, reader.issues, reader.ids, reader.step_count)
