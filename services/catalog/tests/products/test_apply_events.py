"""Applying product events against the real database: order-safe, idempotent, deletes are final."""

from __future__ import annotations

from decimal import Decimal

import pytest
from catalog_testkit import apply, deleted_event, new_id, price, product_event
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from catalog_service.consumers import apply_event
from catalog_service.products.repository import ProductRepository
from catalog_service.products.service import get_product
from crm_common.errors import NotFound
from crm_common.messaging.consumer import PoisonEvent

pytestmark = pytest.mark.usefixtures("clean")


async def _name(sessions: async_sessionmaker[AsyncSession], product_id: str) -> str | None:
    async with sessions() as session:
        row = await ProductRepository(session).get(product_id)
        return None if row is None else row["name"]


async def test_newer_version_replaces_older(sessions: async_sessionmaker[AsyncSession]) -> None:
    pid = new_id()
    await apply(sessions, apply_event, product_event(pid, 1, name="Old"), product_event(pid, 2, name="New"))
    assert await _name(sessions, pid) == "New"


async def test_older_version_arriving_late_is_ignored(sessions: async_sessionmaker[AsyncSession]) -> None:
    pid = new_id()
    await apply(sessions, apply_event, product_event(pid, 5, name="New"), product_event(pid, 3, name="Old"))
    assert await _name(sessions, pid) == "New"


async def test_same_version_redelivered_with_other_content_changes_nothing(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    pid = new_id()
    first = product_event(pid, 4, name="First", sale_prices=[price("10.00")])
    again = product_event(pid, 4, name="Second", sale_prices=[price("99.00")])
    await apply(sessions, apply_event, first, again)
    async with sessions() as session:
        detail = await get_product(session, pid)
    assert (detail["name"], [p["amount"] for p in detail["sale_prices"]]) == ("First", [Decimal("10.00")])


async def test_every_order_of_the_same_events_gives_the_same_state(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    events = {}
    for label, order in {"forward": (1, 2, 3), "backward": (3, 2, 1), "mixed": (2, 3, 1)}.items():
        pid = new_id()
        versions = {v: product_event(pid, v, name=f"v{v}", sale_prices=[price(f"{v}0.00")]) for v in (1, 2, 3)}
        # each event delivered twice
        await apply(sessions, apply_event, *[versions[v] for v in order for _ in range(2)])
        async with sessions() as session:
            detail = await get_product(session, pid)
        events[label] = (detail["name"], tuple(str(p["amount"]) for p in detail["sale_prices"]))
    assert set(events.values()) == {("v3", ("30.00",))}


async def test_prices_are_replaced_not_accumulated(sessions: async_sessionmaker[AsyncSession]) -> None:
    pid = new_id()
    v1 = product_event(pid, 1, sale_prices=[price("100.00"), price("90.00", "Опт")])
    v2 = product_event(pid, 2, sale_prices=[price("120.50")])
    await apply(sessions, apply_event, v1, v2)
    async with sessions() as session:
        detail = await get_product(session, pid)
    assert [(p["price_type"], p["amount"]) for p in detail["sale_prices"]] == [("Цена продажи", Decimal("120.50"))]


async def test_delete_hides_the_product(sessions: async_sessionmaker[AsyncSession]) -> None:
    pid = new_id()
    await apply(sessions, apply_event, product_event(pid, 1))
    await apply(sessions, apply_event, deleted_event("product", pid, 2))
    async with sessions() as session:
        with pytest.raises(NotFound):
            await get_product(session, pid)


async def test_older_upsert_after_delete_does_not_resurrect(sessions: async_sessionmaker[AsyncSession]) -> None:
    pid = new_id()
    await apply(sessions, apply_event, deleted_event("product", pid, 7))
    await apply(sessions, apply_event, product_event(pid, 6))
    assert await _name(sessions, pid) is None


async def test_upsert_newer_than_delete_brings_the_product_back(sessions: async_sessionmaker[AsyncSession]) -> None:
    pid = new_id()
    await apply(sessions, apply_event, product_event(pid, 1))
    await apply(sessions, apply_event, deleted_event("product", pid, 2))
    await apply(sessions, apply_event, product_event(pid, 3, name="Restored"))
    assert await _name(sessions, pid) == "Restored"


async def test_event_whose_key_and_payload_disagree_is_poison(sessions: async_sessionmaker[AsyncSession]) -> None:
    event = product_event(new_id(), 1).model_copy(update={"entity_id": "someone-else"})
    with pytest.raises(PoisonEvent):
        await apply(sessions, apply_event, event)
