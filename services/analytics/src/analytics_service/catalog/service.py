"""Use cases of the catalog dimensions: one per event type, each version-guarded."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from analytics_service.catalog.models import FolderDim, ProductDim, StoreDim, VariantDim
from analytics_service.projections.checkpoints import advance
from analytics_service.projections.versioned import upsert_if_newer
from crm_common.events.envelope import EventEnvelope
from crm_common.events.models import Deleted, Folder, Price, Product, Store, Variant

PROJECTION = "catalog"


def pick_price(prices: list[Price], price_type: str) -> Decimal | None:
    """The named price type, else the first price listed."""
    for price in prices:
        if price.price_type == price_type:
            return price.amount
    return prices[0].amount if prices else None


async def apply_product(session: AsyncSession, event: EventEnvelope, price_type: str) -> bool:
    p = Product.model_validate(event.payload)
    row: dict[str, object] = {
        "id": p.id,
        "kind": p.kind.value,
        "name": p.name,
        "code": p.code,
        "article": p.article,
        "folder_id": p.folder_id,
        "sale_price": pick_price(p.sale_prices, price_type),
        "buy_price": p.buy_price.amount if p.buy_price else None,
        "minimum_stock": p.minimum_stock,
        "archived": p.archived,
        "deleted": False,
        "source_version": event.source_version,
    }
    return await _write(session, event, ProductDim, row)


async def apply_variant(session: AsyncSession, event: EventEnvelope, price_type: str) -> bool:
    v = Variant.model_validate(event.payload)
    row: dict[str, object] = {
        "id": v.id,
        "product_id": v.product_id,
        "name": v.name,
        "sale_price": pick_price(v.sale_prices, price_type),
        "buy_price": v.buy_price.amount if v.buy_price else None,
        "archived": v.archived,
        "deleted": False,
        "source_version": event.source_version,
    }
    return await _write(session, event, VariantDim, row)


async def apply_folder(session: AsyncSession, event: EventEnvelope) -> bool:
    f = Folder.model_validate(event.payload)
    row: dict[str, object] = {
        "id": f.id,
        "name": f.name,
        "path": f.path,
        "parent_id": f.parent_id,
        "deleted": False,
        "source_version": event.source_version,
    }
    return await _write(session, event, FolderDim, row)


async def apply_store(session: AsyncSession, event: EventEnvelope) -> bool:
    s = Store.model_validate(event.payload)
    row = {"id": s.id, "name": s.name, "deleted": False, "source_version": event.source_version}
    return await _write(session, event, StoreDim, row)


async def apply_deleted(session: AsyncSession, event: EventEnvelope, model: type) -> bool:
    """`<entity>.deleted`: keep a tombstone row; a product/variant placeholder keeps `product_id` non-null."""
    d = Deleted.model_validate(event.payload)
    row: dict[str, object] = {"id": d.id, "deleted": True, "source_version": event.source_version}
    if model is VariantDim:
        row["product_id"] = ""
    return await _write(session, event, model, row)


async def _write(session: AsyncSession, event: EventEnvelope, model: type, row: dict[str, object]) -> bool:
    written = await upsert_if_newer(session, model.__table__, row)  # type: ignore[attr-defined]
    if written:
        await advance(session, PROJECTION, event.occurred_at)
    return written
