"""One OpenAPI document for every service, tolerant of a service being down, with bearer auth described."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import BaseModel

from crm_common.security import Permission, require_permission
from crm_testing import free_port, serve_in_thread


class Product(BaseModel):
    id: str
    name: str


class Stock(BaseModel):
    store_id: str
    product: InventoryProduct


class InventoryProduct(BaseModel):
    id: str
    quantity: str


Stock.model_rebuild()


def catalog_app() -> FastAPI:
    app = FastAPI()

    @app.get("/api/v1/products/{product_id}", response_model=Product)
    async def get_product(product_id: str, _: Any = require_permission_dep(Permission.PRODUCTS_READ)) -> Product:
        """Get one product."""
        return Product(id=product_id, name="x")

    @app.get("/internal/only")
    async def internal() -> dict[str, str]:
        return {}

    return app


def require_permission_dep(permission: Permission) -> Any:
    from fastapi import Depends

    return Depends(require_permission(permission))


def inventory_app() -> FastAPI:
    """Uses the schema name ``Product`` for a different shape than catalog does."""
    app = FastAPI()

    class Product(BaseModel):
        id: str
        quantity: str

    @app.get("/api/v1/inventory/products/{product_id}", response_model=Product)
    async def stock_of(product_id: str) -> Product:
        return Product(id=product_id, quantity="1")

    return app


@pytest.fixture(scope="module")
def docs_gateway(gateway_factory: Any) -> Any:
    with (
        serve_in_thread(catalog_app()) as catalog,
        serve_in_thread(inventory_app()) as inventory,
        gateway_factory(
            catalog_url=catalog, inventory_url=inventory, connector_url=f"http://127.0.0.1:{free_port()}"
        ) as url,
    ):
        yield url


@pytest.fixture
async def spec(docs_gateway: str) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=docs_gateway) as c:
        response = await c.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return dict(response.json())


async def test_every_services_public_paths_are_in_one_spec(spec: dict[str, Any]) -> None:
    paths = set(spec["paths"])
    assert {"/api/v1/products/{product_id}", "/api/v1/inventory/products/{product_id}", "/api/v1/auth/login"} <= paths
    assert {"/api/v1/notifications/stream", "/api/v1/admin/health"} <= paths


async def test_paths_the_gateway_does_not_route_are_left_out(spec: dict[str, Any]) -> None:
    assert "/internal/only" not in spec["paths"]
    assert not any(p.startswith("/health") for p in spec["paths"])


async def test_a_service_that_is_down_is_listed_not_fatal(spec: dict[str, Any]) -> None:
    assert spec["x-unavailable-services"] == ["moysklad-connector"]


async def test_clashing_schema_names_are_kept_apart(spec: dict[str, Any]) -> None:
    schemas = spec["components"]["schemas"]
    catalog_ref = spec["paths"]["/api/v1/products/{product_id}"]["get"]["responses"]["200"]["content"][
        "application/json"
    ]["schema"]["$ref"]
    inventory_ref = spec["paths"]["/api/v1/inventory/products/{product_id}"]["get"]["responses"]["200"]["content"][
        "application/json"
    ]["schema"]["$ref"]
    assert catalog_ref != inventory_ref
    assert set(schemas[catalog_ref.rsplit("/", 1)[1]]["properties"]) == {"id", "name"}
    assert set(schemas[inventory_ref.rsplit("/", 1)[1]]["properties"]) == {"id", "quantity"}


async def test_bearer_auth_is_described_and_public_routes_need_none(spec: dict[str, Any]) -> None:
    assert spec["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    assert spec["security"] == [{"HTTPBearer": []}]
    assert spec["paths"]["/api/v1/auth/login"]["post"]["security"] == []
    assert spec["paths"]["/api/v1/products/{product_id}"]["get"]["security"] == [{"HTTPBearer": []}]


async def test_docs_page_loads_the_merged_spec(docs_gateway: str) -> None:
    async with httpx.AsyncClient(base_url=docs_gateway) as c:
        response = await c.get("/api/v1/docs")
    assert response.status_code == 200
    assert "/api/v1/openapi.json" in response.text
    assert "cdn.jsdelivr.net" in response.headers["content-security-policy"]
