"""Paging one MoySklad type into events, publishing each page before its cursor is saved.

Paging is keyset, not deep offsets (docs/moysklad.md, "Sync strategy"): ``filter=updated>=<cursor second>`` ordered by
``updated,id``, and rows at or before the saved ``(updated, id)`` are skipped client-side. Offset paging over a set
that changes while we read it skips rows; this does not, and a restart continues after the last published row.
Delivery is at least once: a crash between publish and cursor save republishes one page with the same
deterministic event ids, which consumers drop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from crm_common.db import transaction
from crm_common.events.envelope import EventEnvelope
from crm_integration.jobs import Cursor, DeadLetterIn
from moysklad_connector import metrics
from moysklad_connector.client import MoySkladClient
from moysklad_connector.client.http import abandon
from moysklad_connector.log import log
from moysklad_connector.mapping.common import EPOCH, Unmappable, format_msk, parse_moment, version_of
from moysklad_connector.mapping.lookups import Lookups
from moysklad_connector.reading.context import SyncContext
from moysklad_connector.sync.specs import EntitySpec
from moysklad_connector.tables import TABLES

Key = tuple[int, str]


def row_key(row: dict[str, Any]) -> Key:
    return version_of(parse_moment(row["updated"])), str(row["id"])


def cursor_key(cursor: Cursor, overlap: timedelta = timedelta(0)) -> Key | None:
    """Rows at or before this key were published. With an overlap the key moves back by it, so rows whose
    `updated` landed behind the cursor late (written after we paged past them) are read and published again;
    their deterministic event ids make the repeats harmless."""
    if cursor.last_updated is None or cursor.last_id is None:
        return None
    if overlap:
        return version_of(parse_moment(cursor.last_updated) - overlap), ""
    return version_of(parse_moment(cursor.last_updated)), cursor.last_id


def page_params(spec: EntitySpec, since: Key | None, limit: int, offset: int) -> dict[str, str]:
    conditions = list(spec.flags)
    if since is not None:
        # Seconds precision: every MoySklad version accepts it in filters (docs/moysklad.md); the skip does the rest.
        conditions.insert(0, f"updated>={format_msk(EPOCH + timedelta(microseconds=since[0]))}")
    params = {
        "filter": ";".join(conditions),
        "order": "updated,asc;id,asc",
        "limit": str(min(limit, spec.max_limit)),
        "offset": str(offset),
    }
    return {**params, **spec.params}


def map_rows(
    spec: EntitySpec, rows: Sequence[dict[str, Any]], lookups: Lookups
) -> tuple[list[EventEnvelope], list[DeadLetterIn]]:
    events: list[EventEnvelope] = []
    letters: list[DeadLetterIn] = []
    for row in rows:
        try:
            events.append(spec.mapper(row, lookups))
        except (Unmappable, KeyError, TypeError, ValueError, AttributeError) as exc:
            reason = f"{type(exc).__name__}: {exc}"
            letters.append(DeadLetterIn(spec.type, _str_or_none(row.get("id")), reason, row))
            metrics.DEAD_LETTERS.labels(spec.type).inc()
            log.warning("moysklad object not mappable", entity_type=spec.type, entity_id=row.get("id"), reason=reason)
    return events, letters


def _str_or_none(value: Any) -> str | None:
    return None if value is None else str(value)[:64]


async def sync_type(ctx: SyncContext, spec: EntitySpec) -> int:
    """Page ``spec`` from its saved cursor to the end; returns the number of events published.

    The next page is asked for as soon as a page arrives (its filter follows from the page's last row), while this
    page is mapped, published and its cursor saved: one type alone, at the end of a large sync, otherwise leaves the
    rate limit idle for every page's processing time. Pages are still processed one after another, in order.
    """
    async with transaction(ctx.sessions) as session:
        cursor = await TABLES.cursors(session).get(ctx.integration_id, spec.name)
        await TABLES.jobs(session).set_progress(ctx.job_id, spec.name, "running")
    published, offset = 0, 0
    last = cursor_key(cursor, ctx.overlap)  # the overlap applies once, from where the previous job stopped
    ahead = asyncio.create_task(ctx.client.list_page(spec.path, page_params(spec, last, ctx.page_size, offset)))
    try:
        while True:
            page = await ahead
            keyed = [(row_key(row), row) for row in page.rows if _has_key(row)]
            fresh = sorted(((key, row) for key, row in keyed if last is None or key > last), key=lambda item: item[0])
            if fresh:
                last, offset = fresh[-1][0], 0
            else:
                # Every row of this page was already published (many rows share one `updated`): look further.
                offset += len(page.rows)
            more = page.next_href is not None and bool(page.rows)
            if more:
                ahead = asyncio.create_task(
                    ctx.client.list_page(spec.path, page_params(spec, last, ctx.page_size, offset))
                )
            if len(keyed) < len(page.rows):
                await _dead_letter_unkeyed(ctx, spec, [row for row in page.rows if not _has_key(row)])
            if fresh:
                published += await _publish_page(ctx, spec, [row for _, row in fresh])
            if not more:
                break
    finally:
        await abandon(ahead)
    async with transaction(ctx.sessions) as session:
        await TABLES.jobs(session).set_progress(ctx.job_id, spec.name, "done")
    return published


async def _publish_page(ctx: SyncContext, spec: EntitySpec, rows: list[dict[str, Any]]) -> int:
    """Map and publish one page's new rows (in key order), then save the cursor after its last row.

    A spec that splits its pages (documents: each one with more positions than a list inlines apart) has each part
    prepared, mapped and published before the next is read, and the rows of a published part emptied down to their
    keys: the page's largest document is all the connector holds at once, not the page's sum."""
    if ctx.account_id is None and rows:
        ctx.account_id = _str_or_none(rows[0].get("accountId"))
    tail = rows[-1]
    cursor = Cursor(str(tail["updated"]), str(tail["id"]))
    published, letters = 0, list[DeadLetterIn]()
    for part in spec.split(rows) if spec.split is not None else (rows,):
        if spec.prepare is not None:
            await spec.prepare(ctx, spec, part)
        events, part_letters = map_rows(spec, part, ctx.lookups)
        await ctx.sink.publish(events)
        published, letters = published + len(events), letters + part_letters
        kept = {id(letter.raw) for letter in part_letters}  # an unmappable row is stored whole with its reason
        for row in part:
            if id(row) not in kept:
                _release(row)
    async with transaction(ctx.sessions) as session:
        await TABLES.save_page(session, ctx.integration_id, ctx.job_id, spec.name, cursor, published, letters)
    ctx.skipped += len(letters)
    return published


def _release(row: dict[str, Any]) -> None:
    """A published row's content is not needed any more (its event carries it): keep only its keys."""
    keys: dict[str, Any] = {k: row[k] for k in ("id", "updated", "accountId") if k in row}
    row.clear()
    row.update(keys)


async def _dead_letter_unkeyed(ctx: SyncContext, spec: EntitySpec, rows: list[dict[str, Any]]) -> None:
    """Rows without a readable ``id``/``updated`` cannot be paged past by key; keep them and go on."""
    letters = [DeadLetterIn(spec.type, _str_or_none(row.get("id")), "no readable id/updated", row) for row in rows]
    metrics.DEAD_LETTERS.labels(spec.type).inc(len(letters))
    async with transaction(ctx.sessions) as session:
        await TABLES.keep_skipped(session, ctx.integration_id, ctx.job_id, letters)
    ctx.skipped += len(letters)


def _has_key(row: dict[str, Any]) -> bool:
    try:
        row_key(row)
    except (Unmappable, KeyError, TypeError):
        return False
    return True


async def load_lookups(client: MoySkladClient) -> tuple[Lookups, str | None]:
    """The account id, currencies and units of measure: what mapping needs besides the rows themselves."""
    employee = await client.get("context/employee")
    account_id = employee.get("accountId") if isinstance(employee, dict) else None
    lookups = Lookups()
    currencies = await client.list_page("entity/currency", {"limit": "1000"})
    lookups.add_currencies(currencies.rows)
    uoms = await client.list_page("entity/uom", {"limit": "1000"})
    lookups.add_uoms(uoms.rows)
    return lookups, account_id if isinstance(account_id, str) else None
