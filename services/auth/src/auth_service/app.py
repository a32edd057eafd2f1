"""The auth service declared as a ``ServiceSpec``: its routers, and what it prepares once its runtime is open."""

from __future__ import annotations

from datetime import timedelta

from fastapi import FastAPI

from auth_service.audit.api import router as audit_router
from auth_service.body_limit import BodySizeLimitMiddleware
from auth_service.bootstrap import refuse_default_admin, require_migrated
from auth_service.commands import sync_permission_catalog
from auth_service.context import AuthContext, make_hasher
from auth_service.db import SCHEMA, SERVICE_ROOT
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
from crm_common.security.jwt import TokenVerifier
from crm_common.security.revocation import RevocationStore
from crm_common.service import Running, ServiceSpec, build_app


def _seconds(delta: timedelta) -> int:
    return int(delta.total_seconds())


async def prepare(running: Running) -> None:
    """Refuse an unmigrated schema or a default admin password, sync the permission catalog, load the signing key,
    and put the auth context on ``app.state``."""
    settings: AuthSettings = running.settings
    rt, app = running.runtime, running.app
    assert rt.redis is not None
    hasher = make_hasher(settings)
    keyring = KeyRing(running.sessions, settings)
    async with transaction(running.sessions) as session:
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
        sessions=running.sessions,
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


def _body_limit(app: FastAPI, settings: AuthSettings) -> None:
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=settings.max_body_bytes)


SPEC = ServiceSpec(
    name="auth",
    title="CRM auth service",
    description="Users, roles, sessions and access tokens.",
    root=SERVICE_ROOT,
    schema=SCHEMA,
    routers=(auth_router, jwks_router, users_router, roles_router, audit_router, dead_letters_router),
    redis=True,
    state=prepare,
    middleware=_body_limit,
    after_migrate=sync_permission_catalog,
)


def create_app(settings: AuthSettings | None = None) -> FastAPI:
    return build_app(SPEC, settings or AuthSettings())
