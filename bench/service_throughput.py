"""The warm service against one CLI process per ticket, side by side, as ratios.

Mixed tickets on a scratch sandbox: 60% not yet issued (refunded straight away), 25% bought
outside the refund window (denied), 15% issued (run up to the captcha, where they pause). The
same mix, on its own copy of the orders, goes through sequential `run.py run` calls and through
`run.py serve --workers N` with N requests in flight. The two alternate in rounds (a slice of
CLI calls, then a slice through the service, which stays up and warm throughout), so that a
machine whose load changes during the run weighs on both alike. Reported: throughput ratio,
p50/p95 per ticket, CPU per ticket (the process trees: each CLI process with its Chromium; the
service with its drivers and Chromium), and the peak memory of the service's tree as summed
RSS and as PSS (shared pages counted once).

    .venv/bin/python bench/service_throughput.py [--tickets 100] [--workers 4] [--rounds 4]

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
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

import proc_tree  # noqa: E402

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


class Sampler(threading.Thread):
    """The peak memory of a process tree, sampled every half second while the service works."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak = pid, (0, 0)
        self.sampling, self.done = threading.Event(), threading.Event()

    def run(self) -> None:
        while not self.done.wait(0.5):
            if self.sampling.is_set():
                now = proc_tree.memory(self.pid)
                self.peak = (max(self.peak[0], now[0]), max(self.peak[1], now[1]))


@dataclass
class Side:
    """What one side (CLI or service) took over all its rounds."""

    wall: float = 0.0
    cpu: float = 0.0
    times: list[float] = field(default_factory=list)


def sequential_cli(env: dict[str, str], items: list[tuple[int, str]], side: Side) -> None:
    started = time.perf_counter()
    for index, domain in items:
        began = time.perf_counter()
        process = subprocess.Popen([sys.executable, str(ROOT / "run.py"), "run", "cancel_refund",
                                    "--ticket", f"CLI-{index}", "--domain", domain, "--json"],
                                   env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(process.pid, 0)  # the CPU of the process and its children
        process.returncode = os.waitstatus_to_exitcode(status)
        side.times.append(time.perf_counter() - began)
        side.cpu += usage.ru_utime + usage.ru_stime
    side.wall += time.perf_counter() - started


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


def through_service(client: httpx.Client, process_pid: int, items: list[tuple[int, str]],
                    workers: int, side: Side) -> None:
    def one(item: tuple[int, str]) -> float:
        began = time.perf_counter()
        answer = client.post("/runs", json={"flow": "cancel_refund", "ticket": f"SVC-{item[0]}",
                                            "domain": item[1]})
        answer.raise_for_status()
        return time.perf_counter() - began

    cpu, started = proc_tree.cpu_seconds(process_pid), time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:
        side.times.extend(pool.map(one, items))
    side.wall += time.perf_counter() - started
    side.cpu += proc_tree.cpu_seconds(process_pid) - cpu


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1] if len(values) > 1 else values[0]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tickets", type=int, default=100)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=4)
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    cli, svc = Side(), Side()
    with tempfile.TemporaryDirectory() as scratch:
        db = Path(scratch) / "sandbox.db"
        sandbox = SandboxServer(db).start()
        env = {k: v for k, v in os.environ.items() if not k.startswith("CERTRUNNER_")}
        env.update(SANDBOX_URL=sandbox.url, SANDBOX_DB=str(db))
        cli_items = list(enumerate(add_orders(db, "cli", args.tickets)))
        svc_items = list(enumerate(add_orders(db, "svc", args.tickets)))
        cli_env = {**env, "CERTRUNNER_STORE": f"{scratch}/cli/runs.db",
                   "CERTRUNNER_ARTIFACTS": f"{scratch}/cli/artifacts"}
        svc_env = {**env, "CERTRUNNER_STORE": f"{scratch}/svc/runs.db",
                   "CERTRUNNER_ARTIFACTS": f"{scratch}/svc/artifacts"}
        process, url = start_service(svc_env, args.workers)
        sampler = Sampler(process.pid)
        sampler.start()
        try:
            with httpx.Client(base_url=url, timeout=600) as client:
                for r in range(args.rounds):
                    sequential_cli(cli_env, cli_items[r::args.rounds], cli)
                    sampler.sampling.set()
                    through_service(client, process.pid, svc_items[r::args.rounds],
                                    args.workers, svc)
                    sampler.sampling.clear()
        finally:
            sampler.done.set()
            process.terminate()
            process.wait(timeout=120)
        sandbox.stop()
    report(args, load_before, cli, svc, sampler.peak)


def report(args: argparse.Namespace, load_before: float, cli: Side, svc: Side,
           peak: tuple[int, int]) -> None:
    print(f"{args.tickets} tickets (60% pending, 25% outside the window, 15% to the captcha), "
          f"service --workers {args.workers}, {args.rounds} rounds; load average (1 min) "
          f"{load_before:.1f} before, {os.getloadavg()[0]:.1f} after")
    print(f"{'':<22}{'wall s':>9}{'tickets/min':>13}{'p50 s':>8}{'p95 s':>8}{'CPU s/ticket':>14}")
    for name, side in (("sequential CLI", cli), ("service", svc)):
        print(f"{name:<22}{side.wall:>9.1f}{len(side.times) / side.wall * 60:>13.1f}"
              f"{pct(side.times, 50):>8.2f}{pct(side.times, 95):>8.2f}"
              f"{side.cpu / len(side.times):>14.2f}")
    print(f"throughput ratio service/CLI: {cli.wall / svc.wall:.2f}x")
    print(f"service peak memory: RSS sum {peak[0] / 2**20:.0f} MiB, PSS {peak[1] / 2**20:.0f} MiB")


if __name__ == "__main__":
    main()
