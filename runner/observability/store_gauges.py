"""Gauges read from the store at scrape time: who waits, for how long, and what failed.

A run can wait thirty days, and any process may pause it or pick it up, so a waiting run is
state with an age, not something a process counts: every process that is scraped (the service,
each worker) answers the same figures because each reads them from the one store, when asked.
Four statements per scrape, each over the runs in one status (or failed in the last day).

- waiting for a person (``needs_input``), by reason (the next action's type: ``provide_input``
  for the captcha, ``confirm_side_effect``, ``check_order``), and the oldest one's age since it
  paused (its last save: the captcha's lifetime counts from then);
- waiting for the customer (``waiting``), and the oldest wait's age since the run first paused
  at the step it waits on (a wait re-checks and saves the run every time; that is no new wait);
- queued (``queued``, since ``queued_at``) and the oldest one's age: a backlog that only grows
  older means nobody consumes the queue;
- failed in the last 24 hours, by error kind.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from datetime import datetime, timedelta

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from runner.error_codes import Kind, NextType
from runner.observability.metrics import PREFIX
from runner.store.db import dt, loads, ts
from runner.store.runs import RunStatus, RunStore

PERSON_REASONS = (NextType.PROVIDE_INPUT.value, NextType.CONFIRM_SIDE_EFFECT.value,
                  NextType.CHECK_ORDER.value)  # always answered, 0 when none: alerts need a 0
FAILED_WINDOW = timedelta(hours=24)

_CUSTOMER_WAITS = (
    "SELECT COUNT(*) AS n, MIN(since) AS oldest FROM (SELECT r.run_id, MIN(e.ts) AS since "
    "FROM runs r LEFT JOIN events e ON e.run_id = r.run_id AND e.step = r.current_step "
    "WHERE r.status = ? GROUP BY r.run_id) AS waits")
_QUEUED = "SELECT COUNT(*) AS n, MIN(COALESCE(queued_at, updated_at)) AS oldest FROM runs " \
          "WHERE status = ?"

OpenStore = Callable[[], AbstractContextManager[RunStore]]


class StoreCollector(Collector):
    """A prometheus_client collector over the run store; ``open_store`` gives a store for the
    calling (scraping) thread, closed or kept by whoever made it."""

    def __init__(self, open_store: OpenStore) -> None:
        self.open_store = open_store

    def describe(self) -> Iterator[GaugeMetricFamily]:
        return iter(())  # names are produced at scrape; no store is opened to register

    def collect(self) -> Iterator[GaugeMetricFamily]:
        with self.open_store() as store:
            now = store.clock.now()
            yield from _person_waits(store, now)
            yield from _count_and_age(store, now, _CUSTOMER_WAITS, RunStatus.WAITING,
                                      "runs_waiting_for_customer", "customer_wait_oldest",
                                      "runs waiting for the customer to act")
            yield from _count_and_age(store, now, _QUEUED, RunStatus.QUEUED, "runs_queued",
                                      "queued_oldest", "runs queued and not yet taken")
            yield _failed(store, now)


def _age(now: datetime, since: str | None) -> float:
    moment = dt(since)
    return max((now - moment).total_seconds(), 0.0) if moment else 0.0


def _person_waits(store: RunStore, now: datetime) -> Iterator[GaugeMetricFamily]:
    rows = store.db.execute("SELECT next_action, updated_at FROM runs WHERE status = ?",
                            (RunStatus.NEEDS_INPUT.value,)).fetchall()
    counts: Counter[str] = Counter({reason: 0 for reason in PERSON_REASONS})
    oldest: dict[str, float] = {reason: 0.0 for reason in PERSON_REASONS}
    for row in rows:
        reason = str((loads(row["next_action"]) or {}).get("type") or "unknown")
        counts[reason] += 1
        oldest[reason] = max(oldest.get(reason, 0.0), _age(now, row["updated_at"]))
    count = GaugeMetricFamily(f"{PREFIX}_runs_waiting_for_person",
                              "Runs waiting for a person, by reason.", labels=["reason"])
    age = GaugeMetricFamily(f"{PREFIX}_person_wait_oldest_seconds",
                            "Age of the oldest run waiting for a person, by reason.",
                            labels=["reason"])
    for reason in sorted(counts):
        count.add_metric([reason], counts[reason])
        age.add_metric([reason], oldest[reason])
    yield count
    yield age


def _count_and_age(store: RunStore, now: datetime, statement: str, status: RunStatus,
                   count_name: str, age_name: str, text: str) -> Iterator[GaugeMetricFamily]:
    row = store.db.execute(statement, (status.value,)).fetchone()
    yield GaugeMetricFamily(f"{PREFIX}_{count_name}", f"How many {text}.", value=row["n"] or 0)
    yield GaugeMetricFamily(f"{PREFIX}_{age_name}_seconds", f"Age of the oldest of the {text}.",
                            value=_age(now, row["oldest"]))


def _failed(store: RunStore, now: datetime) -> GaugeMetricFamily:
    rows = store.db.execute("SELECT error FROM runs WHERE status = ? AND updated_at >= ?",
                            (RunStatus.FAILED.value, ts(now - FAILED_WINDOW))).fetchall()
    kinds: Counter[str] = Counter({kind.value: 0 for kind in Kind})
    for row in rows:
        kinds[str((loads(row["error"]) or {}).get("kind") or "unknown")] += 1
    family = GaugeMetricFamily(f"{PREFIX}_runs_failed_24h",
                               "Runs failed in the last 24 hours (still failed), by error kind.",
                               labels=["kind"])
    for kind in sorted(kinds):
        family.add_metric([kind], kinds[kind])
    return family
