"""Idempotent consumers: parse, de-duplicate, apply in one transaction, retry, dead-letter.

Every subscription of a service goes through ``EventConsumer.subscribe`` so the ack policy is explicit and the same
everywhere: an event is acknowledged only after its effect has committed (or it has been dead-lettered). While the
database is unreachable the handler raises, the message is not acknowledged, and Kafka delivers it again.
"""

from __future__ import annotations

import asyncio
import collections
import time
import uuid
from collections.abc import Awaitable, Callable, Collection, Iterable, Sequence
from typing import Any, TypeVar

from faststream import AckPolicy
from faststream.kafka import KafkaBroker, KafkaMessage
from prometheus_client import Counter, Histogram
from pydantic import ValidationError
from sqlalchemy import String, Table, bindparam, func, literal, select, text
from sqlalchemy.dialects.postgresql import ARRAY, UUID, insert
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from crm_common.db import transaction
from crm_common.events.envelope import EventEnvelope, UnknownEventType, parse_event
from crm_common.events.topics import Topic, topic_prefix
from crm_common.logging import get_logger
from crm_common.messaging.deadletter import DeadLetter, send_to_dead_letter
from crm_common.messaging.first import TopicsFirst
from crm_common.messaging.inbox import claim
from crm_common.tracing import consume_span

log = get_logger(__name__)

Handler = Callable[[AsyncSession, EventEnvelope], Awaitable[None]]
# Applies a list of new (already de-duplicated) events in Kafka order, in the caller's transaction.
BatchHandler = Callable[[AsyncSession, list[EventEnvelope]], Awaitable[None]]
# What an event of a batch applied in lanes goes with (``subscribe_batch``): events of one affinity share a lane.
Affinity = Callable[[EventEnvelope], str]
ItemT = TypeVar("ItemT")
Parsed = tuple[Any, bytes, EventEnvelope]  # (record, its value, the event read from it)

EVENTS_CONSUMED = Counter("crm_events_consumed_total", "Events handled by consumers", ["consumer", "topic", "outcome"])
EVENT_SECONDS = Histogram("crm_event_handle_seconds", "Time to apply one event", ["consumer", "topic"])
BATCH_SECONDS = Histogram(
    "crm_event_batch_seconds",
    "Time to apply one batch of events",
    ["consumer", "outcome"],
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)


# A consumer transaction's statements (a batch's, or one event's) are planned for their own values and the tables as
# they are now. Prepared once per connection, they may otherwise run a generic plan PostgreSQL cached while a table
# was still empty during a first load: a sequential scan filtering on an id array that stays in use as the table grows
# (inventory's lock statement went from a few ms to ~325 ms a batch at 20,000 items; docs/operations.md, "Stock
# levels by key").
_CUSTOM_PLANS = text("SET LOCAL plan_cache_mode = force_custom_plan")


class PoisonEvent(Exception):
    """The event is well-formed but can never be applied (e.g. a reference that cannot exist)."""


# SQLSTATEs of a transaction PostgreSQL rolled back for what ran beside it (a deadlock, a serialization failure): the
# same transaction tried again succeeds.
_CONFLICTS = frozenset({"40P01", "40001"})


def _is_conflict(exc: BaseException) -> bool:
    orig = getattr(exc, "orig", None)
    return isinstance(exc, DBAPIError) and getattr(orig, "sqlstate", None) in _CONFLICTS


def _is_transient(exc: BaseException) -> bool:
    if isinstance(exc, OperationalError | InterfaceError | ConnectionError | OSError | TimeoutError):
        return True
    return isinstance(exc, DBAPIError) and bool(exc.connection_invalidated)


async def claim_many(
    session: AsyncSession, table: Table, consumer: str, event_ids: Sequence[uuid.UUID]
) -> set[uuid.UUID]:
    """Record every id for ``consumer`` in one statement; return the ids that were not applied before.

    The ids travel as one array parameter, so the statement is the same (and prepared once) whatever the batch size.
    """
    if not event_ids:
        return set()
    ids = bindparam("event_ids", list(dict.fromkeys(event_ids)), type_=ARRAY(UUID(as_uuid=True)))
    rows = select(literal(consumer, String()), func.unnest(ids))
    stmt = (
        insert(table).from_select(["consumer", "event_id"], rows).on_conflict_do_nothing().returning(table.c.event_id)
    )
    return set((await session.execute(stmt)).scalars())


async def _raw_bodies(message: Any) -> Any:
    """Skip FastStream's JSON decoding of a batch: ``handle_batch`` parses each record, and junk must reach it."""
    return message.body


def split_lanes(
    items: list[ItemT],
    lanes: int,
    *,
    record: Callable[[ItemT], Any] | None = None,
    affinity: Callable[[ItemT], str] | None = None,
) -> list[list[ItemT]]:
    """Split a batch of Kafka records (or of items ``record`` gets one from) into at most ``lanes`` parts, each key's
    records (one entity's: the publisher keys by entity id) whole and in order in one part, the parts as even in
    records as that allows (the largest group first, to the part holding fewest). Records without a key stay together
    per partition. With ``affinity``, the keys whose first item has the same affinity go to one part too.

    Kafka orders one key's records and nothing else: records of two keys may share a partition or not (by their
    hash and the partition count), so no consumer relies on their relative order, and a batch's keys can be applied
    side by side."""
    by_key: dict[tuple[str, int, bytes | None], list[ItemT]] = {}
    for item in items:
        found: Any = item if record is None else record(item)
        key = found.key
        by_key.setdefault((found.topic, -1 if key is not None else found.partition, key), []).append(item)
    groups = list(by_key.values())
    if affinity is not None:
        together: dict[str, list[ItemT]] = {}
        for group in groups:
            together.setdefault(affinity(group[0]), []).extend(group)
        groups = list(together.values())
    parts: list[list[ItemT]] = [[] for _ in range(min(lanes, len(groups)))]
    for grouped in sorted(groups, key=len, reverse=True):
        min(parts, key=len).extend(grouped)
    return parts


def _record_of(item: Parsed) -> Any:
    return item[0]


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
        self._transient_streak = 0  # consecutive batches that failed on infrastructure, for the back-off
        self.lanes: dict[str, int] = {}  # topic name -> the lanes its batches are applied in (subscribe_batch)
        self.affinities: dict[str, Affinity | None] = {}  # topic name -> what its events' lanes follow, if anything
        self.read_first: set[str] = set()  # the names of the topics read before the others of their subscription

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
        try:
            # The payload read into its model with the envelope and kept on the event: not validated again.
            event = parse_event(raw, topic.events)
        except UnknownEventType as exc:
            event_type = exc.event_type
        else:
            if event.event_type in handlers:
                return event
            event_type = event.event_type
        raise KeyError(f"event type {event_type!r} is not handled on {topic.name}")

    async def _apply(self, record: Any, raw: bytes, event: EventEnvelope, handler: Handler) -> None:
        attempt = 0
        while True:
            attempt += 1
            try:
                async with transaction(self.sessions) as session:
                    await session.execute(_CUSTOM_PLANS)
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

    def subscribe_batch(
        self,
        topics: Iterable[Topic],
        handler: BatchHandler,
        *,
        event_types: Collection[str] | None = None,
        max_records: int = 500,
        batch_timeout_ms: int = 200,
        lanes: int = 1,
        affinity: Affinity | None = None,
        first: Collection[Topic] = (),
    ) -> None:
        """Register one subscriber that applies up to ``max_records`` events in one transaction.

        The guarantees of ``subscribe`` hold: the batch is acknowledged only after its effect has committed; the inbox
        claims every event id of the batch in the same transaction (one statement), so redelivered events and copies
        inside the batch reach ``handler`` once; events that cannot be parsed are dead-lettered; if the batch fails
        on the database being unreachable, nothing is acknowledged and Kafka delivers the batch again. If it fails for
        any other reason (a poison event among good ones), its events are applied one by one, each in its own
        transaction with the retries of ``subscribe``, so only the bad event is dead-lettered.

        ``handler`` gets the new events in Kafka order (per partition). ``event_types`` limits what is accepted
        (default: every type the topics carry).

        ``lanes`` > 1 splits each batch by record key into that many parts applied side by side, each in its own
        transaction (`split_lanes`): while PostgreSQL works on one part's statements, this process parses and
        prepares another's. Replicas, each owning some of the partitions, apply events of different keys side by side
        too, so ``handler`` must already be safe for it (every consuming service is: it runs as several replicas). The
        batch is acknowledged once every lane has committed; a lane that fails alone is redelivered with the batch,
        its committed siblings' events then found in the inbox. A lane rolled back by a deadlock or a serialization
        failure (with a lane beside it, or a replica) is tried again at once.

        ``affinity`` names what an event goes with (inventory: its product): the keys whose events share it are
        applied in one lane. A handler that locks per product then never waits for the lane beside it, which held the
        same product until its commit. The batch is then parsed whole before it is split.

        ``first`` (some of ``topics``) are read up to the end they had when the partitions were assigned before the
        other partitions are fetched (``TopicsFirst``): in a backlog, what the handler looks up comes before what it
        looks it up for.
        """
        if lanes < 1:
            raise ValueError(f"lanes must be at least 1, got {lanes}")
        by_name = {topic.name: topic for topic in topics}
        self.lanes.update(dict.fromkeys(by_name, lanes))
        self.affinities.update(dict.fromkeys(by_name, affinity))
        accepted = set(event_types) if event_types is not None else {t for tp in by_name.values() for t in tp.events}

        async def one(session: AsyncSession, event: EventEnvelope) -> None:
            await handler(session, [event])

        singles: dict[str, Handler] = dict.fromkeys(accepted, one)
        unknown = {topic.name for topic in first} - set(by_name)
        if unknown:
            raise ValueError(f"topics to read first must be subscribed too: {sorted(unknown)}")
        listener = TopicsFirst([topic.name for topic in first]) if first else None
        self.read_first.update(topic.name for topic in first)

        subscriber = self.broker.subscriber(
            *by_name,
            group_id=self.group_id,
            auto_offset_reset="earliest",
            ack_policy=AckPolicy.NACK_ON_ERROR,
            batch=True,
            max_records=max_records,
            batch_timeout_ms=batch_timeout_ms,
            decoder=_raw_bodies,
            listener=listener,
        )
        if listener is not None:
            listener.subscriber = subscriber

        @subscriber
        async def on_batch(body: Any, message: KafkaMessage) -> None:
            await self.handle_batch(message.raw_message, by_name, handler, singles, lanes=lanes, affinity=affinity)

    async def handle_batch(
        self,
        records: Any,
        topics: dict[str, Topic],
        handler: BatchHandler,
        singles: dict[str, Handler],
        *,
        lanes: int = 1,
        affinity: Affinity | None = None,
    ) -> None:
        """Parse, de-duplicate and apply one batch of records (see ``subscribe_batch``)."""
        batch = list(records) if isinstance(records, tuple | list) else [records]
        invalid: list[tuple[Any, bytes, str]] = []
        if lanes > 1 and len(batch) > 1:
            if affinity is None:
                # Each lane parses its own records: while PostgreSQL runs one lane's first statements, the next parses.
                applying = [self._parse_and_apply(part, topics, handler, singles) for part in split_lanes(batch, lanes)]
            else:
                parsed = self._parse_all(batch, topics, singles, invalid)
                parts = split_lanes(parsed, lanes, record=_record_of, affinity=lambda item: affinity(item[2]))
                applying = [self._applied(part, handler, singles) for part in parts]
            outcomes = await asyncio.gather(*applying, return_exceptions=True)
            for outcome in outcomes:
                if isinstance(outcome, BaseException):
                    raise outcome  # the batch is redelivered: its junk is dead-lettered then, once
                invalid += outcome
        else:
            invalid = await self._parse_and_apply(batch, topics, handler, singles)
        # After the commit: a batch redelivered because the database was down does not dead-letter its junk twice.
        for record, raw, detail in invalid:
            await self._dead_letter(record, raw, "invalid_event", detail)

    def _parse_all(
        self,
        batch: list[Any],
        topics: dict[str, Topic],
        singles: dict[str, Handler],
        invalid: list[tuple[Any, bytes, str]],
    ) -> list[Parsed]:
        """The records of ``batch`` that parse, as events; the others added to ``invalid`` with why."""
        parsed: list[Parsed] = []
        for record in batch:
            raw: bytes = record.value or b""
            try:
                parsed.append((record, raw, self._parse(raw, topics[record.topic], singles)))
            except (ValidationError, ValueError, KeyError) as exc:
                invalid.append((record, raw, str(exc)))
        return parsed

    async def _parse_and_apply(
        self, batch: list[Any], topics: dict[str, Topic], handler: BatchHandler, singles: dict[str, Handler]
    ) -> list[tuple[Any, bytes, str]]:
        """Parse ``batch`` and apply its events in one transaction; the records that did not parse, with why."""
        invalid: list[tuple[Any, bytes, str]] = []
        parsed = self._parse_all(batch, topics, singles, invalid)
        if parsed:
            await self._apply_batch(parsed, handler, singles)
        return invalid

    async def _applied(
        self, parsed: list[Parsed], handler: BatchHandler, singles: dict[str, Handler]
    ) -> list[tuple[Any, bytes, str]]:
        """``_apply_batch`` of events already parsed, as a lane of ``handle_batch``: none of them is invalid."""
        await self._apply_batch(parsed, handler, singles)
        return []

    async def _commit_batch(
        self, parsed: list[Parsed], handler: BatchHandler
    ) -> tuple[list[tuple[Any, EventEnvelope]], list[Any]]:
        """Claim the batch's events in the inbox and apply the new ones, in one transaction; (applied, duplicates)."""
        async with transaction(self.sessions) as session:
            await session.execute(_CUSTOM_PLANS)
            claimed = await claim_many(session, self.inbox, self.group_id, [e.event_id for _, _, e in parsed])
            fresh: list[tuple[Any, EventEnvelope]] = []
            duplicates: list[Any] = []
            for record, _raw, event in parsed:
                if event.event_id in claimed:
                    claimed.discard(event.event_id)  # a copy later in the same batch is a duplicate
                    fresh.append((record, event))
                else:
                    duplicates.append(record)
            if fresh:
                await handler(session, [event for _, event in fresh])
        return fresh, duplicates

    async def _apply_batch(self, parsed: list[Parsed], handler: BatchHandler, singles: dict[str, Handler]) -> None:
        started = time.perf_counter()
        attempt = 0
        while True:
            attempt += 1
            try:
                fresh, duplicates = await self._commit_batch(parsed, handler)
                break
            except Exception as exc:
                if _is_conflict(exc) and attempt < self.max_attempts:
                    # Another transaction (a lane beside it, a replica) held what this one needed in the other order:
                    # PostgreSQL rolled this one back, and the batch is simply tried again.
                    log.info("batch lost a lock conflict, trying it again", error=repr(exc)[:200], attempt=attempt)
                    await asyncio.sleep(self.backoff * attempt)
                    continue
                if _is_transient(exc):
                    # Infrastructure, not the events: never dead-letter; let Kafka redeliver the batch after a pause.
                    self._transient_streak += 1
                    log.warning("transient failure, batch will be redelivered", error=repr(exc)[:300], size=len(parsed))
                    BATCH_SECONDS.labels(self.group_id, "transient").observe(time.perf_counter() - started)
                    await asyncio.sleep(min(self.backoff * 2**self._transient_streak, 5.0))
                    raise
                log.warning("batch failed, applying its events one by one", error=repr(exc)[:300], size=len(parsed))
                for record, raw, event in parsed:
                    await self._apply(record, raw, event, singles[event.event_type])
                BATCH_SECONDS.labels(self.group_id, "one_by_one").observe(time.perf_counter() - started)
                return
        self._transient_streak = 0
        BATCH_SECONDS.labels(self.group_id, "applied").observe(time.perf_counter() - started)
        # Counted per topic, not per record (a label lookup and increment per record costs ~1-2 µs).
        counts = collections.Counter((record.topic, "applied") for record, _event in fresh)
        counts.update((record.topic, "duplicate") for record in duplicates)
        for (topic, outcome), n in counts.items():
            EVENTS_CONSUMED.labels(self.group_id, topic, outcome).inc(n)
