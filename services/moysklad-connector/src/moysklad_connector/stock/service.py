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
from moysklad_connector.mapping.common import SOURCE, version_of
from moysklad_connector.reading.context import SyncContext
from moysklad_connector.stock.report import ZERO, read_levels
from moysklad_connector.stock.repository import Digest, StockDigestRepository
from moysklad_connector.tables import TABLES

STOCK_COUNT_KEY = "stock"
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
    """Read the stock reports and publish what changed; returns the number of events published."""
    if ctx.account_id is None:
        raise RuntimeError("the account id is unknown (context/employee gave none)")
    as_of = datetime.now(UTC)
    levels = await read_levels(ctx.client, ctx.lookups, stock_mode, as_of)
    async with transaction(ctx.sessions) as session:
        held = await StockDigestRepository(session).all(ctx.integration_id)
    changed = [(key, level) for key, level in sorted(levels.items()) if held.get(key, _NONE).digest != digest(level)]
    gone = sorted(set(held) - set(levels))
    published = 0
    for start in range(0, len(changed), BATCH):
        batch = changed[start : start + BATCH]
        await ctx.sink.publish([stock_event(ctx.account_id, key, level) for key, level in batch])
        digests = [Digest(k, digest(lv), lv.assortment_kind.value, lv.product_id) for k, lv in batch]
        async with transaction(ctx.sessions) as session:
            await StockDigestRepository(session).save(ctx.integration_id, digests)
            await TABLES.jobs(session).record_page(ctx.job_id, STOCK_COUNT_KEY, len(batch))
        published += len(batch)
    for start in range(0, len(gone), BATCH):
        keys = gone[start : start + BATCH]
        await ctx.sink.publish([stock_event(ctx.account_id, k, zero_level(k, held[k], as_of)) for k in keys])
        async with transaction(ctx.sessions) as session:
            await StockDigestRepository(session).forget(ctx.integration_id, keys)
            await TABLES.jobs(session).record_page(ctx.job_id, STOCK_COUNT_KEY, len(keys))
        published += len(keys)
    return published


_NONE = Digest("", "", "", "")
