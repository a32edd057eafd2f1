"""Events reach the projection tables three ways (one at a time, in consumer batches, and the rebuild's bulk load);
all three must leave identical rows, and the sales report must give the same answer from a roll-up as from the facts.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from analytics_testkit import (
    _event,
    customer_event,
    deal_deleted,
    deal_event,
    document_deleted,
    document_event,
    folder_event,
    msk,
    new_id,
    pipeline_event,
    position,
    product_event,
    stock_event,
)
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from analytics_service.consumers import register
from analytics_service.db import SCHEMA
from analytics_service.periods import Period
from analytics_service.pipeline.batch import ProjectionBatch
from analytics_service.pipeline.bulk import BulkLoader
from analytics_service.pipeline.rebuild import create_projection_schema, prepare_schema
from analytics_service.sales import report as report_module
from analytics_service.sales.report import FACTS, Plan, sales_report
from analytics_service.sales.schemas import Dimension, ReportFilters, TimeGrouping
from analytics_service.settings import AnalyticsSettings
from crm_common.db import create_engine, session_factory
from crm_common.events import topics
from crm_common.events.envelope import EventEnvelope
from crm_common.events.models import Deleted, DocumentKind
from crm_common.messaging.broker import make_broker
from crm_testing import test_database_url

SHIP, RETAIL, RETURN, ORDER = (
    DocumentKind.SHIPMENT,
    DocumentKind.RETAIL_SALE,
    DocumentKind.SALES_RETURN,
    DocumentKind.CUSTOMER_ORDER,
)
COMPARED = (
    "documents",
    "sales_facts",
    "sales_daily_products",
    "sales_daily_customers",
    "sales_daily_documents",
    "sales_daily_totals",
    "sales_monthly_products",
    "sales_monthly_customers",
    "sales_customer_firsts",
    "products",
    "counterparties",
    "stock_levels",
    "customer_keys",
    "customer_members",
    "pipelines",
    "pipeline_stages",
    "deals",
    "deal_stages",
)
DAY = date(2025, 4, 7)


def tricky_events() -> list[EventEnvelope]:
    """Corrections, deletes, late older versions, copies and same-batch create-then-delete."""
    a, b, c, d, e = (new_id() for _ in range(5))
    events = [
        product_event("p1", 1, "Чайник", folder="f1"),
        document_event(
            SHIP,
            a,
            1,
            msk(DAY),
            [position("p1", 2, "100.10", cost="60.05"), position("p2", 1, 50, cost=20, vat=20)],
            customer="c1",
            vat_enabled=True,
        ),
        product_event("p1", 2, "Чайник большой", folder="f1"),
        document_event(SHIP, a, 2, msk(DAY + timedelta(days=1)), [position("p1", 3, "100.10", cost="60.05")]),
        document_event(RETAIL, b, 1, msk(DAY), [position("p2", "1.5", 40, cost=25)], customer="c2"),
        document_deleted(RETAIL, b, 2),
        document_event(RETAIL, b, 1, msk(DAY), [position("p2", 9, 40)], customer="c2"),  # older than the delete
        document_event(SHIP, c, 1, msk(DAY), [position("p3", 1, 10, cost=5)], applicable=False, customer="c1"),
        document_event(SHIP, c, 2, msk(DAY), [position("p3", 1, 10, cost=5)], customer="c1", store="store-2"),
        document_event(SHIP, d, 5, msk(DAY), [position("p1", 1, "99.99", cost=50)], customer="c2"),
        document_event(SHIP, d, 3, msk(DAY), [position("p1", 7, "99.99", cost=50)], customer="c2"),  # older
        document_event(RETURN, new_id(), 1, msk(DAY), [position("p1", 1, "100.10", cost="60.05")], customer="c1"),
        document_event(ORDER, new_id(), 1, msk(DAY), [position("p1", 1, 100)], customer="c1"),
        document_event(SHIP, e, 1, msk(DAY), [position("p2", 2, 30, cost=10)], customer="c3"),
        document_deleted(SHIP, e, 2),
        product_event("p9", 1, "Снят с продажи"),
        _deleted_product("p9", 2),
        stock_event("p1", "store-1", 2, 7, unit_cost=60),
        stock_event("p1", "store-1", 1, 10, unit_cost=60),  # older
        customer_event("c1", 1, "ООО Ромашка"),
        # one customer across sources: c2 and c3 share a phone until c3 changes it (and a late older c3 comes)
        customer_event("c2", 1, "Иван Петров", phones=["+7 (900) 000-00-01"]),
        customer_event("c3", 1, "Петров Иван", phones=["8 (900) 000-00-01"], emails=["IVAN@example.ru"]),
        customer_event("c3", 3, "Петров Иван", phones=["+79000000009"]),
        customer_event("c4", 1, "Иван (опт)", emails=["ivan@example.ru"]),
        customer_event("c3", 2, "Петров Иван", phones=["8 (900) 000-00-01"]),  # older
        # the funnel: a renamed pipeline (and its late older version), a deal corrected, one deleted
        pipeline_event(1),
        pipeline_event(3, "Продажи (опт)"),
        pipeline_event(2, "Продажи (старое)"),  # older
        deal_event("deal-1", 1, [("NEW", msk(DAY))], "100", "u1"),
        deal_event("deal-1", 3, [("NEW", msk(DAY)), ("OFFER", msk(DAY, 15)), ("WON", msk(DAY, 18))], "150", "u1"),
        deal_event("deal-1", 2, [("NEW", msk(DAY)), ("OFFER", msk(DAY, 15))], "120", "u1"),  # older
        deal_event("deal-2", 1, [("NEW", msk(DAY))], "70", "u2"),
        deal_deleted("deal-2", 2),
        deal_event("deal-2", 1, [("NEW", msk(DAY))], "70", "u2"),  # older than the delete
    ]
    copies = [ev.model_copy(update={"event_id": uuid.uuid4()}) for ev in events[1:6]]
    return events + copies + events[:3]


def _deleted_product(product_id: str, version: int) -> EventEnvelope:

    return _event("product.deleted", product_id, version, Deleted(id=product_id, deleted_at=datetime.now(UTC)))


@pytest.fixture(scope="module")
async def engine(migrated: None) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(test_database_url(), SCHEMA, pool_size=2)
    yield engine
    await engine.dispose()


async def _fresh(engine: AsyncEngine, schema: str, *, bulk: bool = False) -> Any:
    if bulk:
        await prepare_schema(engine, schema)
    else:
        async with engine.begin() as conn:
            await create_projection_schema(conn, schema)
    return session_factory(engine.execution_options(schema_translate_map={SCHEMA: schema}))


async def _dump(engine: AsyncEngine, schema: str) -> dict[str, list[tuple[Any, ...]]]:
    out = {}
    async with engine.connect() as conn:
        for name in COMPARED:
            rows = await conn.execute(text(f'SELECT * FROM "{schema}".{name}'))
            out[name] = sorted((tuple(r) for r in rows), key=repr)
    return out


async def _drop(engine: AsyncEngine, *schemas: str) -> None:
    async with engine.begin() as conn:
        for schema in schemas:
            await conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))


async def _apply_in_batches(sessions: Any, batch: ProjectionBatch, events: list[EventEnvelope], size: int) -> None:
    for i in range(0, len(events), size):
        async with sessions() as s, s.begin():
            await batch(s, events[i : i + size])


async def _bulk_load(sessions: Any, batch: ProjectionBatch, schema: str, events: list[EventEnvelope]) -> None:
    loader = BulkLoader(batch, schema)
    for i in range(0, len(events), 4):
        async with sessions() as s, s.begin():
            await loader.load(s, [batch.prepare(e) for e in events[i : i + 4]])
    async with sessions() as s, s.begin():
        await loader.finish(s)


async def test_one_at_a_time_batches_and_the_bulk_load_leave_identical_rows(
    engine, settings: AnalyticsSettings
) -> None:  # type: ignore[no-untyped-def]
    events = tricky_events()
    batch = ProjectionBatch(settings)
    tag = uuid.uuid4().hex[:6]
    names = {k: f"analytics_t_{k}_{tag}" for k in ("single", "all", "threes", "bulk")}
    try:
        await _apply_in_batches(await _fresh(engine, names["single"]), batch, events, 1)
        await _apply_in_batches(await _fresh(engine, names["all"]), batch, events, len(events))
        await _apply_in_batches(await _fresh(engine, names["threes"]), batch, events, 3)
        await _bulk_load(await _fresh(engine, names["bulk"], bulk=True), batch, names["bulk"], events)
        single = await _dump(engine, names["single"])
        assert len(single["sales_facts"]) == 4  # a (v2), c (posted), d (v5), the return; b and e were deleted
        assert any(row[0] == "p1" and row[2] == "Чайник большой" for row in single["products"])
        assert any(row[0] == "p9" and row[2] == "Снят с продажи" and row[-2] for row in single["products"])
        assert {(r[0], r[1]) for r in single["customer_members"]} >= {("c2", "c2"), ("c3", "c3"), ("c4", "c4")}
        assert [(r[0], r[1]) for r in single["pipelines"]] == [("0", "Продажи (опт)")]
        assert [(r[0], r[3]) for r in single["deals"] if not r[-2]] == [("deal-1", "WON")]
        assert len(single["deal_stages"]) == 3
        for other in ("all", "threes", "bulk"):
            assert await _dump(engine, names[other]) == single, other
    finally:
        await _drop(engine, *names.values())


def random_events(rnd: random.Random) -> list[EventEnvelope]:
    products = [f"rp{i}" for i in range(12)]
    events: list[EventEnvelope] = [folder_event("rf1", 1, "Чай"), folder_event("rf2", 1, "Посуда")]
    events += [product_event(p, 1, f"Товар {p}", folder=rnd.choice(["rf1", "rf2", None])) for p in products]
    for _ in range(120):
        items = [
            position(
                rnd.choice(products),
                rnd.randint(1, 4),
                f"{rnd.randint(100, 9999)}.{rnd.randint(0, 99)}",
                cost=rnd.randint(10, 50),
                vat=rnd.choice([0, 20]),
            )
            for _ in range(rnd.randint(1, 4))
        ]
        events.append(
            document_event(
                rnd.choice([SHIP, SHIP, RETAIL, RETURN]),
                new_id(),
                1,
                msk(DAY + timedelta(days=rnd.randint(0, 40)), rnd.randint(0, 23)),
                items,
                customer=rnd.choice(["rc1", "rc2", "rc3", None]),
                store=rnd.choice(["rs1", "rs2"]),
                organization=rnd.choice(["ro1", "ro2"]),
                vat_enabled=True,
            )
        )
    return events


async def test_the_report_gives_the_same_answer_from_the_roll_ups_as_from_the_facts(  # type: ignore[no-untyped-def]
    engine, settings: AnalyticsSettings, monkeypatch
) -> None:
    schema = f"analytics_t_report_{uuid.uuid4().hex[:6]}"
    batch = ProjectionBatch(settings)
    period = Period(DAY, DAY + timedelta(days=40))
    filters = [
        ReportFilters(),
        ReportFilters(store_id="rs1"),
        ReportFilters(customer_id="rc2"),
        ReportFilters(organization_id="ro2", store_id="rs2"),
        ReportFilters(product_id="rp3"),
        ReportFilters(folder_id="rf1", store_id="rs2"),
    ]
    try:
        sessions = await _fresh(engine, schema)
        await _apply_in_batches(sessions, batch, random_events(random.Random(11)), 50)
        compared = 0
        for time in TimeGrouping:
            for dimension in Dimension:
                for f in filters:
                    async with sessions() as s:
                        planned = await sales_report(s, period, time=time, dimension=dimension, filters=f, limit=500)
                        with monkeypatch.context() as m:
                            m.setattr(report_module, "_plan", lambda *_: Plan(FACTS, FACTS, FACTS))
                            raw = await sales_report(s, period, time=time, dimension=dimension, filters=f, limit=500)
                    assert planned == raw, (time, dimension, f)
                    compared += bool(raw.rows)
        assert compared > 100  # the comparisons were about real numbers
    finally:
        await _drop(engine, schema)


def test_the_projection_consumer_takes_batches_of_the_configured_size() -> None:
    broker = make_broker("127.0.0.1:9092", "analytics-wiring-test")  # nothing connects before start
    consumer = register(broker, async_sessionmaker(), AnalyticsSettings(consume_batch=123, consume_lanes=3))
    assert (consumer.lanes[topics.SALES.name], consumer.lanes[topics.ALERTS.name]) == (3, 1)
    assert register(
        make_broker("127.0.0.1:9092", "w"), async_sessionmaker(), AnalyticsSettings()
    ).lanes == dict.fromkeys(consumer.lanes, 1)  # the default: one lane
    # by topic: the broker does not keep its subscribers in the order they were made
    sizes = {topic: getattr(s, "max_records", None) for s in broker.subscribers for topic in s.topic_names}
    assert (sizes[topics.SALES.name], sizes[topics.ALERTS.name]) == (123, 500)  # the projections' setting, the alerts'


def test_a_batch_writes_its_targets_in_one_order_documents_last_whatever_the_events_order() -> None:
    """Two transactions side by side (lanes, replicas) take their locks in the targets' order: one order for every
    batch keeps them from waiting on each other in a circle. Every target an event can have is in it; documents
    (whose sales rollups' lock is then held until the commit) last."""
    batch = ProjectionBatch(AnalyticsSettings())
    assert batch.order[-1] == "documents"
    assert sorted(batch.order) == sorted({target for target, _ in batch.routes.values()})
    assert len(set(batch.order)) == len(batch.order)


async def test_apply_prepared_writes_documents_last_and_the_checkpoints_after_every_target(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from analytics_service.checkpoints import repository as checkpoints
    from analytics_service.pipeline import batch as batch_module

    written: list[str] = []

    async def documents(session: Any, items: Any, zone: Any) -> int:
        written.append("documents")
        await checkpoints.advance(session, "sales", msk(DAY), steps=len(items))
        return len(items)

    async def versioned(session: Any, table: Any, projection: str, items: Any) -> int:
        written.append(table.name)
        await checkpoints.advance(session, projection, msk(DAY, 9 if table.name == "stores" else 8), steps=len(items))
        return len(items)

    async def write_advance(session: Any, projection: str, occurred_at: Any, steps: int) -> None:
        written.append(f"checkpoint {projection} {steps} {occurred_at:%H}")

    monkeypatch.setattr(batch_module.sales, "apply_prepared", documents)
    monkeypatch.setattr(batch_module, "apply_versioned", versioned)
    monkeypatch.setattr(checkpoints, "_write_advance", write_advance)
    batch = ProjectionBatch(AnalyticsSettings())
    item = object()
    session = SimpleNamespace(info={})
    prepared = [("documents", item), ("stores", item), ("products", item), ("documents", item)]
    changed = await batch.apply_prepared(session, prepared)  # type: ignore[arg-type]
    assert changed == 4
    # Catalog's two targets advance its checkpoint once, by both, to the later moment (Moscow 09:00 is 06 UTC).
    assert written == ["products", "stores", "documents", "checkpoint catalog 2 06", "checkpoint sales 2 09"]
    assert session.info == {}
