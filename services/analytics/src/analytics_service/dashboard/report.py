"""Assembling the dashboard from the roll-ups."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from analytics_service.dashboard.repository import DashboardRepository
from analytics_service.dashboard.schemas import (
    Dashboard,
    Metrics,
    PeriodOut,
    StockSummary,
    TopCustomer,
    TopProduct,
)
from analytics_service.money import change, percent, qty, rub
from analytics_service.periods import Period
from crm_common.db import Reads

COMPARED = ("revenue", "profit", "margin_percent", "sales_count", "orders_count", "average_check", "units_sold")


async def metrics(repo: DashboardRepository, period: Period) -> Metrics:
    sales = await repo.sales_totals(period)
    customers = await repo.customer_totals(period)
    orders = await repo.orders(period)
    sales_count = int(customers["sales_count"])
    average = rub(Decimal(sales["revenue"]) / sales_count) if sales_count else None
    return Metrics(
        revenue=rub(sales["revenue"]),
        vat=rub(sales["vat"]),
        cost=rub(sales["cost"]),
        profit=rub(sales["profit"]),
        margin_percent=percent(sales["profit"], sales["revenue"]),
        sales_count=sales_count,
        returns_count=int(customers["returns_count"]),
        orders_count=int(orders["orders_count"]),
        orders_amount=rub(orders["orders_amount"]),
        average_check=average,
        units_sold=qty(sales["units_sold"]),
        units_returned=qty(sales["units_returned"]),
        customers=customers["customers"],
        new_customers=customers["new_customers"],
        returning_customers=customers["returning_customers"],
    )


def _changes(current: Metrics, previous: Metrics) -> dict[str, Decimal | None]:
    out: dict[str, Decimal | None] = {}
    for name in COMPARED:
        now, before = getattr(current, name), getattr(previous, name)
        out[name] = None if now is None or before is None else change(now, before)
    return out


async def build_dashboard(session: Reads, period: Period, previous: Period, top: int) -> dict[str, Any]:
    repo = DashboardRepository(session)
    current, before = await metrics(repo, period), await metrics(repo, previous)
    stock = await repo.stock_summary()
    dashboard = Dashboard(
        period=PeriodOut(start=period.start, end=period.end),
        previous_period=PeriodOut(start=previous.start, end=previous.end),
        current=current,
        previous=before,
        change_percent=_changes(current, before),
        top_products=[
            TopProduct(
                **{**r, "quantity": qty(r["quantity"]), "revenue": rub(r["revenue"]), "profit": rub(r["profit"])}
            )
            for r in await repo.top_products(period, top)
        ],
        top_customers=[
            TopCustomer(
                **{**r, "sales_count": int(r["sales_count"]), "revenue": rub(r["revenue"]), "profit": rub(r["profit"])}
            )
            for r in await repo.top_customers(period, top)
        ],
        stock=StockSummary(
            value_at_cost=rub(stock["value_at_cost"]),
            value_at_sale_price=rub(stock["value_at_sale_price"]),
            low_stock_count=int(stock["low_stock_count"]),
        ),
    )
    return dashboard.model_dump(mode="json")
