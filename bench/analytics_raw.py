"""The plain-SQL baseline of bench/analytics_bench.py: raw positions, the same questions, and the side checks.

The baseline is meant to be fair: a period of Moscow business days becomes a half-open range on ``moment`` computed
in UTC through ZoneInfo('Europe/Moscow') (never a fixed offset), so the index on ``moment`` serves it; grouping by
business day still uses the Moscow date. ``customer_id, moment`` is indexed too, for the first-purchase question.
Every answer the bench times on both sides is also compared, value by value; the first difference is returned.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from analytics_service.money import qty, rub
from analytics_service.periods import Period

SCHEMA_RAW = "analytics_bench_raw"
MOSCOW = ZoneInfo("Europe/Moscow")
SIGNED = "CASE WHEN kind = 'sales_return' THEN -{0} ELSE {0} END"
IN_RANGE = "moment >= :lo AND moment < :hi"

TOTALS = f"""
SELECT coalesce(sum({SIGNED.format("amount")}), 0) AS revenue,
       coalesce(sum({SIGNED.format("(amount - cost * quantity)")}), 0) AS profit,
       coalesce(sum(quantity) FILTER (WHERE kind <> 'sales_return'), 0) AS units_sold,
       coalesce(sum(quantity) FILTER (WHERE kind = 'sales_return'), 0) AS units_returned,
       count(DISTINCT document_id) FILTER (WHERE kind <> 'sales_return') AS sales_count,
       count(DISTINCT document_id) FILTER (WHERE kind = 'sales_return') AS returns_count,
       count(DISTINCT customer_id) FILTER (WHERE kind <> 'sales_return') AS customers
FROM {SCHEMA_RAW}.positions WHERE {IN_RANGE}
"""
NEW_CUSTOMERS = f"""
SELECT count(*) AS new_customers FROM (
  SELECT DISTINCT customer_id FROM {SCHEMA_RAW}.positions WHERE {IN_RANGE} AND kind <> 'sales_return') b
WHERE NOT EXISTS (SELECT 1 FROM {SCHEMA_RAW}.positions e
                  WHERE e.customer_id = b.customer_id AND e.kind <> 'sales_return' AND e.moment < :lo)
"""
TOP_PRODUCTS = f"""
SELECT product_id AS assortment_id, sum({SIGNED.format("quantity")}) AS quantity,
       sum({SIGNED.format("amount")}) AS revenue, sum({SIGNED.format("(amount - cost * quantity)")}) AS profit
FROM {SCHEMA_RAW}.positions WHERE {IN_RANGE}
GROUP BY 1 ORDER BY 3 DESC, 1 LIMIT :top
"""
TOP_CUSTOMERS = f"""
SELECT customer_id, count(DISTINCT document_id) FILTER (WHERE kind <> 'sales_return') AS sales_count,
       sum({SIGNED.format("amount")}) AS revenue, sum({SIGNED.format("(amount - cost * quantity)")}) AS profit
FROM {SCHEMA_RAW}.positions WHERE {IN_RANGE}
GROUP BY 1 ORDER BY 3 DESC, 1 LIMIT :top
"""
REPORT_DAY_PRODUCT = f"""
SELECT (moment AT TIME ZONE 'Europe/Moscow')::date AS bucket, product_id AS key,
       sum({SIGNED.format("amount")}) AS revenue, sum({SIGNED.format("quantity")}) AS quantity
FROM {SCHEMA_RAW}.positions WHERE {IN_RANGE}
GROUP BY 1, 2 ORDER BY 1, 2 LIMIT 100
"""
REPORT_CUSTOMERS = f"""
SELECT customer_id AS key, count(DISTINCT document_id) AS documents, sum({SIGNED.format("amount")}) AS revenue
FROM {SCHEMA_RAW}.positions WHERE {IN_RANGE}
GROUP BY 1 ORDER BY 3 DESC, 1 LIMIT 100
"""


def utc_bounds(period: Period, zone: ZoneInfo = MOSCOW) -> dict[str, datetime]:
    """The half-open UTC range [lo, hi) of the business days ``period`` in ``zone``."""

    def midnight(day: date) -> datetime:
        return datetime.combine(day, time.min, tzinfo=zone).astimezone(UTC)

    return {"lo": midnight(period.start), "hi": midnight(period.end + timedelta(days=1))}


async def create_raw_table(conn: AsyncConnection) -> None:
    await conn.execute(text(f'DROP SCHEMA IF EXISTS "{SCHEMA_RAW}" CASCADE'))
    await conn.execute(text(f'CREATE SCHEMA "{SCHEMA_RAW}"'))
    await conn.execute(
        text(
            f"CREATE TABLE {SCHEMA_RAW}.positions (document_id text, kind text, moment timestamptz, "
            "customer_id text, store_id text, product_id text, quantity numeric, amount numeric, cost numeric)"
        )
    )


async def load_raw(engine: AsyncEngine, rows: Sequence[tuple[Any, ...]]) -> None:
    """COPY the rows in, then the indexes the fair baseline needs, then ANALYZE."""
    async with engine.connect() as conn:
        raw = await conn.get_raw_connection()
        driver: Any = raw.driver_connection
        await driver.copy_records_to_table("positions", records=rows, schema_name=SCHEMA_RAW)
        await conn.commit()
        await conn.execute(text(f"CREATE INDEX ON {SCHEMA_RAW}.positions (moment)"))
        await conn.execute(text(f"CREATE INDEX ON {SCHEMA_RAW}.positions (customer_id, moment)"))
        await conn.execute(text(f"ANALYZE {SCHEMA_RAW}.positions"))
        await conn.commit()


async def raw_dashboard(conn: AsyncConnection, period: Period, previous: Period, top: int) -> dict[str, Any]:
    """The dashboard's sales figures for ``period`` and ``previous``, and the period's top lists, from raw rows."""
    out: dict[str, Any] = {}
    for name, p in (("current", period), ("previous", previous)):
        bounds = utc_bounds(p)
        totals = (await conn.execute(text(TOTALS), bounds)).one()._mapping
        new = (await conn.execute(text(NEW_CUSTOMERS), bounds)).scalar_one()
        out[name] = {**totals, "new_customers": new}
    bounds = {**utc_bounds(period), "top": top}
    out["top_products"] = [dict(r._mapping) for r in await conn.execute(text(TOP_PRODUCTS), bounds)]
    out["top_customers"] = [dict(r._mapping) for r in await conn.execute(text(TOP_CUSTOMERS), bounds)]
    return out


async def raw_report(conn: AsyncConnection, sql: str, period: Period) -> list[dict[str, Any]]:
    return [dict(r._mapping) for r in await conn.execute(text(sql), utc_bounds(period))]


MONEY = {"revenue", "profit"}
COUNTS = {"sales_count", "returns_count", "customers", "new_customers", "documents"}


def _norm(field: str, value: Any) -> Any:
    """A raw value in the API's rounding (money to the kopeck, quantities to 0.001, counts as int)."""
    if field in MONEY:
        return rub(Decimal(str(value)))
    if field in COUNTS:
        return int(value)
    if field in {"units_sold", "units_returned", "quantity"}:
        return qty(Decimal(str(value)))
    return str(value) if isinstance(value, date) else value


def first_difference(where: str, projected: Iterable[dict[str, Any]], raw: Iterable[dict[str, Any]]) -> str | None:
    """``None`` when every raw row's fields equal the projected row's at the same place; else the first difference."""
    projected, raw = list(projected), list(raw)
    if len(projected) != len(raw):
        return f"{where}: {len(projected)} rows in the projection, {len(raw)} in the raw positions"
    for i, (p, r) in enumerate(zip(projected, raw, strict=True)):
        for field, value in r.items():
            want, got = _norm(field, value), _norm(field, p[field])
            if want != got:
                return f"{where} row {i} field {field}: projection {got} raw {want}\n  projection {p}\n  raw {r}"
    return None


def dashboard_difference(label: str, dashboard: dict[str, Any], raw: dict[str, Any]) -> str | None:
    """The first figure where the projected dashboard (JSON form) and the raw positions disagree."""
    for part in ("current", "previous"):
        found = first_difference(f"{label} {part}", [dashboard[part]], [raw[part]])
        if found:
            return found
    for part in ("top_products", "top_customers"):
        found = first_difference(f"{label} {part}", dashboard[part], raw[part])
        if found:
            return found
    return None
