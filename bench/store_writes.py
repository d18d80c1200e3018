"""Write transactions the run store makes per step, counted at SQLite itself.

A run is persisted after every step, and several processes share one store file, so each write
transaction takes the file's write lock: fewer per step means less waiting under load. This
script drives a small flow (reads, the refund gate, one refund, an end) through the real
executor and store, with actions made of plain Python (no browser, no sandbox), and counts the
``BEGIN`` statements SQLite sees (``sqlite3.Connection.set_trace_callback``), in total and split
into the per-run part (create, lease, release) and the per-step part.

    .venv/bin/python bench/store_writes.py [--reads 10]

Not a test: it asserts nothing and prints a table.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from runner.actions import ActionSpec, Effect  # noqa: E402
from runner.clock import FixedClock  # noqa: E402
from runner.config import load_config  # noqa: E402
from runner.engine.executor import Executor  # noqa: E402
from runner.language.validate import load_flow  # noqa: E402
from runner.logs import configure  # noqa: E402
from runner.store.runs import RunStore  # noqa: E402

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)


@dataclass(frozen=True)
class Order:
    order_id: str
    purchased_at: str


@dataclass(frozen=True)
class Transaction:
    order_id: str
    refunded: bool
    refund_ref: str | None


@dataclass(frozen=True)
class Receipt:
    order_id: str
    refund_ref: str


class Console:
    """One order, refundable once."""

    def __init__(self) -> None:
        self.refunded = False

    def find(self, _ctx: object, domain: str) -> Order:
        return Order("ORD-1", "2026-11-25T10:00:00+00:00")

    def read(self, _ctx: object, order_id: str) -> Transaction:
        return Transaction(order_id, self.refunded, "RF-1" if self.refunded else None)

    def refund(self, _ctx: object, order_id: str) -> Receipt:
        self.refunded = True
        return Receipt(order_id, "RF-1")


class NoSession:
    def save_cookies(self, _path: Path) -> None: ...
    def close(self) -> None: ...


def catalogue(console: Console) -> dict[str, ActionSpec]:
    specs = [
        ActionSpec("pm.find_order", Effect.READ, console.find, ("domain",), (),
                   ("order_id", "purchased_at"), ""),
        ActionSpec("pm.read_transaction", Effect.READ, console.read, ("order_id",), (),
                   ("order_id", "refunded", "refund_ref"), ""),
        ActionSpec("pm.refund", Effect.SIDE_EFFECT, console.refund, ("order_id",), (),
                   ("order_id", "refund_ref", "already_done"), "", "pm.read_transaction",
                   "probe.refunded", moves_money=True),
    ]
    return {spec.name: spec for spec in specs}


def flow_text(reads: int) -> str:
    def read(step_id: str) -> str:
        return (f"  - id: {step_id}\n    action: pm.find_order\n"
                "    with: {domain: \"${inputs.domain}\"}\n")

    return ("name: bench_writes\ndescription: reads, the gate, one refund\n"
            "inputs:\n  domain: {required: true, description: the domain}\nsteps:\n"
            + read("order") + "".join(read(f"look_{n}") for n in range(reads))
            + "  - id: window\n    gate: refund_window\n"
            "    purchased_at: \"${order.purchased_at}\"\n"
            "  - id: refund\n    action: pm.refund\n"
            "    with: {order_id: \"${order.order_id}\"}\n    key: \"${order.order_id}\"\n"
            "  - id: done\n    end: refunded\n")


def measure(reads: int, scratch: Path) -> dict[str, Any]:
    console = Console()
    actions = catalogue(console)
    path = scratch / "flow.yaml"
    path.write_text(flow_text(reads))
    flow = load_flow(path, actions)
    config = replace(load_config(), store=scratch / "runs.db", artifacts=scratch / "artifacts")
    clock = FixedClock(NOW)
    statements: list[str] = []
    with RunStore(config.store, clock) as store:
        store.db.raw.set_trace_callback(statements.append)
        executor = Executor(config, store, clock, lambda _dir, _cookies: NoSession(), actions)
        result = executor.start(flow, "T-1", {"domain": "a.example"})
    begins = [s for s in statements if s.strip().upper().startswith("BEGIN")]
    steps = len(flow.steps)
    return {"steps": steps, "begins": len(begins), "status": result.status,
            "outcome": result.outcome}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reads", type=int, default=10)
    reads = parser.parse_args().reads
    configure(level="warning")
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        for count in (0, reads):
            folder = Path(scratch) / str(count)
            folder.mkdir()
            rows.append(measure(count, folder))
    small, large = rows
    per_step = (large["begins"] - small["begins"]) / (large["steps"] - small["steps"])
    fixed = small["begins"] - per_step * small["steps"]
    print(f"{'steps':>6} {'BEGINs':>7}  outcome")
    for row in rows:
        print(f"{row['steps']:>6} {row['begins']:>7}  {row['status']}/{row['outcome']}")
    print(f"per read step: {per_step:.2f} write transactions "
          f"(the rest of a run, refund and ledger included: {fixed:.0f})")


if __name__ == "__main__":
    main()
