"""`GET /api/v1/analytics/inventory/report`."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from analytics_service.deps import Reader, report_context
from analytics_service.inventory.report import SORTS, inventory_report
from analytics_service.inventory.schemas import InventoryQuery, InventoryReport
from analytics_service.periods import Period, today_in
from crm_common.db import Reads, reading
from crm_common.errors import Forbidden, Unauthorized, ValidationFailed, error_responses
from crm_common.web.query import QueryParameters
from crm_common.web.responses import EncodedJSON

router = APIRouter(prefix="/api/v1/analytics", tags=["analytics"])
INVENTORY_QUERY = QueryParameters(InventoryQuery)


@router.get(
    "/inventory/report",
    response_model=InventoryReport,
    responses=error_responses(Unauthorized, Forbidden, ValidationFailed),
)
async def get_inventory_report(
    request: Request, _: Reader, query: Annotated[InventoryQuery, Depends(INVENTORY_QUERY)]
) -> Any:
    """Report stock value, turnover, days of cover, dead stock and ABC/XYZ classes."""
    settings, cache = report_context(request)
    store_id, sort, direction, limit, offset = query.store_id, query.sort, query.direction, query.limit, query.offset
    if sort not in SORTS:
        raise ValidationFailed(f"sort must be one of {', '.join(sorted(SORTS))}")
    end = query.as_of or today_in(settings.zone)
    window = Period(end - timedelta(days=query.window_days - 1), end)
    params = {"window": window, "store": store_id, "sort": sort, "dir": direction, "page": (limit, offset)}

    async def compute(connection: Reads) -> dict[str, Any]:
        return await inventory_report(
            connection,
            settings,
            window,
            store_id=store_id,
            sort=sort,
            descending=direction == "desc",
            limit=limit,
            offset=offset,
        )

    body = await cache.get_or_compute_json(
        lambda: reading(request), "inventory_report", params, compute, InventoryReport
    )
    return EncodedJSON(body)
