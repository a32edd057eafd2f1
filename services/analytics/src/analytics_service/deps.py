"""Request-scoped dependencies shared by the routers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from analytics_service.cache import ReportCache
from analytics_service.settings import AnalyticsSettings
from crm_common.db import read_only_sessions
from crm_common.security.jwt import Principal
from crm_common.security.permissions import Permission, require_permission


async def session(request: Request) -> AsyncIterator[AsyncSession]:
    """One transaction per request: committed if the route returns, rolled back if it raises."""
    async with request.app.state.sessions() as s, s.begin():
        yield s


async def read_session(request: Request) -> AsyncIterator[AsyncSession]:
    """For reports: no transaction around their statements, and no writes (crm_common.db.read_only_engine)."""
    async with read_only_sessions(request.app.state.sessions)() as s:
        yield s


# async although it awaits nothing: FastAPI runs a plain `def` dependency in its thread pool, a hop per request.
async def settings(request: Request) -> AnalyticsSettings:
    return request.app.state.settings


async def cache(request: Request) -> ReportCache:
    return request.app.state.report_cache


def report_context(request: Request) -> tuple[AnalyticsSettings, ReportCache]:
    """The settings and the report cache, for the cached report routes: read off the app by the route itself, as it
    opens its read-only connection (crm_common.db.reading), rather than as three dependencies FastAPI solves per
    request."""
    state = request.app.state
    return state.settings, state.report_cache


# scope="function": the commit happens before the response is sent, so a client that reads right after a write sees
# it (with the default scope FastAPI would commit after the answer went out).
Session = Annotated[AsyncSession, Depends(session, scope="function")]
ReadSession = Annotated[AsyncSession, Depends(read_session)]
Settings = Annotated[AnalyticsSettings, Depends(settings)]
Cache = Annotated[ReportCache, Depends(cache)]
Reader = Annotated[Principal, Depends(require_permission(Permission.ANALYTICS_READ))]
