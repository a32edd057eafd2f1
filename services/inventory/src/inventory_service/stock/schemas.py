"""What the stock API accepts and returns."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from crm_common.events.models import AssortmentKind
from crm_common.web.pages import OffsetField, Page
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


class StockFilters(BaseModel):
    """The filters of the stock list, shared by its per-store sums (query parameters: crm_common.web.query; `text` is
    the `q` parameter)."""

    model_config = ConfigDict(frozen=True, validate_by_name=True)

    store_id: str | None = Field(default=None, min_length=1, max_length=100)
    product_id: str | None = Field(
        default=None, min_length=1, max_length=100, description="A product with its variants, or one variant"
    )
    folder_id: str | None = Field(default=None, min_length=1, max_length=100, description="Includes subfolders")
    below_minimum: bool | None = None
    zero: bool | None = Field(default=None, description="Stock exactly zero (true) or not zero (false)")
    negative: bool | None = Field(default=None, description="Stock below zero (true) or not (false)")
    text: str | None = Field(
        default=None, alias="q", min_length=1, max_length=200, description="Text in name, code or article"
    )


# Each model declares its page itself: a subclass's fields come after its base's, and the parameters keep their
# documented order (the filters, the sort, the page).


class StockQuery(StockFilters):
    """The query parameters of `GET /stock`, and what both stock use cases take (the per-store sums ignore the sort).
    The use cases need `limit`: the route sets it, absent from the query, to the service's default page size."""

    sort: StockSort = StockSort.NAME
    limit: int | None = Field(default=None, ge=1)
    offset: OffsetField = 0


class StoreTotalsQuery(StockFilters):
    """The query parameters of `GET /stock/by-store`: the stock list's, without a sort (stores by name)."""

    limit: int | None = Field(default=None, ge=1)
    offset: OffsetField = 0


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
