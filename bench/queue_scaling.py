"""Throughput and memory of Celery workers as they are added: a scaling table.

For each worker count (default 1, 2, 4), on a fresh PostgreSQL schema, a fresh Redis queue and
a fresh sandbox: start the workers (each `certrunner worker --concurrency C`, its own process
and Chromium, sharing only the three URLs), wait until each says it is ready, enqueue TICKETS
not-yet-issued orders (they finish without a person) and time until every run has finished.
Memory is each worker's resident set with its Chromium and drivers, sampled while it works.
Ratios are against one worker, in this same script. Needs PostgreSQL and Redis on loopback.

    .venv/bin/python bench/queue_scaling.py [--tickets 200] [--workers 1 2 4] [--concurrency 2]

Not a test: it asserts nothing and prints a table.
"""

from __future__ import annotations

import argparse
import secrets
import sys
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from runner.app.context import AppContext as App  # noqa: E402
from runner.app.handoff import enqueue  # noqa: E402
from runner.app.queue import use_broker  # noqa: E402
from runner.app.tickets import prepare  # noqa: E402
from runner.clock import OffsetClock
from runner.store.runs import RunStatus, RunStore  # noqa: E402
from sandbox.server import SandboxServer  # noqa: E402
from tests.e2e.conftest import SandboxClient  # noqa: E402
from tests.servers import REDIS_URL, postgres_schema  # noqa: E402
from tests.waiting import wait_until  # noqa: E402
from tests.workers.cluster import Cluster  # noqa: E402

FINISHED = (RunStatus.SUCCEEDED, RunStatus.DENIED, RunStatus.NEEDS_INPUT, RunStatus.FAILED)


def _done(store: RunStore, total: int) -> bool:
    runs = store.list_runs(limit=100_000)
    return len(runs) == total and all(r.status in FINISHED for r in runs)


def measure(workers: int, tickets: int, concurrency: int, root: Path) -> dict[str, float]:
    clock = OffsetClock(timedelta())
    server = SandboxServer(root / "sandbox.db", port=0, clock=clock).start()
    consoles = SandboxClient(server, clock)
    recent = (datetime.now(UTC) - timedelta(days=2)).isoformat()
    for n in range(tickets):
        consoles.add_order(domain=f"b{n}.example", purchased_at=recent, state="pending_setup")
    with postgres_schema("certrunner_bench") as url:
        cluster = Cluster(root / "machines", url, REDIS_URL, server.url,
                          f"certrunner-bench-{secrets.token_hex(4)}",
                          visibility_timeout=timedelta(minutes=30))
        names = [f"worker-{n}" for n in range(workers)]
        try:
            for name in names:
                cluster._start(name, "worker", "--concurrency", str(concurrency),
                               "--loglevel", "INFO", "--name", f"{name}@%h")
            wait_until(lambda: all(" ready." in cluster.log(n) for n in names),
                       timedelta(minutes=5), "workers ready")
            app = App()
            app._config = replace(app.config, store_url=url)
            use_broker(REDIS_URL, queue=cluster.queue)
            started = time.monotonic()
            for n in range(tickets):
                enqueue(app, prepare("cancel_refund", f"B-{n}", {"domain": f"b{n}.example"}))
            peak = {name: 0.0 for name in names}

            def finished() -> bool:
                for name in names:
                    peak[name] = max(peak[name], cluster.rss_mb(name))
                return _done(app.store, tickets)

            wait_until(finished, timedelta(hours=2), "every run finished")
            seconds = time.monotonic() - started
            ok = len(app.store.list_runs(status="succeeded", limit=100_000))
            app.close()
        finally:
            cluster.stop()
            server.stop()
    return {"seconds": seconds, "succeeded": ok,
            "rss_mb": sum(peak.values()) / len(peak)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=200)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--concurrency", type=int, default=2)
    args = parser.parse_args()
    rows = []
    for count in args.workers:
        with tempfile.TemporaryDirectory(prefix="certrunner-bench-") as scratch:
            rows.append((count, measure(count, args.tickets, args.concurrency, Path(scratch))))
    base = rows[0][1]["seconds"] / args.tickets
    print(f"\n{args.tickets} tickets, {args.concurrency} runs at once per worker\n")
    print("| workers | seconds | tickets/min | throughput vs 1 | succeeded | MB per worker |")
    print("|---|---|---|---|---|---|")
    for count, row in rows:
        per = row["seconds"] / args.tickets
        print(f"| {count} | {row['seconds']:.0f} | {60 / per:.1f} | {base / per:.2f}x | "
              f"{row['succeeded']:.0f} | {row['rss_mb']:.0f} |")


if __name__ == "__main__":
    main()
