from __future__ import annotations

import httpx
from auth_testkit import PASSWORD, make_user

from auth_service.app import create_app
from auth_service.context import AuthContext
from auth_service.sessions.repository import SessionRepository
from auth_service.settings import AuthSettings
from crm_testing import serve_in_thread


async def test_behind_a_trusted_proxy_the_session_records_the_forwarded_client_address(
    ctx: AuthContext, settings: AuthSettings
) -> None:
    """The gateway (a trusted proxy, 127.0.0.1 in development) appends the caller to X-Forwarded-For."""
    user = await make_user(ctx, ["viewer"])
    with serve_in_thread(create_app(settings)) as base_url:
        async with httpx.AsyncClient(base_url=base_url) as http:
            response = await http.post(
                "/api/v1/auth/login",
                json={"email": user.email, "password": PASSWORD},
                headers={"x-forwarded-for": "198.51.100.1, 203.0.113.9", "user-agent": "probe/1.0"},
            )
    assert response.status_code == 200

    async with ctx.sessions() as session:
        [stored] = await SessionRepository(session).for_user(user.id)
    assert stored.ip == "203.0.113.9"
    assert stored.user_agent == "probe/1.0"
