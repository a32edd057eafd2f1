"""Opt-in OpenTelemetry tracing across HTTP and Kafka.

Nothing happens unless an OTLP endpoint is configured (``OTEL_EXPORTER_OTLP_ENDPOINT`` or
``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT``, or an ``otel_exporter_otlp_endpoint`` attribute on the settings) *and* the
OpenTelemetry SDK with the OTLP exporter is installed; otherwise every helper here is a cheap no-op, so services can
call them unconditionally.

How a service uses it (in ``create_app``, before the app serves)::

    from crm_common.tracing import instrument_app, setup_tracing

    if setup_tracing("catalog", settings):
        instrument_app(app)

Kafka: a producer passes ``trace=trace_headers()`` to ``make_event`` (the publisher already copies ``event.trace``
into the Kafka headers); a consumer handler runs inside ``with consume_span(event, topic=..., consumer=...)`` so its
span continues the producer's trace (W3C ``traceparent`` / ``tracestate``).

Standard variables honoured: ``OTEL_SERVICE_NAME`` (overrides ``service``), ``OTEL_TRACES_SAMPLER_ARG`` (ratio,
default 1.0; parent-based, so a sampled caller keeps its trace whole), ``OTEL_EXPORTER_OTLP_PROTOCOL``
(``http/protobuf`` default, ``grpc`` if that exporter is installed), ``OTEL_EXPORTER_OTLP_HEADERS``.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator, Mapping
from typing import Any

from crm_common.logging import get_logger

log = get_logger(__name__)

_ENDPOINT_VARS = ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT")
_state: dict[str, Any] = {"enabled": False, "provider": None}


def otlp_endpoint(settings: Any = None) -> str | None:
    """The configured OTLP endpoint, or ``None`` when tracing is off."""
    configured = getattr(settings, "otel_exporter_otlp_endpoint", None) if settings is not None else None
    if configured:
        return str(configured)
    for name in _ENDPOINT_VARS:
        if value := os.environ.get(name, "").strip():
            return value
    return None


def tracing_enabled() -> bool:
    return bool(_state["enabled"])


def setup_tracing(service: str, settings: Any = None, *, exporter: Any = None) -> bool:
    """Install a tracer provider exporting to the OTLP endpoint; return whether tracing is now on.

    ``exporter`` replaces the OTLP exporter (tests pass an in-memory one; it also enables tracing without an
    endpoint). Calling it again is harmless: the first provider stays.
    """
    if _state["enabled"]:
        return True
    endpoint = otlp_endpoint(settings)
    if endpoint is None and exporter is None:
        return False
    try:
        from opentelemetry import trace
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor
        from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased
    except ImportError:
        log.warning("tracing requested but the OpenTelemetry SDK is not installed", endpoint=endpoint)
        return False
    environment = getattr(getattr(settings, "environment", None), "value", None) or os.environ.get("ENVIRONMENT", "")
    resource = Resource.create(
        {"service.name": os.environ.get("OTEL_SERVICE_NAME") or service, "deployment.environment": environment}
    )
    provider = TracerProvider(resource=resource, sampler=ParentBased(TraceIdRatioBased(_sample_ratio())))
    if exporter is not None:
        provider.add_span_processor(SimpleSpanProcessor(exporter))
    else:
        otlp = _otlp_exporter(endpoint)
        if otlp is None:
            return False
        provider.add_span_processor(BatchSpanProcessor(otlp))
    trace.set_tracer_provider(provider)
    _state.update(enabled=True, provider=provider)
    log.info("tracing enabled", service=service, endpoint=endpoint or "in-memory")
    return True


def shutdown_tracing() -> None:
    """Flush and stop the provider (call at shutdown so the last spans are exported)."""
    provider = _state["provider"]
    if provider is not None:
        provider.shutdown()


def _sample_ratio() -> float:
    try:
        return min(max(float(os.environ.get("OTEL_TRACES_SAMPLER_ARG", "1.0")), 0.0), 1.0)
    except ValueError:
        return 1.0


def _otlp_exporter(endpoint: str | None) -> Any:
    protocol = os.environ.get("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf")
    try:
        if protocol == "grpc":
            from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter as GrpcExporter

            return GrpcExporter(endpoint=endpoint)
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        # The generic endpoint is a base URL; the exporter wants the traces path on it (OTel spec, "Endpoint URLs").
        if endpoint and not os.environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") and "/v1/traces" not in endpoint:
            endpoint = endpoint.rstrip("/") + "/v1/traces"
        return OTLPSpanExporter(endpoint=endpoint)
    except ImportError:
        log.warning("tracing requested but the OTLP exporter is not installed", protocol=protocol)
        return None


def _tracer() -> Any:
    from opentelemetry import trace

    return trace.get_tracer("crm_common")


# --------------------------------------------------------------------------------------------------- propagation


def trace_headers() -> dict[str, str]:
    """W3C trace context of the current span, to carry in an event's ``trace`` (and so in Kafka headers)."""
    if not _state["enabled"]:
        return {}
    from opentelemetry import propagate

    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier


def inject_headers(headers: dict[str, str]) -> dict[str, str]:
    """Add the current trace context to outgoing HTTP headers (returns the same dict)."""
    headers.update(trace_headers())
    return headers


@contextlib.contextmanager
def consume_span(event: Any, *, topic: str, consumer: str) -> Iterator[Any]:
    """A CONSUMER span for applying one event, continuing the trace its producer started."""
    if not _state["enabled"]:
        yield None
        return
    from opentelemetry import propagate
    from opentelemetry.trace import SpanKind

    carrier: Mapping[str, str] = getattr(event, "trace", None) or {}
    attributes = {
        "messaging.system": "kafka",
        "messaging.destination.name": topic,
        "messaging.consumer.group.name": consumer,
        "messaging.message.id": str(getattr(event, "event_id", "")),
        "crm.event_type": str(getattr(event, "event_type", "")),
        "crm.entity_id": str(getattr(event, "entity_id", "")),
    }
    with _tracer().start_as_current_span(
        f"process {topic}", context=propagate.extract(carrier), kind=SpanKind.CONSUMER, attributes=attributes
    ) as span:
        yield span


# --------------------------------------------------------------------------------------------------- HTTP


def instrument_app(app: Any) -> None:
    """Add a SERVER span per HTTP request (continuing the caller's ``traceparent``) and instrument httpx if possible.

    FastAPI releases with native OpenTelemetry support already make that span from the global tracer provider
    (``FastAPI(telemetry=...)``), so nothing is added there; older ones get ``opentelemetry-instrumentation-fastapi``
    when installed, else the small ASGI middleware below.
    """
    if not _state["enabled"]:
        return
    native = getattr(app, "_telemetry", None)
    if isinstance(native, dict) and native.get("tracing"):
        pass
    else:
        _instrument_asgi(app)
    with contextlib.suppress(ImportError):
        from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor

        HTTPXClientInstrumentor().instrument()


def _instrument_asgi(app: Any) -> None:
    try:
        from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

        FastAPIInstrumentor.instrument_app(app, excluded_urls="health/.*,metrics")
    except ImportError:
        app.add_middleware(TracingMiddleware)


_UNTRACED = ("/health/", "/metrics")


class TracingMiddleware:
    """Pure ASGI: one span per request named ``METHOD /route/template``, never by raw path."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or not _state["enabled"] or scope.get("path", "").startswith(_UNTRACED):
            await self.app(scope, receive, send)
            return
        from opentelemetry import propagate
        from opentelemetry.trace import SpanKind, Status, StatusCode

        carrier = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope.get("headers", [])}
        method = scope.get("method", "GET")
        status = {"code": 500}

        async def send_capturing(message: Any) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        started = time.perf_counter()
        with _tracer().start_as_current_span(method, context=propagate.extract(carrier), kind=SpanKind.SERVER) as span:
            try:
                await self.app(scope, receive, send_capturing)
            finally:
                route = getattr(scope.get("route"), "path", None) or "unmatched"
                span.update_name(f"{method} {route}")
                span.set_attribute("http.request.method", method)
                span.set_attribute("http.route", route)
                span.set_attribute("http.response.status_code", status["code"])
                span.set_attribute("crm.duration_ms", round((time.perf_counter() - started) * 1000, 3))
                if status["code"] >= 500:
                    span.set_status(Status(StatusCode.ERROR))
