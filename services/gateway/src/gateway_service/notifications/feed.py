"""Kafka (ALERTS, SYNC) into one Redis stream that every gateway replica's SSE connections read.

The Redis stream keeps the last ``notifications_keep`` notifications; its entry ids are the SSE event ids, so a client
that reconnects with ``Last-Event-ID`` gets what it missed. Kafka offsets are committed only after the entries are in
Redis, and each event id is written once (a redelivered event is skipped), so nothing is lost or shown twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer
from redis.asyncio import Redis

from crm_common.events.envelope import EventEnvelope
from crm_common.events.topics import ALERTS, SYNC, topic_prefix
from crm_common.logging import get_logger
from crm_common.security import Permission

log = get_logger(__name__)

STREAM = "gateway:notifications"
SEEN = "gateway:notifications:seen:{event_id}"
SEEN_TTL = 7 * 24 * 3600
# Who may see a sync failure: those who can run or administer syncs.
SYNC_FAILED_PERMISSION = str(Permission.SYNC_RUN)

# Check-and-append in one step, so two replicas (or a redelivery) never append the same event twice.
APPEND_ONCE = """
if redis.call('SET', KEYS[2], '1', 'NX', 'EX', ARGV[1]) then
  return redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[2], '*', 'event_type', ARGV[3], 'permission', ARGV[4],
                    'data', ARGV[5])
end
return false
"""


@dataclass(frozen=True)
class Notification:
    event_type: str
    permission: str
    data: dict[str, Any]


def to_notification(event: EventEnvelope) -> Notification | None:
    """What users see of an event, and who may see it; ``None`` for events that are not notifications."""
    body = {"event_id": str(event.event_id), "occurred_at": event.occurred_at.isoformat(), **event.payload}
    if event.event_type in ("alert.raised", "alert.cleared"):
        return Notification(event.event_type, str(event.payload.get("permission", Permission.ADMIN_HEALTH)), body)
    if event.event_type == "sync.failed":
        return Notification(event.event_type, SYNC_FAILED_PERMISSION, body)
    return None


def stream_key() -> str:
    return topic_prefix() + STREAM


class NotificationStore:
    def __init__(self, redis: Redis, keep: int) -> None:
        self.redis, self.keep = redis, keep
        self._append = redis.register_script(APPEND_ONCE)

    async def append(self, event_id: str, note: Notification) -> str | None:
        seen = topic_prefix() + SEEN.format(event_id=event_id)
        args: list[str | int] = [
            SEEN_TTL,
            self.keep,
            note.event_type,
            note.permission,
            json.dumps(note.data, ensure_ascii=False),
        ]
        result = await self._append(keys=[stream_key(), seen], args=args)
        return result.decode() if isinstance(result, bytes) else None


class NotificationFeed:
    """Consumes the notification topics in the background; survives Kafka and Redis outages by retrying."""

    def __init__(self, store: NotificationStore, bootstrap_servers: str, group: str) -> None:
        self.store, self.servers, self.group = store, bootstrap_servers, topic_prefix() + group
        self._task: asyncio.Task[None] | None = None
        self.assigned = asyncio.Event()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="notification-feed")

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        pause = 0.5
        while True:
            try:
                await self._consume()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("notification feed failed, retrying", error=repr(exc)[:300], pause=pause)
                await asyncio.sleep(pause)
                pause = min(pause * 2, 10.0)

    async def _consume(self) -> None:
        consumer = AIOKafkaConsumer(
            ALERTS.name,
            SYNC.name,
            bootstrap_servers=self.servers.split(","),
            group_id=self.group,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            client_id="gateway-notifications",
        )
        await consumer.start()
        try:
            while True:
                batch = await consumer.getmany(timeout_ms=500, max_records=200)
                if consumer.assignment():
                    self.assigned.set()
                for records in batch.values():
                    for record in records:
                        await self._append(record.value)
                if batch:
                    await consumer.commit()
        finally:
            await consumer.stop()

    async def _append(self, raw: bytes | None) -> None:
        try:
            event = EventEnvelope.from_bytes(raw or b"")
        except ValueError as exc:
            log.warning("unreadable notification event skipped", error=str(exc)[:300])
            return
        note = to_notification(event)
        if note is not None:
            await self.store.append(str(event.event_id), note)
