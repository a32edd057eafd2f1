"""The dashboard reads monthly roll-ups plus and minus daily ones (`periods.cover`); for any period its figures and
top lists must be the ones the raw facts give."""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

import pytest
from analytics_testkit import document_event, msk, new_id, position
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from analytics_service.dashboard.repository import DashboardRepository
from analytics_service.periods import Period
from analytics_service.pipeline.batch import ProjectionBatch
from crm_common.events.envelope import EventEnvelope
from crm_common.events.models import DocumentKind

FIRST = date(2025, 2, 1)
RETURNS = "('sales_return', 'retail_return')"
PERIODS = [
    Period(date(2025, 3, 1), date(2025, 3, 31)),  # a whole month
    Period(date(2025, 5, 1), date(2025, 5, 20)),  # month to date: the month minus the days after
    Period(date(2025, 3, 10), date(2025, 3, 20)),  # the middle of a month: its days
    Period(date(2025, 2, 15), date(2025, 4, 10)),  # edges of two months around a whole one
    Period(date(2025, 2, 3), date(2025, 5, 29)),  # two months minus days at both ends
    Period(date(2025, 4, 7), date(2025, 4, 7)),
    Period(date(2025, 7, 1), date(2025, 7, 31)),  # nothing sold
]
EXPECTED_TOTALS = f"""
SELECT coalesce(sum(revenue), 0) revenue, coalesce(sum(vat), 0) vat, coalesce(sum(cost), 0) cost,
       coalesce(sum(profit), 0) profit,
       coalesce(sum(quantity) FILTER (WHERE kind NOT IN {RETURNS}), 0) units_sold,
       coalesce(-sum(quantity) FILTER (WHERE kind IN {RETURNS}), 0) units_returned
FROM analytics.sales_facts WHERE business_day BETWEEN :lo AND :hi"""
EXPECTED_CUSTOMERS = f"""
SELECT count(DISTINCT document_id) FILTER (WHERE kind NOT IN {RETURNS}) sales_count,
       count(DISTINCT document_id) FILTER (WHERE kind IN {RETURNS}) returns_count,
       count(DISTINCT customer_id) FILTER (WHERE kind NOT IN {RETURNS} AND customer_id <> '') customers,
       count(DISTINCT customer_id) FILTER (WHERE kind NOT IN {RETURNS} AND customer_id <> '' AND customer_id NOT IN
           (SELECT customer_id FROM analytics.sales_facts WHERE kind NOT IN {RETURNS} AND business_day < :lo))
           new_customers
FROM analytics.sales_facts WHERE business_day BETWEEN :lo AND :hi"""
EXPECTED_TOP_PRODUCTS = """
SELECT assortment_id, max(product_id) product_id, sum(quantity) quantity, sum(revenue) revenue, sum(profit) profit
FROM analytics.sales_facts WHERE business_day BETWEEN :lo AND :hi
GROUP BY 1 ORDER BY 4 DESC, 1 LIMIT 5"""
EXPECTED_TOP_CUSTOMERS = f"""
SELECT customer_id, count(DISTINCT document_id) FILTER (WHERE kind NOT IN {RETURNS}) sales_count,
       sum(revenue) revenue, sum(profit) profit
FROM analytics.sales_facts WHERE business_day BETWEEN :lo AND :hi AND customer_id <> ''
GROUP BY 1 ORDER BY 3 DESC, 1 LIMIT 5"""


def documents(rnd: random.Random) -> list[EventEnvelope]:
    kinds = [DocumentKind.SHIPMENT] * 3 + [DocumentKind.RETAIL_SALE, DocumentKind.SALES_RETURN]
    out = []
    for _ in range(160):
        day = FIRST + timedelta(days=rnd.randint(0, 119))
        items = [
            position(
                f"dp{rnd.randint(1, 12)}", rnd.randint(1, 5), f"{rnd.randint(1, 999)}.{rnd.randint(0, 99)}", cost=3
            )
            for _ in range(rnd.randint(1, 3))
        ]
        customer = rnd.choice([f"dc{i}" for i in range(10)] + [None])
        out.append(
            document_event(rnd.choice(kinds), new_id(), 1, msk(day, rnd.randint(0, 23)), items, customer=customer)
        )
    return out


async def _expected(session: AsyncSession, period: Period) -> dict[str, Any]:
    bounds = {"lo": period.start, "hi": period.end}

    async def rows(sql: str) -> list[dict[str, Any]]:
        return [dict(r._mapping) for r in await session.execute(text(sql), bounds)]

    customers = (await rows(EXPECTED_CUSTOMERS))[0]
    customers["returning_customers"] = customers["customers"] - customers["new_customers"]
    return {
        "totals": (await rows(EXPECTED_TOTALS))[0],
        "customers": customers,
        "top_products": await rows(EXPECTED_TOP_PRODUCTS),
        "top_customers": await rows(EXPECTED_TOP_CUSTOMERS),
    }


async def _dashboard(repo: DashboardRepository, period: Period) -> dict[str, Any]:
    def without_names(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{k: v for k, v in r.items() if k != "name"} for r in rows]

    return {
        "totals": await repo.sales_totals(period),
        "customers": await repo.customer_totals(period),
        "top_products": without_names(await repo.top_products(period, 5)),
        "top_customers": without_names(await repo.top_customers(period, 5)),
    }


@pytest.mark.usefixtures("clean")
async def test_every_period_gets_the_figures_of_the_raw_facts(sessions, settings) -> None:  # type: ignore[no-untyped-def]
    async with sessions() as s, s.begin():
        await ProjectionBatch(settings)(s, documents(random.Random(5)))
    subtracted = 0
    async with sessions() as s:
        for period in PERIODS:
            repo = DashboardRepository(s)
            subtracted += sum(sign < 0 for _, sign in (await repo.cover(period)).days)
            assert await _dashboard(repo, period) == await _expected(s, period), period
        assert (await _expected(s, PERIODS[0]))["top_products"]  # the comparisons were about real numbers
    assert subtracted >= 3  # month to date and the long period took days away from whole months
