"""The sandbox's control library: the one way to add orders, count refunds, switch faults, read
the outbox, solve a captcha and reseed, used by the `sandbox` commands, the JSON API, the tests,
the demo and the benchmarks.

It works on the DB file directly (created and seeded on first use), so it works the same with or
without a running server, in this process or another: a server opens a connection per request
and sees every change at once.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from sandbox import captcha, db, faults, mailstore, orders, posts, seed
from sandbox.times import Clock, SystemClock, parse_iso


class UnknownCaptcha(LookupError):
    """The image is not one this sandbox drew."""


def solve(conn: sqlite3.Connection, png: bytes) -> str:
    """The number in a captcha image the sandbox drew, looked up by the SHA-256 of its bytes."""
    digest = hashlib.sha256(png).hexdigest()
    answer = captcha.solve(conn, digest)
    if answer is None:
        raise UnknownCaptcha(f"not a captcha this sandbox drew (sha256 {digest})")
    return answer


class Sandbox:
    """One sandbox, by its DB file; ``url`` is where a server serves it, when one does.

    ``clock`` is the sandbox's time (the server's, in tests that move it): reseeding and mail
    delivery are relative to it.
    """

    def __init__(self, db_path: Path, clock: Clock | None = None, url: str = "") -> None:
        self.db_path = Path(db_path)
        self.clock = clock or SystemClock()
        self.url = url.rstrip("/")
        self._prepared = False

    @contextmanager
    def connection(self) -> Iterator[sqlite3.Connection]:
        """A short-lived connection; the first one creates and seeds the DB if needed.

        Only the first: preparing an existing DB re-dates the canary orders, and reading twice
        must answer the same.
        """
        if not self._prepared:
            seed.prepare(self.db_path, self.clock.now())
            self._prepared = True
        conn = db.connect(self.db_path)
        try:
            yield conn
        finally:
            conn.close()

    def add_order(self, *, domain: str, purchased_at: datetime | str, state: str,
                  admin_email: str | None = None, customer: str | None = None,
                  common_name: str | None = None) -> dict[str, Any]:
        """Add an order (``orders.OrderError`` if refused) and answer it as JSON."""
        when = parse_iso(purchased_at) if isinstance(purchased_at, str) else purchased_at
        with self.connection() as conn:
            return orders.add_order(conn, domain=domain, purchased_at=when, state=state,
                                    admin_email=admin_email, customer=customer,
                                    common_name=common_name).to_json()

    def orders(self, domain: str | None = None) -> list[dict[str, Any]]:
        """Every order, or those whose domain contains ``domain`` (as PM searches)."""
        with self.connection() as conn:
            found = orders.search(conn, domain) if domain else orders.all_orders(conn)
            return [o.to_json() for o in found]

    def order(self, domain: str) -> dict[str, Any]:
        """The one order whose domain is exactly ``domain``."""
        (found,) = [o for o in self.orders(domain) if o["domain"] == domain]
        return found

    def refunds(self, order_id: str | None = None,
                domain: str | None = None) -> list[dict[str, Any]]:
        """Every refund row (of one order or domain): count them to catch a doubled refund."""
        with self.connection() as conn:
            return [r.to_json() for r in orders.refunds(conn, order_id, domain)]

    def posts(self, order_id: str) -> dict[str, int]:
        """Side-effecting POSTs that reached the consoles for one order, and its access mails."""
        with self.connection() as conn:
            return posts.for_order(conn, order_id)

    def faults(self, **changes: Any) -> dict[str, Any]:
        """Change the given faults (``faults.FaultError`` if refused); answer those in force."""
        with self.connection() as conn:
            current = faults.update(conn, changes) if changes else faults.load(conn)
            return current.to_json()

    def reset_faults(self) -> dict[str, Any]:
        """Switch every fault off."""
        with self.connection() as conn:
            return faults.reset(conn).to_json()

    def outbox(self, base_url: str | None = None) -> list[dict[str, Any]]:
        """The delivered access mails; links prefixed with ``base_url`` (default: ``url``)."""
        prefix = self.url if base_url is None else base_url
        with self.connection() as conn:
            return [m.to_json(prefix) for m in mailstore.delivered(conn, self.clock.now())]

    def solve_captcha(self, image: Path | str | bytes) -> str:
        """Play the person who reads the image: its number (``UnknownCaptcha`` if not ours)."""
        png = image if isinstance(image, bytes) else Path(image).read_bytes()
        with self.connection() as conn:
            return solve(conn, png)

    def reset(self) -> None:
        """Drop everything and seed afresh, in place (a running server sees the new state)."""
        seed.reset(self.db_path, self.clock.now())
        self._prepared = True
