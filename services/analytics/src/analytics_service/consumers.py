"""Every subscription of the analytics service, in one place.

`projection_handlers` is used both by the live consumer and by the rebuild, so a replay applies exactly the same use
cases. Live handlers also hold the projection lock shared, so a rebuild can swap tables between two events.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from faststream.kafka import KafkaBroker
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from analytics_service.alerts import service as alerts
from analytics_service.catalog import service as catalog
from analytics_service.catalog.models import FolderDim, ProductDim, StoreDim, VariantDim
from analytics_service.customers import service as customers
from analytics_service.db import inbox
from analytics_service.projections.checkpoints import hold_projection_lock
from analytics_service.sales import service as sales
from analytics_service.sales.facts import SALES_TOPIC_KINDS
from analytics_service.settings import AnalyticsSettings
from analytics_service.stock import service as stock
from crm_common.events import topics
from crm_common.events.envelope import EventEnvelope
from crm_common.messaging.consumer import EventConsumer, Handler

PROJECTION_TOPICS = (
    topics.SALES,
    topics.PRODUCTS,
    topics.VARIANTS,
    topics.FOLDERS,
    topics.STORES,
    topics.COUNTERPARTIES,
    topics.STOCK,
)
ALERT_TOPICS = (topics.ALERTS, topics.SYNC)

UseCase = Callable[[AsyncSession, EventEnvelope], Awaitable[object]]


def _handler(use_case: UseCase) -> Handler:
    async def handle(session: AsyncSession, event: EventEnvelope) -> None:
        await use_case(session, event)

    return handle


def projection_handlers(settings: AnalyticsSettings) -> dict[str, Handler]:
    """Event type → use case for everything a rebuild can replay."""
    zone, price_type = settings.zone, settings.sale_price_type

    async def document(session: AsyncSession, event: EventEnvelope) -> object:
        return await sales.apply_document(session, event, zone)

    async def product(session: AsyncSession, event: EventEnvelope) -> object:
        return await catalog.apply_product(session, event, price_type)

    async def variant(session: AsyncSession, event: EventEnvelope) -> object:
        return await catalog.apply_variant(session, event, price_type)

    def deleted(model: type) -> UseCase:
        async def apply(session: AsyncSession, event: EventEnvelope) -> object:
            return await catalog.apply_deleted(session, event, model)

        return apply

    handlers: dict[str, UseCase] = {
        "product.upserted": product,
        "product.deleted": deleted(ProductDim),
        "variant.upserted": variant,
        "variant.deleted": deleted(VariantDim),
        "folder.upserted": catalog.apply_folder,
        "folder.deleted": deleted(FolderDim),
        "store.upserted": catalog.apply_store,
        "store.deleted": deleted(StoreDim),
        "counterparty.upserted": customers.apply_counterparty,
        "counterparty.deleted": customers.apply_counterparty_deleted,
        "stock.changed": stock.apply_stock,
    }
    for kind in SALES_TOPIC_KINDS:
        handlers[f"{kind.value}.upserted"] = document
        handlers[f"{kind.value}.deleted"] = sales.apply_document_deleted
    return {event_type: _handler(use_case) for event_type, use_case in handlers.items()}


def alert_handlers() -> dict[str, Handler]:
    return {
        "alert.raised": alerts.apply_alert_raised,
        "alert.cleared": alerts.apply_alert_cleared,
        "sync.failed": alerts.apply_sync_failed,
        "sync.completed": alerts.apply_sync_completed,
    }


def _locked(handler: Handler) -> Handler:
    async def handle(session: AsyncSession, event: EventEnvelope) -> None:
        await hold_projection_lock(session)
        await handler(session, event)

    return handle


def register(
    broker: KafkaBroker, sessions: async_sessionmaker[AsyncSession], settings: AnalyticsSettings
) -> EventConsumer:
    """Subscribe the projections and the alert store; the broker must be started afterwards."""
    consumer = EventConsumer(broker, sessions, inbox, settings.consumer_group)
    live = {event_type: _locked(h) for event_type, h in projection_handlers(settings).items()}
    consumer.subscribe(PROJECTION_TOPICS, live)
    consumer.subscribe(ALERT_TOPICS, alert_handlers())
    return consumer
