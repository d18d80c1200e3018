"""The one config loader: YAML in, checked field by field, frozen dataclasses out.

Every field is checked against ``runner.config.schema`` before anything is built, so a bad file
is one error listing every problem with its line. State paths (``home``, ``store``,
``artifacts``, ``sandbox.db``) are absolute in the result: a relative path resolves against the
state home (``runner.config.home``), never against the current directory, and the environment
(``CERTRUNNER_HOME``, ``CERTRUNNER_STORE``, ``CERTRUNNER_ARTIFACTS``, ``SANDBOX_DB``) overrides
the file. Console URLs of the form ``sandbox:/pm`` are placeholders for the built-in sandbox,
filled in by ``with_sandbox_url`` once the sandbox is listening.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

from runner.config import schema
from runner.config.home import HOME_VAR, state_home, under
from runner.config.retry import RetryPolicy
from runner.config.schema import CONSOLES, SANDBOX_SCHEME, ConfigFileError
from runner.errors import ConfigError, ErrorCode
from runner.language import yaml_lines
from runner.language.yaml_lines import FlowError
from runner.shipped import CONFIG_DIR
from runner.store.dialect import is_url

DEFAULT_CONFIG = CONFIG_DIR / "default.yaml"
__all__ = ["CONSOLES", "DEFAULT_CONFIG", "SANDBOX_SCHEME", "BrowserConfig", "Config",
           "ConsoleConfig", "SelectorSettings", "load_config"]


@dataclass(frozen=True)
class ConsoleConfig:
    name: str
    base_url: str
    username_env: str | None = None
    password_env: str | None = None
    default_username: str | None = None
    default_password: str | None = None

    def credentials(self) -> tuple[str, str]:
        """Read credentials from the environment at the moment they are needed, never earlier."""
        user = os.environ.get(self.username_env or "", "") or self.default_username
        password = os.environ.get(self.password_env or "", "") or self.default_password
        if not user or not password:
            raise ConfigError(
                f"no credentials for console {self.name}: set {self.username_env} and "
                f"{self.password_env} in the environment",
                code=ErrorCode.CREDENTIALS_MISSING, page=self.name)
        return user, password


@dataclass(frozen=True)
class BrowserConfig:
    headless: bool = True
    timeout: timedelta = timedelta(seconds=10)  # YAML: browser.timeout_ms
    # A page that is slow to come is not missing: navigations, and the load a missing element
    # is confirmed on, wait this long (YAML: browser.navigation_timeout_ms).
    navigation_timeout: timedelta = timedelta(seconds=30)
    read_retries: int = 2
    # A Playwright trace recorded for every run, kept when it fails: off, since a failed run's
    # evidence is taken when it fails (runner.browser.evidence); on, for a hard case.
    trace_on_failure: bool = False

    @property
    def timeout_ms(self) -> float:
        """The timeout in Playwright's unit."""
        return self.timeout.total_seconds() * 1000

    @property
    def navigation_timeout_ms(self) -> float:
        return self.navigation_timeout.total_seconds() * 1000


@dataclass(frozen=True)
class SelectorSettings:
    """The nightly selector check's history (YAML: ``selectors:``)."""

    # A page checked from a run's snapshot is ``stale`` once no run passed it for this long.
    snapshot_stale: timedelta = timedelta(days=7)  # YAML: selectors.snapshot_stale_days
    keep_nights: int = 30  # nights of reports kept in the state home's reports folder


@dataclass(frozen=True)
class Config:
    path: Path
    environment: str
    consoles: dict[str, ConsoleConfig]
    refund_window: timedelta
    home: Path  # every state path below is absolute; by default each sits in the home
    store: Path
    artifacts: Path
    browser: BrowserConfig
    sandbox_builtin: bool
    sandbox_db: Path
    canary: dict[str, str] = field(default_factory=dict)
    # A PostgreSQL store (``postgresql://...``) shared by several machines; None: the SQLite
    # file ``store``. Other state (logins, artifacts) stays beside ``store`` on each machine.
    store_url: str | None = None
    retries: RetryPolicy = field(default_factory=RetryPolicy)
    selectors: SelectorSettings = field(default_factory=SelectorSettings)

    @property
    def store_target(self) -> str | Path:
        """What ``RunStore`` opens: the database URL, else the file."""
        return self.store_url or self.store

    @property
    def login_state(self) -> Path:
        """Saved console logins (owner-only files), kept between runs."""
        return self.home / "login-state"

    @property
    def is_sandbox(self) -> bool:
        return self.environment == "sandbox"

    @property
    def needs_sandbox(self) -> bool:
        return any(c.base_url.startswith(SANDBOX_SCHEME) for c in self.consoles.values())

    def console(self, name: str) -> ConsoleConfig:
        try:
            return self.consoles[name]
        except KeyError:
            raise ConfigError(f"config {self.path} has no console {name!r}",
                              code=ErrorCode.CONSOLE_UNKNOWN) from None

    def with_sandbox_url(self, url: str) -> Config:
        """A copy whose ``sandbox:/x`` URLs point at a running sandbox."""
        consoles = {
            name: replace(c, base_url=url.rstrip("/") + c.base_url[len(SANDBOX_SCHEME):])
            if c.base_url.startswith(SANDBOX_SCHEME) else c
            for name, c in self.consoles.items()
        }
        return replace(self, consoles=consoles)

    def with_console_url(self, name: str, url: str) -> Config:
        consoles = dict(self.consoles)
        consoles[name] = replace(self.console(name), base_url=url)
        return replace(self, consoles=consoles)

    def with_headless(self, headless: bool) -> Config:
        return replace(self, browser=replace(self.browser, headless=headless))



def _read(chosen: Path) -> Any:
    """The file's YAML with lines, or a ConfigError naming the file."""
    try:
        return yaml_lines.load(chosen)
    except FlowError as exc:  # the shared YAML reader's error, re-raised as a config's
        if exc.issues:
            raise ConfigFileError(exc.message, exc.issues) from None
        code = (ErrorCode.CONFIG_NOT_FOUND if exc.code == ErrorCode.FLOW_NOT_FOUND
                else ErrorCode.CONFIG_UNREADABLE)
        raise ConfigError(f"config file {exc.message}", code=code) from None


def _state_paths(raw: Mapping[str, Any], env: Mapping[str, str]) -> dict[str, Any]:
    """Home, store, artifacts and sandbox DB: environment first, then the file, then defaults.
    A ``postgresql://`` store is kept as ``store_url``; ``store`` then stays the default file's
    path (its folder still holds this machine's logins)."""
    from_file = raw.get("home") and not env.get(HOME_VAR, "").strip()
    home = Path(raw["home"]).expanduser() if from_file else state_home(env)
    sandbox = raw.get("sandbox") or {}
    store = str(env.get("CERTRUNNER_STORE") or raw.get("store") or "runs.db")
    store_url = store if is_url(store) else None
    chosen = {
        "store": "runs.db" if store_url else store,
        "artifacts": env.get("CERTRUNNER_ARTIFACTS") or raw.get("artifacts") or "artifacts",
        "sandbox_db": env.get("SANDBOX_DB") or sandbox.get("db") or "sandbox.db",
    }
    return {"home": home, "store_url": store_url,
            **{key: under(home, value) for key, value in chosen.items()}}


def _retries(given: Mapping[str, Any], path: Path) -> RetryPolicy:
    """``retries:`` (each key range-checked by the schema): how often and how far apart a run
    that failed on a console is tried again."""
    default = RetryPolicy()
    first = timedelta(seconds=given.get("first_delay_s", default.first.total_seconds()))
    cap = timedelta(seconds=given.get("max_delay_s", default.cap.total_seconds()))
    if cap < first:
        raise ConfigError(f"{path}: retries.max_delay_s is below retries.first_delay_s",
                          code=ErrorCode.CONFIG_INVALID)
    return RetryPolicy(attempts=int(given.get("console_attempts", default.attempts)),
                       first=first, cap=cap)


def _selectors(given: Mapping[str, Any]) -> SelectorSettings:
    default = SelectorSettings()
    return SelectorSettings(
        snapshot_stale=timedelta(days=given.get("snapshot_stale_days",
                                                default.snapshot_stale.days)),
        keep_nights=int(given.get("keep_nights", default.keep_nights)))


def load_config(path: Path | str | None = None, env: Mapping[str, str] | None = None) -> Config:
    """Load a config file (default: the shipped default.yaml); env CERTRUNNER_CONFIG overrides.

    Raises ConfigFileError with every problem of the file at once.
    """
    env = os.environ if env is None else env
    chosen = Path(path or env.get("CERTRUNNER_CONFIG") or DEFAULT_CONFIG).expanduser()
    raw = _read(chosen)
    schema.check(raw, str(chosen))
    given = raw.get("consoles") or {}
    consoles = {name: ConsoleConfig(name=name, **{k: str(v) for k, v in
                                                  (given.get(name) or {"base_url": ""}).items()})
                for name in CONSOLES}
    browser = dict(raw.get("browser") or {})
    if "timeout_ms" in browser:
        browser["timeout"] = timedelta(milliseconds=browser.pop("timeout_ms"))
    if "navigation_timeout_ms" in browser:
        browser["navigation_timeout"] = timedelta(
            milliseconds=browser.pop("navigation_timeout_ms"))
    return Config(
        path=chosen.resolve(),
        environment=str(raw.get("environment", "sandbox")),
        consoles=consoles,
        refund_window=timedelta(days=raw.get("refund_window_days", 30)),
        browser=BrowserConfig(**browser),
        sandbox_builtin=bool((raw.get("sandbox") or {}).get("builtin", False)),
        canary={str(k): str(v) for k, v in (raw.get("canary") or {}).items()},
        retries=_retries(raw.get("retries") or {}, chosen),
        selectors=_selectors(raw.get("selectors") or {}),
        **_state_paths(raw, env),
    )
