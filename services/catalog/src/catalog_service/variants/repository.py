"""SQL for variants."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncSession

from catalog_service.variants.models import VariantRow
from crm_common.versioned import tombstone_if_newer, upsert_if_newer

variants = cast(Table, VariantRow.__table__)


class VariantRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def upsert(self, values: dict[str, Any]) -> bool:
        return await upsert_if_newer(self.session, variants, values)

    async def tombstone(
        self, variant_id: str, *, version: int, deleted_at: datetime, source: str, account: str
    ) -> bool:
        placeholder = {"source": source, "account_id": account, "product_id": "", "name": "", "updated_at": deleted_at}
        return await tombstone_if_newer(
            self.session,
            variants,
            entity_id=variant_id,
            version=version,
            deleted_at=deleted_at,
            placeholder=placeholder,
        )

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
