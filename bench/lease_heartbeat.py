"""What the lease heartbeat costs: one renewal (an UPDATE in its own transaction) per driven
run every quarter of the lease, timed on SQLite and, when it answers, PostgreSQL.

The heartbeat lets the lease be a minute instead of fifteen (``runner.engine.leases``); this
says what that costs the store: with the default lease, ``runs in flight / 15`` renewals a
second, each taking the time printed here.

    .venv/bin/python bench/lease_heartbeat.py [--renewals 500]

Not a test: it asserts nothing and prints a line per store.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from runner.engine.leases import BEATS_PER_LEASE, LEASE  # noqa: E402
from runner.store.runs import RunStore  # noqa: E402
from tests.servers import POSTGRES_URL, postgres_schema, unreachable  # noqa: E402


def per_renewal_ms(target: str | Path, renewals: int) -> float:
    with RunStore(target) as store:
        run = store.create_run("T-bench", "cancel_refund").run
        store.acquire_lease(run.run_id, "bench", LEASE)
        started = time.perf_counter()
        for _ in range(renewals):
            store.renew_lease(run.run_id, "bench", LEASE)
        return (time.perf_counter() - started) / renewals * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--renewals", type=int, default=500)
    renewals = parser.parse_args().renewals
    every = LEASE / BEATS_PER_LEASE
    print(f"lease {LEASE.total_seconds():.0f} s, a renewal every "
          f"{every.total_seconds():.0f} s per driven run")
    with tempfile.TemporaryDirectory() as folder:
        print(f"sqlite:     {per_renewal_ms(Path(folder) / 'runs.db', renewals):6.2f} ms")
    if unreachable(POSTGRES_URL):
        print("postgresql: not measured (nothing answers at CERTRUNNER_TEST_POSTGRES)")
        return
    with postgres_schema("bench_lease") as url:
        print(f"postgresql: {per_renewal_ms(url, renewals):6.2f} ms")


if __name__ == "__main__":
    main()
