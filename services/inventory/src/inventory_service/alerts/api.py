"""HTTP adapter of minimum-stock thresholds: read with `inventory:read`, change with `inventory:write`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, status
from sqlalchemy.ext.asyncio import AsyncSession

from crm_common.errors import Forbidden, NotFound, Unauthorized, error_responses
from crm_common.security import Permission, Principal, require_permission
from crm_common.web.pages import Offset
from inventory_service.alerts import service
from inventory_service.alerts.schemas import ThresholdIn, ThresholdList, ThresholdOut
from inventory_service.deps import read_session, write_session

router = APIRouter(
    prefix="/api/v1/inventory/thresholds", tags=["thresholds"], responses=error_responses(Unauthorized, Forbidden)
)

Reader = Annotated[Principal, Depends(require_permission(Permission.INVENTORY_READ))]
Writer = Annotated[Principal, Depends(require_permission(Permission.INVENTORY_WRITE))]
StoreParam = Annotated[str | None, Query(min_length=1, max_length=100, description="Absent: the every-store threshold")]


@router.get("/", response_model=ThresholdList)
async def list_thresholds(
    _: Reader,
    session: Annotated[AsyncSession, Depends(read_session)],
    assortment_id: Annotated[str | None, Query(min_length=1, max_length=100)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Offset = 0,
) -> ThresholdList:
    """List minimum-stock thresholds set through the API."""
    return await service.list_thresholds(session, assortment_id, limit, offset)


@router.put("/{assortment_id}", response_model=ThresholdOut)
async def set_threshold(
    assortment_id: str,
    body: ThresholdIn,
    principal: Writer,
    session: Annotated[AsyncSession, Depends(write_session, scope="function")],
) -> ThresholdOut:
    """Set the minimum stock of a product or variant, in one store or in every store."""
    return await service.set_threshold(session, assortment_id, body.store_id, body.minimum, principal.user_id)


@router.delete("/{assortment_id}", status_code=status.HTTP_204_NO_CONTENT, responses=error_responses(NotFound))
async def delete_threshold(
    assortment_id: str,
    _: Writer,
    session: Annotated[AsyncSession, Depends(write_session, scope="function")],
    store_id: StoreParam = None,
) -> None:
    """Remove a threshold; the source's minimum stock applies again."""
    await service.delete_threshold(session, assortment_id, store_id)
