"""Use cases of products (products, services, bundles): the rows a product event writes, list and show products."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from catalog_service.folders.repository import FolderRepository
from catalog_service.money import PRICE_FIELDS, money_columns, money_out
from catalog_service.products.repository import ProductRepository
from catalog_service.products.schemas import ProductQuery
from catalog_service.variants.repository import VariantRepository
from catalog_service.variants.service import variant_out
from crm_common.db import Reads
from crm_common.errors import NotFound
from crm_common.events.models import AssortmentKind, Product, ProductKind
from crm_common.versioned import Versioned
from crm_common.web.responses import decimal_text


def product_row(product: Product) -> dict[str, Any]:
    """The columns a `product.upserted` writes (its sale prices go to their own table: `replace_sale_prices`)."""
    return {
        "id": product.id,
        "kind": product.kind.value,
        "name": product.name,
        "code": product.code,
        "article": product.article,
        "external_code": product.external_code,
        "description": product.description,
        "folder_id": product.folder_id,
        "uom": product.uom,
        "barcodes": product.barcodes,
        **money_columns("buy_price", product.buy_price),
        **money_columns("min_price", product.min_price),
        "vat_percent": product.vat_percent,
        "vat_enabled": product.vat_enabled,
        "minimum_stock": product.minimum_stock,
        "archived": product.archived,
        "weight": product.weight,
        "volume": product.volume,
        "components": [c.model_dump(mode="json") for c in product.components],
        "updated_at": product.updated_at,
    }


async def replace_sale_prices(session: AsyncSession, written: Iterable[Versioned]) -> None:
    """The sale prices of the product versions just written replace the ones stored (an older version, not written,
    leaves them alone)."""
    prices = {
        str(item.key): [
            {"price_type": p.price_type, "price_type_id": p.price_type_id, "amount": p.amount, "currency": p.currency}
            for p in item.payload.sale_prices
        ]
        for item in written
    }
    await ProductRepository(session).replace_prices(prices)


async def list_products(session: Reads, query: ProductQuery) -> dict[str, Any]:
    """One page of products as the plain data of ``ProductPage``, encoded once by the route (``json_response``)."""
    repo = ProductRepository(session)
    rows, total = await repo.search(query)
    prices = await repo.prices(r["id"] for r in rows)
    paths = await FolderRepository(session).paths(r["folder_id"] for r in rows if r["folder_id"])
    items = [_item(r, prices.get(r["id"], ()), paths.get(r["folder_id"]) if r["folder_id"] else None) for r in rows]
    return {"items": items, "total": total, "limit": query.limit, "offset": query.offset}


async def get_product(session: Reads, product_id: str) -> dict[str, Any]:
    """The product with its prices, variants and bundle components as the plain data of ``ProductDetail``;
    NotFound if unknown or deleted."""
    repo = ProductRepository(session)
    row = await repo.get(product_id)
    if row is None:
        raise NotFound(f"product {product_id!r} not found")
    prices = await repo.prices([row["id"]])
    paths = await FolderRepository(session).paths([row["folder_id"]] if row["folder_id"] else [])
    item = _item(row, prices.get(row["id"], ()), paths.get(row["folder_id"]) if row["folder_id"] else None)
    variant_repo = VariantRepository(session)
    variants = [variant_out(v) for v in await variant_repo.of_product(row["id"])]
    ids = [c["assortment_id"] for c in row["components"]]
    names = await repo.names(ids) | await variant_repo.names(ids)
    components = [
        {
            "assortment_id": c["assortment_id"],
            "assortment_kind": AssortmentKind(c["assortment_kind"]).value,
            "quantity": decimal_text(c["quantity"]),
            "name": names.get(c["assortment_id"]),
        }
        for c in row["components"]
    ]
    return {
        **item,
        "description": row["description"],
        "weight": row["weight"],
        "volume": row["volume"],
        "variants": variants,
        "components": components,
    }


def _item(row: Any, prices: Iterable[Any], folder_path: str | None) -> dict[str, Any]:
    """A ``ProductItem`` as plain data, its fields in the model's order (the tests hold the bytes to the model)."""
    return {
        "id": row["id"],
        "source": row["source"],
        "account_id": row["account_id"],
        "kind": ProductKind(row["kind"]).value,
        "name": row["name"],
        "code": row["code"],
        "article": row["article"],
        "external_code": row["external_code"],
        "folder_id": row["folder_id"],
        "folder_path": folder_path,
        "uom": row["uom"],
        "barcodes": row["barcodes"],
        "sale_prices": [dict(zip(PRICE_FIELDS, price, strict=False)) for price in prices],
        "buy_price": money_out(row["buy_price_amount"], row["buy_price_currency"]),
        "min_price": money_out(row["min_price_amount"], row["min_price_currency"]),
        "vat_percent": row["vat_percent"],
        "vat_enabled": row["vat_enabled"],
        "minimum_stock": row["minimum_stock"],
        "archived": row["archived"],
        "updated_at": row["updated_at"],
    }
