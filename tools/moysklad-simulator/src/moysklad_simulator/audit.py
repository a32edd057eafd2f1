"""The audit feed: ``/audit``, ``/audit/{id}/events``, ``/entity/{type}/{id}/audit``.

MoySklad's behaviour is summarised in docs/moysklad.md#audit-feed-recycle-bin-late-updated.

Every change the simulator makes (live mode, webhook management) goes through :func:`record_event`,
which also queues the matching webhook notifications.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, Request, Response

from moysklad_simulator.errors import bad_date, bad_filter, not_found
from moysklad_simulator.filters import parse_filter
from moysklad_simulator.listing import envelope, page, parse_query
from moysklad_simulator.model import CANONICAL_BASE, MEDIA_TYPE, Ref, entity_meta
from moysklad_simulator.responses import respond
from moysklad_simulator.store import SimulatorState
from moysklad_simulator.timefmt import fmt_ms, fmt_s, now_msk, parse_msk

router = APIRouter()
AUDIT_DEFAULT_LIMIT = 25
AUDIT_MAX_LIMIT = 100


@dataclass
class AuditEvent:
    event_type: str
    entity: Ref
    name: str
    diff: dict[str, dict[str, Any]] | None = None


@dataclass
class AuditContext:
    id: str
    uid: str
    source: str
    moment: str
    events: list[AuditEvent] = field(default_factory=list)


def record_event(
    state: SimulatorState,
    event_type: str,
    entity: Ref,
    name: str,
    diff: dict[str, dict[str, Any]] | None = None,
    *,
    source: str = "jsonapi",
    disabled_prefixes: tuple[str, ...] = (),
) -> AuditContext:
    """Append one audit context with one event and queue webhooks for it."""
    context = AuditContext(
        state.ids.uuid(), state.settings.login, source, fmt_s(now_msk()), [AuditEvent(event_type, entity, name, diff)]
    )
    state.audit.append(context)
    from moysklad_simulator.webhooks import queue_notifications  # webhooks import this module

    queue_notifications(state, context, disabled_prefixes)
    return context


def _context_json(ctx: AuditContext) -> dict[str, Any]:
    body: dict[str, Any] = {
        "meta": {"href": f"{CANONICAL_BASE}/audit/{ctx.id}", "type": "audit", "mediaType": MEDIA_TYPE},
        "id": ctx.id,
        "uid": ctx.uid,
        "source": ctx.source,
        "moment": ctx.moment,
        "objectCount": len(ctx.events),
    }
    if len({e.event_type for e in ctx.events}) == 1:
        body["eventType"] = ctx.events[0].event_type
    if len({e.entity.type for e in ctx.events}) == 1:
        body["entityType"] = ctx.events[0].entity.type
    body["events"] = {
        "meta": {
            "href": f"{CANONICAL_BASE}/audit/{ctx.id}/events",
            "type": "auditevent",
            "mediaType": MEDIA_TYPE,
            "size": len(ctx.events),
            "limit": 1000,
            "offset": 0,
        }
    }
    return body


def _event_json(ctx: AuditContext, event: AuditEvent) -> dict[str, Any]:
    body: dict[str, Any] = {
        "source": ctx.source,
        "eventType": event.event_type,
        "entityType": event.entity.type,
        "uid": ctx.uid,
        "moment": ctx.moment,
        "name": event.name,
    }
    if event.diff is not None and event.event_type != "create":  # create events carry no diff
        body["diff"] = event.diff
    body["audit"] = {"meta": {"href": f"{CANONICAL_BASE}/audit/{ctx.id}", "type": "audit", "mediaType": MEDIA_TYPE}}
    body["entity"] = {"meta": entity_meta(event.entity)}
    return body


def _matches(ctx: AuditContext, conds: dict[str, Any]) -> bool:
    for name, cond in conds.items():
        if name == "moment":
            for op, raw in cond.ranges.items():
                parsed = parse_msk(raw)
                if parsed is None:
                    raise bad_date(raw)
                bound = fmt_s(parsed)
                if (op in (">=", ">") and ctx.moment < bound) or (op in ("<=", "<") and ctx.moment > bound):
                    return False
            continue
        values = {
            "eventType": {e.event_type for e in ctx.events},
            "entityType": {e.entity.type for e in ctx.events},
            "source": {ctx.source},
            "uid": {ctx.uid},
        }.get(name)
        if values is None:
            raise bad_filter(f"неизвестное поле '{name}'")
        if cond.equals and not values & set(cond.equals):
            return False
    return True


@router.get("/audit")
def list_audit(request: Request) -> Response:
    """List audit contexts, newest first."""
    state: SimulatorState = request.app.state.sim
    query = parse_query(
        "audit", request.query_params.multi_items(), default_limit=AUDIT_DEFAULT_LIMIT, max_limit=AUDIT_MAX_LIMIT
    )
    conds = parse_filter(query.filter)
    contexts = [c for c in reversed(state.audit) if _matches(c, conds)]
    return respond(request, envelope(query, "audit", len(contexts), [_context_json(c) for c in page(contexts, query)]))


@router.get("/audit/{context_id}/events")
def audit_events(request: Request, context_id: str) -> Response:
    """List the events of one audit context."""
    state: SimulatorState = request.app.state.sim
    ctx = next((c for c in state.audit if c.id == context_id), None)
    if ctx is None:
        raise not_found("audit", context_id)
    query = parse_query(
        f"audit/{context_id}/events",
        request.query_params.multi_items(),
        default_limit=AUDIT_DEFAULT_LIMIT,
        max_limit=AUDIT_MAX_LIMIT,
    )
    rows = [_event_json(ctx, e) for e in page(ctx.events, query)]
    return respond(request, envelope(query, "auditevent", len(ctx.events), rows))


@router.get("/entity/{entity_type}/{entity_id}/audit")
def entity_audit(request: Request, entity_type: str, entity_id: str) -> Response:
    """List the audit events of one entity, newest first (works after a hard delete too)."""
    state: SimulatorState = request.app.state.sim
    query = parse_query(
        f"entity/{entity_type}/{entity_id}/audit",
        request.query_params.multi_items(),
        default_limit=AUDIT_DEFAULT_LIMIT,
        max_limit=AUDIT_MAX_LIMIT,
    )
    events = [
        (c, e)
        for c in reversed(state.audit)
        for e in c.events
        if e.entity.id == entity_id and e.entity.type == entity_type
    ]
    rows = [_event_json(c, e) for c, e in page(events, query)]
    return respond(request, envelope(query, "auditevent", len(events), rows))


def audit_stamp() -> str:
    return fmt_ms(now_msk())
