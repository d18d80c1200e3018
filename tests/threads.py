"""Threads that start a contended step at the same moment, for the store's race tests.

Every thread waits at one barrier (with a timeout: a thread that never arrives breaks it
instead of hanging the test), and what each thread answered or raised comes back to the test:
a crashed thread fails the test, it does not quietly shrink the count of answers.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")
TIMEOUT = 60.0  # seconds for every thread to reach the barrier, and again to finish


def all_at_once(count: int, work: Callable[[int, Callable[[], None]], T],
                timeout: float = TIMEOUT) -> list[T]:
    """``work(n, together)`` in ``count`` threads, where ``together()`` waits until every
    thread has called it (after opening its own connection, say). The answers in thread
    order; an exception of any thread is raised here."""
    barrier = threading.Barrier(count)
    answers: dict[int, T] = {}
    raised: dict[int, BaseException] = {}

    def together() -> None:
        barrier.wait(timeout)

    def run(n: int) -> None:
        try:
            answers[n] = work(n, together)
        except BaseException as exc:  # handed to the test, which raises it
            raised[n] = exc
            barrier.abort()  # the others stop waiting for this one

    threads = [threading.Thread(target=run, args=(n,), daemon=True) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout * 2)
    stuck = [n for n, thread in enumerate(threads) if thread.is_alive()]
    assert not stuck, f"threads {stuck} still running after {timeout * 2} s"
    for n in sorted(raised):
        if not isinstance(raised[n], threading.BrokenBarrierError):
            raise raised[n]
    if raised:
        raise next(iter(raised.values()))
    return [answers[n] for n in range(count)]
