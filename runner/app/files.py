"""What a paused run needs on another machine: kept in the store, restored before a resume.

A worker on machine A takes an issued ticket to the captcha; the person answers from machine B,
which shares only the store. B needs the captcha image (to show it) and the GeoTrust session
the image was read in (so the answer is checked against that challenge). Both are copied into
the store when the run pauses for a person, and the session is written back into B's run folder
before B drives the run. Console logins are never among them (``RunSession.save_cookies`` keeps
only the run's own cookies).
"""

from __future__ import annotations

import os
from pathlib import Path

from runner.config.home import private_dir
from runner.engine.next_action import NextAction, ProvideInput
from runner.store.runs import Run, RunStore

COOKIES = "cookies.json"
MEDIA = {".png": "image/png", ".json": "application/json", ".zip": "application/zip"}


def keep(store: RunStore, run_id: str, action: NextAction | None, run_dir: Path) -> None:
    """Copy the paused run's session and the file it asks a person to read into the store."""
    cookies = run_dir / COOKIES
    if cookies.is_file():
        store.files.put(run_id, COOKIES, cookies.read_bytes(), MEDIA[".json"])
    if isinstance(action, ProvideInput) and action.artifact:
        path = Path(action.artifact)
        if path.is_file():
            store.files.put(run_id, path.name, path.read_bytes(),
                            MEDIA.get(path.suffix, "application/octet-stream"))


def restore(store: RunStore, run: Run, run_dir: Path) -> None:
    """Before a resume: the run's session from the store when this machine lacks it."""
    cookies = run_dir / COOKIES
    if cookies.exists():
        return
    found = store.files.get(run.run_id, COOKIES)
    if found is not None:
        _write_private(cookies, found[0])


def artifact_bytes(store: RunStore, run_id: str, name: str,
                   listed: list[str]) -> tuple[bytes, str] | None:
    """A listed artifact by file name: from this machine's disk, else from the store."""
    for path_text in listed:
        path = Path(path_text)
        if path.name == name and path.is_file():
            return path.read_bytes(), MEDIA.get(path.suffix, "application/octet-stream")
    if name != COOKIES and any(Path(p).name == name for p in listed):
        return store.files.get(run_id, name)
    return None


def local_copy(store: RunStore, run_id: str, listed: str, artifacts: Path) -> str:
    """A listed artifact's path on this machine: written from the store into this machine's
    artifacts folder when the run was driven elsewhere (the path the caller can open)."""
    path = Path(listed)
    if path.is_file() or path.name == COOKIES:
        return listed
    found = store.files.get(run_id, path.name)
    if found is None:
        return listed
    here = artifacts / run_id / path.name
    if not here.is_file():
        _write_private(here, found[0])
    return str(here)


def _write_private(path: Path, content: bytes) -> None:
    private_dir(path.parent)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(content)
