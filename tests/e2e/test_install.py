"""`pip install .` gives a working `certrunner`: the wheel is built from this checkout, installed
into a fresh virtualenv, and run from a directory that is not the checkout, so nothing can come
from the source tree by accident (flows, config, templates and the sandbox must be in the
wheel). The dependencies are borrowed from the test's own environment rather than downloaded.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from sandbox.server import SandboxServer
from tests import contract
from tests.e2e.conftest import SandboxClient

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.install


def _run(*argv: str | Path, **kwargs: object) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([str(a) for a in argv], capture_output=True, text=True, timeout=300,
                          check=False, **kwargs)  # type: ignore[call-overload]
    assert done.returncode == 0, f"{argv}: {done.stdout[-2000:]}{done.stderr[-2000:]}"
    return done


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A virtualenv with the built wheel installed; returns its bin directory."""
    work = tmp_path_factory.mktemp("install")
    source = work / "source"  # a copy: building must not leave build/ in the checkout
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        ".venv", ".git", "var", "build", "*.egg-info", "__pycache__", "tests", "test-results",
        ".*_cache"))
    _run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", work / "dist", source)
    (wheel,) = (work / "dist").glob("certrunner-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert not [n for n in names if n.split("/")[0] in ("run.py", "tests", "bench")]
    venv = work / "venv"
    _run(sys.executable, "-m", "venv", "--without-pip", venv)
    site = Path(_run(venv / "bin" / "python", "-c",
                     "import sysconfig; print(sysconfig.get_paths()['purelib'])").stdout.strip())
    # The test environment's packages (Playwright, Flask, ...) without installing them again.
    (site / "borrowed-deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    _run(sys.executable, "-m", "pip", "--python", venv / "bin" / "python", "install",
         "--no-deps", "--no-index", "-q", wheel)
    # With CERTRUNNER_TEST_CORE_ONLY=1 the extras' packages cannot be imported: the core install.
    (site / "core_only.py").write_text(CORE_ONLY)
    (site / "core-only.pth").write_text("import core_only\n")
    return venv / "bin"


CORE_ONLY = """
import os, sys
EXTRAS = ("flask", "PIL", "fastapi", "uvicorn", "mcp", "celery", "kombu", "psycopg",
          "prometheus_client", "opentelemetry")

class _Absent:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in EXTRAS:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None

if os.environ.get("CERTRUNNER_TEST_CORE_ONLY"):
    sys.meta_path.insert(0, _Absent())
"""


def test_the_core_install_needs_no_extra(installed: Path, tmp_path: Path) -> None:
    """Without Flask, Pillow, FastAPI, uvicorn, mcp, Celery or psycopg: --help and flows
    validate work, and a command that needs an extra says which one to install."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("CERTRUNNER_", "SYMANTEC_", "PYTHON", "SANDBOX_"))}
    env.update(CERTRUNNER_TEST_CORE_ONLY="1", CERTRUNNER_HOME=str(tmp_path / "home"))
    certrunner = installed / "certrunner"
    blocked = subprocess.run([installed / "python", "-c", "import flask"], env=env,
                             capture_output=True, text=True, timeout=60)
    assert blocked.returncode != 0  # the blocker works: this is a core-only environment
    assert "enqueue" in _run(certrunner, "--help", cwd=tmp_path, env=env).stdout
    shipped = installed.parent / "lib"
    (flow,) = shipped.glob("python*/site-packages/runner/_shipped/flows/cancel_refund.yaml")
    valid = _run(certrunner, "flows", "validate", flow, "--json", cwd=tmp_path, env=env)
    assert '"valid": true' in valid.stdout
    served = subprocess.run([certrunner, "serve", "--port", "0"], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=120)
    assert served.returncode == 2 and "certrunner[service]" in served.stdout + served.stderr
    args = ("run", "cancel_refund", "--ticket", "T-1", "--domain", "pending.example", "--json")
    ran = subprocess.run([certrunner, *args], cwd=tmp_path, env=env, capture_output=True,
                         text=True, timeout=120)
    assert ran.returncode == 2, ran.stdout + ran.stderr
    assert contract.parse(args, ran.stdout)["error"]["code"] == "extra_missing"


def test_installed_command_works_from_anywhere(installed: Path, tmp_path: Path,
                                               sandbox: SandboxClient,
                                               sandbox_server: SandboxServer) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("CERTRUNNER_", "SYMANTEC_", "PYTHON"))}
    env.update(SANDBOX_URL=sandbox.url, SANDBOX_DB=str(sandbox_server.db_path),
               CERTRUNNER_HOME=str(tmp_path / "home"),
               CERTRUNNER_STORE=str(tmp_path / "home" / "runs.db"),
               CERTRUNNER_ARTIFACTS=str(tmp_path / "home" / "artifacts"))
    certrunner = installed / "certrunner"

    where = _run(installed / "python", "-c", "import runner; print(runner.__file__)",
                 cwd=elsewhere, env=env).stdout
    assert str(installed.parent) in where and str(ROOT) not in where
    assert _run(certrunner, "--version", cwd=elsewhere, env=env).stdout.startswith("certrunner ")

    args = ("flows", "list", "--json")
    flows = contract.parse(args, _run(certrunner, *args, cwd=elsewhere, env=env).stdout)
    assert {f["name"] for f in flows} >= {"cancel_refund", "cancel_only", "refund_check"}

    args = ("run", "cancel_refund", "--ticket", "T-1", "--domain", "pending.example", "--json")
    done = subprocess.run([certrunner, *args], cwd=elsewhere, env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    result = contract.parse(args, done.stdout)
    assert (result["status"], result["outcome"]) == ("succeeded", "refunded")
    order = sandbox.order("pending.example")
    assert order["state"] == "refunded" and len(sandbox.refunds(order["order_id"])) == 1
    assert not (elsewhere / "var").exists()  # nothing written relative to the current directory
