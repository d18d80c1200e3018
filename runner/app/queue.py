"""The queue to the worker fleet: a Celery app on a Redis broker, late acknowledgement, and the
beat schedule. The application layer sends tasks by name (``send_advance``); the workers door
(``runner.workers.tasks``) defines them on this same app.

Delivery is at least once, by choice: a task is acknowledged only when it has finished
(``acks_late``), a worker that dies loses nothing (``reject_on_worker_lost``, and Redis hands an
unacknowledged task to another worker once the visibility timeout passes). So a task may run
twice; every task is idempotent, and the ledger, not the queue, keeps a refund to one per order.
Nothing secret travels through the broker: a task carries a run id and a claim, never inputs.
"""

from __future__ import annotations

import os
from datetime import timedelta

from celery import Celery
from celery.schedules import crontab

BROKER_VAR = "CERTRUNNER_BROKER"
# How long a delivered, unacknowledged task is kept from other workers; also how long a run
# stays claimed by the queue before the sweep may enqueue it again. Longer than a run's
# longest drive (a few minutes), shorter than anyone would wait for a lost one.
VISIBILITY_TIMEOUT = timedelta(seconds=float(os.environ.get("CERTRUNNER_VISIBILITY_TIMEOUT",
                                                            "600")))
SWEEP_EVERY = timedelta(seconds=float(os.environ.get("CERTRUNNER_SWEEP_SECONDS", "60")))
NIGHTLY_HOUR_UTC = int(os.environ.get("CERTRUNNER_SELECTOR_CHECK_HOUR", "2"))

celery = Celery("certrunner", include=["runner.workers.tasks"])
celery.conf.update(
    broker_url=os.environ.get(BROKER_VAR, "redis://127.0.0.1:6379/0"),
    task_default_queue=os.environ.get("CERTRUNNER_QUEUE", "certrunner"),
    broker_transport_options={"visibility_timeout": VISIBILITY_TIMEOUT.total_seconds()},
    broker_connection_retry_on_startup=True,
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    task_acks_on_failure_or_timeout=True,  # a task that raised is done; the run says why
    worker_prefetch_multiplier=1,  # a worker holds no more tasks than it is running
    task_ignore_result=True,  # answers live in the run store, not in a result backend
    task_serializer="json",
    accept_content=["json"],
    worker_hijack_root_logger=False,
    timezone="UTC",
    beat_schedule={
        "sweep": {"task": "certrunner.sweep", "schedule": SWEEP_EVERY.total_seconds()},
        "nightly-selector-check": {"task": "certrunner.verify_selectors",
                                   "schedule": crontab(hour=NIGHTLY_HOUR_UTC, minute=0)},
    },
)


def use_broker(url: str | None, *, queue: str | None = None,
               visibility_timeout: timedelta | None = None) -> Celery:
    """The app, pointed at ``url`` (else ``CERTRUNNER_BROKER``, else local Redis); ``queue``
    and ``visibility_timeout`` override the environment's for this process."""
    if url:
        celery.conf.broker_url = url
    if queue:
        celery.conf.task_default_queue = queue
    if visibility_timeout is not None:
        celery.conf.broker_transport_options = {
            **celery.conf.broker_transport_options,
            "visibility_timeout": visibility_timeout.total_seconds()}
    return celery


def send_advance(run_id: str, owner: str, task_id: str) -> bool:
    """Send the task that drives ``run_id`` (by name: the workers define it); False when the
    broker cannot be reached (the run stays queued in the store for the sweep)."""
    from kombu.exceptions import OperationalError

    try:
        celery.send_task("certrunner.advance", args=(run_id, owner), task_id=task_id,
                         retry=False)
    except (OperationalError, OSError):
        return False
    return True


def claim_ttl() -> timedelta:
    """How long a run stays claimed by the queue: the broker's visibility timeout, so the
    store makes a run due again when the broker would hand its task to another worker."""
    return timedelta(seconds=float(celery.conf.broker_transport_options["visibility_timeout"]))
