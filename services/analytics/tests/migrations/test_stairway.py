"""Stairway: upgrade to head, downgrade to base, upgrade again."""

from __future__ import annotations

import asyncio

from sqlalchemy import text

from analytics_service.db import SERVICE_ROOT
from crm_common.migrations import downgrade, upgrade


async def test_migrations_go_up_down_and_up_again(migrated, database_url, sessions) -> None:  # type: ignore[no-untyped-def]
    await asyncio.to_thread(downgrade, SERVICE_ROOT, database_url, "base")
    async with sessions() as s:
        assert await s.scalar(text("SELECT to_regclass('analytics.sales_facts')")) is None
    await asyncio.to_thread(upgrade, SERVICE_ROOT, database_url)
    async with sessions() as s:
        assert await s.scalar(text("SELECT to_regclass('analytics.sales_facts')")) is not None
