"""The whole path over real Kafka and Postgres: stock and catalog events → consumer → database → API, and low-stock
alerts → outbox → relay → the alerts topic."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from inventory_testkit import (
    TokenMint,
    eventually,
    new_id,
    product_event,
    publish,
    stock_event,
    store_event,
    wait_drained,
)

from crm_common.events.envelope import EventEnvelope
from crm_common.events.topics import ALERTS, DEAD_LETTER, FOLDERS, PRODUCTS, STOCK, STORES, VARIANTS
from crm_testing import read_events, topic_reader

INVENTORY_TOPICS = [STORES, STOCK, PRODUCTS, VARIANTS, FOLDERS]


@pytest.fixture
async def api(pipeline_url: str, mint: TokenMint) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=pipeline_url, headers=mint.headers("inventory:read"), timeout=10) as c:
        yield c


async def _level(api: httpx.AsyncClient, item: str) -> dict[str, object] | None:
    items = (await api.get("/api/v1/inventory/stock", params={"product_id": item})).json()["items"]
    return items[0] if items else None


async def _alerts_for(entity_id: str) -> list[EventEnvelope]:
    return [e for e in await read_events(ALERTS.name, idle=1.5) if e.entity_id == entity_id]


async def test_levels_twice_and_out_of_order_give_the_newest_and_alert_once_per_crossing(
    api: httpx.AsyncClient, producer: AIOKafkaProducer, consumer_group: str
) -> None:
    item, store = new_id(), new_id()
    await publish(producer, STORES, store_event(store, 1, "Main"))
    await publish(producer, PRODUCTS, product_event(item, 1, name="Kefir", minimum_stock=Decimal(5)))
    await wait_drained(consumer_group, INVENTORY_TOPICS)  # stock goes to another topic: let the catalog land first
    v1, v2, v3, v4 = (stock_event(item, store, v, qty) for v, qty in enumerate(["9", "3", "2", "6"], start=1))
    await publish(producer, STOCK, v1, v2, v1, v3, v2, v3)  # down once, with copies and stale ones
    await wait_drained(consumer_group, INVENTORY_TOPICS)

    level = await _level(api, item)
    assert level is not None
    assert (level["name"], level["store_name"], level["stock"], level["below_minimum"]) == ("Kefir", "Main", "2", True)

    await publish(producer, STOCK, v4, v4, v3)  # recovers once
    await wait_drained(consumer_group, INVENTORY_TOPICS)

    async def both_published() -> list[EventEnvelope] | None:
        alerts = await _alerts_for(f"{item}:{store}")
        return alerts if len(alerts) >= 2 else None

    await eventually(both_published)
    alerts = await _alerts_for(f"{item}:{store}")
    assert [a.event_type for a in alerts] == ["alert.raised", "alert.cleared"]
    assert alerts[0].payload["data"]["stock"] == "3"


async def test_bad_stock_events_are_dead_lettered_and_consumption_goes_on(
    api: httpx.AsyncClient, producer: AIOKafkaProducer, consumer_group: str
) -> None:
    item, store, good = new_id(), new_id(), new_id()
    wrong_key = stock_event(item, store, 1, "1").model_copy(update={"entity_id": f"{item}:elsewhere"})
    unknown = stock_event(item, store, 1, "1").model_copy(update={"event_type": "stock.vanished"})
    await publish(
        producer,
        STOCK,
        (f"{item}:{store}", b"\x00\x01 not an event"),
        (f"{item}:{store}", unknown.to_bytes()),
        (wrong_key.entity_id, wrong_key.to_bytes()),
        stock_event(good, store, 1, "12"),
    )

    level = await eventually(lambda: _level(api, good))
    assert level["stock"] == "12"
    await wait_drained(consumer_group, INVENTORY_TOPICS)
    reasons = []
    async with topic_reader(DEAD_LETTER.name) as reader:
        while batch := await reader.getmany(timeout_ms=1000):
            for record in (r for rs in batch.values() for r in rs):
                headers = {k: v.decode() for k, v in record.headers}
                if headers.get("dlq_consumer") == consumer_group and (record.key or b"").decode().startswith(item):
                    reasons.append(headers["dlq_reason"])
    assert sorted(reasons) == ["invalid_event", "invalid_event", "unapplicable"]
    assert await _level(api, item) is None
