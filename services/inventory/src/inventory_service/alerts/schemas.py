"""What the thresholds API accepts and returns."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, Field

from crm_common.web.pages import OffsetField
from crm_common.web.types import DecimalStr


class ThresholdsQuery(BaseModel):
    """The query parameters of `GET /thresholds/` (crm_common.web.query)."""

    assortment_id: str | None = Field(default=None, min_length=1, max_length=100)
    limit: int = Field(default=100, ge=1, le=500)
    offset: OffsetField = 0


class ThresholdStoreQuery(BaseModel):
    """The query parameter of `DELETE /thresholds/{assortment_id}` (crm_common.web.query)."""

    store_id: str | None = Field(
        default=None, min_length=1, max_length=100, description="Absent: the every-store threshold"
    )


class ThresholdIn(BaseModel):
    minimum: Decimal = Field(ge=0, max_digits=20, decimal_places=4, description="Alert when stock falls below this.")
    store_id: str | None = Field(default=None, min_length=1, max_length=100, description="Absent: every store.")


class ThresholdOut(BaseModel):
    assortment_id: str
    store_id: str | None = Field(description="Null when the threshold holds for every store.")
    minimum: DecimalStr
    updated_by: str
    updated_at: datetime


class ThresholdList(BaseModel):
    items: list[ThresholdOut]
    limit: int
    offset: int
