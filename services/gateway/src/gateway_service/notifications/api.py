"""``GET /api/v1/notifications/stream``: Server-Sent Events (WHATWG HTML §9.2) of the alerts a user may see."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field
from redis.asyncio import Redis

from crm_common.errors import Forbidden, ServiceUnavailable, Unauthorized, error_responses
from crm_common.logging import get_logger
from crm_common.security import Permission, Principal
from crm_common.web.query import QueryParameters
from gateway_service.access.deps import require
from gateway_service.notifications.feed import stream_key

log = get_logger(__name__)

router = APIRouter(tags=["notifications"])

READ_BLOCK_MS = 1000  # below the Redis client's socket timeout
_STREAM_ID = "0123456789-"


class StreamQuery(BaseModel):
    """The query parameters of the stream (crm_common.web.query); ``Last-Event-ID`` stays a header parameter."""

    after: str | None = Field(default=None, description="Resume after this event id (for clients without headers).")


STREAM_QUERY = QueryParameters(StreamQuery)


@router.get(
    "/api/v1/notifications/stream",
    response_class=StreamingResponse,
    responses={
        200: {"content": {"text/event-stream": {}}, "description": "An endless stream of notifications."},
        **error_responses(Unauthorized, Forbidden, ServiceUnavailable),
    },
)
async def stream(
    request: Request,
    principal: Annotated[Principal, Depends(require(Permission.NOTIFICATIONS_READ))],
    query: Annotated[StreamQuery, Depends(STREAM_QUERY)],
    last_event_id: str | None = Header(default=None, description="Resume after this event id (sent by browsers)."),
) -> StreamingResponse:
    """Stream alerts and sync failures the caller may see; reconnect with Last-Event-ID to resume."""
    redis: Redis = request.app.state.runtime.redis
    resume = last_event_id or query.after
    if resume is not None and (not resume or any(c not in _STREAM_ID for c in resume)):
        resume = None
    start = resume or await _current_end(redis)
    heartbeat = request.app.state.settings.notifications_heartbeat.total_seconds()
    headers = {"cache-control": "no-cache", "x-accel-buffering": "no"}
    return StreamingResponse(
        _events(request, redis, principal, start, heartbeat), media_type="text/event-stream", headers=headers
    )


async def _current_end(redis: Redis) -> str:
    last: Any = await redis.xrevrange(stream_key(), count=1)
    return str(last[0][0].decode()) if last else "0-0"


async def _events(
    request: Request, redis: Redis, principal: Principal, last_id: str, heartbeat: float
) -> AsyncIterator[str]:
    yield "retry: 3000\n\n"
    quiet_since = time.monotonic()
    while True:
        entries: Any = await redis.xread({stream_key(): last_id}, count=100, block=READ_BLOCK_MS)
        for _, items in entries:
            for entry_id, fields in items:
                last_id = entry_id.decode()
                if principal.can(fields[b"permission"].decode()):
                    quiet_since = time.monotonic()
                    yield _sse(last_id, fields[b"event_type"].decode(), fields[b"data"].decode())
        if time.monotonic() - quiet_since >= heartbeat:
            if not await _still_valid(request, principal):
                yield f"event: session.ended\ndata: {json.dumps({'reason': 'session ended'})}\n\n"
                return
            quiet_since = time.monotonic()
            yield ": ping\n\n"


def _sse(event_id: str, event: str, data: str) -> str:
    return f"id: {event_id}\nevent: {event}\ndata: {data}\n\n"


async def _still_valid(request: Request, principal: Principal) -> bool:
    """An open stream must not outlive its session: recheck expiry and revocation on each heartbeat."""
    if principal.expires_at <= datetime.now(UTC):
        return False
    try:
        authenticator = request.app.state.gateway.authenticator
        return not await authenticator.revocations.is_revoked(principal.session_id)
    except Exception:
        return True  # Redis trouble: the xread above will fail and end the stream anyway
