"""Dashboard response models. Money is a decimal string rounded to the kopeck; percentages may be null."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from pydantic import BaseModel, Field

from analytics_service.periods import PeriodKind


class DashboardQuery(BaseModel):
    """The query parameters of `GET /dashboard` (crm_common.web.query)."""

    period: PeriodKind = PeriodKind.TODAY
    date_from: date | None = None
    date_to: date | None = None
    as_of: date | None = Field(default=None, description="Treat this business day as today.")
    top: int = Field(default=10, ge=1, le=100)


class PeriodOut(BaseModel):
    start: date
    end: date


class Metrics(BaseModel):
    revenue: Decimal
    vat: Decimal
    cost: Decimal
    profit: Decimal
    margin_percent: Decimal | None
    sales_count: int
    returns_count: int
    orders_count: int
    orders_amount: Decimal
    average_check: Decimal | None
    units_sold: Decimal
    units_returned: Decimal
    customers: int
    new_customers: int
    returning_customers: int


class TopProduct(BaseModel):
    assortment_id: str
    product_id: str
    name: str | None
    quantity: Decimal
    revenue: Decimal
    profit: Decimal


class TopCustomer(BaseModel):
    customer_id: str
    name: str | None
    sales_count: int
    revenue: Decimal
    profit: Decimal


class StockSummary(BaseModel):
    value_at_cost: Decimal
    value_at_sale_price: Decimal
    low_stock_count: int


class Dashboard(BaseModel):
    period: PeriodOut
    previous_period: PeriodOut
    current: Metrics
    previous: Metrics
    change_percent: dict[str, Decimal | None]
    top_products: list[TopProduct]
    top_customers: list[TopCustomer]
    stock: StockSummary
