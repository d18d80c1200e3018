"""The output contract, checked on every JSON document the CLI prints in the tests.

The tests' CLI helpers call ``check`` on what they parse, so a test that reads a run's JSON also
proves the JSON matches the published schema (``certrunner schema``, docs/contract.md) without
a line of its own. The sandbox's commands and the selector check's report are their own formats.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import cache
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match

from runner.app.contract import output_schema

CONTRACT_COMMANDS = ("run", "resume", "status", "runs", "flows", "enqueue")
VALUE_OPTIONS = ("--config", "--log-level")


@cache
def validator(door: str = "cli") -> Draft202012Validator:
    schema = output_schema(door)
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def command_of(args: Sequence[str]) -> str | None:
    """The command name in a CLI argument list, past any global options."""
    skip = False
    for arg in args:
        if skip:
            skip = False
        elif arg in VALUE_OPTIONS:
            skip = True
        elif not arg.startswith("-"):
            return arg
    return None


def check(args: Sequence[str], data: Any) -> Any:
    """Fail the test when a contract command printed JSON that the schema refuses."""
    if data is not None and command_of(args) in CONTRACT_COMMANDS:
        check_document(f"`{' '.join(args)}`", data)
    return data


def check_document(source: str, data: Any, door: str = "cli") -> Any:
    """Fail the test when ``data`` (what ``source`` answered at ``door``) is not a contract
    document as that door writes it."""
    error = best_match(validator(door).iter_errors(data))
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "(top)"
        raise AssertionError(f"{source} broke the output contract at {where}: "
                             f"{error.message}\n{json.dumps(data, indent=2)[:2000]}")
    return data


def parse(args: Sequence[str], stdout: str) -> Any:
    """stdout must be exactly one JSON document; it is then checked against the schema."""
    return check(args, json.loads(stdout))
