"""The whole path over real Kafka and Postgres: events on the catalog topics → consumer → database → HTTP API."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import orjson
import pytest
from aiokafka import AIOKafkaProducer
from catalog_testkit import (
    TokenMint,
    deleted_event,
    eventually,
    folder_event,
    new_id,
    price,
    product_event,
    publish,
    variant_event,
    wait_drained,
)
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from catalog_service.db import inbox
from crm_common.events.topics import DEAD_LETTER, FOLDERS, PRODUCTS, VARIANTS
from crm_testing import topic_reader

CATALOG_TOPICS = [FOLDERS, PRODUCTS, VARIANTS]


@pytest.fixture
async def api(pipeline_url: str, mint: TokenMint) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=pipeline_url, headers=mint.headers("products:read"), timeout=10) as c:
        yield c


async def _product(api: httpx.AsyncClient, product_id: str) -> dict[str, object] | None:
    response = await api.get(f"/api/v1/products/{product_id}")
    return response.json() if response.status_code == 200 else None


async def test_published_product_is_served_with_its_folder_and_variant(
    api: httpx.AsyncClient, producer: AIOKafkaProducer
) -> None:
    folder, pid, vid = new_id(), new_id(), new_id()
    await publish(producer, FOLDERS, folder_event(folder, 1, "Напитки"))
    await publish(
        producer, PRODUCTS, product_event(pid, 1, name="Квас", folder_id=folder, sale_prices=[price("89.90")])
    )
    await publish(producer, VARIANTS, variant_event(vid, pid, 1, name="Квас 2 л"))

    async def served() -> dict[str, object] | None:
        body = await _product(api, pid)
        return body if body and body["variants"] and body["folder_path"] else None

    body = await eventually(served)
    assert (body["name"], body["folder_path"], body["sale_prices"][0]["amount"]) == ("Квас", "Напитки", "89.90")
    assert [v["name"] for v in body["variants"]] == ["Квас 2 л"]


async def test_events_delivered_twice_and_out_of_order_give_the_newest_state(
    api: httpx.AsyncClient,
    producer: AIOKafkaProducer,
    consumer_group: str,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    pid = new_id()
    v1, v2, v3 = (product_event(pid, v, name=f"v{v}", sale_prices=[price(f"{v}.00")]) for v in (1, 2, 3))
    await publish(producer, PRODUCTS, v1, v3, v2, v3, v1, v2)
    await wait_drained(consumer_group, CATALOG_TOPICS)

    body = await _product(api, pid)
    assert body is not None
    assert (body["name"], [p["amount"] for p in body["sale_prices"]]) == ("v3", ["3.00"])  # type: ignore[index]
    async with sessions() as session:
        seen = await session.scalars(
            select(inbox.c.event_id).where(
                inbox.c.consumer == consumer_group, inbox.c.event_id.in_([e.event_id for e in (v1, v2, v3)])
            )
        )
        assert len(list(seen)) == 3  # each event recorded once although delivered twice


async def test_deleted_product_disappears_from_the_api(
    api: httpx.AsyncClient, producer: AIOKafkaProducer, consumer_group: str
) -> None:
    pid = new_id()
    await publish(producer, PRODUCTS, product_event(pid, 1, name="Short-lived"))
    await eventually(lambda: _product(api, pid))
    await publish(producer, PRODUCTS, deleted_event("product", pid, 2), product_event(pid, 1, name="Stale copy"))

    async def gone() -> bool:
        return await _product(api, pid) is None

    assert await eventually(gone)
    await wait_drained(consumer_group, CATALOG_TOPICS)
    assert await _product(api, pid) is None  # the stale copy after the delete did not bring it back


async def test_bad_events_are_dead_lettered_with_a_reason_and_consumption_goes_on(
    api: httpx.AsyncClient, producer: AIOKafkaProducer, consumer_group: str
) -> None:
    key = new_id()
    unknown = product_event(key, 1).model_copy(update={"event_type": "product.exploded"})
    invalid_payload = orjson.loads(product_event(key, 1).to_bytes())
    del invalid_payload["payload"]["name"]
    mismatched = product_event(key, 1).model_copy(update={"entity_id": new_id()})
    good = new_id()
    await publish(
        producer,
        PRODUCTS,
        (key, b"{not json"),
        (key, unknown.to_bytes()),
        (key, orjson.dumps(invalid_payload)),
        (mismatched.entity_id, mismatched.to_bytes()),
        product_event(good, 1, name="After the bad ones"),
    )

    assert await eventually(lambda: _product(api, good))
    await wait_drained(consumer_group, CATALOG_TOPICS)
    reasons = await _dead_letter_reasons(consumer_group, {key, mismatched.entity_id})
    assert sorted(reasons) == ["invalid_event", "invalid_event", "invalid_event", "unapplicable"]


async def _dead_letter_reasons(consumer_group: str, keys: set[str]) -> list[str]:
    reasons: list[str] = []
    async with topic_reader(DEAD_LETTER.name) as reader:
        while True:
            batch = await reader.getmany(timeout_ms=1000)
            records = [r for rs in batch.values() for r in rs]
            if not records:
                return reasons
            for record in records:
                headers = {k: v.decode() for k, v in record.headers}
                if headers.get("dlq_consumer") == consumer_group and record.key and record.key.decode() in keys:
                    reasons.append(headers["dlq_reason"])
