"""The command line's text for a person: a run list as a table, a run's history, the due
report. The JSON under ``--json`` has every field; these are for reading at a glance."""

from __future__ import annotations

import shlex
from typing import Any


def _command_text(next_action: dict[str, Any] | None) -> str:
    command = (next_action or {}).get("command")
    return shlex.join(command) if isinstance(command, list) else str(command or "")


def table(rows: list[dict[str, Any]]) -> str:
    """One line per run for a person; the JSON has every field."""
    if not rows:
        return "no runs"
    lines = [f"{'RUN':<17} {'TICKET':<12} {'FLOW':<14} {'STATUS':<12} {'AT / OUTCOME':<20} "
             "UPDATED"]
    for r in rows:
        where = r["outcome"] or r["current_step"] or ""
        lines.append(f"{r['run_id']:<17} {r['ticket']:<12} {r['flow']:<14} {r['status']:<12} "
                     f"{where:<20} {(r['updated_at'] or '')[:19]}")
    return "\n".join(lines)


def detail_text(detail: dict[str, Any], head: str) -> str:
    """``head`` (the run's summary) then its events, decisions and ledger, a line each."""
    lines = [head, "  events:"]
    for e in detail["events"]:
        extra = e["data"].get("detail") or e["data"].get("reason") or ""
        lines.append(f"    {e['seq']:>3} {e['ts'][:19]} {e['step'] or '-':<18} {e['kind']:<8} "
                     f"{e['status'] or '':<9} {extra}")
    if detail["decisions"]:
        lines.append("  decisions:")
        for d in detail["decisions"]:
            lines.append(f"    {d['ts'][:19]} {d['actor']} ({d['via']}): {d['action']}")
    lines.append("  ledger:" if detail["ledger"] else "  ledger: (no side effects)")
    for entry in detail["ledger"]:
        lines.append(f"    {entry['action']} order {entry['order_key']}: {entry['status']} "
                     f"(attempted {entry['attempted_at'][:19]})")
    return "\n".join(lines)


def due_summary(resumed: list[str], waiting: list[dict[str, Any]]) -> str:
    """What cron resumed (a summary each), then what only a person can move."""
    lines = resumed or ["no runs are due"]
    if waiting:
        lines.append(f"{len(waiting)} run(s) wait for a person (needs_input):")
        for row in waiting:
            action = row["next_action"] or {}
            lines.append(f"  {row['run_id']}  ticket {row['ticket']}  {row['flow']}: "
                         f"{action.get('summary', '')}")
            if action.get("command"):
                lines.append(f"    run: {_command_text(action)}")
    return "\n".join(lines)
