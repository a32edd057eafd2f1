"""Low-stock alerts: one `alert.raised` when a product/store falls below its minimum, one `alert.cleared` when it
recovers, however many updates happen in between. Events go through the outbox in the caller's transaction, so an
alert is published if and only if the state change that caused it committed."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Row
from sqlalchemy.ext.asyncio import AsyncSession

from crm_common.errors import NotFound
from crm_common.events.envelope import EventEnvelope, deterministic_event_id, make_event
from crm_common.events.models import Alert, AlertKind
from crm_common.messaging.outbox import enqueue_many
from crm_common.security import Permission
from inventory_service.alerts.models import LowStock
from inventory_service.alerts.repository import AlertRepository
from inventory_service.alerts.schemas import ThresholdList, ThresholdOut
from inventory_service.db import outbox
from inventory_service.stock.models import ALL_STORES, StockRow, ThresholdRow
from inventory_service.stock.repository import StockRepository

SOURCE = "inventory"


async def reevaluate(
    session: AsyncSession,
    *conditions: ColumnElement[bool],
    assortment_id: str | None = None,
    product_id: str | None = None,
) -> int:
    """Settle the low-stock state of the stock rows selected; return how many alerts were staged."""
    where = list(conditions)
    if assortment_id is not None:
        where.append(StockRow.assortment_id == assortment_id)
    if product_id is not None:
        where.append(StockRow.product_id == product_id)
    return await settle(session, await StockRepository(session).levels(*where))


async def settle(session: AsyncSession, levels: Sequence[Row[Any]]) -> int:
    """Bring each level's low-stock state up to date (the stored ones locked and read in one statement, the changed
    and new ones written in one), staging an alert for every row that crossed its minimum; return how many alerts
    were staged. A level that has no minimum and never had a state needs none: it is not below anything."""
    if not levels:
        return 0
    now = datetime.now(UTC)
    repository = AlertRepository(session)
    states = await repository.locked_states([(level.assortment_id, level.store_id) for level in levels])
    staged: list[EventEnvelope] = []
    changed: dict[tuple[str, str], LowStock] = {}
    for level in levels:
        key = (level.assortment_id, level.store_id)
        below = bool(level.below_minimum)
        state = states.get(key)
        if state is None:
            if level.minimum is None and not below:
                continue
            state = states[key] = LowStock(*key, active=False, crossings=0, raised_at=None, changed_at=now)
        elif (state.stock, state.minimum, state.active) == (level.stock, level.minimum, below):
            continue
        changed[key] = state
        state.stock, state.minimum = level.stock, level.minimum
        if state.active == below:
            continue
        state.active, state.changed_at = below, now
        if below:
            state.crossings += 1
            state.raised_at = now
        staged.append(_alert_event(level, state, raised=below))
    await repository.save_states(list(changed.values()))
    await enqueue_many(session, outbox, staged)
    return len(staged)


def _alert_event(level: Row[Any], state: LowStock, *, raised: bool) -> EventEnvelope:
    """``level``: a row of StockRepository.levels."""
    event_type = "alert.raised" if raised else "alert.cleared"
    # Raise and clear of crossing n get versions 2n-1 and 2n: ordered per product/store, and the same ids if the
    # outbox relay ever publishes twice, so consumers drop the copy.
    version = state.crossings * 2 - (1 if raised else 0)
    name = level.name or level.assortment_id
    where = level.store_name or level.store_id
    minimum: Decimal | None = level.minimum
    if raised:
        title, message = f"Low stock: {name}", f"{name} at {where}: {level.stock} left, minimum {minimum}."
    else:
        title, message = f"Stock recovered: {name}", f"{name} at {where}: {level.stock} in stock, minimum {minimum}."
    alert = Alert(
        id=f"low_stock:{level.id}:{state.crossings}",
        kind=AlertKind.LOW_STOCK,
        severity="critical" if raised and level.stock <= 0 else ("warning" if raised else "info"),
        title=title,
        message=message,
        permission=Permission.INVENTORY_READ.value,
        subject_id=level.assortment_id,
        data={
            "assortment_id": level.assortment_id,
            "product_id": level.product_id,
            "store_id": level.store_id,
            "stock": str(level.stock),
            "minimum": "" if minimum is None else str(minimum),
            "state": "active" if raised else "cleared",
        },
        raised_at=state.raised_at or datetime.now(UTC),
    )
    return make_event(
        event_type,
        source=SOURCE,
        account_id=level.account_id,
        entity_id=level.id,
        source_version=version,
        payload=alert,
        event_id=deterministic_event_id(SOURCE, level.account_id, event_type, level.id, version),
    )


async def set_threshold(
    session: AsyncSession, assortment_id: str, store_id: str | None, minimum: Decimal, user: str
) -> ThresholdOut:
    """Set the minimum for a product/variant in one store (or all), and settle the alerts it affects."""
    repository = AlertRepository(session)
    await repository.lock_assortment([assortment_id])
    row = await repository.set_threshold(assortment_id, store_id or ALL_STORES, minimum, user)
    await reevaluate(session, assortment_id=assortment_id)
    return _threshold_out(row)


async def delete_threshold(session: AsyncSession, assortment_id: str, store_id: str | None) -> None:
    repository = AlertRepository(session)
    await repository.lock_assortment([assortment_id])
    if not await repository.delete_threshold(assortment_id, store_id or ALL_STORES):
        raise NotFound(f"no threshold for {assortment_id!r} in {store_id or 'every store'!r}")
    await reevaluate(session, assortment_id=assortment_id)


async def list_thresholds(session: AsyncSession, assortment_id: str | None, limit: int, offset: int) -> ThresholdList:
    rows = await AlertRepository(session).thresholds(assortment_id, limit, offset)
    return ThresholdList(items=[_threshold_out(r) for r in rows], limit=limit, offset=offset)


def _threshold_out(row: ThresholdRow) -> ThresholdOut:
    return ThresholdOut(
        assortment_id=row.assortment_id,
        store_id=None if row.store_id == ALL_STORES else row.store_id,
        minimum=row.minimum,
        updated_by=row.updated_by,
        updated_at=row.updated_at,
    )
