"""How PostgreSQL finds the prices a consumer batch replaces (the plan, not the time), and what the replace leaves."""

from __future__ import annotations

import uuid

import pytest
from catalog_testkit import plan, stale_statistics
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from catalog_service.products.repository import DELETE_PRICES, ProductRepository

pytestmark = pytest.mark.usefixtures("clean")


async def test_a_batchs_prices_are_found_by_the_index_even_when_the_statistics_are_stale(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """Statistics taken while the table held a few prices, then 10,000 products with two prices each, as a first load
    leaves it: the prices of 500 products (a third of them with prices) are found through the primary key's index, not
    by reading the whole table; exactly theirs are replaced, the others' stay."""
    tag = uuid.uuid4().hex[:6]
    insert = (
        "INSERT INTO catalog.product_prices (product_id, position, price_type, amount, currency)"
        " SELECT :tag || '-' || n, p, 'Цена продажи', n, 'RUB'"
        " FROM generate_series(1, {count}) AS n, generate_series(0, 1) AS p"
    )
    table = "catalog.product_prices"
    async with stale_statistics(sessions, table, insert, {"tag": tag}, analyzed=3, grown=10_000) as session:
        # 500 products, every 60th of 30,000: a third of them stored (n <= 10,000), the rest new
        replaced = [f"{tag}-{n}" for n in range(1, 30_000, 60)]
        found_by = await plan(session, DELETE_PRICES, {"ids": replaced})
        wholesale_price = {"price_type": "Опт", "price_type_id": None, "amount": 1, "currency": "RUB"}
        await ProductRepository(session).replace_prices({product: [wholesale_price] for product in replaced})
        rows = (await session.execute(text("SELECT product_id, price_type FROM catalog.product_prices"))).all()
    assert "Seq Scan on product_prices" not in found_by, found_by
    wholesale = {product for product, kind in rows if kind == "Опт"}
    assert wholesale == set(replaced)
    assert {product for product, kind in rows if kind != "Опт"} & wholesale == set()
    assert len(rows) == 2 * 10_000 - 2 * sum(1 for p in replaced if int(p.split("-")[1]) <= 10_000) + len(replaced)
