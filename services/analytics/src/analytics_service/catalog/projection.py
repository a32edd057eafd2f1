"""Use cases of the catalog dimensions: each event becomes a version-guarded row (see `crm_common.versioned`)."""

from __future__ import annotations

from decimal import Decimal

from analytics_service.catalog.models import FolderDim, ProductDim, StoreDim, VariantDim
from crm_common.events.envelope import EventEnvelope
from crm_common.events.models import Deleted, Folder, Price, Product, Store, Variant
from crm_common.versioned import Versioned

PROJECTION = "catalog"
TABLES = {"product": ProductDim, "variant": VariantDim, "folder": FolderDim, "store": StoreDim}


def pick_price(prices: list[Price], price_type: str) -> Decimal | None:
    """The named price type, else the first price listed."""
    for price in prices:
        if price.price_type == price_type:
            return price.amount
    return prices[0].amount if prices else None


def _versioned(event: EventEnvelope, key: str, row: dict[str, object], tombstone: bool = False) -> Versioned:
    return Versioned(
        key, event.source_version, {**row, "source_version": event.source_version}, tombstone, event.occurred_at
    )


def prepare_product(event: EventEnvelope, price_type: str) -> Versioned:
    p = event.parsed(Product)
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
    }
    return _versioned(event, p.id, row)


def prepare_variant(event: EventEnvelope, price_type: str) -> Versioned:
    v = event.parsed(Variant)
    row: dict[str, object] = {
        "id": v.id,
        "product_id": v.product_id,
        "name": v.name,
        "sale_price": pick_price(v.sale_prices, price_type),
        "buy_price": v.buy_price.amount if v.buy_price else None,
        "archived": v.archived,
        "deleted": False,
    }
    return _versioned(event, v.id, row)


def prepare_folder(event: EventEnvelope) -> Versioned:
    f = event.parsed(Folder)
    row: dict[str, object] = {"id": f.id, "name": f.name, "path": f.path, "parent_id": f.parent_id, "deleted": False}
    return _versioned(event, f.id, row)


def prepare_store(event: EventEnvelope) -> Versioned:
    s = event.parsed(Store)
    return _versioned(event, s.id, {"id": s.id, "name": s.name, "deleted": False})


def prepare_deleted(event: EventEnvelope) -> Versioned:
    """`<entity>.deleted`: keep a tombstone row; a variant placeholder keeps `product_id` non-null."""
    d = event.parsed(Deleted)
    row: dict[str, object] = {"id": d.id, "deleted": True}
    if event.entity == "variant":
        row["product_id"] = ""
    return _versioned(event, d.id, row, tombstone=True)
