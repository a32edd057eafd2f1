"""Builders and helpers shared by the inventory tests: events, tokens, Kafka publishing and draining."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from crm_common.events.envelope import EventEnvelope, make_event
from crm_common.events.models import (
    AssortmentKind,
    Price,
    StockLevel,
    Store,
)

# Re-exported: the generic helpers live in crm_testing (the plugin package), the tests import them from here.
from crm_testing import ACCOUNT as ACCOUNT
from crm_testing import BASE_TIME as BASE_TIME
from crm_testing import KID as KID
from crm_testing import TokenMint as TokenMint
from crm_testing import apply as apply
from crm_testing import assert_model_bytes as assert_model_bytes
from crm_testing import at as at
from crm_testing import autovacuum_off as autovacuum_off
from crm_testing import deleted_event as deleted_event
from crm_testing import eventually as eventually
from crm_testing import folder_event as folder_event
from crm_testing import new_id as new_id
from crm_testing import plan as plan
from crm_testing import product_event as product_event
from crm_testing import publish as publish
from crm_testing import stale_statistics as stale_statistics
from crm_testing import variant_event as variant_event
from crm_testing import wait_drained as wait_drained


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
