"""The one place that launches Chromium and hands out per-run browser contexts.

Playwright's bundled Chromium is used when it is installed; otherwise Debian's (Playwright's own
download cannot reach its server from our machines). A headless run prefers Debian's
``chromium-headless-shell``, as Playwright's own headless mode does with its bundled shell: the
same Blink and V8 without the desktop browser around them, about a third of the CPU per run
(1.41 s against 4.04 s of browser CPU for a launch and ten contexts, ``bench/browser_cost.py``).
A headed run (``--headed``) needs the full ``/usr/bin/chromium``. Tests reuse
``launch_options()`` through pytest-playwright's ``browser_type_launch_args`` so there is
exactly one set of launch flags.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import IO, Any

from runner.errors import ConfigError, ErrorCode

FLAGS = [
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
SYSTEM_CHROMIUM = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
# The binary itself first: Debian's /usr/bin/chromium-headless-shell is a shell script that
# runs it as a child instead of exec'ing it, so signals meant for the browser (a stop, the
# kernel's when our process dies) would end only the script and leave the browser running.
SYSTEM_HEADLESS_SHELL = ("/usr/lib/chromium/chromium-headless-shell",
                         "/usr/bin/chromium-headless-shell")


def _bundled_chromium() -> bool:
    """Whether Playwright's own Chromium was ever downloaded here (found without starting it)."""
    root = Path(os.environ.get("PLAYWRIGHT_BROWSERS_PATH") or Path.home() / ".cache/ms-playwright")
    return any(root.glob("chromium-*/chrome-linux*/chrome"))


def chromium_executable(headless: bool = True) -> str | None:
    """None means Playwright's bundled browser; otherwise a path to a system Chromium (its
    headless shell when ``headless`` and installed)."""
    explicit = os.environ.get("CERTRUNNER_CHROMIUM")
    if explicit:
        return explicit
    if _bundled_chromium():
        return None
    for candidate in (SYSTEM_HEADLESS_SHELL if headless else ()) + SYSTEM_CHROMIUM:
        if Path(candidate).exists():
            return candidate
    found = shutil.which("chromium")
    if found:
        return found
    raise ConfigError(
        "no Chromium found: run `make setup` (installs Debian's chromium as root) or "
        "`apt-get install -y chromium`, or set CERTRUNNER_CHROMIUM to a Chromium binary",
        code=ErrorCode.CHROMIUM_MISSING)


def launch_options(headless: bool = True) -> dict[str, Any]:
    """Keyword arguments for ``chromium.launch`` that behave well on our machines."""
    args = list(FLAGS)
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        args.insert(0, "--no-sandbox")
    options: dict[str, Any] = {"headless": headless, "args": args}
    executable = chromium_executable(headless)
    if executable:
        options["executable_path"] = executable
    return options


def is_headless_shell(executable: str) -> bool:
    """The headless shell is headless by nature and knows no ``--headless=new``."""
    return Path(executable).name.startswith(("chromium-headless-shell", "chrome-headless-shell"))


DEVTOOLS_LINE = "DevTools listening on "


class SharedChromium:
    """One Chromium that several Playwright instances attach to over CDP (``certrunner serve``).

    Playwright's sync API belongs to the thread that started it, so N workers need N Playwright
    instances; launching a browser in each would cost N Chromiums. This starts one, with the
    same flags as ``launch_options``, on a DevTools port the OS picks, and every worker
    connects to ``ws_url``. It runs in its own session, so a signal to the service's process
    group (Ctrl-C) reaches the service, which stops it in order, and not the browser. Its
    profile is a throwaway directory: logins live in the state home, never in the profile.

    On Linux the kernel kills the browser when the process that started it dies, even by
    SIGKILL, so a killed service or Celery worker leaves no Chromium behind (a session of its
    own would otherwise outlive it, holding 100 MB and its CPU, until someone finds it).
    """

    def __init__(self, headless: bool = True) -> None:
        self._profile = tempfile.TemporaryDirectory(prefix="certrunner-chromium-")
        executable = chromium_executable(headless) or _bundled_executable()
        options = launch_options(headless)
        args = [executable, *options["args"], "--remote-debugging-port=0",
                f"--user-data-dir={self._profile.name}", "--hide-scrollbars", "--mute-audio"]
        if headless and not is_headless_shell(executable):
            args.append("--headless=new")
        self.process = _start_tied_to_this_process([*args, "about:blank"])
        self.ws_url = _devtools_url(self.process)

    @property
    def pid(self) -> int:
        return self.process.pid

    def stop(self) -> None:
        """Signal the browser's whole process group (it leads one): helpers it started, or a
        wrapper script's child, go with it."""
        if self.process.poll() is None:
            self._signal_group(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._signal_group(signal.SIGKILL)
                self.process.wait()
        self._signal_group(signal.SIGKILL)  # whatever of the group outlived its leader
        self._profile.cleanup()

    def kill(self) -> None:
        """At once, for a process about to exit without stopping in order."""
        self._signal_group(signal.SIGKILL)

    def _signal_group(self, sig: int) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, sig)


PR_SET_PDEATHSIG = 1


def _start_tied_to_this_process(args: list[str]) -> subprocess.Popen[str]:
    """Start the browser from a thread that lives exactly as long as it does.

    The kernel sends PR_SET_PDEATHSIG's signal when the *thread* that forked the child ends, not
    the process: a browser started from a short-lived thread (a web server's thread pool, a task
    thread) would be killed under a running step. So a thread of its own forks it and then
    waits, without reaping, for the browser to exit; it ends only with the browser or with the
    whole process, and in the second case the browser goes too.
    """
    prctl = _prctl()
    started: Future[subprocess.Popen[str]] = Future()

    def ask_to_die_with_parent() -> None:
        if prctl is not None:
            prctl(PR_SET_PDEATHSIG, signal.SIGKILL)

    def spawn_and_stay() -> None:
        try:
            process = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                       stderr=subprocess.PIPE, text=True, start_new_session=True,
                                       preexec_fn=ask_to_die_with_parent)
        except BaseException as exc:  # handed to the caller, raised there
            started.set_exception(exc)
            return
        started.set_result(process)
        if prctl is not None:
            with contextlib.suppress(ChildProcessError):
                os.waitid(os.P_PID, process.pid, os.WEXITED | os.WNOWAIT)

    threading.Thread(target=spawn_and_stay, daemon=True, name="chromium-parent").start()
    return started.result()


def _prctl() -> Callable[[int, int], int] | None:
    """libc's prctl, looked up before the fork (nothing is imported in the child); None where
    there is none (not Linux), and the browser is then stopped only by ``stop()``."""
    if not sys.platform.startswith("linux"):
        return None
    import ctypes

    function: Callable[[int, int], int] = ctypes.CDLL(None, use_errno=True).prctl
    return function


def _bundled_executable() -> str:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        return str(pw.chromium.executable_path)


def _devtools_url(process: subprocess.Popen[str]) -> str:
    """Read Chromium's stderr up to the DevTools line, then keep draining it in a thread (a
    full pipe would stall the browser)."""
    assert process.stderr is not None
    tail: list[str] = []
    for line in process.stderr:
        if line.startswith(DEVTOOLS_LINE):
            threading.Thread(target=_drain, args=(process.stderr,), daemon=True,
                             name="chromium-stderr").start()
            return line[len(DEVTOOLS_LINE):].strip()
        tail = (tail + [line.rstrip()])[-5:]
    raise ConfigError(f"Chromium exited before listening (code {process.wait()}): "
                      + " | ".join(tail), ErrorCode.CHROMIUM_FAILED)


def _drain(stream: IO[str]) -> None:
    for _line in stream:
        pass
