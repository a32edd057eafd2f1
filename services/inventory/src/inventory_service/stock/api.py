"""HTTP adapter of stock."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from crm_common.db import reading
from crm_common.errors import Forbidden, Unauthorized, ValidationFailed, error_responses
from crm_common.security import Permission, require_permission
from crm_common.web.pages import Offset
from crm_common.web.responses import EncodedJSON, json_response
from inventory_service.deps import settings
from inventory_service.stock import service
from inventory_service.stock.schemas import StockPage, StockQuery, StockSort

router = APIRouter(
    prefix="/api/v1/inventory",
    tags=["stock"],
    dependencies=[Depends(require_permission(Permission.INVENTORY_READ))],
    responses=error_responses(Unauthorized, Forbidden),
)


@router.get("/stock", response_model=StockPage, responses=error_responses(ValidationFailed))
async def list_stock(
    request: Request,
    store_id: Annotated[str | None, Query(min_length=1, max_length=100)] = None,
    product_id: Annotated[
        str | None, Query(min_length=1, max_length=100, description="A product with its variants, or one variant")
    ] = None,
    folder_id: Annotated[str | None, Query(min_length=1, max_length=100, description="Includes subfolders")] = None,
    below_minimum: Annotated[bool | None, Query()] = None,
    zero: Annotated[bool | None, Query(description="Stock exactly zero (true) or not zero (false)")] = None,
    negative: Annotated[bool | None, Query(description="Stock below zero (true) or not (false)")] = None,
    q: Annotated[str | None, Query(min_length=1, max_length=200, description="Text in name, code or article")] = None,
    sort: Annotated[StockSort, Query()] = StockSort.NAME,
    limit: Annotated[int | None, Query(ge=1)] = None,
    offset: Offset = 0,
) -> EncodedJSON:
    """List stock per product or variant per store, with filters, sorting and pagination."""
    config = settings(request)
    page_size = limit if limit is not None else config.default_page_size
    if page_size > config.max_page_size:
        raise ValidationFailed(f"limit must be at most {config.max_page_size}")
    query = StockQuery(
        store_id=store_id,
        product_id=product_id,
        folder_id=folder_id,
        below_minimum=below_minimum,
        zero=zero,
        negative=negative,
        text=q,
        sort=sort,
        limit=page_size,
        offset=offset,
    )
    async with reading(request) as session:
        return json_response(await service.list_stock(session, query))
