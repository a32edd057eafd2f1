"""The auth service's FastAPI app: routers, and what the lifespan opens and closes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from fastapi import FastAPI

from auth_service.audit.api import router as audit_router
from auth_service.body_limit import BodySizeLimitMiddleware
from auth_service.bootstrap import refuse_default_admin, require_migrated
from auth_service.context import AuthContext, make_hasher
from auth_service.db import SCHEMA
from auth_service.deadletters.api import router as dead_letters_router
from auth_service.keys.api import router as jwks_router
from auth_service.keys.service import KeyRing
from auth_service.roles.api import router as roles_router
from auth_service.roles.builtin import sync_permissions
from auth_service.sessions.api import router as auth_router
from auth_service.settings import AuthSettings
from auth_service.throttle.limiter import LoginLimits, LoginThrottle
from auth_service.users.api import router as users_router
from crm_common.db import transaction
from crm_common.runtime import Runtime
from crm_common.security.jwt import TokenVerifier
from crm_common.security.revocation import RevocationStore
from crm_common.web.app import create_service_app


def _seconds(delta: timedelta) -> int:
    return int(delta.total_seconds())


def create_app(settings: AuthSettings | None = None) -> FastAPI:
    settings = settings or AuthSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        rt = await Runtime.open(settings, schema=SCHEMA, kafka=False, redis=True, client_id="crm-auth")
        try:
            assert rt.sessions is not None
            assert rt.redis is not None
            hasher = make_hasher(settings)
            keyring = KeyRing(rt.sessions, settings)
            async with transaction(rt.sessions) as session:
                await require_migrated(session, rt.engine.url.render_as_string(hide_password=True) if rt.engine else "")
                await sync_permissions(session)
                await refuse_default_admin(session, settings, hasher)
            await keyring.signing_key()
            limits = LoginLimits(
                per_account=settings.login_max_failures_per_account,
                per_ip=settings.login_max_failures_per_ip,
                window_seconds=_seconds(settings.login_failure_window),
            )
            app.state.auth = AuthContext(
                settings=settings,
                sessions=rt.sessions,
                keyring=keyring,
                hasher=hasher,
                throttle=LoginThrottle(rt.redis, limits),
                revocations=RevocationStore(rt.redis),
            )
            # Auth verifies its own tokens against its key ring directly, not through an HTTP call to itself.
            app.state.token_verifier = TokenVerifier(
                keyring,
                algorithm=settings.jwt_algorithm,
                issuer=settings.jwt_issuer,
                audience=settings.jwt_audience,
                leeway=settings.jwt_leeway_seconds,
            )
            # Auth answers logout itself: the next call on that session must be refused at once, so no caching.
            app.state.session_check = rt.session_check(cache_seconds=0)
            app.state.health_checks = rt.checks
            yield
        finally:
            await rt.close()

    app = create_service_app(
        service="auth",
        title="CRM auth service",
        description="Users, roles, sessions and access tokens.",
        routers=[auth_router, jwks_router, users_router, roles_router, audit_router, dead_letters_router],
        lifespan=lifespan,
    )
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=settings.max_body_bytes)
    return app
