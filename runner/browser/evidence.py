"""What a failed run leaves for a person to debug, taken at the moment it fails.

A Playwright trace recorded for every run in case it fails made every ticket pay for it: a DOM
snapshot at each Playwright call and a stack sent with each, about a fifth of a ticket's CPU
(bench/README.md), for evidence nine runs in ten throw away. So the evidence is taken when a
step fails, from what is there then: for every open console tab its address, a full-page
screenshot, its HTML and its accessibility (ARIA) snapshot, the tree the locators are written
against; and the journal of what the page objects did during the run, noted as they did it
(pages opened and their HTTP status, controls found and clicked, the page a click arrived at,
the locator that drifted), never a value typed. The tabs' HTML, ARIA snapshots and the journal
go into one owner-only zip beside the screenshots. Every cookie and storage value of the run's
context and of the saved logins is masked wherever it shows up in the zip, so it never carries
a console session; logins happen in a separate context, so no password is on any tab.

A full trace is still there for a hard case: ``browser.trace_on_failure: true`` records one
for every run again (``runner.browser.session``).
"""

from __future__ import annotations

import json
import os
import time
import zipfile
from collections import deque
from pathlib import Path
from typing import TYPE_CHECKING, Any

from runner.browser.trace_scrub import MASK, MIN_SECRET
from runner.config.home import private_dir
from runner.logs import get_logger

if TYPE_CHECKING:
    from playwright.sync_api import Page

JOURNAL_SIZE = 500  # the latest moves of a run; a run's whole journal is usually under 100
ARIA_TIMEOUT_MS = 5_000  # the tab is there: this only bounds a hung renderer


class Journal:
    """The page objects' moves in one run, newest last, with the action each belongs to."""

    def __init__(self) -> None:
        self.entries: deque[dict[str, Any]] = deque(maxlen=JOURNAL_SIZE)
        self.action = ""
        self._began = time.monotonic()

    def begin(self, action: str, attempt: int) -> Journal:
        """An action (a page-object call of a step) starts: its moves are noted under it."""
        self.action = action if attempt == 1 else f"{action} (attempt {attempt})"
        return self

    def note(self, event: str, **fields: Any) -> None:
        self.entries.append({"ms": int((time.monotonic() - self._began) * 1000),
                             "action": self.action, "event": event, **fields})


def save_evidence(path: Path, tabs: dict[str, Page], journal: Journal,
                  secrets: list[str]) -> Path:
    """Write the zip at ``path``: ``journal.json``, and per tab ``CONSOLE.html``,
    ``CONSOLE.aria.yaml`` and its address in ``tabs.json``; a tab that cannot be read is noted
    in ``tabs.json``, never raised (the run's own error stays the one reported)."""
    entries: dict[str, str] = {"journal.json": json.dumps(list(journal.entries), indent=1)}
    shown: dict[str, dict[str, Any]] = {}
    for console, page in tabs.items():
        shown[console] = {"url": page.url}
        try:
            entries[f"{console}.html"] = page.content()
            entries[f"{console}.aria.yaml"] = page.locator("body").aria_snapshot(
                timeout=ARIA_TIMEOUT_MS)
        except Exception as exc:  # noqa: BLE001 - a dead tab is evidence too; see docstring
            shown[console]["unreadable"] = f"{type(exc).__name__}: {exc}".splitlines()[0]
            get_logger().warning("evidence_tab_unreadable", console=console,
                                 error=shown[console]["unreadable"])
    entries["tabs.json"] = json.dumps(shown, indent=1)
    known = sorted({s for s in secrets if len(s) >= MIN_SECRET}, key=len, reverse=True)
    private_dir(path.parent)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle, zipfile.ZipFile(handle, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, text in entries.items():
            for secret in known:
                text = text.replace(secret, MASK)
            zf.writestr(name, text)
    return path
