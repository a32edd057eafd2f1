"""FastAPI dependencies reading what the lifespan put on ``app.state``."""

from __future__ import annotations

from collections.abc import AsyncIterator

from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncSession

from crm_common.db import transaction
from moysklad_connector.settings import ConnectorSettings
from moysklad_connector.sync.service import SyncService


async def db_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One transaction per request: committed if the handler succeeds.

    Routes take it with ``scope="function"`` so the commit happens before the response is sent: a client that reads
    right after a write must see it (with the default scope FastAPI sends the response first).
    """
    async with transaction(request.app.state.sessions) as session:
        yield session


def sync_service(request: Request) -> SyncService:
    service: SyncService = request.app.state.sync_service
    return service


def settings(request: Request) -> ConnectorSettings:
    value: ConnectorSettings = request.app.state.settings
    return value
