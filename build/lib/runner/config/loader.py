"""The one config loader: YAML in, frozen dataclasses out.

Relative paths in the config resolve against the current directory, so the same default config
works from a checkout and from CI. Console URLs of the form ``sandbox:/pm`` are placeholders for
the built-in sandbox; they are filled in by ``with_sandbox_url`` once the sandbox is listening.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import yaml

from runner.errors import ConfigError

CONSOLES = ("pm", "symantec", "geotrust", "mail", "portal")
DEFAULT_CONFIG = Path(__file__).resolve().parent / "default.yaml"
SANDBOX_SCHEME = "sandbox:"


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
                code="credentials_missing", page=self.name)
        return user, password


@dataclass(frozen=True)
class BrowserConfig:
    headless: bool = True
    timeout_ms: int = 10_000
    read_retries: int = 2
    trace_on_failure: bool = True  # a Playwright trace of a failed run, for the maintainers


@dataclass(frozen=True)
class Config:
    path: Path
    environment: str
    consoles: dict[str, ConsoleConfig]
    refund_window: timedelta
    store: Path
    artifacts: Path
    browser: BrowserConfig
    sandbox_builtin: bool
    sandbox_db: Path
    canary: dict[str, str] = field(default_factory=dict)

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
                              code="console_unknown") from None

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


def _section(raw: dict[str, Any], key: str, path: Path) -> dict[str, Any]:
    value = raw.get(key) or {}
    if not isinstance(value, dict):
        raise ConfigError(f"{path}: '{key}' must be a mapping", code="config_invalid")
    return value


def load_config(path: Path | str | None = None) -> Config:
    """Load a config file (default: config/default.yaml); env CERTRUNNER_CONFIG overrides."""
    chosen = Path(path or os.environ.get("CERTRUNNER_CONFIG") or DEFAULT_CONFIG)
    try:
        raw = yaml.safe_load(chosen.read_text())
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {chosen}", code="config_not_found") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{chosen}: malformed YAML: {exc}", code="config_invalid") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{chosen}: expected a mapping at the top", code="config_invalid")
    consoles_raw = _section(raw, "consoles", chosen)
    unknown = set(consoles_raw) - set(CONSOLES)
    if unknown:
        raise ConfigError(f"{chosen}: unknown consoles {sorted(unknown)}", code="config_invalid")
    for key in ("password", "username"):
        for name, c in consoles_raw.items():
            if key in (c or {}):
                raise ConfigError(f"{chosen}: consoles.{name}.{key}: credentials belong in the "
                                  f"environment, not in YAML", code="config_secret_in_yaml")
    consoles = {name: ConsoleConfig(name=name, **(consoles_raw.get(name) or {"base_url": ""}))
                for name in CONSOLES}
    environment = str(raw.get("environment", "sandbox"))
    if environment not in ("sandbox", "production"):
        raise ConfigError(f"{chosen}: environment must be sandbox or production",
                          code="config_invalid")
    sandbox = _section(raw, "sandbox", chosen)
    browser = _section(raw, "browser", chosen)
    env_db = os.environ.get("SANDBOX_DB")
    return Config(
        path=chosen,
        environment=environment,
        consoles=consoles,
        refund_window=timedelta(days=float(raw.get("refund_window_days", 30))),
        store=Path(os.environ.get("CERTRUNNER_STORE") or raw.get("store", "var/runs.db")),
        artifacts=Path(os.environ.get("CERTRUNNER_ARTIFACTS")
                       or raw.get("artifacts", "var/artifacts")),
        browser=BrowserConfig(**browser),
        sandbox_builtin=bool(sandbox.get("builtin", False)),
        sandbox_db=Path(env_db or sandbox.get("db", "var/sandbox.db")),
        canary={str(k): str(v) for k, v in _section(raw, "canary", chosen).items()},
    )
