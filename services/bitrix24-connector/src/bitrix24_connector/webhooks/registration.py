"""Bind the connector's handler to the portal's CRM events with ``event.bind`` (docs/bitrix24.md, "Events").

One binding per event, all to the same handler URL. Bindings of ours (same URL without the query) that carry
another token are unbound; missing ones are bound (``ERROR_HANDLER_ALREADY_EXIST`` is fine). A failure is logged:
the schedule still syncs, only less promptly.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bitrix24_connector.client import Bitrix24Client, Bitrix24Error
from bitrix24_connector.integrations import service as integrations
from bitrix24_connector.log import log
from bitrix24_connector.settings import ConnectorSettings
from bitrix24_connector.webhooks.tokens import handler_url
from crm_common.db import transaction

# Event -> the hint type it means (webhooks/api.py); a delete names `<type>.deleted`. Product sections are the
# `section` step (docs/bitrix24.md, "Product catalog").
EVENTS = {
    f"ONCRM{event}{action}": hint + (".deleted" if action == "DELETE" else "")
    for event, hint in (
        ("CONTACT", "contact"),
        ("COMPANY", "company"),
        ("DEAL", "deal"),
        ("PRODUCT", "product"),
        ("PRODUCTSECTION", "section"),
    )
    for action in ("ADD", "UPDATE", "DELETE")
}


def _base(url: str) -> str:
    return url.split("?", 1)[0]


async def ensure_bindings(client: Bitrix24Client, url: str) -> int:
    """Make the portal call ``url`` for every CRM event the connector follows; returns how many were bound."""
    bound = list((await client.call("event.get")).result or [])
    have: set[str] = set()
    for binding in bound:
        event, handler = str(binding.get("event", "")).upper(), str(binding.get("handler", ""))
        if _base(handler) != _base(url):
            continue
        if handler != url:
            await client.call("event.unbind", {"event": event, "handler": handler})
        else:
            have.add(event)
    created = 0
    for event in EVENTS:
        if event in have:
            continue
        try:
            await client.call("event.bind", {"event": event, "handler": url})
            created += 1
        except Bitrix24Error as exc:
            if exc.code != "ERROR_HANDLER_ALREADY_EXIST":
                raise
    return created


async def register_events(
    settings: ConnectorSettings, sessions: async_sessionmaker[AsyncSession], integration_id: str
) -> None:
    """Bind the events of one integration when ``BITRIX24_CONNECTOR_PUBLIC_WEBHOOK_URL`` is set; never raises."""
    url = handler_url(settings, integration_id)
    if url is None:
        return
    try:
        async with transaction(sessions) as session:
            config = await integrations.resolve(session, settings, integration_id)
        async with Bitrix24Client(config.webhook_url, integrations.pacing_from(settings)) as client:
            created = await ensure_bindings(client, url)
        log.info("bitrix24 events bound", integration_id=integration_id, created=created)
    except Exception as exc:  # events only speed syncs up; the schedule works without them
        log.warning("could not bind bitrix24 events", integration_id=integration_id, error=repr(exc)[:300])
