"""Rebuild the projections from the event log while the old tables keep serving reads.

1. Create fresh copies of the projection tables in schema ``analytics_rebuild`` (the sales tables without keys and
   indexes: those are built once, after the load).
2. Replay the projection topics from the beginning into them, in batches, through the same validation and use cases
   as the live consumer; sales documents are bulk-loaded (``pipeline.bulk``) and the roll-ups built at the end.
   The replay position is stored with the rows (checkpoint row ``replay``).
3. Swap: take the projection lock exclusively (live handlers hold it shared, so none is half-way through), catch up
   from the stored position to the current end, then move the old tables out of ``analytics`` and the new ones in,
   all in one transaction. Reads see either the old tables or the new ones, never a mix.

The live consumer keeps its inbox and offsets. Every projection row is version-guarded, so an event the rebuild has
already applied and the live consumer applies again afterwards changes nothing.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError
from sqlalchemy import text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from analytics_service.checkpoints.models import Checkpoint
from analytics_service.checkpoints.repository import take_projection_lock_exclusive
from analytics_service.db import PROJECTION_TABLE_NAMES, SCHEMA, Base, projection_tables
from analytics_service.pipeline.batch import PROJECTION_TOPICS, Prepared, ProjectionBatch
from analytics_service.pipeline.bulk import BulkLoader, create_bulk_tables
from analytics_service.pipeline.replay import Positions, TopicReplay, open_replay
from analytics_service.settings import AnalyticsSettings
from crm_common.db import create_engine, session_factory
from crm_common.events.envelope import parse_event
from crm_common.logging import get_logger
from crm_common.messaging.consumer import PoisonEvent

log = get_logger(__name__)

REBUILD_SCHEMA = f"{SCHEMA}_rebuild"
RETIRED_SCHEMA = f"{SCHEMA}_retired"
REPLAY_ROW = "replay"
# Store tables (never rebuilt) a projection reads while it applies events: the admins' customer decisions.
STORE_TABLES_READ_BY_PROJECTIONS = ("customer_decisions",)


@dataclass
class RebuildResult:
    generation: str
    applied: int = 0
    skipped: int = 0
    caught_up: int = 0
    seconds: float = 0.0
    skipped_reasons: list[str] = field(default_factory=list)


async def create_projection_schema(conn: AsyncConnection, schema: str) -> AsyncConnection:
    """A fresh ``schema`` with empty projection tables, and views of the store tables projections read (the replay
    reads those where they are; the swap leaves them). Returns ``conn`` mapped onto the new schema."""
    await conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    translated = await conn.execution_options(schema_translate_map={SCHEMA: schema})
    await translated.run_sync(lambda c: Base.metadata.create_all(c, tables=projection_tables()))
    for name in STORE_TABLES_READ_BY_PROJECTIONS:
        await conn.execute(text(f'CREATE VIEW "{schema}"."{name}" AS SELECT * FROM "{SCHEMA}"."{name}"'))  # noqa: S608
    return translated


async def prepare_schema(engine: AsyncEngine, schema: str) -> None:
    """A fresh ``schema`` holding empty projection tables ready for a bulk load."""
    async with engine.begin() as conn:
        await create_bulk_tables(await create_projection_schema(conn, schema), schema)


# Every event type the projection topics carry, with its payload model: a replayed event is read in one pass, as the
# live consumer reads it (crm_common.events.envelope.parse_event).
REPLAYED = {event_type: model for topic in PROJECTION_TOPICS for event_type, model in topic.events.items()}


def prepare_records(records: list[Any], batch: ProjectionBatch, result: RebuildResult) -> list[Prepared]:
    """Validate a replay batch; events the live consumer dead-lettered are skipped the same way, and counted."""
    prepared: list[Prepared] = []
    for record in records:
        try:
            prepared.append(batch.prepare(parse_event(record.value or b"", REPLAYED)))
        except (ValidationError, ValueError, KeyError, PoisonEvent) as exc:
            result.skipped += 1
            if len(result.skipped_reasons) < 20:
                result.skipped_reasons.append(f"{record.topic}:{record.partition}@{record.offset}: {exc}"[:300])
    return prepared


async def _apply_batch(session: AsyncSession, records: list[Any], batch: ProjectionBatch, result: RebuildResult) -> int:
    prepared = prepare_records(records, batch, result)
    await batch.apply_prepared(session, prepared)
    return len(prepared)


async def _save_positions(session: AsyncSession, positions: Positions, generation: str) -> None:
    table = Checkpoint.__table__
    stmt = insert(table).values(projection=REPLAY_ROW, version=0, generation=generation, offsets=positions)
    stmt = stmt.on_conflict_do_update(index_elements=[table.c.projection], set_={"offsets": stmt.excluded.offsets})
    await session.execute(stmt)


async def _load_positions(session: AsyncSession) -> Positions:
    row = await session.get(Checkpoint, REPLAY_ROW)
    return dict(row.offsets) if row else {}


async def _replay_into(
    session: AsyncSession,
    replay: TopicReplay,
    batch: ProjectionBatch,
    size: int,
    result: RebuildResult,
    generation: str,
) -> int:
    applied = 0
    async for records in replay.batches(size):
        applied += await _apply_batch(session, records, batch, result)
        await _save_positions(session, await replay.positions(), generation)
    return applied


async def _swap(session: AsyncSession, generation: str) -> None:
    await session.execute(text("SET LOCAL lock_timeout = '15s'"))
    await session.execute(text(f'DROP SCHEMA IF EXISTS "{RETIRED_SCHEMA}" CASCADE'))
    await session.execute(text(f'CREATE SCHEMA "{RETIRED_SCHEMA}"'))
    for name in PROJECTION_TABLE_NAMES:
        await session.execute(text(f'ALTER TABLE IF EXISTS "{SCHEMA}"."{name}" SET SCHEMA "{RETIRED_SCHEMA}"'))
    for name in PROJECTION_TABLE_NAMES:
        await session.execute(text(f'ALTER TABLE "{REBUILD_SCHEMA}"."{name}" SET SCHEMA "{SCHEMA}"'))
    await session.execute(
        text(f'UPDATE "{SCHEMA}".checkpoints SET generation = :g, updated_at = now()'),  # noqa: S608 - constant names
        {"g": generation},
    )


async def _drop_scratch_schema(engine: AsyncEngine) -> None:
    try:
        async with engine.begin() as conn:
            await conn.execute(text(f'DROP SCHEMA IF EXISTS "{REBUILD_SCHEMA}" CASCADE'))
    except Exception as exc:  # the rebuild's own error is the one to report; the next rebuild drops it first
        log.warning("rebuild: scratch schema not dropped", schema=REBUILD_SCHEMA, error=repr(exc)[:300])


async def rebuild(settings: AnalyticsSettings, *, engine: AsyncEngine | None = None) -> RebuildResult:
    """Replay the projection topics into fresh tables and swap them in; returns what was applied."""
    started = time.monotonic()
    own_engine = engine is None
    engine = engine or create_engine(settings.database_url, SCHEMA, pool_size=2, jit=settings.db_jit)
    result = RebuildResult(generation=uuid.uuid4().hex[:16])
    batch = ProjectionBatch(settings)
    try:
        await prepare_schema(engine, REBUILD_SCHEMA)
        sessions = session_factory(engine.execution_options(schema_translate_map={SCHEMA: REBUILD_SCHEMA}))
        loader = BulkLoader(batch, REBUILD_SCHEMA)
        async with open_replay(settings.kafka_bootstrap_servers, PROJECTION_TOPICS) as replay:
            await replay.start_at(None)
            async for records in replay.batches(settings.replay_batch):
                async with sessions() as session, session.begin():
                    prepared = prepare_records(records, batch, result)
                    await loader.load(session, prepared)
                    result.applied += len(prepared)
                    await _save_positions(session, await replay.positions(), result.generation)
            async with sessions() as session, session.begin():
                await loader.finish(session)
            log.info("rebuild replayed", applied=result.applied, skipped=result.skipped)
            async with sessions() as session, session.begin():
                await take_projection_lock_exclusive(session)
                await replay.start_at(await _load_positions(session))
                result.caught_up = await _replay_into(
                    session, replay, batch, settings.replay_batch, result, result.generation
                )
                await _swap(session, result.generation)
        async with engine.begin() as conn:
            await conn.execute(text(f'DROP SCHEMA IF EXISTS "{RETIRED_SCHEMA}" CASCADE'))
            await conn.execute(text(f'DROP SCHEMA IF EXISTS "{REBUILD_SCHEMA}" CASCADE'))
    except BaseException:
        # A failed rebuild leaves nothing behind: its scratch schema holds views of the live tables, and a later
        # migration that drops or changes one of those would be refused while they exist.
        await _drop_scratch_schema(engine)
        raise
    finally:
        if own_engine:
            await engine.dispose()
    result.seconds = time.monotonic() - started
    log.info("rebuild swapped in", generation=result.generation, applied=result.applied, caught_up=result.caught_up)
    return result
