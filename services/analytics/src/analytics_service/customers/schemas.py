"""Customer segment and profile responses."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from pydantic import BaseModel, Field

from crm_common.web.pages import OffsetField


class SegmentsQuery(BaseModel):
    """The query parameters of `GET /customers/segments` (crm_common.web.query)."""

    window_days: int = Field(default=365, ge=7, le=1100)
    as_of: date | None = None
    segment: str | None = Field(default=None, description="List the customers of this segment code.")
    limit: int = Field(default=100, ge=1, le=5000)
    offset: OffsetField = 0


class ProfileQuery(BaseModel):
    """The query parameters of `GET /customers/{customer_id}` (crm_common.web.query)."""

    window_days: int = Field(default=365, ge=7, le=1100)
    as_of: date | None = None
    top: int = Field(default=10, ge=1, le=100)


class SegmentSummary(BaseModel):
    code: str
    name_ru: str
    name_en: str
    customers: int
    revenue: Decimal
    revenue_share_percent: Decimal | None


class ScoredCustomer(BaseModel):
    customer_id: str
    name: str | None
    segment: str
    recency_days: int
    frequency: int
    monetary: Decimal
    r: int
    f: int
    m: int


class Segments(BaseModel):
    start: date
    end: date
    customers_total: int
    segments: list[SegmentSummary]
    segment: str | None
    total: int
    customers: list[ScoredCustomer]


class CustomerProduct(BaseModel):
    assortment_id: str
    name: str | None
    quantity: Decimal
    revenue: Decimal


class CustomerDeal(BaseModel):
    deal_id: str
    title: str
    pipeline_id: str
    stage_id: str
    stage_name: str | None
    semantics: str
    amount: Decimal
    currency: str
    created_at: datetime | None
    closed_at: datetime | None


class CustomerProfile(BaseModel):
    customer_id: str
    name: str | None
    email: str | None
    phone: str | None
    first_purchase: date | None
    last_purchase: date | None
    sales_count: int
    returns_count: int
    revenue: Decimal
    profit: Decimal
    average_check: Decimal | None
    rfm: ScoredCustomer | None
    segment_name_ru: str | None
    segment_name_en: str | None
    top_products: list[CustomerProduct]
    deals: list[CustomerDeal] = Field(
        description="The customer's deals from a CRM (the funnel, not revenue), newest first."
    )
    counterparty_ids: list[str] = Field(
        description="The counterparties (of every source) that are this customer; `…/records` says why."
    )
