"""What a run saw on the pages the night cannot open, kept for the nightly selector check.

Page objects report the ``SNAPSHOT`` pages they pass (``PageObject.seen``: after the page is
recognised, and where a locator of it broke); the witness holds the latest snapshot of each in
memory while the action runs and writes them to the store when it ends, so nothing is written
between finding a money control and clicking it. A snapshot that cannot be written is logged:
it never fails a run, whose click may already have happened.

What is kept is the accessible structure the locators are written against (roles, names, the
text the page shows) with what must not be kept taken out: link targets and other ``/``
properties (the access email's portal link is a login token), every email address (the
customer's admin email; no locator names one) and a URL's query and fragment.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

from runner.actions import witnessed_by
from runner.logs import get_logger

if TYPE_CHECKING:
    from runner.store.runs import RunStore

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
EMAIL_KEPT_AS = "(email)"
# A property line of an ARIA snapshot: ``- /url: /portal/login/TOKEN``, ``- /placeholder: x``.
_PROPERTY = re.compile(r"^\s*- /[\w-]+:")


def redact(snapshot: str) -> str:
    """The snapshot without properties (link targets) and email addresses (see the module)."""
    lines = [line for line in snapshot.splitlines() if not _PROPERTY.match(line)]
    kept = []
    for index, line in enumerate(lines):
        following = lines[index + 1] if index + 1 < len(lines) else ""
        indent = len(line) - len(line.lstrip())
        if line.endswith(":") and len(following) - len(following.lstrip()) <= indent:
            line = line[:-1]  # a node whose only children were properties
        kept.append(EMAIL.sub(EMAIL_KEPT_AS, line))
    return "\n".join(kept)


def redact_url(url: str) -> str:
    """The page's address without query or fragment (where tokens travel)."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(query="", fragment=""))


@dataclass(frozen=True)
class Seen:
    page: str
    url: str
    snapshot: str


@dataclass
class Witness:
    """The latest snapshot of each page passed during one action (``runner.actions``)."""

    seen: dict[str, Seen] = field(default_factory=dict)

    def saw(self, page: str, url: str, snapshot: str) -> None:
        self.seen[page] = Seen(page, redact_url(url), redact(snapshot))

    def keep(self, store: RunStore, run_id: str) -> None:
        """Write what was seen as each page's latest snapshot; a failed write is logged."""
        for seen in self.seen.values():
            try:
                store.snapshots.save(seen.page, run_id, seen.url, seen.snapshot)
            except Exception as exc:  # noqa: BLE001 - any store failure: the run goes on
                get_logger().warning("page_snapshot_not_kept", page=seen.page, run_id=run_id,
                                     error=f"{type(exc).__name__}: {exc}")
        self.seen.clear()


@contextmanager
def witnessing(store: RunStore, run_id: str) -> Iterator[Witness]:
    """Keep the snapshot pages an action passes inside the block, as seen by ``run_id``."""
    witness = Witness()
    try:
        with witnessed_by(witness):
            yield witness
    finally:
        witness.keep(store, run_id)
