"""Masking session cookies and storage in a saved Playwright trace.

A failure trace is for the maintainers, but Playwright records every request's ``Cookie`` header,
every ``Set-Cookie``, and the cookies the runner loads into a context, so a trace of a logged-in
console carries a working session for that console. After the trace is saved, its zip is
rewritten: in the event files (``*.trace``, ``*.network``) cookie lists, storage entries and
credential-bearing headers get their values masked; then, as a second guard, every known secret
value (the context's cookies and storage at the moment of saving) is masked wherever it appears
in a text entry. A run's single-use answers (the captcha's digits, typed into a form and posted)
are too short to replace blindly: they are masked where they stand as a value of their own, not
inside a longer number or word and not as a bare JSON number (timings, sizes). Screenshots and
snapshots of pages stay as they are.
"""

from __future__ import annotations

import json
import os
import re
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

MASK = "[masked]"
SENSITIVE_HEADERS = frozenset({"cookie", "set-cookie", "authorization", "proxy-authorization"})
SECRET_LISTS = frozenset({"cookies", "localStorage", "sessionStorage"})
EVENT_FILES = (".trace", ".network")
BINARY_FILES = (".jpeg", ".jpg", ".png", ".webp", ".gif", ".woff", ".woff2")
MIN_SECRET = 6  # shorter values would mask ordinary words


def _mask_pairs(items: list[Any], all_values: bool) -> list[Any]:
    """``[{name, value}, ...]``: mask every value (cookies, storage) or sensitive headers only."""
    out = []
    for item in items:
        if isinstance(item, dict) and "value" in item and (
                all_values or str(item.get("name", "")).lower() in SENSITIVE_HEADERS):
            item = {**item, "value": MASK}
        out.append(_mask(item))
    return out


def _mask(value: Any) -> Any:
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if isinstance(item, list):
                out[key] = _mask_pairs(item, all_values=key in SECRET_LISTS)
            else:
                out[key] = _mask(item)
        return out
    if isinstance(value, list):
        return _mask_pairs(value, all_values=False)
    return value


def _mask_events(text: str) -> str:
    lines = []
    for line in text.split("\n"):
        try:
            event = json.loads(line)
        except json.JSONDecodeError:
            lines.append(line)  # not an event (blank line): left for the value guard below
            continue
        lines.append(json.dumps(_mask(event), separators=(",", ":")))
    return "\n".join(lines)


def _mask_values(data: bytes, secrets: list[str], answers: list[re.Pattern[bytes]]) -> bytes:
    for secret in secrets:
        data = data.replace(secret.encode(), MASK.encode())
    for answer in answers:
        data = answer.sub(MASK.encode(), data)
    return data


def _standing_alone(value: str) -> re.Pattern[bytes]:
    """``value`` as a value of its own: quoted, after ``=`` or a space, not within a number."""
    return re.compile(rb"(?<![\w.:,\[\-])" + re.escape(value.encode()) + rb"(?![\w.])")


def scrub_trace(path: Path, secrets: Iterable[str], answers: Iterable[str] = ()) -> None:
    """Rewrite the trace zip at ``path`` in place with cookies, storage, ``secrets`` and the
    run's single-use ``answers`` masked."""
    known = sorted({s for s in secrets if len(s) >= MIN_SECRET}, key=len, reverse=True)
    alone = [_standing_alone(a) for a in sorted({a for a in answers if a}, key=len,
                                                  reverse=True)]
    scratch = path.with_name(path.name + ".scrubbing")
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(scratch, "w",
                                                          zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename.endswith(EVENT_FILES):
                data = _mask_events(data.decode("utf-8", errors="surrogateescape")).encode(
                    "utf-8", errors="surrogateescape")
            if not info.filename.lower().endswith(BINARY_FILES):
                data = _mask_values(data, known, alone)
            target.writestr(info, data)
    os.chmod(scratch, 0o600)
    os.replace(scratch, path)


def context_secrets(storage_state: dict[str, Any]) -> list[str]:
    """Every cookie and storage value in a context's storage state."""
    values = [str(c.get("value", "")) for c in storage_state.get("cookies", [])]
    for origin in storage_state.get("origins", []):
        values += [str(item.get("value", "")) for item in origin.get("localStorage", [])]
    return values
