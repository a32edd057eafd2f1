"""``/api/v1/openapi.json`` and ``/api/v1/docs``: the whole public API in one document."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse

from gateway_service.docs.merge import SpecCache, merge_specs

router = APIRouter(include_in_schema=False)

OPENAPI_PATH = "/api/v1/openapi.json"
DOCS_PATH = "/api/v1/docs"


@router.get(OPENAPI_PATH)
async def openapi(request: Request) -> JSONResponse:
    cache: SpecCache = request.app.state.spec_cache
    specs, missing = await cache.specs()
    own: dict[str, Any] = request.app.openapi()
    merged = merge_specs(own, specs, request.app.state.gateway.table, missing)
    return JSONResponse(merged, headers={"cache-control": "no-cache"})


@router.get(DOCS_PATH)
async def docs() -> HTMLResponse:
    return get_swagger_ui_html(
        openapi_url=OPENAPI_PATH,
        title="CRM API",
        swagger_ui_parameters={"persistAuthorization": True, "displayRequestDuration": True},
    )
