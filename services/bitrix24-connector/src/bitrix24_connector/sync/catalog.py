"""The product catalog's sync (docs/bitrix24.md, "Product catalog"; docs/integrations.md, "Bitrix24").

Sections carry no modification stamp: like funnels (sync/pipelines.py) they are read whole each sync (a few pages of
``crm.productsection.list`` by the fast path) and published only when their digest changed. Products are an ordinary
spec (sync/specs.py) paged by ``TIMESTAMP_X``; what a page of them needs is the VAT rates (``crm.vat.list``, one
request per sync, kept on the sync's client).
"""

from __future__ import annotations

import hashlib
import weakref
from datetime import UTC, datetime
from typing import Any

import orjson

from bitrix24_connector.client import Bitrix24Client
from bitrix24_connector.mapping.common import Unmappable
from bitrix24_connector.mapping.products import map_section, section_paths
from bitrix24_connector.sync.context import SyncContext, publish_whole, published_digest
from crm_integration.jobs import DeadLetterIn

SECTION = "section"  # the step, its cursor (the digest of what was last published) and its hint type
SECTION_FIELDS = ("ID", "NAME", "SECTION_ID", "XML_ID")

# crm.vat.list as answered (JSON, so that a skipped product keeps the rates it was mapped with in its raw body).
_RATES: weakref.WeakKeyDictionary[Bitrix24Client, list[dict[str, Any]]] = weakref.WeakKeyDictionary()


async def read_sections(client: Bitrix24Client) -> list[dict[str, Any]]:
    sections: list[dict[str, Any]] = []
    async for rows in client.walk("crm.productsection.list", select=SECTION_FIELDS):
        sections += rows
    return sections


async def rates_of(client: Bitrix24Client, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """A product page's ``prepare``: the VAT rates for every product of the page (read once per client)."""
    rates = _RATES.get(client)
    if rates is None:
        rates = list((await client.call("crm.vat.list", {"select": ["ID", "RATE"]})).result or [])
        _RATES[client] = rates
    return {str(row["ID"]): rates for row in rows}


def _digest(content: Any) -> str:
    return hashlib.sha256(orjson.dumps(content, option=orjson.OPT_SORT_KEYS)).hexdigest()


async def sync_sections(ctx: SyncContext) -> int:
    """Publish every section as a folder when the sections changed since the last published digest."""
    sections = [{k: s.get(k) for k in SECTION_FIELDS} for s in await read_sections(ctx.client)]
    whole = _digest(sections)
    if await published_digest(ctx, SECTION) == whole:
        return 0
    now = datetime.now(UTC)
    events, letters = [], []
    try:
        paths = section_paths(sections)
    except Unmappable as exc:  # a broken tree: every section says why, none is published half-placed
        paths, reason = {}, f"Unmappable: {exc}"
        letters = [DeadLetterIn(SECTION, str(s.get("ID")), reason, s) for s in sections]
    for section in sections if paths else []:
        try:
            path = paths[str(section["ID"])]
            events.append(map_section(section, ctx.portal, path, now, _digest([section, path])))
        except (Unmappable, KeyError, TypeError, ValueError) as exc:
            letters.append(DeadLetterIn(SECTION, str(section.get("ID")), f"{type(exc).__name__}: {exc}", section))
    return await publish_whole(ctx, SECTION, now, whole, events, letters)
