"""What every application call works with: config, store, sandbox and browser, all lazy.

One per command-line invocation, one per worker thread of the service and of a Celery worker
(``runner.app.pool.AttachedContext``). Lazy so that `status` or `flows validate` never start a
browser or a sandbox, and so that a call that does need them starts each exactly once.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from runner.clock import Clock, clock_from_env
from runner.config import Config, load_config
from runner.config.home import private_dir, restrict_new_files
from runner.errors import ConfigError, ErrorCode

if TYPE_CHECKING:
    from playwright.sync_api import Browser

    from runner.actions import Catalogue
    from runner.browser.session import BrowserHost
    from runner.store.runs import RunStore
    from sandbox.server import SandboxServer


class AppContext:
    """One per invocation or worker thread; close() releases whatever was started.

    ``browser`` lends it a Chromium its caller owns (see ``BrowserHost``): an in-process caller
    of many commands pays for one browser, not one a command; close() leaves it open.
    """

    def __init__(self, config_path: str | None = None, headed: bool = False, *,
                 browser: Browser | None = None) -> None:
        restrict_new_files()  # state holds emails and cookies: owner-only from the first file
        self.config_path = config_path
        self.headed = headed
        self._lent_browser = browser
        self._config: Config | None = None
        self._store: RunStore | None = None
        self._sandbox: SandboxServer | None = None
        self._host: BrowserHost | None = None
        self._catalogue: Catalogue | None = None

    @property
    def config(self) -> Config:
        if self._config is None:
            config = load_config(self.config_path)
            self._config = config.with_headless(not self.headed) if self.headed else config
        return self._config

    @property
    def catalogue(self) -> Catalogue:
        """Every action flows may name, built once per command from the action modules."""
        if self._catalogue is None:
            from runner.actions import load_catalogue

            self._catalogue = load_catalogue()
        return self._catalogue

    @property
    def clock(self) -> Clock:
        return clock_from_env(allow_override=self.config.is_sandbox)

    @property
    def store(self) -> RunStore:
        if self._store is None:
            from runner.store.runs import RunStore

            private_dir(self.config.store.parent)
            self._store = RunStore(self.config.store_target)
        return self._store

    def live_config(self) -> Config:
        """The config with sandbox URLs filled in, starting the built-in sandbox if needed."""
        config = self.config
        if not config.needs_sandbox:
            return config
        external = os.environ.get("SANDBOX_URL")
        if external:
            return config.with_sandbox_url(external)
        if self._sandbox is None:
            self._sandbox = _start_sandbox(config.sandbox_db)
        return config.with_sandbox_url(self._sandbox.url)

    @property
    def host(self) -> BrowserHost:
        if self._host is None:
            from runner.browser.session import BrowserHost

            self._host = BrowserHost(self.live_config(), browser=self._lent_browser)
        return self._host

    def close(self) -> None:
        if self._host is not None:
            self._host.close()
        if self._sandbox is not None:
            self._sandbox.stop()
        if self._store is not None:
            self._store.close()


def _start_sandbox(db_path: Path) -> SandboxServer:
    """The built-in sandbox on a free port; a DB path it cannot use is a config error."""
    import sqlite3

    from runner.extras import require

    require("sandbox", "the built-in sandbox")
    from sandbox.server import SandboxServer

    if db_path.is_dir():
        raise ConfigError(f"the sandbox database {db_path} is a folder; point SANDBOX_DB (or "
                          "sandbox.db in the config) at a file", code=ErrorCode.SANDBOX_DB_INVALID)
    private_dir(db_path.parent)
    try:
        return SandboxServer(db_path, port=0).start()
    except (sqlite3.Error, OSError) as exc:
        raise ConfigError(f"cannot start the sandbox on {db_path}: {exc}",
                          code=ErrorCode.SANDBOX_DB_INVALID) from exc
