"""Re-drive a skipped object after a fix: the connector reads it again from the source and maps it with today's
mapper; the kit publishes it through the job service's sink and marks the record.

A skipped object keeps the raw body and why it was skipped. Once the cause is fixed (the object was corrected at the
source, or the connector learned its shape), an admin re-drives it; if it still cannot be mapped, the record stays and
the answer says why (the connector's ``remap`` raises Conflict).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from crm_common.db import transaction
from crm_common.errors import Conflict, NotFound
from crm_common.events.envelope import EventEnvelope
from crm_integration.service import JobService


@dataclass(frozen=True)
class Skipped:
    """What a re-drive knows of the skipped object (read before the source is asked)."""

    id: int
    integration_id: str
    entity_type: str
    entity_id: str | None
    job_id: uuid.UUID | None


# The object as the source has it now, and its events; raises Conflict when it cannot be read or mapped.
Remap = Callable[[Skipped], Awaitable[tuple[Any, Sequence[EventEnvelope]]]]


async def redrive(service: JobService[Any], letter_id: int, remap: Remap) -> Any:
    async with transaction(service.sessions) as session:
        letter = await service.tables.dead_letters(session).get(letter_id)
        if letter is None:
            raise NotFound(f"dead letter {letter_id} not found")
        if letter.redriven_at is not None:
            raise Conflict(f"dead letter {letter_id} was already re-driven at {letter.redriven_at.isoformat()}")
        skipped = Skipped(letter.id, letter.integration_id, letter.entity_type, letter.entity_id, letter.job_id)
    raw, events = await remap(skipped)
    await service.sink.publish(events)
    async with transaction(service.sessions) as session:
        letter = await service.tables.dead_letters(session).get(letter_id)
        assert letter is not None
        letter.redriven_at = datetime.now(UTC)
        letter.raw = raw
        await session.flush()
        await session.refresh(letter)
    return letter
