"""HTTP adapter of stores."""

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
from inventory_service.stores import service
from inventory_service.stores.schemas import StorePage, StoresQuery

router = APIRouter(
    prefix="/api/v1/inventory",
    tags=["stores"],
    dependencies=[Depends(require_permission(Permission.INVENTORY_READ))],
    responses=error_responses(Unauthorized, Forbidden),
)
STORES_QUERY = QueryParameters(StoresQuery)


@router.get("/stores", response_model=StorePage, responses=error_responses(ValidationFailed))
async def list_stores(request: Request, query: Annotated[StoresQuery, Depends(STORES_QUERY)]) -> EncodedJSON:
    """List stores (warehouses)."""
    limit = page_size(query.limit, settings(request))
    async with reading(request) as connection:
        return json_response(
            await service.list_stores(connection, archived=query.archived, limit=limit, offset=query.offset)
        )
