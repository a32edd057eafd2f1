"""Use cases of variants: the row a variant event writes, a product's variants."""

from __future__ import annotations

from typing import Any

from catalog_service.money import money_columns, money_out, price_out
from crm_common.events.models import Variant


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


def variant_out(row: Any) -> dict[str, Any]:
    """A ``VariantOut`` as plain data, its fields in the model's order."""
    return {
        "id": row["id"],
        "name": row["name"],
        "code": row["code"],
        "article": row["article"],
        "external_code": row["external_code"],
        "characteristics": row["characteristics"],
        "barcodes": row["barcodes"],
        "sale_prices": [price_out(price) for price in row["sale_prices"]],
        "buy_price": money_out(row["buy_price_amount"], row["buy_price_currency"]),
        "min_price": money_out(row["min_price_amount"], row["min_price_currency"]),
        "archived": row["archived"],
        "updated_at": row["updated_at"],
    }
