"""Use cases of variants: the row a variant event writes, a product's variants."""

from __future__ import annotations

from typing import Any

from catalog_service.money import PriceOut, money_columns, money_out
from catalog_service.variants.models import VariantRow
from crm_common.events.models import Variant
from crm_common.web.types import MoneyOut


def variant_row(variant: Variant) -> dict[str, Any]:
    """The columns a `variant.upserted` writes."""
    return {
        "id": variant.id,
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
    }


def variant_prices(row: VariantRow) -> list[PriceOut]:
    return [PriceOut.model_validate(price) for price in row.sale_prices]


def variant_buy_price(row: VariantRow) -> MoneyOut | None:
    return money_out(row.buy_price_amount, row.buy_price_currency)


def variant_min_price(row: VariantRow) -> MoneyOut | None:
    return money_out(row.min_price_amount, row.min_price_currency)
