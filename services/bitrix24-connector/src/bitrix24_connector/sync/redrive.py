"""Re-drive a skipped Bitrix24 record (the kit's crm_integration.redrive): read it again with what its page read,
and map it with today's mapper."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bitrix24_connector.client import Bitrix24Client
from bitrix24_connector.integrations import service as integrations
from bitrix24_connector.sync.runner import map_rows
from bitrix24_connector.sync.specs import PIPELINE, SECTION, SPECS
from bitrix24_connector.tables import SkippedObject
from crm_common.db import transaction
from crm_common.errors import Conflict
from crm_common.events.envelope import EventEnvelope
from crm_integration.redrive import Skipped, redrive


async def redrive_record(service: Any, letter_id: int) -> SkippedObject:
    async def remap(skipped: Skipped) -> tuple[dict[str, Any], Sequence[EventEnvelope]]:
        if skipped.entity_id is None:
            raise Conflict("the skipped record had no ID: fix it in Bitrix24 and sync")
        if skipped.entity_type in (PIPELINE, SECTION):
            raise Conflict(f"{skipped.entity_type}s are read whole: fix it in Bitrix24 and run a sync")
        spec = SPECS.get(skipped.entity_type)
        if spec is None:
            raise Conflict(f"records of type {skipped.entity_type!r} are not synced any more")
        async with transaction(service.sessions) as session:
            config = await integrations.resolve(session, service.settings, skipped.integration_id)
        async with Bitrix24Client(config.webhook_url, integrations.pacing_from(service.settings)) as client:
            params = {"filter": {"ID": skipped.entity_id}, "select": list(spec.select)}
            rows = list((await client.call(spec.method, params)).result or [])
            if not rows:
                raise Conflict(f"{spec.type} {skipped.entity_id} no longer exists in Bitrix24")
            extras = await spec.prepare(client, rows) if spec.prepare is not None else None
            events, letters = map_rows(spec, rows, client.portal, extras)
        if letters:
            raise Conflict(f"still cannot be mapped: {letters[0].reason}")
        return rows[0], events

    letter: SkippedObject = await redrive(service, letter_id, remap)
    return letter
