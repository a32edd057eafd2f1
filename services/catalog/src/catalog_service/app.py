"""The catalog service: a read model of products, variants and folders fed by catalog events."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from catalog_service.consumers import register_consumers
from catalog_service.db import SCHEMA
from catalog_service.folders.api import router as folders_router
from catalog_service.products.api import router as products_router
from catalog_service.settings import CatalogSettings
from crm_common.events.topics import FOLDERS, PRODUCTS, VARIANTS
from crm_common.logging import get_logger
from crm_common.messaging.broker import ensure_topics
from crm_common.runtime import Runtime
from crm_common.security.jwt import TokenVerifier
from crm_common.web.app import create_service_app

log = get_logger(__name__)


def create_app(settings: CatalogSettings | None = None, *, token_verifier: TokenVerifier | None = None) -> FastAPI:
    """Build the app; connections are opened in the lifespan, never at import."""
    settings = settings or CatalogSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        rt = await Runtime.open(
            settings, schema=SCHEMA, kafka=settings.consume_events, redis=False, client_id="crm-catalog"
        )
        app.state.runtime = rt
        app.state.sessions = rt.sessions
        app.state.health_checks.update(rt.checks)
        app.state.token_verifier = token_verifier or rt.token_verifier()
        app.state.session_check = rt.session_check()
        try:
            if rt.broker is not None and rt.sessions is not None:
                if settings.create_topics:
                    await ensure_topics(settings.kafka_bootstrap_servers, [FOLDERS, PRODUCTS, VARIANTS])
                register_consumers(rt.broker, rt.sessions, settings.consumer_group)
                await rt.broker.start()
                log.info("catalog consumers started", group=settings.consumer_group)
            yield
        finally:
            await rt.close()

    app = create_service_app(
        service="catalog",
        title="Catalog service",
        description="Products, services, bundles, variants and folders, kept in step with catalog events.",
        # The folders router comes first so `/products/folders/` is not taken for a product id.
        routers=[folders_router, products_router],
        lifespan=lifespan,
    )
    app.state.settings = settings
    return app
