"""The business-KPI panels' SQL runs against the real analytics and inventory schemas.

A throwaway database gets both services' migrations; every panel's query (Grafana macros replaced by literals) is
then executed, so a renamed table or column fails here rather than on a dashboard.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from crm_common.db import create_engine
from crm_common.migrations import upgrade
from crm_testing import test_database_url

ROOT = Path(__file__).resolve().parents[2]
MACROS = {"$__timeFrom()": "'2025-01-01T00:00:00Z'::timestamptz", "$__timeTo()": "'2025-02-01T00:00:00Z'::timestamptz"}


def kpi_queries() -> list[tuple[str, str]]:
    dashboard = json.loads((ROOT / "deploy/grafana/dashboards/crm-business.json").read_text())
    return [
        (panel["title"], target["rawSql"])
        for panel in dashboard["panels"]
        for target in panel["targets"]
        if target["datasource"]["uid"] == "crm-postgres"
    ]


def expand(sql: str) -> str:
    for macro, value in MACROS.items():
        sql = sql.replace(macro, value)
    assert "$__" not in sql, "a Grafana macro this test does not know"
    return sql


async def _admin(url: str, statement: str) -> None:
    engine = create_engine(url, "public", pool_size=1)
    try:
        async with engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text(statement))
    finally:
        await engine.dispose()


@pytest.fixture(scope="module")
def kpi_database() -> Iterator[str]:
    base = make_url(test_database_url())
    name = f"crm_deploy_{uuid.uuid4().hex[:8]}"
    admin_url = base.render_as_string(hide_password=False)
    asyncio.run(_admin(admin_url, f'CREATE DATABASE "{name}"'))
    url = base.set(database=name).render_as_string(hide_password=False)
    try:
        for service in ("analytics", "inventory"):
            upgrade(ROOT / "services" / service, url)
        yield url
    finally:
        asyncio.run(_admin(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def test_there_are_kpi_queries() -> None:
    assert len(kpi_queries()) >= 5


@pytest.mark.parametrize(("panel", "sql"), kpi_queries())
def test_kpi_query_runs_on_the_migrated_schemas(kpi_database: str, panel: str, sql: str) -> None:
    async def run() -> None:
        engine = create_engine(kpi_database, "public", pool_size=1)
        try:
            async with engine.connect() as conn:
                await conn.execute(text(expand(sql).replace(":", r"\:")))
        finally:
            await engine.dispose()

    asyncio.run(run())


def test_a_query_on_a_missing_column_fails(kpi_database: str) -> None:
    async def run() -> None:
        engine = create_engine(kpi_database, "public", pool_size=1)
        try:
            async with engine.connect() as conn:
                await conn.execute(text("SELECT sum(turnover) FROM analytics.sales_daily_products"))
        finally:
            await engine.dispose()

    with pytest.raises(Exception, match="turnover"):
        asyncio.run(run())
