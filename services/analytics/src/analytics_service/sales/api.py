"""`GET /api/v1/analytics/sales/report` with JSON, CSV and XLSX output."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from analytics_service.deps import Reader, report_context
from analytics_service.periods import PeriodKind, resolve
from analytics_service.sales.export import to_csv, to_xlsx
from analytics_service.sales.report import sales_report
from analytics_service.sales.schemas import (
    Dimension,
    ExportFormat,
    ReportFilters,
    SalesReport,
    SortField,
    TimeGrouping,
)
from crm_common.db import Reads, reading
from crm_common.errors import Forbidden, Unauthorized, ValidationFailed, error_responses
from crm_common.web.pages import Offset
from crm_common.web.responses import EncodedJSON

router = APIRouter(prefix="/api/v1/analytics", tags=["analytics"])

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EXPORT_LIMIT = 100_000


@router.get(
    "/sales/report",
    response_model=SalesReport,
    responses={
        **error_responses(Unauthorized, Forbidden, ValidationFailed),
        200: {"content": {"text/csv": {}, XLSX: {}}, "description": "The report as JSON, CSV or XLSX."},
    },
)
async def get_sales_report(
    request: Request,
    _: Reader,
    period: PeriodKind = PeriodKind.MONTH,
    date_from: date | None = None,
    date_to: date | None = None,
    as_of: date | None = None,
    group_by_time: TimeGrouping = TimeGrouping.DAY,
    group_by: Dimension = Dimension.NONE,
    product_id: str | None = None,
    folder_id: str | None = None,
    customer_id: str | None = None,
    store_id: str | None = None,
    organization_id: str | None = None,
    sort: SortField = SortField.BUCKET,
    direction: str = Query(default="asc", pattern="^(asc|desc)$"),
    limit: int = Query(default=100, ge=1, le=5000),
    offset: Offset = 0,
    format: ExportFormat = ExportFormat.JSON,
) -> Any:
    """Report sales grouped by time and by product, folder, customer or store."""
    settings, cache = report_context(request)
    current, _previous = resolve(
        period, zone=settings.zone, date_from=date_from, date_to=date_to, as_of=as_of, max_days=settings.max_report_days
    )
    if group_by_time is TimeGrouping.NONE and group_by is Dimension.NONE and sort is SortField.KEY:
        raise ValidationFailed("sort=key needs a group_by dimension")
    filters = ReportFilters(
        product_id=product_id,
        folder_id=folder_id,
        customer_id=customer_id,
        store_id=store_id,
        organization_id=organization_id,
    )
    exporting = format is not ExportFormat.JSON

    params = {
        "period": current,
        "time": group_by_time,
        "dim": group_by,
        "filters": filters.model_dump(),
        "sort": sort,
        "direction": direction,
        "page": None if exporting else (limit, offset),
    }

    async def compute(connection: Reads) -> dict[str, Any]:
        report = await sales_report(
            connection,
            current,
            time=group_by_time,
            dimension=group_by,
            filters=filters,
            sort=sort,
            descending=direction == "desc",
            limit=EXPORT_LIMIT if exporting else limit,
            offset=0 if exporting else offset,
        )
        return report.model_dump(mode="json")

    body = await cache.get_or_compute_json(lambda: reading(request), "sales_report", params, compute, SalesReport)
    if not exporting:
        return EncodedJSON(body)
    report = SalesReport.model_validate_json(body)
    name = f"sales_{current.start.isoformat()}_{current.end.isoformat()}"
    if format is ExportFormat.CSV:
        return Response(
            to_csv(report),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
        )
    return Response(
        to_xlsx(report), media_type=XLSX, headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'}
    )
