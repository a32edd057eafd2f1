"""``crm-inventory migrate``'s step after the schema upgrade, against the real database."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from crm_common.db import transaction
from inventory_service.main import main

pytestmark = pytest.mark.usefixtures("clean")


async def test_migrate_mends_the_stock_rows_whose_copy_of_the_catalog_is_behind(
    sessions: async_sessionmaker[AsyncSession], capsys: pytest.CaptureFixture[str]
) -> None:
    """As a previous release's consumer leaves them while a migration that added the copy rolls out: one level
    written without it, one of a product renamed and then deleted since; a third already in step is left alone."""
    async with transaction(sessions) as session:
        await session.execute(
            text(
                "INSERT INTO inventory.assortment (id, source, account_id, kind, product_id, name, updated_at,"
                " source_version, deleted_at) VALUES ('c-tea', 'test', 'a', 'product', 'c-tea', 'Чай', now(), 1,"
                " NULL), ('c-gone', 'test', 'a', 'product', 'c-gone', 'Кофе', now(), 2, now())"
            )
        )
        await session.execute(
            text(
                "INSERT INTO inventory.stock (id, source, account_id, assortment_id, assortment_kind, product_id,"
                " store_id, stock, reserve, in_transit, available, as_of, source_version, name, catalog_deleted)"
                " SELECT i || '@' || s, 'test', 'a', i, 'product', i, s, 1, 0, 0, 1, now(), 1, n, false"
                " FROM (VALUES ('c-tea', 's1', NULL), ('c-tea', 's2', 'Чай'), ('c-gone', 's1', 'Кофе старый'))"
                " AS t (i, s, n)"
            )
        )
    await asyncio.to_thread(main, ["migrate"])
    assert "stock rows whose copy of the catalog was behind: 2" in capsys.readouterr().out
    async with transaction(sessions) as session:
        rows = await session.execute(text("SELECT id, name, catalog_deleted FROM inventory.stock ORDER BY id"))
        assert [tuple(row) for row in rows] == [
            ("c-gone@s1", "Кофе", True),
            ("c-tea@s1", "Чай", False),
            ("c-tea@s2", "Чай", False),
        ]
    await asyncio.to_thread(main, ["migrate"])
    assert "stock rows whose copy of the catalog was behind: 0" in capsys.readouterr().out
