"""Inventory report rows."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from pydantic import BaseModel, Field

from crm_common.web.pages import OffsetField


class InventoryQuery(BaseModel):
    """The query parameters of `GET /inventory/report` (crm_common.web.query)."""

    window_days: int = Field(default=90, ge=7, le=1100, description="Days of sales the analysis looks at.")
    as_of: date | None = Field(default=None, description="Last business day of the window (default today).")
    store_id: str | None = None
    sort: str = "value_at_cost"
    direction: str = Field(default="desc", pattern="^(asc|desc)$")
    limit: int = Field(default=100, ge=1, le=5000)
    offset: OffsetField = 0


class InventoryItem(BaseModel):
    assortment_id: str
    product_id: str
    name: str | None
    stock: Decimal
    value_at_cost: Decimal
    value_at_sale_price: Decimal
    sold_quantity: Decimal
    revenue: Decimal
    profit: Decimal
    turnover: Decimal | None
    days_of_cover: Decimal | None
    last_sale_day: date | None
    dead_stock: bool
    abc_revenue: str
    abc_profit: str
    xyz: str
    demand_cv: Decimal | None


class InventorySummary(BaseModel):
    items: int
    value_at_cost: Decimal
    value_at_sale_price: Decimal
    dead_stock_items: int
    dead_stock_value_at_cost: Decimal
    abc_revenue: dict[str, int]
    abc_profit: dict[str, int]
    xyz: dict[str, int]


class InventoryReport(BaseModel):
    start: date
    end: date
    dead_stock_days: int
    summary: InventorySummary
    total_items: int
    items: list[InventoryItem]
