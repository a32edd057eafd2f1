"""Every Kafka subscription of the catalog, in one place."""

from __future__ import annotations

from faststream.kafka import KafkaBroker
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from catalog_service.db import inbox
from catalog_service.folders.service import apply_folder_deleted, apply_folder_upserted
from catalog_service.products.service import apply_product_deleted, apply_product_upserted
from catalog_service.settings import CatalogSettings
from catalog_service.variants.service import apply_variant_deleted, apply_variant_upserted
from crm_common.events.topics import FOLDERS, PRODUCTS, VARIANTS
from crm_common.messaging.consumer import EventConsumer, Handler, sequential

HANDLERS: dict[str, Handler] = {
    "folder.upserted": apply_folder_upserted,
    "folder.deleted": apply_folder_deleted,
    "product.upserted": apply_product_upserted,
    "product.deleted": apply_product_deleted,
    "variant.upserted": apply_variant_upserted,
    "variant.deleted": apply_variant_deleted,
}


def register_consumers(
    broker: KafkaBroker, sessions: async_sessionmaker[AsyncSession], settings: CatalogSettings
) -> EventConsumer:
    consumer = EventConsumer(broker, sessions, inbox, settings.consumer_group)
    # One transaction and one inbox statement per batch; a poison event falls back to one-by-one (crm_common).
    consumer.subscribe_batch([FOLDERS, PRODUCTS, VARIANTS], sequential(HANDLERS), event_types=HANDLERS)
    return consumer
