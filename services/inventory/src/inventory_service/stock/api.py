"""HTTP adapter of stock."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from crm_common.db import reading
from crm_common.errors import Forbidden, Unauthorized, ValidationFailed, error_responses
from crm_common.security import Permission, require_permission
from crm_common.web.pages import page_size
from crm_common.web.query import QueryParameters
from crm_common.web.responses import EncodedJSON, json_response
from inventory_service.deps import settings
from inventory_service.stock import service
from inventory_service.stock.schemas import StockPage, StockQuery, StoreTotalsPage, StoreTotalsQuery

router = APIRouter(
    prefix="/api/v1/inventory",
    tags=["stock"],
    dependencies=[Depends(require_permission(Permission.INVENTORY_READ))],
    responses=error_responses(Unauthorized, Forbidden),
)


STOCK_QUERY = QueryParameters(StockQuery)
STORE_TOTALS_QUERY = QueryParameters(StoreTotalsQuery)


@router.get("/stock", response_model=StockPage, responses=error_responses(ValidationFailed))
async def list_stock(request: Request, query: Annotated[StockQuery, Depends(STOCK_QUERY)]) -> EncodedJSON:
    """List stock per product or variant per store, with filters, sorting and pagination."""
    query = query.model_copy(update={"limit": page_size(query.limit, settings(request))})
    async with reading(request) as connection:
        return json_response(await service.list_stock(connection, query))


@router.get("/stock/by-store", response_model=StoreTotalsPage, responses=error_responses(ValidationFailed))
async def stock_by_store(
    request: Request, totals: Annotated[StoreTotalsQuery, Depends(STORE_TOTALS_QUERY)]
) -> EncodedJSON:
    """The stock list summed per store (quantities, value at cost, rows below their minimum), with the same
    filters; stores by name."""
    query = StockQuery.model_validate(
        {**totals.model_dump(by_alias=True), "limit": page_size(totals.limit, settings(request))}
    )
    async with reading(request) as connection:
        return json_response(await service.stock_by_store(connection, query))
