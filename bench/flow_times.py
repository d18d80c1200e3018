"""Wall time of each flow on the built-in sandbox, as ratios against a baseline in this script.

Baseline: one browser context opening the Product Management search page (the smallest piece
of browser work every flow does). Each flow runs in the same process, on orders this script adds
to a scratch sandbox, through the same code path as `run.py run`. A second measurement compares
a Symantec lookup with the saved login against one that must log in first.

    .venv/bin/python bench/flow_times.py [--repeat 3]

Not a test: it asserts nothing and prints a table.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from runner.app.context import AppContext as App  # noqa: E402
from runner.app.tickets import resume as resume_run  # noqa: E402
from runner.app.tickets import run_ticket as run_flow  # noqa: E402
from runner.engine.next_action import ProvideInput  # noqa: E402


def timed(work: Callable[..., object], *args: object) -> float:
    started = time.perf_counter()
    work(*args)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    repeat = parser.parse_args().repeat
    with tempfile.TemporaryDirectory() as scratch:
        import os

        os.environ["CERTRUNNER_HOME"] = scratch  # runs, artifacts, login state, sandbox DB
        os.environ.pop("SANDBOX_URL", None)
        from runner import logs

        logs.configure(level="warning")
        app = App()
        try:
            report(app, Path(scratch), repeat)
        finally:
            app.close()


def report(app: App, scratch: Path, repeat: int) -> None:
    from runner.cli.demo_customer import cancel_certificate
    from sandbox.control import Sandbox

    config = app.live_config()
    sandbox = Sandbox(app.config.sandbox_db)
    host = app.host

    def baseline() -> None:
        with host.session(scratch / "baseline") as session:
            page = session.page("pm")
            page.goto(config.console("pm").base_url + "/")

    baseline()  # warm: browser start is paid once per process, not per run
    base = statistics.median(timed(baseline) for _ in range(repeat))
    rows: list[tuple[str, float]] = []
    now = datetime.now(UTC)
    for i in range(repeat):
        tag = f"b{int(time.time())}{i}"

        def add(kind: str, state: str, days: int, tag: str = tag) -> str:
            return str(sandbox.add_order(domain=f"{tag}-{kind}.example", state=state,
                                         purchased_at=now - timedelta(days=days))["domain"])

        pending, old, issued = add("p", "pending_setup", 3), add("o", "issued", 45), add(
            "i", "issued", 5)
        rows.append(("refund_check", timed(
            run_flow, app, "refund_check", f"{tag}-1", {"domain": pending})))
        rows.append(("cancel_refund: not issued", timed(
            run_flow, app, "cancel_refund", f"{tag}-2", {"domain": pending})))
        rows.append(("cancel_refund: denied", timed(
            run_flow, app, "cancel_refund", f"{tag}-3", {"domain": old})))
        started = time.perf_counter()
        first = run_flow(app, "cancel_refund", f"{tag}-4", {"domain": issued})
        action = first.next_action
        image = action.artifact if isinstance(action, ProvideInput) else None
        answer = sandbox.solve_captcha(image) if image else ""
        assert first.run_id
        resume_run(app, first.run_id, {"image_number": answer})
        with host.session(scratch / "customer") as session:
            cancel_certificate(session, f"admin@{issued}", app.catalogue)
        final = resume_run(app, first.run_id, {})
        rows.append((f"cancel_refund: issued ({final.status})", time.perf_counter() - started))

    tracing_cost(app, scratch, repeat)
    print(f"baseline (open PM search page in a new context): {base * 1000:.0f} ms "
          f"(median of {repeat})")
    print(f"{'flow':<34} {'median s':>9} {'x baseline':>11}")
    for name in dict.fromkeys(n for n, _ in rows):
        median = statistics.median(t for n, t in rows if n == name)
        print(f"{name:<34} {median:>9.2f} {median / base:>11.1f}")


def tracing_cost(app: App, scratch: Path, repeat: int) -> None:
    """What keeping a trace for failed runs costs every run: find_order with tracing on/off."""
    from dataclasses import replace

    config = app.live_config()
    times: dict[bool, list[float]] = {True: [], False: []}
    for _ in range(repeat):
        for tracing in (False, True):
            traced = replace(config, browser=replace(config.browser, trace_on_failure=tracing))
            started = time.perf_counter()
            with app.host.session(scratch / "trace-bench", config=traced) as session:
                app.catalogue["pm.find_order"].func(session, domain="shop.example")
            times[tracing].append(time.perf_counter() - started)
    off, on = (statistics.median(times[flag]) for flag in (False, True))
    print(f"find_order without tracing {off * 1000:.0f} ms, with tracing {on * 1000:.0f} ms: "
          f"x{on / off:.2f}")


if __name__ == "__main__":
    main()
