"""The console bundle at `/`: long caching for hashed assets, none for index.html, SPA fallback, a page when unbuilt."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from crm_common.errors import NotFound
from crm_common.web.app import create_service_app
from gateway_service.console import api as console_api
from gateway_service.settings import GatewaySettings
from gateway_service.web.security import SecurityHeadersMiddleware


def make_app(dist: Path) -> FastAPI:
    app = create_service_app(service="gateway", title="t", description="t", routers=[console_api.router])
    app.state.settings = GatewaySettings(console_dir=str(dist))
    app.add_middleware(SecurityHeadersMiddleware, hsts=False, docs_path="/api/v1/docs")
    return app


@pytest.fixture
def dist(tmp_path: Path) -> Path:
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text('<!doctype html><script type="module" src="/assets/index-abc123.js"></script>')
    (tmp_path / "assets" / "index-abc123.js").write_text("console.log('console')")
    (tmp_path / "favicon.svg").write_text("<svg/>")
    (tmp_path.parent / "secret.txt").write_text("outside the bundle")
    return tmp_path


async def get(app: FastAPI, path: str) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://gw") as client:
        return await client.get(path)


async def test_index_is_served_at_the_root_and_never_cached(dist: Path) -> None:
    response = await get(make_app(dist), "/")
    assert response.status_code == 200
    assert "/assets/index-abc123.js" in response.text
    assert response.headers["cache-control"] == "no-cache"
    assert response.headers["content-type"].startswith("text/html")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert response.headers["x-frame-options"] == "DENY"


async def test_hashed_assets_are_cached_for_a_year(dist: Path) -> None:
    response = await get(make_app(dist), "/assets/index-abc123.js")
    assert response.status_code == 200
    assert response.text == "console.log('console')"
    assert "immutable" in response.headers["cache-control"]
    assert "javascript" in response.headers["content-type"]


async def test_other_files_of_the_bundle_are_revalidated(dist: Path) -> None:
    response = await get(make_app(dist), "/favicon.svg")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-cache"


async def test_console_routes_fall_back_to_index(dist: Path) -> None:
    for path in ("/admin/sync", "/reports/sales?period=week", "/customers/abc"):
        response = await get(make_app(dist), path)
        assert response.status_code == 200, path
        assert "/assets/index-abc123.js" in response.text


async def test_missing_asset_api_and_probe_paths_are_not_the_console(dist: Path) -> None:
    app = make_app(dist)
    for path in (
        "/assets/index-old999.js",
        "/api/v2/products",
        "/api/nothing",
        "/health/nothing",
        "/a//b",
    ):
        response = await get(app, path)
        assert response.status_code == 404, path
        assert response.json()["error"] == "NotFound"


def test_an_empty_segment_before_the_api_is_not_the_console(dist: Path) -> None:
    # what the route hands over for a raw ``GET //api/v1/admin/users`` (an HTTP client would read "//api" as a host)
    with pytest.raises(NotFound):
        console_api.console_response(dist, "/api/v1/admin/users")


async def test_paths_outside_the_bundle_are_never_served(dist: Path) -> None:
    response = await get(make_app(dist), "/..%2Fsecret.txt")
    assert "outside the bundle" not in response.text
    assert console_api.resolve(dist, "../secret.txt") is None


async def test_an_unbuilt_console_says_how_to_build_it(tmp_path: Path) -> None:
    response = await get(make_app(tmp_path / "missing"), "/")
    assert response.status_code == 503
    assert "make console" in response.text
    assert response.headers["cache-control"] == "no-store"
