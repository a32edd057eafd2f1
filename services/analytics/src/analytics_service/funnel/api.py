"""`GET /api/v1/analytics/funnel` (one pipeline, JSON/CSV/XLSX) and `GET /api/v1/analytics/funnel/pipelines`."""

from __future__ import annotations

from contextlib import nullcontext
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from analytics_service.deps import Cache, Reader, ReadSession, Settings
from analytics_service.funnel.export import to_csv, to_xlsx
from analytics_service.funnel.report import funnel, summary
from analytics_service.funnel.repository import FunnelRepository
from analytics_service.funnel.schemas import FunnelQuery, FunnelReport, Pipelines, PipelinesQuery
from analytics_service.periods import resolve_asked
from analytics_service.sales.schemas import ExportFormat
from crm_common.db import Reads, session_of
from crm_common.errors import Forbidden, NotFound, Unauthorized, ValidationFailed, error_responses
from crm_common.web.query import QueryParameters
from crm_common.web.responses import EncodedJSON

router = APIRouter(prefix="/api/v1/analytics/funnel", tags=["analytics"])

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FUNNEL_QUERY = QueryParameters(FunnelQuery)
PIPELINES_QUERY = QueryParameters(PipelinesQuery)


@router.get(
    "",
    response_model=FunnelReport,
    responses={
        **error_responses(Unauthorized, Forbidden, NotFound, ValidationFailed),
        200: {"content": {"text/csv": {}, XLSX: {}}, "description": "The funnel as JSON, CSV or XLSX."},
    },
)
async def get_funnel(
    session: ReadSession,
    settings: Settings,
    cache: Cache,
    _: Reader,
    query: Annotated[FunnelQuery, Depends(FUNNEL_QUERY)],
) -> Any:
    """The sales funnel of one pipeline for the deals created in the period: stages, conversion, win rate, cycle
    length, open pipeline value by stage and by responsible person."""
    current, _previous = resolve_asked(query, zone=settings.zone, max_days=settings.max_report_days)
    pipeline_id, responsible_id, currency = query.pipeline_id, query.responsible_id, query.currency

    async def compute(reads: Reads) -> dict[str, Any]:
        repo = FunnelRepository(session_of(reads))
        pipelines = await repo.pipelines()
        if pipeline_id is None:
            chosen = next((p for p in pipelines if p.is_default), pipelines[0] if pipelines else None)
        else:
            chosen = next((p for p in pipelines if p.id == pipeline_id), None)
        if chosen is None:
            raise NotFound(
                f"no pipeline {pipeline_id}" if pipeline_id else "no pipelines yet: connect a CRM integration"
            )
        deals = await repo.deals(current, settings.zone, pipeline_id=chosen.id, responsible_id=responsible_id)
        report = funnel(
            (chosen.id, chosen.name),
            (current.start, current.end),
            await repo.stages(chosen.id),
            deals.get(chosen.id, []),
            currency,
        )
        return report.model_dump(mode="json")

    params = {"period": current, "pipeline": pipeline_id, "responsible": responsible_id, "currency": currency}
    body = await cache.get_or_compute_json(lambda: nullcontext(session), "funnel", params, compute, FunnelReport)
    if query.format is ExportFormat.JSON:
        return EncodedJSON(body)
    report = FunnelReport.model_validate_json(body)
    name = f"funnel_{report.pipeline_id}_{current.start.isoformat()}_{current.end.isoformat()}"
    if query.format is ExportFormat.CSV:
        return Response(
            to_csv(report),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
        )
    return Response(
        to_xlsx(report), media_type=XLSX, headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'}
    )


@router.get(
    "/pipelines", response_model=Pipelines, responses=error_responses(Unauthorized, Forbidden, ValidationFailed)
)
async def get_pipelines(
    session: ReadSession,
    settings: Settings,
    _: Reader,
    query: Annotated[PipelinesQuery, Depends(PIPELINES_QUERY)],
) -> Pipelines:
    """Every pipeline (deal category) with its deals created in the period: open, won, lost, win rate, open value."""
    current, _previous = resolve_asked(query, zone=settings.zone, max_days=settings.max_report_days)
    currency = query.currency
    repo = FunnelRepository(session)
    deals = await repo.deals(current, settings.zone)
    return Pipelines(
        start=current.start,
        end=current.end,
        currency=currency,
        items=[summary(p.id, p.name, p.is_default, deals.get(p.id, []), currency) for p in await repo.pipelines()],
    )
