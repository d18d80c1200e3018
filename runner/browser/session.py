"""Browser sessions: one Chromium per process, one context per run, saved logins reused.

A run gets its own context (cookies of one run never leak into another), with one tab per
console. The Symantec login is saved as Playwright storage state in a file only its owner can
read, and loaded into every new context, so runs do not log in again each time; when the
console says the session expired, the page object logs in again and the file is rewritten.
A paused run saves its own cookies (the captcha is tied to the GeoTrust session) so that a
resume in another process continues with the same challenge.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any, cast

from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright
from playwright.sync_api import Error as PlaywrightError

from runner.browser.evidence import Journal, save_evidence
from runner.browser.launcher import launch_options
from runner.browser.trace_scrub import context_secrets, scrub_trace
from runner.config import Config
from runner.config.home import private_dir
from runner.logs import get_logger

LOGINS = ("symantec",)  # the consoles whose login is saved and shared by every run


def _write_private(path: Path, data: Any) -> None:
    """Write JSON readable by its owner only, created that way (no window of wider access),
    and swapped in whole: a service's other workers may be reading the file at that moment."""
    private_dir(path.parent)
    partial = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(data, handle)
    os.chmod(partial, 0o600)
    os.replace(partial, path)


def node_compile_cache() -> None:
    """Let Playwright's driver keep its compiled JavaScript between processes.

    Every CLI command that opens a browser starts the driver, a Node.js process that compiles
    several megabytes of Playwright's JavaScript first; Node keeps that work in a folder when
    ``NODE_COMPILE_CACHE`` names one (a start: 0.71 CPU s without, 0.63 with, median of 12
    alternating on the 2-core machine). It holds only compiled Playwright code, so it lives in
    the user's cache folder, shared by every state home. Set by the caller: left alone.
    """
    if os.environ.get("NODE_COMPILE_CACHE"):
        return
    try:
        base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
        folder = Path(base) / "certrunner" / "node-compile-cache"
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    except (OSError, RuntimeError):
        return  # no cache folder: the driver compiles as it always did
    os.environ["NODE_COMPILE_CACHE"] = str(folder)


class BrowserHost:
    """Owns Playwright and the one Chromium process; hands out run sessions.

    With ``cdp_url`` it attaches to a Chromium another owner started (the service's shared
    one, runner.browser.launcher.SharedChromium) instead of launching its own; closing then
    only detaches. With ``browser`` it is lent a Browser its caller owns, on the caller's own
    Playwright and thread (an in-process caller that runs many commands: the test suite's one
    Chromium per worker); closing then leaves that browser open, and each run's context is
    still its own, closed with the run.
    """

    def __init__(self, config: Config, cdp_url: str | None = None, *,
                 browser: Browser | None = None) -> None:
        self.config = config
        self.cdp_url = cdp_url
        self._pw: Playwright | None = None
        self._browser: Browser | None = browser
        self._lent = browser is not None

    def __enter__(self) -> BrowserHost:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def browser(self) -> Browser:
        if self._browser is None:
            node_compile_cache()
            self._pw = sync_playwright().start()
            if self.cdp_url:
                self._browser = self._pw.chromium.connect_over_cdp(self.cdp_url)
            else:
                self._browser = self._pw.chromium.launch(
                    **launch_options(self.config.browser.headless))
        return self._browser

    def session(self, run_dir: Path, cookies_file: Path | None = None, *,
                trace: bool | None = None, config: Config | None = None) -> RunSession:
        """A run session in a new context of the one browser.

        ``trace=False`` for work that never keeps a trace (the selector check), None to follow
        ``browser.trace_on_failure``; ``config`` for a session whose settings differ from the
        host's (a benchmark's tracing on and off).
        """
        return RunSession(config or self.config, self.browser.new_context(), run_dir,
                          cookies_file, trace=trace)

    def close(self) -> None:
        if self._lent:  # its owner closes it
            self._browser = None
            return
        if self._browser is not None:
            self._browser.close()
        if self._pw is not None:
            self._pw.stop()
        self._browser = self._pw = None


class RunSession:
    """A run's browser context; satisfies runner.actions.RunContext.

    The context is handed in, fresh, and closed with the session: ``BrowserHost`` opens one on
    its browser; tests pass pytest-playwright's ``context`` (whose ``--tracing`` and
    ``--screenshot`` options then cover what the session did).
    """

    def __init__(self, config: Config, context: BrowserContext, run_dir: Path,
                 cookies_file: Path | None = None, *, trace: bool | None = None) -> None:
        self.config = config
        self.run_dir = run_dir
        self.login_state_dir = config.login_state
        self.context = context
        self.context.set_default_timeout(config.browser.timeout_ms)
        self.context.set_default_navigation_timeout(config.browser.navigation_timeout_ms)
        if cookies_file and cookies_file.exists():
            self.context.add_cookies(json.loads(cookies_file.read_text()))
        self._pages: dict[str, Page] = {}
        self._logins_loaded: set[str] = set()
        self.journal = Journal()  # what the page objects did: a failed run's evidence
        self._tracing = config.browser.trace_on_failure if trace is None else trace
        if self._tracing:
            # Off by default: a failed run's evidence is taken when it fails (failure_evidence);
            # a trace makes every run pay for a DOM snapshot at each call (bench/README.md).
            # Logins run in a separate, untraced context (pages.symantec), so no password here.
            # A screencast would cost every run about a quarter more CPU again (1.66 s
            # against 1.32 s a ticket, seen on 2 cores).
            self.context.tracing.start(screenshots=False, snapshots=True)

    def __enter__(self) -> RunSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def page(self, console: str) -> Page:
        """One tab per console, opened on first use (the procedure's 'open a new tab')."""
        if console not in self._pages or self._pages[console].is_closed():
            self._load_login(console)
            self._pages[console] = self.context.new_page()
        return self._pages[console]

    def _load_login(self, console: str) -> None:
        """The console's saved login, loaded into the context when its tab first opens: a
        ticket that never reaches the console (most never reach Symantec) pays nothing."""
        if console in LOGINS and console not in self._logins_loaded:
            self._logins_loaded.add(console)
            self.context.add_cookies(self.saved_login(console).get("cookies", []))

    def base_url(self, console: str) -> str:
        return self.config.console(console).base_url

    def credentials(self, console: str) -> tuple[str, str]:
        return self.config.console(console).credentials()

    def login_state_file(self, console: str) -> Path:
        return self.login_state_dir / f"{console}.json"

    def save_login_state(self, console: str, state: dict[str, Any] | None = None) -> None:
        """Keep this console's login for later runs (owner-only file).

        ``state`` is the storage state to keep (e.g. that of the separate context the login
        ran in, so other consoles' cookies stay out); by default, this run's whole context's.
        """
        kept = state if state is not None else cast(dict[str, Any],
                                                        self.context.storage_state())
        _write_private(self.login_state_file(console), kept)

    def saved_login(self, console: str) -> dict[str, Any]:
        """The console's saved login (Playwright's storage state), or nothing saved: {}."""
        state = self.login_state_file(console)
        return json.loads(state.read_text()) if state.exists() else {}

    def forget_login_state(self, console: str) -> None:
        self.login_state_file(console).unlink(missing_ok=True)

    def save_cookies(self, path: Path) -> None:
        """A paused run's own cookies, so its resume continues the same console sessions (the
        GeoTrust session its captcha was read in), on this machine or another (they go to the
        store: runner.app.files). A console login is not the run's own: it stays in this
        machine's login state, and a resume elsewhere logs in with that machine's credentials."""
        logins = {(c.get("name"), c.get("value")) for c in self._login_cookies()}
        own = [c for c in self.context.cookies() if (c.get("name"), c.get("value")) not in logins]
        _write_private(path, own)

    def _login_cookies(self) -> list[dict[str, Any]]:
        return [c for console in LOGINS for c in self.saved_login(console).get("cookies", [])]

    def open_pages(self) -> dict[str, Page]:
        """The console tabs still open, for failure screenshots."""
        return {name: page for name, page in self._pages.items() if not page.is_closed()}

    def stop_loading(self) -> None:
        """Stop every tab's pending load, so each shows what it showed before it.

        A step that failed because a console never answered (a held POST, a page that never
        finished loading) leaves its tab waiting for that answer, and Chromium makes a
        full-page screenshot and the tab's HTML wait on it too: the evidence, and so the run,
        would wait as long as the console holds its answer (seen: two minutes). The step has
        given up on the answer already, and whatever the click did is the ledger's to find
        out on a fresh load, so nothing is lost by dropping it. Chromium's own "stop" (what
        its Stop button does), through the DevTools protocol, since a script in the page
        would wait on the same navigation."""
        for console, page in self.open_pages().items():
            try:
                session = self.context.new_cdp_session(page)
                try:
                    session.send("Page.stopLoading")
                finally:
                    session.detach()
            except PlaywrightError as exc:
                get_logger().warning("stop_loading_failed", console=console, error=exc.message)

    def failure_screenshots(self, run_dir: Path, step_id: str) -> list[str]:
        """A screenshot of every open console tab; one that fails is logged, not raised."""
        paths = []
        for console, page in self.open_pages().items():
            path = run_dir / f"failure-{step_id}-{console}.png"
            try:
                page.screenshot(path=str(path), full_page=True)
            except PlaywrightError as exc:
                get_logger().warning("screenshot_failed", console=console, error=exc.message)
                continue
            paths.append(str(path))
        return paths

    def failure_evidence(self, run_dir: Path, step_id: str,
                         answers: Iterable[str] = ()) -> list[str]:
        """What a failed step leaves (runner.browser.evidence): a screenshot of every open tab,
        the tabs' HTML and ARIA snapshots with the run's journal in one zip, and the trace
        when one was recorded. Taken now, so a run that succeeds pays nothing for it."""
        self.stop_loading()
        shots = self.failure_screenshots(run_dir, step_id)
        secrets = self._secrets()
        bundle = save_evidence(run_dir / f"evidence-{step_id}.zip", self.open_pages(),
                               self.journal, secrets)
        trace = self.save_trace(run_dir / f"trace-{step_id}.zip", answers, secrets)
        return [*shots, str(bundle), *([str(trace)] if trace else [])]

    def _secrets(self) -> list[str]:
        """Every cookie and storage value of this context and of the saved logins."""
        try:
            secrets = context_secrets(cast(dict[str, Any], self.context.storage_state()))
        except PlaywrightError as exc:  # the browser is gone: the saved logins still count
            get_logger().warning("storage_state_unreadable", error=exc.message)
            secrets = []
        for console in LOGINS:
            secrets += context_secrets(self.saved_login(console))
        return secrets

    def save_trace(self, path: Path, answers: Iterable[str] = (),
                   secrets: list[str] | None = None) -> Path | None:
        """Keep what the browser did up to now (for a failed run); None when not tracing.

        The trace is kept with every cookie, storage value and credential header masked
        (runner.browser.trace_scrub): it must not carry a logged-in console's session, nor the
        run's single-use ``answers`` (the captcha's number it typed).
        """
        if not self._tracing:
            return None
        private_dir(path.parent)
        secrets = self._secrets() if secrets is None else secrets
        self.context.tracing.stop(path=str(path))
        self._tracing = False
        scrub_trace(path, secrets, answers)
        return path

    def close(self) -> None:
        if self._tracing:
            self.context.tracing.stop()  # a run that did not fail keeps no trace
        self.context.close()
