"""One not-yet-issued ticket through the warm service against a hand-written Playwright script
doing the same clicks in the same warm browser.

Both sides are warm: the service is started once (its worker attached to the shared Chromium,
one ticket already run), and the script attaches to that same Chromium once. Each timed
ticket gets a fresh order and, on both sides, a fresh browser context. The service side is
RunService.run_flow (the call behind POST /runs, minus a loopback HTTP round trip): flow
validation, the store, the refund-window gate, the ledger and its console probe. The script
only searches, opens the Transaction page and clicks Refund.

    .venv/bin/python bench/service_vs_script.py [--repeat 10]

Not a test: it asserts nothing and prints a table.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from playwright.sync_api import Browser, sync_playwright  # noqa: E402

from runner import logs  # noqa: E402
from runner.service.core import RunService  # noqa: E402
from runner.service.options import ServiceOptions  # noqa: E402
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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=10)
    repeat = parser.parse_args().repeat
    logs.configure(level="warning")
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
            with sync_playwright() as pw:
                browser = pw.chromium.connect_over_cdp(str(service.cdp_url))
                service.run_flow("cancel_refund", "W-warm", {"domain": domains.pop()}).result()
                by_hand(browser, pm_url, domains.pop())
                svc, hand = [], []
                for i in range(repeat):  # alternate, so load on the machine hits both alike
                    began = time.perf_counter()
                    result = service.run_flow("cancel_refund", f"W-{i}",
                                              {"domain": domains.pop()}).result()
                    svc.append(time.perf_counter() - began)
                    assert result.outcome == "refunded", result.to_dict()
                    began = time.perf_counter()
                    by_hand(browser, pm_url, domains.pop())
                    hand.append(time.perf_counter() - began)
                browser.close()
        finally:
            service.stop()
    print(f"one pending ticket, warm, {repeat} each, load average {os.getloadavg()[0]:.1f}")
    print(f"{'':<26}{'median s':>10}{'min s':>8}")
    for name, times in (("hand-written script", hand), ("service (run_flow)", svc)):
        print(f"{name:<26}{statistics.median(times):>10.3f}{min(times):>8.3f}")
    print(f"ratio service/script (median): {statistics.median(svc) / statistics.median(hand):.2f}x")


if __name__ == "__main__":
    main()
