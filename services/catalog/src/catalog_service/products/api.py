"""HTTP adapter of products: parse the query, call the use case, send its plain data encoded once (the declared
``response_model`` documents the body; crm_common.web.responses)."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from pydantic import AwareDatetime

from catalog_service.deps import settings
from catalog_service.products import service
from catalog_service.products.schemas import ProductDetail, ProductPage, ProductQuery, ProductSort
from crm_common.db import reading
from crm_common.errors import Forbidden, NotFound, Unauthorized, ValidationFailed, error_responses
from crm_common.events.models import ProductKind
from crm_common.security import Permission, require_permission
from crm_common.web.pages import Offset
from crm_common.web.responses import EncodedJSON, json_response

router = APIRouter(
    prefix="/api/v1/products",
    tags=["products"],
    dependencies=[Depends(require_permission(Permission.PRODUCTS_READ))],
    responses=error_responses(Unauthorized, Forbidden),
)


@router.get("/", response_model=ProductPage, responses=error_responses(ValidationFailed))
async def list_products(
    request: Request,
    kind: Annotated[ProductKind | None, Query(description="product, service or bundle")] = None,
    source: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=32,
            pattern=r"^[a-z0-9_-]+$",
            description="Only products of this source: `moysklad` or `bitrix24` (the event envelope's `source`)",
        ),
    ] = None,
    folder_id: Annotated[str | None, Query(min_length=1, max_length=100)] = None,
    include_subfolders: Annotated[bool, Query(description="With folder_id: also products of subfolders")] = True,
    archived: Annotated[bool | None, Query(description="Only archived (true) or active (false); all if absent")] = None,
    q: Annotated[
        str | None, Query(min_length=1, max_length=200, description="Text in name/code/article, or a barcode")
    ] = None,
    price_type: Annotated[str | None, Query(min_length=1, max_length=255)] = None,
    price_min: Annotated[Decimal | None, Query(ge=0, max_digits=20, decimal_places=4)] = None,
    price_max: Annotated[Decimal | None, Query(ge=0, max_digits=20, decimal_places=4)] = None,
    updated_since: Annotated[AwareDatetime | None, Query(description="ISO 8601 with offset")] = None,
    sort: Annotated[ProductSort, Query()] = ProductSort.NAME,
    limit: Annotated[int | None, Query(ge=1)] = None,
    offset: Offset = 0,
) -> EncodedJSON:
    """List products, services and bundles with filters, sorting and pagination."""
    config = settings(request)
    page_size = limit if limit is not None else config.default_page_size
    if page_size > config.max_page_size:
        raise ValidationFailed(f"limit must be at most {config.max_page_size}")
    if price_min is not None and price_max is not None and price_min > price_max:
        raise ValidationFailed("price_min must not exceed price_max")
    query = ProductQuery(
        kind=kind,
        source=source,
        folder_id=folder_id,
        include_subfolders=include_subfolders,
        archived=archived,
        text=q,
        price_type=price_type,
        price_min=price_min,
        price_max=price_max,
        updated_since=updated_since,
        sort=sort,
        limit=page_size,
        offset=offset,
    )
    async with reading(request) as connection:
        return json_response(await service.list_products(connection, query))


@router.get("/{product_id}", response_model=ProductDetail, responses=error_responses(NotFound))
async def get_product(product_id: str, request: Request) -> EncodedJSON:
    """Show one product with its prices, variants and bundle components."""
    async with reading(request) as connection:
        return json_response(await service.get_product(connection, product_id))
