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
from tests import children, contract
from tests.e2e.conftest import SandboxClient
from tests.e2e.once import exactly_once

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.install, pytest.mark.timeout(900)]


def _run(*argv: str | Path, **kwargs: object) -> subprocess.CompletedProcess[str]:
    done = children.run([str(a) for a in argv], 300, text=True, **kwargs)
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
    return venv / "bin"


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
    done = children.run([certrunner, *args], 300, cwd=elsewhere, env=env, text=True)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    result = contract.parse(args, done.stdout)
    assert (result["status"], result["outcome"]) == ("succeeded", "refunded")
    order = sandbox.order("pending.example")
    assert order["state"] == "refunded"
    exactly_once(sandbox, order["order_id"], access=False)
    assert not (elsewhere / "var").exists()  # nothing written relative to the current directory
