"""Builders and helpers shared by the inventory tests: events, tokens, Kafka publishing and draining."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from crm_common.events.envelope import EventEnvelope, make_event
from crm_common.events.models import (
    AssortmentKind,
    Deleted,
    Folder,
    Price,
    Product,
    ProductKind,
    StockLevel,
    Store,
    Variant,
)

# Re-exported: the generic helpers live in crm_common.testing, the tests import them from here with the builders.
from crm_common.testing import KID as KID
from crm_common.testing import TokenMint as TokenMint
from crm_common.testing import apply as apply
from crm_common.testing import eventually as eventually
from crm_common.testing import publish as publish
from crm_common.testing import wait_drained as wait_drained

ACCOUNT = "acc-test"
BASE_TIME = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


def new_id() -> str:
    return str(uuid.uuid4())


def at(version: int) -> datetime:
    return BASE_TIME + timedelta(seconds=version)


def product_event(product_id: str, version: int, **fields: Any) -> EventEnvelope:
    values: dict[str, Any] = {"id": product_id, "kind": ProductKind.PRODUCT, "name": f"Product {version}"}
    values |= {"updated_at": at(version)} | fields
    return make_event(
        "product.upserted",
        source="moysklad",
        account_id=ACCOUNT,
        entity_id=product_id,
        source_version=version,
        payload=Product(**values),
    )


def deleted_event(entity: str, entity_id: str, version: int) -> EventEnvelope:
    return make_event(
        f"{entity}.deleted",
        source="moysklad",
        account_id=ACCOUNT,
        entity_id=entity_id,
        source_version=version,
        payload=Deleted(id=entity_id, deleted_at=at(version)),
    )


def folder_event(folder_id: str, version: int, name: str, parent_id: str | None = None, **fields: Any) -> EventEnvelope:
    payload = Folder(id=folder_id, name=name, parent_id=parent_id, updated_at=at(version), **fields)
    return make_event(
        "folder.upserted",
        source="moysklad",
        account_id=ACCOUNT,
        entity_id=folder_id,
        source_version=version,
        payload=payload,
    )


def variant_event(variant_id: str, product_id: str, version: int, **fields: Any) -> EventEnvelope:
    values: dict[str, Any] = {"id": variant_id, "product_id": product_id, "name": f"Variant {version}"}
    values |= {"updated_at": at(version)} | fields
    return make_event(
        "variant.upserted",
        source="moysklad",
        account_id=ACCOUNT,
        entity_id=variant_id,
        source_version=version,
        payload=Variant(**values),
    )


def store_event(store_id: str, version: int, name: str, **fields: Any) -> EventEnvelope:
    return make_event(
        "store.upserted",
        source="moysklad",
        account_id=ACCOUNT,
        entity_id=store_id,
        source_version=version,
        payload=Store(id=store_id, name=name, updated_at=at(version), **fields),
    )


def stock_event(
    assortment_id: str,
    store_id: str,
    version: int,
    stock: str,
    *,
    product_id: str | None = None,
    kind: AssortmentKind = AssortmentKind.PRODUCT,
    **fields: Any,
) -> EventEnvelope:
    """A stock level; ``available`` defaults to ``stock`` minus ``reserve``."""
    reserve = Decimal(fields.pop("reserve", "0"))
    level = StockLevel(
        assortment_id=assortment_id,
        assortment_kind=kind,
        product_id=product_id or assortment_id,
        store_id=store_id,
        stock=Decimal(stock),
        reserve=reserve,
        available=Decimal(fields.pop("available", Decimal(stock) - reserve)),
        as_of=at(version),
        **fields,
    )
    return make_event(
        "stock.changed",
        source="moysklad",
        account_id=ACCOUNT,
        entity_id=f"{assortment_id}:{store_id}",
        source_version=version,
        payload=level,
    )


def price(amount: str, price_type: str = "Цена продажи") -> Price:
    return Price(price_type=price_type, amount=Decimal(amount))
