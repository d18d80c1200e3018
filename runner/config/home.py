"""Where state lives: one home folder, never the current directory.

Runs, artifacts, login state and the built-in sandbox's data all sit under one folder, so that
``status`` from any directory sees the runs that ``run`` made, and nothing is created where a
command happens to be typed. The folder holds customers' admin emails, session cookies and
captcha images, so it and everything in it is for its owner only (folders 0700, files 0600).

The home is ``$CERTRUNNER_HOME`` if set, else ``$XDG_STATE_HOME/certrunner``, else
``~/.local/state/certrunner``. Relative paths in a config file resolve against the home.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from runner.errors import ConfigError, ErrorCode

HOME_VAR = "CERTRUNNER_HOME"
PRIVATE_UMASK = 0o077  # new files 0600, new folders 0700
DIR_MODE = 0o700


def restrict_new_files() -> None:
    """Make every file and folder this process (and the browser it starts) creates private.

    Set once at start, before any state is written; children (Chromium, Playwright's driver)
    inherit it, so screenshots and traces they write are private too.
    """
    os.umask(PRIVATE_UMASK)


def _absolute(value: str, what: str) -> Path:
    path = Path(value).expanduser()
    if not path.is_absolute():
        raise ConfigError(f"{what}={value!r} is a relative path; give an absolute one so that "
                          "state does not depend on the current directory",
                          code=ErrorCode.HOME_INVALID)
    return path


def state_home(env: Mapping[str, str] | None = None) -> Path:
    """The state home for this environment (see the module docstring for the order)."""
    env = os.environ if env is None else env
    given = env.get(HOME_VAR, "").strip()
    if given:
        return _absolute(given, HOME_VAR)
    xdg = env.get("XDG_STATE_HOME", "").strip()
    if xdg and Path(xdg).is_absolute():  # the XDG spec says to ignore a relative value
        return Path(xdg) / "certrunner"
    try:
        return Path.home() / ".local" / "state" / "certrunner"
    except RuntimeError as exc:
        raise ConfigError(f"no home folder to keep state in: set {HOME_VAR}",
                          code=ErrorCode.HOME_INVALID) from exc


def under(home: Path, value: str | Path) -> Path:
    """``value`` as an absolute path: ``~`` expanded, a relative one taken inside ``home``."""
    path = Path(value).expanduser()
    return path if path.is_absolute() else home / path


def private_dir(path: Path) -> Path:
    """Create ``path`` (and missing parents) as owner-only folders; refuse a non-folder."""
    missing: list[Path] = []
    probe = path
    while not probe.exists() and probe != probe.parent:
        missing.append(probe)
        probe = probe.parent
    if not probe.is_dir():
        raise ConfigError(f"cannot keep state in {path}: {probe} is not a folder",
                          code=ErrorCode.STATE_PATH_INVALID)
    try:
        for folder in reversed(missing):
            folder.mkdir(mode=DIR_MODE, exist_ok=True)
            os.chmod(folder, DIR_MODE)  # mkdir's mode is filtered by the umask; be exact
    except OSError as exc:
        raise ConfigError(f"cannot create the state folder {path}: {exc.strerror}; set "
                          f"{HOME_VAR} to a folder you can write",
                          code=ErrorCode.STATE_PATH_INVALID) from exc
    return path
