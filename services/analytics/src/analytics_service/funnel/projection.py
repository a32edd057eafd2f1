"""Use cases of the funnel projection: pipeline and deal events become version-guarded rows with their children.

A pipeline's stages and a deal's stage history belong to the version of the parent row: they are rewritten only when
that row is (a stale event changes neither), and removed with a deletion.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table, delete, insert
from sqlalchemy.ext.asyncio import AsyncSession

from analytics_service.checkpoints.repository import advance, latest_moment
from analytics_service.funnel.models import DealRow, DealStageRow, PipelineRow, PipelineStageRow
from crm_common.events.envelope import EventEnvelope
from crm_common.events.models import Deal, Deleted, Pipeline
from crm_common.versioned import Versioned, reduce_versions, write_reduced

PROJECTION = "funnel"


def prepare_pipeline(event: EventEnvelope) -> Versioned:
    p = event.parsed(Pipeline)
    row = {
        "id": p.id,
        "name": p.name,
        "sort": p.sort,
        "is_default": p.is_default,
        "source": event.source,
        "deleted": False,
        "source_version": event.source_version,
    }
    stages = [
        {"pipeline_id": p.id, "stage_id": s.id, "name": s.name, "sort": s.sort, "semantics": s.semantics.value}
        for s in p.stages
    ]
    return Versioned(p.id, event.source_version, row, False, event.occurred_at, payload=stages)


def prepare_deal(event: EventEnvelope) -> Versioned:
    d = event.parsed(Deal)
    row = {
        "id": d.id,
        "title": d.title,
        "pipeline_id": d.pipeline_id,
        "stage_id": d.stage_id,
        "stage_semantics": d.stage_semantics.value,
        "amount": d.amount.amount,
        "currency": d.amount.currency,
        "company_id": d.company_id,
        "contact_id": d.contact_id,
        "responsible_id": d.responsible_id,
        "responsible_name": d.responsible_name,
        "expected_close_date": d.expected_close_date,
        "closed": d.closed,
        "closed_at": d.closed_at,
        "created_at": d.created_at,
        "source": event.source,
        "deleted": False,
        "source_version": event.source_version,
    }
    history = [
        {"deal_id": d.id, "seq": i, "stage_id": change.stage_id, "entered_at": change.entered_at}
        for i, change in enumerate(d.stage_history)
    ]
    return Versioned(d.id, event.source_version, row, False, event.occurred_at, payload=history)


def prepare_deleted(event: EventEnvelope) -> Versioned:
    d = event.parsed(Deleted)
    row = {"id": d.id, "deleted": True, "source_version": event.source_version}
    return Versioned(d.id, event.source_version, row, True, event.occurred_at, payload=[])


async def _apply_with_children(
    session: AsyncSession, table: Table, children: Table, parent: str, items: Sequence[Versioned]
) -> int:
    reduced = reduce_versions(items)
    written = (await write_reduced(session, table, reduced)).final
    if not written:
        return 0
    await session.execute(delete(children).where(children.c[parent].in_(list(written))))
    rows: list[dict[str, Any]] = [row for key in written for row in reduced.final[key].payload]
    if rows:
        await session.execute(insert(children), rows)
    await advance(session, PROJECTION, latest_moment(reduced.final[k] for k in written), steps=len(written))
    return len(written)


async def apply_pipelines(session: AsyncSession, items: Sequence[Versioned]) -> int:
    return await _apply_with_children(session, PipelineRow.__table__, PipelineStageRow.__table__, "pipeline_id", items)


async def apply_deals(session: AsyncSession, items: Sequence[Versioned]) -> int:
    return await _apply_with_children(session, DealRow.__table__, DealStageRow.__table__, "deal_id", items)
