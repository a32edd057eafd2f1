"""crm_common.tracing: off by default; when on, one trace spans HTTP and the Kafka hop through event headers."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from fastapi import APIRouter

from crm_common import tracing
from crm_common.events.envelope import EventEnvelope, make_event
from crm_common.web.app import create_service_app
from crm_testing import serve_in_thread


def test_tracing_stays_off_without_an_endpoint(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"):
        monkeypatch.delenv(name, raising=False)
    assert tracing.otlp_endpoint() is None
    if not tracing.tracing_enabled():
        assert tracing.setup_tracing("catalog") is False
        assert tracing.trace_headers() == {}
        with tracing.consume_span(object(), topic="t", consumer="c") as span:
            assert span is None


def test_the_endpoint_comes_from_settings_or_the_standard_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", raising=False)
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318")
    assert tracing.otlp_endpoint() == "http://collector:4318"

    class Settings:
        otel_exporter_otlp_endpoint = "http://other:4318"

    assert tracing.otlp_endpoint(Settings()) == "http://other:4318"


@pytest.fixture(scope="module")
def spans() -> Any:
    pytest.importorskip("opentelemetry.sdk", reason="the OpenTelemetry SDK is an optional dependency of crm-common")
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    exporter = InMemorySpanExporter()
    assert tracing.setup_tracing("deploy-tests", exporter=exporter)
    return exporter


def test_an_http_request_continues_the_callers_trace(spans: Any) -> None:
    router = APIRouter()

    @router.get("/api/v1/things/{thing_id}")
    async def thing(thing_id: str) -> dict[str, str]:
        return {"id": thing_id}

    app = create_service_app(service="traced", title="traced", routers=[router])
    tracing.instrument_app(app)
    trace_id = uuid.uuid4().hex
    parent = f"00-{trace_id}-{'1' * 16}-01"
    spans.clear()
    with serve_in_thread(app) as url:
        response = httpx.get(f"{url}/api/v1/things/42", headers={"traceparent": parent}, timeout=5)
    assert response.status_code == 200
    server = [s for s in spans.get_finished_spans() if s.kind.name == "SERVER"]
    (span,) = server
    assert format(span.context.trace_id, "032x") == trace_id
    assert span.name == "GET /api/v1/things/{thing_id}"  # the route template, never the raw path
    assert span.attributes["http.response.status_code"] == 200


def test_the_fallback_middleware_names_spans_by_route_and_continues_the_trace(spans: Any) -> None:
    router = APIRouter()

    @router.get("/api/v1/things/{thing_id}")
    async def thing(thing_id: str) -> dict[str, str]:
        return {"id": thing_id}

    app = create_service_app(service="traced", title="traced", routers=[router])
    app._telemetry["tracing"] = False  # an app without native tracing, as on older FastAPI releases
    tracing.instrument_app(app)
    trace_id = uuid.uuid4().hex
    spans.clear()
    with serve_in_thread(app) as url:
        httpx.get(f"{url}/api/v1/things/7", headers={"traceparent": f"00-{trace_id}-{'2' * 16}-01"}, timeout=5)
        httpx.get(f"{url}/health/live", timeout=5)
    (span,) = [s for s in spans.get_finished_spans() if s.kind.name == "SERVER"]  # /health is not traced
    assert format(span.context.trace_id, "032x") == trace_id
    assert span.name == "GET /api/v1/things/{thing_id}"
    assert span.attributes["http.route"] == "/api/v1/things/{thing_id}"


def test_a_consumer_span_joins_the_producers_trace_through_the_event(spans: Any) -> None:
    from opentelemetry import trace

    spans.clear()
    with trace.get_tracer("test").start_as_current_span("produce") as producer:
        event = make_event(
            "product.deleted",
            source="moysklad",
            account_id="a",
            entity_id="p1",
            source_version=1,
            payload={"id": "p1"},
            trace=tracing.trace_headers(),
        )
    assert "traceparent" in event.trace
    received = EventEnvelope.from_bytes(event.to_bytes())  # what a consumer reads from Kafka
    with tracing.consume_span(received, topic="catalog.products.v1", consumer="catalog") as span:
        assert span is not None
    consumer = next(s for s in spans.get_finished_spans() if s.name == "process catalog.products.v1")
    assert consumer.context.trace_id == producer.get_span_context().trace_id
    assert consumer.parent is not None
    assert consumer.parent.span_id == producer.get_span_context().span_id
    assert consumer.attributes["messaging.consumer.group.name"] == "catalog"
