"""Idempotent consumers: parse, de-duplicate, apply in one transaction, retry, dead-letter.

Every subscription of a service goes through ``EventConsumer.subscribe`` so the ack policy is explicit and the same
everywhere: an event is acknowledged only after its effect has committed (or it has been dead-lettered). While the
database is unreachable the handler raises, the message is not acknowledged, and Kafka delivers it again.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from faststream import AckPolicy
from faststream.kafka import KafkaBroker, KafkaMessage
from prometheus_client import Counter, Histogram
from pydantic import ValidationError
from sqlalchemy import Table
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from crm_common.db import transaction
from crm_common.events.envelope import EventEnvelope
from crm_common.events.topics import Topic, topic_prefix
from crm_common.logging import get_logger
from crm_common.messaging.deadletter import DeadLetter, send_to_dead_letter
from crm_common.messaging.inbox import claim
from crm_common.tracing import consume_span

log = get_logger(__name__)

Handler = Callable[[AsyncSession, EventEnvelope], Awaitable[None]]

EVENTS_CONSUMED = Counter("crm_events_consumed_total", "Events handled by consumers", ["consumer", "topic", "outcome"])
EVENT_SECONDS = Histogram("crm_event_handle_seconds", "Time to apply one event", ["consumer", "topic"])


class PoisonEvent(Exception):
    """The event is well-formed but can never be applied (e.g. a reference that cannot exist)."""


def _is_transient(exc: BaseException) -> bool:
    if isinstance(exc, OperationalError | InterfaceError | ConnectionError | OSError | TimeoutError):
        return True
    return isinstance(exc, DBAPIError) and bool(exc.connection_invalidated)


class EventConsumer:
    def __init__(
        self,
        broker: KafkaBroker,
        sessions: async_sessionmaker[AsyncSession],
        inbox: Table,
        group_id: str,
        *,
        max_attempts: int = 4,
        backoff: float = 0.2,
    ) -> None:
        self.broker, self.sessions, self.inbox = broker, sessions, inbox
        self.group_id = topic_prefix() + group_id
        self.max_attempts, self.backoff = max_attempts, backoff

    def subscribe(self, topics: Iterable[Topic], handlers: dict[str, Handler]) -> None:
        """Register one subscriber (one Kafka consumer in the group) for all ``topics``.

        One consumer per service rather than one per topic: every extra member of a group costs a rebalance at
        start-up. ``handlers`` maps event types to use cases.
        """
        by_name = {topic.name: topic for topic in topics}

        @self.broker.subscriber(
            *by_name,
            group_id=self.group_id,
            auto_offset_reset="earliest",
            ack_policy=AckPolicy.NACK_ON_ERROR,
        )
        async def on_message(body: Any, message: KafkaMessage) -> None:
            await self.handle(message, by_name[message.raw_message.topic], handlers)  # type: ignore[union-attr]

    async def handle(self, message: KafkaMessage, topic: Topic, handlers: dict[str, Handler]) -> None:
        record = message.raw_message
        raw: bytes = record.value or b""  # type: ignore[union-attr]
        try:
            event = self._parse(raw, topic, handlers)
        except (ValidationError, ValueError, KeyError) as exc:
            await self._dead_letter(record, raw, "invalid_event", str(exc))
            return
        with (
            EVENT_SECONDS.labels(self.group_id, topic.name).time(),
            consume_span(event, topic=topic.name, consumer=self.group_id),
        ):
            await self._apply(record, raw, event, handlers[event.event_type])

    def _parse(self, raw: bytes, topic: Topic, handlers: dict[str, Handler]) -> EventEnvelope:
        event = EventEnvelope.from_bytes(raw)
        model = topic.events.get(event.event_type)
        if model is None or event.event_type not in handlers:
            raise KeyError(f"event type {event.event_type!r} is not handled on {topic.name}")
        model.model_validate(event.payload)
        return event

    async def _apply(self, record: Any, raw: bytes, event: EventEnvelope, handler: Handler) -> None:
        attempt = 0
        while True:
            attempt += 1
            try:
                async with transaction(self.sessions) as session:
                    if not await claim(session, self.inbox, self.group_id, event.event_id):
                        EVENTS_CONSUMED.labels(self.group_id, record.topic, "duplicate").inc()
                        return
                    await handler(session, event)
                EVENTS_CONSUMED.labels(self.group_id, record.topic, "applied").inc()
                return
            except PoisonEvent as exc:
                await self._dead_letter(record, raw, "unapplicable", str(exc))
                return
            except Exception as exc:
                if _is_transient(exc):
                    # Infrastructure, not the event: never dead-letter; let Kafka redeliver after a pause.
                    log.warning("transient failure, will redeliver", error=repr(exc)[:300], attempt=attempt)
                    await asyncio.sleep(min(self.backoff * 2**attempt, 5.0))
                    raise
                if attempt >= self.max_attempts:
                    await self._dead_letter(record, raw, "handler_error", f"{type(exc).__name__}: {exc}")
                    return
                await asyncio.sleep(self.backoff * 2 ** (attempt - 1))

    async def _dead_letter(self, record: Any, raw: bytes, reason: str, detail: str) -> None:
        EVENTS_CONSUMED.labels(self.group_id, record.topic, "dead_lettered").inc()
        letter = DeadLetter(
            consumer=self.group_id,
            topic=record.topic,
            partition=record.partition,
            offset=record.offset,
            key=record.key,
            value=raw,
            reason=reason,
            detail=detail,
        )
        await send_to_dead_letter(self.broker, letter)
