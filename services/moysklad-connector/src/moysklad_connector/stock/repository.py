"""SQL of published stock digests. Callers own the transaction."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import cast

from sqlalchemy import Table, delete, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from crm_common.db import given_rows
from moysklad_connector.stock.models import PublishedStock

_TABLE = cast(Table, PublishedStock.__table__)
_COLUMNS = ("integration_id", "key", "digest", "assortment_kind", "product_id")
_GIVEN = insert(_TABLE).from_select(_COLUMNS, select(*given_rows(*(_TABLE.c[c] for c in _COLUMNS)).c))
# One statement text however many levels a page of the stock report changed (the rows are array parameters).
_SAVE = _GIVEN.on_conflict_do_update(
    index_elements=[_TABLE.c.integration_id, _TABLE.c.key],
    set_={
        "digest": _GIVEN.excluded.digest,
        "assortment_kind": _GIVEN.excluded.assortment_kind,
        "product_id": _GIVEN.excluded.product_id,
        "published_at": func.now(),
    },
)


@dataclass(frozen=True)
class Digest:
    key: str
    digest: str
    assortment_kind: str
    product_id: str


class StockDigestRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def all(self, integration_id: str) -> dict[str, Digest]:
        rows = await self.session.scalars(select(PublishedStock).where(PublishedStock.integration_id == integration_id))
        return {r.key: Digest(r.key, r.digest, r.assortment_kind, r.product_id) for r in rows}

    async def save(self, integration_id: str, digests: Sequence[Digest]) -> None:
        """Record each level as published (``digests`` hold each key once)."""
        if digests:
            params = {
                "integration_id": [integration_id] * len(digests),
                "key": [d.key for d in digests],
                "digest": [d.digest for d in digests],
                "assortment_kind": [d.assortment_kind for d in digests],
                "product_id": [d.product_id for d in digests],
            }
            await self.session.execute(_SAVE, params)

    async def forget(self, integration_id: str, keys: Iterable[str]) -> None:
        keys = list(keys)
        if keys:
            await self.session.execute(
                delete(PublishedStock).where(
                    PublishedStock.integration_id == integration_id, PublishedStock.key.in_(keys)
                )
            )
