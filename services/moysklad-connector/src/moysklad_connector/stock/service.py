"""Publish the stock levels that changed since the last publish, and zero levels for keys that disappeared.

A digest of each published level (everything but ``as_of``) is kept per key in schema ``moysklad``; it is saved
only after Kafka acknowledged the batch, so a crash republishes rather than loses. ``source_version`` is the moment
the report was read (stock has no ``updated``): a later reading always wins.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from crm_common.db import transaction
from crm_common.events import models as m
from crm_common.events.envelope import EventEnvelope
from crm_integration.events import source_event
from crm_integration.jobs import DeadLetterIn
from moysklad_connector import metrics
from moysklad_connector.mapping.common import SOURCE, version_of
from moysklad_connector.reading.context import SyncContext
from moysklad_connector.stock.report import ZERO, UnreadableRow, level_pages
from moysklad_connector.stock.repository import Digest, StockDigestRepository
from moysklad_connector.tables import TABLES

STOCK_COUNT_KEY = "stock"
STOCK_ROW_TYPE = "stock_report_row"  # the entity type of a skipped stock report row
BATCH = 500


def digest(level: m.StockLevel) -> str:
    body = level.model_dump_json(exclude={"as_of"}).encode()
    return hashlib.sha256(body).hexdigest()


def zero_level(key: str, held: Digest, as_of: datetime) -> m.StockLevel:
    assortment_id, _, store_id = key.partition(":")
    return m.StockLevel(
        assortment_id=assortment_id,
        assortment_kind=m.AssortmentKind(held.assortment_kind),
        product_id=held.product_id,
        store_id=store_id,
        stock=ZERO,
        available=ZERO,
        as_of=as_of,
    )


def stock_event(account_id: str, key: str, level: m.StockLevel) -> EventEnvelope:
    version = version_of(level.as_of)
    return source_event(
        SOURCE, "stock.changed", account_id=account_id, entity_id=key, version=version, payload=level, when=level.as_of
    )


async def sync_stock(ctx: SyncContext, stock_mode: str = "all") -> int:
    """Read the stock reports and publish what changed, page by page as the report arrives; then zero the levels
    no page had. Returns the number of events published."""
    if ctx.account_id is None:
        raise RuntimeError("the account id is unknown (context/employee gave none)")
    as_of = datetime.now(UTC)
    async with transaction(ctx.sessions) as session:
        held = await StockDigestRepository(session).all(ctx.integration_id)
    seen: set[str] = set()
    kept: set[str] = set()  # items with an unreadable row: their levels stay as last published
    published = 0
    async for levels, unreadable in level_pages(ctx.client, ctx.lookups, stock_mode, as_of, ctx.page_size):
        if unreadable:
            await _keep_unreadable(ctx, unreadable)
            kept.update(u.item for u in unreadable if u.item)
        # a row offset paging showed twice (the report shifted between pages) counts once
        fresh = sorted((key, level) for key, level in levels.items() if key not in seen)
        seen.update(levels)
        changed = [(key, level) for key, level in fresh if held.get(key, _NONE).digest != digest(level)]
        published += await _publish_levels(ctx, changed)
    gone = sorted(key for key in set(held) - seen if key.partition(":")[0] not in kept)
    for start in range(0, len(gone), BATCH):
        keys = gone[start : start + BATCH]
        await ctx.sink.publish([stock_event(ctx.account_id, k, zero_level(k, held[k], as_of)) for k in keys])
        async with transaction(ctx.sessions) as session:
            await StockDigestRepository(session).forget(ctx.integration_id, keys)
            await TABLES.jobs(session).record_page(ctx.job_id, STOCK_COUNT_KEY, len(keys))
        published += len(keys)
    return published


async def _publish_levels(ctx: SyncContext, changed: list[tuple[str, m.StockLevel]]) -> int:
    """Publish ``changed`` in batches; each batch's digests are saved once Kafka acknowledged it."""
    assert ctx.account_id is not None
    for start in range(0, len(changed), BATCH):
        batch = changed[start : start + BATCH]
        await ctx.sink.publish([stock_event(ctx.account_id, key, level) for key, level in batch])
        digests = [Digest(k, digest(lv), lv.assortment_kind.value, lv.product_id) for k, lv in batch]
        async with transaction(ctx.sessions) as session:
            await StockDigestRepository(session).save(ctx.integration_id, digests)
            await TABLES.jobs(session).record_page(ctx.job_id, STOCK_COUNT_KEY, len(batch))
    return len(changed)


async def _keep_unreadable(ctx: SyncContext, rows: list[UnreadableRow]) -> None:
    """Rows the mapper could not read are skipped objects an admin sees (not just a log line)."""
    letters = [DeadLetterIn(STOCK_ROW_TYPE, row.item, row.reason, row.row) for row in rows]
    metrics.DEAD_LETTERS.labels(STOCK_ROW_TYPE).inc(len(letters))
    async with transaction(ctx.sessions) as session:
        await TABLES.keep_skipped(session, ctx.integration_id, ctx.job_id, letters)
    ctx.skipped += len(letters)


_NONE = Digest("", "", "", "")
