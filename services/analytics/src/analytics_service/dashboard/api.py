"""`GET /api/v1/analytics/dashboard`."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Query, Request

from analytics_service.dashboard.report import build_dashboard
from analytics_service.dashboard.schemas import Dashboard
from analytics_service.deps import Reader, report_context
from analytics_service.periods import PeriodKind, resolve
from crm_common.db import reading
from crm_common.errors import Forbidden, Unauthorized, ValidationFailed, error_responses
from crm_common.web.responses import EncodedJSON

router = APIRouter(prefix="/api/v1/analytics", tags=["analytics"])


@router.get(
    "/dashboard",
    response_model=Dashboard,
    responses=error_responses(Unauthorized, Forbidden, ValidationFailed),
)
async def get_dashboard(
    request: Request,
    _: Reader,
    period: PeriodKind = PeriodKind.TODAY,
    date_from: date | None = None,
    date_to: date | None = None,
    as_of: date | None = Query(default=None, description="Treat this business day as today."),
    top: int = Query(default=10, ge=1, le=100),
) -> Any:
    """Show revenue, profit, customers and stock for a period against the period before."""
    settings, cache = report_context(request)
    current, previous = resolve(
        period, zone=settings.zone, date_from=date_from, date_to=date_to, as_of=as_of, max_days=settings.max_report_days
    )
    params = {"current": current, "previous": previous, "top": top}
    body = await cache.get_or_compute_json(
        lambda: reading(request),
        "dashboard",
        params,
        lambda connection: build_dashboard(connection, current, previous, top),
        Dashboard,
    )
    return EncodedJSON(body)
