"""The warm service against one CLI process per ticket, side by side, as ratios.

Mixed tickets on a scratch sandbox: 60% not yet issued (refunded straight away), 25% bought
outside the refund window (denied), 15% issued (run up to the captcha, where they pause). The
same mix, on its own copy of the orders, goes once through sequential `run.py run` calls and
once through `run.py serve --workers N` with N requests in flight. Reported: throughput ratio,
p50/p95 per ticket, and the peak memory of the service's process tree (the service, its
Playwright drivers and the one Chromium), as summed RSS and as PSS (shared pages counted once).

    .venv/bin/python bench/service_throughput.py [--tickets 100] [--workers 4]

Not a test: it asserts nothing and prints a table.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sandbox import control  # noqa: E402
from sandbox.server import SandboxServer  # noqa: E402

MIX = (("pending", 0.60), ("old", 0.25), ("issued", 0.15))


def add_orders(db: Path, prefix: str, count: int) -> list[str]:
    """``count`` orders in the mix; returns their domains in a shuffled-but-fixed order."""
    now = datetime.now(UTC)
    kinds = [kind for kind, share in MIX for _ in range(round(count * share))][:count]
    domains = []
    for index, kind in enumerate(kinds):
        domain = f"{prefix}-{kind}-{index}.example"
        bought = now - timedelta(days=45 if kind == "old" else 3)
        state = "pending_setup" if kind == "pending" else "issued"
        control.Sandbox(db).add_order(domain=domain, purchased_at=bought, state=state)
        domains.append(domain)
    return [domains[(i * 37) % len(domains)] for i in range(len(domains))]  # interleave kinds


def tree_memory(root: int) -> tuple[int, int]:
    """(summed RSS, summed PSS) in bytes of ``root`` and all its descendants."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    rss = pss = 0
    todo = [root]
    while todo:
        pid = todo.pop()
        todo.extend(children.get(pid, []))
        try:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith(("Rss:", "Pss:")):
                    kb = int(line.split()[1]) * 1024
                    rss, pss = (rss + kb, pss) if line.startswith("Rss:") else (rss, pss + kb)
        except OSError:
            continue
    return rss, pss


class Sampler(threading.Thread):
    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak, self.stop_event = pid, (0, 0), threading.Event()

    def run(self) -> None:
        while not self.stop_event.wait(0.5):
            now = tree_memory(self.pid)
            self.peak = (max(self.peak[0], now[0]), max(self.peak[1], now[1]))


def sequential_cli(env: dict[str, str], domains: list[str]) -> tuple[float, list[float]]:
    times = []
    started = time.perf_counter()
    for index, domain in enumerate(domains):
        began = time.perf_counter()
        subprocess.run([sys.executable, str(ROOT / "run.py"), "run", "cancel_refund",
                        "--ticket", f"CLI-{index}", "--domain", domain, "--json"],
                       env=env, capture_output=True, check=False)
        times.append(time.perf_counter() - began)
    return time.perf_counter() - started, times


def start_service(env: dict[str, str], workers: int) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen([sys.executable, str(ROOT / "run.py"), "serve", "--port", "0",
                                "--workers", str(workers)], env=env, text=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert process.stderr is not None
    for line in process.stderr:
        if '"service_listening"' in line:
            port = json.loads(line)["port"]
            threading.Thread(target=lambda: [None for _ in process.stderr or []],
                             daemon=True).start()
            return process, f"http://127.0.0.1:{port}"
    raise SystemExit("the service did not start")


def through_service(url: str, domains: list[str], workers: int) -> tuple[float, list[float]]:
    def one(item: tuple[int, str]) -> float:
        began = time.perf_counter()
        answer = httpx.post(f"{url}/runs", timeout=600, json={
            "flow": "cancel_refund", "ticket": f"SVC-{item[0]}", "domain": item[1]})
        answer.raise_for_status()
        return time.perf_counter() - began

    started = time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:
        times = list(pool.map(one, enumerate(domains)))
    return time.perf_counter() - started, times


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1] if len(values) > 1 else values[0]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tickets", type=int, default=100)
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        db = Path(scratch) / "sandbox.db"
        sandbox = SandboxServer(db).start()
        env = {k: v for k, v in os.environ.items() if not k.startswith("CERTRUNNER_")}
        env.update(SANDBOX_URL=sandbox.url, SANDBOX_DB=str(db))
        cli_domains = add_orders(db, "cli", args.tickets)
        svc_domains = add_orders(db, "svc", args.tickets)
        cli_env = {**env, "CERTRUNNER_STORE": f"{scratch}/cli/runs.db",
                   "CERTRUNNER_ARTIFACTS": f"{scratch}/cli/artifacts"}
        svc_env = {**env, "CERTRUNNER_STORE": f"{scratch}/svc/runs.db",
                   "CERTRUNNER_ARTIFACTS": f"{scratch}/svc/artifacts"}
        process, url = start_service(svc_env, args.workers)
        sampler = Sampler(process.pid)
        sampler.start()
        try:
            svc_wall, svc_times = through_service(url, svc_domains, args.workers)
        finally:
            sampler.stop_event.set()
            process.terminate()
            process.wait(timeout=120)
        cli_wall, cli_times = sequential_cli(cli_env, cli_domains)
        sandbox.stop()
    print(f"{args.tickets} tickets (60% pending, 25% outside the window, 15% to the captcha), "
          f"service --workers {args.workers}, load average {os.getloadavg()[0]:.1f}")
    print(f"{'':<22}{'wall s':>9}{'tickets/min':>13}{'p50 s':>8}{'p95 s':>8}")
    for name, wall, times in (("sequential CLI", cli_wall, cli_times),
                              ("service", svc_wall, svc_times)):
        print(f"{name:<22}{wall:>9.1f}{len(times) / wall * 60:>13.1f}"
              f"{pct(times, 50):>8.2f}{pct(times, 95):>8.2f}")
    print(f"throughput ratio service/CLI: {cli_wall / svc_wall:.2f}x")
    print(f"service peak memory: RSS sum {sampler.peak[0] / 2**20:.0f} MiB, "
          f"PSS {sampler.peak[1] / 2**20:.0f} MiB")


if __name__ == "__main__":
    main()
