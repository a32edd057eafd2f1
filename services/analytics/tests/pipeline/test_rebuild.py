"""Rebuilding the projections from the log: same numbers, reads keep working, the live consumer goes on."""

from __future__ import annotations

import asyncio
from datetime import date

import httpx
import pytest
from analytics_testkit import customer_event, document_event, eventually, msk, new_id, position, publish, stock_event
from pipeline.test_pipeline import wait_for_revenue  # type: ignore[import-not-found]
from sqlalchemy import text

from analytics_service.checkpoints.repository import token
from analytics_service.pipeline import rebuild as rebuild_module
from analytics_service.pipeline.rebuild import REBUILD_SCHEMA, rebuild
from crm_common.events.models import DocumentKind

DAY = date(2025, 6, 2)
REPORT = {
    "period": "custom",
    "date_from": "2025-05-01",
    "date_to": "2025-06-30",
    "group_by_time": "day",
    "group_by": "product",
}


@pytest.fixture
async def client(live, mint):  # type: ignore[no-untyped-def]
    async with httpx.AsyncClient(base_url=live, headers=mint.headers("analytics:read"), timeout=30) as c:
        yield c


async def _published_day(client: httpx.AsyncClient, day: date) -> None:
    customer = f"c-{day.isoformat()}"
    await publish(
        [
            document_event(
                DocumentKind.SHIPMENT,
                new_id(),
                1,
                msk(day),
                [position("p9", 4, "12.34", cost="5.55")],
                customer=customer,
            ),
            document_event(DocumentKind.RETAIL_SALE, new_id(), 1, msk(day), [position("p8", 1, "1000", cost="640")]),
            stock_event("p9", "store-1", 1, 10, unit_cost="5.55"),
        ]
    )
    await wait_for_revenue(client, day, "1049.36")


async def _report(client: httpx.AsyncClient, limit: int = 1000) -> dict:  # type: ignore[type-arg]
    r = await client.get("/api/v1/analytics/sales/report", params={**REPORT, "limit": limit})
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


async def test_a_rebuild_reproduces_the_numbers_while_reads_keep_working(client, settings, sessions) -> None:  # type: ignore[no-untyped-def]
    await _published_day(client, DAY)
    before = await _report(client)
    dashboard_before = (await client.get("/api/v1/analytics/dashboard", params={"as_of": DAY.isoformat()})).json()
    async with sessions() as s:
        token_before = await token(s)

    task = asyncio.create_task(rebuild(settings))
    reads = 0
    while not task.done():
        # A different limit each time, so the cache cannot answer for the database.
        during = await _report(client, limit=1000 + reads)
        assert during["totals"] == before["totals"]
        reads += 1
    result = task.result()

    assert reads > 0
    assert result.applied > 0
    assert await _report(client) == before
    dashboard_after = (await client.get("/api/v1/analytics/dashboard", params={"as_of": DAY.isoformat()})).json()
    assert dashboard_after == dashboard_before
    async with sessions() as s:
        assert await token(s) != token_before


async def test_a_rebuild_repairs_damaged_projection_tables(client, settings, sessions) -> None:  # type: ignore[no-untyped-def]
    day = date(2025, 6, 3)
    await _published_day(client, day)
    before = await _report(client)
    async with sessions() as s, s.begin():
        for table in ("sales_facts", "sales_daily_products", "sales_daily_customers"):
            await s.execute(text(f"DELETE FROM analytics.{table} WHERE business_day = :d"), {"d": day})
    assert (await _report(client, limit=999))["totals"] != before["totals"]

    await rebuild(settings)

    assert (await _report(client, limit=998))["totals"] == before["totals"]


async def test_the_live_consumer_keeps_applying_after_a_rebuild(client, settings) -> None:  # type: ignore[no-untyped-def]
    await rebuild(settings)
    await _published_day(client, date(2025, 6, 4))


async def test_customer_decisions_outlive_a_rebuild(client, settings, mint) -> None:  # type: ignore[no-untyped-def]
    """Merges and splits are not in the log: the rebuilt membership must still honour them."""
    run = new_id()[:8]
    a, b, c = f"ms-{run}-a", f"ms-{run}-b", f"b24-{run}-c"
    await publish(
        [
            customer_event(a, 1, "Иван Петров", phones=["+7 (900) 111-22-33"]),
            customer_event(b, 1, "ИП Петров И.", emails=[f"{run}@example.ru"]),
            customer_event(c, 1, "Петров Иван", phones=["8 (900) 111-22-33"]),
        ]
    )

    async def members(of: str) -> list[str]:
        r = await client.get(f"/api/v1/analytics/customers/{of}/records")
        return [rec["counterparty_id"] for rec in r.json()["records"]] if r.status_code == 200 else []

    async def landed() -> bool:
        return await members(a) == sorted([a, c]) and await members(b) == [b]

    await eventually(landed, what="the three counterparties and their phone match")
    steward = mint.headers("analytics:read", "customers:write")
    r = await client.post("/api/v1/analytics/customers/merge", json={"counterparty_ids": [a, b]}, headers=steward)
    assert r.status_code == 200, r.text
    r = await client.post("/api/v1/analytics/customers/split", json={"counterparty_id": c}, headers=steward)
    assert r.status_code == 200, r.text
    before = {cid: await members(cid) for cid in (a, b, c)}
    assert before == {a: sorted([a, b]), b: sorted([a, b]), c: [c]}

    await rebuild(settings)

    assert {cid: await members(cid) for cid in (a, b, c)} == before


async def test_a_rebuild_that_fails_leaves_no_scratch_schema_behind(client, settings, sessions, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Its views of the live tables would block a later migration that changes one of them."""
    await _published_day(client, date(2025, 6, 5))
    before = await _report(client)

    async def broken_swap(*_args: object) -> None:
        raise RuntimeError("the swap failed")

    monkeypatch.setattr(rebuild_module, "_swap", broken_swap)
    with pytest.raises(RuntimeError, match="the swap failed"):
        await rebuild(settings)

    async with sessions() as s:
        schemas = await s.execute(text("SELECT nspname FROM pg_namespace WHERE nspname = :n"), {"n": REBUILD_SCHEMA})
        assert schemas.all() == []
    assert (await _report(client, limit=997))["totals"] == before["totals"]
