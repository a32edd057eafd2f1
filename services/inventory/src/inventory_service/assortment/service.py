"""Use cases of the catalog read model: the rows product, variant and folder events write.

A change to a product's minimum stock (or its deletion) can move its stock rows across their minimum, so every
applied change re-evaluates the low-stock state of the rows it concerns, in the same transaction (consumers.py).
"""

from __future__ import annotations

from typing import Any

from crm_common.events.models import Folder, Product, Variant


def product_row(product: Product) -> dict[str, Any]:
    """The columns a `product.upserted` writes: the product is its own ``product_id``."""
    return {
        "id": product.id,
        "kind": product.kind.value,
        "product_id": product.id,
        "name": product.name,
        "code": product.code,
        "article": product.article,
        "folder_id": product.folder_id,
        "minimum_stock": product.minimum_stock,
        "archived": product.archived,
        "updated_at": product.updated_at,
    }


def variant_row(variant: Variant) -> dict[str, Any]:
    """The columns a `variant.upserted` writes: no folder or minimum of its own (its product's apply)."""
    return {
        "id": variant.id,
        "kind": "variant",
        "product_id": variant.product_id,
        "name": variant.name,
        "code": variant.code,
        "article": variant.article,
        "folder_id": None,
        "minimum_stock": None,
        "archived": variant.archived,
        "updated_at": variant.updated_at,
    }


def folder_row(folder: Folder) -> dict[str, Any]:
    return {"id": folder.id, "name": folder.name, "parent_id": folder.parent_id, "updated_at": folder.updated_at}
