"""The gateway declared as a ``ServiceSpec`` (docs/architecture.md, "Start-up"): routing table, proxy, auth, rate
limits, docs, health and notifications, made in the shared lifespan."""

from __future__ import annotations

from pathlib import Path

import httpx
from fastapi import FastAPI
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.middleware.gzip import GZipMiddleware

from crm_common.logging import configure_logging
from crm_common.runtime import Runtime
from crm_common.security import JWKSKeySource, TokenVerifier
from crm_common.security.revocation import RevocationStore
from crm_common.service import Running, ServiceSpec, build_app
from crm_common.web.middleware import MetricsMiddleware
from gateway_service.access.authn import Authenticator
from gateway_service.access.guard import AccessGuard
from gateway_service.access.ratelimit import RateLimiter
from gateway_service.access.redis_guard import RedisBreaker
from gateway_service.console import api as console_api
from gateway_service.docs import api as docs_api
from gateway_service.docs.merge import SpecCache
from gateway_service.health import api as health_api
from gateway_service.notifications import api as notifications_api
from gateway_service.notifications.feed import NotificationFeed, NotificationStore
from gateway_service.proxy import api as proxy_api
from gateway_service.proxy.client import make_side_client, make_upstream_pool
from gateway_service.proxy.fastpath import ProxyFastPath
from gateway_service.proxy.forward import Forwarder
from gateway_service.proxy.upstream import UpstreamPool
from gateway_service.routing.table import RoutingTable, build_routes
from gateway_service.settings import GatewaySettings
from gateway_service.web.metrics import GatewayMetricsMiddleware
from gateway_service.web.security import SecurityHeadersMiddleware

# The routers of the routes the gateway answers itself; everything else under /api/v1 is proxied.
OWN_ROUTERS = [docs_api.router, health_api.router, notifications_api.router]


def build_gateway(
    s: GatewaySettings, rt: Runtime, pool: UpstreamPool, jwks_client: httpx.AsyncClient
) -> proxy_api.Gateway:
    assert rt.redis is not None
    assert rt.resp is not None
    breaker = RedisBreaker(cool_down=s.redis_retry_after.total_seconds())
    keys = JWKSKeySource(
        s.jwks_url,
        cache_seconds=s.jwks_cache_seconds,
        min_refetch_seconds=s.jwks_min_refetch.total_seconds(),
        client=jwks_client,
    )
    verifier = TokenVerifier(keys, algorithm=s.jwt_algorithm, issuer=s.jwt_issuer, audience=s.jwt_audience)
    authenticator = Authenticator(verifier, RevocationStore(rt.redis), breaker, fail_open=s.revocation_fail_open)
    limiter = RateLimiter(s.rate_limits, fail_open=s.rate_limit_fail_open, namespace=s.rate_limit_namespace)
    forwarder = Forwarder(
        pool,
        max_body_bytes=s.max_body_bytes,
        retries=s.idempotent_retries,
        timeout=s.upstream_timeout.total_seconds(),
    )
    # The access check of every proxied request (revocation, rate limits) on the lean pipelined connection.
    guard = AccessGuard(rt.resp, breaker, limiter, revocation_fail_open=s.revocation_fail_open)
    return proxy_api.Gateway(RoutingTable(build_routes(s), s.public_paths), authenticator, guard, forwarder)


async def prepare(running: Running) -> None:
    """The upstream clients, the gateway (routing table, authentication, rate limits, proxy) and the docs cache."""
    s: GatewaySettings = running.settings
    pool = make_upstream_pool(s)
    running.close_later(pool.close)
    client = make_side_client(s)
    running.close_later(client.aclose)
    # JWKS fetches use their own small client so a saturated upstream pool never delays key refreshes.
    jwks_client = httpx.AsyncClient(timeout=5.0, trust_env=False)
    running.close_later(jwks_client.aclose)
    app = running.app
    app.state.upstream_client = client
    app.state.gateway = build_gateway(s, running.runtime, pool, jwks_client)
    services = app.state.gateway.table.services()
    app.state.spec_cache = SpecCache(
        client, services, ttl=s.docs_cache.total_seconds(), timeout=s.docs_fetch_timeout.total_seconds()
    )


def notifications(running: Running) -> NotificationFeed | None:
    """The notification feed (alerts from Kafka into Redis for the SSE stream), unless turned off."""
    s: GatewaySettings = running.settings
    feed = None
    if s.notifications_enabled:
        assert running.runtime.redis is not None
        feed = NotificationFeed(
            NotificationStore(running.runtime.redis, s.notifications_keep),
            s.kafka_bootstrap_servers,
            s.notifications_group,
        )
        feed.start()
    running.app.state.notification_feed = feed
    return feed


def middleware(app: FastAPI, s: GatewaySettings) -> None:
    # GatewayMetricsMiddleware records the shared crm_http_* families too: drop the second metrics layer.
    app.user_middleware = [m for m in app.user_middleware if m.cls is not MetricsMiddleware]
    # Innermost: proxied requests go straight to the gateway, past FastAPI's router (see proxy/fastpath.py).
    if s.proxy_fast_path:
        own_routes = [route for router in OWN_ROUTERS for route in router.routes]
        app.user_middleware.append(
            Middleware(ProxyFastPath, gateway_app=app, own_routes=own_routes, proxy_route=proxy_api.ROUTE)
        )
    app.add_middleware(GatewayMetricsMiddleware, service="gateway")
    app.add_middleware(GZipMiddleware, minimum_size=s.gzip_min_bytes, compresslevel=6)
    if s.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=s.cors_origins,
            allow_credentials=s.cors_allow_credentials,
            allow_methods=["*"],
            allow_headers=["*"],
            expose_headers=["x-request-id", "retry-after"],
            max_age=600,
        )
    app.add_middleware(SecurityHeadersMiddleware, hsts=s.hsts, docs_path=docs_api.DOCS_PATH)


SPEC = ServiceSpec(
    name="gateway",
    title="CRM API",
    description="The public API of the CRM: one entry for every service.",
    root=Path(__file__).resolve().parents[2],
    schema=None,  # nothing in PostgreSQL: Redis for session revocation, rate limits and the notification stream
    # the console's catch-all comes last: every other route wins
    routers=(*OWN_ROUTERS, proxy_api.router, console_api.router),
    redis=True,
    state=prepare,
    background=(notifications,),
    middleware=middleware,
    cli_description="The public API gateway of the CRM.",
    serve_help="serve the public API (default port 8000)",
    app_factory="gateway_service.app:app_factory",
)


def create_app(settings: GatewaySettings | None = None) -> FastAPI:
    return build_app(SPEC, settings or GatewaySettings())


def app_factory() -> FastAPI:
    """For ``uvicorn --factory gateway_service.app:app_factory``."""
    s = GatewaySettings()
    configure_logging("gateway", s.log_level, s.log_json)
    return create_app(s)
