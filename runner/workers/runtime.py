"""What one worker process keeps warm: one Chromium, and per task thread its own App.

A worker process runs tasks in several threads (Celery's thread pool). Playwright's sync API
and a store connection both belong to the thread that opened them, so each thread keeps an
``AttachedContext`` (own Playwright and store connection, attached over CDP to the process's
one Chromium), and each run gets its own browser context in it. The browser dies
with the process, even when the process is killed.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from runner.app.context import AppContext
from runner.app.notify import Notifier
from runner.app.pool import AttachedContext
from runner.browser.launcher import SharedChromium
from runner.config import Config
from runner.logs import get_logger


@dataclass
class _Process:
    host_app: AppContext  # owns the built-in sandbox when the config needs one
    config: Config
    chromium: SharedChromium
    notifier: Notifier  # tells the people in the loop when a drive here leaves a run to them


# The console's address for the links in notices (CERTRUNNER_PUBLIC_URL overrides it).
DEFAULT_PUBLIC_URL = "http://127.0.0.1:8700"
_state: _Process | None = None
_local = threading.local()
_lock = threading.Lock()


def start(config_path: str | None = None) -> None:
    """Start this process's Chromium (it dies with this process: see SharedChromium)."""
    global _state
    host = AppContext(config_path)
    config = host.live_config()
    chromium = SharedChromium(headless=config.browser.headless)
    notifier = Notifier.from_env(DEFAULT_PUBLIC_URL)
    notifier.start()
    _state = _Process(host, config, chromium, notifier)
    get_logger().info("worker_started", chromium_pid=chromium.pid)


def app() -> AppContext:
    """This thread's App: made on first use, kept for the thread's life."""
    found: AppContext | None = getattr(_local, "app", None)
    if found is None:
        with _lock:
            if _state is None:
                start()
            assert _state is not None
            found = AttachedContext(_state.config, _state.chromium.ws_url,
                                    _state.host_app.catalogue)
        _local.app = found
    return found


def config() -> Config:
    assert _state is not None, "runtime.start() first"
    return _state.config


def notifier() -> Notifier | None:
    return _state.notifier if _state is not None else None


def browser_up() -> bool:
    return _state is not None and _state.chromium.process.poll() is None


def stop() -> None:
    global _state
    if _state is not None:
        _state.notifier.stop()
        _state.chromium.stop()
        _state.host_app.close()
        _state = None
