"""Usage and validation errors through the real CLI: JSON with a stable code and exit 2,
before any browser or sandbox starts."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from runner.app.contract import output_schema
from tests.processes.cli import ROOT, run_cli


def test_missing_option_is_json_with_json(tmp_path: Path) -> None:
    code, out, _ = run_cli("run", "cancel_refund", "--ticket", "T-1", "--json", cwd=tmp_path)
    assert code == 2
    assert json.loads(out)["error"] == {"kind": "input", "code": "usage_error",
                                        "message": "Missing option '--domain'."}


def test_invalid_flow_names_file_line_and_field(tmp_path: Path) -> None:
    flow = tmp_path / "bad.yaml"
    flow.write_text("name: bad\nsteps:\n  - id: a\n    action: pm.refnd\n"
                    "    with: {order_id: x}\n    key: x\n  - id: b\n    end: done\n")
    code, out, _ = run_cli("run", str(flow), "--ticket", "T-2", "--domain", "d.example",
                           "--json", cwd=tmp_path)
    assert code == 2
    error = json.loads(out)["error"]
    assert error["code"] == "flow_invalid"
    assert error["issues"] == [f"{flow}:4: steps[0].action: unknown action 'pm.refnd' "
                               "(did you mean 'pm.refund'?)"]
    assert not (tmp_path / "home").exists()  # nothing started, nothing stored


def test_unknown_flow_and_unknown_input(tmp_path: Path) -> None:
    code, out, _ = run_cli("run", "cancel_refnd", "--ticket", "T-3", "--domain", "d.example",
                           "--json", cwd=tmp_path)
    assert code == 2 and json.loads(out)["error"]["code"] == "unknown_flow"
    code, out, _ = run_cli("run", "refund_check", "--ticket", "T-3", "--domain", "d.example",
                           "--input", "imagenumber=1", "--json", cwd=tmp_path)
    assert code == 2 and json.loads(out)["error"]["code"] == "unknown_input"


def test_every_shipped_flow_validates(tmp_path: Path) -> None:
    for flow in sorted((ROOT / "flows").glob("*.yaml")):
        code, out, err = run_cli("flows", "validate", str(flow), "--json", cwd=tmp_path)
        assert code == 0, err
        assert json.loads(out)["valid"] is True


def test_misspelt_on_error_code_is_refused_before_anything_runs(tmp_path: Path) -> None:
    """The typo is in a part: the issue names the part's line and the flow's step using it."""
    shutil.copytree(ROOT / "flows", tmp_path / "flows")
    part = tmp_path / "flows" / "parts" / "customer_cancels.yaml"
    shipped = part.read_text()
    part.write_text(shipped.replace("{captcha_incorrect: captcha,", "{captcha_incorect: captcha,"))
    flow = tmp_path / "flows" / "cancel_refund.yaml"
    code, out, _ = run_cli("flows", "validate", str(flow), "--json", cwd=tmp_path)
    assert code == 2
    error = json.loads(out)["error"]
    line = shipped.splitlines().index(
        "    on_error: {captcha_incorrect: captcha, captcha_expired: captcha}") + 1
    used = flow.read_text().splitlines().index("      - use: customer_cancels") + 1
    assert error["issues"] == [
        f"{part}:{line}: steps[2].on_error: captcha_incorect: unknown error code; "
        "geotrust.request_access never raises 'captcha_incorect' (did you mean "
        "'captcha_incorrect'?) (it raises: browser_error, captcha_expired, captcha_incorrect, "
        "console_server_error, console_timeout, console_unreachable, geotrust_no_match, "
        f"geotrust_refused, locator_ambiguous, locator_missing, page_drift) (used at "
        f"{flow}:{used})"]
    assert "customer_message" not in json.loads(out)  # no ticket, no customer


def test_the_schema_command_prints_the_output_schema(tmp_path: Path) -> None:
    code, out, _ = run_cli("schema", cwd=tmp_path)
    assert code == 0 and json.loads(out) == output_schema()


def test_operators_add_and_list_as_processes(tmp_path: Path) -> None:
    """The operators commands as processes of their own (the console's tests make theirs in the
    test process): the token is printed once, and the list never shows it."""
    code, out, err = run_cli("operators", "add", "ada", "--role", "admin", "--json", "--as",
                             "setup", cwd=tmp_path)
    assert code == 0, err
    token = json.loads(out)["token"]
    assert len(token) >= 16
    code, out, err = run_cli("operators", "list", "--json", cwd=tmp_path)
    assert code == 0, err
    assert [(r["name"], r["role"]) for r in json.loads(out)] == [("ada", "admin")]
    assert token not in out
