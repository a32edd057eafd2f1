"""The live pipeline over real Kafka and Postgres: events in, numbers out; duplicates and bad events."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import httpx
from aiokafka import AIOKafkaConsumer
from analytics_testkit import ACCOUNT, document_event, eventually, msk, new_id, position, product_event, publish

from crm_common.events.envelope import EventEnvelope, make_event
from crm_common.events.models import Alert, AlertKind, DocumentKind, SyncStatus
from crm_common.events.topics import DEAD_LETTER, SALES
from crm_testing import kafka_servers


def query(day: date) -> dict[str, str]:
    return {"period": "custom", "date_from": day.isoformat(), "date_to": day.isoformat()}


def _events(day: date) -> list:  # type: ignore[type-arg]
    doc = new_id()
    return [
        product_event("p1", 1, "Чайник"),
        document_event(
            DocumentKind.SHIPMENT, doc, 1, msk(day), [position("p1", 2, "1999.99", cost="1200.01")], customer="c1"
        ),
        document_event(
            DocumentKind.SHIPMENT, doc, 2, msk(day), [position("p1", 3, "1999.99", cost="1200.01")], customer="c1"
        ),
        document_event(
            DocumentKind.RETAIL_SALE, new_id(), 1, msk(day, 23, 30), [position("p1", 1, "1999.99", cost="1200.01")]
        ),
        document_event(
            DocumentKind.SALES_RETURN, new_id(), 1, msk(day), [position("p1", 1, "1999.99", cost="1200.01")]
        ),
    ]


async def current_metrics(client: httpx.AsyncClient, day: date) -> dict:  # type: ignore[type-arg]
    r = await client.get("/api/v1/analytics/dashboard", params=query(day))
    assert r.status_code == 200, r.text
    return r.json()["current"]  # type: ignore[no-any-return]


async def wait_for_revenue(client: httpx.AsyncClient, day: date, revenue: str) -> dict:  # type: ignore[type-arg]
    seen: dict = {}  # type: ignore[type-arg]

    async def reached() -> bool:
        seen.update(await current_metrics(client, day))
        return bool(seen["revenue"] == revenue)

    await eventually(reached, what=f"revenue {revenue} (last seen {seen.get('revenue')})")
    return seen


async def test_events_published_to_kafka_show_up_on_the_dashboard(live, mint) -> None:  # type: ignore[no-untyped-def]
    day = date(2025, 5, 14)
    await publish(_events(day))
    async with httpx.AsyncClient(base_url=live, headers=mint.headers("analytics:read")) as client:
        current = await wait_for_revenue(client, day, "5999.97")  # 3 + 1 − 1 units at 1999.99
        assert current["profit"] == "2399.94"
        assert current["sales_count"] == 2


async def test_delivering_every_event_twice_gives_the_same_numbers(live, mint) -> None:  # type: ignore[no-untyped-def]
    day = date(2025, 5, 15)
    events = _events(day)
    # Each event twice as the same message (inbox) and once more re-published under a new id (version guard).
    copies = [e.model_copy(update={"event_id": uuid.uuid4()}) for e in events]
    await publish([e for e in events for _ in range(2)] + copies)
    marker = document_event(DocumentKind.SHIPMENT, new_id(), 1, msk(day), [position("p1", 1, "0.01")])
    await publish([marker])  # per-key order is not global order: wait for the last event, then compare
    async with httpx.AsyncClient(base_url=live, headers=mint.headers("analytics:read")) as client:
        current = await wait_for_revenue(client, day, "5999.98")
        assert current["profit"] == "2399.95"
        assert current["sales_count"] == 3
        assert current["units_sold"] == "5.000"  # 3 shipped + 1 retail + 1 marker; returns count apart


async def test_events_that_cannot_apply_are_dead_lettered_and_the_projection_goes_on(live, mint) -> None:  # type: ignore[no-untyped-def]
    day = date(2025, 5, 16)
    poison = document_event(DocumentKind.SHIPMENT, new_id(), 1, msk(day), [position("p1", 1, 5)])
    poison = poison.model_copy(update={"entity_id": "not-the-document"})
    good = document_event(DocumentKind.SHIPMENT, new_id(), 1, msk(day), [position("p1", 1, 7)])
    await publish([poison, good], raw=[(SALES.name, b"{not json")])
    async with httpx.AsyncClient(base_url=live, headers=mint.headers("analytics:read")) as client:
        await wait_for_revenue(client, day, "7.00")
    reasons = await _dead_letter_reasons(expect=2)
    assert sorted(reasons) == ["invalid_event", "unapplicable"]


async def _dead_letter_reasons(expect: int) -> list[str]:
    consumer = AIOKafkaConsumer(DEAD_LETTER.name, bootstrap_servers=kafka_servers(), auto_offset_reset="earliest")
    await consumer.start()
    reasons: list[str] = []
    try:

        async def arrived() -> bool:
            batch = await consumer.getmany(timeout_ms=500)
            for records in batch.values():
                reasons.extend(dict(r.headers)["dlq_reason"].decode() for r in records)
            return len(reasons) >= expect

        await eventually(arrived, what="dead letters")
    finally:
        await consumer.stop()
    return reasons


def _alert_event(event_type: str, alert_id: str, version: int, title: str) -> EventEnvelope:
    alert = Alert(
        id=alert_id,
        kind=AlertKind.LOW_STOCK,
        title=title,
        message=f"{title}: осталось 1",
        permission="inventory:read",
        raised_at=datetime(2025, 5, 17, 9, version, tzinfo=UTC),
    )
    return make_event(
        event_type, source="inventory", account_id=ACCOUNT, entity_id=alert_id, source_version=version, payload=alert
    )


def _sync_event(event_type: str, job: str) -> EventEnvelope:
    status = SyncStatus(job_id=job, integration_id=f"moysklad-{job}", status=event_type.split(".")[1], detail="401")
    return make_event(
        event_type, source="moysklad", account_id=ACCOUNT, entity_id=job, source_version=1, payload=status
    )


async def test_alerts_and_sync_outcomes_arriving_together_end_as_they_would_one_at_a_time(live, mint) -> None:  # type: ignore[no-untyped-def]
    """Alerts are applied a batch per transaction: a raise and its clear, a failed sync and the completed one after
    it, all delivered at once (and twice), end as applying them one by one would."""
    tag = new_id()
    cleared, kept, refreshed = f"low:{tag}:cleared", f"low:{tag}:kept", f"low:{tag}:refreshed"
    job = f"job-{tag}"
    events = [
        _alert_event("alert.raised", cleared, 1, "Чайник"),
        _alert_event("alert.raised", kept, 1, "Утюг"),
        _alert_event("alert.cleared", cleared, 2, "Чайник"),
        _alert_event("alert.raised", refreshed, 1, "Фен"),
        _alert_event("alert.raised", refreshed, 2, "Фен, снова"),
        _sync_event("sync.failed", job),
        _sync_event("sync.completed", job),
    ]
    await publish(events + events)
    headers = mint.headers("analytics:read", "inventory:read", "admin:integrations")
    async with httpx.AsyncClient(base_url=live, headers=headers) as client:

        async def listed(status: str) -> dict[str, str]:
            r = await client.get("/api/v1/analytics/alerts", params={"status": status, "limit": 100})
            assert r.status_code == 200, r.text
            return {a["id"]: a["title"] for a in r.json()["items"] if tag in a["id"]}

        async def settled() -> bool:
            return len(await listed("all")) == 4

        await eventually(settled, what="four alerts stored")
        assert await listed("open") == {kept: "Утюг", refreshed: "Фен, снова"}
        assert sorted(await listed("cleared")) == sorted([cleared, f"sync_failed:moysklad-{job}:{job}"])
