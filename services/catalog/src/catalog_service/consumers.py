"""Every Kafka subscription of the catalog, in one place, and the event -> row mapping it applies."""

from __future__ import annotations

from faststream.kafka import KafkaBroker
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from catalog_service.db import inbox
from catalog_service.folders.repository import FOLDERS
from catalog_service.folders.service import folder_row
from catalog_service.products.repository import PRODUCTS
from catalog_service.products.service import product_row, replace_sale_prices
from catalog_service.settings import CatalogSettings
from catalog_service.variants.repository import VARIANTS
from catalog_service.variants.service import variant_row
from crm_common.events.envelope import EventEnvelope
from crm_common.events.models import Folder, Product, Variant
from crm_common.events.topics import FOLDERS as FOLDER_TOPIC
from crm_common.events.topics import PRODUCTS as PRODUCT_TOPIC
from crm_common.events.topics import VARIANTS as VARIANT_TOPIC
from crm_common.messaging.consumer import EventConsumer
from crm_common.versioned import VersionedBatch, tombstone_route, upsert_route

ROWS = VersionedBatch(
    {
        "folder.upserted": (FOLDERS, upsert_route(FOLDERS, Folder, folder_row)),
        "folder.deleted": (FOLDERS, tombstone_route(FOLDERS)),
        "product.upserted": (PRODUCTS, upsert_route(PRODUCTS, Product, product_row)),
        "product.deleted": (PRODUCTS, tombstone_route(PRODUCTS)),
        "variant.upserted": (VARIANTS, upsert_route(VARIANTS, Variant, variant_row)),
        "variant.deleted": (VARIANTS, tombstone_route(VARIANTS)),
    }
)


async def apply_events(session: AsyncSession, events: list[EventEnvelope]) -> None:
    """Apply a batch in Kafka order: one upsert-if-newer per table, then the sale prices of the products written."""
    written = await ROWS.write(session, events)
    if PRODUCTS in written:
        await replace_sale_prices(session, written[PRODUCTS].upserted())


async def apply_event(session: AsyncSession, event: EventEnvelope) -> None:
    await apply_events(session, [event])


def register_consumers(
    broker: KafkaBroker, sessions: async_sessionmaker[AsyncSession], settings: CatalogSettings
) -> EventConsumer:
    consumer = EventConsumer(broker, sessions, inbox, settings.consumer_group)
    # One transaction, one inbox statement and one write per table per batch; a poison event falls back to
    # one-by-one and is dead-lettered alone (crm_common.messaging.consumer).
    consumer.subscribe_batch(
        [FOLDER_TOPIC, PRODUCT_TOPIC, VARIANT_TOPIC],
        apply_events,
        event_types=ROWS.event_types,
        max_records=settings.consume_batch,
        lanes=settings.consume_lanes,
    )
    return consumer
