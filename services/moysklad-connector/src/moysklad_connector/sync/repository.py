"""All SQL of sync jobs, cursors and dead letters. Callers own the transaction."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from moysklad_connector.sync.models import DeadLetterRecord, SyncCursor, SyncJob

ACTIVE = ("queued", "running")
SUCCEEDED = ("succeeded", "succeeded_with_skipped")


@dataclass(frozen=True)
class Cursor:
    last_updated: str | None = None
    last_id: str | None = None


@dataclass(frozen=True)
class DeadLetterIn:
    entity_type: str
    entity_id: str | None
    reason: str
    raw: Any


class JobRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, job: SyncJob) -> SyncJob:
        self.session.add(job)
        await self.session.flush()
        return job

    async def get(self, job_id: uuid.UUID) -> SyncJob | None:
        return await self.session.get(SyncJob, job_id)

    async def page(self, integration_id: str | None, limit: int, offset: int) -> tuple[Sequence[SyncJob], int]:
        query = select(SyncJob)
        if integration_id is not None:
            query = query.where(SyncJob.integration_id == integration_id)
        total = await self.session.scalar(select(func.count()).select_from(query.subquery()))
        rows = await self.session.scalars(query.order_by(SyncJob.created_at.desc()).limit(limit).offset(offset))
        return rows.all(), int(total or 0)

    async def active(self, integration_id: str) -> SyncJob | None:
        return await self.session.scalar(
            select(SyncJob).where(SyncJob.integration_id == integration_id, SyncJob.status.in_(ACTIVE))
        )

    async def latest(
        self, integration_id: str, *, mode: str | None = None, status: str | tuple[str, ...] | None = None
    ) -> SyncJob | None:
        query = select(SyncJob).where(SyncJob.integration_id == integration_id)
        if mode is not None:
            query = query.where(SyncJob.mode == mode)
        if status is not None:
            query = query.where(SyncJob.status.in_((status,) if isinstance(status, str) else status))
        return await self.session.scalar(query.order_by(SyncJob.created_at.desc()).limit(1))

    async def latest_finished(self, integration_id: str) -> SyncJob | None:
        return await self.session.scalar(
            select(SyncJob)
            .where(SyncJob.integration_id == integration_id, SyncJob.finished_at.is_not(None))
            .order_by(SyncJob.finished_at.desc())
            .limit(1)
        )

    async def interrupt_active(self, integration_id: str, detail: str) -> list[uuid.UUID]:
        """Mark orphaned active jobs (their process died: nobody holds the lock) as interrupted."""
        result = await self.session.execute(
            update(SyncJob)
            .where(SyncJob.integration_id == integration_id, SyncJob.status.in_(ACTIVE))
            .values(status="interrupted", detail=detail, finished_at=datetime.now(UTC))
            .returning(SyncJob.id)
        )
        return list(result.scalars())

    async def record_page(self, job_id: uuid.UUID, entity_type: str, published: int) -> None:
        job = await self.session.get(SyncJob, job_id, with_for_update=True)
        if job is None:
            return
        counts = dict(job.counts)
        counts[entity_type] = counts.get(entity_type, 0) + published
        job.counts = counts
        job.heartbeat_at = datetime.now(UTC)

    async def set_counts(self, job_id: uuid.UUID, counts: dict[str, int]) -> None:
        job = await self.session.get(SyncJob, job_id, with_for_update=True)
        if job is not None:
            job.counts, job.heartbeat_at = {**job.counts, **counts}, datetime.now(UTC)

    async def record_skipped(self, job_id: uuid.UUID, letters: Sequence[DeadLetterIn]) -> None:
        """Count the objects a page kept as dead letters, per type and reason (the reason's first line, cut short)."""
        if not letters:
            return
        job = await self.session.get(SyncJob, job_id, with_for_update=True)
        if job is None:
            return
        skipped = {kind: dict(reasons) for kind, reasons in job.skipped.items()}
        for letter in letters:
            reasons = skipped.setdefault(letter.entity_type, {})
            reason = letter.reason.splitlines()[0][:200] if letter.reason else "unknown"
            reasons[reason] = reasons.get(reason, 0) + 1
        job.skipped = skipped

    async def set_progress(self, job_id: uuid.UUID, entity_type: str, state: str, error: str | None = None) -> None:
        job = await self.session.get(SyncJob, job_id, with_for_update=True)
        if job is None:
            return
        job.progress = {**job.progress, entity_type: state}
        if error is not None:
            job.errors = [*job.errors, {"entity_type": entity_type, "error": error[:2000]}]

    async def finish(self, job_id: uuid.UUID, status: str, detail: str | None) -> SyncJob | None:
        job = await self.session.get(SyncJob, job_id, with_for_update=True)
        if job is None:
            return None
        job.status, job.detail, job.finished_at = status, detail, datetime.now(UTC)
        await self.session.flush()
        return job


class CursorRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, integration_id: str, entity_type: str) -> Cursor:
        row = await self.session.get(SyncCursor, (integration_id, entity_type))
        return Cursor() if row is None else Cursor(row.last_updated, row.last_id)

    async def save(self, integration_id: str, entity_type: str, cursor: Cursor, job_id: uuid.UUID) -> None:
        values = {"last_updated": cursor.last_updated, "last_id": cursor.last_id, "job_id": job_id}
        stmt = insert(SyncCursor).values(integration_id=integration_id, entity_type=entity_type, **values)
        await self.session.execute(
            stmt.on_conflict_do_update(
                index_elements=[SyncCursor.integration_id, SyncCursor.entity_type],
                set_={**values, "saved_at": func.now()},
            )
        )

    async def reset(self, integration_id: str, *, keep: tuple[str, ...] = ()) -> None:
        """Forget where paging stopped (a full sync); ``keep`` names cursors that must survive (the audit's)."""
        await self.session.execute(
            delete(SyncCursor).where(SyncCursor.integration_id == integration_id, SyncCursor.entity_type.not_in(keep))
        )


class DeadLetterRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add_many(self, integration_id: str, job_id: uuid.UUID | None, letters: Sequence[DeadLetterIn]) -> None:
        for letter in letters:
            self.session.add(
                DeadLetterRecord(
                    integration_id=integration_id,
                    job_id=job_id,
                    entity_type=letter.entity_type,
                    entity_id=letter.entity_id,
                    reason=letter.reason[:4000],
                    raw=letter.raw,
                )
            )
        await self.session.flush()

    async def get(self, letter_id: int) -> DeadLetterRecord | None:
        return await self.session.get(DeadLetterRecord, letter_id, with_for_update=True)

    async def page(
        self, integration_id: str | None, limit: int, offset: int, *, job_id: uuid.UUID | None = None
    ) -> tuple[Sequence[DeadLetterRecord], int]:
        query = select(DeadLetterRecord)
        if integration_id is not None:
            query = query.where(DeadLetterRecord.integration_id == integration_id)
        if job_id is not None:
            query = query.where(DeadLetterRecord.job_id == job_id)
        total = await self.session.scalar(select(func.count()).select_from(query.subquery()))
        rows = await self.session.scalars(query.order_by(DeadLetterRecord.id.desc()).limit(limit).offset(offset))
        return rows.all(), int(total or 0)
