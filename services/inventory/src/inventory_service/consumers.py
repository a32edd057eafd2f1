"""Every Kafka subscription of the inventory, in one place."""

from __future__ import annotations

from faststream.kafka import KafkaBroker
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from crm_common.events.topics import FOLDERS, PRODUCTS, STOCK, STORES, VARIANTS
from crm_common.messaging.consumer import EventConsumer, Handler, sequential
from inventory_service.assortment.service import (
    apply_assortment_deleted,
    apply_folder_deleted,
    apply_folder_upserted,
    apply_product_upserted,
    apply_variant_upserted,
)
from inventory_service.db import inbox
from inventory_service.settings import InventorySettings
from inventory_service.stock.service import apply_stock_changed
from inventory_service.stores.service import apply_store_deleted, apply_store_upserted

TOPICS = [STORES, STOCK, PRODUCTS, VARIANTS, FOLDERS]

HANDLERS: dict[str, Handler] = {
    "store.upserted": apply_store_upserted,
    "store.deleted": apply_store_deleted,
    "stock.changed": apply_stock_changed,
    "product.upserted": apply_product_upserted,
    "product.deleted": apply_assortment_deleted,
    "variant.upserted": apply_variant_upserted,
    "variant.deleted": apply_assortment_deleted,
    "folder.upserted": apply_folder_upserted,
    "folder.deleted": apply_folder_deleted,
}


def register_consumers(
    broker: KafkaBroker, sessions: async_sessionmaker[AsyncSession], settings: InventorySettings
) -> EventConsumer:
    consumer = EventConsumer(broker, sessions, inbox, settings.consumer_group)
    # One transaction and one inbox statement per batch; a poison event falls back to one-by-one (crm_common).
    consumer.subscribe_batch(TOPICS, sequential(HANDLERS), event_types=HANDLERS)
    return consumer
