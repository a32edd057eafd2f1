"""A type's next page is asked for while the current one is published (over real HTTP, Kafka and Postgres)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import httpx
from connector_testkit import account_events, connector_settings
from sqlalchemy.ext.asyncio import AsyncEngine

from crm_common.events.envelope import EventEnvelope
from crm_common.events.topics import PRODUCTS
from moysklad_connector.sync.service import SyncService
from moysklad_simulator.testing import RunningSimulator


class WaitingForTheNextPage:
    """Publishes product pages only once the simulator has been asked for the page after them."""

    def __init__(self, sink: Any, sim: RunningSimulator) -> None:
        self.sink, self.sim = sink, sim
        self.pages = 0
        self.asked_before_publish: list[bool] = []

    async def product_requests(self) -> int:
        async with httpx.AsyncClient(timeout=10) as http:
            stats = (await http.get(f"{self.sim.base_url}/__sim/stats")).json()
        return int(stats["by_path"].get("/api/remap/1.2/entity/product", {}).get("requests", 0))

    async def publish(self, events: Sequence[EventEnvelope]) -> None:
        if events and events[0].event_type == "product.upserted":
            self.pages += 1
            # The page after this one was asked for before this one is published (the last page has none).
            for _ in range(100):
                if await self.product_requests() > self.pages:
                    break
                await asyncio.sleep(0.02)
            self.asked_before_publish.append(await self.product_requests() > self.pages)
        await self.sink.publish(events)


async def test_the_next_page_is_requested_while_a_page_is_published(
    sim: RunningSimulator, integration: str, engine: AsyncEngine, sessions: Any, sink: Any
) -> None:
    waiting = WaitingForTheNextPage(sink, sim)
    service = SyncService(connector_settings(page_size=7), engine, sessions, waiting)  # type: ignore[arg-type]

    job = await service.run(integration, "full", "manual", types=["product"])

    products = sim.state.records("product")
    pages = -(-len(products) // 7)
    assert job.status == "succeeded", job.detail
    assert waiting.pages == pages >= 3
    assert waiting.asked_before_publish == [True] * (pages - 1) + [False]
    published = {e.entity_id for e in await account_events(PRODUCTS.name, sim.state.account_id)}
    assert published == {p["id"] for p in products}
