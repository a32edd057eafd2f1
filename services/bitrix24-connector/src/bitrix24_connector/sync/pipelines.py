"""Deal funnels and their stages (docs/bitrix24.md, "CRM entities"): two requests per sync.

Funnels carry no modification stamp, so the connector keeps a digest of what it last published in the ``pipeline``
cursor (``last_id``) and publishes again only when the funnels or their stages changed; the version is the time it
saw the change.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

import orjson

from bitrix24_connector.client import Bitrix24Client
from bitrix24_connector.mapping.common import Unmappable
from bitrix24_connector.mapping.deals import map_pipeline, stage_entity
from bitrix24_connector.sync.context import SyncContext, publish_whole, published_digest
from bitrix24_connector.sync.specs import PIPELINE
from crm_integration.jobs import DeadLetterIn

FUNNEL_FIELDS = ("id", "name", "sort", "isDefault")
STAGE_FIELDS = ("STATUS_ID", "NAME", "SORT", "SEMANTICS", "EXTRA", "CATEGORY_ID")


async def read_funnels(client: Bitrix24Client) -> list[tuple[dict[str, Any], list[dict[str, Any]]]]:
    """Every deal funnel with its stages: ``crm.category.list``, then one batch of ``crm.status.list`` calls (keys
    are not bare numbers: PHP would answer results keyed 0, 1, 2 as a JSON list)."""
    listed = (await client.call("crm.category.list", {"entityTypeId": 2})).result
    categories = list(listed.get("categories") or []) if isinstance(listed, dict) else []
    calls = {
        f"c{c.get('id')}": ("crm.status.list", {"filter": {"ENTITY_ID": stage_entity(int(c.get("id") or 0))}})
        for c in categories
    }
    answer = await client.batch(calls) if calls else None
    if answer is not None and answer.errors:
        raise next(iter(answer.errors.values()))
    stages = answer.results if answer is not None else {}
    return [(c, list(stages.get(f"c{c.get('id')}") or [])) for c in categories]


def _digest(category: dict[str, Any], statuses: list[dict[str, Any]]) -> str:
    content = [{k: category.get(k) for k in FUNNEL_FIELDS}, [{k: s.get(k) for k in STAGE_FIELDS} for s in statuses]]
    return hashlib.sha256(orjson.dumps(content, option=orjson.OPT_SORT_KEYS)).hexdigest()


async def sync_pipelines(ctx: SyncContext) -> int:
    funnels = await read_funnels(ctx.client)
    whole = hashlib.sha256("".join(_digest(c, s) for c, s in funnels).encode()).hexdigest()
    if await published_digest(ctx, PIPELINE) == whole:
        return 0
    now = datetime.now(UTC)
    events, letters = [], []
    for category, statuses in funnels:
        try:
            events.append(map_pipeline(category, statuses, ctx.portal, now, _digest(category, statuses)))
        except (Unmappable, KeyError, TypeError, ValueError) as exc:
            raw = {**category, "_stages": statuses}
            letters.append(DeadLetterIn(PIPELINE, str(category.get("id")), f"{type(exc).__name__}: {exc}", raw))
    return await publish_whole(ctx, PIPELINE, now, whole, events, letters)
