from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from auth_service.deadletters.models import DeadLetterDisposition

Position = tuple[int, int]  # (partition, offset) on the dead-letter topic


class DispositionRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def of(self, topic: str, positions: Iterable[Position]) -> dict[Position, DeadLetterDisposition]:
        wanted = set(positions)
        if not wanted:
            return {}
        rows = await self.session.scalars(
            select(DeadLetterDisposition).where(
                DeadLetterDisposition.topic == topic,
                DeadLetterDisposition.partition.in_({p for p, _ in wanted}),
                DeadLetterDisposition.offset.in_({o for _, o in wanted}),
            )
        )
        return {(r.partition, r.offset): r for r in rows if (r.partition, r.offset) in wanted}

    async def get(self, topic: str, position: Position) -> DeadLetterDisposition | None:
        return await self.session.get(DeadLetterDisposition, (topic, *position))

    async def add(self, row: DeadLetterDisposition) -> None:
        self.session.add(row)
        await self.session.flush()
