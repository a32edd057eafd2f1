"""Threshold endpoints: `inventory:write` to change, `inventory:read` to see; a threshold settles alerts at once."""

from __future__ import annotations

from decimal import Decimal

import httpx
import pytest
from inventory_testkit import TokenMint, apply, new_id, product_event, stock_event
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from crm_testing import slow_commits
from inventory_service.consumers import apply_event
from inventory_service.db import outbox

pytestmark = pytest.mark.usefixtures("clean")

THRESHOLDS = "/api/v1/inventory/thresholds/"


async def _alert_types(sessions: async_sessionmaker[AsyncSession], entity_id: str) -> list[str]:
    async with sessions() as session:
        rows = await session.scalars(
            select(outbox.c.event["event_type"].astext)
            .where(outbox.c.event["entity_id"].astext == entity_id)
            .order_by(outbox.c.id)
        )
        return list(rows)


@pytest.fixture
async def writer(api_url: str, mint: TokenMint) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=api_url, headers=mint.headers("inventory:read", "inventory:write"))


async def test_store_threshold_overrides_the_product_minimum_and_raises_at_once(
    sessions: async_sessionmaker[AsyncSession], client: httpx.AsyncClient, writer: httpx.AsyncClient
) -> None:
    item, store = new_id(), new_id()
    await apply(sessions, apply_event, product_event(item, 1, minimum_stock=Decimal(1)))
    await apply(sessions, apply_event, stock_event(item, store, 1, "4"))

    async with writer:
        put = await writer.put(f"{THRESHOLDS}{item}", json={"minimum": "10", "store_id": store})
        level = (await client.get("/api/v1/inventory/stock", params={"product_id": item})).json()["items"][0]
        listed = (await client.get(THRESHOLDS, params={"assortment_id": item})).json()["items"]
        removed = await writer.delete(f"{THRESHOLDS}{item}", params={"store_id": store})
        again = await writer.delete(f"{THRESHOLDS}{item}", params={"store_id": store})

    assert put.status_code == 200
    assert (put.json()["minimum"], put.json()["store_id"], put.json()["updated_by"]) == ("10", store, "user-1")
    assert (level["minimum"], level["below_minimum"]) == ("10", True)
    assert [(t["assortment_id"], t["store_id"]) for t in listed] == [(item, store)]
    assert (removed.status_code, again.status_code) == (204, 404)
    assert await _alert_types(sessions, f"{item}:{store}") == ["alert.raised", "alert.cleared"]


async def test_every_store_threshold_applies_to_all_stores(
    sessions: async_sessionmaker[AsyncSession], writer: httpx.AsyncClient
) -> None:
    item, a, b = new_id(), new_id(), new_id()
    await apply(sessions, apply_event, stock_event(item, a, 1, "1"), stock_event(item, b, 1, "100"))
    async with writer:
        assert (await writer.put(f"{THRESHOLDS}{item}", json={"minimum": "2"})).json()["store_id"] is None
    assert await _alert_types(sessions, f"{item}:{a}") == ["alert.raised"]
    assert await _alert_types(sessions, f"{item}:{b}") == []


async def test_changing_thresholds_needs_inventory_write(client: httpx.AsyncClient) -> None:
    response = await client.put(f"{THRESHOLDS}{new_id()}", json={"minimum": "1"})
    assert (response.status_code, response.json()["error"]) == (403, "Forbidden")


@pytest.mark.parametrize("body", [{"minimum": "-1"}, {"minimum": "abc"}, {}, {"minimum": "1", "store_id": ""}])
async def test_invalid_threshold_gets_422(writer: httpx.AsyncClient, body: dict[str, object]) -> None:
    async with writer:
        response = await writer.put(f"{THRESHOLDS}{new_id()}", json=body)
    assert response.status_code == 422
    assert set(response.json()) == {"error", "detail"}


async def test_removing_with_an_empty_store_id_gets_422_naming_it(writer: httpx.AsyncClient) -> None:
    async with writer:
        response = await writer.delete(f"{THRESHOLDS}{new_id()}", params={"store_id": ""})
    assert (response.status_code, response.json()["error"]) == (422, "ValidationError")
    assert response.json()["detail"].startswith("query.store_id: ")


async def test_a_write_is_seen_by_the_very_next_read_however_slow_its_commit(
    client: httpx.AsyncClient, writer: httpx.AsyncClient
) -> None:
    item = new_id()
    with slow_commits():
        async with writer:
            for minimum in ("5", "7"):
                put = await writer.put(f"{THRESHOLDS}{item}", json={"minimum": minimum})
                listed = (await client.get(THRESHOLDS, params={"assortment_id": item})).json()["items"]
                assert put.status_code == 200, put.text
                assert [t["minimum"] for t in listed] == [minimum]
            removed = await writer.delete(f"{THRESHOLDS}{item}")
            after = (await client.get(THRESHOLDS, params={"assortment_id": item})).json()["items"]
    assert (removed.status_code, after) == (204, [])
