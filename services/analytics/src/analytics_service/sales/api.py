"""`GET /api/v1/analytics/sales/report` with JSON, CSV and XLSX output."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from analytics_service.deps import Reader, report_context
from analytics_service.periods import resolve_asked
from analytics_service.sales.export import to_csv, to_xlsx
from analytics_service.sales.report import sales_report
from analytics_service.sales.schemas import (
    Dimension,
    ExportFormat,
    ReportFilters,
    SalesQuery,
    SalesReport,
    SortField,
    TimeGrouping,
)
from crm_common.db import Reads, reading
from crm_common.errors import Forbidden, Unauthorized, ValidationFailed, error_responses
from crm_common.web.query import QueryParameters
from crm_common.web.responses import EncodedJSON

router = APIRouter(prefix="/api/v1/analytics", tags=["analytics"])

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EXPORT_LIMIT = 100_000
SALES_QUERY = QueryParameters(SalesQuery)


@router.get(
    "/sales/report",
    response_model=SalesReport,
    responses={
        **error_responses(Unauthorized, Forbidden, ValidationFailed),
        200: {"content": {"text/csv": {}, XLSX: {}}, "description": "The report as JSON, CSV or XLSX."},
    },
)
async def get_sales_report(request: Request, _: Reader, query: Annotated[SalesQuery, Depends(SALES_QUERY)]) -> Any:
    """Report sales grouped by time and by product, folder, customer or store."""
    settings, cache = report_context(request)

    current, _previous = resolve_asked(query, zone=settings.zone, max_days=settings.max_report_days)
    if query.group_by_time is TimeGrouping.NONE and query.group_by is Dimension.NONE and query.sort is SortField.KEY:
        raise ValidationFailed("sort=key needs a group_by dimension")
    filters = ReportFilters(
        product_id=query.product_id,
        folder_id=query.folder_id,
        customer_id=query.customer_id,
        store_id=query.store_id,
        organization_id=query.organization_id,
    )
    exporting = query.format is not ExportFormat.JSON

    params = {
        "period": current,
        "time": query.group_by_time,
        "dim": query.group_by,
        "filters": filters.model_dump(),
        "sort": query.sort,
        "direction": query.direction,
        "page": None if exporting else (query.limit, query.offset),
    }

    async def compute(connection: Reads) -> dict[str, Any]:
        report = await sales_report(
            connection,
            current,
            time=query.group_by_time,
            dimension=query.group_by,
            filters=filters,
            sort=query.sort,
            descending=query.direction == "desc",
            limit=EXPORT_LIMIT if exporting else query.limit,
            offset=0 if exporting else query.offset,
        )
        return report.model_dump(mode="json")

    body = await cache.get_or_compute_json(lambda: reading(request), "sales_report", params, compute, SalesReport)
    if not exporting:
        return EncodedJSON(body)
    report = SalesReport.model_validate_json(body)
    name = f"sales_{current.start.isoformat()}_{current.end.isoformat()}"
    if query.format is ExportFormat.CSV:
        return Response(
            to_csv(report),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
        )
    return Response(
        to_xlsx(report), media_type=XLSX, headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'}
    )
