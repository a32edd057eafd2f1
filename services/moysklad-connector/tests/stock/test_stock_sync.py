"""Stock levels over real HTTP (the simulator's reports), real Kafka and real Postgres."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from typing import Any

import pytest
from connector_testkit import account_events, latest_state
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from crm_common.db import transaction
from crm_common.errors import Conflict
from crm_common.events.topics import STOCK
from crm_integration.sinks import KafkaSink
from moysklad_connector.client import MoySkladClient
from moysklad_connector.client.http import ListPage
from moysklad_connector.settings import ConnectorSettings
from moysklad_connector.sync.redrive import redrive_letter
from moysklad_connector.sync.service import SyncService
from moysklad_connector.tables import DeadLetterRecord
from moysklad_simulator.reports import stock_by_item
from moysklad_simulator.testing import RunningSimulator

Level = tuple[Decimal, Decimal, Decimal]


def oracle(sim: RunningSimulator) -> dict[str, Level]:
    """The simulator's own report/stock/bystore: every (item, store) with something in it, as the report rounds."""
    out: dict[str, Level] = {}
    for item_id, per_store in stock_by_item(sim.state).items():
        if sim.state.find(sim.state.ledger.items[item_id]) is None:
            continue
        for store_id, totals in per_store.items():
            stock, reserve, transit = (Decimal(repr(round(v, 3))) for v in totals)
            if stock or reserve or transit:
                out[f"{item_id}:{store_id}"] = (stock, reserve, transit)
    return out


async def published_levels(sim: RunningSimulator) -> dict[str, Level]:
    final = latest_state(await account_events(STOCK.name, sim.state.account_id))
    levels = {k: e.payload for k, e in final.items()}
    return {
        k: (Decimal(p["stock"]), Decimal(p["reserve"]), Decimal(p["in_transit"]))
        for k, p in levels.items()
        if Decimal(p["stock"]) or Decimal(p["reserve"]) or Decimal(p["in_transit"])
    }


async def test_a_full_sync_publishes_the_simulators_stock_report(
    sim: RunningSimulator, integration: str, service: SyncService
) -> None:
    job = await service.run(integration, "full", "manual")

    assert job.status == "succeeded", job.detail
    events = await account_events(STOCK.name, sim.state.account_id)
    expected = oracle(sim)
    assert Counter(e.entity_id for e in events) == Counter(set(expected))  # each level once
    assert await published_levels(sim) == expected
    variants = [e for e in events if e.payload["assortment_kind"] == "variant"]
    assert variants
    for event in variants:
        variant = sim.state.get("variant", event.payload["assortment_id"])
        assert variant is not None
        assert event.payload["product_id"] == variant["product"].id
    for event in events:
        item = sim.state.find(sim.state.ledger.items[event.payload["assortment_id"]])
        assert item is not None
        product = sim.state.find(item["product"]) if "product" in item else item
        assert product is not None
        minimum = product.get("minimumBalance") or None
        assert (None if minimum is None else Decimal(repr(minimum))) == (
            None if event.payload["minimum_stock"] is None else Decimal(event.payload["minimum_stock"])
        )
        cost = sim.state.ledger.cost.get(item["id"], 0.0)
        assert Decimal(event.payload["unit_cost"]) == Decimal(repr(cost)) / 100
        assert Decimal(event.payload["available"]) == Decimal(event.payload["stock"]) - Decimal(
            event.payload["reserve"]
        )


async def test_a_reconcile_publishes_only_changed_levels_and_zeroes_vanished_ones(
    sim: RunningSimulator, integration: str, service: SyncService
) -> None:
    await service.run(integration, "full", "manual")
    before = {e.event_id for e in await account_events(STOCK.name, sim.state.account_id)}
    ledger = sim.state.ledger
    (store_a, item_a), (store_b, item_b) = sorted(k for k, v in ledger.stock.items() if v > 0)[:2]
    ledger.stock[(store_a, item_a)] += 7
    for table in (ledger.stock, ledger.reserve, ledger.in_transit):
        table[(store_b, item_b)] = 0.0  # the pair drops out of the report

    job = await service.run(integration, "stock", "manual")

    new = [e for e in await account_events(STOCK.name, sim.state.account_id) if e.event_id not in before]
    assert job.status == "succeeded", job.detail
    assert sorted(e.entity_id for e in new) == sorted([f"{item_a}:{store_a}", f"{item_b}:{store_b}"])
    assert await published_levels(sim) == oracle(sim)
    vanished = next(e for e in new if e.entity_id == f"{item_b}:{store_b}")
    assert Decimal(vanished.payload["stock"]) == 0
    assert job.counts == {"stock": 2}


async def test_an_unchanged_reconcile_publishes_nothing(
    sim: RunningSimulator, integration: str, service: SyncService
) -> None:
    await service.run(integration, "full", "manual")
    job = await service.run(integration, "stock", "manual")
    assert job.status == "succeeded", job.detail
    assert job.counts == {}


async def test_a_report_read_in_many_pages_publishes_each_level_once(
    sim: RunningSimulator,
    integration: str,
    settings: ConnectorSettings,
    engine: AsyncEngine,
    sessions: async_sessionmaker[AsyncSession],
    sink: KafkaSink,
) -> None:
    """Levels are published page by page as the report arrives (and the next page is asked for meanwhile)."""
    paged = SyncService(settings.model_copy(update={"page_size": 7}), engine, sessions, sink)
    items = {key.partition(":")[0] for key in oracle(sim)}
    assert len(items) > 5 * 7  # several pages of the report

    job = await paged.run(integration, "full", "manual")

    assert job.status == "succeeded", job.detail
    events = await account_events(STOCK.name, sim.state.account_id)
    assert Counter(e.entity_id for e in events) == Counter(set(oracle(sim)))
    assert await published_levels(sim) == oracle(sim)


async def test_an_unreadable_report_row_is_a_skipped_object_and_its_levels_stay(
    sim: RunningSimulator,
    integration: str,
    service: SyncService,
    sessions: async_sessionmaker[AsyncSession],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A row the connector cannot read must not read as "no stock any more" (zero events for all its stores): it is
    kept for the admin, its levels stay as last published, and the rest of the report is published."""
    await service.run(integration, "full", "manual")
    before = {e.event_id for e in await account_events(STOCK.name, sim.state.account_id)}
    ledger = sim.state.ledger
    (store_a, item_a), (store_b, item_b) = sorted(k for k, v in ledger.stock.items() if v > 0)[:2]
    assert item_a != item_b
    ledger.stock[(store_a, item_a)] += 7
    ledger.stock[(store_b, item_b)] += 3
    readable = MoySkladClient.list_page

    async def garbled(client: MoySkladClient, path: str, params: dict[str, Any] | None = None) -> ListPage:
        page = await readable(client, path, params)
        for row in page.rows if path.endswith("report/stock/bystore") else []:
            if row["meta"]["href"].split("?")[0].endswith(item_b):
                row["stockByStore"][0]["stock"] = "много"
        return page

    monkeypatch.setattr(MoySkladClient, "list_page", garbled)
    job = await service.run(integration, "stock", "manual")

    async with transaction(sessions) as session:
        letters = (await session.scalars(select(DeadLetterRecord).where(DeadLetterRecord.job_id == job.id))).all()
    assert job.status == "succeeded_with_skipped", job.detail
    assert [(d.entity_type, d.entity_id) for d in letters] == [("stock_report_row", item_b)]
    assert "много" in letters[0].reason
    new = [e for e in await account_events(STOCK.name, sim.state.account_id) if e.event_id not in before]
    assert [e.entity_id for e in new] == [f"{item_a}:{store_a}"]  # nothing of item_b, no zeroes
    with pytest.raises(Conflict, match="next sync reads it"):
        await redrive_letter(service, letters[0].id)

    monkeypatch.setattr(MoySkladClient, "list_page", readable)
    job = await service.run(integration, "stock", "manual")

    assert job.status == "succeeded", job.detail
    assert job.counts == {"stock": 1}
    assert await published_levels(sim) == oracle(sim)
