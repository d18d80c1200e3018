"""OpenTelemetry tracing, optional: the ``otel`` extra, switched on by the standard variables.

Tracing is on when the SDK is installed and the environment names an exporter the usual way
(``OTEL_EXPORTER_OTLP_ENDPOINT``, ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`` or
``OTEL_TRACES_EXPORTER=otlp``; ``OTEL_SDK_DISABLED=true`` or ``OTEL_TRACES_EXPORTER=none``
turn it off). Spans then go to the OTLP exporter (``OTEL_EXPORTER_OTLP_PROTOCOL``: ``grpc``, or
``http/protobuf`` by default), named by ``OTEL_SERVICE_NAME``. Without the SDK or the variables
nothing of OpenTelemetry is imported and every helper here answers None, so a CLI command pays
nothing for it.

A run can wait thirty days, so no span outlives a drive: each drive is a trace of its own, a
root span linked to the run's previous drive and to whoever queued it (``Link``s, not parents:
a parent that ended days ago is no parent). Those two contexts are kept as plain ids (the
run's events, a task's headers), never as live spans.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping, MutableMapping
from typing import Any

from runner.logs import get_logger

SERVICE_NAME = "certrunner"
TRACEPARENT = "traceparent"
_ENDPOINT_VARS = ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")

_lock = threading.Lock()
_tracer: Any = None
_decided = False


def wanted(env: Mapping[str, str] | None = None) -> bool:
    """Whether the environment asks for traces (the SDK may still be missing)."""
    env = os.environ if env is None else env
    if env.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return False
    exporter = env.get("OTEL_TRACES_EXPORTER", "").strip().lower()
    if exporter == "none":
        return False
    return exporter == "otlp" or any(env.get(name, "").strip() for name in _ENDPOINT_VARS)


def tracer() -> Any:
    """The process's tracer, or None when tracing is off (decided once, on first use)."""
    global _tracer, _decided
    if _decided:
        return _tracer
    with _lock:
        if not _decided:
            _tracer = _configured() if wanted() else None
            _decided = True
    return _tracer


def use_provider(provider: Any) -> None:
    """Trace into ``provider`` (an SDK ``TracerProvider``) from now on; None turns tracing
    off. For tests (an in-memory exporter) and for a host that configures its own."""
    global _tracer, _decided
    with _lock:
        _tracer = provider.get_tracer(SERVICE_NAME) if provider is not None else None
        _decided = True


def _configured() -> Any:
    try:
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor
    except ImportError:
        get_logger().warning("tracing_unavailable", reason="OTEL_* is set but the otel extra "
                             "is not installed: pip install 'certrunner[otel]'")
        return None
    if os.environ.get("OTEL_EXPORTER_OTLP_PROTOCOL", "").strip() == "grpc":
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
    else:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import (  # type: ignore[assignment]
            OTLPSpanExporter,
        )
    name = os.environ.get("OTEL_SERVICE_NAME") or SERVICE_NAME
    provider = TracerProvider(resource=Resource.create({"service.name": name}))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    return provider.get_tracer(SERVICE_NAME)


# spans and ids (callers hold a tracer from ``tracer()``, so OpenTelemetry is importable)

def start_root(active: Any, name: str, attributes: Mapping[str, Any],
               links: list[tuple[str, str]]) -> Any:
    """A span that begins a trace of its own, linked to the given (trace id, span id)s."""
    from opentelemetry import context, trace

    found = [trace.Link(c) for c in (_context_of(t, s) for t, s in links) if c is not None]
    return active.start_span(name, context=context.Context(), kind=trace.SpanKind.INTERNAL,
                             attributes=dict(attributes), links=found)


def start_child(active: Any, parent: Any, name: str, attributes: Mapping[str, Any],
                kind: str = "INTERNAL") -> Any:
    from opentelemetry import trace

    return active.start_span(name, context=trace.set_span_in_context(parent),
                             kind=getattr(trace.SpanKind, kind), attributes=dict(attributes))


def ids(span: Any) -> tuple[str, str]:
    """(trace id, span id) in the W3C hex form, as logs and events keep them."""
    found = span.get_span_context()
    return f"{found.trace_id:032x}", f"{found.span_id:016x}"


def failed(span: Any, description: str) -> None:
    from opentelemetry.trace import Status, StatusCode

    span.set_status(Status(StatusCode.ERROR, description))


def inject(span: Any, headers: MutableMapping[str, Any]) -> None:
    """Put ``span``'s context into a message's headers (W3C ``traceparent``)."""
    trace_id, span_id = ids(span)
    headers[TRACEPARENT] = f"00-{trace_id}-{span_id}-01"


def parse_traceparent(value: Any) -> tuple[str, str] | None:
    parts = str(value or "").split("-")
    if len(parts) != 4 or len(parts[1]) != 32 or len(parts[2]) != 16:
        return None
    return parts[1], parts[2]


def _context_of(trace_id: str, span_id: str) -> Any:
    from opentelemetry import trace

    try:
        found = trace.SpanContext(int(trace_id, 16), int(span_id, 16), is_remote=True,
                                  trace_flags=trace.TraceFlags(trace.TraceFlags.SAMPLED))
    except (TypeError, ValueError):
        return None
    return found if found.is_valid else None
