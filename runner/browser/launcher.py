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

import os
import shutil
import signal
import subprocess
import tempfile
import threading
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
SYSTEM_HEADLESS_SHELL = ("/usr/bin/chromium-headless-shell",)


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

    ``die_with_parent`` (Linux): the kernel kills the browser when the process that started it
    dies, even by SIGKILL, so a Celery worker that is killed leaves no Chromium behind. Start
    it from a thread that lives as long as the process (the kernel watches that thread).
    """

    def __init__(self, headless: bool = True, *, die_with_parent: bool = False) -> None:
        self._profile = tempfile.TemporaryDirectory(prefix="certrunner-chromium-")
        executable = chromium_executable(headless) or _bundled_executable()
        options = launch_options(headless)
        args = [executable, *options["args"], "--remote-debugging-port=0",
                f"--user-data-dir={self._profile.name}", "--hide-scrollbars", "--mute-audio"]
        if headless and not is_headless_shell(executable):
            args.append("--headless=new")
        self.process = subprocess.Popen([*args, "about:blank"], stdin=subprocess.DEVNULL,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                        text=True, start_new_session=True,
                                        preexec_fn=_die_with_parent if die_with_parent else None)
        self.ws_url = _devtools_url(self.process)

    @property
    def pid(self) -> int:
        return self.process.pid

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._profile.cleanup()


def _die_with_parent() -> None:
    """In the child before exec: ask for SIGKILL when the parent goes (prctl PR_SET_PDEATHSIG)."""
    import ctypes

    pr_set_pdeathsig = 1
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)


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
