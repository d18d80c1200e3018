"""One JSON converter and one list of secret-looking keys, shared by the run store and the logs.

Both write what the engine knows to a place people read later (``runs.db``, log files), so both
must agree on what a secret looks like: the logs mask such values, the store refuses them (a
secret reaching the store is a bug that should fail loudly, not be scrubbed quietly). Action
results are dataclasses; everything stored or logged is plain JSON, converted here.
"""

from __future__ import annotations

import enum
import json
import re
from collections.abc import Mapping
from dataclasses import asdict, is_dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

# A key matching this may name a secret: a password, a token, a session cookie, the captcha
# answer a person typed. Matched anywhere in the key, case-insensitively.
SECRET_KEY = re.compile(
    r"password|passwd|secret|credential|api_?key|token|cookie|image_number|captcha_answer",
    re.IGNORECASE)
REDACTED = "[redacted]"
GIVEN = "[given]"  # what a run keeps of an answer a person gave: that it was given


def is_marker(value: object) -> bool:
    """A value that stands for a secret without being one: masked, given, or a placeholder the
    caller fills in (``<VALUE>`` in a suggested command)."""
    return value in (None, "", REDACTED, GIVEN) or (
        isinstance(value, str) and value.startswith("<") and value.endswith(">"))


def is_secret_key(key: object) -> bool:
    return SECRET_KEY.search(str(key)) is not None


def plain(value: Any) -> Any:
    """``json.dumps(default=plain)``: dates as ISO text, enums as values, dataclasses as dicts."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Path):
        return str(value)
    if is_dataclass(value) and not isinstance(value, type):
        return asdict(value)
    if isinstance(value, set | frozenset):
        return sorted(value)
    raise TypeError(f"{type(value).__name__} cannot be written as JSON")


def as_dict(value: Any) -> dict[str, Any]:
    """An action's result as the plain dict a run's context holds (JSON types all the way)."""
    if isinstance(value, Mapping) or (is_dataclass(value) and not isinstance(value, type)):
        converted = json.loads(json.dumps(value, default=plain))
        assert isinstance(converted, dict)
        return converted
    raise TypeError(f"an action returned {type(value).__name__}, not a dataclass")


def to_json(value: Any) -> str:
    """Canonical JSON text (sorted keys), as the store writes it."""
    return json.dumps(value, default=plain, sort_keys=True)


def find_secret(value: Any, where: str) -> str | None:
    """The path of the first secret-looking key holding a value, or None.

    A secret-looking key may hold a mapping (walked: ``steps.image_number`` is a step's outputs,
    ``{"value": "[given]"}``) or a marker (``is_marker``); any other value counts as a secret.
    """
    if isinstance(value, Mapping):
        for key, item in value.items():
            path = f"{where}.{key}"
            if is_secret_key(key) and not isinstance(item, Mapping) and not is_marker(item):
                return path
            found = find_secret(item, path)
            if found:
                return found
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            found = find_secret(item, f"{where}[{index}]")
            if found:
                return found
    return None


def redact(value: Any) -> Any:
    """A copy with every value under a secret-looking key masked, at any depth (for logs)."""
    if isinstance(value, Mapping):
        return {k: REDACTED if is_secret_key(k) else redact(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact(item) for item in value]
    return value
