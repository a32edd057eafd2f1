"""Applying stock levels against the real database: order-safe and idempotent."""

from __future__ import annotations

from decimal import Decimal

import pytest
from inventory_testkit import apply, new_id, stock_event
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from crm_common.messaging.consumer import PoisonEvent
from inventory_service.consumers import apply_event
from inventory_service.stock.models import StockRow

pytestmark = pytest.mark.usefixtures("clean")


async def _stock(sessions: async_sessionmaker[AsyncSession], entity_id: str) -> tuple[Decimal, Decimal] | None:
    async with sessions() as session:
        row = await session.scalar(select(StockRow).where(StockRow.id == entity_id))
        return None if row is None else (row.stock, row.available)


async def test_each_level_twice_and_out_of_order_ends_at_the_newest(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    results = set()
    for order in ((1, 2, 3), (3, 1, 2), (2, 3, 1)):
        item, store = new_id(), new_id()
        levels = {v: stock_event(item, store, v, f"{v}0", reserve="1") for v in (1, 2, 3)}
        await apply(sessions, apply_event, *[levels[v] for v in order for _ in range(2)])
        results.add(await _stock(sessions, f"{item}:{store}"))
    assert results == {(Decimal(30), Decimal(29))}


async def test_fractional_and_negative_quantities_are_kept_exactly(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    item, store = new_id(), new_id()
    await apply(sessions, apply_event, stock_event(item, store, 1, "-2.375"))
    assert await _stock(sessions, f"{item}:{store}") == (Decimal("-2.375"), Decimal("-2.375"))


async def test_level_keyed_under_another_entity_is_poison(sessions: async_sessionmaker[AsyncSession]) -> None:
    event = stock_event(new_id(), new_id(), 1, "5").model_copy(update={"entity_id": "x:y"})
    with pytest.raises(PoisonEvent):
        await apply(sessions, apply_event, event)
