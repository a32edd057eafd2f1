"""Outbound events: ``event.bind``/``event.get``/``event.unbind`` and delivery to the handlers.

Bitrix24 POSTs ``application/x-www-form-urlencoded`` to each bound handler: ``event``, ``event_handler_id``,
``data[FIELDS][ID]``, ``ts`` and ``auth[...]`` including ``application_token``
(https://apidocs.bitrix24.com/api-reference/events/index.html,
https://apidocs.bitrix24.com/api-reference/crm/deals/events/on-crm-deal-update.html). The call comes from a
webhook here, not from an OAuth application, so no access or refresh token is sent (the docs say tokens are not
always passed).
"""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import urlencode

import httpx
from fastapi import FastAPI

from bitrix24_simulator.errors import B24Error
from bitrix24_simulator.store import Binding, Portal

ENTITIES = ("CONTACT", "COMPANY", "DEAL", "PRODUCT", "PRODUCTSECTION")
KNOWN_EVENTS = frozenset(f"ONCRM{entity}{action}" for entity in ENTITIES for action in ("ADD", "UPDATE", "DELETE"))


def bind(portal: Portal, params: dict[str, Any]) -> bool:
    event = str(params.get("event") or params.get("EVENT") or "").upper()
    handler = str(params.get("handler") or params.get("HANDLER") or "")
    if event not in KNOWN_EVENTS:
        raise B24Error(400, "ERROR_EVENT_NOT_FOUND", "Event not found")
    if not handler.startswith(("http://", "https://")):
        raise B24Error(400, "ERROR_HANDLER_URL", "Handler URL is not valid")
    if any(b.event == event and b.handler == handler for b in portal.bindings):
        raise B24Error(400, "ERROR_HANDLER_ALREADY_EXIST", "Handler already exists!")
    auth_type = int(params.get("auth_type") or 0)
    portal.bindings.append(Binding(portal.next_id("binding"), event, handler, auth_type))
    return True


def get(portal: Portal, params: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {"event": b.event, "handler": b.handler, "auth_type": str(b.auth_type), "offline": 0} for b in portal.bindings
    ]


def unbind(portal: Portal, params: dict[str, Any]) -> dict[str, int]:
    event = str(params.get("event") or "").upper()
    handler = params.get("handler")
    keep = [b for b in portal.bindings if b.event != event or (handler and b.handler != handler)]
    count = len(portal.bindings) - len(keep)
    portal.bindings = keep
    return {"count": count}


def notify(portal: Portal, event: str, entity_id: int) -> None:
    """Queue one notification per handler bound to ``event``."""
    for binding in portal.bindings:
        if binding.event == event:
            portal.outbox.append({"binding": binding, "event": event, "id": entity_id, "ts": int(portal.clock())})


def payload(portal: Portal, item: dict[str, Any]) -> list[tuple[str, str]]:
    """The form fields of one notification, in the documented order."""
    settings = portal.settings
    return [
        ("event", item["event"]),
        ("event_handler_id", str(item["binding"].id)),
        ("data[FIELDS][ID]", str(item["id"])),
        ("ts", str(item["ts"])),
        ("auth[domain]", settings.domain),
        ("auth[client_endpoint]", f"https://{settings.domain}/rest/"),
        ("auth[server_endpoint]", "https://oauth.bitrix.info/rest/"),
        ("auth[member_id]", portal.member_id),
        ("auth[scope]", "crm"),
        ("auth[status]", "L"),
        ("auth[application_token]", settings.application_token.get_secret_value()),
    ]


async def deliver_forever(app: FastAPI) -> None:
    """Send queued notifications one at a time, in order; a failed delivery is logged and not repeated."""
    portal: Portal = app.state.portal
    timeout = portal.settings.event_timeout_ms / 1000
    async with httpx.AsyncClient(timeout=timeout) as client:
        while True:
            if not portal.outbox:
                await asyncio.sleep(0.02)
                continue
            item = portal.outbox.popleft()
            entry: dict[str, Any] = {"event": item["event"], "id": str(item["id"]), "handler": item["binding"].handler}
            try:
                response = await client.post(
                    item["binding"].handler,
                    content=urlencode(payload(portal, item)),
                    headers={"Content-Type": "application/x-www-form-urlencoded"},
                )
                entry["status"] = response.status_code
            except httpx.HTTPError as error:
                entry["error"] = type(error).__name__
            portal.event_log.append(entry)
