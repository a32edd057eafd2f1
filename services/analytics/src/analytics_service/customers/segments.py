"""RFM segments over a window of business days, and one customer's profile."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from analytics_service.customers.repository import CustomerRepository
from analytics_service.customers.rfm import SEGMENTS, Scored, score
from analytics_service.customers.schemas import (
    CustomerDeal,
    CustomerProduct,
    CustomerProfile,
    ScoredCustomer,
    Segments,
    SegmentSummary,
)
from analytics_service.money import percent, qty, rub
from analytics_service.periods import Period
from crm_common.db import Reads
from crm_common.errors import NotFound, ValidationFailed

DEALS = 20  # the newest deals a profile lists


def _scored_out(s: Scored, names: dict[str, str]) -> ScoredCustomer:
    return ScoredCustomer(
        customer_id=s.stats.customer_id,
        name=names.get(s.stats.customer_id),
        segment=s.segment.code,
        recency_days=s.recency_days,
        frequency=s.stats.frequency,
        monetary=rub(s.stats.monetary),
        r=s.r,
        f=s.f,
        m=s.m,
    )


async def segments(session: Reads, window: Period, *, segment: str | None, limit: int, offset: int) -> dict[str, Any]:
    if segment is not None and segment not in SEGMENTS:
        raise ValidationFailed(f"unknown segment {segment!r}; known: {', '.join(SEGMENTS)}")
    repo = CustomerRepository(session)
    scored = score(await repo.stats(window), window.end)
    total_revenue = sum((s.stats.monetary for s in scored), Decimal(0))
    summaries = []
    for code, seg in SEGMENTS.items():
        members = [s for s in scored if s.segment.code == code]
        revenue = sum((s.stats.monetary for s in members), Decimal(0))
        summaries.append(
            SegmentSummary(
                code=code,
                name_ru=seg.name_ru,
                name_en=seg.name_en,
                customers=len(members),
                revenue=rub(revenue),
                revenue_share_percent=percent(revenue, total_revenue),
            )
        )
    chosen = sorted(
        (s for s in scored if s.segment.code == segment), key=lambda s: (-s.stats.monetary, s.stats.customer_id)
    )
    page = chosen[offset : offset + limit]
    names = await repo.names([s.stats.customer_id for s in page])
    return Segments(
        start=window.start,
        end=window.end,
        customers_total=len(scored),
        segments=summaries,
        segment=segment,
        total=len(chosen),
        customers=[_scored_out(s, names) for s in page],
    ).model_dump(mode="json")


async def profile(session: AsyncSession, requested_id: str, window: Period, top: int) -> dict[str, Any]:
    """One customer (asked for by its id or any of its counterparties' ids) over every source it comes from."""
    repo = CustomerRepository(session)
    customer_id, counterparty_ids = await repo.member_ids(requested_id)
    counterparty = await repo.counterparty(customer_id)
    life = await repo.lifetime(counterparty_ids)
    if (counterparty is None or counterparty.deleted) and not life["days"]:
        raise NotFound(f"customer {customer_id!r} not found")
    scored = {s.stats.customer_id: s for s in score(await repo.stats(window), window.end)}
    mine = scored.get(customer_id)
    names = {customer_id: counterparty.name} if counterparty else {}
    sales_count = int(life["sales_count"])
    return CustomerProfile(
        customer_id=customer_id,
        name=counterparty.name if counterparty else None,
        email=counterparty.email if counterparty else None,
        phone=counterparty.phone if counterparty else None,
        first_purchase=life["first_purchase"],
        last_purchase=life["last_purchase"],
        sales_count=sales_count,
        returns_count=int(life["returns_count"]),
        revenue=rub(life["revenue"]),
        profit=rub(life["profit"]),
        average_check=rub(Decimal(life["revenue"]) / sales_count) if sales_count else None,
        rfm=_scored_out(mine, names) if mine else None,
        segment_name_ru=mine.segment.name_ru if mine else None,
        segment_name_en=mine.segment.name_en if mine else None,
        top_products=[
            CustomerProduct(
                assortment_id=r["assortment_id"], name=r["name"], quantity=qty(r["quantity"]), revenue=rub(r["revenue"])
            )
            for r in await repo.top_products(counterparty_ids, top)
        ],
        deals=[
            CustomerDeal(**{**row, "amount": rub(row["amount"])}) for row in await repo.deals(counterparty_ids, DEALS)
        ],
        counterparty_ids=counterparty_ids,
    ).model_dump(mode="json")
