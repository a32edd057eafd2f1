"""`GET /api/v1/analytics/customers/{id}/records`, `POST …/customers/merge` and `POST …/customers/split`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from analytics_service.customers.identity import projection
from analytics_service.customers.identity.models import CustomerDecision, CustomerMember
from analytics_service.customers.identity.repository import IdentityRepository
from analytics_service.customers.identity.schemas import (
    CustomerIdentity,
    CustomerRecord,
    DecisionOut,
    MergeRequest,
    SplitRequest,
)
from analytics_service.customers.models import CounterpartyDim
from analytics_service.deps import Reader, ReadSession, Session
from crm_common.errors import Conflict, Forbidden, NotFound, Unauthorized, ValidationFailed, error_responses
from crm_common.security.jwt import Principal
from crm_common.security.permissions import Permission, require_permission

router = APIRouter(prefix="/api/v1/analytics/customers", tags=["analytics"])
Steward = Annotated[Principal, Depends(require_permission(Permission.CUSTOMERS_WRITE))]


async def _identity(session: AsyncSession, members: list[CustomerMember]) -> CustomerIdentity:
    ids = [m.counterparty_id for m in members]
    parties = {
        p.id: p for p in (await session.execute(select(CounterpartyDim).where(CounterpartyDim.id.in_(ids)))).scalars()
    }
    decisions = await session.execute(
        select(CustomerDecision)
        .where(CustomerDecision.counterparty_id.in_(ids) | CustomerDecision.other_id.in_(ids))
        .order_by(CustomerDecision.decided_at, CustomerDecision.id)
    )
    return CustomerIdentity(
        customer_id=members[0].customer_id,
        records=[
            CustomerRecord(
                counterparty_id=m.counterparty_id,
                source=parties[m.counterparty_id].source,
                name=parties[m.counterparty_id].name,
                inn=parties[m.counterparty_id].inn,
                phone=parties[m.counterparty_id].phone,
                email=parties[m.counterparty_id].email,
                matched_by=m.matched_by,
                matched_value=m.matched_value,
            )
            for m in members
            if m.counterparty_id in parties
        ],
        decisions=[DecisionOut.model_validate(d, from_attributes=True) for d in decisions.scalars()],
    )


@router.get(
    "/{customer_id}/records",
    response_model=CustomerIdentity,
    responses=error_responses(Unauthorized, Forbidden, NotFound),
)
async def get_records(customer_id: str, session: ReadSession, _: Reader) -> CustomerIdentity:
    """The counterparties (of every source) that are this customer, why each is there, and the admins' decisions.

    ``customer_id`` may be the customer's id or the id of any of its counterparties.
    """
    members = await IdentityRepository(session).members_of(customer_id)
    if not members:
        raise NotFound(f"no customer {customer_id}")
    return await _identity(session, members)


@router.post(
    "/merge",
    response_model=CustomerIdentity,
    responses=error_responses(Unauthorized, Forbidden, NotFound, ValidationFailed),
)
async def post_merge(body: MergeRequest, session: Session, principal: Steward) -> CustomerIdentity:
    """Make these counterparties one customer, whatever their keys say; the decision outlives a projection rebuild."""
    members = await projection.merge(session, body.counterparty_ids, principal.user_id, body.reason)
    return await _identity(session, members)


@router.post(
    "/split",
    response_model=CustomerIdentity,
    responses=error_responses(Unauthorized, Forbidden, NotFound, Conflict, ValidationFailed),
)
async def post_split(body: SplitRequest, session: Session, principal: Steward) -> CustomerIdentity:
    """Take a counterparty out of the customer it was matched into: it stands alone from now on."""
    members = await projection.split(session, body.counterparty_id, principal.user_id, body.reason)
    return await _identity(session, members)
