"""Deletions and recycle-bin moves, found through the audit feed (docs/moysklad.md#audit-feed-recycle-bin-late-updated).

Reference entities are deleted hard: the id just stops being listed. Documents go to the recycle bin
(``puttorecyclebin``) and may come back (``restorefromrecyclebin``) without their ``updated`` changing, so paging by
``updated`` alone misses both. The audit feed keeps these contexts; their events name the entity. ``delete`` and
``puttorecyclebin`` become ``<entity>.deleted``; a restore re-reads the object and publishes it again. The audit
``moment`` has seconds precision while ``updated`` has milliseconds, so a delete's version is the *end* of its
second: it then always orders after the last update of the object, even one made in the same second.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from crm_common.db import transaction
from crm_common.events import models as m
from crm_common.events.envelope import EventEnvelope
from crm_integration.events import source_event
from crm_integration.jobs import Cursor
from moysklad_connector.client import MoySkladError
from moysklad_connector.mapping.common import SOURCE, format_msk, parse_moment, ref_id, ref_type, version_of
from moysklad_connector.reading.context import SyncContext
from moysklad_connector.sync.runner import map_rows
from moysklad_connector.sync.specs import SPECS
from moysklad_connector.tables import TABLES

AUDIT_CURSOR = "audit"
AUDIT_LIMIT = "100"  # the audit maximum (docs/moysklad.md, "Collections")
DELETE_EVENTS = {spec.type: spec.deleted_event for spec in SPECS.values()}
GONE, RESTORED = ("delete", "puttorecyclebin"), "restorefromrecyclebin"
AUDIT_FILTER = ";".join(f"eventType={t}" for t in (*GONE, RESTORED))  # repeated equality: any of them


async def _all_rows(ctx: SyncContext, path: str, params: dict[str, str]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    while True:
        page = await ctx.client.list_page(path, {**params, "limit": AUDIT_LIMIT, "offset": str(len(rows))})
        rows += page.rows
        if page.next_href is None or not page.rows:
            return rows


def deleted_event(account_id: str, entity_type: str, entity_id: str, moment: datetime) -> EventEnvelope:
    event_type = DELETE_EVENTS[entity_type]
    version = version_of(moment) + 999_999
    payload = m.Deleted(id=entity_id, deleted_at=moment)
    return source_event(
        SOURCE, event_type, account_id=account_id, entity_id=entity_id, version=version, payload=payload, when=moment
    )


async def sync_deletions(ctx: SyncContext, default_since: datetime) -> int:
    """Publish the deletions recorded since the audit cursor (or ``default_since``); returns how many."""
    async with transaction(ctx.sessions) as session:
        cursor = await TABLES.cursors(session).get(ctx.integration_id, AUDIT_CURSOR)
    since = cursor.last_updated or format_msk(default_since)
    contexts = await _all_rows(ctx, "audit", {"filter": f"moment>={since};{AUDIT_FILTER}"})
    contexts.sort(key=lambda c: parse_moment(c["moment"]))
    events: list[EventEnvelope] = []
    for context in contexts:
        if context.get("entityType") not in (None, *DELETE_EVENTS):
            continue
        moment = parse_moment(context["moment"])
        for event in await _all_rows(ctx, f"audit/{context['id']}/events", {}):
            entity_type = event.get("entityType") or ref_type(event.get("entity"))
            entity_id = ref_id(event.get("entity"))
            if entity_type not in DELETE_EVENTS or not entity_id or not ctx.account_id:
                continue
            if event.get("eventType") in GONE:
                events.append(deleted_event(ctx.account_id, entity_type, entity_id, moment))
            elif event.get("eventType") == RESTORED:
                events += await restored_events(ctx, entity_type, entity_id, context["moment"])
    await ctx.sink.publish(events)
    # Contexts of the newest second are read again next time (the filter is >=); their event ids repeat.
    newest = contexts[-1]["moment"] if contexts else since
    async with transaction(ctx.sessions) as session:
        await TABLES.cursors(session).save(ctx.integration_id, AUDIT_CURSOR, Cursor(newest, None), ctx.job_id)
        await TABLES.jobs(session).record_page(ctx.job_id, "deleted", len(events))
    return len(events)


async def restored_events(ctx: SyncContext, entity_type: str, entity_id: str, audit_moment: str) -> list[EventEnvelope]:
    """The restored object as MoySklad has it now, versioned after the recycle-bin delete it undoes."""
    spec = next(s for s in SPECS.values() if s.type == entity_type and not s.key)
    try:
        # `expand` and `fields` as the list asks for them: without `fields=stock` a restored sale has no cost.
        params = {k: v for k, v in spec.params.items() if k in ("expand", "fields")}
        row = await ctx.client.get(f"{spec.path}/{entity_id}", params)
    except MoySkladError as exc:
        if exc.status == 404:  # deleted for good since: a later audit event says so
            return []
        raise
    # The restore does not change `updated`; the delete it undoes was versioned at the end of its audit second.
    # Stamp the restored copy one second later so every consumer orders it after that delete.
    later = format_msk(parse_moment(audit_moment) + timedelta(seconds=1))
    if parse_moment(str(row.get("updated"))) < parse_moment(later):
        row = {**row, "updated": later}
    if spec.prepare is not None:
        await spec.prepare(ctx, spec, [row])
    events, letters = map_rows(spec, [row], ctx.lookups)
    if letters:
        async with transaction(ctx.sessions) as session:
            await TABLES.keep_skipped(session, ctx.integration_id, ctx.job_id, letters)
        ctx.skipped += len(letters)
    return events
