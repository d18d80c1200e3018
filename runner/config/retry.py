"""When a run that failed on a console is tried again: exponential backoff with jitter, capped.

A console that is down is usually down for everyone at once; runs that all retry at the same
moment knock it over again. So the n-th retry waits ``first * 2**(n-1)``, capped at ``cap``, and
then a random part of that: between half and all of it ("equal jitter"), so retries spread
out but never come sooner than half the backoff. After ``attempts`` failures in a row the run
stops retrying and the maintainers are alerted (``texts.console_down``).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True)
class RetryPolicy:
    """Config ``retries:``; ``attempts`` counts the failures a run may have in a row."""

    attempts: int = 5
    first: timedelta = timedelta(minutes=1)
    cap: timedelta = timedelta(hours=1)

    def delay(self, failures: int, rng: random.Random | None = None) -> timedelta:
        """How long to wait after the ``failures``-th console failure in a row (1-based)."""
        exponent = min(max(failures, 1) - 1, 32)  # 2**32 minutes is past any cap
        backoff = min(self.cap, self.first * (2 ** exponent))
        share = (rng or random.Random()).uniform(0.5, 1.0)
        return backoff * share

    def exhausted(self, failures: int) -> bool:
        return failures >= self.attempts
