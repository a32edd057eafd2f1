"""HTTP adapter of folders."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from catalog_service.folders import service
from catalog_service.folders.schemas import FolderTree
from crm_common.db import reading
from crm_common.errors import Forbidden, Unauthorized, error_responses
from crm_common.security import Permission, require_permission
from crm_common.web.responses import EncodedJSON, json_response

router = APIRouter(
    prefix="/api/v1/products/folders",
    tags=["folders"],
    dependencies=[Depends(require_permission(Permission.PRODUCTS_READ))],
    responses=error_responses(Unauthorized, Forbidden),
)


@router.get("/", response_model=FolderTree)
async def folder_tree(request: Request) -> EncodedJSON:
    """Show the product folder tree."""
    async with reading(request) as connection:
        return json_response(await service.folder_tree(connection))
