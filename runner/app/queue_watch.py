"""A queue nobody consumes must not look like a busy one: runs queued for the workers longer
than ``CERTRUNNER_QUEUE_ALERT_SECONDS`` (default 600) are reported at ``error`` in the log and
through the notification webhook, by whichever process looks (the service's scheduler, the
sweep). The metric ``certrunner_queued_oldest_seconds`` and its alert say the same to
Prometheus, and ``status`` says "queued N minutes ago, no worker has taken it yet"."""

from __future__ import annotations

import os
from datetime import datetime, timedelta

from runner.app.notify import Notifier, queue_notice
from runner.logs import get_logger
from runner.store.runs import Run, RunStatus, RunStore

ALERT_VAR = "CERTRUNNER_QUEUE_ALERT_SECONDS"


def alert_after() -> timedelta:
    return timedelta(seconds=float(os.environ.get(ALERT_VAR) or 600))


def stale_queued(store: RunStore, now: datetime, after: timedelta) -> list[Run]:
    """Queued runs no worker has taken for longer than ``after``, oldest first."""
    runs = store.list_runs(status=RunStatus.QUEUED.value, newest_first=False)
    return [r for r in runs if now - (r.queued_at or r.created_at) > after]


def report_stale(store: RunStore, now: datetime, notifier: Notifier | None) -> int:
    """Log (at error) and notify each queued run nobody has taken; returns how many."""
    stale = stale_queued(store, now, alert_after())
    for run in stale:
        minutes = int((now - (run.queued_at or run.created_at)).total_seconds() // 60)
        get_logger().error("queue_not_consumed", run_id=run.run_id, ticket=run.ticket,
                           queued_minutes=minutes)
        if notifier is not None:
            notifier.send_once(queue_notice(run.run_id, run.ticket, minutes,
                                            notifier.base_url))
    return len(stale)
