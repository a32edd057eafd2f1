"""What the stock API accepts and returns."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field

from crm_common.events.models import AssortmentKind
from crm_common.web.pages import Page
from crm_common.web.types import DecimalStr

# Quantities and money leave the API as exact decimal strings, never JSON floats
# (docs/architecture.md, "Money, time, quantities").


class StockSort(StrEnum):
    """A field to sort by; a leading `-` sorts descending."""

    NAME = "name"
    NAME_DESC = "-name"
    STORE = "store"
    STORE_DESC = "-store"
    STOCK = "stock"
    STOCK_DESC = "-stock"
    AVAILABLE = "available"
    AVAILABLE_DESC = "-available"
    AS_OF = "as_of"
    AS_OF_DESC = "-as_of"

    @property
    def field(self) -> str:
        return self.value.lstrip("-")

    @property
    def descending(self) -> bool:
        return self.value.startswith("-")


@dataclass(frozen=True)
class StockQuery:
    store_id: str | None = None
    product_id: str | None = None
    folder_id: str | None = None
    below_minimum: bool | None = None
    zero: bool | None = None
    negative: bool | None = None
    text: str | None = None
    sort: StockSort = StockSort.NAME
    limit: int = 50
    offset: int = 0


class StockItem(BaseModel):
    id: str = Field(description="`<assortment_id>:<store_id>`")
    assortment_id: str
    assortment_kind: AssortmentKind
    product_id: str
    name: str | None = Field(description="Name of the product or variant, if the inventory has seen it yet.")
    code: str | None
    article: str | None
    folder_id: str | None
    store_id: str
    store_name: str | None
    stock: DecimalStr
    reserve: DecimalStr
    in_transit: DecimalStr
    available: DecimalStr
    unit_cost: DecimalStr | None
    minimum: DecimalStr | None = Field(description="Effective minimum: API threshold, else the source's minimum.")
    below_minimum: bool
    as_of: datetime


class StockPage(Page[StockItem]):
    pass


class StoreTotals(BaseModel):
    """The sums of the stock list's rows of one store (the same filters)."""

    store_id: str
    store_name: str | None
    levels: int = Field(description="Rows of the stock list in this store.")
    stock: DecimalStr
    reserve: DecimalStr
    in_transit: DecimalStr
    available: DecimalStr
    value_at_cost: DecimalStr = Field(description="Sum of stock × unit cost over the rows that have a unit cost.")
    without_cost: int = Field(description="Rows with no unit cost (left out of `value_at_cost`).")
    below_minimum: int = Field(description="Rows below their effective minimum.")


class StoreTotalsPage(Page[StoreTotals]):
    pass
