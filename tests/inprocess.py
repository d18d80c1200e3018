"""The CLI in the test process: ``runner.cli.main.main(argv)`` with the environment, working
folder, streams and exit code a `python run.py` process would have, on a Chromium the caller
lends (the worker's one, ``tests.e2e.cli.InProcessCli``) or none.

A command as a process pays for Python's imports, its own Playwright driver and its own
Chromium (about 4.6 CPU s under the suite's load); most end-to-end tests are about what the
engine answers, not about the process, and call the command here instead. The tests whose
subject is the process (SIGKILL, races between processes, stdout with stderr merged, the
terminal line, services and workers) start real processes.

Each call is made to look like a process of its own: the environment is exactly the one given
(what the process would get), the working folder the one given, stdin empty, stdout
and stderr captured apart, and the process-wide state a command sets (the umask, the log
settings and structlog's configuration, the tracer decided from the environment, metrics off)
is put back as it was afterwards, so nothing of one command reaches the next or the test.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
import traceback
from collections.abc import Iterator
from pathlib import Path

import structlog
from playwright.sync_api import Browser

from runner import logs
from runner.cli.main import main
from runner.observability import hooks, tracing

ROOT = Path(__file__).resolve().parents[1]


def invoke(argv: list[str], env: dict[str, str], cwd: Path,
           browser: Browser | None = None) -> tuple[int, str, str]:
    """``main(argv)`` as a process would run it: (exit code, stdout, stderr)."""
    opened = set(browser.contexts) if browser is not None else set()
    with as_a_process(argv, env, cwd) as (out, err):
        try:
            main(argv, browser=browser)
            code = 0
        except SystemExit as exc:
            code = _exit_code(exc.code)
        except Exception:  # what the interpreter does with an uncaught exception
            traceback.print_exc()
            code = 1
        finally:
            if browser is not None:  # a process's contexts end with it
                for context in set(browser.contexts) - opened:
                    context.close()
    return code, out.getvalue(), err.getvalue()


def _exit_code(code: object) -> int:
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)  # sys.exit("message"): printed, exit 1
    return 1


@contextlib.contextmanager
def as_a_process(argv: list[str], env: dict[str, str],
                 cwd: Path) -> Iterator[tuple[io.StringIO, io.StringIO]]:
    """The process-wide state of a new `run.py` process for the time of one command."""
    saved_env = dict(os.environ)
    saved_cwd = os.getcwd()
    saved_umask = os.umask(0o077)  # read; a process inherits it, and the command narrows it
    os.umask(saved_umask)
    saved_streams = sys.stdin, sys.stdout, sys.stderr
    saved_argv = sys.argv
    saved_logs = logs._settings, logs._applied
    saved_structlog = structlog.get_config() if structlog.is_configured() else None
    saved_bound = structlog.contextvars.get_contextvars()
    saved_tracing = tracing._tracer, tracing._decided
    saved_metrics = hooks._metrics
    out, err = io.StringIO(), io.StringIO()
    try:
        os.environ.clear()
        os.environ.update(env)
        os.chdir(cwd)
        sys.stdin, sys.stdout, sys.stderr = io.StringIO(), out, err
        sys.argv = [str(ROOT / "run.py"), *argv]
        logs._settings = logs._applied = None
        structlog.reset_defaults()
        structlog.contextvars.clear_contextvars()
        tracing._tracer, tracing._decided = None, False
        hooks._metrics = None
        yield out, err
    finally:
        os.environ.clear()
        os.environ.update(saved_env)
        os.chdir(saved_cwd)
        os.umask(saved_umask)
        sys.stdin, sys.stdout, sys.stderr = saved_streams
        sys.argv = saved_argv
        logs._settings, logs._applied = saved_logs
        if saved_structlog is None:
            structlog.reset_defaults()
        else:
            structlog.configure(**saved_structlog)
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(**saved_bound)
        tracing._tracer, tracing._decided = saved_tracing
        hooks._metrics = saved_metrics
