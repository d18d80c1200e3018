"""A queued run's trace context: put in the task's headers where it is sent, read back where
Celery hands the task over (its request ``Context``, built from the message headers)."""

from __future__ import annotations

from collections.abc import Iterator
from types import SimpleNamespace

import pytest
from celery.app.task import Context
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from runner.observability import hooks, tracing, worker


@pytest.fixture
def exporter() -> Iterator[InMemorySpanExporter]:
    found = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(found))
    tracing.use_provider(provider)
    yield found
    tracing.use_provider(None)
    hooks.carried.set(None)


def test_the_enqueue_span_travels_in_the_headers_to_the_drive(
        exporter: InMemorySpanExporter) -> None:
    headers: dict[str, object] = {}
    worker._publishing(sender="certrunner.advance", headers=headers,
                       body=(("r-1", "claim"), {}, {}))
    (sent,) = exporter.get_finished_spans()
    assert sent.name == "enqueue certrunner.advance"
    assert sent.attributes is not None and sent.attributes["certrunner.run_id"] == "r-1"
    assert headers["traceparent"] == f"00-{sent.context.trace_id:032x}-" \
                                     f"{sent.context.span_id:016x}-01"
    task = SimpleNamespace(request=Context(dict(headers)))
    worker._task_starts(task=task)
    assert hooks.carried.get() == (f"{sent.context.trace_id:032x}",
                                   f"{sent.context.span_id:016x}")
    worker._task_ends(task=task)
    assert hooks.carried.get() is None


def test_nothing_is_added_without_a_tracer_or_for_other_tasks(
        exporter: InMemorySpanExporter) -> None:
    headers: dict[str, object] = {}
    worker._publishing(sender="certrunner.sweep", headers=headers, body=((), {}, {}))
    assert headers == {} and exporter.get_finished_spans() == ()
    tracing.use_provider(None)
    worker._publishing(sender="certrunner.advance", headers=headers, body=(("r", None), {}, {}))
    assert headers == {}


def test_tracing_follows_the_standard_variables() -> None:
    assert not tracing.wanted({})
    assert tracing.wanted({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"})
    assert tracing.wanted({"OTEL_TRACES_EXPORTER": "otlp"})
    assert not tracing.wanted({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318",
                               "OTEL_SDK_DISABLED": "true"})
    assert not tracing.wanted({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318",
                               "OTEL_TRACES_EXPORTER": "none"})
