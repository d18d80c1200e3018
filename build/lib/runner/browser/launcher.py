"""The one place that launches Chromium and hands out per-run browser contexts.

Playwright's bundled Chromium is used when it is installed; otherwise Debian's ``/usr/bin/chromium``
(Playwright's own download cannot reach its server from our machines). Tests reuse
``launch_options()`` through pytest-playwright's ``browser_type_launch_args`` so there is exactly
one set of launch flags.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

from runner.errors import ConfigError

FLAGS = [
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
SYSTEM_CHROMIUM = ("/usr/bin/chromium", "/usr/bin/chromium-browser")


def _bundled_chromium() -> bool:
    """Whether Playwright's own Chromium was ever downloaded here (found without starting it)."""
    root = Path(os.environ.get("PLAYWRIGHT_BROWSERS_PATH") or Path.home() / ".cache/ms-playwright")
    return any(root.glob("chromium-*/chrome-linux*/chrome"))


def chromium_executable() -> str | None:
    """None means Playwright's bundled browser; otherwise a path to a system Chromium."""
    explicit = os.environ.get("CERTRUNNER_CHROMIUM")
    if explicit:
        return explicit
    if _bundled_chromium():
        return None
    for candidate in SYSTEM_CHROMIUM:
        if Path(candidate).exists():
            return candidate
    found = shutil.which("chromium")
    if found:
        return found
    raise ConfigError(
        "no Chromium found: run `make setup` (installs Debian's chromium as root) or "
        "`apt-get install -y chromium`, or set CERTRUNNER_CHROMIUM to a Chromium binary",
        code="chromium_missing")


def launch_options(headless: bool = True) -> dict[str, Any]:
    """Keyword arguments for ``chromium.launch`` that behave well on our machines."""
    args = list(FLAGS)
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        args.insert(0, "--no-sandbox")
    options: dict[str, Any] = {"headless": headless, "args": args}
    executable = chromium_executable()
    if executable:
        options["executable_path"] = executable
    return options
