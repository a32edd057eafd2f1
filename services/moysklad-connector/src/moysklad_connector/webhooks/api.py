"""``POST /api/v1/integrations/moysklad/webhook``: MoySklad's notifications, answered in milliseconds.

Public (MoySklad sends no JWT): the gateway lets the path through, and the per-integration token in the query is
the credential. MoySklad wants 200/204 within 1500 ms and retries three times at once with the same ``requestId``
otherwise (docs/moysklad.md, "Webhooks"); so the handler only records the ``requestId`` (de-duplication) and hints
the scheduler, which runs an incremental sync a few seconds later, coalescing bursts. The notification carries no
data anyway.
"""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Request, Response, status
from pydantic import BaseModel, Field

from crm_common.errors import Forbidden, error_responses
from crm_common.web.query import QueryParameters
from crm_integration.admin.deps import DbSession
from crm_integration.webhooks import ReceiptRepository
from moysklad_connector import metrics
from moysklad_connector.deps import Settings
from moysklad_connector.integrations.service import DEFAULT_INTEGRATION
from moysklad_connector.tables import WebhookReceipt
from moysklad_connector.webhooks.registration import HOOK_TYPES
from moysklad_connector.webhooks.tokens import token_matches

router = APIRouter(prefix="/api/v1/integrations/moysklad", tags=["webhooks"])


class WebhookQuery(BaseModel):
    """The query parameters of the webhook (crm_common.web.query); ``request_id`` is read from ``requestId``."""

    integration: str = Field(DEFAULT_INTEGRATION, max_length=64)
    token: str | None = Field(None, max_length=128)
    request_id: str | None = Field(None, alias="requestId", max_length=64)


WEBHOOK_QUERY = QueryParameters(WebhookQuery)


@router.post(
    "/webhook",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=error_responses(Forbidden),
)
async def receive_webhook(
    request: Request,
    session: DbSession,
    config: Settings,
    query: Annotated[WebhookQuery, Depends(WEBHOOK_QUERY)],
) -> Response:
    """Accept a MoySklad webhook notification and sync the integration sooner."""
    integration, request_id = query.integration, query.request_id
    if not token_matches(config, integration, query.token):
        metrics.WEBHOOKS.labels("rejected").inc()
        raise Forbidden("unknown integration or wrong webhook token")
    events = _events(await request.body())
    fresh = True
    if request_id:
        fresh = await ReceiptRepository(session, WebhookReceipt).add(request_id, integration, events)
    if fresh:
        request.app.state.scheduler.hint(integration, _types(events))
    metrics.WEBHOOKS.labels("accepted" if fresh else "duplicate").inc()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


def _types(events: list[Any]) -> frozenset[str] | None:
    """The entity types the notification names (``events[].meta.type``); None (sync every type) when any event does
    not say, or names a type the connector does not sync: better one wide sync than a missed change."""
    types = set()
    for event in events:
        meta = event.get("meta") if isinstance(event, dict) else None
        kind = meta.get("type") if isinstance(meta, dict) else None
        if not isinstance(kind, str) or kind not in HOOK_TYPES:
            return None
        types.add(kind)
    return frozenset(types) or None


def _events(body: bytes) -> list[Any]:
    """The notification's events, kept for diagnosis; an unreadable body is still a reason to look."""
    try:
        parsed = orjson.loads(body) if body else {}
    except orjson.JSONDecodeError:
        return []
    events = parsed.get("events") if isinstance(parsed, dict) else None
    return events if isinstance(events, list) else []
