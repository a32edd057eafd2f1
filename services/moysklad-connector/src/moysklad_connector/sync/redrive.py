"""Re-drive a skipped object after a fix: read it again from MoySklad, map it with today's mapper, publish it.

A dead letter keeps the raw object and why it was skipped. Once the cause is fixed (the object was corrected in
MoySklad, or the connector learned its shape), an admin re-drives it; if it still cannot be mapped, the letter stays
and the answer says why.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from crm_common.db import transaction
from crm_common.errors import Conflict, NotFound
from moysklad_connector.client import MoySkladClient, MoySkladError
from moysklad_connector.integrations import service as integrations
from moysklad_connector.sync.models import DeadLetterRecord
from moysklad_connector.sync.repository import DeadLetterRepository
from moysklad_connector.sync.runner import SyncContext, load_lookups, map_rows
from moysklad_connector.sync.service import SyncService
from moysklad_connector.sync.specs import SPECS, EntitySpec


def _spec_for(entity_type: str) -> EntitySpec:
    for spec in SPECS.values():
        if spec.type == entity_type and spec.key == "":
            return spec
    raise Conflict(f"objects of type {entity_type!r} are not synced any more")


async def redrive(service: SyncService, letter_id: int) -> DeadLetterRecord:
    async with transaction(service.sessions) as session:
        letter = await DeadLetterRepository(session).get(letter_id)
        if letter is None:
            raise NotFound(f"dead letter {letter_id} not found")
        if letter.redriven_at is not None:
            raise Conflict(f"dead letter {letter_id} was already re-driven at {letter.redriven_at.isoformat()}")
        config = await integrations.resolve(session, service.settings, letter.integration_id)
        integration_id, entity_type, entity_id, job_id = (
            letter.integration_id,
            letter.entity_type,
            letter.entity_id,
            letter.job_id,
        )
    spec = _spec_for(entity_type)
    async with MoySkladClient(config.credentials, integrations.pacing_from(service.settings)) as client:
        row = await _current(client, spec, entity_id)
        ctx = SyncContext(integration_id, job_id or uuid.uuid4(), client, service.sessions, service.sink)
        ctx.lookups, ctx.account_id = await load_lookups(client)
        if spec.prepare is not None:
            await spec.prepare(ctx, spec, [row])
        events, letters = map_rows(spec, [row], ctx.lookups)
    if letters:
        raise Conflict(f"still cannot be mapped: {letters[0].reason}")
    await service.sink.publish(events)
    async with transaction(service.sessions) as session:
        letter = await DeadLetterRepository(session).get(letter_id)
        assert letter is not None
        letter.redriven_at = datetime.now(UTC)
        letter.raw = row
        await session.flush()
        await session.refresh(letter)
    return letter


async def _current(client: MoySkladClient, spec: EntitySpec, entity_id: str | None) -> dict[str, Any]:
    if entity_id is None:
        raise Conflict("the skipped object had no id: it cannot be read again, fix it in MoySklad and sync")
    params = {k: v for k, v in spec.params.items() if k == "expand"}
    try:
        row = await client.get(f"{spec.path}/{entity_id}", params)
    except MoySkladError as exc:
        if exc.status == 404:
            raise Conflict(f"{spec.type} {entity_id} no longer exists at MoySklad") from exc
        raise
    if not isinstance(row, dict):
        raise Conflict(f"MoySklad answered {type(row).__name__} for {spec.type} {entity_id}")
    return row
