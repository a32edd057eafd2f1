"""HTTP adapter of stores."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from crm_common.db import reading
from crm_common.errors import Forbidden, Unauthorized, ValidationFailed, error_responses
from crm_common.security import Permission, require_permission
from crm_common.web.pages import Offset
from crm_common.web.responses import EncodedJSON, json_response
from inventory_service.deps import settings
from inventory_service.stores import service
from inventory_service.stores.schemas import StorePage

router = APIRouter(
    prefix="/api/v1/inventory",
    tags=["stores"],
    dependencies=[Depends(require_permission(Permission.INVENTORY_READ))],
    responses=error_responses(Unauthorized, Forbidden),
)


@router.get("/stores", response_model=StorePage, responses=error_responses(ValidationFailed))
async def list_stores(
    request: Request,
    archived: Annotated[bool | None, Query()] = None,
    limit: Annotated[int | None, Query(ge=1)] = None,
    offset: Offset = 0,
) -> EncodedJSON:
    """List stores (warehouses)."""
    config = settings(request)
    page_size = limit if limit is not None else config.default_page_size
    if page_size > config.max_page_size:
        raise ValidationFailed(f"limit must be at most {config.max_page_size}")
    async with reading(request) as connection:
        return json_response(await service.list_stores(connection, archived=archived, limit=page_size, offset=offset))
