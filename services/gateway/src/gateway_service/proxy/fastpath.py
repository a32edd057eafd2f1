"""Proxied requests skip FastAPI's router, exception middleware and endpoint wrapper.

The catch-all route (``proxy.api.proxy``) needs none of FastAPI's machinery: no parameters, no dependencies, no
response model. Routing it through Starlette's router, ``ExceptionMiddleware``, ``request_response`` and FastAPI's
request handler cost about a third of the gateway's CPU per proxied request (py-spy, bench/gateway_throughput.py).
This pure-ASGI dispatcher, the innermost middleware, answers every request the catch-all would answer and passes the
rest on unchanged: paths outside ``/api/v1/``, the gateway's own routes (docs, OpenAPI, admin health, notifications),
methods the catch-all does not accept (so FastAPI still answers 405).

What the catch-all route got from the machinery it skips is kept: ``scope["route"]`` is the catch-all route (metric
labels are unchanged), and errors are rendered by the app's own exception handlers, looked up by class the way
Starlette's ``ExceptionMiddleware`` does (so ``AppError`` keeps its uniform body, ``Retry-After`` and
``WWW-Authenticate``); anything without a handler propagates to ``ServerErrorMiddleware`` as before.
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Match, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from gateway_service.proxy import api as proxy_api

PREFIX = "/api/v1/"


class ProxyFastPath:
    """``own_routes``: every route the gateway serves itself (from the same routers the app includes);
    ``proxy_route``: the catch-all route, set as ``scope["route"]`` as the router would."""

    def __init__(
        self, app: ASGIApp, *, gateway_app: Starlette, own_routes: Sequence[BaseRoute], proxy_route: BaseRoute
    ) -> None:
        self.app, self.gateway_app, self.catch_all = app, gateway_app, proxy_route
        self.methods = frozenset(proxy_api.METHODS)
        # Own routes without parameters are matched by a set lookup; any other route by its own matcher.
        static = [r for r in own_routes if isinstance(r, Route) and "{" not in r.path]
        self.own_paths = frozenset(r.path for r in static)
        self.own_other = [r for r in own_routes if r not in static]

    def _proxied(self, scope: Scope) -> bool:
        path: str = scope["path"]
        if not path.startswith(PREFIX) or scope["method"] not in self.methods or path in self.own_paths:
            return False
        return all(route.matches(scope)[0] is Match.NONE for route in self.own_other)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self._proxied(scope):
            await self.app(scope, receive, send)
            return
        scope["route"] = self.catch_all
        request = Request(scope, receive)
        try:
            response: Response = await self.gateway_app.state.gateway.handle(request)
        except Exception as exc:
            handler = self._handler_for(exc)
            if handler is None:
                raise
            if inspect.iscoroutinefunction(handler):
                response = await handler(request, exc)
            else:
                response = await run_in_threadpool(handler, request, exc)
        await response(scope, receive, send)

    def _handler_for(self, exc: Exception) -> Any:
        """The app's handler for ``exc`` (by class, most specific first), as ``ExceptionMiddleware`` picks it."""
        handlers: dict[Any, Any] = self.gateway_app.exception_handlers
        for cls in type(exc).__mro__:
            if cls is Exception:
                return None  # the catch-all handler belongs to ServerErrorMiddleware, outside
            if cls in handlers:
                return handlers[cls]
        return None
