"""SQL for variants."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, cast

from sqlalchemy import Row, Table, select
from sqlalchemy.ext.asyncio import AsyncSession

from catalog_service.variants.models import VariantRow
from crm_common.versioned import VersionedTable

variants = cast(Table, VariantRow.__table__)
VARIANTS = VersionedTable(
    variants, origin=True, placeholder=lambda d: {"product_id": "", "name": "", "updated_at": d.deleted_at}
)
# Columns a product's detail never shows of its variants.
NOT_SHOWN = frozenset({"source", "account_id", "product_id", "source_version", "deleted_at"})


class VariantRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def of_product(self, product_id: str) -> Sequence[Row[Any]]:
        """The product's live variants by name, as plain rows (read-only: no ORM objects to build)."""
        c = variants.c
        rows = await self.session.execute(
            select(*(column for column in c if column.name not in NOT_SHOWN))
            .where(c.product_id == product_id, c.deleted_at.is_(None))
            .order_by(c.name, c.id)
        )
        return rows.all()

    async def names(self, variant_ids: Iterable[str]) -> dict[str, str]:
        ids = list(set(variant_ids))
        if not ids:
            return {}
        rows = await self.session.execute(
            select(VariantRow.id, VariantRow.name).where(VariantRow.id.in_(ids), VariantRow.deleted_at.is_(None))
        )
        return {row.id: row.name for row in rows}
