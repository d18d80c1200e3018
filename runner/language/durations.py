"""Durations as flows and clock shifts write them: a number and a unit, so YAML never reads
``6`` as seconds when an author meant hours."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

_DURATION = re.compile(r"(?:\d+[smhd])+\Z")
_DURATION_PART = re.compile(r"(\d+)([smhd])")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}

_MAX_DURATION_SECONDS = 100 * 366 * 86_400  # past this, a duration is a typo (and overflows)


def parse_duration(text: Any) -> timedelta:
    """``90s``, ``5m``, ``6h``, ``14d`` or compounds like ``1d12h``; units keep YAML unambiguous."""
    if not isinstance(text, str) or not _DURATION.match(text.strip()):
        raise ValueError(f"bad duration {text!r}: use a number and a unit s, m, h or d (e.g. 6h)")
    seconds = sum(int(n) * _UNITS[u] for n, u in _DURATION_PART.findall(text))
    if seconds <= 0:
        raise ValueError(f"bad duration {text!r}: must be longer than zero")
    if seconds > _MAX_DURATION_SECONDS:
        raise ValueError(f"bad duration {text!r}: longer than 100 years")
    return timedelta(seconds=seconds)
