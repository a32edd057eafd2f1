"""Variant events: order-safe, idempotent, deletes applied; a variant may arrive before its product."""

from __future__ import annotations

import pytest
from catalog_testkit import apply, deleted_event, new_id, product_event, variant_event
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from catalog_service.consumers import apply_event
from catalog_service.products.service import get_product

pytestmark = pytest.mark.usefixtures("clean")


async def _variant_names(sessions: async_sessionmaker[AsyncSession], product_id: str) -> list[str]:
    async with sessions() as session:
        return [v["name"] for v in (await get_product(session, product_id))["variants"]]


async def test_variant_before_its_product_is_kept_and_shown_later(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    pid, vid = new_id(), new_id()
    await apply(sessions, apply_event, variant_event(vid, pid, 1, name="Red"))
    await apply(sessions, apply_event, product_event(pid, 1))
    assert await _variant_names(sessions, pid) == ["Red"]


async def test_variant_versions_in_any_order_twice_end_at_the_newest(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    pid, vid = new_id(), new_id()
    await apply(sessions, apply_event, product_event(pid, 1))
    events = [variant_event(vid, pid, v, name=f"v{v}") for v in (2, 3, 1)]
    await apply(sessions, apply_event, *events, *events)
    assert await _variant_names(sessions, pid) == ["v3"]


async def test_deleted_variant_disappears_and_stays_gone(sessions: async_sessionmaker[AsyncSession]) -> None:
    pid, vid = new_id(), new_id()
    await apply(sessions, apply_event, product_event(pid, 1))
    await apply(sessions, apply_event, variant_event(vid, pid, 1))
    await apply(sessions, apply_event, deleted_event("variant", vid, 2))
    await apply(sessions, apply_event, variant_event(vid, pid, 1))
    assert await _variant_names(sessions, pid) == []
