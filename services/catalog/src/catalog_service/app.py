"""The catalog service: a read model of products, variants and folders fed by catalog events."""

from __future__ import annotations

from fastapi import FastAPI

from catalog_service.consumers import register_consumers
from catalog_service.db import SCHEMA, SERVICE_ROOT
from catalog_service.folders.api import router as folders_router
from catalog_service.products.api import router as products_router
from catalog_service.settings import CatalogSettings
from crm_common.events.topics import FOLDERS, PRODUCTS, VARIANTS
from crm_common.security.jwt import TokenVerifier
from crm_common.service import ServiceSpec, build_app

SPEC = ServiceSpec(
    name="catalog",
    title="Catalog service",
    description="Products, services, bundles, variants and folders, kept in step with catalog events.",
    root=SERVICE_ROOT,
    schema=SCHEMA,
    # The folders router comes first so `/products/folders/` is not taken for a product id.
    routers=(folders_router, products_router),
    topics=(FOLDERS, PRODUCTS, VARIANTS),
    consumers=register_consumers,
)


def create_app(settings: CatalogSettings | None = None, *, token_verifier: TokenVerifier | None = None) -> FastAPI:
    return build_app(SPEC, settings or CatalogSettings(), token_verifier=token_verifier)
