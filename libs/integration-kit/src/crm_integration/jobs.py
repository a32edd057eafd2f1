"""All SQL of sync jobs, cursors and skipped objects (dead letters). Callers own the transaction.

Each repository is built from a session and the connector's table class (a subclass of the mixin in
crm_integration.tables); :class:`SyncTables` bundles a connector's classes and builds the repositories.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from crm_integration.ledger import LedgerRepository
from crm_integration.tables import PublishedEntityRow, SkippedObjectRow, SyncCursorRow, SyncJobRow

Job = TypeVar("Job", bound=SyncJobRow)
Letter = TypeVar("Letter", bound=SkippedObjectRow)

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


class JobRepository(Generic[Job]):
    def __init__(self, session: AsyncSession, model: type[Job]) -> None:
        self.session, self.model = session, model

    async def add(self, job: Job) -> Job:
        self.session.add(job)
        await self.session.flush()
        return job

    async def get(self, job_id: uuid.UUID) -> Job | None:
        return await self.session.get(self.model, job_id)

    async def page(self, integration_id: str | None, limit: int, offset: int) -> tuple[Sequence[Job], int]:
        query = select(self.model)
        if integration_id is not None:
            query = query.where(self.model.integration_id == integration_id)
        total = await self.session.scalar(select(func.count()).select_from(query.subquery()))
        rows = await self.session.scalars(query.order_by(self.model.created_at.desc()).limit(limit).offset(offset))
        return rows.all(), int(total or 0)

    async def active(self, integration_id: str) -> Job | None:
        return await self.session.scalar(
            select(self.model).where(self.model.integration_id == integration_id, self.model.status.in_(ACTIVE))
        )

    async def latest(
        self, integration_id: str, *, mode: str | None = None, status: str | tuple[str, ...] | None = None
    ) -> Job | None:
        query = select(self.model).where(self.model.integration_id == integration_id)
        if mode is not None:
            query = query.where(self.model.mode == mode)
        if status is not None:
            query = query.where(self.model.status.in_((status,) if isinstance(status, str) else status))
        return await self.session.scalar(query.order_by(self.model.created_at.desc()).limit(1))

    async def latest_finished(self, integration_id: str) -> Job | None:
        return await self.session.scalar(
            select(self.model)
            .where(self.model.integration_id == integration_id, self.model.finished_at.is_not(None))
            .order_by(self.model.finished_at.desc())
            .limit(1)
        )

    async def interrupt_active(self, integration_id: str, detail: str) -> list[uuid.UUID]:
        """Mark orphaned active jobs (their process died: nobody holds the lock) as interrupted."""
        result = await self.session.execute(
            update(self.model)
            .where(self.model.integration_id == integration_id, self.model.status.in_(ACTIVE))
            .values(status="interrupted", detail=detail, finished_at=datetime.now(UTC))
            .returning(self.model.id)
        )
        return list(result.scalars())

    async def record_page(self, job_id: uuid.UUID, entity_type: str, published: int) -> None:
        job = await self.session.get(self.model, job_id, with_for_update=True)
        if job is None:
            return
        counts = dict(job.counts)
        counts[entity_type] = counts.get(entity_type, 0) + published
        job.counts = counts
        job.heartbeat_at = datetime.now(UTC)

    async def set_counts(self, job_id: uuid.UUID, counts: dict[str, int]) -> None:
        job = await self.session.get(self.model, job_id, with_for_update=True)
        if job is not None:
            job.counts, job.heartbeat_at = {**job.counts, **counts}, datetime.now(UTC)

    async def record_skipped(self, job_id: uuid.UUID, letters: Sequence[DeadLetterIn]) -> None:
        """Count the objects a page kept as dead letters, per type and reason (the reason's first line, cut short)."""
        if not letters:
            return
        job = await self.session.get(self.model, job_id, with_for_update=True)
        if job is None:
            return
        skipped = {kind: dict(reasons) for kind, reasons in job.skipped.items()}
        for letter in letters:
            reasons = skipped.setdefault(letter.entity_type, {})
            reason = letter.reason.splitlines()[0][:200] if letter.reason else "unknown"
            reasons[reason] = reasons.get(reason, 0) + 1
        job.skipped = skipped

    async def set_progress(self, job_id: uuid.UUID, entity_type: str, state: str, error: str | None = None) -> None:
        job = await self.session.get(self.model, job_id, with_for_update=True)
        if job is None:
            return
        job.progress = {**job.progress, entity_type: state}
        if error is not None:
            job.errors = [*job.errors, {"entity_type": entity_type, "error": error[:2000]}]

    async def finish(self, job_id: uuid.UUID, status: str, detail: str | None) -> Job | None:
        job = await self.session.get(self.model, job_id, with_for_update=True)
        if job is None:
            return None
        job.status, job.detail, job.finished_at = status, detail, datetime.now(UTC)
        await self.session.flush()
        return job


class CursorRepository:
    def __init__(self, session: AsyncSession, model: type[SyncCursorRow]) -> None:
        self.session, self.model = session, model

    async def get(self, integration_id: str, entity_type: str) -> Cursor:
        row = await self.session.get(self.model, (integration_id, entity_type))
        return Cursor() if row is None else Cursor(row.last_updated, row.last_id)

    async def save(self, integration_id: str, entity_type: str, cursor: Cursor, job_id: uuid.UUID) -> None:
        values = {"last_updated": cursor.last_updated, "last_id": cursor.last_id, "job_id": job_id}
        stmt = insert(self.model).values(integration_id=integration_id, entity_type=entity_type, **values)
        await self.session.execute(
            stmt.on_conflict_do_update(
                index_elements=[self.model.integration_id, self.model.entity_type],
                set_={**values, "saved_at": func.now()},
            )
        )

    async def reset(self, integration_id: str, *, keep: tuple[str, ...] = ()) -> None:
        """Forget where paging stopped (a full sync); ``keep`` names cursors that must survive (the audit's)."""
        await self.session.execute(
            delete(self.model).where(self.model.integration_id == integration_id, self.model.entity_type.not_in(keep))
        )


class DeadLetterRepository(Generic[Letter]):
    def __init__(self, session: AsyncSession, model: type[Letter]) -> None:
        self.session, self.model = session, model

    async def add_many(self, integration_id: str, job_id: uuid.UUID | None, letters: Sequence[DeadLetterIn]) -> None:
        for letter in letters:
            self.session.add(
                self.model(  # type: ignore[call-arg]  # the connector's mapped subclass takes the columns
                    integration_id=integration_id,
                    job_id=job_id,
                    entity_type=letter.entity_type,
                    entity_id=letter.entity_id,
                    reason=letter.reason[:4000],
                    raw=letter.raw,
                )
            )
        await self.session.flush()

    async def get(self, letter_id: int) -> Letter | None:
        return await self.session.get(self.model, letter_id, with_for_update=True)

    async def page(
        self, integration_id: str | None, limit: int, offset: int, *, job_id: uuid.UUID | None = None
    ) -> tuple[Sequence[Letter], int]:
        query = select(self.model)
        if integration_id is not None:
            query = query.where(self.model.integration_id == integration_id)
        if job_id is not None:
            query = query.where(self.model.job_id == job_id)
        total = await self.session.scalar(select(func.count()).select_from(query.subquery()))
        rows = await self.session.scalars(query.order_by(self.model.id.desc()).limit(limit).offset(offset))
        return rows.all(), int(total or 0)


@dataclass(frozen=True)
class SyncTables(Generic[Job, Letter]):
    """A connector's job, cursor and skipped-object tables; builds the repositories over them."""

    job: type[Job]
    cursor: type[SyncCursorRow]
    skipped: type[Letter]
    published: type[PublishedEntityRow]

    def jobs(self, session: AsyncSession) -> JobRepository[Job]:
        return JobRepository(session, self.job)

    def cursors(self, session: AsyncSession) -> CursorRepository:
        return CursorRepository(session, self.cursor)

    def dead_letters(self, session: AsyncSession) -> DeadLetterRepository[Letter]:
        return DeadLetterRepository(session, self.skipped)

    def ledger(self, session: AsyncSession) -> LedgerRepository:
        return LedgerRepository(session, self.published)

    async def keep_skipped(
        self, session: AsyncSession, integration_id: str, job_id: uuid.UUID, letters: Sequence[DeadLetterIn]
    ) -> None:
        """Keep the objects a page could not map, with their bodies, and count them on the job."""
        await self.dead_letters(session).add_many(integration_id, job_id, letters)
        await self.jobs(session).record_skipped(job_id, letters)

    async def save_page(
        self,
        session: AsyncSession,
        integration_id: str,
        job_id: uuid.UUID,
        name: str,
        cursor: Cursor,
        published: int,
        letters: Sequence[DeadLetterIn] = (),
    ) -> None:
        """After a page's events were published (never before): where paging of ``name`` stopped, how many events
        went out, which objects were skipped; in the caller's transaction."""
        await self.cursors(session).save(integration_id, name, cursor, job_id)
        await self.jobs(session).record_page(job_id, name, published)
        await self.keep_skipped(session, integration_id, job_id, letters)
