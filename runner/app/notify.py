"""Tell the people in the loop: one POST to a webhook when a run starts waiting for a person:
paused for an answer, or failed with a person's task as its next action (drift, a console down
after every retry, an order to check or review, the configuration or the ticket to fix: the
catalogue's ``NextType.person_task``, the same runs the inbox shows).

Slack-compatible JSON (``{"text": ...}``) with a link to the run's page in the console. Sent
from a thread of its own with a few retries and growing pauses, so a slow or dead webhook never
holds a run, a worker or a request; what could not be sent is logged, not raised.
"""

from __future__ import annotations

import json
import os
import queue
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import timedelta

from runner.engine.result import RunResult
from runner.error_codes import NextType
from runner.logs import get_logger

URL_VAR = "CERTRUNNER_NOTIFY_URL"
PUBLIC_URL_VAR = "CERTRUNNER_PUBLIC_URL"  # how people reach the console (behind a proxy)
ATTEMPTS = 4
FIRST_PAUSE = timedelta(seconds=2)
TIMEOUT = timedelta(seconds=10)
ALERTING = {NextType.ALERT_MAINTAINERS: "drift (a console page changed)",
            NextType.ALERT_CONSOLE_DOWN: "a console is down"}


@dataclass(frozen=True)
class Notice:
    key: tuple[str, str, str]  # run, status, what it waits for: one notice per wait
    text: str


def notice_for(result: RunResult, base_url: str) -> Notice | None:
    """The notice a drive's end deserves, or None (it waits for nobody)."""
    action = result.next_action
    kind = action.type if action is not None else None
    link = f"{base_url.rstrip('/')}/console/runs/{result.run_id}"
    where = f"ticket {result.ticket} ({result.flow})"
    if result.status == "needs_input" and action is not None:
        return Notice((str(result.run_id), "needs_input", getattr(action, "expires_at", "") or
                       str(getattr(action, "input", ""))),
                      f"A person is needed on {where}: {action.summary} {link}")
    if result.status == "failed" and kind is not None and NextType(kind).person_task:
        code = (result.error or {}).get("code", "")
        what = ALERTING.get(NextType(kind)) or f"a person must act ({kind})"
        return Notice((str(result.run_id), "failed", str(code)),
                      f"Run failed on {where}: {what} [{code}]. {link}")
    return None


def queue_notice(run_id: str, ticket: str, waited_minutes: int, base_url: str) -> Notice:
    """A run queued for the workers that none has taken: nobody consumes the queue."""
    link = f"{base_url.rstrip('/')}/console/runs/{run_id}"
    return Notice((run_id, "queued", "not_consumed"),
                  f"Ticket {ticket} has been queued for {waited_minutes} minutes and no worker "
                  f"has taken it: check that `certrunner worker` runs. {link}")


class Notifier:
    """Posts in the background; ``after_drive`` is called when a drive of a run ends."""

    def __init__(self, url: str | None, base_url: str) -> None:
        self.url = url
        self.base_url = base_url
        self.log = get_logger()
        self._queue: queue.Queue[Notice | None] = queue.Queue()
        self._sent: set[tuple[str, str, str]] = set()
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None

    @classmethod
    def from_env(cls, base_url: str) -> Notifier:
        return cls(os.environ.get(URL_VAR) or None, os.environ.get(PUBLIC_URL_VAR) or base_url)

    def start(self) -> None:
        if self.url and self._thread is None:
            self._thread = threading.Thread(target=self._work, name="notify", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stopped.set()
        self._queue.put(None)

    def after_drive(self, result: RunResult) -> None:
        if not self.url:
            return
        notice = notice_for(result, self.base_url)
        if notice is not None:
            self.send_once(notice)

    def send_once(self, notice: Notice) -> None:
        """Queue ``notice`` unless this process sent it already (one notice per wait)."""
        if not self.url:
            return
        with self._lock:
            if notice.key in self._sent:
                return
            self._sent.add(notice.key)
        self._queue.put(notice)

    def _work(self) -> None:
        while (notice := self._queue.get()) is not None:
            self._send(notice)

    def _send(self, notice: Notice) -> None:
        assert self.url is not None
        body = json.dumps({"text": notice.text}).encode()
        pause = FIRST_PAUSE.total_seconds()
        for attempt in range(1, ATTEMPTS + 1):
            request = urllib.request.Request(self.url, body, method="POST",
                                             headers={"Content-Type": "application/json"})
            try:
                with urllib.request.urlopen(request, timeout=TIMEOUT.total_seconds()):
                    self.log.info("notified", run_id=notice.key[0], attempt=attempt)
                    return
            except (urllib.error.URLError, OSError) as exc:
                self.log.warning("notify_failed", run_id=notice.key[0], attempt=attempt,
                                 error=str(exc))
            if self._stopped.wait(pause):  # a stop ends the pauses, not a run
                return
            pause *= 2
