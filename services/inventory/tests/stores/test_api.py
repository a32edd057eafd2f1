"""GET /api/v1/inventory/stores and store events."""

from __future__ import annotations

import httpx
import pytest
from inventory_testkit import apply, assert_model_bytes, deleted_event, new_id, store_event
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from inventory_service.consumers import apply_event
from inventory_service.stores.schemas import StorePage

pytestmark = pytest.mark.usefixtures("clean")


async def test_stores_are_listed_by_name_newest_version_wins_and_deletes_apply(
    sessions: async_sessionmaker[AsyncSession], client: httpx.AsyncClient
) -> None:
    main, depot, gone = new_id(), new_id(), new_id()
    await apply(
        sessions,
        apply_event,
        store_event(main, 2, "Main", address="Moscow"),
        store_event(main, 1, "Main (old)"),
        store_event(depot, 1, "Depot", archived=True),
        store_event(gone, 1, "Gone"),
    )
    await apply(sessions, apply_event, deleted_event("store", gone, 2))

    body = (await client.get("/api/v1/inventory/stores")).json()
    active = (await client.get("/api/v1/inventory/stores", params={"archived": "false"})).json()

    assert body["total"] == 2
    assert [(s["name"], s["address"], s["archived"]) for s in body["items"]] == [
        ("Depot", None, True),
        ("Main", "Moscow", False),
    ]
    assert [s["name"] for s in active["items"]] == ["Main"]


async def test_store_pages_are_what_the_page_model_writes(
    sessions: async_sessionmaker[AsyncSession], client: httpx.AsyncClient
) -> None:
    await apply(
        sessions,
        apply_event,
        store_event(new_id(), 1, 'Склад "Север"', address="Москва, ул. Складская, 1", code="S-1"),
        store_event(new_id(), 2, "Depot", archived=True),
    )

    for params in ({}, {"archived": "true"}, {"limit": 1, "offset": 1}, {"offset": 10}):
        response = await client.get("/api/v1/inventory/stores", params=params)
        assert response.status_code == 200, response.text
        assert_model_bytes(StorePage, response.content)


async def test_the_store_list_serves_the_default_page_size_and_refuses_one_beyond_the_maximum(
    client: httpx.AsyncClient,
) -> None:
    """The settings' page sizes (50, at most 500), as every list: no ``limit`` serves 50, 501 is a 422 naming it."""
    assert (await client.get("/api/v1/inventory/stores")).json()["limit"] == 50
    refused = await client.get("/api/v1/inventory/stores", params={"limit": 501})
    assert (refused.status_code, refused.json()) == (
        422,
        {"error": "ValidationFailed", "detail": "limit must be at most 500"},
    )
