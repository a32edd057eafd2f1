"""Use cases over the dead-letter topic; what was done is kept as a disposition row and in the audit trail.

The letters stay where consumers put them (Kafka, ``deadletter.v1``, kept by time); reading commits no offsets, so
the ``python -m crm_common.messaging.replay`` command line keeps working alongside. A re-drive publishes first and
records after: if recording fails, a second re-drive sends a duplicate, which the consumers' inboxes drop.
"""

from __future__ import annotations

import base64
import re
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

from aiokafka.errors import KafkaError
from sqlalchemy.ext.asyncio import AsyncSession

from auth_service.audit.service import record
from auth_service.context import ClientInfo
from auth_service.db import utcnow
from auth_service.deadletters.models import DeadLetterDisposition
from auth_service.deadletters.repository import DispositionRepository
from auth_service.deadletters.schemas import DeadLetterDetail, DeadLetterOut, RedriveFilter, Status
from crm_common.errors import Conflict, NotFound, ServiceUnavailable
from crm_common.events.topics import DEAD_LETTER
from crm_common.messaging.replay import Filters, StoredLetter, read_dead_letters, redrive
from crm_common.security.jwt import Principal

ID = re.compile(r"^(\d{1,6})-(\d{1,19})$")
TARGET = "dead_letter"


def letter_id(stored: StoredLetter) -> str:
    return f"{stored.letter.partition}-{stored.letter.offset}"


def audit_id(stored: StoredLetter) -> str:
    """The trail names the topic too: offsets start again from 0 if the topic is ever recreated."""
    return f"{DEAD_LETTER.name}:{letter_id(stored)}"


def matches(stored: StoredLetter, filters: RedriveFilter) -> bool:
    wanted = Filters(
        consumers=(filters.service,) if filters.service else (),
        topics=(filters.topic,) if filters.topic else (),
        reasons=(filters.reason,) if filters.reason else (),
    )
    letter = stored.letter
    return wanted.matches({"dlq_consumer": letter.consumer, "dlq_topic": letter.topic, "dlq_reason": letter.reason})


async def _read(kafka: str) -> list[StoredLetter]:
    try:
        return await read_dead_letters(kafka)
    except (KafkaError, OSError, TimeoutError) as exc:
        raise ServiceUnavailable(f"the dead-letter topic cannot be read right now: {type(exc).__name__}") from exc


def _out(stored: StoredLetter, row: DeadLetterDisposition | None) -> DeadLetterOut:
    letter = stored.letter
    return DeadLetterOut(
        id=letter_id(stored),
        service=letter.consumer,
        topic=letter.topic,
        reason=letter.reason,
        detail=letter.detail,
        key=stored.key.decode("utf-8", errors="replace") if stored.key is not None else None,
        dead_lettered_at=datetime.fromtimestamp(stored.timestamp_ms / 1000, UTC),
        size=len(stored.value),
        status=Status(row.status) if row else Status.PENDING,
        redrives=row.redrives if row else 0,
        discard_reason=row.discard_reason if row else None,
    )


async def list_letters(
    session: AsyncSession, kafka: str, filters: RedriveFilter, status: Status | None
) -> list[DeadLetterOut]:
    """Matching dead letters, newest first."""
    found = [s for s in await _read(kafka) if matches(s, filters)]
    rows = await DispositionRepository(session).of(DEAD_LETTER.name, [_position(s) for s in found])
    letters = [_out(s, rows.get(_position(s))) for s in found]
    letters = [out for out in letters if status is None or out.status == status]
    return sorted(letters, key=lambda out: out.dead_lettered_at, reverse=True)


async def get_letter(session: AsyncSession, kafka: str, id_: str) -> DeadLetterDetail:
    stored = await _find(kafka, id_)
    row = await DispositionRepository(session).get(DEAD_LETTER.name, _position(stored))
    return DeadLetterDetail(
        **_out(stored, row).model_dump(),
        value_base64=base64.b64encode(stored.value).decode(),
        key_base64=base64.b64encode(stored.key).decode() if stored.key is not None else None,
    )


async def redrive_one(
    session: AsyncSession, kafka: str, actor: Principal, client: ClientInfo, id_: str
) -> DeadLetterOut:
    stored = await _find(kafka, id_)
    row = await DispositionRepository(session).get(DEAD_LETTER.name, _position(stored))
    if row is not None and row.status == Status.DISCARDED:
        raise Conflict(f"dead letter {id_} was discarded ({row.discard_reason}); it is not re-driven")
    await _redrive(session, kafka, actor, client, [stored])
    return _out(stored, await DispositionRepository(session).get(DEAD_LETTER.name, _position(stored)))


async def redrive_matching(
    session: AsyncSession, kafka: str, actor: Principal, client: ClientInfo, filters: RedriveFilter
) -> list[str]:
    """Re-drive every *pending* matching letter (re-driven or discarded ones are left alone)."""
    found = [s for s in await _read(kafka) if matches(s, filters) and s.letter.topic]
    rows = await DispositionRepository(session).of(DEAD_LETTER.name, [_position(s) for s in found])
    pending = [s for s in found if _position(s) not in rows]
    await _redrive(session, kafka, actor, client, pending)
    return [letter_id(s) for s in pending]


async def discard(
    session: AsyncSession, kafka: str, actor: Principal, client: ClientInfo, id_: str, reason: str
) -> DeadLetterOut:
    stored = await _find(kafka, id_)
    repo = DispositionRepository(session)
    row = await repo.get(DEAD_LETTER.name, _position(stored))
    if row is not None and row.status == Status.DISCARDED:
        raise Conflict(f"dead letter {id_} is already discarded")
    if row is None:
        row = _new_row(stored)
        await repo.add(row)
    row.status, row.discard_reason, row.actor_id, row.updated_at = Status.DISCARDED, reason, _actor(actor), utcnow()
    await record(
        session, actor, client, "dead_letter.discard", TARGET, audit_id(stored), {**_about(stored), "why": reason}
    )
    return _out(stored, row)


async def _redrive(
    session: AsyncSession, kafka: str, actor: Principal, client: ClientInfo, letters: Sequence[StoredLetter]
) -> None:
    if not letters:
        return
    if any(not s.letter.topic for s in letters):
        raise Conflict("a dead letter without its original topic cannot be re-driven")
    try:
        await redrive(kafka, letters)
    except (KafkaError, OSError, TimeoutError) as exc:
        raise ServiceUnavailable(f"the re-drive could not be published: {type(exc).__name__}") from exc
    repo = DispositionRepository(session)
    for stored in letters:
        row = await repo.get(DEAD_LETTER.name, _position(stored))
        if row is None:
            row = _new_row(stored)
            await repo.add(row)
        row.status, row.redrives, row.actor_id, row.updated_at = (
            Status.REDRIVEN,
            row.redrives + 1,
            _actor(actor),
            utcnow(),
        )
        await record(session, actor, client, "dead_letter.redrive", TARGET, audit_id(stored), _about(stored))


async def _find(kafka: str, id_: str) -> StoredLetter:
    match = ID.match(id_)
    wanted = (int(match.group(1)), int(match.group(2))) if match else None
    for stored in await _read(kafka) if wanted else []:
        if _position(stored) == wanted:
            return stored
    raise NotFound(f"dead letter {id_} does not exist (or is past the topic's retention)")


def _position(stored: StoredLetter) -> tuple[int, int]:
    return stored.letter.partition, stored.letter.offset


def _new_row(stored: StoredLetter) -> DeadLetterDisposition:
    partition, offset = _position(stored)
    return DeadLetterDisposition(
        topic=DEAD_LETTER.name, partition=partition, offset=offset, status=Status.PENDING, redrives=0
    )


def _actor(actor: Principal) -> uuid.UUID | None:
    try:
        return uuid.UUID(actor.user_id)
    except ValueError:
        return None


def _about(stored: StoredLetter) -> dict[str, str]:
    letter = stored.letter
    return {"service": letter.consumer, "topic": letter.topic, "dlq_reason": letter.reason}
