"""Applying document events to the sales projection: corrections, deletes, order safety, idempotence."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from analytics_testkit import document_deleted, document_event, msk, new_id, position
from sqlalchemy import func, select

from analytics_service.checkpoints.repository import all_checkpoints
from analytics_service.dashboard.repository import DashboardRepository
from analytics_service.periods import Period
from analytics_service.sales.facts import build_facts
from analytics_service.sales.models import SalesFact
from crm_common.events.models import Document, DocumentKind
from crm_common.messaging.consumer import PoisonEvent

DAY = date(2025, 3, 10)
PERIOD = Period(DAY, DAY)
SHIPMENT = DocumentKind.SHIPMENT


async def totals(session) -> dict:  # type: ignore[no-untyped-def]
    return await DashboardRepository(session).sales_totals(PERIOD)


async def test_a_shipment_counts_as_a_sale(session, apply) -> None:  # type: ignore[no-untyped-def]
    await apply(session, document_event(SHIPMENT, new_id(), 1, msk(DAY), [position("p1", 2, 500, cost=300)]))
    t = await totals(session)
    assert (t["revenue"], t["cost"], t["profit"], t["units_sold"]) == (1000, 600, 400, 2)


async def test_the_stored_facts_are_the_built_facts_column_for_column(session, apply, settings) -> None:  # type: ignore[no-untyped-def]
    # Sums to the hundredth of a kopeck, VAT on top, a fractional quantity, a variant, a position without a cost: what
    # the batch's one-statement insert writes must read back exactly as `build_facts` made it.
    doc = new_id()
    lines = [
        position("p1", "1.5", "99.99", cost="60.05", vat=20),
        position("p2", 3, "0.33", vat=10, variant_id="v2"),
        position("p3", 1, "1234.5678", cost="0.0001", vat=0),
    ]
    event = document_event(SHIPMENT, doc, 1, msk(DAY), lines, customer="c1", vat_enabled=True, vat_included=False)
    await apply(session, event)
    expected = build_facts(event.parsed(Document), settings.zone)
    columns = list(SalesFact.__table__.columns)
    rows = (await session.execute(select(*columns).where(SalesFact.document_id == doc))).mappings().all()
    by_position = {r["position_id"]: dict(r) for r in rows}
    assert by_position == {f["position_id"]: f for f in expected}
    assert all(f["vat"] != 0 for f in expected[:2])
    assert expected[1]["assortment_kind"] == "variant"


async def test_a_newer_version_replaces_the_old_positions(session, apply) -> None:  # type: ignore[no-untyped-def]
    doc = new_id()
    await apply(session, document_event(SHIPMENT, doc, 1, msk(DAY), [position("p1", 2, 500, cost=300)]))
    await apply(session, document_event(SHIPMENT, doc, 2, msk(DAY), [position("p1", 1, 500, cost=300)]))
    t = await totals(session)
    assert (t["revenue"], t["profit"]) == (500, 200)
    assert await session.scalar(select(func.count()).select_from(SalesFact).where(SalesFact.document_id == doc)) == 1


async def test_an_older_version_arriving_late_is_ignored(session, apply) -> None:  # type: ignore[no-untyped-def]
    doc = new_id()
    await apply(session, document_event(SHIPMENT, doc, 5, msk(DAY), [position("p1", 1, 100, cost=50)]))
    await apply(session, document_event(SHIPMENT, doc, 3, msk(DAY), [position("p1", 9, 100, cost=50)]))
    assert (await totals(session))["revenue"] == 100


async def test_unposting_a_document_removes_its_sales(session, apply) -> None:  # type: ignore[no-untyped-def]
    doc = new_id()
    await apply(session, document_event(SHIPMENT, doc, 1, msk(DAY), [position("p1", 1, 100, cost=50)]))
    await apply(
        session, document_event(SHIPMENT, doc, 2, msk(DAY), [position("p1", 1, 100, cost=50)], applicable=False)
    )
    t = await totals(session)
    assert (t["revenue"], t["units_sold"]) == (0, 0)
    assert (await DashboardRepository(session).customer_totals(PERIOD))["sales_count"] == 0


async def test_deleting_a_document_removes_its_sales_and_blocks_older_versions(session, apply) -> None:  # type: ignore[no-untyped-def]
    doc = new_id()
    await apply(session, document_event(SHIPMENT, doc, 1, msk(DAY), [position("p1", 1, 100)]))
    await apply(session, document_deleted(SHIPMENT, doc, 2))
    await apply(session, document_event(SHIPMENT, doc, 1, msk(DAY), [position("p1", 1, 100)]))
    assert (await totals(session))["revenue"] == 0


async def test_moving_a_document_to_another_day_moves_its_sales(session, apply) -> None:  # type: ignore[no-untyped-def]
    doc = new_id()
    await apply(session, document_event(SHIPMENT, doc, 1, msk(DAY), [position("p1", 1, 100)], customer="c1"))
    await apply(
        session, document_event(SHIPMENT, doc, 2, msk(date(2025, 3, 11)), [position("p1", 1, 100)], customer="c1")
    )
    assert (await totals(session))["revenue"] == 0
    next_day = await DashboardRepository(session).customer_totals(Period(date(2025, 3, 11), date(2025, 3, 11)))
    assert next_day["sales_count"] == 1


async def test_returns_subtract_from_revenue_and_profit(session, apply) -> None:  # type: ignore[no-untyped-def]
    await apply(
        session,
        document_event(SHIPMENT, new_id(), 1, msk(DAY), [position("p1", 3, 100, cost=60)]),
        document_event(DocumentKind.SALES_RETURN, new_id(), 1, msk(DAY), [position("p1", 1, 100, cost=60)]),
    )
    t = await totals(session)
    assert (t["revenue"], t["profit"], t["units_sold"], t["units_returned"]) == (200, 80, 3, 1)


async def test_applying_every_event_twice_gives_the_same_numbers(session, apply) -> None:  # type: ignore[no-untyped-def]
    doc = new_id()
    events = [
        document_event(SHIPMENT, doc, 1, msk(DAY), [position("p1", 2, "99.99", cost="33.33")], customer="c1"),
        document_event(DocumentKind.RETAIL_SALE, new_id(), 1, msk(DAY), [position("p2", "1.5", 10, cost=4)]),
        document_event(SHIPMENT, doc, 2, msk(DAY), [position("p1", 3, "99.99", cost="33.33")], customer="c1"),
    ]
    for event in events:
        await apply(session, event)
        await apply(session, event)
    t = await totals(session)
    assert t["revenue"] == Decimal("314.97")
    assert t["profit"] == Decimal("314.97") - Decimal("99.99") - Decimal("6")
    assert (await DashboardRepository(session).customer_totals(PERIOD))["sales_count"] == 2


async def test_customer_orders_feed_the_orders_pipeline_not_sales(session, apply) -> None:  # type: ignore[no-untyped-def]
    await apply(session, document_event(DocumentKind.CUSTOMER_ORDER, new_id(), 1, msk(DAY), [position("p1", 1, 700)]))
    orders = await DashboardRepository(session).orders(PERIOD)
    assert (orders["orders_count"], orders["orders_amount"]) == (1, 700)
    assert (await totals(session))["revenue"] == 0


async def test_the_checkpoint_moves_in_the_same_transaction_as_the_rows(session, apply) -> None:  # type: ignore[no-untyped-def]
    before = {c.projection: c.version for c in await all_checkpoints(session)}.get("sales", 0)
    await apply(session, document_event(SHIPMENT, new_id(), 1, msk(DAY), [position("p1", 1, 1)]))
    after = {c.projection: c.version for c in await all_checkpoints(session)}["sales"]
    assert after == before + 1


async def test_a_document_whose_payload_id_differs_from_its_key_is_poison(session, apply) -> None:  # type: ignore[no-untyped-def]
    event = document_event(SHIPMENT, new_id(), 1, msk(DAY), [position("p1", 1, 1)])
    forged = event.model_copy(update={"entity_id": "other"})
    with pytest.raises(PoisonEvent):
        await apply(session, forged)
