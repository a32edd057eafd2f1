"""SQL for variants."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, cast

from sqlalchemy import String, Table, any_, bindparam, select
from sqlalchemy.dialects.postgresql import ARRAY

from catalog_service.variants.models import VariantRow
from crm_common.db import Reads, fetch
from crm_common.versioned import VersionedTable

variants = cast(Table, VariantRow.__table__)
VARIANTS = VersionedTable(
    variants, origin=True, placeholder=lambda d: {"product_id": "", "name": "", "updated_at": d.deleted_at}
)
# Columns a product's detail never shows of its variants.
NOT_SHOWN = frozenset({"source", "account_id", "product_id", "source_version", "deleted_at"})


# Built once and run by crm_common.db.fetch, ``= ANY(:ids)`` rather than an expanding ``IN``
# (docs/architecture.md, "API conventions").
OF_PRODUCT = (
    select(*(column for column in variants.c if column.name not in NOT_SHOWN))
    .where(variants.c.product_id == bindparam("product_id"), variants.c.deleted_at.is_(None))
    .order_by(variants.c.name, variants.c.id)
)
NAMES = select(variants.c.id, variants.c.name).where(
    variants.c.id == any_(bindparam("ids", type_=ARRAY(String))), variants.c.deleted_at.is_(None)
)


class VariantRepository:
    def __init__(self, session: Reads) -> None:
        self.session = session

    async def of_product(self, product_id: str) -> Sequence[Any]:
        """The product's live variants by name, as rows read by column name."""
        return await fetch(self.session, OF_PRODUCT, {"product_id": product_id})

    async def names(self, variant_ids: Iterable[str]) -> dict[str, str]:
        ids = list(set(variant_ids))
        if not ids:
            return {}
        return {row["id"]: row["name"] for row in await fetch(self.session, NAMES, {"ids": ids})}
