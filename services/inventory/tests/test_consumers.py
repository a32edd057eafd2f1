"""A whole batch through the inventory's consumer use case: the same rows and the same low-stock alerts as applying
its events one at a time."""

from __future__ import annotations

from decimal import Decimal

import pytest
from inventory_testkit import apply, deleted_event, new_id, product_event, stock_event, store_event, variant_event
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from crm_common.db import transaction
from crm_common.events.envelope import EventEnvelope
from crm_common.events.models import AssortmentKind
from crm_common.events.topics import FOLDERS, PRODUCTS, STOCK, STORES, VARIANTS
from crm_common.messaging.broker import make_broker
from crm_common.messaging.consumer import PoisonEvent
from inventory_service.consumers import TOPICS, apply_event, apply_events, product_of, register_consumers
from inventory_service.db import outbox
from inventory_service.settings import InventorySettings
from inventory_service.stock.models import StockRow

pytestmark = pytest.mark.usefixtures("clean")


async def _batch(sessions: async_sessionmaker[AsyncSession], *events: EventEnvelope) -> None:
    async with transaction(sessions) as session:
        await apply_events(session, list(events))


async def _alert_types(sessions: async_sessionmaker[AsyncSession], entity_id: str) -> list[str]:
    async with sessions() as session:
        rows = await session.scalars(
            select(outbox.c.event["event_type"].astext)
            .where(outbox.c.event["entity_id"].astext == entity_id)
            .order_by(outbox.c.id)
        )
        return list(rows)


async def _stock(sessions: async_sessionmaker[AsyncSession], *ids: str) -> dict[str, Decimal]:
    async with sessions() as session:
        rows = await session.execute(select(StockRow.id, StockRow.stock).where(StockRow.id.in_(ids)))
        return {r.id: r.stock for r in rows}


async def test_every_crossing_inside_one_batch_raises_and_clears_as_one_at_a_time(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    item, store = new_id(), new_id()
    # 10 → 4 (down) → 3 → 8 (up) → 1 (down), with a stale and a repeated level among them, all in one batch
    levels = [stock_event(item, store, v, q) for v, q in enumerate(["10", "4", "3", "8", "1"], start=1)]
    await _batch(
        sessions, product_event(item, 1, minimum_stock=Decimal(5)), *levels[:3], levels[0], *levels[3:], levels[4]
    )
    assert await _alert_types(sessions, f"{item}:{store}") == ["alert.raised", "alert.cleared", "alert.raised"]
    assert await _stock(sessions, f"{item}:{store}") == {f"{item}:{store}": Decimal(1)}


async def test_a_level_and_its_product_in_one_batch_are_written_once_with_the_products_columns(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """The level comes first in Kafka order (its topic and the product's are consumed side by side); the run writes
    the product first, so the level is inserted with its name and minimum and never written again by the copy
    (PostgreSQL's counts of this transaction's own row writes: one insert, no update)."""
    item, other, store = new_id(), new_id(), new_id()
    # Counted as a difference within the transaction: the counts a backend has not yet reported (it does so once
    # idle, at most once a second) include earlier transactions' writes on the same pooled connection.
    counts = text(
        "SELECT n_tup_ins, n_tup_upd FROM pg_stat_xact_user_tables WHERE schemaname = 'inventory' AND relname = 'stock'"
    )
    async with transaction(sessions) as session:
        before = (await session.execute(counts)).one()
        await apply_events(
            session,
            [
                stock_event(item, store, 1, "2"),
                stock_event(other, store, 1, "9"),
                product_event(item, 1, name="Чай", minimum_stock=Decimal(5)),
                product_event(other, 1, name="Кофе"),
            ],
        )
        after = (await session.execute(counts)).one()
        rows = await session.execute(
            select(StockRow.assortment_id, StockRow.name, StockRow.catalog_minimum).where(StockRow.store_id == store)
        )
        assert sorted(tuple(r) for r in rows) == sorted([(item, "Чай", Decimal(5)), (other, "Кофе", None)])
    assert (after[0] - before[0], after[1] - before[1]) == (2, 0)
    assert await _alert_types(sessions, f"{item}:{store}") == ["alert.raised"]


async def test_a_batch_leaves_the_rows_and_alerts_that_one_event_at_a_time_leaves(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    def shop(item: str, stores: list[str]) -> list[EventEnvelope]:
        levels = [stock_event(item, s, 1, str(q)) for s, q in zip(stores, (0, 3, 9, 2), strict=True)]
        return [
            *levels[:2],
            product_event(item, 1, minimum_stock=Decimal(4)),
            *levels[2:],
            stock_event(item, stores[1], 2, "7"),
        ]

    batched, single = new_id(), new_id()
    stores = [new_id() for _ in range(4)]
    await _batch(sessions, *shop(batched, stores))
    await apply(sessions, apply_event, *shop(single, stores))
    for store in stores:
        assert await _alert_types(sessions, f"{batched}:{store}") == await _alert_types(sessions, f"{single}:{store}")
    found = await _stock(sessions, *(f"{i}:{s}" for i in (batched, single) for s in stores))
    assert [found[f"{batched}:{s}"] for s in stores] == [found[f"{single}:{s}"] for s in stores]


@pytest.mark.parametrize("batched", [True, False])
async def test_a_variant_deleted_and_written_again_clears_then_raises_its_alert(
    sessions: async_sessionmaker[AsyncSession], batched: bool
) -> None:
    product, variant, store = new_id(), new_id(), new_id()
    level = stock_event(variant, store, 1, "1", product_id=product, kind=AssortmentKind.VARIANT)
    events = [
        product_event(product, 1, minimum_stock=Decimal(5)),
        variant_event(variant, product, 1),
        level,
        deleted_event("variant", variant, 2),
        variant_event(variant, product, 3),
    ]
    if batched:
        await _batch(sessions, *events)
    else:
        await apply(sessions, apply_event, *events)
    assert await _alert_types(sessions, f"{variant}:{store}") == ["alert.raised", "alert.cleared", "alert.raised"]


async def test_a_bad_event_in_the_middle_of_a_batch_writes_nothing_of_it(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """The consumer then applies the batch one event at a time and dead-letters only the bad one (crm_common)."""
    item, store = new_id(), new_id()
    bad = stock_event(item, store, 1, "5").model_copy(update={"entity_id": "not-the-level"})
    with pytest.raises(PoisonEvent):
        await _batch(sessions, stock_event(item, new_id(), 1, "1"), bad, stock_event(item, store, 1, "2"))
    async with sessions() as session:
        assert (await session.scalars(select(StockRow.id).where(StockRow.assortment_id == item))).all() == []


def test_the_consumer_takes_batches_of_the_configured_size() -> None:
    broker = make_broker("127.0.0.1:9092", "inventory-wiring-test")  # nothing connects before start
    consumer = register_consumers(broker, async_sessionmaker(), InventorySettings(consume_batch=123, consume_lanes=3))
    assert [getattr(s, "max_records", None) for s in broker.subscribers] == [123]
    assert set(consumer.lanes.values()) == {3}
    consumer = register_consumers(make_broker("127.0.0.1:9092", "wiring"), async_sessionmaker(), InventorySettings())
    assert set(consumer.lanes.values()) == {2}  # the default: two lanes


def test_the_consumer_reads_the_catalog_before_the_stock_levels() -> None:
    """In a backlog, what a level is filled from comes first (crm_common.messaging.first): stores, products, variants
    and folders, every topic but the levels'."""
    consumer = register_consumers(make_broker("127.0.0.1:9092", "wiring"), async_sessionmaker(), InventorySettings())
    assert consumer.read_first == {topic.name for topic in TOPICS} - {STOCK.name}
    assert consumer.read_first == {topic.name for topic in (STORES, PRODUCTS, VARIANTS, FOLDERS)}


def test_a_products_events_share_a_lane_of_the_consumer() -> None:
    """The consumer's lanes follow ``product_of``: a product, its variants and the levels of both go together (each
    lane holds its products' locks until it commits), whatever the record keys."""
    product, variant, store = new_id(), new_id(), new_id()
    bad = stock_event(variant, store, 1, "1", product_id=product).model_copy(update={"payload": {"stock": "x"}})
    assert {
        product_of(event)
        for event in (
            product_event(product, 1),
            deleted_event("product", product, 2),
            variant_event(variant, product, 1),
            stock_event(product, store, 1, "5"),
            stock_event(variant, store, 1, "5", product_id=product, kind=AssortmentKind.VARIANT),
        )
    } == {product}
    # A variant's deletion does not name its product; a store and a poison event go by their entity.
    assert product_of(deleted_event("variant", variant, 2)) == variant
    assert product_of(store_event(store, 1, "Main")) == store
    assert product_of(bad) == f"{variant}:{store}"
    settings = InventorySettings()
    consumer = register_consumers(make_broker("127.0.0.1:9092", "wiring"), async_sessionmaker(), settings)
    assert consumer.affinities == dict.fromkeys(consumer.lanes, product_of)
