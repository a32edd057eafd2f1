"""HTTP adapter of stock."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from crm_common.db import reading
from crm_common.errors import Forbidden, Unauthorized, ValidationFailed, error_responses
from crm_common.security import Permission, require_permission
from crm_common.web.pages import Offset
from crm_common.web.responses import EncodedJSON, json_response
from inventory_service.deps import settings
from inventory_service.stock import service
from inventory_service.stock.schemas import StockPage, StockQuery, StockSort, StoreTotalsPage

router = APIRouter(
    prefix="/api/v1/inventory",
    tags=["stock"],
    dependencies=[Depends(require_permission(Permission.INVENTORY_READ))],
    responses=error_responses(Unauthorized, Forbidden),
)


@dataclass(frozen=True)
class StockFilters:
    """The filters of the stock list, shared by its per-store sums."""

    store_id: Annotated[str | None, Query(min_length=1, max_length=100)] = None
    product_id: Annotated[
        str | None, Query(min_length=1, max_length=100, description="A product with its variants, or one variant")
    ] = None
    folder_id: Annotated[str | None, Query(min_length=1, max_length=100, description="Includes subfolders")] = None
    below_minimum: Annotated[bool | None, Query()] = None
    zero: Annotated[bool | None, Query(description="Stock exactly zero (true) or not zero (false)")] = None
    negative: Annotated[bool | None, Query(description="Stock below zero (true) or not (false)")] = None
    q: Annotated[str | None, Query(min_length=1, max_length=200, description="Text in name, code or article")] = None

    def query(self, request: Request, paging: Paging, sort: StockSort = StockSort.NAME) -> StockQuery:
        limit, offset = paging
        config = settings(request)
        page_size = limit if limit is not None else config.default_page_size
        if page_size > config.max_page_size:
            raise ValidationFailed(f"limit must be at most {config.max_page_size}")
        return StockQuery(
            store_id=self.store_id,
            product_id=self.product_id,
            folder_id=self.folder_id,
            below_minimum=self.below_minimum,
            zero=self.zero,
            negative=self.negative,
            text=self.q,
            sort=sort,
            limit=page_size,
            offset=offset,
        )


# As dependencies, so the documented parameters keep their order: the filters, the sort, the page.
def _sort(sort: Annotated[StockSort, Query()] = StockSort.NAME) -> StockSort:
    return sort


def _paging(limit: Annotated[int | None, Query(ge=1)] = None, offset: Offset = 0) -> tuple[int | None, int]:
    return limit, offset


Paging = Annotated[tuple[int | None, int], Depends(_paging)]


@router.get("/stock", response_model=StockPage, responses=error_responses(ValidationFailed))
async def list_stock(
    request: Request,
    filters: Annotated[StockFilters, Depends()],
    sort: Annotated[StockSort, Depends(_sort)],
    paging: Paging,
) -> EncodedJSON:
    """List stock per product or variant per store, with filters, sorting and pagination."""
    query = filters.query(request, paging, sort)
    async with reading(request) as connection:
        return json_response(await service.list_stock(connection, query))


@router.get("/stock/by-store", response_model=StoreTotalsPage, responses=error_responses(ValidationFailed))
async def stock_by_store(request: Request, filters: Annotated[StockFilters, Depends()], paging: Paging) -> EncodedJSON:
    """The stock list summed per store (quantities, value at cost, rows below their minimum), with the same
    filters; stores by name."""
    query = filters.query(request, paging)
    async with reading(request) as connection:
        return json_response(await service.stock_by_store(connection, query))
