"""Paging one Bitrix24 type into events, publishing each page before its cursor is saved.

A type has two cursors. ``<type>.walk`` is where a full walk stopped: the documented fast path for large volumes
(``order[ID]=ASC``, ``filter[>ID]``, ``start=-1``, docs/bitrix24.md "Lists"), so a restarted full sync resumes after
the last published id. ``<type>`` is the ``DATE_MODIFY`` mark increments read from: when a walk ends it becomes the
portal's clock at the walk's start (whatever changed behind the walk is read again), and increments page by the key
``(DATE_MODIFY, ID)`` with ``filter[>=DATE_MODIFY]`` from the mark minus an overlap, skipping rows at or before the
key client-side. Products keep their modification date in ``TIMESTAMP_X`` instead (the spec's ``stamp``), and a related
feed pages by its rows' own time (a stage move's ``CREATED_TIME``): both are a ``Changes`` (sync/specs.py). Delivery
is at least once: a republished record carries the same event id, which consumers drop.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import datetime, timedelta
from typing import Any

from bitrix24_connector import metrics
from bitrix24_connector.client import PAGE
from bitrix24_connector.log import log
from bitrix24_connector.mapping.common import Unmappable, parse_time
from bitrix24_connector.sync.context import SyncContext
from bitrix24_connector.sync.deal_history import items_of
from bitrix24_connector.sync.specs import Changes, EntitySpec
from bitrix24_connector.tables import TABLES
from crm_common.db import transaction
from crm_common.events.envelope import EventEnvelope
from crm_integration.jobs import Cursor, DeadLetterIn

DONE = "done"
Key = tuple[datetime, int]


def map_rows(
    spec: EntitySpec, rows: Sequence[dict[str, Any]], portal: str, extras: dict[str, Any] | None
) -> tuple[list[EventEnvelope], list[DeadLetterIn]]:
    """Map a page; a record that cannot be mapped becomes a skipped object with its raw body and the reason."""
    events: list[EventEnvelope] = []
    letters: list[DeadLetterIn] = []
    for row in rows:
        extra = None if extras is None else extras.get(str(row.get("ID")))
        try:
            events.append(spec.mapper(row, portal, extra))
        except (Unmappable, KeyError, TypeError, ValueError, AttributeError) as exc:
            reason = f"{type(exc).__name__}: {exc}"[:2000]
            raw = row if extra is None else {**row, "_related": extra}
            letters.append(DeadLetterIn(spec.type, _id_or_none(row), reason, raw))
            metrics.SKIPPED.labels(spec.type).inc()
            log.warning("bitrix24 record not mappable", entity_type=spec.type, entity_id=row.get("ID"), reason=reason)
    return events, letters


async def publish_page(
    ctx: SyncContext, spec: EntitySpec, rows: list[dict[str, Any]], cursor_name: str, cursor: Cursor
) -> int:
    """Read what the page needs, map, publish, then save ``cursor`` with the page's counts and skipped objects."""
    extras = await spec.prepare(ctx.client, rows) if spec.prepare is not None else None
    if extras is not None:
        rows = [row for row in rows if str(row.get("ID")) in extras]  # the rest was deleted while we read
    events, letters = map_rows(spec, rows, ctx.portal, extras)
    await ctx.sink.publish(events)
    async with transaction(ctx.sessions) as session:
        await TABLES.cursors(session).save(ctx.integration_id, cursor_name, cursor, ctx.job_id)
        await TABLES.jobs(session).record_page(ctx.job_id, spec.type, len(events))
        await TABLES.keep_skipped(session, ctx.integration_id, ctx.job_id, letters)
    ctx.skipped += len(letters)
    return len(events)


async def walk(ctx: SyncContext, spec: EntitySpec, walked: Cursor) -> int:
    """The full pass by id (resumed after ``walked``); at the end the increment mark is the portal's clock when the
    walk began (kept in the walk's cursor across a resume)."""
    started = walked.last_updated if walked.last_id not in (None, DONE) else None
    after = int(walked.last_id) if started is not None and walked.last_id else 0
    published = 0
    if spec.preload is not None:
        await spec.preload(ctx.client)
    async for rows in ctx.client.walk(spec.method, select=spec.select, after_id=after):
        started = started or ctx.client.last_date_start
        cursor = Cursor(started, str(rows[-1]["ID"]))
        published += await publish_page(ctx, spec, rows, f"{spec.type}.walk", cursor)
    mark = started or ctx.client.last_date_start
    async with transaction(ctx.sessions) as session:
        await TABLES.cursors(session).save(ctx.integration_id, spec.type, Cursor(mark, "0"), ctx.job_id)
        await TABLES.cursors(session).save(ctx.integration_id, f"{spec.type}.walk", Cursor(mark, DONE), ctx.job_id)
    return published


def row_key(row: dict[str, Any], stamp: str) -> Key:
    return parse_time(row.get(stamp), stamp), int(row["ID"])


async def changed(
    ctx: SyncContext, source: Changes, select: Sequence[str], last: Key
) -> AsyncIterator[list[tuple[Key, dict[str, Any]]]]:
    """Pages of the rows of ``source`` changed after ``last``, by the key ``(<stamp>, ID)``: filtered ``>=<stamp>``
    of the key's second (with the source's own filter and parameters), ordered by the key, rows at or before it
    skipped client-side."""
    stamp, offset = source.stamp, 0
    while True:
        params: dict[str, Any] = {
            **source.params,
            "order": {stamp: "ASC", "ID": "ASC"},
            "filter": {**source.filter, f">={stamp}": last[0].isoformat()},
            "select": [*select, stamp],
            "start": offset if offset else -1,
        }
        rows = items_of((await ctx.client.call(source.method, params)).result)
        keyed = ((row_key(row, stamp), row) for row in rows if _keyed(row, stamp))
        fresh = sorted(keyed, key=lambda item: item[0])
        fresh = [(key, row) for key, row in fresh if key > last]
        if fresh:
            yield fresh
            last, offset = fresh[-1][0], 0
        else:
            offset += len(rows)  # a full page of one second already read: look further within that second
        if len(rows) < PAGE:
            return


def _after(mark: Cursor, overlap: timedelta) -> Key:
    assert mark.last_updated is not None
    return parse_time(mark.last_updated) - overlap, 0


def _tail(fresh: list[tuple[Key, dict[str, Any]]], stamp: str) -> Cursor:
    return Cursor(str(fresh[-1][1][stamp]), str(fresh[-1][1]["ID"]))


async def increment(ctx: SyncContext, spec: EntitySpec, mark: Cursor) -> int:
    """Every record modified at or after the mark (less the overlap)."""
    published = 0
    async for fresh in changed(ctx, spec.changes, spec.select, _after(mark, ctx.overlap)):
        rows = [row for _, row in fresh]
        published += await publish_page(ctx, spec, rows, spec.type, _tail(fresh, spec.stamp))
    return published


async def related_increment(ctx: SyncContext, spec: EntitySpec, mark: Cursor) -> int:
    """Records whose related rows changed though they did not: a requisite edit (the INN) leaves the company's
    ``DATE_MODIFY`` as it was. Their owners are read again and published."""
    assert spec.related is not None
    feed, published = spec.related, 0
    name = f"{spec.type}.{feed.name}"
    select = ("ID", feed.owner_field)  # the key needs the row's ID; asked for, not assumed
    async for fresh in changed(ctx, feed.changes, select, _after(mark, ctx.overlap)):
        owners = sorted({str(row[feed.owner_field]) for _, row in fresh if row.get(feed.owner_field)})
        params = {"filter": {"@ID": owners}, "select": list(spec.select), "start": -1}
        rows = list((await ctx.client.call(spec.method, params)).result or []) if owners else []
        published += await publish_page(ctx, spec, rows, name, _tail(fresh, feed.changes.stamp))
    return published


async def sync_type(ctx: SyncContext, spec: EntitySpec) -> int:
    """Walk the type if it was never walked to the end (resuming a walk), else read its increment."""
    async with transaction(ctx.sessions) as session:
        cursors = TABLES.cursors(session)
        mark = await cursors.get(ctx.integration_id, spec.type)
        walked = await cursors.get(ctx.integration_id, f"{spec.type}.walk")
        await TABLES.jobs(session).set_progress(ctx.job_id, spec.type, "running")
    if mark.last_updated is None:
        published = await walk(ctx, spec, walked)
    else:
        published = await increment(ctx, spec, mark)
        if spec.related is not None:
            async with transaction(ctx.sessions) as session:
                related = await TABLES.cursors(session).get(ctx.integration_id, f"{spec.type}.{spec.related.name}")
            published += await related_increment(ctx, spec, related if related.last_updated else mark)
    async with transaction(ctx.sessions) as session:
        await TABLES.jobs(session).set_progress(ctx.job_id, spec.type, "done")
    return published


def _keyed(row: dict[str, Any], stamp: str) -> bool:
    try:
        row_key(row, stamp)
    except (Unmappable, KeyError, TypeError, ValueError):
        return False
    return True


def _id_or_none(row: dict[str, Any]) -> str | None:
    value = row.get("ID")
    return None if value is None else str(value)[:64]
