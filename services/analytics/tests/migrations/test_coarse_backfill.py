"""Migration 0005 back-fills the coarse roll-ups from the daily ones: the rows the live path would have kept."""

from __future__ import annotations

import asyncio
import random

import pytest
from dashboard.test_dashboard_cover import documents  # type: ignore[import-not-found]
from sqlalchemy import text

from analytics_service.db import SERVICE_ROOT
from analytics_service.pipeline.batch import ProjectionBatch
from crm_common.migrations import downgrade, upgrade

COARSE = ("sales_daily_totals", "sales_monthly_products", "sales_monthly_customers", "sales_customer_firsts")


async def _coarse(sessions) -> dict[str, list[tuple]]:  # type: ignore[no-untyped-def,type-arg]
    async with sessions() as s:
        return {t: sorted(tuple(r) for r in await s.execute(text(f"SELECT * FROM analytics.{t}"))) for t in COARSE}


@pytest.mark.usefixtures("clean")
async def test_the_migration_back_fills_what_the_live_path_kept(migrated, database_url, sessions, settings) -> None:  # type: ignore[no-untyped-def]
    async with sessions() as s, s.begin():
        await ProjectionBatch(settings)(s, documents(random.Random(9)))
    kept = await _coarse(sessions)
    assert all(kept.values())
    try:
        await asyncio.to_thread(downgrade, SERVICE_ROOT, database_url, "0004")
        async with sessions() as s:
            assert await s.scalar(text("SELECT to_regclass('analytics.sales_daily_totals')")) is None
    finally:
        await asyncio.to_thread(upgrade, SERVICE_ROOT, database_url)
    assert await _coarse(sessions) == kept
