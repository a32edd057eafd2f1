"""HTTP adapter of products: parse the query, call the use case, send its plain data encoded once (the declared
``response_model`` documents the body; crm_common.web.responses)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from catalog_service.deps import settings
from catalog_service.products import service
from catalog_service.products.schemas import ProductDetail, ProductPage, ProductQuery
from crm_common.db import reading
from crm_common.errors import Forbidden, NotFound, Unauthorized, ValidationFailed, error_responses
from crm_common.security import Permission, require_permission
from crm_common.web.pages import page_size
from crm_common.web.query import QueryParameters
from crm_common.web.responses import EncodedJSON, json_response

router = APIRouter(
    prefix="/api/v1/products",
    tags=["products"],
    dependencies=[Depends(require_permission(Permission.PRODUCTS_READ))],
    responses=error_responses(Unauthorized, Forbidden),
)
PRODUCT_QUERY = QueryParameters(ProductQuery)


@router.get("/", response_model=ProductPage, responses=error_responses(ValidationFailed))
async def list_products(request: Request, query: Annotated[ProductQuery, Depends(PRODUCT_QUERY)]) -> EncodedJSON:
    """List products, services and bundles with filters, sorting and pagination."""
    limit = page_size(query.limit, settings(request))
    if query.price_min is not None and query.price_max is not None and query.price_min > query.price_max:
        raise ValidationFailed("price_min must not exceed price_max")
    query = query.model_copy(update={"limit": limit})
    async with reading(request) as connection:
        return json_response(await service.list_products(connection, query))


@router.get("/{product_id}", response_model=ProductDetail, responses=error_responses(NotFound))
async def get_product(product_id: str, request: Request) -> EncodedJSON:
    """Show one product with its prices, variants and bundle components."""
    async with reading(request) as connection:
        return json_response(await service.get_product(connection, product_id))
