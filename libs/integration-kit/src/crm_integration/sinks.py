"""Where a sync's events go: a sink publishes a batch and returns once it is durable."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from crm_common.events.envelope import EventEnvelope
from crm_common.messaging.publisher import EventPublisher


class EventSink(Protocol):
    async def publish(self, events: Sequence[EventEnvelope]) -> None: ...


class KafkaSink:
    """Publishes a batch and returns only when Kafka acknowledged all of it (acks=all).

    ``published`` is the connector's counter of events published, labelled by event type.
    """

    def __init__(self, publisher: EventPublisher, published: Any = None) -> None:
        self.publisher, self.published = publisher, published

    async def publish(self, events: Sequence[EventEnvelope]) -> None:
        if not events:
            return
        await self.publisher.publish_many(events)
        if self.published is not None:
            for event in events:
                self.published.labels(event.event_type).inc()
