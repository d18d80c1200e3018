"""The sandbox as a library, for the demo and benchmarks that play the people around a run
(the support lead who adds an order, the person who reads a captcha) without a subprocess."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from sandbox import captcha, db, orders, seed
from sandbox.times import system_clock


@contextmanager
def connection(db_path: Path) -> Iterator[Any]:
    """Open the sandbox DB, creating and seeding it on first use (as every command does)."""
    seed.prepare(Path(db_path), system_clock())
    conn = db.connect(Path(db_path))
    try:
        yield conn
    finally:
        conn.close()


def add_order(db_path: Path, *, domain: str, purchased_at: datetime, state: str,
              admin_email: str | None = None, customer: str | None = None) -> dict[str, Any]:
    with connection(db_path) as conn:
        return orders.add_order(conn, domain=domain, purchased_at=purchased_at, state=state,
                                admin_email=admin_email, customer=customer).to_json()


def solve_captcha(db_path: Path, image: str | Path) -> str | None:
    """The answer to a captcha image this sandbox drew, or None for any other image."""
    digest = hashlib.sha256(Path(image).read_bytes()).hexdigest()
    with connection(db_path) as conn:
        return captcha.solve(conn, digest)


def refunds(db_path: Path, order_id: str) -> list[dict[str, Any]]:
    with connection(db_path) as conn:
        return [r.to_json() for r in orders.refunds(conn, order_id)]
