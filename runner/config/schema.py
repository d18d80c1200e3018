"""What a config file may say, checked field by field before anything starts.

A config mistake found halfway through a refund is a config mistake found too late, so the whole
file is read with the flow loader's line-keeping YAML and every field is checked against the
table below; every problem is reported at once, as ``file:line: field: message`` with a
did-you-mean for misspelt keys, like a flow's.

Durations carry their unit in the key (``timeout_ms`` in milliseconds, ``refund_window_days`` in
days) and are whole numbers; inside the runner they are ``timedelta``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from runner.errors import ConfigError, ErrorCode
from runner.language.parse import did_you_mean
from runner.language.yaml_lines import Issue, LineDict, line_of

CONSOLES = ("pm", "symantec", "geotrust", "mail", "portal")
ENVIRONMENTS = ("sandbox", "production")
SANDBOX_SCHEME = "sandbox:"
_ENV_NAME = re.compile(r"[A-Z_][A-Z0-9_]*\Z")

# A check returns what is wrong with a value, or None.
Check = Callable[[Any], str | None]


class ConfigFileError(ConfigError):
    """A config file breaks the schema; ``issues`` lists every problem with its line."""

    def __init__(self, message: str, issues: list[Issue],
                 code: ErrorCode = ErrorCode.CONFIG_INVALID) -> None:
        super().__init__(message, code=code)
        self.issues = issues

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "issues": [str(issue) for issue in self.issues]}


def whole(low: int, high: int, unit: str) -> Check:
    def check(value: Any) -> str | None:
        if isinstance(value, bool) or not isinstance(value, int):
            return f"expected a whole number of {unit}, got {value!r}"
        if not low <= value <= high:
            return f"{value} is out of range ({low} to {high} {unit})"
        return None
    return check


def boolean(value: Any) -> str | None:
    return None if isinstance(value, bool) else f"expected true or false, got {value!r}"


def text(value: Any) -> str | None:
    return None if isinstance(value, str) and value.strip() else f"expected text, got {value!r}"


def choice(*allowed: str) -> Check:
    def check(value: Any) -> str | None:
        if value in allowed:
            return None
        return f"expected one of {', '.join(allowed)}, got {value!r}{did_you_mean(value, allowed)}"
    return check


def env_name(value: Any) -> str | None:
    if isinstance(value, str) and _ENV_NAME.match(value):
        return None
    return f"expected the name of an environment variable (like SYMANTEC_PASSWORD), got {value!r}"


def base_url(value: Any) -> str | None:
    if not isinstance(value, str):
        return f"expected a URL, got {value!r}"
    if value == "" or value.startswith((SANDBOX_SCHEME + "/", "http://", "https://")):
        return None
    return f"expected http(s)://..., sandbox:/CONSOLE or '' (not used), got {value!r}"


def path(value: Any) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return f"expected a path, got {value!r}"
    return "a path cannot contain a NUL character" if "\0" in value else None


def absolute_path(value: Any) -> str | None:
    problem = path(value)
    if problem is None and not value.strip().startswith(("/", "~")):
        return f"expected an absolute path (state must not depend on the current directory), " \
               f"got {value!r}"
    return problem


@dataclass(frozen=True)
class Section:
    """A mapping with known keys; ``each`` checks every value of a mapping with open keys."""

    fields: Mapping[str, Check | Section]
    each: Section | None = None


CONSOLE = Section({"base_url": base_url, "username_env": env_name, "password_env": env_name,
                   "default_username": text, "default_password": text})
SCHEMA = Section({
    "environment": choice(*ENVIRONMENTS),
    "home": absolute_path,
    "sandbox": Section({"builtin": boolean, "db": path}),
    "consoles": Section({name: CONSOLE for name in CONSOLES}),
    "refund_window_days": whole(1, 365, "days"),
    "store": path,
    "artifacts": path,
    "browser": Section({"headless": boolean, "timeout_ms": whole(100, 600_000, "milliseconds"),
                        "navigation_timeout_ms": whole(1_000, 600_000, "milliseconds"),
                        "read_retries": whole(0, 10, "retries"), "trace_on_failure": boolean}),
    "canary": Section({"issued_domain": text, "pending_domain": text}),
    "selectors": Section({"snapshot_stale_days": whole(1, 365, "days"),
                          "keep_nights": whole(1, 3650, "nights")}),
    "retries": Section({"console_attempts": whole(1, 100, "failures"),
                        "first_delay_s": whole(1, 86_400, "seconds"),
                        "max_delay_s": whole(1, 7 * 86_400, "seconds")}),
})
SECRET_KEYS = ("password", "username")


class Checker:
    """Walks one loaded file against SCHEMA, collecting issues instead of stopping."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.issues: list[Issue] = []
        self.code = ErrorCode.CONFIG_INVALID

    def add(self, line: int, field: str, message: str) -> None:
        self.issues.append(Issue(self.file, line, field, message))

    def section(self, value: Any, spec: Section, where: str, line: int) -> None:
        if not isinstance(value, dict):
            what = "the file" if not where else "this"
            self.add(line_of(value, line), where, f"{what} must be a mapping of keys to values, "
                     f"got {_short(value)}")
            return
        lines = value if isinstance(value, LineDict) else None
        for key, item in value.items():
            at = lines.line_of(key) if lines is not None else line
            name = f"{where}.{key}" if where else str(key)
            if key in SECRET_KEYS and spec is CONSOLE:
                self.add(at, name, "credentials belong in the environment, not in YAML: name "
                         f"the variable with {key}_env")
                self.code = ErrorCode.CONFIG_SECRET_IN_YAML
            elif key not in spec.fields:
                self.add(at, name, f"unknown key{did_you_mean(key, spec.fields)}; known: "
                         f"{', '.join(spec.fields)}")
            else:
                self.field(item, spec.fields[key], name, at)

    def field(self, value: Any, spec: Check | Section, name: str, line: int) -> None:
        if isinstance(spec, Section):
            self.section(value, spec, name, line)
            return
        problem = spec(value)
        if problem:
            self.add(line, name, problem)


def _short(value: Any) -> str:
    shown = repr(str(value) if isinstance(value, str) else value)
    return shown if len(shown) <= 40 else shown[:37] + "..."


def check(raw: Any, file: str) -> None:
    """Raise ConfigFileError listing every problem in ``raw``, or return when there is none."""
    checker = Checker(file)
    checker.section(raw, SCHEMA, "", line_of(raw, 1))
    if isinstance(raw, dict):
        _check_production(raw, checker)
    if checker.issues:
        count = len(checker.issues)
        head = str(checker.issues[0]) + (f" (and {count - 1} more)" if count > 1 else "")
        raise ConfigFileError(head, checker.issues, code=checker.code)


def _check_production(raw: dict[str, Any], checker: Checker) -> None:
    """Production names real consoles and holds no fallback credentials."""
    if raw.get("environment") != "production" or not isinstance(raw.get("consoles"), dict):
        return
    consoles = raw["consoles"]
    for name, console in consoles.items():
        if not isinstance(console, dict):
            continue
        at = console.line_of if isinstance(console, LineDict) else (lambda _k: 0)
        url = console.get("base_url")
        if isinstance(url, str) and url.startswith(SANDBOX_SCHEME):
            checker.add(at("base_url"), f"consoles.{name}.base_url",
                        "a production config cannot point at the sandbox")
        for key in ("default_username", "default_password"):
            if key in console:
                checker.add(at(key), f"consoles.{name}.{key}",
                            "production has no default credentials: set the environment "
                            "variables instead")
