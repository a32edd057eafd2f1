"""Deletions: list every id Bitrix24 still has, and delete downstream what is gone.

Bitrix24 has no feed of deletions a client can page; its ``ONCRM*DELETE`` events are hints (they may be lost: one
delivery attempt, docs/bitrix24.md "Events"). A hint, and the daily run, list every id of a kind by the fast path
(``select=[ID]``, 50 ids per request), diff them against the kit's ledger of what was published as live, confirm
each candidate is gone with a ``crm.<type>.get`` in a batch (``Not found``), and publish ``<kind>.deleted``.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime
from typing import Any

from bitrix24_connector.mapping.common import SECOND_SPAN, envelope
from bitrix24_connector.sync.catalog import read_sections
from bitrix24_connector.sync.context import SyncContext
from bitrix24_connector.sync.pipelines import read_funnels
from bitrix24_connector.sync.specs import SPECS, EntitySpec
from bitrix24_connector.tables import TABLES
from crm_common.events.envelope import EventEnvelope
from crm_common.events.models import Deleted
from crm_integration.events import epoch_micros
from crm_integration.reconcile import Tally, gone_ids

KIND_TYPES = {
    "counterparty": ("contact", "company"),
    "deal": ("deal",),
    "pipeline": (),
    "product": ("product",),
    "folder": ("section",),
}
# Kinds read whole in one listing (funnels, product sections): what is not listed is gone, nothing to confirm.
WHOLE = ("pipeline", "folder")


def deleted_event(portal: str, kind: str, entity_id: str, when: datetime) -> EventEnvelope:
    """A delete is newer than any upsert: an upsert's version is a modification second (which never passes the
    present) plus at most ``SECOND_SPAN`` (mapping/common.py), so the delete takes the first microsecond past that."""
    deleted_version = (epoch_micros(when) // 1_000_000) * 1_000_000 + SECOND_SPAN
    return envelope(f"{kind}.deleted", portal, entity_id, deleted_version, Deleted(id=entity_id, deleted_at=when), when)


async def _listed(ctx: SyncContext, spec: EntitySpec) -> set[str]:
    ids: set[str] = set()
    async for rows in ctx.client.walk(spec.method, select=("ID",)):
        ids.update(spec.entity_id(str(row["ID"])) for row in rows)
    return ids


async def _still_there(ctx: SyncContext, candidates: list[str]) -> set[str]:
    """The candidates ``crm.<type>.get`` still finds (anything but ``Not found`` counts as found)."""
    by_key: dict[str, str] = {}
    calls: dict[str, tuple[str, dict[str, Any]]] = {}
    for entity_id in candidates:
        spec = next((s for s in SPECS.values() if s.entity_id(entity_id.rsplit("-", 1)[-1]) == entity_id), None)
        if spec is None:
            continue
        source_id = entity_id.rsplit("-", 1)[-1]
        key = f"k{len(calls)}"
        calls[key] = (spec.method.replace(".list", ".get"), {"id": source_id})
        by_key[key] = entity_id
    answer = await ctx.client.batch(calls)
    gone = {k for k, e in answer.errors.items() if e.description.strip().lower() == "not found"}
    return {entity_id for key, entity_id in by_key.items() if key not in gone}


async def _whole(ctx: SyncContext, kind: str) -> set[str]:
    if kind == "pipeline":
        return {str(c.get("id")) for c, _ in await read_funnels(ctx.client)}
    return {f"section-{s.get('ID')}" for s in await read_sections(ctx.client)}


async def reconcile(ctx: SyncContext, kinds: Collection[str] = tuple(KIND_TYPES)) -> Tally:
    """Publish the deletes of ``kinds``; the ledger follows through the sink."""
    tally = Tally()
    now = datetime.now(UTC)
    calls_before = ctx.client.calls
    for kind in kinds:
        if kind in WHOLE:
            listed = await _whole(ctx, kind)

            async def confirm(candidates: list[str]) -> set[str]:
                return set()  # the list is complete in one reading: nothing to page past
        else:
            listed = set()
            for type_name in KIND_TYPES[kind]:
                listed |= await _listed(ctx, SPECS[type_name])

            async def confirm(candidates: list[str]) -> set[str]:
                return await _still_there(ctx, candidates)

        gone = await gone_ids(ctx.sessions, TABLES, ctx.portal, kind, listed, confirm, tally)
        events = [deleted_event(ctx.portal, kind, entity_id, now) for entity_id in gone]
        await ctx.sink.publish(events)
        tally.deleted += len(events)
    tally.requests = ctx.client.calls - calls_before
    return tally
