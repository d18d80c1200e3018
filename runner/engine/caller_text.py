"""Text a caller gives (ticket, domain, inputs) is checked before it is used anywhere.

A ticket id ends up in the human output, in log lines, in suggested commands and in messages to
the customer; a newline in it can forge a "status: succeeded" line, and a bidirectional override
can make one ticket id read as another. Such characters are never part of a real ticket, domain
or captcha answer, so they are refused with an input error rather than cleaned up.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from typing import Any

from runner.errors import ErrorCode, InputError

# Control characters (C0, DEL, C1), line and paragraph separators, and the invisible
# formatting characters that reorder or hide text.
_REFUSED_CATEGORIES = ("Cc", "Zl", "Zp")
_REFUSED_FORMATS = frozenset("\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
                             "\u2066\u2067\u2068\u2069\ufeff")


def refuse_control_chars(field: str, value: Any) -> None:
    """Raise InputError ``control_characters`` if ``value`` holds a refused character."""
    if not isinstance(value, str):
        return
    for index, char in enumerate(value):
        if unicodedata.category(char) in _REFUSED_CATEGORIES or char in _REFUSED_FORMATS:
            raise InputError(f"{field} contains a control character (U+{ord(char):04X} at "
                             f"position {index}); give it without line breaks, tabs or "
                             "invisible characters", code=ErrorCode.CONTROL_CHARACTERS)


def check_caller_text(ticket: str | None = None,
                      inputs: Mapping[str, Any] | None = None) -> None:
    """Check a ticket id and every input name and value a caller gave."""
    if ticket is not None:
        refuse_control_chars("ticket", ticket)
    for key, value in (inputs or {}).items():
        refuse_control_chars("input name", key)
        refuse_control_chars(f"input {key}" if key != "domain" else "domain", value)
