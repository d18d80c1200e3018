"""One not-yet-issued ticket through the warm service against a hand-written Playwright script
doing the same clicks in the same warm browser.

Both sides are warm: the service is started once (its worker attached to the shared Chromium,
one ticket already run), and the script attaches to that same Chromium once. Each timed
ticket gets a fresh order and, on both sides, a fresh browser context. The service side is
RunService.run_flow (the call behind POST /runs, minus a loopback HTTP round trip): flow
validation, the store, the refund-window gate, the ledger and its console probe. The script
only searches, opens the Transaction page and clicks Refund.

Both are timed alternately in this one process (the side that goes first swaps every round), and
the medians are compared, as wall time and as CPU time of the process tree (this process with
the in-process sandbox, the Playwright drivers and the one Chromium): on a machine busy with
other work the wall time mostly measures the others, the CPU time what a ticket costs.

    .venv/bin/python bench/service_vs_script.py [--repeat 15]

Not a test: it asserts nothing and prints a table.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

import proc_tree  # noqa: E402
from playwright.sync_api import Browser, sync_playwright  # noqa: E402

from runner import logs  # noqa: E402
from runner.app.options import ServiceOptions  # noqa: E402
from runner.app.warm import RunService  # noqa: E402
from sandbox import control  # noqa: E402


def by_hand(browser: Browser, pm_url: str, domain: str) -> str:
    """What a person would script: search, check the date, open the transaction, refund."""
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(f"{pm_url}/")
        page.get_by_label("Domain").fill(domain)
        page.get_by_role("button", name="Search").click()
        row = page.get_by_role("row").filter(has=page.get_by_role("cell", name=domain,
                                                                  exact=True))
        cells = row.get_by_role("cell").all_inner_texts()
        assert any(domain == c.strip() for c in cells), cells
        row.get_by_role("link", name="Transaction").click()
        page.get_by_role("button", name="Refund").click()
        return page.get_by_role("status").inner_text()
    finally:
        context.close()


def timed(work: Callable[[], object]) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process tree: Python, drivers, Chromium, sandbox)."""
    cpu, began = proc_tree.cpu_seconds(os.getpid()), time.perf_counter()
    work()
    return time.perf_counter() - began, proc_tree.cpu_seconds(os.getpid()) - cpu


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=15)
    repeat = parser.parse_args().repeat
    logs.configure(level="warning")
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as scratch:
        db = Path(scratch) / "sandbox.db"
        os.environ.update(SANDBOX_DB=str(db), CERTRUNNER_STORE=f"{scratch}/runs.db",
                          CERTRUNNER_ARTIFACTS=f"{scratch}/artifacts")
        os.environ.pop("SANDBOX_URL", None)
        service = RunService(ServiceOptions(workers=1))
        service.start()
        try:
            pm_url = service.app.live_config().console("pm").base_url
            bought = datetime.now(UTC) - timedelta(days=2)
            consoles = control.Sandbox(db)
            domains = [consoles.add_order(domain=f"warm-{i}.example", purchased_at=bought,
                                          state="pending_setup")["domain"]
                       for i in range(2 * repeat + 2)]

            def through_service(ticket: str) -> None:
                result = service.run_flow("cancel_refund", ticket,
                                          {"domain": domains.pop()}).result()
                assert result.outcome == "refunded", result.to_dict()

            with sync_playwright() as pw:
                browser = pw.chromium.connect_over_cdp(str(service.cdp_url))
                through_service("W-warm")
                by_hand(browser, pm_url, domains.pop())
                times: dict[str, list[tuple[float, float]]] = {"svc": [], "hand": []}
                for i in range(repeat):  # alternate, and swap who goes first, so that the
                    work: dict[str, Callable[[], object]] = {  # load hits both alike
                        "svc": partial(through_service, f"W-{i}"),
                        "hand": partial(by_hand, browser, pm_url, domains.pop())}
                    for name in ("svc", "hand") if i % 2 == 0 else ("hand", "svc"):
                        times[name].append(timed(work[name]))
                browser.close()
        finally:
            service.stop()
    report(repeat, load_before, times)


def report(repeat: int, load_before: float, times: dict[str, list[tuple[float, float]]]) -> None:
    print(f"one pending ticket, warm, {repeat} each, alternating; load average (1 min) "
          f"{load_before:.1f} before, {os.getloadavg()[0]:.1f} after")
    print(f"{'':<26}{'median s':>10}{'min s':>8}{'CPU s':>8}")
    medians = {}
    for name, label in (("hand", "hand-written script"), ("svc", "service (run_flow)")):
        wall, cpu = [t[0] for t in times[name]], [t[1] for t in times[name]]
        medians[name] = (statistics.median(wall), statistics.median(cpu))
        print(f"{label:<26}{medians[name][0]:>10.3f}{min(wall):>8.3f}{medians[name][1]:>8.3f}")
    print(f"ratio service/script (median): wall {medians['svc'][0] / medians['hand'][0]:.2f}x, "
          f"CPU {medians['svc'][1] / medians['hand'][1]:.2f}x")


if __name__ == "__main__":
    main()
