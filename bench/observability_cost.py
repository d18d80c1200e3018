"""What metrics and traces cost per step: the runner's step time with them off and on.

Drives a flow of read steps through the real executor and store (SQLite in a scratch folder),
with actions of plain Python (no browser, no sandbox), so that the hooks' cost is not lost in
a browser's: the step here costs the store's one write transaction and the loop, and anything
the hooks add shows against that. Three modes, alternated run by run so the machine's load
falls on each alike: nothing on; metrics on (as in the service and the workers); metrics and
traces on (the OpenTelemetry SDK with a span processor that exports to memory). Prints the
median step time of each, and the hooks' own time per step, measured alone.

    .venv/bin/python bench/observability_cost.py [--steps 40] [--runs 15]

Not a test: it asserts nothing and prints a table.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
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
from runner.observability import hooks, tracing  # noqa: E402
from runner.store.runs import RunStore  # noqa: E402

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)
MODES = ("off", "metrics", "metrics+traces")


@dataclass(frozen=True)
class Order:
    order_id: str
    purchased_at: str


class NoSession:
    def save_cookies(self, _path: Path) -> None: ...
    def close(self) -> None: ...


def find(_ctx: object, domain: str) -> Order:
    return Order("ORD-1", "2026-11-25T10:00:00+00:00")


ACTIONS = {"pm.find_order": ActionSpec("pm.find_order", Effect.READ, find, ("domain",), (),
                                       ("order_id", "purchased_at"), "")}


def flow_text(steps: int) -> str:
    read = ("  - id: look_{n}\n    action: pm.find_order\n"
            "    with: {{domain: \"${{inputs.domain}}\"}}\n")
    return ("name: bench_observed\ndescription: reads only\n"
            "inputs:\n  domain: {required: true, description: the domain}\nsteps:\n"
            + "".join(read.format(n=n) for n in range(steps)) + "  - id: done\n    end: read\n")


def tracer_provider() -> Any:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    provider = TracerProvider()
    exporter = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return provider, exporter


def set_mode(mode: str, provider: Any) -> None:
    if mode == "off":
        hooks.disable_metrics()
    else:
        hooks.enable_metrics()
    tracing.use_provider(provider if mode == "metrics+traces" else None)


def one_run(flow: Any, folder: Path, ticket: str) -> float:
    """Milliseconds per step of one run's drive."""
    config = replace(load_config(), store=folder / "runs.db", artifacts=folder / "artifacts")
    clock = FixedClock(NOW)
    with RunStore(config.store, clock) as store:
        executor = Executor(config, store, clock, lambda _d, _c: NoSession(), ACTIONS)
        started = time.perf_counter()
        result = executor.start(flow, ticket, {"domain": "a.example"})
        elapsed = time.perf_counter() - started
    assert result.status == "succeeded", result.to_dict()
    return elapsed * 1000 / len(flow.steps)


def hooks_alone(mode: str, provider: Any, flow: Any, repeat: int = 2000) -> float:
    """Microseconds the hooks add to one step (start, page action, event ids, record)."""
    from runner.store.runs import Run, RunStatus

    set_mode(mode, provider)
    run = Run(run_id="r", ticket="t", flow=flow.name, status=RunStatus.RUNNING,
              current_step=None, context={"steps": {}}, inputs={}, created_at=NOW,
              updated_at=NOW)
    step = flow.steps[0]

    class NoEvents:
        def events(self, _run_id: str) -> list[Any]:
            return []

    with hooks.drive(run, flow, NoEvents()):  # type: ignore[arg-type]
        started = time.perf_counter()
        for _ in range(repeat):
            hooks.step_started(run, step)
            hooks.page_action("pm.find_order")
            hooks.event_ids()
            hooks.step_recorded(run, flow.name, step, "done", 3)
        elapsed = time.perf_counter() - started
    return elapsed * 1e6 / repeat


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    configure(level="warning")
    provider, exporter = tracer_provider()
    times: dict[str, list[float]] = {mode: [] for mode in MODES}
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "flow.yaml"
        path.write_text(flow_text(args.steps))
        flow = load_flow(path, ACTIONS)
        for n in range(args.runs + 1):  # the first round warms up and is not counted
            for mode in MODES:
                set_mode(mode, provider)
                folder = Path(scratch) / f"{mode}-{n}"
                folder.mkdir()
                took = one_run(flow, folder, f"T-{n}")
                if n:
                    times[mode].append(took)
                exporter.clear()
        alone = {mode: hooks_alone(mode, provider, flow) for mode in MODES}
    set_mode("off", None)
    base = statistics.median(times["off"])
    print(f"{len(flow.steps)} steps per run, {args.runs} runs per mode, alternated; "
          "SQLite store, no browser")
    print(f"{'mode':<16} {'median ms/step':>15} {'min':>7} {'max':>7} {'vs off':>8} "
          f"{'hooks alone µs/step':>20}")
    for mode in MODES:
        got = times[mode]
        median = statistics.median(got)
        print(f"{mode:<16} {median:>15.3f} {min(got):>7.3f} {max(got):>7.3f} "
              f"{(median - base) * 1000:>+7.0f}µs {alone[mode]:>20.1f}")


if __name__ == "__main__":
    main()
