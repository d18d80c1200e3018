"""Threads that start a contended step at the same moment, for the store's race tests; and an
async client's own event loop in a thread (``in_own_loop``).

Every thread waits at one barrier (with a timeout: a thread that never arrives breaks it
instead of hanging the test), and what each thread answered or raised comes back to the test:
a crashed thread fails the test, it does not quietly shrink the count of answers.
"""

from __future__ import annotations

import threading
from collections.abc import Awaitable, Callable
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


def in_own_loop(work: Callable[[], Awaitable[T]], timeout: float, name: str) -> T:
    """Run the coroutine ``work()`` to its end on an event loop in a thread of its own, and
    answer its result (its exception is raised here).

    For an async client (MCP's) in a test worker that already ran a browser test: that worker's
    main thread holds Playwright's event loop, and anyio will not start a second one there."""
    import anyio

    answer: list[T] = []
    raised: list[BaseException] = []

    async def main() -> None:
        answer.append(await work())

    def run() -> None:
        try:
            anyio.run(main)
        except BaseException as exc:  # handed to the test, which raises it
            raised.append(exc)

    thread = threading.Thread(target=run, name=name, daemon=True)
    thread.start()
    thread.join(timeout)
    assert not thread.is_alive(), f"{name} did not finish in {timeout:.0f} s"
    if raised:
        raise raised[0]
    return answer[0]
