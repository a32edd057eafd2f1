"""GET /api/v1/inventory/stores and store events."""

from __future__ import annotations

import httpx
import pytest
from inventory_testkit import apply, deleted_event, new_id, store_event
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from inventory_service.consumers import apply_event

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
