"""Every Kafka subscription of the inventory, in one place, the event -> row mapping it applies, and where stock
meets alerts: what a batch wrote is re-evaluated for low stock in the same transaction."""

from __future__ import annotations

from faststream.kafka import KafkaBroker
from pydantic import ValidationError
from sqlalchemy import String, any_, bindparam
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from crm_common.events.envelope import EventEnvelope
from crm_common.events.models import Folder, Product, StockLevel, Store, Variant
from crm_common.events.topics import FOLDERS, PRODUCTS, STOCK, STORES, VARIANTS
from crm_common.messaging.consumer import EventConsumer
from crm_common.versioned import VersionedBatch, VersionedTable, Written, tombstone_route, upsert_route, without_repeats
from inventory_service.alerts.repository import AlertRepository
from inventory_service.alerts.service import reevaluate
from inventory_service.assortment import service as assortment
from inventory_service.assortment.repository import ASSORTMENT
from inventory_service.assortment.repository import FOLDERS as FOLDER_ROWS
from inventory_service.db import inbox
from inventory_service.settings import InventorySettings
from inventory_service.stock.models import StockRow
from inventory_service.stock.repository import STOCK as STOCK_ROWS
from inventory_service.stock.repository import StockRepository
from inventory_service.stock.service import prepare_stock
from inventory_service.stores.repository import STORES as STORE_ROWS
from inventory_service.stores.service import store_row

TOPICS = [STORES, STOCK, PRODUCTS, VARIANTS, FOLDERS]
# What a stock level is filled from (its item's and product's names, folder, minimum) and what its alert names (its
# store): in a backlog, read before the levels, so each level is written once, filled, rather than written and then
# copied onto (crm_common.messaging.first).
CATALOG_TOPICS = [STORES, PRODUCTS, VARIANTS, FOLDERS]

ROWS = VersionedBatch(
    {
        "store.upserted": (STORE_ROWS, upsert_route(STORE_ROWS, Store, store_row)),
        "store.deleted": (STORE_ROWS, tombstone_route(STORE_ROWS)),
        "stock.changed": (STOCK_ROWS, prepare_stock),
        "product.upserted": (ASSORTMENT, upsert_route(ASSORTMENT, Product, assortment.product_row)),
        "product.deleted": (ASSORTMENT, tombstone_route(ASSORTMENT)),
        "variant.upserted": (ASSORTMENT, upsert_route(ASSORTMENT, Variant, assortment.variant_row)),
        "variant.deleted": (ASSORTMENT, tombstone_route(ASSORTMENT)),
        "folder.upserted": (FOLDER_ROWS, upsert_route(FOLDER_ROWS, Folder, assortment.folder_row)),
        "folder.deleted": (FOLDER_ROWS, tombstone_route(FOLDER_ROWS)),
    }
)


async def apply_events(session: AsyncSession, events: list[EventEnvelope]) -> None:
    """Apply a batch in Kafka order, then bring every stock row a written change concerns up to date with the catalog
    and settle its low-stock state.

    The batch is split into runs in which no entity repeats, each written and settled before the next, so two
    versions of one level in a batch (below, then above the minimum) still raise and clear an alert as they did one
    event at a time. Inside a run the entities differ, and events of different entities have no order to keep
    (they travel on different partitions).
    """
    ids, unnamed = _assortment_ids(events)
    await AlertRepository(session).lock_assortment(ids, unnamed=unnamed)
    stock = StockRepository(session)
    for run in without_repeats(events):
        prepared = ROWS.prepare(run)
        # A level carries its item's and product's names, folder, minimum and deletion (settling reads them, and so
        # does the stock list): written with the level, and copied again onto the levels of an item or product the
        # run writes. The run's stores, folders, products and variants are written first, so a level whose product
        # comes in the same run is filled from it and written once (the copy then finds nothing to change).
        levels_of_run = prepared.pop(STOCK_ROWS, [])
        written = {target: await target.write(session, items) for target, items in prepared.items()}
        if levels_of_run:
            await stock.fill_catalog([level.row for level in levels_of_run])
            written[STOCK_ROWS] = await STOCK_ROWS.write(session, levels_of_run)
        levels, of_items = await _concerned(stock, written)
        await stock.copy_catalog(of_items)
        concerned = sorted({*levels, *of_items})
        if concerned:
            # one array parameter, however many rows (an IN list is one parameter a row, and a batch may concern
            # more rows than a statement may carry); the consumer plans each batch for its values
            await reevaluate(session, StockRow.id == any_(bindparam("concerned", concerned, type_=ARRAY(String))))


async def apply_event(session: AsyncSession, event: EventEnvelope) -> None:
    await apply_events(session, [event])


def _assortment_ids(events: list[EventEnvelope]) -> tuple[set[str], set[str]]:
    """The products and variants whose low-stock evaluation this batch may change: each one written (a variant with
    its product), and each stock level's item and product (a variant's minimum falls back to its product's); and
    those of them whose product the batch does not name, for ``lock_assortment`` to look up (a deleted variant's)."""
    ids: set[str] = set()
    unnamed: set[str] = set()
    for event in events:
        try:
            if event.event_type == "stock.changed":
                level = event.parsed(StockLevel)
                ids.update((level.assortment_id, level.product_id))
            elif event.event_type == "variant.upserted":
                ids.update((event.entity_id, event.parsed(Variant).product_id))
            elif event.entity in ("product", "variant"):
                ids.add(event.entity_id)
                if event.entity == "variant":
                    unnamed.add(event.entity_id)
        except ValidationError:
            continue  # poison: its row mapping dead-letters it
    return ids, unnamed


async def _concerned(stock: StockRepository, written: dict[VersionedTable, Written]) -> tuple[list[str], list[str]]:
    """The ids of the stock rows whose low-stock state or copy of the catalog a write may have changed: the levels
    written, and the rows of the products (with their variants' rows) and variants written or deleted. The rows of
    products and items are looked up by key (``StockRepository.ids_of``), and the levels are then read by their
    primary key: an estimate never decides to read the whole stock table."""
    levels = list(written[STOCK_ROWS].final) if STOCK_ROWS in written else []
    products: list[str] = []
    items: list[str] = []
    if ASSORTMENT in written:
        for key in written[ASSORTMENT].final:
            item = written[ASSORTMENT].reduced.final[key]
            if item.tombstone:
                products.append(key)
                items.append(key)
            elif item.row["kind"] == "variant":
                items.append(key)
            else:
                products.append(key)
    return levels, await stock.ids_of(products=products, items=items)


def product_of(event: EventEnvelope) -> str:
    """The product an event concerns (its lane's affinity): a level's product, a variant's, a product itself. A
    variant's deletion does not name its product and goes by the variant's id (``lock_assortment`` still holds the
    product); a poison event goes by its entity, to be dead-lettered in whichever lane it lands."""
    try:
        if event.event_type == "stock.changed":
            return event.parsed(StockLevel).product_id
        if event.event_type == "variant.upserted":
            return event.parsed(Variant).product_id
    except ValidationError:
        pass
    return event.entity_id


def register_consumers(
    broker: KafkaBroker, sessions: async_sessionmaker[AsyncSession], settings: InventorySettings
) -> EventConsumer:
    consumer = EventConsumer(broker, sessions, inbox, settings.consumer_group)
    # One transaction, one inbox statement and one write per table per batch; a poison event falls back to
    # one-by-one and is dead-lettered alone (crm_common.messaging.consumer). A product's events share a lane: each
    # lane holds its products' locks (``lock_assortment``) until it commits, and the lane beside it would wait.
    consumer.subscribe_batch(
        TOPICS,
        apply_events,
        event_types=ROWS.event_types,
        max_records=settings.consume_batch,
        lanes=settings.consume_lanes,
        affinity=product_of,
        first=CATALOG_TOPICS,
    )
    return consumer
