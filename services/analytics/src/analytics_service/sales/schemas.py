"""Sales report parameters and rows."""

from __future__ import annotations

import enum
from datetime import date
from decimal import Decimal

from pydantic import BaseModel, Field

from analytics_service.periods import PeriodKind
from crm_common.web.pages import OffsetField


class TimeGrouping(enum.StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    NONE = "none"


class Dimension(enum.StrEnum):
    PRODUCT = "product"
    FOLDER = "folder"
    CUSTOMER = "customer"
    STORE = "store"
    NONE = "none"


class SortField(enum.StrEnum):
    REVENUE = "revenue"
    PROFIT = "profit"
    QUANTITY = "quantity"
    BUCKET = "bucket"
    KEY = "key"


class ExportFormat(enum.StrEnum):
    JSON = "json"
    CSV = "csv"
    XLSX = "xlsx"


class SalesQuery(BaseModel):
    """The query parameters of `GET /sales/report` (crm_common.web.query)."""

    period: PeriodKind = PeriodKind.MONTH
    date_from: date | None = None
    date_to: date | None = None
    as_of: date | None = None
    group_by_time: TimeGrouping = TimeGrouping.DAY
    group_by: Dimension = Dimension.NONE
    product_id: str | None = None
    folder_id: str | None = None
    customer_id: str | None = None
    store_id: str | None = None
    organization_id: str | None = None
    sort: SortField = SortField.BUCKET
    direction: str = Field(default="asc", pattern="^(asc|desc)$")
    limit: int = Field(default=100, ge=1, le=5000)
    offset: OffsetField = 0
    format: ExportFormat = ExportFormat.JSON


class ReportFilters(BaseModel):
    product_id: str | None = None
    folder_id: str | None = None
    customer_id: str | None = None
    store_id: str | None = None
    organization_id: str | None = None


class ReportRow(BaseModel):
    bucket: date | None
    key: str | None
    name: str | None
    documents: int
    quantity: Decimal
    revenue: Decimal
    vat: Decimal
    cost: Decimal
    profit: Decimal
    margin_percent: Decimal | None


class ReportTotals(BaseModel):
    documents: int
    quantity: Decimal
    revenue: Decimal
    vat: Decimal
    cost: Decimal
    profit: Decimal
    margin_percent: Decimal | None


class SalesReport(BaseModel):
    start: date
    end: date
    group_by_time: TimeGrouping
    group_by: Dimension
    total_rows: int
    rows: list[ReportRow]
    totals: ReportTotals
