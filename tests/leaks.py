"""The one secret scanner: every file under the folders given (zip archives such as Playwright
traces opened, entry by entry), and every log given as text, searched for each secret in the
forms it could be written in.

A long secret (a password, a session cookie) is found anywhere, as it is, URL-encoded,
JSON-escaped, in UTF-16 or base64. A short one (the captcha's five digits) would turn up by
chance inside any trace's numbers, so it is found only where it stands as a value of its own:
not inside a longer number or word, and not as a bare JSON number (``"size":12345``); quoted,
after ``=`` or a space, it is found. tests/e2e/test_secrets.py plants each kind of secret in
each kind of file first (the positive control); ``assert_no_secret`` scans what a door wrote
after planting a copy of every secret among it (tests/e2e/test_secrets.py, for the CLI, the
service and MCP; tests/workers/test_worker_secrets.py for the queue's workers).
"""

from __future__ import annotations

import base64
import io
import json
import re
import urllib.parse
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

SHORT = 12  # a secret shorter than this is matched as a value standing on its own


@dataclass(frozen=True)
class Secret:
    name: str  # what it is: "Symantec password", "session cookie", "captcha answer"
    value: str


@dataclass(frozen=True)
class Leak:
    secret: str
    where: str  # a file, "archive.zip!entry", or a log's name

    def __str__(self) -> str:
        return f"{self.secret} in {self.where}"


def _forms(value: str) -> set[bytes]:
    texts = {value, urllib.parse.quote(value, safe=""), urllib.parse.quote_plus(value),
             json.dumps(value)[1:-1]}
    found = {t.encode() for t in texts}
    found |= {t.encode("utf-16-le") for t in texts}
    found.add(base64.b64encode(value.encode()).rstrip(b"="))
    return found


def _pattern(secret: Secret) -> re.Pattern[bytes]:
    forms = sorted(_forms(secret.value), key=len, reverse=True)
    either = b"|".join(re.escape(f) for f in forms)
    if len(secret.value) >= SHORT:
        return re.compile(either)
    # Standing alone: no letter, digit or dot on either side, and not a JSON number after a
    # colon, comma or bracket (timings, sizes and coordinates in traces).
    return re.compile(rb"(?<![\w.:,\[\-])(?:" + either + rb")(?![\w.])")


def _entries(path: Path) -> Iterator[tuple[str, bytes]]:
    """The file's bytes, or each entry of a zip archive (nested archives opened too)."""
    data = path.read_bytes()
    yield from _unpacked(str(path), data)


def _unpacked(name: str, data: bytes) -> Iterator[tuple[str, bytes]]:
    if data[:4] == b"PK\x03\x04":
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for entry in archive.namelist():
                yield from _unpacked(f"{name}!{entry}", archive.read(entry))
        return
    yield name, data


def files_under(*roots: Path) -> list[Path]:
    """Every file under the roots (a root may itself be a file), in a stable order."""
    found: list[Path] = []
    for root in roots:
        found += [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
    return found


def scan(secrets: Iterable[Secret], files: Iterable[Path] = (),
         logs: dict[str, str] | None = None) -> list[Leak]:
    """Every place a secret was found: in the files (archives opened) and in the logs (by
    name). An empty secret is a mistake of the caller, not a clean scan."""
    patterns = []
    for secret in secrets:
        assert secret.value, f"nothing to look for: {secret.name} is empty"
        patterns.append((secret.name, _pattern(secret)))
    leaks: list[Leak] = []
    for path in files:
        for where, data in _entries(path):
            leaks += [Leak(name, where) for name, pattern in patterns if pattern.search(data)]
    for where, text in (logs or {}).items():
        data = text.encode()
        leaks += [Leak(name, where) for name, pattern in patterns if pattern.search(data)]
    return leaks


# The one place a session cookie is kept on purpose: the private state that resumes a console
# session, a home's ``login-state/<console>.json`` and a paused run's ``cookies.json`` (0600,
# never served, never in an answer: tests/e2e/test_state_privacy.py checks their modes).
KEPT_ON_PURPOSE = ("login-state", "cookies.json")


def session_cookies(*homes: Path) -> list[str]:
    """The Symantec session cookie of every login saved under the homes."""
    found = []
    for home in homes:
        for state in home.rglob("login-state/symantec.json"):
            found += [c["value"] for c in json.loads(state.read_text())["cookies"]
                      if c["name"] == "symantec_session"]
    return found


def _kept_on_purpose(leak: Leak) -> bool:
    return leak.secret == "session cookie" and any(
        part in KEPT_ON_PURPOSE for part in Path(leak.where.split("!")[0]).parts)


def assert_no_secret(roots: list[Path], logs: dict[str, str], password: str,
                     answers: list[str], must_scan: tuple[str, ...] = (),
                     cookies: list[str] | None = None) -> None:
    """Plant every secret next to a screenshot (or in the first root), scan the roots and the
    logs: the planted copies are found, then nothing else but the state kept on purpose.
    ``cookies`` default to those of the logins saved under the roots; ``must_scan`` names files
    the door must have written (the scan would pass vacuously on a wrong folder)."""
    cookies = session_cookies(*roots) if cookies is None else cookies
    assert cookies and answers, "the door never logged in or never took an answer"
    secrets = [Secret("Symantec password", password),
               *(Secret("session cookie", c) for c in cookies),
               *(Secret("captcha answer", a) for a in answers)]
    shots = sorted(p for root in roots for p in root.rglob("*.png"))
    planted = (shots[0].parent if shots else roots[0]) / "planted-control.txt"
    planted.write_text("\n".join(f"value: {s.value}" for s in secrets))
    files = files_under(*roots)
    assert set(must_scan) <= {p.name for p in files}, sorted(p.name for p in files)
    leaks = scan(secrets, files, logs)
    assert {leak.secret for leak in leaks if leak.where == str(planted)} == {
        s.name for s in secrets}, "the positive control was not found"
    planted.unlink()
    found = [str(leak) for leak in leaks
             if leak.where != str(planted) and not _kept_on_purpose(leak)]
    assert found == []
