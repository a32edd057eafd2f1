"""Webhook registry (``/entity/webhook``) and the outbound notifier (docs/moysklad.md, "Webhooks").

Delivery: POST ``<url>?requestId=<uuid>``; the receiver must answer 200 or 204 within the timeout
(1500 ms), otherwise up to 3 more attempts follow immediately with the same ``requestId``, then the
notification is dropped. Notifications are delivered one at a time, in order.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson
from fastapi import APIRouter, FastAPI, Request, Response

from moysklad_simulator.audit import AuditContext, record_event
from moysklad_simulator.data.common import record
from moysklad_simulator.errors import MoySkladError, not_found
from moysklad_simulator.model import CANONICAL_BASE
from moysklad_simulator.render import render_record
from moysklad_simulator.responses import empty, respond
from moysklad_simulator.store import SimulatorState

router = APIRouter()
ACTIONS = frozenset({"CREATE", "UPDATE", "DELETE"})
EVENT_ACTIONS = {
    "create": "CREATE",
    "update": "UPDATE",
    "delete": "DELETE",
    "puttoarchive": "UPDATE",
    "restorefromarchive": "UPDATE",
    "puttorecyclebin": "UPDATE",
}
USER_AGENT = "MoySklad webhook touch agent 2.0 (/https://www.moysklad.ru)"
MAX_PER_ACTION = 5


@dataclass(frozen=True)
class Notification:
    url: str
    request_id: str
    body: dict[str, Any]
    queued_at: float = field(default_factory=time.monotonic)  # for the delivery time in the webhook log


def queue_notifications(state: SimulatorState, ctx: AuditContext, disabled_prefixes: tuple[str, ...]) -> None:
    """One notification per enabled webhook that matches the context's entity type and action."""
    for hook in state.records("webhook"):
        if not hook["enabled"] or hook["url"].startswith(disabled_prefixes):
            continue
        events = [
            _event(state, hook, e)
            for e in ctx.events
            if e.entity.type == hook["entityType"] and EVENT_ACTIONS.get(e.event_type) == hook["action"]
        ]
        if events:
            body = {
                "auditContext": {
                    "meta": {"type": "audit", "href": f"{CANONICAL_BASE}/audit/{ctx.id}"},
                    "uid": ctx.uid,
                    "moment": ctx.moment,
                },
                "events": events,
            }
            state.outbox.append(Notification(hook["url"], str(uuid.uuid4()), body))


def _event(state: SimulatorState, hook: dict[str, Any], event: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "meta": {"type": event.entity.type, "href": f"{CANONICAL_BASE}/{event.entity.href_path()}"},
        "action": hook["action"],
        "accountId": state.account_id,
    }
    if hook["action"] == "UPDATE" and hook.get("diffType") == "FIELDS":
        body["updatedFields"] = sorted(event.diff or {})
    return body


async def deliver_forever(app: FastAPI) -> None:
    """Drain the outbox for as long as the app runs."""
    state: SimulatorState = app.state.sim
    timeout = state.settings.webhook_timeout_ms / 1000
    async with httpx.AsyncClient(timeout=timeout) as client:
        while True:
            while state.outbox:
                await deliver(client, state, state.outbox.popleft(), _base(app))
            await asyncio.sleep(0.05)


def _base(app: FastAPI) -> str:
    settings = app.state.settings
    fallback = f"http://{settings.host}:{settings.port}/api/remap/1.2"
    return str(settings.public_base_url or getattr(app.state, "last_base", None) or fallback)


async def deliver(client: httpx.AsyncClient, state: SimulatorState, note: Notification, base: str) -> bool:
    """POST one notification with retries; returns whether the receiver accepted it."""
    payload = orjson.dumps(note.body).replace(CANONICAL_BASE.encode(), base.encode())
    url = f"{note.url}{'&' if '?' in note.url else '?'}requestId={note.request_id}"
    headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT}
    for attempt in range(1 + state.settings.webhook_retries):
        try:
            response = await client.post(url, content=payload, headers=headers)
            status: int | None = response.status_code
        except httpx.HTTPError:
            status = None
        state.webhook_log.append(
            {
                "url": note.url,
                "requestId": note.request_id,
                "attempt": attempt + 1,
                "status": status,
                # from the change (the notification queued) to the receiver's answer, retries included
                "deliveredAfterMs": round((time.monotonic() - note.queued_at) * 1000, 1),
            }
        )
        if status in (200, 204):
            return True
    return False


async def _json_body(request: Request) -> dict[str, Any]:
    try:
        body = orjson.loads(await request.body())
    except orjson.JSONDecodeError:
        raise MoySkladError(400, 2001, "Ошибка формата JSON в запросе") from None
    if not isinstance(body, dict):
        raise MoySkladError(400, 2001, "Ошибка формата JSON в запросе")
    return body


def _validate(state: SimulatorState, fields: dict[str, Any], own_id: str | None = None) -> None:
    url, action, entity_type = fields.get("url"), fields.get("action"), fields.get("entityType")
    for name in ("url", "action", "entityType"):
        if not fields.get(name):
            raise MoySkladError(
                412, 3000, f"Ошибка сохранения объекта: поле '{name}' не может быть пустым или отсутствовать", name
            )
    if action not in ACTIONS:
        raise MoySkladError(400, 2016, f"Неверное значение поля 'action': '{action}'", "action")
    if len(str(url)) > 255:
        raise MoySkladError(400, 30010, "Длина url вебхука не может превышать 255 символов", "url")
    others = [
        h
        for h in state.records("webhook")
        if h["id"] != own_id and (h["entityType"], h["action"]) == (entity_type, action)
    ]
    if any(h["url"] == url for h in others):
        raise MoySkladError(400, 30003, "Вебхук с такими entityType, action и url уже существует")
    if len(others) >= MAX_PER_ACTION:
        raise MoySkladError(400, 30007, "Превышено количество вебхуков для данного entityType и action")


@router.post("/entity/webhook")
async def create_webhook(request: Request) -> Response:
    """Register a webhook."""
    state: SimulatorState = request.app.state.sim
    body = await _json_body(request)
    _validate(state, body)
    fields: dict[str, Any] = {
        "entityType": body["entityType"],
        "url": body["url"],
        "method": "POST",
        "enabled": body.get("enabled", True),
        "action": body["action"],
    }
    if body["action"] == "UPDATE" and body.get("diffType"):
        fields["diffType"] = body["diffType"]
    hook = record(state, "webhook", state.next_updated(), owned=False, **fields)
    hook.pop("updated")
    state.add("webhook", hook)
    record_event(state, "create", hook["_ref"], hook["url"])
    return respond(request, render_record(hook, state))


@router.put("/entity/webhook/{hook_id}")
async def update_webhook(request: Request, hook_id: str) -> Response:
    """Change a webhook (for example ``{"enabled": false}``)."""
    state: SimulatorState = request.app.state.sim
    hook = state.get("webhook", hook_id)
    if hook is None:
        raise not_found("webhook", hook_id)
    body = await _json_body(request)
    changed: dict[str, Any] = {k: body[k] for k in ("url", "action", "entityType", "enabled", "diffType") if k in body}
    _validate(state, {**hook, **changed}, own_id=hook_id)
    diff: dict[str, dict[str, Any]] = {
        k: {"oldValue": hook.get(k), "newValue": v} for k, v in changed.items() if hook.get(k) != v
    }
    hook.update(changed)
    record_event(state, "update", hook["_ref"], hook["url"], diff)
    return respond(request, render_record(hook, state))


@router.delete("/entity/webhook/{hook_id}")
def delete_webhook(request: Request, hook_id: str) -> Response:
    """Delete a webhook."""
    state: SimulatorState = request.app.state.sim
    hook = state.remove("webhook", hook_id)
    if hook is None:
        raise not_found("webhook", hook_id)
    record_event(state, "delete", hook["_ref"], hook["url"])
    return empty(200)
