"""Every Kafka subscription of the inventory, in one place."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from faststream.kafka import KafkaBroker
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from crm_common.events.envelope import EventEnvelope
from crm_common.events.topics import FOLDERS, PRODUCTS, STOCK, STORES, VARIANTS
from crm_common.messaging.consumer import EventConsumer, Handler, sequential
from inventory_service.alerts.service import reevaluate
from inventory_service.assortment.service import (
    apply_assortment_deleted,
    apply_folder_deleted,
    apply_folder_upserted,
    apply_product_upserted,
    apply_variant_upserted,
)
from inventory_service.db import inbox
from inventory_service.settings import InventorySettings
from inventory_service.stock.models import StockRow
from inventory_service.stock.service import apply_stock_changed
from inventory_service.stores.service import apply_store_deleted, apply_store_upserted

TOPICS = [STORES, STOCK, PRODUCTS, VARIANTS, FOLDERS]


Apply = Callable[[AsyncSession, EventEnvelope], Awaitable[bool]]
Settle = Callable[[AsyncSession, str], Awaitable[None]]


async def by_product(session: AsyncSession, entity_id: str) -> None:
    await reevaluate(session, product_id=entity_id)


async def by_assortment(session: AsyncSession, entity_id: str) -> None:
    await reevaluate(session, assortment_id=entity_id)


async def by_stock_row(session: AsyncSession, entity_id: str) -> None:
    await reevaluate(session, StockRow.id == entity_id)


def settling(apply: Apply, *settles: Settle) -> Handler:
    """``apply``, then, when it wrote something, the low-stock state of what it touched, in the same transaction
    (stock and assortment know nothing of alerts; this is where the two meet)."""

    async def handler(session: AsyncSession, event: EventEnvelope) -> None:
        if await apply(session, event):
            for settle in settles:
                await settle(session, event.entity_id)

    return handler


HANDLERS: dict[str, Handler] = {
    "store.upserted": apply_store_upserted,
    "store.deleted": apply_store_deleted,
    "stock.changed": settling(apply_stock_changed, by_stock_row),
    "product.upserted": settling(apply_product_upserted, by_product),
    "product.deleted": settling(apply_assortment_deleted, by_product, by_assortment),
    "variant.upserted": settling(apply_variant_upserted, by_assortment),
    "variant.deleted": settling(apply_assortment_deleted, by_product, by_assortment),
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
