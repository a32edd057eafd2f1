"""Re-drive a skipped MoySklad object (the kit's crm_integration.redrive): read it again from MoySklad with the
list's ``expand``, complete it as a page would be, and map it with today's mapper."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from crm_common.db import transaction
from crm_common.errors import Conflict
from crm_common.events.envelope import EventEnvelope
from crm_integration.redrive import Skipped, redrive
from moysklad_connector.client import MoySkladClient, MoySkladError
from moysklad_connector.integrations import service as integrations
from moysklad_connector.reading.context import SyncContext
from moysklad_connector.stock.service import STOCK_ROW_TYPE
from moysklad_connector.sync.runner import load_lookups, map_rows
from moysklad_connector.sync.service import SyncService
from moysklad_connector.sync.specs import SPECS, EntitySpec
from moysklad_connector.tables import DeadLetterRecord


def _spec_for(entity_type: str) -> EntitySpec:
    if entity_type == STOCK_ROW_TYPE:
        raise Conflict("every stock sync reads the whole report: fix the item in MoySklad, the next sync reads it")
    for spec in SPECS.values():
        if spec.type == entity_type and spec.key == "":
            return spec
    raise Conflict(f"objects of type {entity_type!r} are not synced any more")


async def redrive_letter(service: SyncService, letter_id: int) -> DeadLetterRecord:
    async def remap(skipped: Skipped) -> tuple[dict[str, Any], Sequence[EventEnvelope]]:
        async with transaction(service.sessions) as session:
            config = await integrations.resolve(session, service.settings, skipped.integration_id)
        spec = _spec_for(skipped.entity_type)
        async with MoySkladClient(config.credentials, integrations.pacing_from(service.settings)) as client:
            row = await _current(client, spec, skipped.entity_id)
            job_id = skipped.job_id or uuid.uuid4()
            ctx = SyncContext(skipped.integration_id, job_id, client, service.sessions, service.sink)
            ctx.lookups, ctx.account_id = await load_lookups(client)
            if spec.prepare is not None:
                await spec.prepare(ctx, spec, [row])
            events, letters = map_rows(spec, [row], ctx.lookups)
        if letters:
            raise Conflict(f"still cannot be mapped: {letters[0].reason}")
        return row, events

    letter: DeadLetterRecord = await redrive(service, letter_id, remap)
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
