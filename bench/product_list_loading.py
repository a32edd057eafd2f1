"""The product list use case in-process: Core rows (what catalog does now) against ORM objects (what it did), one run.

    uv run python bench/product_list_loading.py [--products 1000] [--calls 200] [--rounds 5]

HTTP benchmarks on a shared 2-core machine move by ±10% from one run to the next, more than this change is worth, so
this one times only the use case, CPU time of this process per call (``time.process_time``), the two variants
interleaved round by round over the same scratch database (bench/http_load.py). Baseline: the previous loading, ORM
``ProductRow``/``ProductPriceRow`` objects with every column and jsonb decoded by the stdlib.
Side check (exit non-zero):
both variants return the same page, item by item. Asserts nothing about time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import time
from collections import defaultdict
from typing import Any

from http_load import scratch_database, seed_products  # bench/ is on sys.path
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from catalog_service.folders.repository import FolderRepository
from catalog_service.money import PriceOut, money_out
from catalog_service.products import service
from catalog_service.products.models import ProductPriceRow, ProductRow
from catalog_service.products.repository import _conditions, _order_by
from catalog_service.products.schemas import ProductItem, ProductPage, ProductQuery
from crm_common.db import create_engine, session_factory


async def orm_list(session: AsyncSession, query: ProductQuery) -> ProductPage:
    """The list as catalog built it before: ORM objects with every column."""
    conditions = _conditions(query)
    total = await session.scalar(select(func.count()).select_from(ProductRow).where(*conditions))
    rows = list(
        await session.scalars(
            select(ProductRow).where(*conditions).order_by(*_order_by(query)).limit(query.limit).offset(query.offset)
        )
    )
    prices: dict[str, list[Any]] = defaultdict(list)
    for p in await session.scalars(
        select(ProductPriceRow)
        .where(ProductPriceRow.product_id.in_([r.id for r in rows]))
        .order_by(ProductPriceRow.product_id, ProductPriceRow.position)
    ):
        prices[p.product_id].append(p)
    paths = await FolderRepository(session).paths(r.folder_id for r in rows if r.folder_id)
    items = [_orm_item(r, prices.get(r.id, []), paths.get(r.folder_id) if r.folder_id else None) for r in rows]
    return ProductPage(items=items, total=int(total or 0), limit=query.limit, offset=query.offset)


def _orm_item(row: ProductRow, prices: list[ProductPriceRow], folder_path: str | None) -> ProductItem:
    """An item as catalog built it before: a validated model from ORM attributes."""
    return ProductItem(
        **{c: getattr(row, c) for c in ("id", "source", "account_id", "kind", "name", "code", "article")},
        **{c: getattr(row, c) for c in ("external_code", "folder_id", "uom", "barcodes", "vat_percent")},
        **{c: getattr(row, c) for c in ("vat_enabled", "minimum_stock", "archived", "updated_at")},
        folder_path=folder_path,
        sale_prices=[
            PriceOut(price_type=p.price_type, price_type_id=p.price_type_id, amount=p.amount, currency=p.currency)
            for p in prices
        ],
        buy_price=money_out(row.buy_price_amount, row.buy_price_currency),
        min_price=money_out(row.min_price_amount, row.min_price_currency),
    )


async def cpu_per_call(sessions: Any, use_case: Any, calls: int) -> float:
    started = time.process_time()
    for _ in range(calls):
        async with sessions() as session:
            await use_case(session, ProductQuery(limit=50))
    return (time.process_time() - started) * 1000 / calls


async def compare(url: str, calls: int, rounds: int) -> tuple[float, float]:
    current = create_engine(url, "catalog", pool_size=1)
    # The engine as crm_common made it before: pool_pre_ping, stdlib jsonb decoding.
    before = create_async_engine(
        current.url,
        pool_size=1,
        pool_pre_ping=True,
        json_deserializer=json.loads,
        connect_args={"server_settings": {"search_path": "catalog,public"}},
    )
    try:
        new_sessions, old_sessions = session_factory(current), session_factory(before)
        async with new_sessions() as a, old_sessions() as b:
            new_page, old_page = (
                await service.list_products(a, ProductQuery(limit=50)),
                await orm_list(b, ProductQuery(limit=50)),
            )
        if ProductPage.model_validate(new_page).model_dump() != old_page.model_dump() or not new_page["items"]:
            raise SystemExit("side check failed: Core rows and ORM objects give different product pages")
        new, old = [], []
        for _ in range(rounds):
            old.append(await cpu_per_call(old_sessions, orm_list, calls))
            new.append(await cpu_per_call(new_sessions, service.list_products, calls))
        return statistics.median(new), statistics.median(old)
    finally:
        await current.dispose()
        await before.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--products", type=int, default=1000)
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with scratch_database(dict(os.environ), ("catalog",)) as url:
        seed_products(url, args.products)
        new, old = asyncio.run(compare(url, args.calls, args.rounds))
    print(f"product list use case, CPU per call (median of {args.rounds} rounds of {args.calls}):")
    print(f"  Core rows {new:.2f} ms | ORM objects {old:.2f} ms | ratio {new / old:.2f}")
    figure = {
        "name": "product list use case CPU per call",
        "value": new,
        "unit": "ms",
        "baseline": old,
        "baseline_name": "ORM objects, stdlib jsonb (before)",
    }
    print("BENCH " + json.dumps(figure))


if __name__ == "__main__":
    main()
