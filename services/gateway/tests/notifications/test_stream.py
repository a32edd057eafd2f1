"""Alerts from Kafka reach the users allowed to see them over SSE, and a reconnect resumes without losses."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaProducer

from crm_common.events.envelope import EventEnvelope, make_event
from crm_common.events.models import Alert, AlertKind, SyncStatus
from crm_common.events.topics import ALERTS, SYNC
from crm_common.messaging.broker import ensure_topics
from crm_testing import kafka_servers

STREAM = "/api/v1/notifications/stream"


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


def alert(title: str, permission: str = "inventory:read", event_type: str = "alert.raised") -> EventEnvelope:
    payload = Alert(
        id=str(uuid.uuid4()),
        kind=AlertKind.LOW_STOCK,
        title=title,
        message=f"{title} is running low",
        permission=permission,
        raised_at=datetime.now(UTC),
    )
    return make_event(
        event_type, source="inventory", account_id="acc", entity_id=payload.id, source_version=1, payload=payload
    )


def sync_failed() -> EventEnvelope:
    payload = SyncStatus(job_id="j1", integration_id="ms", status="failed", detail="401 from MoySklad")
    return make_event(
        "sync.failed", source="moysklad", account_id="acc", entity_id="j1", source_version=1, payload=payload
    )


@pytest.fixture(scope="module")
async def producer() -> AsyncIterator[AIOKafkaProducer]:
    await ensure_topics(kafka_servers(), [ALERTS, SYNC])
    p = AIOKafkaProducer(bootstrap_servers=kafka_servers())
    await p.start()
    yield p
    await p.stop()


async def publish(producer: AIOKafkaProducer, *events: EventEnvelope) -> None:
    for event in events:
        topic = SYNC.name if event.event_type.startswith("sync.") else ALERTS.name
        await producer.send_and_wait(topic, event.to_bytes(), key=event.entity_id.encode())


@pytest.fixture(scope="module")
def notify_gateway(gateway_factory: Any, producer: Any) -> Any:
    with gateway_factory(notifications_enabled=True, notifications_heartbeat=1) as url:
        yield url


async def read_events(response: httpx.Response, count: int, timeout: float = 20.0) -> list[dict[str, Any]]:
    """Parse SSE frames until ``count`` events (not comments or retry hints) arrived."""
    events: list[dict[str, Any]] = []
    frame: dict[str, Any] = {}

    async def collect() -> None:
        async for line in response.aiter_lines():
            if line == "":
                if "event" in frame:
                    events.append(dict(frame))
                    if len(events) >= count:
                        return
                frame.clear()
            elif not line.startswith(":"):
                key, _, value = line.partition(": ")
                frame[key] = json.loads(value) if key == "data" else value

    await asyncio.wait_for(collect(), timeout)
    return events


async def test_users_receive_the_alerts_they_may_see(notify_gateway: str, keys: Any, producer: Any) -> None:
    token = keys.mint(["notifications:read", "inventory:read"])
    async with (
        httpx.AsyncClient(base_url=notify_gateway, timeout=30) as c,
        c.stream("GET", STREAM, headers=bearer(token)) as response,
    ):
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        hidden = alert("Revenue", permission="analytics:read")
        await publish(producer, hidden, sync_failed(), alert("Milk"))
        events = await read_events(response, 1)
    assert [(e["event"], e["data"]["title"]) for e in events] == [("alert.raised", "Milk")]


async def test_sync_failures_reach_those_who_run_syncs(notify_gateway: str, keys: Any, producer: Any) -> None:
    token = keys.mint(["notifications:read", "sync:run"])
    async with (
        httpx.AsyncClient(base_url=notify_gateway, timeout=30) as c,
        c.stream("GET", STREAM, headers=bearer(token)) as response,
    ):
        await publish(producer, sync_failed())
        events = await read_events(response, 1)
    assert events[0]["event"] == "sync.failed"
    assert events[0]["data"]["detail"] == "401 from MoySklad"


async def test_reconnect_with_last_event_id_resumes_without_losses(
    notify_gateway: str, keys: Any, producer: Any
) -> None:
    token = keys.mint(["notifications:read", "inventory:read"])
    async with (
        httpx.AsyncClient(base_url=notify_gateway, timeout=30) as c,
        c.stream("GET", STREAM, headers=bearer(token)) as response,
    ):
        await publish(producer, alert("First"))
        first = await read_events(response, 1)
        # Disconnected: these arrive while the user is away.
        await publish(producer, alert("Second"), alert("Third"))
        await asyncio.sleep(1.0)
        async with c.stream("GET", STREAM, headers={**bearer(token), "last-event-id": first[0]["id"]}) as response:
            missed = await read_events(response, 2)
    assert [e["data"]["title"] for e in missed] == ["Second", "Third"]


async def test_a_redelivered_event_is_shown_once(notify_gateway: str, keys: Any, producer: Any) -> None:
    token = keys.mint(["notifications:read", "inventory:read"])
    event = alert("Once")
    async with (
        httpx.AsyncClient(base_url=notify_gateway, timeout=30) as c,
        c.stream("GET", STREAM, headers=bearer(token)) as response,
    ):
        await publish(producer, event, event, alert("After"))
        events = await read_events(response, 2)
    assert [e["data"]["title"] for e in events] == ["Once", "After"]


async def test_the_stream_needs_notifications_read(notify_gateway: str, keys: Any) -> None:
    async with httpx.AsyncClient(base_url=notify_gateway) as c:
        response = await c.get(STREAM, headers=bearer(keys.mint(["inventory:read"])))
    assert response.status_code == 403
    assert response.json()["error"] == "Forbidden"
