"""What one browser costs: Debian's full Chromium against its headless shell, side by side.

Each executable, in alternating rounds, is launched through Playwright with the runner's own
flags, then opens ``--contexts`` fresh contexts that each load two sandbox pages (what a run
does per console). Reported per executable: the median wall time of a launch, of a context,
and the CPU of the browser and driver processes (children of this process) per round.

    .venv/bin/python bench/browser_cost.py [--contexts 10] [--rounds 3]

Not a test: it asserts nothing and prints a table.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT)]

from playwright.sync_api import sync_playwright  # noqa: E402

from runner.browser.launcher import SYSTEM_HEADLESS_SHELL, launch_options  # noqa: E402
from sandbox.server import SandboxServer  # noqa: E402

EXECUTABLES = ("/usr/bin/chromium", SYSTEM_HEADLESS_SHELL[0])


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def one_round(executable: str, url: str, contexts: int) -> tuple[float, float, float]:
    """(launch seconds, seconds per context, browser CPU seconds) for one launch."""
    options = {**launch_options(headless=True), "executable_path": executable}
    cpu = children_cpu()
    start = time.perf_counter()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(**options)
        browser.new_page().goto(url)
        launched = time.perf_counter()
        for _ in range(contexts):
            context = browser.new_context()
            page = context.new_page()
            page.goto(url)
            page.goto(url)
            context.close()
        done = time.perf_counter()
        browser.close()
    return launched - start, (done - launched) / contexts, children_cpu() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--contexts", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    found = [exe for exe in EXECUTABLES if os.access(exe, os.X_OK)]
    server = SandboxServer(Path(tempfile.mkdtemp()) / "sandbox.db", port=0).start()
    results: dict[str, list[tuple[float, float, float]]] = {exe: [] for exe in found}
    try:
        for _ in range(args.rounds):
            for exe in found:
                results[exe].append(one_round(exe, server.url + "/", args.contexts))
    finally:
        server.stop()
    print(f"{args.rounds} rounds, {args.contexts} contexts each, load {os.getloadavg()[0]:.1f}")
    print(f"{'executable':36} {'launch s':>9} {'context s':>10} {'CPU s/round':>12}")
    for exe, rows in results.items():
        launch, context, cpu = (statistics.median(col) for col in zip(*rows, strict=True))
        print(f"{exe:36} {launch:9.2f} {context:10.3f} {cpu:12.2f}")


if __name__ == "__main__":
    main()
