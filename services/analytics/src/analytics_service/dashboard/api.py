"""`GET /api/v1/analytics/dashboard`."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from analytics_service.dashboard.report import build_dashboard
from analytics_service.dashboard.schemas import Dashboard, DashboardQuery
from analytics_service.deps import Reader, report_context
from analytics_service.periods import resolve_asked
from crm_common.db import reading
from crm_common.errors import Forbidden, Unauthorized, ValidationFailed, error_responses
from crm_common.web.query import QueryParameters
from crm_common.web.responses import EncodedJSON

router = APIRouter(prefix="/api/v1/analytics", tags=["analytics"])
DASHBOARD_QUERY = QueryParameters(DashboardQuery)


@router.get(
    "/dashboard",
    response_model=Dashboard,
    responses=error_responses(Unauthorized, Forbidden, ValidationFailed),
)
async def get_dashboard(request: Request, _: Reader, query: Annotated[DashboardQuery, Depends(DASHBOARD_QUERY)]) -> Any:
    """Show revenue, profit, customers and stock for a period against the period before."""
    settings, cache = report_context(request)
    current, previous = resolve_asked(query, zone=settings.zone, max_days=settings.max_report_days)
    top = query.top
    params = {"current": current, "previous": previous, "top": top}
    body = await cache.get_or_compute_json(
        lambda: reading(request),
        "dashboard",
        params,
        lambda connection: build_dashboard(connection, current, previous, top),
        Dashboard,
    )
    return EncodedJSON(body)
