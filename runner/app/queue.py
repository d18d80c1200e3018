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
# How long a delivered, unacknowledged task is kept from other workers: longer than a run's
# longest drive (a few minutes). It is the broker's business only: the store, not the broker,
# says when a run is lost (the claim below, the lease of a running one).
VISIBILITY_TIMEOUT = timedelta(seconds=float(os.environ.get("CERTRUNNER_VISIBILITY_TIMEOUT",
                                                            "600")))
# How long a run stays claimed by the queue before the sweep sends it again: the time a task
# may sit in the broker unstarted. A broker that lost its queue (a Redis restart without
# persistence) costs this much plus one sweep; a backlog longer than this gets a duplicate
# task per run, which finds the run held or done and does nothing.
REQUEUE_AFTER = timedelta(seconds=float(os.environ.get("CERTRUNNER_REQUEUE_SECONDS", "120")))
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


_requeue_after = REQUEUE_AFTER


def use_broker(url: str | None, *, queue: str | None = None,
               visibility_timeout: timedelta | None = None,
               requeue_after: timedelta | None = None) -> Celery:
    """The app, pointed at ``url`` (else ``CERTRUNNER_BROKER``, else local Redis); ``queue``,
    ``visibility_timeout`` and ``requeue_after`` override the environment's for this process."""
    global _requeue_after
    if url and url != celery.conf.broker_url:
        celery.conf.broker_url = url
        _forget_connections()
    if requeue_after is not None:
        _requeue_after = requeue_after
    if queue:
        celery.conf.task_default_queue = queue
    if visibility_timeout is not None:
        celery.conf.broker_transport_options = {
            **celery.conf.broker_transport_options,
            "visibility_timeout": visibility_timeout.total_seconds()}
    return celery


def _forget_connections() -> None:
    """Drop the connections and producers made for the previous broker: Celery keeps them
    for the app's life and would go on sending there (what it does itself after a fork)."""
    if celery._pool is not None:
        celery._pool.force_close_all()
    celery._pool = None
    amqp = celery.__dict__.get("amqp")
    if amqp is not None:
        amqp._producer_pool = None


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
    """How long a run stays claimed by the queue (``CERTRUNNER_REQUEUE_SECONDS``): a task not
    started by then is taken for lost, and the next sweep sends the run again. Independent of
    the visibility timeout: a started task gives the claim back at once and drives under the
    run's lease (``runner.engine.leases``)."""
    return _requeue_after
