"""A ticket through the warm service against a hand-written Playwright script doing the same
clicks in the same warm browser: a not-yet-issued ticket (refunded) and an issued one up to the
captcha (where a person must read the image).

Both sides are warm: the service is started once (its worker attached to the shared Chromium,
one ticket of each kind already run, so its Symantec login is saved), and the script attaches
to that same Chromium once and logs in to Symantec once. Each timed ticket gets a fresh order
and, on both sides, a fresh browser context. The service side is RunService.run_flow (the call
behind POST /runs, minus a loopback HTTP round trip): flow validation, the store, the
refund-window gate, the ledger and its console probe, failure evidence. The script
(bench/hand_scripts.py) only does the clicks.

Both are timed alternately in this one process (the side that goes first swaps every round), and
the medians are compared, as wall time and as CPU time of the process tree (this process with
the in-process sandbox, the Playwright drivers and the one Chromium): on a machine busy with
other work the wall time mostly measures the others, the CPU time what a ticket costs.

    .venv/bin/python bench/service_vs_script.py [--repeat 15] [--kinds pending issued]
        [--trace-on-failure] [--write-readme]

``--trace-on-failure`` runs the service with ``browser.trace_on_failure`` on (a Playwright
trace recorded for every run in case it fails): the cost of that evidence on success.
``--write-readme`` puts the table into bench/README.md. Not a test: it asserts nothing.
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

import hand_scripts  # noqa: E402
import proc_tree  # noqa: E402
import readme  # noqa: E402
import scratch_home  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

from runner import logs  # noqa: E402
from runner.app.options import ServiceOptions  # noqa: E402
from runner.app.warm import RunService  # noqa: E402
from sandbox import control  # noqa: E402

Timing = tuple[float, float]  # wall s, CPU s
KINDS = {"pending": ("pending_setup", "refunded", "not-yet-issued ticket, refunded"),
         "issued": ("issued", "needs_input", "issued ticket, up to the captcha")}


def timed(work: Callable[[], object]) -> Timing:
    """(wall seconds, CPU seconds of this process tree: Python, drivers, Chromium, sandbox)."""
    cpu, began = proc_tree.cpu_seconds(os.getpid()), time.perf_counter()
    work()
    return time.perf_counter() - began, proc_tree.cpu_seconds(os.getpid()) - cpu


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--kinds", nargs="+", choices=sorted(KINDS), default=list(KINDS))
    parser.add_argument("--trace-on-failure", action="store_true")
    parser.add_argument("--write-readme", action="store_true")
    args = parser.parse_args()
    logs.configure(level="warning")
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as scratch:
        scratch_home.use(scratch, args.trace_on_failure)
        service = RunService(ServiceOptions(workers=1))
        service.start()
        traced = service.app.live_config().browser.trace_on_failure
        try:
            times = {kind: compare(service, Path(scratch), kind, args.repeat)
                     for kind in args.kinds}
        finally:
            service.stop()
    table = report(args.repeat, load_before, times, traced)
    print(table)
    if args.write_readme:
        name = "service_vs_script" + ("_traced" if traced else "")
        readme.write(name, table)


def compare(service: RunService, scratch: Path, kind: str, repeat: int
            ) -> dict[str, list[Timing]]:
    """``repeat`` tickets of ``kind`` each way, alternating, after one of each to warm up."""
    state, expected, _ = KINDS[kind]
    config = service.app.live_config()
    urls = {name: config.console(name).base_url for name in ("pm", "symantec", "geotrust")}
    bought = datetime.now(UTC) - timedelta(days=2)
    consoles = control.Sandbox(scratch / "sandbox.db")
    domains = [consoles.add_order(domain=f"{kind}-{i}.example", purchased_at=bought,
                                  state=state)["domain"] for i in range(2 * repeat + 2)]
    images = scratch / "by-hand"
    images.mkdir(exist_ok=True)

    def through_service(ticket: str) -> None:
        result = service.run_flow("cancel_refund", ticket, {"domain": domains.pop()}).result()
        assert expected in (result.outcome, result.status), result.to_dict()

    with sync_playwright() as pw:
        browser = pw.chromium.connect_over_cdp(str(service.cdp_url))
        login = hand_scripts.symantec_login(browser, urls["symantec"],
                                            *config.console("symantec").credentials())

        def by_hand(n: int) -> None:
            if kind == "pending":
                hand_scripts.refund_pending(browser, urls["pm"], domains.pop())
            else:
                hand_scripts.issued_to_captcha(browser, urls, domains.pop(), login,
                                               images / f"captcha-{n}.png")

        through_service(f"{kind}-warm")
        by_hand(-1)
        times: dict[str, list[Timing]] = {"svc": [], "hand": []}
        for i in range(repeat):  # alternate, and swap who goes first, so that the load
            work: dict[str, Callable[[], object]] = {  # hits both alike
                "svc": partial(through_service, f"{kind}-{i}"), "hand": partial(by_hand, i)}
            for name in ("svc", "hand") if i % 2 == 0 else ("hand", "svc"):
                times[name].append(timed(work[name]))
        browser.close()
    return times


def report(repeat: int, load_before: float, times: dict[str, dict[str, list[Timing]]],
           traced: bool) -> str:
    """A markdown table: medians each way and their ratios, per kind of ticket."""
    lines = [f"{repeat} tickets each way per row, alternating; service with failure tracing "
             f"{'on' if traced else 'off'}; "
             f"load average (1 min) {load_before:.1f} before, {os.getloadavg()[0]:.1f} after.",
             "", "| ticket | script wall / CPU s | service wall / CPU s | ratio wall | ratio CPU |",
             "|---|---|---|---|---|"]
    for kind, sides in times.items():
        med = {name: (statistics.median(t[0] for t in runs), statistics.median(t[1] for t in runs))
               for name, runs in sides.items()}
        hand, svc = med["hand"], med["svc"]
        lines.append(f"| {KINDS[kind][2]} | {hand[0]:.3f} / {hand[1]:.3f} | "
                     f"{svc[0]:.3f} / {svc[1]:.3f} | {svc[0] / hand[0]:.2f}x | "
                     f"{svc[1] / hand[1]:.2f}x |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
