"""Which integrations the scheduler syncs."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from crm_common.db import transaction
from moysklad_connector.integrations.repository import IntegrationRepository
from moysklad_connector.integrations.service import DEFAULT_INTEGRATION
from moysklad_connector.settings import ConnectorSettings


async def enabled_integrations(sessions: async_sessionmaker[AsyncSession], settings: ConnectorSettings) -> list[str]:
    """Stored, enabled integrations, plus ``default`` when the environment carries credentials for it."""
    async with transaction(sessions) as session:
        rows = await IntegrationRepository(session).all()
    ids = [row.id for row in rows if row.enabled]
    stored = {row.id for row in rows}
    has_env_credentials = bool(settings.moysklad_token or settings.moysklad_username)
    if DEFAULT_INTEGRATION not in stored and has_env_credentials:
        ids.insert(0, DEFAULT_INTEGRATION)
    return ids
