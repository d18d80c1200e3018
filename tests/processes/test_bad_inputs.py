"""The bad-input catalogue: every way a caller or a broken world can hand the CLI something bad
ends in a clear error, never a traceback.

Each case runs the CLI's ``main(argv)`` the way a `run.py` process would (its own environment,
working folder and streams: ``tests.inprocess``), and checks the exit code (2 for bad input, 1
with kind ``drift``/``console`` for a broken or locked store), that stdout is one JSON document
with a stable error code, and that stderr holds no traceback. The answer is the subject, not the
process; only the cases where a server must refuse to start (``sandbox serve``) run `run.py` as
a process of its own, so that a server that did start would be a failed test, not a hung one.
No browser starts: every case fails before one would.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from runner.store.runs import RunStore
from tests import children
from tests.inprocess import invoke

ROOT = Path(__file__).resolve().parents[2]
RUN = ("run", "cancel_refund", "--ticket", "T-1", "--domain", "shop.example", "--json")
STATUS = ("status", "T-1", "--json")


@dataclass(frozen=True)
class Case:
    """One bad input: how to make it, what the CLI must answer."""

    name: str
    args: tuple[str, ...]
    code: str | None  # the stable error code; None for commands without JSON output
    exit: int = 2
    kind: str = "input"
    env: dict[str, str] = field(default_factory=dict)  # "{dir}" is the case's folder
    files: dict[str, str | bytes] = field(default_factory=dict)  # relative to the case's folder
    folders: tuple[str, ...] = ()
    setup: Callable[[Path], None] | None = None
    process: bool = False  # run `run.py` as a process of its own (a server that must not start)


def _config(text: str) -> dict[str, str | bytes]:
    return {"bad.yaml": text}


def _random_store(folder: Path) -> None:
    (folder / "home").mkdir()
    (folder / "home" / "runs.db").write_bytes(bytes(range(256)) * 64)


def _truncated_store(folder: Path) -> None:
    (folder / "home").mkdir()
    path = folder / "home" / "runs.db"
    with RunStore(path) as store:
        for n in range(200):
            store.create_run(f"T-{n}", "cancel_refund", {"domain": "x.example" * 40})
    size = path.stat().st_size
    with open(path, "r+b") as handle:
        handle.truncate(size // 2)


def _foreign_store(folder: Path, sql: str) -> None:
    (folder / "home").mkdir()
    with sqlite3.connect(folder / "home" / "runs.db") as db:
        db.execute(sql)


DEEP_YAML = "name: deep\nsteps: " + "[" * 3000 + "]" * 3000 + "\n"
DEEP_EXPR = ("name: deep\ninputs: {domain: {required: true}}\nsteps:\n  - id: a\n    when: \""
             + "(" * 3000 + "true" + ")" * 3000 + "\"\n    end: done\n")
FLOW_ARGS = ("--ticket", "T-1", "--domain", "shop.example", "--json")

CASES = [
    # config files
    Case("config: a console given as a string", ("--config", "bad.yaml", *STATUS),
         "config_invalid", files=_config("consoles:\n  pm: http://pm.example\n")),
    Case("config: unknown key", ("--config", "bad.yaml", *STATUS), "config_invalid",
         files=_config("browser: {timeout: 1}\n")),
    Case("config: misspelt top-level key", ("--config", "bad.yaml", *STATUS), "config_invalid",
         files=_config("refund_windw_days: 30\n")),
    Case("config: refund_window_days: thirty", ("--config", "bad.yaml", *STATUS),
         "config_invalid", files=_config("refund_window_days: thirty\n")),
    Case("config: refund_window_days: 1e12", ("--config", "bad.yaml", *STATUS),
         "config_invalid", files=_config("refund_window_days: 1e12\n")),
    Case("config: refund_window_days: 1.0e+12", ("--config", "bad.yaml", *STATUS),
         "config_invalid", files=_config("refund_window_days: 1.0e+12\n")),
    Case("config: refund_window_days: -3", ("--config", "bad.yaml", *STATUS),
         "config_invalid", files=_config("refund_window_days: -3\n")),
    Case("config: timeout_ms: '10s'", ("--config", "bad.yaml", *STATUS), "config_invalid",
         files=_config("browser: {timeout_ms: '10s'}\n")),
    Case("config: timeout_ms: true", ("--config", "bad.yaml", *STATUS), "config_invalid",
         files=_config("browser: {timeout_ms: true}\n")),
    Case("config: unknown environment", ("--config", "bad.yaml", *STATUS), "config_invalid",
         files=_config("environment: staging\n")),
    Case("config: a list at the top", ("--config", "bad.yaml", *STATUS), "config_invalid",
         files=_config("- environment: sandbox\n")),
    Case("config: malformed YAML", ("--config", "bad.yaml", *STATUS), "config_invalid",
         files=_config("consoles: [\n")),
    Case("config: a password in YAML", ("--config", "bad.yaml", *STATUS),
         "config_secret_in_yaml",
         files=_config("consoles:\n  symantec: {base_url: 'https://s', password: x}\n")),
    Case("config: production pointing at the sandbox", ("--config", "bad.yaml", *STATUS),
         "config_invalid",
         files=_config("environment: production\nconsoles:\n  pm: {base_url: 'sandbox:/pm'}\n")),
    Case("config: a relative home", ("--config", "bad.yaml", *STATUS), "config_invalid",
         files=_config("home: state\n")),
    Case("config: missing file", ("--config", "nope.yaml", *STATUS), "config_not_found"),
    Case("config: a folder", ("--config", "adir", *STATUS), "config_unreadable",
         folders=("adir",)),
    Case("config: /dev/zero", ("--config", "/dev/zero", *STATUS), "config_unreadable"),
    Case("config: not UTF-8", ("--config", "bad.yaml", *STATUS), "config_unreadable",
         files={"bad.yaml": b"environment: \xff\xfe\n"}),
    # environment
    Case("CERTRUNNER_NOW=+99999999999d", RUN, "clock_override_invalid",
         env={"CERTRUNNER_NOW": "+99999999999d"}),
    Case("CERTRUNNER_NOW=yesterday", RUN, "clock_override_invalid",
         env={"CERTRUNNER_NOW": "yesterday"}),
    Case("CERTRUNNER_NOW=9999-12-31T00:00:00+00:00", RUN, "clock_override_invalid",
         env={"CERTRUNNER_NOW": "9999-12-31T00:00:00+00:00"}),
    Case("CERTRUNNER_HOME relative", STATUS, "home_invalid", env={"CERTRUNNER_HOME": "state"}),
    Case("--log-level bogus", ("--log-level", "bogus", *STATUS), "usage_error"),
    # stores
    Case("store path is a folder", STATUS, "store_unreachable", env={"CERTRUNNER_STORE": "adir"},
         folders=("home/adir",)),
    Case("store under a file", STATUS, "state_path_invalid",
         env={"CERTRUNNER_STORE": "afile/runs.db"}, files={"home/afile": "x"}),
    Case("store folder not writable", STATUS, "state_path_invalid",
         env={"CERTRUNNER_STORE": "/proc/certrunner/runs.db"}),
    Case("runs database of random bytes", STATUS, "store_corrupt", exit=1, kind="drift",
         setup=_random_store),
    Case("runs database truncated", STATUS, "store_corrupt", exit=1, kind="drift",
         setup=_truncated_store),
    Case("runs database of the wrong shape", STATUS, "store_corrupt", exit=1, kind="drift",
         setup=lambda f: _foreign_store(f, "CREATE TABLE runs (id INTEGER, name TEXT)")),
    Case("another program's database", STATUS, "store_corrupt", exit=1, kind="drift",
         setup=lambda f: _foreign_store(f, "CREATE TABLE invoices (id INTEGER)")),
    Case("sandbox database path is a folder", RUN, "sandbox_db_invalid",
         env={"SANDBOX_DB": "{dir}/adir"}, folders=("adir",)),
    # flows
    Case("flow with 3,000 nested brackets", ("run", "deep.yaml", *FLOW_ARGS), "yaml_too_deep",
         files={"deep.yaml": DEEP_YAML}),
    Case("flow with a 3,000-deep expression", ("run", "deep.yaml", *FLOW_ARGS), "flow_invalid",
         files={"deep.yaml": DEEP_EXPR}),
    Case("run /dev/zero", ("run", "/dev/zero", *FLOW_ARGS), "flow_unreadable"),
    Case("run a folder", ("run", "adir", *FLOW_ARGS), "flow_unreadable", folders=("adir",)),
    Case("flow larger than a megabyte", ("run", "big.yaml", *FLOW_ARGS), "flow_unreadable",
         files={"big.yaml": "# " + "x" * 1_100_000 + "\n"}),
    Case("flow not UTF-8", ("run", "bin.yaml", *FLOW_ARGS), "flow_unreadable",
         files={"bin.yaml": b"name: \xff\n"}),
    # caller text
    Case("ticket with a newline", ("run", "cancel_refund", "--ticket", "T-1\nstatus: succeeded",
                                   "--domain", "shop.example", "--json"), "control_characters"),
    Case("ticket with an escape", ("run", "cancel_refund", "--ticket", "T-1\x1b[2K",
                                   "--domain", "shop.example", "--json"), "control_characters"),
    Case("domain with a bidi override", ("run", "cancel_refund", "--ticket", "T-1", "--domain",
                                         "shop\u202eelpmaxe.", "--json"), "control_characters"),
    Case("input with a NUL", (*RUN, "--input", "image_number=1\x01"), "control_characters"),
    Case("status of a ticket with a newline", ("status", "T-1\nx", "--json"),
         "control_characters"),
    Case("empty ticket", ("run", "cancel_refund", "--ticket", " ", "--domain", "shop.example",
                          "--json"), "missing_ticket"),
    # sandbox (no JSON output: exit code and no traceback)
    Case("sandbox serve --port 99999", ("sandbox", "serve", "--port", "99999"), None,
         process=True),
    Case("sandbox serve --host 0.0.0.0", ("sandbox", "serve", "--host", "0.0.0.0"), None,
         process=True),
    Case("sandbox add-order --db a folder", ("sandbox", "add-order", "--db", "adir", "--domain",
                                             "x.example", "--purchased-at", "2026-01-01",
                                             "--state", "issued"), None, folders=("adir",)),
    Case("sandbox faults show, SANDBOX_DB under a file", ("sandbox", "faults", "show"), None,
         env={"SANDBOX_DB": "{dir}/afile/sandbox.db"}, files={"afile": "x"}),
]


def _environment(folder: Path, extra: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("CERTRUNNER_", "SANDBOX_", "SYMANTEC_"))}
    env["CERTRUNNER_HOME"] = str(folder / "home")
    env.update({key: value.format(dir=folder) for key, value in extra.items()})
    return env


def run_cli(folder: Path, args: tuple[str, ...], env: dict[str, str],
            process: bool = False) -> tuple[int, str, str]:
    """The command's exit code, stdout and stderr: ``main(argv)`` in this process as a process
    would run it, or with ``process`` `run.py` as a process of its own."""
    if not process:
        return invoke(list(args), env, folder)
    started = children.start([sys.executable, str(ROOT / "run.py"), *args], cwd=folder,
                             env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    stdout, stderr = children.communicate(started, 120)
    return started.returncode, stdout, stderr


def check_answer(ran: tuple[int, str, str], case: Case) -> None:
    code, stdout, stderr = ran
    assert "Traceback" not in stderr, stderr
    assert code == case.exit, (stdout, stderr)
    if case.code is None:
        assert stderr.strip(), "a refusal says why"
        return
    answer = json.loads(stdout)  # exactly one JSON document, nothing else on stdout
    assert answer["status"] == "failed"
    assert (answer["error"]["kind"], answer["error"]["code"]) == (case.kind, case.code), answer


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_input_is_a_clear_error(case: Case, tmp_path: Path) -> None:
    for folder in case.folders:
        (tmp_path / folder).mkdir(parents=True)
    for name, content in case.files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            (tmp_path / name).write_bytes(content)
        else:
            (tmp_path / name).write_text(content)
    if case.setup:
        case.setup(tmp_path)
    before = {p: p.read_bytes() for p in tmp_path.rglob("runs.db")}
    check_answer(run_cli(tmp_path, case.args, _environment(tmp_path, case.env), case.process),
                 case)
    assert {p: p.read_bytes() for p in before} == before  # a bad store is never overwritten
    assert not (tmp_path / "var").exists()


def test_a_store_locked_for_longer_than_the_busy_timeout(tmp_path: Path) -> None:
    """Another process holds the write lock past 10 s: exit 1, kind console, retry later."""
    home = tmp_path / "home"
    home.mkdir()
    RunStore(home / "runs.db").close()
    holder = children.start(
        [sys.executable, "-c", "import sqlite3, sys\n"
         f"db = sqlite3.connect({str(home / 'runs.db')!r}, isolation_level=None)\n"
         "db.execute('BEGIN EXCLUSIVE'); print('locked', flush=True); sys.stdin.read()"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        case = Case("locked", STATUS, "store_locked", exit=1, kind="console")
        check_answer(run_cli(tmp_path, STATUS, _environment(tmp_path, {})), case)
    finally:
        children.communicate(holder, 30, stdin="")
