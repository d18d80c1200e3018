"""What the engine tells traces and metrics, with stand-in actions and the real store.

A run here pauses twice (a person's answer, then the customer's cancellation) and finishes on a
third drive. Traces go to OpenTelemetry's in-memory exporter: each drive must be a trace of its
own, linked to the drive before it, with a span per step and the page actions as events, and no
span may be open while the run waits.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import structlog
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from runner.actions import ActionSpec, Effect
from runner.clock import FixedClock
from runner.observability import hooks, tracing
from tests.unit.stand_in_run import stand_in_executor

NOW = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)

FLOW = """
name: observed
inputs:
  domain: {required: true}
  note: {required: false}
steps:
  - id: order
    action: pm.find_order
    with: {domain: "${inputs.domain}"}
  - id: window
    gate: refund_window
    purchased_at: "${order.purchased_at}"
  - id: note
    ask: note
    prompt: Type anything
  - id: cancelled
    wait: pm.find_order
    with: {domain: "${inputs.domain}"}
    until: "cancelled.state == 'cancelled'"
    every: 1d
    deadline: 20d
    timeout_code: customer_did_not_cancel
    waiting_for: the customer to cancel
  - id: refund
    action: pm.refund
    with: {order_id: "${order.order_id}"}
    key: "${order.order_id}"
  - id: done
    end: refunded
    message: "Refunded."
"""


@dataclass
class Order:
    order_id: str
    purchased_at: str
    state: str


@dataclass
class Transaction:
    refunded: bool
    refund_ref: str | None


@dataclass
class Receipt:
    refund_ref: str


@dataclass
class Console:
    state: str = "issued"
    refunds: list[str] = field(default_factory=list)

    def catalogue(self) -> dict[str, ActionSpec]:
        def find(ctx: Any, domain: str) -> Order:
            return Order("O-1", "2026-03-01T00:00:00+00:00", self.state)

        def read(ctx: Any, order_id: str) -> Transaction:
            return Transaction(bool(self.refunds), None)

        def refund(ctx: Any, order_id: str) -> Receipt:
            self.refunds.append("R-1")
            return Receipt("R-1")

        specs = [
            ActionSpec("pm.find_order", Effect.READ, find, ("domain",), (),
                       ("order_id", "purchased_at", "state"), ""),
            ActionSpec("pm.read_transaction", Effect.READ, read, ("order_id",), (),
                       ("refunded", "refund_ref"), ""),
            ActionSpec("pm.refund", Effect.SIDE_EFFECT, refund, ("order_id",), (),
                       ("refund_ref", "already_done"), "", "pm.read_transaction",
                       "probe.refunded", moves_money=True),
        ]
        return {s.name: s for s in specs}


class OpenSpans(SpanProcessor):
    """Spans started and not yet ended, at any moment."""

    def __init__(self) -> None:
        self.open: dict[int, str] = {}

    def on_start(self, span: Span, parent_context: Any = None) -> None:
        self.open[span.context.span_id] = span.name

    def on_end(self, span: ReadableSpan) -> None:
        assert span.context is not None
        self.open.pop(span.context.span_id, None)


@pytest.fixture
def traced() -> Iterator[tuple[InMemorySpanExporter, OpenSpans]]:
    exporter, open_spans = InMemorySpanExporter(), OpenSpans()
    provider = TracerProvider()
    provider.add_span_processor(open_spans)
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracing.use_provider(provider)
    yield exporter, open_spans
    tracing.use_provider(None)


def _by_trace(spans: tuple[ReadableSpan, ...]) -> dict[int, list[ReadableSpan]]:
    found: dict[int, list[ReadableSpan]] = {}
    for span in spans:
        assert span.context is not None
        found.setdefault(span.context.trace_id, []).append(span)
    return found


def _drive_of(spans: list[ReadableSpan]) -> ReadableSpan:
    (root,) = [s for s in spans if s.parent is None]
    return root


def test_each_drive_is_one_trace_with_a_span_per_step_and_none_open_across_a_wait(
        tmp_path: Path, traced: tuple[InMemorySpanExporter, OpenSpans]) -> None:
    exporter, open_spans = traced
    console = Console()
    clock = FixedClock(NOW)
    flow, store, executor = stand_in_executor(tmp_path, clock, console.catalogue(), FLOW)
    with structlog.testing.capture_logs(
            processors=[structlog.contextvars.merge_contextvars]) as logs:
        asked = executor.start(flow, "T-1", {"domain": "shop.example"})
        assert asked.status == "needs_input"
        assert open_spans.open == {}, "a span stayed open while the run waits for a person"
        waiting = executor.resume(store.get_run(asked.run_id), flow, {"note": "x"})
        assert waiting.status == "waiting"
        assert open_spans.open == {}, "a span stayed open while the run waits for the customer"
        console.state = "cancelled"
        done = executor.resume(store.get_run(asked.run_id), flow, {})
        assert (done.status, done.outcome) == ("succeeded", "refunded")
    assert open_spans.open == {}

    traces = list(_by_trace(exporter.get_finished_spans()).values())
    assert len(traces) == 3, "one trace per drive"
    drives = [_drive_of(spans) for spans in traces]
    assert [d.name for d in drives] == ["drive observed"] * 3
    steps = [sorted((s.start_time or 0, s.name) for s in spans if s.parent is not None)
             for spans in traces]
    assert [[name for _, name in each] for each in steps] == [
        ["step order", "step window", "step note"],
        ["step note", "step cancelled"],
        ["step cancelled", "step refund", "step done"]]
    for spans, drive in zip(traces, drives, strict=True):
        for span in spans:
            assert span.parent is None or span.parent.span_id == drive.context.span_id
    # Each later drive links to the one before it (no parent: that span ended days ago).
    for earlier, later in zip(drives, drives[1:], strict=False):
        assert [link.context.span_id for link in later.links] == [earlier.context.span_id]
    refund = next(s for s in traces[2] if s.name == "step refund")
    assert [e.attributes["action"] for e in refund.events if e.attributes] == [
        "pm.read_transaction", "pm.refund"]
    assert refund.attributes is not None and refund.attributes["certrunner.status"] == "done"

    # The trace id is in every log line of a drive and in every step's event.
    ids = {f"{d.context.trace_id:032x}" for d in drives}
    step_logs = [entry for entry in logs if entry["event"] == "step"]
    assert len(step_logs) == 8 and {entry["trace_id"] for entry in step_logs} == ids
    events = [e for e in store.events(asked.run_id) if e.step]
    assert {e.data["trace_id"] for e in events} == ids
    store.close()


def test_without_a_tracer_nothing_is_traced_and_events_stay_as_they_were(
        tmp_path: Path) -> None:
    tracing.use_provider(None)
    flow, store, executor = stand_in_executor(tmp_path, FixedClock(NOW), Console().catalogue(),
                                              FLOW)
    asked = executor.start(flow, "T-2", {"domain": "shop.example"})
    assert all("trace_id" not in e.data for e in store.events(asked.run_id))
    store.close()


def _sample(name: str, **labels: str) -> float:
    metrics = hooks.enable_metrics()
    return metrics.REGISTRY.get_sample_value(name, labels) or 0.0


def test_metrics_count_runs_steps_and_the_side_effect_clicked(tmp_path: Path) -> None:
    hooks.enable_metrics()
    before = {
        "started": _sample("certrunner_runs_started_total", flow="observed"),
        "succeeded": _sample("certrunner_runs_finished_total", flow="observed",
                             status="succeeded", outcome="refunded"),
        "orders": _sample("certrunner_step_duration_seconds_count", flow="observed",
                          step="order", kind="action"),
        "refunds": _sample("certrunner_side_effects_done_total", kind="pm.refund"),
    }
    console = Console(state="cancelled")
    flow, store, executor = stand_in_executor(tmp_path, FixedClock(NOW), console.catalogue(),
                                              FLOW)
    asked = executor.start(flow, "T-3", {"domain": "shop.example"})
    done = executor.resume(store.get_run(asked.run_id), flow, {"note": "x"})
    assert done.status == "succeeded"
    assert _sample("certrunner_runs_started_total", flow="observed") == before["started"] + 1
    assert _sample("certrunner_runs_finished_total", flow="observed", status="succeeded",
                   outcome="refunded") == before["succeeded"] + 1
    assert _sample("certrunner_step_duration_seconds_count", flow="observed", step="order",
                   kind="action") == before["orders"] + 1
    assert _sample("certrunner_side_effects_done_total", kind="pm.refund") == before["refunds"] + 1
    assert _sample("certrunner_drives_in_progress") == 0
    store.close()
