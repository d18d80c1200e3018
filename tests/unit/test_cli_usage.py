"""Usage and validation errors through the real CLI: JSON with a stable code and exit 2,
before any browser or sandbox starts."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests import contract

ROOT = Path(__file__).resolve().parents[2]


def run_cli(*args: str, cwd: Path, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    """One CLI process; under --json its stdout is checked against the output schema."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("CERTRUNNER_")}
    done = subprocess.run([sys.executable, str(ROOT / "run.py"), *args], cwd=cwd,
                          env={**clean, **(env or {})}, capture_output=True, text=True,
                          timeout=60)
    if "--json" in args:
        contract.parse(args, done.stdout)
    return done.returncode, done.stdout, done.stderr


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
    assert not (tmp_path / "var").exists()  # nothing started, nothing stored


def test_unknown_flow_and_unknown_input(tmp_path: Path) -> None:
    code, out, _ = run_cli("run", "cancel_refnd", "--ticket", "T-3", "--domain", "d.example",
                           "--json", cwd=tmp_path)
    assert code == 2 and json.loads(out)["error"]["code"] == "unknown_flow"
    code, out, _ = run_cli("run", "refund_check", "--ticket", "T-3", "--domain", "d.example",
                           "--input", "imagenumber=1", "--json", cwd=tmp_path)
    assert code == 2 and json.loads(out)["error"]["code"] == "unknown_input"


def test_every_shipped_flow_validates(tmp_path: Path) -> None:
    for flow in sorted((ROOT / "runner" / "flows").glob("*.yaml")):
        code, out, err = run_cli("flows", "validate", str(flow), "--json", cwd=tmp_path)
        assert code == 0, err
        assert json.loads(out)["valid"] is True
