"""HTTP adapter of minimum-stock thresholds: read with `inventory:read`, change with `inventory:write`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, status
from sqlalchemy.ext.asyncio import AsyncSession

from crm_common.errors import Forbidden, NotFound, Unauthorized, error_responses
from crm_common.security import Permission, Principal, require_permission
from crm_common.web.query import QueryParameters
from inventory_service.alerts import service
from inventory_service.alerts.schemas import (
    ThresholdIn,
    ThresholdList,
    ThresholdOut,
    ThresholdsQuery,
    ThresholdStoreQuery,
)
from inventory_service.deps import read_session, write_session

router = APIRouter(
    prefix="/api/v1/inventory/thresholds", tags=["thresholds"], responses=error_responses(Unauthorized, Forbidden)
)

Reader = Annotated[Principal, Depends(require_permission(Permission.INVENTORY_READ))]
Writer = Annotated[Principal, Depends(require_permission(Permission.INVENTORY_WRITE))]
THRESHOLDS_QUERY = QueryParameters(ThresholdsQuery)
THRESHOLD_STORE_QUERY = QueryParameters(ThresholdStoreQuery)


@router.get("/", response_model=ThresholdList)
async def list_thresholds(
    _: Reader,
    session: Annotated[AsyncSession, Depends(read_session)],
    query: Annotated[ThresholdsQuery, Depends(THRESHOLDS_QUERY)],
) -> ThresholdList:
    """List minimum-stock thresholds set through the API."""
    return await service.list_thresholds(session, query.assortment_id, query.limit, query.offset)


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
    query: Annotated[ThresholdStoreQuery, Depends(THRESHOLD_STORE_QUERY)],
) -> None:
    """Remove a threshold; the source's minimum stock applies again."""
    await service.delete_threshold(session, assortment_id, query.store_id)
