"""Waiting out a store outage inside a drive, instead of failing the task on the first error.

The store's own errors are transient for the runner, as a console's are: a drive that meets
one (``StoreUnavailable``) stops where it is, waits until the store answers, and goes on from the
run's last saved step, the way a resume would, in the same task and with the same browser
session. Whether the store answers can only be seen by asking it, so the wait probes it with
backoff (half a second, doubling, at most ``MAX_PROBE_GAP`` apart) until it answers or
``CERTRUNNER_STORE_PATIENCE_SECONDS`` (default 120) have passed. Past that the drive gives up:
the run is left ``running`` with its lease let go as soon as the store is back
(``runner.engine.leases``), and the next sweep hands it to a worker.
"""

from __future__ import annotations

import os
import threading
import time
from datetime import timedelta

from runner.logs import get_logger
from runner.store.runs import RunStore, StoreError

PATIENCE = timedelta(seconds=float(os.environ.get("CERTRUNNER_STORE_PATIENCE_SECONDS", "120")))
FIRST_PROBE_GAP = timedelta(seconds=0.5)
MAX_PROBE_GAP = timedelta(seconds=5)


def wait_for_store(store: RunStore, patience: timedelta = PATIENCE) -> bool:
    """True as soon as the store answers; False if it did not within ``patience``."""
    log = get_logger()
    deadline = time.monotonic() + patience.total_seconds()
    gap, probes = FIRST_PROBE_GAP.total_seconds(), 0
    pause = threading.Event()  # never set: its wait is the gap between two probes
    while True:
        probes += 1
        try:
            store.ping()
        except StoreError as exc:
            left = deadline - time.monotonic()
            if left <= 0:
                log.error("store_still_unavailable", probes=probes, error=str(exc))
                return False
            pause.wait(min(gap, left))
            gap = min(gap * 2, MAX_PROBE_GAP.total_seconds())
            continue
        log.info("store_back", probes=probes)
        return True
