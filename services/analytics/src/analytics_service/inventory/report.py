"""Assembling the inventory report: one row per product or variant that has stock or sold in the window."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from analytics_service.inventory.classify import abc, coefficient_of_variation, xyz
from analytics_service.inventory.repository import InventoryRepository
from analytics_service.inventory.schemas import InventoryItem, InventoryReport, InventorySummary
from analytics_service.money import qty, rub
from analytics_service.periods import Period
from analytics_service.settings import AnalyticsSettings
from crm_common.db import Reads

ZERO = Decimal(0)
SORTS = {"value_at_cost", "revenue", "profit", "stock", "days_of_cover", "sold_quantity", "assortment_id"}


def _ratio(a: Decimal, b: Decimal, places: str = "0.01") -> Decimal | None:
    return (a / b).quantize(Decimal(places), rounding=ROUND_HALF_UP) if b else None


async def inventory_report(
    session: Reads,
    settings: AnalyticsSettings,
    window: Period,
    *,
    store_id: str | None,
    sort: str,
    descending: bool,
    limit: int,
    offset: int,
) -> dict[str, Any]:
    repo = InventoryRepository(session)
    stock = await repo.stock(store_id)
    sales = await repo.sales(window, store_id)
    demand = await repo.weekly_demand(window, store_id)
    ids = set(stock) | set(sales)
    last_sale = await repo.last_sale_days(ids, window.end)
    names = await repo.names(ids | {r["product_id"] for r in [*stock.values(), *sales.values()]})
    abc_revenue = abc(
        {k: sales.get(k, {}).get("revenue") or ZERO for k in ids}, settings.abc_a_share, settings.abc_b_share
    )
    abc_profit = abc(
        {k: sales.get(k, {}).get("profit") or ZERO for k in ids}, settings.abc_a_share, settings.abc_b_share
    )
    weeks = (window.days + 6) // 7
    dead_before = window.end - timedelta(days=settings.dead_stock_days)
    items = []
    for key in ids:
        st, sl = stock.get(key, {}), sales.get(key, {})
        on_hand, at_cost = st.get("stock") or ZERO, st.get("at_cost") or ZERO
        sold, cogs = sl.get("sold") or ZERO, sl.get("cost") or ZERO
        series = [demand.get(key, {}).get(w, ZERO) for w in range(weeks)]
        cv = coefficient_of_variation(series)
        product_id = st.get("product_id") or sl.get("product_id") or key
        daily = sold / window.days
        items.append(
            InventoryItem(
                assortment_id=key,
                product_id=product_id,
                name=names.get(key) or names.get(product_id),
                stock=qty(on_hand),
                value_at_cost=rub(at_cost),
                value_at_sale_price=rub(st.get("at_sale") or ZERO),
                sold_quantity=qty(sold),
                revenue=rub(sl.get("revenue")),
                profit=rub(sl.get("profit")),
                turnover=_ratio(cogs, at_cost) if at_cost > 0 else None,
                days_of_cover=_ratio(on_hand, daily, "0.1") if on_hand > 0 and daily > 0 else None,
                last_sale_day=last_sale.get(key),
                dead_stock=on_hand > 0 and (last_sale.get(key) is None or last_sale[key] < dead_before),
                abc_revenue=abc_revenue[key],
                abc_profit=abc_profit[key],
                xyz=xyz(cv, settings.xyz_x_cv, settings.xyz_y_cv),
                demand_cv=cv,
            )
        )
    summary = InventorySummary(
        items=len(items),
        value_at_cost=rub(sum((i.value_at_cost for i in items), ZERO)),
        value_at_sale_price=rub(sum((i.value_at_sale_price for i in items), ZERO)),
        dead_stock_items=sum(1 for i in items if i.dead_stock),
        dead_stock_value_at_cost=rub(sum((i.value_at_cost for i in items if i.dead_stock), ZERO)),
        abc_revenue=dict(Counter(i.abc_revenue for i in items)),
        abc_profit=dict(Counter(i.abc_profit for i in items)),
        xyz=dict(Counter(i.xyz for i in items)),
    )
    present = [i for i in items if getattr(i, sort) is not None]
    absent = [i for i in items if getattr(i, sort) is None]
    present.sort(key=lambda i: (getattr(i, sort), i.assortment_id), reverse=descending)
    ordered = present + sorted(absent, key=lambda i: i.assortment_id)
    report = InventoryReport(
        start=window.start,
        end=window.end,
        dead_stock_days=settings.dead_stock_days,
        summary=summary,
        total_items=len(items),
        items=ordered[offset : offset + limit],
    )
    return report.model_dump(mode="json")
