"""Where a ticket's time goes in the warm service: a Python profile of the worker thread, each
step's duration, and what the browser was asked to do (pages loaded, requests, Playwright
calls, traces started).

Runs one not-yet-issued ticket (refunded) and one issued ticket (up to the captcha) per round
through ``RunService``'s worker (the call behind ``POST /runs``), with cProfile on in the
worker thread for the ticket only. The counts come from listeners put on each run's browser
context by this script; Playwright calls are the messages the worker sent to its driver (every
locator read, click or navigation is one round trip to Node.js and on to Chromium).

    .venv/bin/python bench/ticket_profile.py [--repeat 5] [--top 25] [--trace-on-failure]

``--trace-on-failure`` runs with ``browser.trace_on_failure`` on, to compare. The driver
messages of the hand-written scripts (bench/hand_scripts.py) are counted the same way.
Not a test: it asserts nothing and prints tables.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import statistics
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

import scratch_home  # noqa: E402

from runner import logs  # noqa: E402
from runner.app import tickets  # noqa: E402
from runner.app.context import AppContext  # noqa: E402
from runner.app.options import ServiceOptions  # noqa: E402
from runner.app.warm import RunService  # noqa: E402
from runner.browser import session as sessions  # noqa: E402
from runner.engine.result import RunResult  # noqa: E402
from sandbox import control  # noqa: E402

COUNTS: Counter[str] = Counter()


def count_browser_work() -> None:
    """Count what each run's context does: pages, loads, requests, traces, driver messages."""
    from playwright._impl.connection import Connection
    from playwright.sync_api import Page

    started = sessions.RunSession.__init__
    send = Connection.send_message_to_server

    def counted_init(self: sessions.RunSession, *args: Any, **kwargs: Any) -> None:
        started(self, *args, **kwargs)
        COUNTS["contexts"] += 1
        COUNTS["traces started"] += int(self._tracing)
        self.context.on("request", lambda _r: COUNTS.update(["requests"]))
        self.context.on("page", on_page)

    def on_page(page: Page) -> None:
        COUNTS["tabs"] += 1
        page.on("load", lambda _p: COUNTS.update(["pages loaded"]))

    def counted_send(self: Any, obj: Any, method: str, *args: Any, **kwargs: Any) -> Any:
        COUNTS["playwright calls"] += 1
        COUNTS[f"call {method}"] += 1
        return send(self, obj, method, *args, **kwargs)

    sessions.RunSession.__init__ = counted_init  # type: ignore[method-assign]
    Connection.send_message_to_server = counted_send  # type: ignore[method-assign,assignment]


def through_worker(service: RunService, profile: cProfile.Profile | None, flow: str,
                   ticket: str, domain: str) -> tuple[RunResult, float, float]:
    """(result, wall s, worker-thread CPU s) of one ticket, profiled in the worker thread."""
    prepared = tickets.prepare(flow, ticket, {"domain": domain}, named_only=True)

    def job(ctx: AppContext) -> tuple[RunResult, float, float]:
        began, cpu = time.perf_counter(), time.thread_time()
        if profile is not None:
            profile.enable()
        try:
            result = tickets.start(ctx, prepared)
        finally:
            if profile is not None:
                profile.disable()
        return result, time.perf_counter() - began, time.thread_time() - cpu

    assert service.pool is not None
    return service.pool.submit(job).result()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--trace-on-failure", action="store_true")
    args = parser.parse_args()
    logs.configure(level="warning")
    with tempfile.TemporaryDirectory() as scratch:
        scratch_home.use(scratch, args.trace_on_failure)
        count_browser_work()
        service = RunService(ServiceOptions(workers=1))
        service.start()
        try:
            profile_kinds(service, Path(scratch), args.repeat, args.top)
            count_hand_scripts(service, Path(scratch), args.repeat)
        finally:
            service.stop()


KINDS = (("pending", "pending_setup", "refunded"), ("issued", "issued", "needs_input"))


def profile_kinds(service: RunService, scratch: Path, repeat: int, top: int) -> None:
    consoles = control.Sandbox(scratch / "sandbox.db")
    bought = datetime.now(UTC) - timedelta(days=2)

    def order(kind: str, state: str, i: int) -> str:
        return str(consoles.add_order(domain=f"prof-{kind}-{i}.example", purchased_at=bought,
                                      state=state)["domain"])

    for kind, state, _ in KINDS:  # warm: the first login, the first page of each console
        through_worker(service, None, "cancel_refund", f"warm-{kind}", order(kind, state, -1))
    for kind, state, expected in KINDS:
        profile = cProfile.Profile()
        COUNTS.clear()
        walls, cpus, steps = [], [], Counter[str]()
        for i in range(repeat):
            result, wall, cpu = through_worker(service, profile, "cancel_refund",
                                               f"P-{kind}-{i}", order(kind, state, i))
            assert expected in (result.outcome, result.status), result.to_dict()
            walls.append(wall)
            cpus.append(cpu)
            for step in result.steps:
                steps[step.id] += step.duration_ms
        print(f"\n== {kind}: {repeat} tickets; median {statistics.median(walls):.3f} s wall, "
              f"{statistics.median(cpus):.3f} s CPU of the worker thread (Python)")
        print("per ticket: " + ", ".join(f"{name} {COUNTS[name] / repeat:.1f}" for name in (
            "contexts", "tabs", "pages loaded", "requests", "traces started",
            "playwright calls")))
        calls = sorted(((n, k[5:]) for k, n in COUNTS.items() if k.startswith("call ")),
                       reverse=True)
        print("driver calls per ticket: " + ", ".join(f"{k} {n / repeat:.1f}"
                                                      for n, k in calls[:12]))
        print("steps (mean ms): " + ", ".join(f"{s} {ms / repeat:.0f}"
                                              for s, ms in steps.items()))
        show(profile, repeat, top)


def count_hand_scripts(service: RunService, scratch: Path, repeat: int) -> None:
    """The driver messages of the hand-written scripts, per ticket, for comparison."""
    import hand_scripts
    from playwright.sync_api import sync_playwright

    config = service.app.live_config()
    urls = {name: config.console(name).base_url for name in ("pm", "symantec", "geotrust")}
    consoles = control.Sandbox(scratch / "sandbox.db")
    bought = datetime.now(UTC) - timedelta(days=2)
    with sync_playwright() as pw:
        browser = pw.chromium.connect_over_cdp(str(service.cdp_url))
        login = hand_scripts.symantec_login(browser, urls["symantec"],
                                            *config.console("symantec").credentials())
        for kind, state, _ in KINDS:
            COUNTS.clear()
            for i in range(repeat):
                domain = str(consoles.add_order(domain=f"hand-{kind}-{i}.example",
                                                purchased_at=bought, state=state)["domain"])
                if kind == "pending":
                    hand_scripts.refund_pending(browser, urls["pm"], domain)
                else:
                    hand_scripts.issued_to_captcha(browser, urls, domain, login,
                                                   scratch / f"hand-{i}.png")
            calls = sorted(((n, k[5:]) for k, n in COUNTS.items() if k.startswith("call ")),
                           reverse=True)
            print(f"\n== hand-written script, {kind}: playwright calls "
                  f"{COUNTS['playwright calls'] / repeat:.1f} per ticket: "
                  + ", ".join(f"{k} {n / repeat:.1f}" for n, k in calls[:12]))
        browser.close()


def show(profile: cProfile.Profile, repeat: int, top: int) -> None:
    """The project's own functions by cumulative time per ticket (the driver's wait inside)."""
    out = io.StringIO()
    stats = pstats.Stats(profile, stream=out)
    rows = []
    for (path, line, name), (_cc, calls, _tt, cum, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        if any(part in path for part in ("/runner/", "/pages/")):
            short = path.split(str(ROOT) + "/")[-1]
            rows.append((cum / repeat, calls / repeat, f"{short}:{line}({name})"))
    rows.sort(reverse=True)
    print(f"{'cum ms/ticket':>14}{'calls':>8}  function")
    for cum, calls, where in rows[:top]:
        print(f"{cum * 1000:>14.1f}{calls:>8.1f}  {where}")



if __name__ == "__main__":
    main()
