"""Publishing envelopes: keyed by entity id, typed by header, acknowledged by all in-sync replicas."""

from __future__ import annotations

from collections.abc import Sequence

from aiokafka.codec import zstd_encode
from faststream.kafka import KafkaBroker

from crm_common.events import topics
from crm_common.events.envelope import EventEnvelope
from crm_common.events.topics import topic_for

CONTENT_TYPE = "application/json"


def headers_for(event: EventEnvelope) -> dict[str, str]:
    return {"content-type": CONTENT_TYPE, "event_type": event.event_type, "source": event.source, **event.trace}


# Room for the record batch around one event's bytes (headers, key, batch header), well over what they take.
BATCH_OVERHEAD = 64 * 1024


def too_large(raw: bytes) -> str | None:
    """Why Kafka would refuse one event of these JSON bytes, or None: the producer checks the JSON against
    MAX_EVENT_BYTES, the broker the compressed batch against MAX_MESSAGE_BYTES (compressed here only when the JSON
    alone exceeds that, so the usual event costs a length check)."""
    if len(raw) > topics.MAX_EVENT_BYTES:
        return f"the event is {len(raw):,} bytes of JSON; an event may have at most {topics.MAX_EVENT_BYTES:,}"
    if len(raw) + BATCH_OVERHEAD > topics.MAX_MESSAGE_BYTES:
        compressed = len(zstd_encode(raw))
        if compressed + BATCH_OVERHEAD > topics.MAX_MESSAGE_BYTES:
            return (
                f"the event is {compressed:,} bytes compressed ({len(raw):,} of JSON); a message may have at most "
                f"{topics.MAX_MESSAGE_BYTES - BATCH_OVERHEAD:,}"
            )
    return None


class EventPublisher:
    def __init__(self, broker: KafkaBroker) -> None:
        self._broker = broker

    async def publish(self, event: EventEnvelope, topic: str | None = None) -> None:
        """Send one event and wait until Kafka has it (acks=all)."""
        await self._broker.publish(
            event.to_bytes(),
            topic or topic_for(event.event_type).name,
            key=event.entity_id.encode(),
            headers=headers_for(event),
        )

    async def publish_many(self, events: Sequence[EventEnvelope]) -> None:
        """Send a batch concurrently, then wait for every acknowledgement; raise if any failed."""
        futures = [
            await self._broker.publish(
                e.to_bytes(),
                topic_for(e.event_type).name,
                key=e.entity_id.encode(),
                headers=headers_for(e),
                no_confirm=True,
            )
            for e in events
        ]
        for future in futures:
            await future
