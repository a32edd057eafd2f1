"""``POST /api/v1/integrations/bitrix24/webhook``: the portal's outbound events, answered in milliseconds.

Public (the portal sends no JWT). Bitrix24 POSTs ``application/x-www-form-urlencoded``: ``event``,
``event_handler_id``, ``data[FIELDS][ID]``, ``ts`` and ``auth[...]`` with ``application_token`` (docs/bitrix24.md,
"Events"). The handler checks the URL's token and, when one is stored, the application token (both in constant
time), records the event once, and hints the scheduler with the type it names; the sync reads the record itself
(only the id travels). A delete names ``<type>.deleted``, which makes the hinted sync reconcile that kind.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Annotated, Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Depends, Request, Response, status
from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession

from bitrix24_connector import metrics
from bitrix24_connector.integrations import service as integrations
from bitrix24_connector.integrations.service import DEFAULT_INTEGRATION
from bitrix24_connector.settings import ConnectorSettings
from bitrix24_connector.tables import WebhookReceipt
from bitrix24_connector.webhooks.registration import EVENTS
from bitrix24_connector.webhooks.tokens import token_matches
from crm_common.errors import Forbidden, NotFound, error_responses
from crm_common.web.query import QueryParameters
from crm_integration.admin.deps import DbSession
from crm_integration.webhooks import ReceiptRepository

router = APIRouter(prefix="/api/v1/integrations/bitrix24", tags=["webhooks"])


class WebhookQuery(BaseModel):
    """The query parameters of the webhook (crm_common.web.query)."""

    integration: str = Field(DEFAULT_INTEGRATION, max_length=64)
    token: str | None = Field(None, max_length=128)


WEBHOOK_QUERY = QueryParameters(WebhookQuery)


def _settings(request: Request) -> ConnectorSettings:
    settings: ConnectorSettings = request.app.state.settings
    return settings


def receipt_id(integration_id: str, form: dict[str, str]) -> str:
    """One event is one receipt: its handler binding, name, record and ``ts`` (a redelivery repeats them)."""
    parts = (
        integration_id,
        form.get("event_handler_id"),
        form.get("event"),
        form.get("data[FIELDS][ID]"),
        form.get("ts"),
    )
    return hashlib.sha256("|".join(str(p or "") for p in parts).encode()).hexdigest()


def hint_types(event: str) -> frozenset[str] | None:
    """The type an event names, or None (sync every type) for an event the connector does not know."""
    named = EVENTS.get(event.upper())
    return None if named is None else frozenset({named})


@router.post(
    "/webhook", status_code=status.HTTP_204_NO_CONTENT, response_class=Response, responses=error_responses(Forbidden)
)
async def receive_event(
    request: Request,
    session: DbSession,
    query: Annotated[WebhookQuery, Depends(WEBHOOK_QUERY)],
) -> Response:
    """Accept a Bitrix24 outbound event and sync the integration sooner."""
    integration = query.integration
    settings = _settings(request)
    form = dict(parse_qsl((await request.body()).decode("utf-8", "replace"), keep_blank_values=True))
    if not token_matches(settings, integration, query.token) or not await _application_token_ok(
        session, settings, integration, form.get("auth[application_token]")
    ):
        metrics.WEBHOOKS.labels("rejected").inc()
        raise Forbidden("unknown integration, wrong handler token or wrong application token")
    event = form.get("event", "")
    kept: dict[str, Any] = {"event": event, "id": form.get("data[FIELDS][ID]"), "ts": form.get("ts")}
    fresh = await ReceiptRepository(session, WebhookReceipt).add(receipt_id(integration, form), integration, [kept])
    if fresh:
        request.app.state.scheduler.hint(integration, hint_types(event))
    metrics.WEBHOOKS.labels("accepted" if fresh else "duplicate").inc()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


async def _application_token_ok(
    session: AsyncSession, settings: ConnectorSettings, integration_id: str, given: str | None
) -> bool:
    try:
        config = await integrations.resolve(session, settings, integration_id)
    except NotFound:
        return False
    if config.application_token is None:
        return True  # nothing stored to compare: the handler token alone vouches for the caller
    return hmac.compare_digest(config.application_token.encode(), (given or "").encode())
