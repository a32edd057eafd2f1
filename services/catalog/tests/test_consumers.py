"""A whole batch through the catalog's consumer use case: rows and sale prices as one event at a time leaves them."""

from __future__ import annotations

from decimal import Decimal

import pytest
from catalog_testkit import deleted_event, new_id, price, product_event
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from catalog_service.consumers import apply_events, register_consumers
from catalog_service.products.models import ProductPriceRow, ProductRow
from catalog_service.products.service import get_product
from catalog_service.settings import CatalogSettings
from crm_common.db import transaction
from crm_common.errors import NotFound
from crm_common.events.envelope import EventEnvelope
from crm_common.messaging.broker import make_broker

pytestmark = pytest.mark.usefixtures("clean")


async def _batch(sessions: async_sessionmaker[AsyncSession], *events: EventEnvelope) -> None:
    async with transaction(sessions) as session:
        await apply_events(session, list(events))


async def _prices(sessions: async_sessionmaker[AsyncSession], product_id: str) -> list[Decimal]:
    async with sessions() as session:
        rows = await session.scalars(
            select(ProductPriceRow.amount)
            .where(ProductPriceRow.product_id == product_id)
            .order_by(ProductPriceRow.position)
        )
        return list(rows)


async def test_the_newest_version_in_a_batch_sets_the_row_and_its_sale_prices(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    pid, other = new_id(), new_id()
    await _batch(
        sessions,
        product_event(pid, 2, name="v2", sale_prices=[price("20.00"), price("21.00", "Опт")]),
        product_event(other, 1, name="other", sale_prices=[price("5.00")]),
        product_event(pid, 3, name="v3", sale_prices=[price("30.00")]),
        product_event(pid, 1, name="v1", sale_prices=[price("10.00")]),
    )
    async with sessions() as session:
        assert (await get_product(session, pid))["name"] == "v3"
    assert await _prices(sessions, pid) == [Decimal("30.00")]
    assert await _prices(sessions, other) == [Decimal("5.00")]


async def test_a_stale_version_in_a_later_batch_leaves_the_sale_prices_alone(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    pid = new_id()
    await _batch(sessions, product_event(pid, 5, sale_prices=[price("50.00")]))
    await _batch(sessions, product_event(pid, 4, sale_prices=[price("40.00")]))
    assert await _prices(sessions, pid) == [Decimal("50.00")]


async def test_a_delete_then_an_older_upsert_in_one_batch_stays_deleted(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    pid = new_id()
    await _batch(sessions, product_event(pid, 1, name="kept"))
    await _batch(sessions, deleted_event("product", pid, 3), product_event(pid, 2, name="zombie"))
    async with sessions() as session:
        with pytest.raises(NotFound):
            await get_product(session, pid)
        row = await session.get(ProductRow, pid)
    assert row is not None
    assert (row.name, row.source_version) == ("kept", 3)


def test_the_consumer_takes_batches_of_the_configured_size() -> None:
    broker = make_broker("127.0.0.1:9092", "catalog-wiring-test")  # nothing connects before start
    consumer = register_consumers(broker, async_sessionmaker(), CatalogSettings(consume_batch=123, consume_lanes=3))
    assert [getattr(s, "max_records", None) for s in broker.subscribers] == [123]
    assert set(consumer.lanes.values()) == {3}
    defaults = make_broker("127.0.0.1:9092", "wiring")
    consumer = register_consumers(defaults, async_sessionmaker(), CatalogSettings())
    assert set(consumer.lanes.values()) == {2}  # the defaults: two lanes sharing batches of 1,000
    assert [getattr(s, "max_records", None) for s in defaults.subscribers] == [1000]
