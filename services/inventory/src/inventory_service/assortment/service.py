"""Use cases of the catalog read model: apply product, variant and folder events.

A change to a product's minimum stock (or its deletion) can move its stock rows across their minimum, so every
applied change re-evaluates the low-stock state of the rows it concerns, in the same transaction.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from crm_common.events.envelope import EventEnvelope
from crm_common.events.models import Deleted, Folder, Product, Variant
from crm_common.versioned import ensure_same_entity
from inventory_service.assortment.repository import AssortmentRepository


async def apply_product_upserted(session: AsyncSession, event: EventEnvelope) -> bool:
    product = Product.model_validate(event.payload)
    ensure_same_entity(event, product.id)
    written = await AssortmentRepository(session).upsert(
        {
            "id": product.id,
            "source": event.source,
            "account_id": event.account_id,
            "kind": product.kind.value,
            "product_id": product.id,
            "name": product.name,
            "code": product.code,
            "article": product.article,
            "folder_id": product.folder_id,
            "minimum_stock": product.minimum_stock,
            "archived": product.archived,
            "updated_at": product.updated_at,
            "source_version": event.source_version,
            "deleted_at": None,
        }
    )
    return written


async def apply_variant_upserted(session: AsyncSession, event: EventEnvelope) -> bool:
    variant = Variant.model_validate(event.payload)
    ensure_same_entity(event, variant.id)
    written = await AssortmentRepository(session).upsert(
        {
            "id": variant.id,
            "source": event.source,
            "account_id": event.account_id,
            "kind": "variant",
            "product_id": variant.product_id,
            "name": variant.name,
            "code": variant.code,
            "article": variant.article,
            "folder_id": None,
            "minimum_stock": None,
            "archived": variant.archived,
            "updated_at": variant.updated_at,
            "source_version": event.source_version,
            "deleted_at": None,
        }
    )
    return written


async def apply_assortment_deleted(session: AsyncSession, event: EventEnvelope) -> bool:
    """A deleted product or variant: tombstone it (consumers.py then clears any low-stock alert it had)."""
    deleted = Deleted.model_validate(event.payload)
    ensure_same_entity(event, deleted.id)
    written = await AssortmentRepository(session).tombstone(
        deleted.id,
        version=event.source_version,
        deleted_at=deleted.deleted_at,
        source=event.source,
        account=event.account_id,
    )
    return written


async def apply_folder_upserted(session: AsyncSession, event: EventEnvelope) -> None:
    folder = Folder.model_validate(event.payload)
    ensure_same_entity(event, folder.id)
    await AssortmentRepository(session).upsert_folder(
        {
            "id": folder.id,
            "source": event.source,
            "account_id": event.account_id,
            "name": folder.name,
            "parent_id": folder.parent_id,
            "updated_at": folder.updated_at,
            "source_version": event.source_version,
            "deleted_at": None,
        }
    )


async def apply_folder_deleted(session: AsyncSession, event: EventEnvelope) -> None:
    deleted = Deleted.model_validate(event.payload)
    ensure_same_entity(event, deleted.id)
    await AssortmentRepository(session).tombstone_folder(
        deleted.id,
        version=event.source_version,
        deleted_at=deleted.deleted_at,
        source=event.source,
        account=event.account_id,
    )
