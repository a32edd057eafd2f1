"""Builders and helpers shared by the analytics tests: canonical events, tokens, publishing, waiting."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from aiokafka import AIOKafkaProducer
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from analytics_service.db import SCHEMA, load_metadata
from crm_common.events.envelope import EventEnvelope, make_event
from crm_common.events.models import (
    AssortmentKind,
    Counterparty,
    Deal,
    Deleted,
    Document,
    DocumentKind,
    Folder,
    Money,
    Pipeline,
    PipelineStage,
    Position,
    Price,
    Product,
    ProductKind,
    StageChange,
    StageSemantics,
    StockLevel,
    Store,
    Variant,
)
from crm_common.events.topics import topic_for
from crm_testing import TokenMint as TokenMint  # re-exported: the tests take the mint from here
from crm_testing import kafka_servers
from crm_testing import truncate as empty_schema

ACCOUNT = "acc-test"
SOURCE = "moysklad"
MSK = timedelta(hours=3)


def new_id() -> str:
    return str(uuid.uuid4())


def msk(day: date, hour: int = 12, minute: int = 0) -> datetime:
    """A UTC instant that is ``hour:minute`` Moscow time on ``day``."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC) - MSK


def position(
    product_id: str,
    quantity: str | int,
    price: str | int,
    *,
    cost: str | int | None = None,
    discount: str | int = 0,
    vat: str | int = 0,
    variant_id: str | None = None,
    position_id: str | None = None,
) -> Position:
    q, p, d = Decimal(quantity), Decimal(price), Decimal(discount)
    return Position(
        id=position_id or new_id(),
        assortment_id=variant_id or product_id,
        assortment_kind=AssortmentKind.VARIANT if variant_id else AssortmentKind.PRODUCT,
        product_id=product_id,
        quantity=q,
        price=p,
        discount_percent=d,
        vat_percent=Decimal(vat),
        amount=q * p * (1 - d / 100),
        cost=None if cost is None else Decimal(cost),
    )


def document_event(
    kind: DocumentKind,
    doc_id: str,
    version: int,
    moment: datetime,
    positions: Iterable[Position],
    *,
    applicable: bool = True,
    customer: str | None = None,
    store: str | None = "store-1",
    organization: str | None = "org-1",
    vat_enabled: bool = False,
    vat_included: bool = True,
    event_id: uuid.UUID | None = None,
    state: str | None = None,
) -> EventEnvelope:
    items = list(positions)
    doc = Document(
        id=doc_id,
        kind=kind,
        number=f"{kind.value}-{doc_id[:6]}",
        moment=moment,
        applicable=applicable,
        state=state,
        organization_id=organization,
        counterparty_id=customer,
        store_id=store,
        vat_enabled=vat_enabled,
        vat_included=vat_included,
        total=sum((p.amount for p in items), Decimal(0)),
        positions=items,
        updated_at=moment,
    )
    return _event(f"{kind.value}.upserted", doc_id, version, doc, event_id)


def document_deleted(kind: DocumentKind, doc_id: str, version: int) -> EventEnvelope:
    return _event(f"{kind.value}.deleted", doc_id, version, Deleted(id=doc_id, deleted_at=datetime.now(UTC)))


def product_event(
    product_id: str, version: int, name: str, *, folder: str | None = None, sale: str | None = None, **fields: Any
) -> EventEnvelope:
    prices = [Price(price_type="Цена продажи", amount=Decimal(sale))] if sale else []
    payload = Product(
        id=product_id,
        kind=ProductKind.PRODUCT,
        name=name,
        folder_id=folder,
        sale_prices=prices,
        updated_at=datetime.now(UTC),
        **fields,
    )
    return _event("product.upserted", product_id, version, payload)


def variant_event(variant_id: str, product_id: str, version: int, name: str, sale: str | None = None) -> EventEnvelope:
    prices = [Price(price_type="Цена продажи", amount=Decimal(sale))] if sale else []
    payload = Variant(id=variant_id, product_id=product_id, name=name, sale_prices=prices, updated_at=datetime.now(UTC))
    return _event("variant.upserted", variant_id, version, payload)


def folder_event(folder_id: str, version: int, name: str) -> EventEnvelope:
    return _event("folder.upserted", folder_id, version, Folder(id=folder_id, name=name, updated_at=datetime.now(UTC)))


def store_event(store_id: str, version: int, name: str) -> EventEnvelope:
    return _event("store.upserted", store_id, version, Store(id=store_id, name=name, updated_at=datetime.now(UTC)))


def customer_event(
    customer_id: str, version: int, name: str, *, phones: list[str] | None = None, emails: list[str] | None = None
) -> EventEnvelope:
    payload = Counterparty(
        id=customer_id, name=name, phones=phones or [], emails=emails or [], updated_at=datetime.now(UTC)
    )
    return _event("counterparty.upserted", customer_id, version, payload)


def stock_event(
    assortment_id: str,
    store_id: str,
    version: int,
    stock: str | int,
    *,
    unit_cost: str | int | None = None,
    minimum: str | int | None = None,
    product_id: str | None = None,
) -> EventEnvelope:
    payload = StockLevel(
        assortment_id=assortment_id,
        assortment_kind=AssortmentKind.VARIANT if product_id else AssortmentKind.PRODUCT,
        product_id=product_id or assortment_id,
        store_id=store_id,
        stock=Decimal(stock),
        available=Decimal(stock),
        unit_cost=None if unit_cost is None else Decimal(unit_cost),
        minimum_stock=None if minimum is None else Decimal(minimum),
        as_of=datetime.now(UTC),
    )
    return _event("stock.changed", f"{assortment_id}:{store_id}", version, payload)


def _event(
    event_type: str, entity_id: str, version: int, payload: Any, event_id: uuid.UUID | None = None
) -> EventEnvelope:
    return make_event(
        event_type,
        source=SOURCE,
        account_id=ACCOUNT,
        entity_id=entity_id,
        source_version=version,
        payload=payload,
        event_id=event_id,
    )


# The funnel tests' pipeline: (stage, sort, semantics).
FUNNEL_STAGES = [
    ("NEW", 10, "open"),
    ("OFFER", 20, "open"),
    ("INVOICE", 30, "open"),
    ("WON", 40, "won"),
    ("LOSE", 50, "lost"),
]


def pipeline_event(version: int = 1, name: str = "Продажи") -> EventEnvelope:
    payload = Pipeline(
        id="0",
        name=name,
        is_default=True,
        stages=[PipelineStage(id=s, name=s.title(), sort=o, semantics=StageSemantics(m)) for s, o, m in FUNNEL_STAGES],
        updated_at=datetime.now(UTC),
    )
    return make_event(
        "pipeline.upserted",
        source="bitrix24",
        account_id=ACCOUNT,
        entity_id="0",
        source_version=version,
        payload=payload,
    )


def deal_event(
    deal_id: str,
    version: int,
    path: list[tuple[str, datetime]],
    amount: str,
    who: str,
    *,
    currency: str = "RUB",
    closed_at: datetime | None = None,
) -> EventEnvelope:
    stage = path[-1][0]
    semantics = {s: StageSemantics(m) for s, _, m in FUNNEL_STAGES}[stage]
    payload = Deal(
        id=deal_id,
        title=f"Сделка {deal_id}",
        pipeline_id="0",
        stage_id=stage,
        stage_semantics=semantics,
        amount=Money(amount=Decimal(amount), currency=currency),
        contact_id="contact-7",
        responsible_id=who,
        responsible_name={"u1": "Анна", "u2": "Борис"}[who],
        stage_history=[StageChange(stage_id=s, entered_at=t) for s, t in path],
        closed=semantics is not StageSemantics.OPEN,
        closed_at=closed_at,
        created_at=path[0][1],
        updated_at=path[-1][1],
    )
    return make_event(
        "deal.upserted",
        source="bitrix24",
        account_id=ACCOUNT,
        entity_id=deal_id,
        source_version=version,
        payload=payload,
    )


def deal_deleted(deal_id: str, version: int) -> EventEnvelope:
    return make_event(
        "deal.deleted",
        source="bitrix24",
        account_id=ACCOUNT,
        entity_id=deal_id,
        source_version=version,
        payload=Deleted(id=deal_id, deleted_at=datetime.now(UTC)),
    )


async def publish(events: Iterable[EventEnvelope], raw: Iterable[tuple[str, bytes]] = ()) -> None:
    """Publish envelopes to their topics (and raw bytes to named topics), keyed by entity id."""
    producer = AIOKafkaProducer(bootstrap_servers=kafka_servers(), acks="all", enable_idempotence=True)
    await producer.start()
    try:
        for e in events:
            await producer.send_and_wait(topic_for(e.event_type).name, e.to_bytes(), key=e.entity_id.encode())
        for topic, value in raw:
            await producer.send_and_wait(topic, value, key=b"bad")
    finally:
        await producer.stop()


async def eventually(check: Callable[[], Awaitable[bool]], timeout: float = 60.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await check():
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"{what} not reached within {timeout}s")


async def truncate(sessions: async_sessionmaker[AsyncSession]) -> None:
    """Empty every analytics table."""
    await empty_schema(sessions, SCHEMA, load_metadata())
