"""`GET /api/v1/analytics/alerts` and `POST /api/v1/analytics/alerts/{id}/acknowledge`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from analytics_service.alerts.schemas import AlertOut, AlertPage, AlertQuery
from analytics_service.alerts.service import acknowledge, list_alerts
from analytics_service.deps import Reader, Session
from crm_common.errors import Conflict, Forbidden, NotFound, Unauthorized, ValidationFailed, error_responses
from crm_common.web.query import QueryParameters

router = APIRouter(prefix="/api/v1/analytics/alerts", tags=["analytics"])
ALERT_QUERY = QueryParameters(AlertQuery)


@router.get("", response_model=AlertPage, responses=error_responses(Unauthorized, Forbidden, ValidationFailed))
async def get_alerts(
    session: Session,
    principal: Reader,
    query: Annotated[AlertQuery, Depends(ALERT_QUERY)],
) -> AlertPage:
    """List the alerts the caller may see, newest first."""
    status, kind, limit, offset = query.status, query.kind, query.limit, query.offset
    rows, total = await list_alerts(
        session, principal.permissions, status=status, kind=kind, limit=limit, offset=offset
    )
    return AlertPage(total=total, limit=limit, offset=offset, items=[AlertOut.model_validate(r) for r in rows])


@router.post(
    "/{alert_id}/acknowledge",
    response_model=AlertOut,
    responses=error_responses(Unauthorized, Forbidden, NotFound, Conflict),
)
async def post_acknowledge(alert_id: str, session: Session, principal: Reader) -> AlertOut:
    """Acknowledge an alert."""
    row = await acknowledge(session, alert_id, principal.user_id, principal.permissions)
    return AlertOut.model_validate(row)
