"""SQL of stored integrations."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from moysklad_connector.integrations.models import Integration


class IntegrationRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, integration_id: str) -> Integration | None:
        return await self.session.get(Integration, integration_id)

    async def all(self) -> Sequence[Integration]:
        return (await self.session.scalars(select(Integration).order_by(Integration.id))).all()

    async def delete(self, integration: Integration) -> None:
        await self.session.delete(integration)
        await self.session.flush()

    async def save(self, integration: Integration) -> Integration:
        merged = await self.session.merge(integration)
        await self.session.flush()
        return merged
