"""Where the sandbox keeps its DB when no ``--db`` is given: the state home the runner uses.

The sandbox is the vendor's replica and imports nothing of the runner, yet its default DB must
be the very file the runner's built-in sandbox serves (``sandbox.db`` in the state home), so it
reads the same variables in the same order: ``$CERTRUNNER_HOME`` (absolute), else
``$XDG_STATE_HOME/certrunner``, else ``~/.local/state/certrunner``. The folder holds customers'
admin emails, so the folders it creates are for their owner only (0700).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

HOME_VAR = "CERTRUNNER_HOME"
DIR_MODE = 0o700


class SandboxPathError(Exception):
    """The state home or the DB's folder cannot be used: a usage error, not a traceback."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def state_home(env: Mapping[str, str] | None = None) -> Path:
    """The state home for this environment (see the module docstring for the order)."""
    env = os.environ if env is None else env
    given = env.get(HOME_VAR, "").strip()
    if given:
        path = Path(given).expanduser()
        if not path.is_absolute():
            raise SandboxPathError(f"{HOME_VAR}={given!r} is a relative path; give an absolute "
                                   "one so that state does not depend on the current directory")
        return path
    xdg = env.get("XDG_STATE_HOME", "").strip()
    if xdg and Path(xdg).is_absolute():  # the XDG spec says to ignore a relative value
        return Path(xdg) / "certrunner"
    try:
        return Path.home() / ".local" / "state" / "certrunner"
    except RuntimeError as exc:
        raise SandboxPathError(f"no home folder to keep state in: set {HOME_VAR}") from exc


def private_dir(path: Path) -> Path:
    """Create ``path`` (and missing parents) as owner-only folders; refuse a non-folder."""
    missing: list[Path] = []
    probe = path
    while not probe.exists() and probe != probe.parent:
        missing.append(probe)
        probe = probe.parent
    if not probe.is_dir():
        raise SandboxPathError(f"cannot keep state in {path}: {probe} is not a folder")
    try:
        for folder in reversed(missing):
            folder.mkdir(mode=DIR_MODE, exist_ok=True)
            os.chmod(folder, DIR_MODE)  # mkdir's mode is filtered by the umask; be exact
    except OSError as exc:
        raise SandboxPathError(f"cannot create the state folder {path}: {exc.strerror}; set "
                               f"{HOME_VAR} to a folder you can write") from exc
    return path
