"""Register the connector's webhooks at MoySklad (``/entity/webhook``, docs/moysklad.md, "Webhooks").

One webhook per synced type and action, all calling the same URL. Webhooks of ours (same URL without the query)
that carry another token are replaced, disabled ones re-enabled, missing ones created. A failure (no admin rights
30004, free plan 30006, ...) is logged: the schedule still syncs, only less promptly.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from crm_common.db import transaction
from moysklad_connector.client import MoySkladClient, MoySkladError
from moysklad_connector.integrations import service as integrations
from moysklad_connector.log import log
from moysklad_connector.settings import ConnectorSettings
from moysklad_connector.sync.specs import SPECS
from moysklad_connector.webhooks.tokens import webhook_url

ACTIONS = ("CREATE", "UPDATE", "DELETE")
DUPLICATE = 30003
HOOK_TYPES = tuple(sorted({spec.type for spec in SPECS.values()}))


def _base(url: str) -> str:
    return url.split("?", 1)[0]


async def ensure_webhooks(client: MoySkladClient, url: str, entity_types: tuple[str, ...] = HOOK_TYPES) -> int:
    """Make MoySklad call ``url`` for every type and action; returns how many webhooks were created."""
    existing: list[dict[str, Any]] = (await client.list_page("entity/webhook", {"limit": "1000"})).rows
    ours = [hook for hook in existing if _base(str(hook.get("url", ""))) == _base(url)]
    have: set[tuple[str, str]] = set()
    for hook in ours:
        key = (str(hook.get("entityType")), str(hook.get("action")))
        if hook.get("url") != url or key in have:
            await client.request("DELETE", f"entity/webhook/{hook['id']}")
            continue
        if not hook.get("enabled", True):
            await client.request("PUT", f"entity/webhook/{hook['id']}", json={"enabled": True})
        have.add(key)
    created = 0
    for entity_type in entity_types:
        for action in ACTIONS:
            if (entity_type, action) in have:
                continue
            try:
                await client.request(
                    "POST", "entity/webhook", json={"url": url, "action": action, "entityType": entity_type}
                )
                created += 1
            except MoySkladError as exc:
                if exc.code != DUPLICATE:
                    raise
    return created


async def register_webhooks(
    settings: ConnectorSettings, sessions: async_sessionmaker[AsyncSession], integration_id: str
) -> None:
    """Register the webhooks of one integration when ``CONNECTOR_PUBLIC_WEBHOOK_URL`` is set; never raises."""
    url = webhook_url(settings, integration_id)
    if url is None:
        return
    try:
        async with transaction(sessions) as session:
            config = await integrations.resolve(session, settings, integration_id)
        async with MoySkladClient(config.credentials, integrations.pacing_from(settings)) as client:
            created = await ensure_webhooks(client, url)
        log.info("moysklad webhooks registered", integration_id=integration_id, created=created)
    except Exception as exc:  # webhooks only speed syncs up; the schedule works without them
        log.warning("could not register moysklad webhooks", integration_id=integration_id, error=repr(exc)[:300])
