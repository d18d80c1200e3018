"""The run's browser session, started only when a step needs a console.

A run that ends at the refund-window gate, or resumes only to ask again, never starts Chromium.
Cookies are kept between the processes of one paused run and dropped when it finishes.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

SessionFactory = Callable[[Path, Path | None], Any]


class SessionHolder:
    """Starts the run's browser context on first use; ``close`` saves or drops its cookies."""

    def __init__(self, factory: SessionFactory, run_dir: Path) -> None:
        self.factory = factory
        self.run_dir = run_dir
        self.cookies = run_dir / "cookies.json"
        self._session: Any = None
        self._kept = False  # its cookies saved, and no step since

    def get(self) -> Any:
        self._kept = False  # a step may change the cookies
        if self._session is None:
            self.run_dir.mkdir(parents=True, exist_ok=True)
            self._session = self.factory(self.run_dir, self.cookies)
        return self._session

    @property
    def started(self) -> bool:
        return self._session is not None

    def keep_cookies(self) -> None:
        """Save the run's cookies now (a run about to pause); ``close`` then need not again."""
        self.get().save_cookies(self.cookies)
        self._kept = True

    def close(self, keep_cookies: bool) -> None:
        if self._session is None:
            return
        if not keep_cookies:
            self.cookies.unlink(missing_ok=True)
        elif not self._kept:  # saved already at the pause, and no step since
            self._session.save_cookies(self.cookies)
        self._session.close()
        self._session = None
