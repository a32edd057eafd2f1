"""Low-stock alerts: one event per crossing of the minimum, staged in the outbox with the change that caused it."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from decimal import Decimal
from typing import Any

import pytest
from inventory_testkit import (
    apply,
    deleted_event,
    new_id,
    product_event,
    stock_event,
    store_event,
    variant_event,
)
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from crm_common.events.envelope import EventEnvelope
from crm_common.events.models import AssortmentKind
from inventory_service.alerts.models import LowStockRow
from inventory_service.alerts.service import set_threshold
from inventory_service.consumers import apply_event, apply_events
from inventory_service.db import outbox

pytestmark = pytest.mark.usefixtures("clean")


async def _alerts(sessions: async_sessionmaker[AsyncSession], entity_id: str) -> list[EventEnvelope]:
    async with sessions() as session:
        rows = await session.scalars(
            select(outbox.c.event).where(outbox.c.event["entity_id"].astext == entity_id).order_by(outbox.c.id)
        )
        return [EventEnvelope.model_validate(r) for r in rows]


async def test_one_alert_per_crossing_not_per_update(sessions: async_sessionmaker[AsyncSession]) -> None:
    item, store = new_id(), new_id()
    await apply(sessions, apply_event, product_event(item, 1, name="Milk", minimum_stock=Decimal(5)))
    await apply(sessions, apply_event, store_event(store, 1, "Main"))
    # 10 → 4 → 3 → 2 (one crossing down) → 8 → 9 (one up) → 1 (down again)
    levels = [stock_event(item, store, v, qty) for v, qty in enumerate(["10", "4", "3", "2", "8", "9", "1"], start=1)]
    await apply(sessions, apply_event, *levels)

    alerts = await _alerts(sessions, f"{item}:{store}")

    assert [a.event_type for a in alerts] == ["alert.raised", "alert.cleared", "alert.raised"]
    first = alerts[0].payload
    assert (first["kind"], first["permission"], first["subject_id"]) == ("low_stock", "inventory:read", item)
    assert (first["data"]["stock"], first["data"]["minimum"], first["title"]) == ("4", "5", "Low stock: Milk")
    assert "Main" in first["message"]
    assert alerts[0].payload["id"] == alerts[1].payload["id"] != alerts[2].payload["id"]
    assert len({a.event_id for a in alerts}) == 3


async def test_redelivered_and_stale_levels_raise_nothing_more(sessions: async_sessionmaker[AsyncSession]) -> None:
    item, store = new_id(), new_id()
    await apply(sessions, apply_event, product_event(item, 1, minimum_stock=Decimal(5)))
    low, old_high = stock_event(item, store, 3, "1"), stock_event(item, store, 2, "50")
    await apply(sessions, apply_event, low, low, old_high, low)
    assert [a.event_type for a in await _alerts(sessions, f"{item}:{store}")] == ["alert.raised"]


async def test_minimum_sent_with_the_stock_level_counts(sessions: async_sessionmaker[AsyncSession]) -> None:
    item, store = new_id(), new_id()
    await apply(sessions, apply_event, stock_event(item, store, 1, "0", minimum_stock=Decimal(2)))
    alerts = await _alerts(sessions, f"{item}:{store}")
    assert [(a.event_type, a.payload["severity"]) for a in alerts] == [("alert.raised", "critical")]


async def test_without_a_minimum_nothing_is_raised(sessions: async_sessionmaker[AsyncSession]) -> None:
    item, store = new_id(), new_id()
    await apply(sessions, apply_event, stock_event(item, store, 1, "-3"))
    assert await _alerts(sessions, f"{item}:{store}") == []


async def test_raising_the_product_minimum_raises_and_deleting_the_product_clears(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    item, store = new_id(), new_id()
    await apply(sessions, apply_event, product_event(item, 1, minimum_stock=Decimal(1)))
    await apply(sessions, apply_event, stock_event(item, store, 1, "3"))
    await apply(sessions, apply_event, product_event(item, 2, minimum_stock=Decimal(10)))
    await apply(sessions, apply_event, deleted_event("product", item, 3))
    assert [a.event_type for a in await _alerts(sessions, f"{item}:{store}")] == ["alert.raised", "alert.cleared"]


async def _state(sessions: async_sessionmaker[AsyncSession], key: tuple[str, str]) -> tuple[Any, ...] | None:
    """(minimum, stock, active, crossings, the row version PostgreSQL keeps: changes with every write) or None."""
    table = LowStockRow.__table__
    async with sessions() as session:
        row = (
            await session.execute(
                select(table.c.minimum, table.c.stock, table.c.active, table.c.crossings, text("xmin::text")).where(
                    table.c.assortment_id == key[0], table.c.store_id == key[1]
                )
            )
        ).first()
        return None if row is None else tuple(row)


async def test_a_level_without_a_minimum_keeps_no_state_until_it_has_one(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    item, store = new_id(), new_id()
    await apply(sessions, apply_event, product_event(item, 1), stock_event(item, store, 1, "-2"))
    assert await _state(sessions, (item, store)) is None
    await apply(sessions, apply_event, product_event(item, 2, minimum_stock=Decimal(3)))
    assert (await _state(sessions, (item, store)) or ())[:4] == (Decimal(3), Decimal(-2), True, 1)
    await apply(sessions, apply_event, product_event(item, 3))  # the minimum removed: the alert clears
    assert (await _state(sessions, (item, store)) or ())[:4] == (None, Decimal(-2), False, 1)
    assert [a.event_type for a in await _alerts(sessions, f"{item}:{store}")] == ["alert.raised", "alert.cleared"]


async def test_a_level_sent_again_unchanged_leaves_its_state_as_it_was(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    item, store = new_id(), new_id()
    await apply(
        sessions, apply_event, product_event(item, 1, minimum_stock=Decimal(5)), stock_event(item, store, 1, "3")
    )
    first = await _state(sessions, (item, store))
    await apply(sessions, apply_event, stock_event(item, store, 2, "3"))  # a newer version, the same level
    assert await _state(sessions, (item, store)) == first
    await apply(sessions, apply_event, stock_event(item, store, 3, "4"))  # still below: written, no second alert
    after = await _state(sessions, (item, store))
    assert first is not None
    assert after is not None
    assert after[:4] == (Decimal(5), Decimal(4), True, 1)
    assert after[4] != first[4]
    assert [a.event_type for a in await _alerts(sessions, f"{item}:{store}")] == ["alert.raised"]


async def _waiting_on_a_lock(sessions: async_sessionmaker[AsyncSession], pid: int) -> bool:
    async with sessions() as session:
        waiting = await session.scalar(
            text("select count(*) from pg_locks where pid = :pid and not granted"), {"pid": pid}
        )
        return bool(waiting)


Step = Callable[[AsyncSession], Awaitable[Any]]


def _events(*events: EventEnvelope) -> Step:
    return lambda session: apply_events(session, list(events))


def _race_cases() -> Iterator[Any]:
    """(already applied, what replica A applies, what replica B applies, the state of the level after both)."""
    item, store, variant = new_id(), new_id(), new_id()
    product = product_event(item, 1, minimum_stock=Decimal(10))
    level = stock_event(item, store, 1, "5")
    settled = (Decimal(10), Decimal(5), True, 1)
    for name, a, b in (("product, then a level", product, level), ("a level, then the product", level, product)):
        yield pytest.param([], _events(a), _events(b), (item, store), settled, id=name)
    threshold: Step = lambda session: set_threshold(session, item, None, Decimal(10), "admin")  # noqa: E731
    yield pytest.param([], _events(level), threshold, (item, store), settled, id="a level, then a threshold")
    yield pytest.param([], threshold, _events(level), (item, store), settled, id="a threshold, then a level")
    # A variant known with a level of it; its product's minimum set while the variant is deleted: the level ends not
    # below (a deleted item raises nothing) with the product's minimum, as when applied one after the other.
    known = [
        product_event(item, 1),
        variant_event(variant, item, 1),
        stock_event(variant, store, 1, "5", product_id=item, kind=AssortmentKind.VARIANT),
    ]
    deleted = deleted_event("variant", variant, 2)
    raised_minimum = product_event(item, 2, minimum_stock=Decimal(10))
    yield pytest.param(
        known,
        _events(raised_minimum),
        _events(deleted),
        (variant, store),
        (Decimal(10), Decimal(5), False, 1),
        id="a product's minimum, then its variant deleted",
    )


@pytest.mark.parametrize(("before", "replica_a", "replica_b", "key", "expected"), list(_race_cases()))
async def test_replicas_writing_what_one_level_depends_on_at_once_settle_it_with_both(
    sessions: async_sessionmaker[AsyncSession],
    before: list[EventEnvelope],
    replica_a: Step,
    replica_b: Step,
    key: tuple[str, str],
    expected: tuple[Any, ...],
) -> None:
    """Two replicas write what one level's low-stock state depends on (its product's minimum, the level, a threshold,
    its variant) in overlapping transactions: the level is settled with both facts, as one replica would have. Without
    the lock each settles it without the other's uncommitted row (the minimum lost, an alert never raised)."""
    if before:
        await apply(sessions, apply_event, *before)
    async with sessions() as session_a, sessions() as session_b:
        pid = await session_b.scalar(text("select pg_backend_pid()"))
        await replica_a(session_a)  # written, not committed yet

        async def second() -> None:
            await replica_b(session_b)
            await session_b.commit()

        task = asyncio.create_task(second())
        deadline = asyncio.get_running_loop().time() + 30
        while not task.done() and not await _waiting_on_a_lock(sessions, pid):
            assert asyncio.get_running_loop().time() < deadline, "the second replica neither finished nor waited"
            await asyncio.sleep(0.02)
        await session_a.commit()
        await task

    async with sessions() as session:
        state = await session.get(LowStockRow, key)
    assert state is not None
    assert (state.minimum, state.stock, state.active, state.crossings) == expected
