"""Sales report parameters and rows."""

from __future__ import annotations

import enum
from datetime import date
from decimal import Decimal

from pydantic import BaseModel


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
