"""How PostgreSQL reads the low-stock states a consumer batch settles and finds the products it locks (the plan, not
the time)."""

from __future__ import annotations

import uuid

import pytest
from inventory_testkit import plan, stale_statistics
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from inventory_service.alerts.repository import _LOCK, _LOCKED_STATES, AlertRepository

pytestmark = pytest.mark.usefixtures("clean")


async def test_a_batchs_states_are_found_by_key_even_when_the_statistics_are_stale(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """Statistics taken while the table held a few states, then 5,000 products × 4 stores, as a first load leaves
    it: 700 keys asked (some without a state) are each looked up by key, not found by reading the whole table."""
    tag = uuid.uuid4().hex[:6]
    insert = (
        "INSERT INTO inventory.low_stock_state (assortment_id, store_id, active, crossings, changed_at, stock, minimum)"
        " SELECT :tag || '-' || n, 's' || s, n % 3 = 0, n % 3, now(), n, 5"
        " FROM generate_series(1, {count}) AS n, generate_series(1, 4) AS s"
    )
    table = "inventory.low_stock_state"
    async with stale_statistics(sessions, table, insert, {"tag": tag}, analyzed=3, grown=5000) as session:
        keys = sorted({(f"{tag}-{n}", f"s{1 + n % 5}") for n in range(1, 5000, 7)})
        params = {"assortment_id": [a for a, _ in keys], "store_id": [s for _, s in keys]}
        found_by = await plan(session, _LOCKED_STATES, params)
        states = await AlertRepository(session).locked_states(keys)
    expected = {(a, s) for a, s in keys if s != "s5"}  # four stores hold a state; s5 none
    assert set(states) == expected
    assert all(state.stock == int(state.assortment_id.split("-")[1]) for state in states.values())
    assert "Seq Scan on low_stock_state" not in found_by, found_by


async def test_the_products_a_batch_locks_are_looked_up_by_key_even_when_the_statistics_are_stale(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """Statistics taken while the assortment held a few items, then 5,000 products with a variant each, as a first
    load leaves it: the products of the variants a batch does not name them for are each looked up by the variant's
    id, not found by reading the whole assortment; and they are locked with the ids named."""
    tag = uuid.uuid4().hex[:6]
    insert = (
        "INSERT INTO inventory.assortment (id, source, account_id, kind, product_id, name, updated_at, source_version)"
        " SELECT :tag || '-' || k || n, 'moysklad', 'a', k, :tag || '-p' || n, 'x', now(), 1"
        " FROM generate_series(1, {count}) AS n, unnest(ARRAY['p', 'v']) AS k"
    )
    table = "inventory.assortment"
    async with stale_statistics(sessions, table, insert, {"tag": tag}, analyzed=3, grown=5000) as session:
        variants = [f"{tag}-v{n}" for n in range(1, 5000, 7)]
        named = [f"{tag}-p{n}" for n in range(2, 5000, 7)]
        params = {"ids": sorted({*variants, *named}), "unnamed": variants}
        found_by = await plan(session, _LOCK, params)
        await AlertRepository(session).lock_assortment([*variants, *named], unnamed=variants)
        held = await session.scalar(
            text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()")
        )
    assert "Seq Scan on assortment" not in found_by, found_by
    # each id given, and the product of each variant looked up (products of the named ones are among the ids)
    assert held == len(variants) + len(named) + len(variants)
