from __future__ import annotations

import pytest

from crm_common.errors import BadRequest
from gateway_service.routing.table import RoutingTable, build_routes, check_path
from gateway_service.settings import DEFAULT_PUBLIC_PATHS, GatewaySettings


@pytest.fixture
def table() -> RoutingTable:
    return RoutingTable(build_routes(GatewaySettings()), DEFAULT_PUBLIC_PATHS)


@pytest.mark.parametrize(
    ("path", "service", "upstream"),
    [
        ("/api/v1/auth/login", "auth", "http://127.0.0.1:8001"),
        ("/api/v1/products", "catalog", "http://127.0.0.1:8002"),
        ("/api/v1/products/123/variants", "catalog", "http://127.0.0.1:8002"),
        ("/api/v1/inventory/stock", "inventory", "http://127.0.0.1:8003"),
        ("/api/v1/analytics/revenue", "analytics", "http://127.0.0.1:8004"),
        ("/api/v1/admin/integrations/1", "moysklad-connector", "http://127.0.0.1:8005"),
        ("/api/v1/admin/sync", "moysklad-connector", "http://127.0.0.1:8005"),
        ("/api/v1/admin/bitrix24/integrations/1", "bitrix24-connector", "http://127.0.0.1:8006"),
        ("/api/v1/admin/bitrix24/sync/jobs", "bitrix24-connector", "http://127.0.0.1:8006"),
        ("/api/v1/integrations/bitrix24/webhook", "bitrix24-connector", "http://127.0.0.1:8006"),
        ("/api/v1/admin/users/7", "auth", "http://127.0.0.1:8001"),
        ("/api/v1/admin/roles", "auth", "http://127.0.0.1:8001"),
        ("/api/v1/admin/audit", "auth", "http://127.0.0.1:8001"),
        ("/api/v1/admin/dead-letters/0-1/redrive", "auth", "http://127.0.0.1:8001"),
    ],
)
def test_each_public_prefix_goes_to_its_service_on_its_default_port(
    table: RoutingTable, path: str, service: str, upstream: str
) -> None:
    route = table.match(path)
    assert route is not None
    assert (route.service, route.upstream) == (service, upstream)


@pytest.mark.parametrize(
    "path",
    ["/api/v1/productsx", "/api/v1/admin", "/api/v1/admin/other", "/api/v1/admin/bitrix24x", "/health/ready", "/"],
)
def test_paths_outside_every_prefix_match_nothing(table: RoutingTable, path: str) -> None:
    assert table.match(path) is None


def test_upstream_urls_come_from_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GATEWAY_CATALOG_URL", "http://catalog.internal:9000")
    table = RoutingTable(build_routes(GatewaySettings()), [])
    route = table.match("/api/v1/products/")
    assert route is not None
    assert route.upstream == "http://catalog.internal:9000"


def test_writes_need_the_write_permission(table: RoutingTable) -> None:
    route = table.match("/api/v1/inventory/adjustments")
    assert route is not None
    assert route.permissions_for("GET") == {"inventory:read"}
    assert route.permissions_for("POST") == {"inventory:write"}


@pytest.mark.parametrize(
    ("path", "public"),
    [
        ("/api/v1/auth/login", True),
        ("/api/v1/auth/refresh", True),
        ("/api/v1/auth/.well-known/jwks.json", True),
        ("/api/v1/auth/password/reset", True),
        ("/api/v1/auth/password", False),
        ("/api/v1/auth/logout", False),
        ("/api/v1/integrations/moysklad/webhook", True),
        ("/api/v1/integrations/bitrix24/webhook", True),
        ("/api/v1/admin/bitrix24/integrations", False),
        ("/api/v1/auth/me", False),
        ("/api/v1/auth/login-as", False),
        ("/api/v1/products", False),
    ],
)
def test_only_listed_paths_are_public(table: RoutingTable, path: str, public: bool) -> None:
    assert table.is_public(path) is public


@pytest.mark.parametrize(
    ("path", "raw"),
    [
        ("/api/v1/admin/users", b"/api/v1/products/../admin/users"),
        ("/api/v1/products/../admin", b"/api/v1/products/%2e%2e/admin"),
        ("/api/v1/products/x/admin", b"/api/v1/products/x%2F..%2Fadmin"),
        ("/api/v1/products/x\\admin", b"/api/v1/products/x%5cadmin"),
        ("/api/v1/products//admin", b"/api/v1/products//admin"),
        ("/api/v1/products/./x", b"/api/v1/products/./x"),
    ],
)
def test_paths_that_could_escape_their_prefix_are_refused(path: str, raw: bytes) -> None:
    with pytest.raises(BadRequest):
        check_path(path, raw)


def test_ordinary_encoded_paths_pass() -> None:
    check_path("/api/v1/products/молоко 1", b"/api/v1/products/%D0%BC%D0%BE%D0%BB%D0%BE%D0%BA%D0%BE%201")
