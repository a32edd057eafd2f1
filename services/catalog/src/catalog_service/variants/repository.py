"""SQL for variants."""

from __future__ import annotations

from collections.abc import Iterable
from typing import cast

from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncSession

from catalog_service.variants.models import VariantRow
from crm_common.versioned import VersionedTable

variants = cast(Table, VariantRow.__table__)
VARIANTS = VersionedTable(
    variants, origin=True, placeholder=lambda d: {"product_id": "", "name": "", "updated_at": d.deleted_at}
)


class VariantRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def of_product(self, product_id: str) -> list[VariantRow]:
        rows = await self.session.scalars(
            select(VariantRow)
            .where(VariantRow.product_id == product_id, VariantRow.deleted_at.is_(None))
            .order_by(VariantRow.name, VariantRow.id)
        )
        return list(rows)

    async def names(self, variant_ids: Iterable[str]) -> dict[str, str]:
        ids = list(set(variant_ids))
        if not ids:
            return {}
        rows = await self.session.execute(
            select(VariantRow.id, VariantRow.name).where(VariantRow.id.in_(ids), VariantRow.deleted_at.is_(None))
        )
        return {row.id: row.name for row in rows}
