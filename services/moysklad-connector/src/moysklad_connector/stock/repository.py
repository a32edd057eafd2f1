"""SQL of published stock digests. Callers own the transaction."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from moysklad_connector.stock.models import PublishedStock


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
        if not digests:
            return
        stmt = insert(PublishedStock).values(
            [
                {
                    "integration_id": integration_id,
                    "key": d.key,
                    "digest": d.digest,
                    "assortment_kind": d.assortment_kind,
                    "product_id": d.product_id,
                }
                for d in digests
            ]
        )
        await self.session.execute(
            stmt.on_conflict_do_update(
                index_elements=[PublishedStock.integration_id, PublishedStock.key],
                set_={
                    "digest": stmt.excluded.digest,
                    "assortment_kind": stmt.excluded.assortment_kind,
                    "product_id": stmt.excluded.product_id,
                    "published_at": func.now(),
                },
            )
        )

    async def forget(self, integration_id: str, keys: Iterable[str]) -> None:
        keys = list(keys)
        if keys:
            await self.session.execute(
                delete(PublishedStock).where(
                    PublishedStock.integration_id == integration_id, PublishedStock.key.in_(keys)
                )
            )
