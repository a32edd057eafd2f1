"""FastAPI dependencies over what a connector's lifespan put on ``app.state`` (``sessions``, ``scheduler``)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from crm_common.db import transaction


async def db_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One transaction per request: committed if the handler succeeds.

    Routes take it with ``scope="function"`` so the commit happens before the response is sent: a client that reads
    right after a write must see it (with the default scope FastAPI sends the response first).
    """
    async with transaction(request.app.state.sessions) as session:
        yield session


# The one way a route takes the request's transaction (committed before the response is sent).
DbSession = Annotated[AsyncSession, Depends(db_session, scope="function")]


def typed(handler: Callable[..., Any], **annotations: Any) -> Callable[..., Any]:
    """Give a route handler's parameters the source's body types, which exist only when its router is made."""
    handler.__annotations__.update(annotations)
    return handler
