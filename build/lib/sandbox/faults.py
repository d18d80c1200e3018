"""Faults a test or demo can switch on: latency, server errors, outages, short sessions, layouts.

They live in the DB and are read on every console request, so ``sandbox faults set`` in one
process changes a server running in another. Server errors are deterministic: a request counter
decides which requests fail, so a test sees the same failures every run.
"""

from __future__ import annotations

import math
import sqlite3
import time
from dataclasses import asdict, dataclass, replace
from typing import Any

from sandbox.db import transaction

CONSOLES = ("pm", "symantec", "geotrust", "mail", "portal")
LAYOUTS = ("normal", "cosmetic", "breaking")
# What happens to a form POST (a click that changes something) on a console:
#   error: answered 500 before anything is done (the click failed; nothing happened);
#   hold:  done, then the answer is held back for HOLD_SECONDS (the click went through but its
#          confirmation never arrived: the case the runner's ledger exists for).
WRITE_FAULTS = ("none", "error", "hold")
HOLD_SECONDS = 30.0
COUNTER = "error_rate_requests"


class FaultError(ValueError):
    """A fault setting is out of range or names something unknown."""


@dataclass(frozen=True)
class Faults:
    """The switched-on faults; the defaults mean "behave normally"."""

    latency_ms: int = 0
    error_rate: float = 0.0
    session_ttl: float = 1800.0
    mail_delay: float = 0.0
    layout: str = "normal"
    down: tuple[str, ...] = ()
    write_fault: str = "none"
    fail_next: int = 0  # the next N console requests answer 500 (then it counts down to 0)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["down"] = list(self.down)
        return data

    def with_changes(self, changes: dict[str, Any]) -> Faults:
        """A validated copy with ``changes`` applied; unknown keys or bad values raise."""
        unknown = set(changes) - set(asdict(self))
        if unknown:
            raise FaultError(f"unknown fault(s): {', '.join(sorted(unknown))}")
        clean: dict[str, Any] = {}
        for key, value in changes.items():
            if value is not None:
                clean[key] = _CHECKS[key](value)
        return replace(self, **clean)


def _non_negative(kind: type, name: str) -> Any:
    def check(value: Any) -> Any:
        try:
            number = kind(value)
        except (TypeError, ValueError):
            raise FaultError(f"{name} must be a number, not {value!r}") from None
        if number < 0 or (isinstance(number, float) and math.isnan(number)):
            raise FaultError(f"{name} must be >= 0, not {value!r}")
        return number
    return check


def _rate(value: Any) -> float:
    rate = _non_negative(float, "error_rate")(value)
    if rate > 1:
        raise FaultError(f"error_rate must be between 0 and 1, not {value!r}")
    return float(rate)


def _layout(value: Any) -> str:
    if value not in LAYOUTS:
        raise FaultError(f"layout must be one of {', '.join(LAYOUTS)}, not {value!r}")
    return str(value)


def _down(value: Any) -> tuple[str, ...]:
    names = value.split(",") if isinstance(value, str) else list(value)
    names = [str(n).strip() for n in names if str(n).strip()]
    bad = [n for n in names if n not in CONSOLES]
    if bad:
        raise FaultError(f"unknown console(s) {', '.join(bad)}; known: {', '.join(CONSOLES)}")
    return tuple(dict.fromkeys(names))


def _write_fault(value: Any) -> str:
    if value not in WRITE_FAULTS:
        raise FaultError(f"write_fault must be one of {', '.join(WRITE_FAULTS)}, not {value!r}")
    return str(value)


_CHECKS = {
    "write_fault": _write_fault,
    "fail_next": _non_negative(int, "fail_next"),
    "latency_ms": _non_negative(int, "latency_ms"),
    "error_rate": _rate,
    "session_ttl": _non_negative(float, "session_ttl"),
    "mail_delay": _non_negative(float, "mail_delay"),
    "layout": _layout,
    "down": _down,
}


def insert_defaults(conn: sqlite3.Connection) -> None:
    """Write the default faults row (inside the caller's transaction)."""
    _write(conn, Faults())


def _write(conn: sqlite3.Connection, faults: Faults) -> None:
    conn.execute(
        "INSERT OR REPLACE INTO faults (id, latency_ms, error_rate, session_ttl, mail_delay,"
        " layout, down, write_fault, fail_next) VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?)",
        (faults.latency_ms, faults.error_rate, faults.session_ttl, faults.mail_delay,
         faults.layout, ",".join(faults.down), faults.write_fault, faults.fail_next),
    )
    # Restart the error counter so "every k-th request fails" counts from the change.
    conn.execute("INSERT OR REPLACE INTO counters (name, value) VALUES (?, 0)", (COUNTER,))


def load(conn: sqlite3.Connection) -> Faults:
    """The faults in force now (one cheap SELECT per request)."""
    row = conn.execute("SELECT * FROM faults WHERE id = 1").fetchone()
    if row is None:
        return Faults()
    down = tuple(n for n in row["down"].split(",") if n)
    return Faults(row["latency_ms"], row["error_rate"], row["session_ttl"], row["mail_delay"],
                  row["layout"], down, row["write_fault"], row["fail_next"])


def update(conn: sqlite3.Connection, changes: dict[str, Any]) -> Faults:
    """Validate and store ``changes``; returns the faults now in force."""
    with transaction(conn):
        faults = load(conn).with_changes(changes)
        _write(conn, faults)
    return faults


def reset(conn: sqlite3.Connection) -> Faults:
    """Switch every fault off."""
    with transaction(conn):
        _write(conn, Faults())
    return Faults()


def fails(request_number: int, rate: float) -> bool:
    """Whether the n-th request (1-based) fails: exactly floor(n * rate) of the first n do."""
    def failed_by(n: int) -> int:
        return math.floor(n * rate + 1e-9)
    return failed_by(request_number) > failed_by(request_number - 1)


def _take_one_failure(conn: sqlite3.Connection) -> bool:
    """Count ``fail_next`` down by one; True if this request was one of those to fail."""
    with transaction(conn):
        return conn.execute("UPDATE faults SET fail_next = fail_next - 1 "
                            "WHERE id = 1 AND fail_next > 0").rowcount == 1


def _next_request_number(conn: sqlite3.Connection) -> int:
    with transaction(conn):
        conn.execute("INSERT OR IGNORE INTO counters (name, value) VALUES (?, 0)", (COUNTER,))
        conn.execute("UPDATE counters SET value = value + 1 WHERE name = ?", (COUNTER,))
        row = conn.execute("SELECT value FROM counters WHERE name = ?", (COUNTER,)).fetchone()
    return int(row["value"])


def inject(conn: sqlite3.Connection, console: str, faults: Faults,
           method: str = "GET") -> int | None:
    """Apply faults to one console request: sleep for latency, then 503/500 or None (go on)."""
    if faults.latency_ms:
        time.sleep(faults.latency_ms / 1000)  # sleeps happen only in fault injection, on purpose
    if console in faults.down:
        return 503
    if method == "POST" and faults.write_fault == "error":
        return 500
    if faults.fail_next and _take_one_failure(conn):
        return 500
    if faults.error_rate > 0 and fails(_next_request_number(conn), faults.error_rate):
        return 500
    return None


def hold_answer(faults: Faults, method: str) -> None:
    """After a POST was done: keep its answer back, as a console whose confirmation is lost."""
    if method == "POST" and faults.write_fault == "hold":
        time.sleep(HOLD_SECONDS)  # fault injection: the click happened, the answer never comes
