"""Checkpoint bookkeeping and the lock that lets a rebuild swap tables between two live transactions."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, func, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from analytics_service.checkpoints.models import Checkpoint
from crm_common.db import Reads, fetch
from crm_common.versioned import Versioned

# Live handlers hold this advisory lock shared for their transaction; the rebuild's swap takes it exclusively, so no
# live event commits into the old tables after the rebuild has caught up (key: crc32("analytics.projections")).
PROJECTION_LOCK_KEY = 0x2F1A_6B3C
# Sales batches recompute roll-up rows from the facts (delete the rows, insert fresh sums). Two transactions doing
# that for the same key at once would each miss the other's facts, so sales batches into one schema take turns.
SALES_ROLLUP_LOCK_KEY = 0x2F1A_6B3D


async def hold_sales_rollup_lock(session: AsyncSession, schema: str) -> None:
    await session.execute(
        text("SELECT pg_advisory_xact_lock(:k, hashtext(:schema))"), {"k": SALES_ROLLUP_LOCK_KEY, "schema": schema}
    )


async def hold_projection_lock(session: AsyncSession) -> None:
    await session.execute(text("SELECT pg_advisory_xact_lock_shared(:k)"), {"k": PROJECTION_LOCK_KEY})


async def take_projection_lock_exclusive(session: AsyncSession) -> None:
    await session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": PROJECTION_LOCK_KEY})


_DEFERRED = "analytics.checkpoint_advances"  # session.info key: {projection: (latest moment, steps)} while deferred


@asynccontextmanager
async def advances_at_the_end(session: AsyncSession) -> AsyncIterator[None]:
    """Hold the block's ``advance`` calls and write them when it ends, in projection order, as the transaction's
    last statements. A checkpoint row an advance updates stays locked until commit: written as each target is, it
    made two transactions side by side (lanes of a batch, replicas) wait for each other's whole transaction even
    where their rows differ. Written last, they wait only for each other's commit."""
    held: dict[str, tuple[datetime | None, int]] = {}
    session.info[_DEFERRED] = held
    try:
        yield
    finally:
        session.info.pop(_DEFERRED, None)
    for projection in sorted(held):
        moment, steps = held[projection]
        await _write_advance(session, projection, moment, steps)


async def advance(session: AsyncSession, projection: str, occurred_at: datetime | None, steps: int = 1) -> None:
    """Move a projection's checkpoint on, in the caller's transaction (the one that wrote its rows); inside
    ``advances_at_the_end``, when that block ends."""
    held: dict[str, tuple[datetime | None, int]] | None = session.info.get(_DEFERRED)
    if held is not None:
        moment, total = held.get(projection, (None, 0))
        latest = max((m for m in (moment, occurred_at) if m is not None), default=None)
        held[projection] = (latest, total + steps)
    else:
        await _write_advance(session, projection, occurred_at, steps)


async def _write_advance(session: AsyncSession, projection: str, occurred_at: datetime | None, steps: int) -> None:
    table = Checkpoint.__table__
    stmt = insert(table).values(projection=projection, version=steps, last_event_at=occurred_at, offsets={})
    stmt = stmt.on_conflict_do_update(
        index_elements=[table.c.projection],
        set_={
            "version": table.c.version + steps,
            "last_event_at": func.greatest(table.c.last_event_at, stmt.excluded.last_event_at),
            "updated_at": func.now(),
        },
    )
    await session.execute(stmt)


_checkpoints = cast(Table, Checkpoint.__table__)
TOKEN = select(_checkpoints.c.projection, _checkpoints.c.version, _checkpoints.c.generation)


async def token(session: Reads) -> str:
    """A short string that changes whenever any projection moves on or is rebuilt; cache keys include it."""
    return token_of(await fetch(session, TOKEN))  # on the driver, not the session


def token_of(rows: Iterable[Any]) -> str:
    """The token of the checkpoint rows ``TOKEN`` reads (projection, version, generation)."""
    return "|".join(f"{p}:{v}:{g}" for p, v, g in sorted(tuple(r) for r in rows)) or "empty"


async def all_checkpoints(session: AsyncSession) -> list[Checkpoint]:
    return list((await session.scalars(select(Checkpoint).order_by(Checkpoint.projection))).all())


def latest_moment(items: Iterable[Versioned]) -> datetime | None:
    """The newest ``occurred_at`` of the events a checkpoint moves past."""
    return max((i.occurred_at for i in items if i.occurred_at is not None), default=None)
