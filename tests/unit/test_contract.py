"""The published contract agrees with the code: the schema is a valid draft 2020-12 schema, it
covers every field of the result, and docs/contract.md names every value the code can emit."""

from __future__ import annotations

import re
from dataclasses import fields
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from runner.app.contract import (
    KIND_MEANING,
    NEXT_ACTION_MEANING,
    STATUS_MEANING,
    STEP_STATUSES,
    output_schema,
    statuses,
)
from runner.engine.result import RunResult, StepReport
from runner.language.model import EndStep
from runner.language.validate import load_flow
from tests import contract

ROOT = Path(__file__).resolve().parents[2]

DOC = (ROOT / "docs" / "contract.md").read_text()
ERRORS_DOC = (ROOT / "docs" / "errors.md").read_text()


def documented(value: str) -> bool:
    return f"`{value}`" in DOC


def test_schema_is_valid() -> None:
    Draft202012Validator.check_schema(output_schema())  # the CLI prints it: tests/processes


def test_every_result_field_is_in_the_schema_and_the_docs() -> None:
    properties = output_schema()["$defs"]["run_result"]["properties"]
    for f in fields(RunResult):
        assert f.name in properties
        assert documented(f.name) or f.name == "message", f.name


def test_every_status_kind_and_next_action_has_a_meaning_and_a_doc_line() -> None:
    assert set(statuses()) == set(STATUS_MEANING)
    for value in [*statuses(), *KIND_MEANING, *NEXT_ACTION_MEANING, *STEP_STATUSES]:
        assert documented(value), value


def test_error_codes_are_the_published_ones_and_no_other() -> None:
    """The schema's codes are the ones docs/errors.md publishes (read from the doc, not from the
    enum the schema is built from), and the schema refuses a code outside them."""
    code = output_schema()["$defs"]["error"]["properties"]["code"]
    in_schema = [c["const"] for c in code["oneOf"]]
    table = ERRORS_DOC.split("## error.code", 1)[1]
    published = re.findall(r"^\| `([a-z_]+)` \|", table, re.M)
    assert len(published) > 20 and sorted(in_schema) == sorted(published)
    assert "errors.md" in DOC
    schema = {"$defs": output_schema()["$defs"], "$ref": "#/$defs/error"}
    error = {"kind": "input", "code": "domain_not_found", "message": "m", "step": "order"}
    Draft202012Validator(schema).validate(error)
    assert not Draft202012Validator(schema).is_valid({**error, "code": "no_such_code"})


def test_every_outcome_of_the_shipped_flows_is_documented() -> None:
    for path in sorted((ROOT / "flows").glob("*.yaml")):
        for step in load_flow(path).steps:
            if isinstance(step, EndStep):
                assert documented(step.outcome), (path.name, step.outcome)


@pytest.mark.parametrize("status", ["succeeded", "waiting", "abandoned"])
def test_results_validate_and_bad_ones_do_not(status: str) -> None:
    result = RunResult("run-1", "T-1", "cancel_refund", status,
                       steps=[StepReport("order", "done", 12)], artifacts=["/tmp/a.png"])
    contract.check(("run",), result.to_dict())
    with pytest.raises(AssertionError, match="broke the output contract"):
        contract.check(("run",), {**result.to_dict(), "status": "lost"})
    with pytest.raises(AssertionError, match="broke the output contract"):
        contract.check(("run",), {**result.to_dict(), "artifacts": ["relative/a.png"]})
