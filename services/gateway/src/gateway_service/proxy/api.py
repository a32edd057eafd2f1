"""The catch-all route: everything under ``/api/v1`` that the gateway does not answer itself goes to a service."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, Request
from starlette.responses import Response

from crm_common.errors import NotFound
from gateway_service.access.authn import Authenticator, authorize
from gateway_service.access.guard import AccessGuard
from gateway_service.proxy.forward import Forwarder
from gateway_service.routing.table import RoutingTable, check_path

METHODS = ["GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE"]

router = APIRouter(include_in_schema=False)


@dataclass
class Gateway:
    table: RoutingTable
    authenticator: Authenticator
    guard: AccessGuard
    forwarder: Forwarder

    async def handle(self, request: Request) -> Response:
        # What ``request.url.path`` gives, without building and re-parsing the whole URL.
        path = request.scope["path"].replace("?", "%3F").replace("#", "%23").replace("\\", "%5C")
        route = self.table.match(path)
        if route is None:
            raise NotFound(f"no service serves {path}")
        request.state.gateway_route = route.prefix
        check_path(path, request.scope.get("raw_path") or path.encode())
        principal = None
        if not self.table.is_public(path):
            principal = await self.authenticator.verify_request(request)
        client_ip = request.client.host if request.client else "unknown"
        await self.guard.check(principal, path, client_ip)  # revocation and rate limits: one Redis round trip
        if principal is not None:
            authorize(principal, route.permissions_for(request.method))
        return await self.forwarder.forward(request, route)


@router.api_route("/api/v1/{path:path}", methods=METHODS)
async def proxy(request: Request) -> Response:
    gateway: Gateway = request.app.state.gateway
    return await gateway.handle(request)


# The catch-all route itself (the fast path labels metrics with it, as the router would).
ROUTE = next(r for r in router.routes if getattr(r, "endpoint", None) is proxy)
