"""Funnel report responses: money as decimal strings in the report currency."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from pydantic import BaseModel, Field

from analytics_service.periods import PeriodKind
from analytics_service.sales.schemas import ExportFormat

CURRENCY = Field(default="RUB", pattern="^[A-Z]{3}$", description="Values sum the deals in this currency only.")


class FunnelQuery(BaseModel):
    """The query parameters of `GET /funnel` (crm_common.web.query)."""

    pipeline_id: str | None = Field(default=None, description="Default: the CRM's default pipeline.")
    period: PeriodKind = PeriodKind.MONTH
    date_from: date | None = None
    date_to: date | None = None
    as_of: date | None = None
    responsible_id: str | None = None
    currency: str = CURRENCY
    format: ExportFormat = ExportFormat.JSON


class PipelinesQuery(BaseModel):
    """The query parameters of `GET /funnel/pipelines` (crm_common.web.query)."""

    period: PeriodKind = PeriodKind.MONTH
    date_from: date | None = None
    date_to: date | None = None
    as_of: date | None = None
    currency: str = CURRENCY


class FunnelStage(BaseModel):
    stage_id: str
    name: str
    sort: int
    semantics: str = Field(description="`open`, `won` or `lost`.")
    current_deals: int = Field(description="Deals of the cohort at this stage now.")
    current_value: Decimal
    reached: int = Field(
        description="Deals that got this far (this stage or a later one; for a lost stage: lost here)."
    )
    conversion_to_next_percent: Decimal | None = Field(
        description="Of the deals that reached this stage, the share that reached the next one (open stages)."
    )


class ResponsibleLoad(BaseModel):
    responsible_id: str | None
    responsible_name: str | None
    open_deals: int
    open_value: Decimal


class FunnelReport(BaseModel):
    pipeline_id: str
    pipeline_name: str
    start: date
    end: date
    currency: str
    deals: int = Field(description="Deals created in the period (the cohort).")
    open: int
    won: int
    lost: int
    win_rate_percent: Decimal | None = Field(description="won / (won + lost).")
    average_cycle_days: Decimal | None = Field(description="Creation to win, averaged over the won deals.")
    open_value: Decimal
    won_value: Decimal
    other_currency_deals: int = Field(description="Deals in another currency: counted, but not in any value.")
    stages: list[FunnelStage]
    by_responsible: list[ResponsibleLoad]


class PipelineSummary(BaseModel):
    pipeline_id: str
    name: str
    is_default: bool
    deals: int
    open: int
    won: int
    lost: int
    win_rate_percent: Decimal | None
    open_value: Decimal


class Pipelines(BaseModel):
    start: date
    end: date
    currency: str
    items: list[PipelineSummary]
