"""`GET /api/v1/analytics/customers/segments` and `GET /api/v1/analytics/customers/{id}`."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from analytics_service.customers.schemas import CustomerProfile, ProfileQuery, Segments, SegmentsQuery
from analytics_service.customers.segments import profile, segments
from analytics_service.deps import Reader, ReadSession, Settings, report_context
from analytics_service.periods import Period, today_in
from crm_common.db import reading
from crm_common.errors import Forbidden, NotFound, Unauthorized, ValidationFailed, error_responses
from crm_common.web.query import QueryParameters
from crm_common.web.responses import EncodedJSON

router = APIRouter(prefix="/api/v1/analytics/customers", tags=["analytics"])
SEGMENTS_QUERY = QueryParameters(SegmentsQuery)
PROFILE_QUERY = QueryParameters(ProfileQuery)


def _window(days: int, as_of: date | None, settings: Any) -> Period:
    end = as_of or today_in(settings.zone)
    return Period(end - timedelta(days=days - 1), end)


@router.get("/segments", response_model=Segments, responses=error_responses(Unauthorized, Forbidden, ValidationFailed))
async def get_segments(request: Request, _: Reader, query: Annotated[SegmentsQuery, Depends(SEGMENTS_QUERY)]) -> Any:
    """Segment customers by recency, frequency and monetary value."""
    settings, cache = report_context(request)
    window = _window(query.window_days, query.as_of, settings)
    segment, limit, offset = query.segment, query.limit, query.offset
    params = {"window": window, "segment": segment, "page": (limit, offset)}
    body = await cache.get_or_compute_json(
        lambda: reading(request),
        "segments",
        params,
        lambda connection: segments(connection, window, segment=segment, limit=limit, offset=offset),
        Segments,
    )
    return EncodedJSON(body)


@router.get(
    "/{customer_id}",
    response_model=CustomerProfile,
    responses=error_responses(Unauthorized, Forbidden, NotFound, ValidationFailed),
)
async def get_customer(
    customer_id: str,
    session: ReadSession,
    settings: Settings,
    _: Reader,
    query: Annotated[ProfileQuery, Depends(PROFILE_QUERY)],
) -> Any:
    """Show one customer's purchases, RFM scores and favourite products."""
    return await profile(session, customer_id, _window(query.window_days, query.as_of, settings), query.top)
