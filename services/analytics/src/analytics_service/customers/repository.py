"""Customer SQL over the daily customer roll-up, the facts and the counterparty dimension."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import and_, func, or_, select

from analytics_service.catalog.models import ProductDim, VariantDim
from analytics_service.customers.identity.models import CustomerMember
from analytics_service.customers.identity.repository import IdentityRepository
from analytics_service.customers.models import CounterpartyDim
from analytics_service.customers.rfm import CustomerStats
from analytics_service.funnel.models import DealRow, PipelineStageRow
from analytics_service.periods import Period
from analytics_service.sales.models import SalesDailyCustomer, SalesFact
from crm_common.db import Reads, session_of


class CustomerRepository:
    def __init__(self, session: Reads) -> None:
        self.session = session

    async def stats(self, window: Period) -> list[CustomerStats]:
        """Each customer's purchases in ``window``: the counterparties that are one customer count together."""
        c = SalesDailyCustomer
        customer = func.coalesce(CustomerMember.customer_id, c.customer_id).label("customer")
        rows = await self.session.execute(
            select(
                customer,
                func.max(c.business_day).filter(c.sales_docs > 0).label("last_day"),
                func.sum(c.sales_docs).label("frequency"),
                func.sum(c.revenue).label("monetary"),
            )
            .outerjoin(CustomerMember, CustomerMember.counterparty_id == c.customer_id)
            .where(c.business_day.between(window.start, window.end), c.customer_id != "")
            .group_by(customer)
            .having(func.sum(c.sales_docs) > 0)
            .order_by(customer)
        )
        return [CustomerStats(r.customer, r.last_day, int(r.frequency), Decimal(r.monetary)) for r in rows]

    async def member_ids(self, customer_or_counterparty_id: str) -> tuple[str, list[str]]:
        """(the customer's id, the counterparties that are it); a counterparty without membership is its own."""
        members = await IdentityRepository(session_of(self.session)).members_of(customer_or_counterparty_id)
        if not members:
            return customer_or_counterparty_id, [customer_or_counterparty_id]
        return members[0].customer_id, [m.counterparty_id for m in members]

    async def names(self, ids: list[str]) -> dict[str, str]:
        if not ids:
            return {}
        rows = await self.session.execute(
            select(CounterpartyDim.id, CounterpartyDim.name).where(CounterpartyDim.id.in_(ids))
        )
        return {k: v for k, v in rows}

    async def counterparty(self, customer_id: str) -> CounterpartyDim | None:
        return await session_of(self.session).get(CounterpartyDim, customer_id)

    async def lifetime(self, counterparty_ids: list[str]) -> dict[str, Any]:
        c = SalesDailyCustomer
        row = (
            await self.session.execute(
                select(
                    func.min(c.business_day).filter(c.sales_docs > 0).label("first_purchase"),
                    func.max(c.business_day).filter(c.sales_docs > 0).label("last_purchase"),
                    func.coalesce(func.sum(c.sales_docs), 0).label("sales_count"),
                    func.coalesce(func.sum(c.return_docs), 0).label("returns_count"),
                    func.coalesce(func.sum(c.revenue), 0).label("revenue"),
                    func.coalesce(func.sum(c.cost), 0).label("cost"),
                    func.coalesce(func.sum(c.profit), 0).label("profit"),
                    func.count().label("days"),
                ).where(c.customer_id.in_(counterparty_ids))
            )
        ).one()
        return dict(row._mapping)

    async def deals(self, counterparty_ids: list[str], limit: int) -> list[dict[str, Any]]:
        """The live deals (of a CRM) whose company or contact is one of ``counterparty_ids``, newest first."""
        d, s = DealRow, PipelineStageRow
        rows = await self.session.execute(
            select(
                d.id.label("deal_id"),
                d.title,
                d.pipeline_id,
                d.stage_id,
                s.name.label("stage_name"),
                d.stage_semantics.label("semantics"),
                d.amount,
                d.currency,
                d.created_at,
                d.closed_at,
            )
            .outerjoin(s, and_(s.pipeline_id == d.pipeline_id, s.stage_id == d.stage_id))
            .where(d.deleted.is_(False), or_(d.company_id.in_(counterparty_ids), d.contact_id.in_(counterparty_ids)))
            .order_by(d.created_at.desc().nulls_last(), d.id)
            .limit(limit)
        )
        return [dict(r._mapping) for r in rows]

    async def top_products(self, counterparty_ids: list[str], limit: int) -> list[dict[str, Any]]:
        f = SalesFact
        name = func.coalesce(VariantDim.name, ProductDim.name)
        rows = await self.session.execute(
            select(
                f.assortment_id,
                func.max(name).label("name"),
                func.sum(f.quantity).label("quantity"),
                func.sum(f.revenue).label("revenue"),
            )
            .outerjoin(VariantDim, VariantDim.id == f.assortment_id)
            .outerjoin(ProductDim, ProductDim.id == f.product_id)
            .where(f.customer_id.in_(counterparty_ids))
            .group_by(f.assortment_id)
            .order_by(func.sum(f.revenue).desc(), f.assortment_id)
            .limit(limit)
        )
        return [dict(r._mapping) for r in rows]
