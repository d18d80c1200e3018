"""Under --json stdout is exactly one JSON document, even with stderr merged into it; logs go
to stderr at the level asked for, wherever the option sits."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.processes.cli import run_cli


@pytest.mark.parametrize(("args", "exit_code"), [
    (("--log-level", "debug", "runs", "list", "--json"), 0),
    (("runs", "list", "--json", "--log-level", "debug"), 0),
    (("run", "cancel_refund", "--ticket", "T-1", "--json", "--log-level", "debug"), 2),  # usage
    (("status", "T-404", "--json"), 2),  # unknown run: an input error
])
def test_merged_streams_parse_as_one_document(tmp_path: Path, args: tuple[str, ...],
                                              exit_code: int) -> None:
    # run_cli parses the merged stream: it raises unless the whole of it is one valid document
    code, _, _ = run_cli(*args, cwd=tmp_path, env={"CERTRUNNER_STORE": str(tmp_path / "r.db")},
                         merged=True)
    assert code == exit_code


def test_log_level_from_the_environment_and_bad_levels(tmp_path: Path) -> None:
    env = {"CERTRUNNER_STORE": str(tmp_path / "r.db"), "CERTRUNNER_LOG_LEVEL": "loud"}
    code, out, _ = run_cli("runs", "list", "--json", cwd=tmp_path, env=env, merged=True)
    assert code == 2
    assert "--log-level" in json.loads(out)["error"]["message"]
