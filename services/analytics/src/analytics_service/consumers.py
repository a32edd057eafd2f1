"""Every subscription of the analytics service, in one place.

Projection events are applied in batches by `ProjectionBatch`, the same code a rebuild replays through, so a replay
applies exactly the same use cases. Live batches also hold the projection lock shared, so a rebuild can swap tables
between two batches.
"""

from __future__ import annotations

from itertools import groupby

from faststream.kafka import KafkaBroker
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from analytics_service.alerts import service as alerts
from analytics_service.checkpoints.repository import hold_projection_lock
from analytics_service.db import inbox
from analytics_service.pipeline.batch import PROJECTION_TOPICS, ProjectionBatch
from analytics_service.settings import AnalyticsSettings
from crm_common.events import topics
from crm_common.events.envelope import EventEnvelope
from crm_common.messaging.consumer import EventConsumer, Handler

ALERT_TOPICS = (topics.ALERTS, topics.SYNC)


def projection_handlers(settings: AnalyticsSettings) -> dict[str, Handler]:
    """Event type → a handler applying that one event, through the same batch path the consumer uses."""
    batch = ProjectionBatch(settings)

    async def one(session: AsyncSession, event: EventEnvelope) -> None:
        await batch(session, [event])

    return dict.fromkeys(batch.event_types, one)


ALERT_HANDLERS: dict[str, Handler] = {
    "alert.raised": alerts.apply_alert_raised,
    "alert.cleared": alerts.apply_alert_cleared,
    "sync.failed": alerts.apply_sync_failed,
    "sync.completed": alerts.apply_sync_completed,
}


async def apply_alerts(session: AsyncSession, events: list[EventEnvelope]) -> None:
    """Apply a batch of alert and sync events one after another, in Kafka order, in the batch's transaction: a raise
    and its clear in one batch end as they would one event at a time. Alerts come in bursts (an initial load raises
    one per level below its minimum), so a transaction and an inbox claim per alert was most of their cost; each run
    of raises in a row is written with one statement."""
    for raised, run in groupby(events, key=lambda e: e.event_type == "alert.raised"):
        if raised:
            await alerts.apply_alerts_raised(session, list(run))
        else:
            for event in run:
                await ALERT_HANDLERS[event.event_type](session, event)


def register(
    broker: KafkaBroker, sessions: async_sessionmaker[AsyncSession], settings: AnalyticsSettings
) -> EventConsumer:
    """Subscribe the projections (in batches) and the alert store; the broker must be started afterwards."""
    consumer = EventConsumer(broker, sessions, inbox, settings.consumer_group)
    batch = ProjectionBatch(settings)

    async def live(session: AsyncSession, events: list[EventEnvelope]) -> None:
        # Held shared for the transaction, so a rebuild can swap tables between two batches.
        await hold_projection_lock(session)
        await batch(session, events)

    consumer.subscribe_batch(
        PROJECTION_TOPICS,
        live,
        event_types=batch.event_types,
        max_records=settings.consume_batch,
        lanes=settings.consume_lanes,
    )
    consumer.subscribe_batch(ALERT_TOPICS, apply_alerts, event_types=ALERT_HANDLERS.keys())
    return consumer
