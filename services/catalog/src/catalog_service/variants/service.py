"""Use cases of variants: apply variant events, present a product's variants."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from catalog_service.money import PriceOut, money_columns, money_out
from catalog_service.variants.models import VariantRow
from catalog_service.variants.repository import VariantRepository
from crm_common.events.envelope import EventEnvelope
from crm_common.events.models import Deleted, Variant
from crm_common.versioned import ensure_same_entity
from crm_common.web.types import MoneyOut


async def apply_variant_upserted(session: AsyncSession, event: EventEnvelope) -> None:
    variant = Variant.model_validate(event.payload)
    ensure_same_entity(event, variant.id)
    await VariantRepository(session).upsert(
        {
            "id": variant.id,
            "source": event.source,
            "account_id": event.account_id,
            "product_id": variant.product_id,
            "name": variant.name,
            "code": variant.code,
            "article": variant.article,
            "external_code": variant.external_code,
            "characteristics": variant.characteristics,
            "barcodes": variant.barcodes,
            "sale_prices": [p.model_dump(mode="json") for p in variant.sale_prices],
            **money_columns("buy_price", variant.buy_price),
            **money_columns("min_price", variant.min_price),
            "archived": variant.archived,
            "updated_at": variant.updated_at,
            "source_version": event.source_version,
            "deleted_at": None,
        }
    )


async def apply_variant_deleted(session: AsyncSession, event: EventEnvelope) -> None:
    deleted = Deleted.model_validate(event.payload)
    ensure_same_entity(event, deleted.id)
    await VariantRepository(session).tombstone(
        deleted.id,
        version=event.source_version,
        deleted_at=deleted.deleted_at,
        source=event.source,
        account=event.account_id,
    )


def variant_prices(row: VariantRow) -> list[PriceOut]:
    return [PriceOut.model_validate(price) for price in row.sale_prices]


def variant_buy_price(row: VariantRow) -> MoneyOut | None:
    return money_out(row.buy_price_amount, row.buy_price_currency)


def variant_min_price(row: VariantRow) -> MoneyOut | None:
    return money_out(row.min_price_amount, row.min_price_currency)
