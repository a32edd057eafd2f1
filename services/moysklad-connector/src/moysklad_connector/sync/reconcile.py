"""Reconciliation: list every id MoySklad still has, and delete downstream what is gone (docs/moysklad.md,
"Reconciliation").

The audit feed is the normal path for deletions, but a delete it does not show (feed retention, an outage longer
than its cursor, a delete made some way the feed misses) would leave the object live downstream for ever. This
job lists the ids per kind with the cheapest requests the API allows (no ``expand``/``fields``, so ``limit`` 1000,
docs/moysklad.md "Collections"), diffs them against the ledger of what was published as live, and publishes
``<kind>.deleted`` for the difference and nothing else.

Offset paging over a set that changes while it is read can skip a row, and a skipped row must not become a false
delete: every candidate is confirmed absent by a second, id-filtered listing before its delete goes out.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime

from crm_common.events.envelope import EventEnvelope
from crm_integration.reconcile import Tally, gone_ids
from moysklad_connector.log import log
from moysklad_connector.reading.context import SyncContext
from moysklad_connector.sync.deletions import deleted_event
from moysklad_connector.sync.specs import SPECS, EntitySpec
from moysklad_connector.tables import TABLES

LIST_LIMIT = 1000  # the maximum page without expand/fields (docs/moysklad.md, "Collections")
CONFIRM_BATCH = 100  # ids per confirming request: `id=<uuid>;` ×100 keeps the URL far under 8 KB


def kinds() -> dict[str, list[EntitySpec]]:
    """The MoySklad types listed per kind: live documents only (trashed ones were published as deleted)."""
    grouped: dict[str, list[EntitySpec]] = defaultdict(list)
    for spec in SPECS.values():
        if not spec.key:
            grouped[spec.deleted_event.removesuffix(".deleted")].append(spec)
    return dict(grouped)


async def _list_ids(ctx: SyncContext, spec: EntitySpec, tally: Tally, extra: Iterable[str] = ()) -> set[str]:
    """Every id of ``spec`` MoySklad lists, archived entities included, trashed documents left out."""
    ids: set[str] = set()
    offset = 0
    conditions = ";".join((*extra, *spec.flags))
    while True:
        params = {"filter": conditions, "order": "id,asc", "limit": str(LIST_LIMIT), "offset": str(offset)}
        page = await ctx.client.list_page(spec.path, params)
        tally.requests += 1
        ids.update(str(row["id"]) for row in page.rows if row.get("id"))
        offset += len(page.rows)
        if page.next_href is None or not page.rows:
            return ids


async def _still_listed(ctx: SyncContext, specs: list[EntitySpec], candidates: list[str], tally: Tally) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(candidates), CONFIRM_BATCH):
        batch = [f"id={entity_id}" for entity_id in candidates[start : start + CONFIRM_BATCH]]
        for spec in specs:
            found |= await _list_ids(ctx, spec, tally, batch)
    return found


async def reconcile_kind(
    ctx: SyncContext, account_id: str, kind: str, specs: list[EntitySpec], tally: Tally
) -> list[EventEnvelope]:
    """The delete events of ``kind``: ids published as live that MoySklad no longer lists."""
    listed: set[str] = set()
    for spec in specs:
        listed |= await _list_ids(ctx, spec, tally)

    async def confirm(candidates: list[str]) -> set[str]:
        return await _still_listed(ctx, specs, candidates, tally)

    confirmed_before = tally.still_listed
    gone = await gone_ids(ctx.sessions, TABLES, account_id, kind, listed, confirm, tally)
    if kind not in tally.per_kind:  # no candidates
        return []
    now = datetime.now(UTC)
    survivors = tally.still_listed - confirmed_before
    log.info("reconciliation found deletes", kind=kind, deleted=len(gone), still_listed=survivors)
    return [deleted_event(account_id, specs[0].type, entity_id, now) for entity_id in gone]


async def reconcile(ctx: SyncContext) -> Tally:
    """Diff every kind and publish its deletes; the ledger follows through the sink."""
    tally = Tally()
    account_id = ctx.account_id
    if account_id is None:
        raise ValueError("reconciliation needs the account id (context/employee did not give one)")
    for kind, specs in kinds().items():
        events = await reconcile_kind(ctx, account_id, kind, specs, tally)
        await ctx.sink.publish(events)
        tally.deleted += len(events)
    return tally
