"""The side-effect ledger as a team lead reads it: every access request, cancellation and refund
per order, who or what confirmed it, and totals per day; also as CSV."""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass
from typing import Any

from runner.store.ledger import LedgerEntry
from runner.store.runs import RunStore

COLUMNS = ("attempted_at", "confirmed_at", "action", "order", "status", "console_reference",
           "run_id", "ticket", "confirmed_by")


@dataclass(frozen=True)
class LedgerRow:
    entry: LedgerEntry
    confirmed_by: str  # the runner (what it saw), or the person who said so

    @property
    def reference(self) -> str:
        """The console's own reference for the effect, when the page showed one."""
        evidence = self.entry.evidence
        for key in ("reference", "transaction_id", "refund_id", "confirmation"):
            if evidence.get(key):
                return str(evidence[key])
        return ""

    def values(self) -> dict[str, Any]:
        e = self.entry
        return {"attempted_at": e.attempted_at.isoformat(),
                "confirmed_at": e.confirmed_at.isoformat() if e.confirmed_at else "",
                "action": e.action, "order": e.order_key, "status": str(e.status),
                "console_reference": self.reference, "run_id": e.run_id, "ticket": e.ticket,
                "confirmed_by": self.confirmed_by}


def _confirmed_by(store: RunStore, entry: LedgerEntry) -> str:
    if entry.confirmed_at is None:
        return ""
    people = [d for d in store.decisions.for_run(entry.run_id) if d.action == "confirm"]
    if people and entry.evidence.get("source") in (None, "person", "operator"):
        return f"{people[-1].actor} ({people[-1].via})"
    source = entry.evidence.get("source", "the console's page")
    return f"runner: {source}"


def ledger_rows(store: RunStore, limit: int = 1000) -> list[LedgerRow]:
    return [LedgerRow(e, _confirmed_by(store, e)) for e in store.ledger.recent(limit)]


def totals_per_day(rows: list[LedgerRow]) -> list[tuple[str, dict[str, int]]]:
    """Confirmed side effects per day (UTC) and action, newest day first."""
    days: dict[str, Counter[str]] = {}
    for row in rows:
        if row.entry.confirmed_at is not None:
            day = row.entry.confirmed_at.date().isoformat()
            days.setdefault(day, Counter())[row.entry.action] += 1
    return [(day, dict(days[day])) for day in sorted(days, reverse=True)]


def as_csv(rows: list[LedgerRow]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, COLUMNS)
    writer.writeheader()
    for row in rows:
        writer.writerow(_safe(row.values()))
    return out.getvalue()


def _safe(values: dict[str, Any]) -> dict[str, Any]:
    """No cell a spreadsheet would run as a formula (a ticket id is caller text)."""
    return {k: ("'" + v if isinstance(v, str) and v[:1] in "=+-@\t\r" else v)
            for k, v in values.items()}
