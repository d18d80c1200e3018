"""What a customer text may say, given what happens next: the rules the text tests hold every
outcome's ``customer_message`` to (runner.engine.texts says why).

A text may promise something of "our team" only when the run's next action is a person's task
(``NextType.person_task``: the run waits in the people's inbox); no text may say anyone was told
or notified (nothing in the runner knows a notification went out); "we are working on it" is for
a run that is going on (paused for a person, or held by a process), never for one that stopped;
"another attempt is scheduled" only where the runner scheduled one.
"""

from __future__ import annotations

import re

from runner.error_codes import ErrorCode, NextType

NEVER = re.compile(r"\b(has|have) been (told|notified|informed)\b|\bwe have (told|notified)\b",
                   re.IGNORECASE)
PROMISES_A_PERSON = re.compile(
    r"\bour team\b|\bwill (look into|check|get back|update you|reply)\b|\bwe are checking\b",
    re.IGNORECASE)
WORKING_ON = re.compile(r"\bworking on\b", re.IGNORECASE)
SCHEDULED = re.compile(r"\battempt is scheduled\b", re.IGNORECASE)
GOING_ON = ("waiting", "needs_input", "running", "queued")


def problems(text: str | None, status: str, next_type: NextType | str | None) -> list[str]:
    """Every rule ``text`` breaks for a run in ``status`` whose next action is ``next_type``."""
    kind = NextType(next_type) if next_type else None
    found = []
    if not text:
        return ["no customer text"]
    if NEVER.search(text):
        found.append(f"claims someone was told: {text!r}")
    if PROMISES_A_PERSON.search(text) and not (kind and kind.person_task):
        found.append(f"promises a person's action, but {kind} is not a person's task: {text!r}")
    if WORKING_ON.search(text) and status not in GOING_ON:
        found.append(f"says we are working on it, but the run is {status}: {text!r}")
    if SCHEDULED.search(text) and kind is not NextType.RETRY_LATER:
        found.append(f"says a retry is scheduled, but the next action is {kind}: {text!r}")
    leaked = [str(c) for c in ErrorCode if re.search(rf"\b{re.escape(str(c))}\b", text)]
    if leaked:
        found.append(f"names error codes {leaked}: {text!r}")
    if re.search(r"\brun-[0-9a-f]{6,}", text):
        found.append(f"names a run id: {text!r}")
    return found
