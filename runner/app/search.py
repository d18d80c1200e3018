"""Finding runs the way a support person asks: by ticket, domain, order, status or flow."""

from __future__ import annotations

import json
from dataclasses import dataclass

from runner.store.run_records import Run
from runner.store.runs import RunStore

SCAN = 2000  # newest runs looked through for the text filters


@dataclass(frozen=True)
class RunQuery:
    ticket: str = ""
    domain: str = ""
    order: str = ""
    status: str = ""
    flow: str = ""

    @property
    def empty(self) -> bool:
        return not any((self.ticket, self.domain, self.order, self.status, self.flow))


def _orders(run: Run) -> str:
    """Every value a step output holds, as text, where an order id would be."""
    return json.dumps(run.context.get("steps", {}), default=str).lower()


def search(store: RunStore, query: RunQuery, limit: int = 200) -> list[Run]:
    """Newest first; ticket and domain match a part, case-insensitively."""
    runs = store.list_runs(status=query.status or None, flow=query.flow or None, limit=SCAN)
    ticket, domain, order = (query.ticket.strip().lower(), query.domain.strip().lower(),
                             query.order.strip().lower())
    found = [r for r in runs
             if ticket in r.ticket.lower()
             and domain in str(r.inputs.get("domain", "")).lower()
             and (not order or order in _orders(r))]
    return found[:limit]
