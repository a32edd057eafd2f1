"""Request-scoped sessions (the hot read routes open a read-only connection themselves: crm_common.db.reading) and
settings."""

from __future__ import annotations

from collections.abc import AsyncIterator

from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from crm_common.db import read_only_sessions
from inventory_service.settings import InventorySettings


async def read_session(request: Request) -> AsyncIterator[AsyncSession]:
    """A session for a read-only request: no transaction around its statements, and no writes (crm_common.db)."""
    sessions: async_sessionmaker[AsyncSession] = request.app.state.sessions
    async with read_only_sessions(sessions)() as session:
        yield session


def settings(request: Request) -> InventorySettings:
    """The service's settings (a plain call in the route: a dependency costs FastAPI a resolution per request)."""
    value: InventorySettings = request.app.state.settings
    return value


async def write_session(request: Request) -> AsyncIterator[AsyncSession]:
    """A session whose transaction commits when the request succeeds and rolls back if it raises. Take it with
    ``Depends(write_session, scope="function")`` so that the commit happens before the response is sent."""
    sessions: async_sessionmaker[AsyncSession] = request.app.state.sessions
    async with sessions() as session, session.begin():
        yield session
