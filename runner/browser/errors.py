"""Playwright's errors become the runner's at the browser boundary, so the engine never imports
Playwright: a browser failure that no page object translated is the console's or the browser's,
not ours, and retrying later may help."""

from __future__ import annotations

from playwright.sync_api import Error as PlaywrightError

from runner.errors import ConsoleError, ErrorCode, RunnerError


def browser_error(exc: BaseException, **where: str) -> RunnerError | None:
    """The runner error for a Playwright error (None for anything else)."""
    if not isinstance(exc, PlaywrightError):
        return None
    first = exc.message.splitlines()[0] if exc.message else type(exc).__name__
    return ConsoleError(f"browser error: {first}", code=ErrorCode.BROWSER_ERROR, **where)
