"""Merge the services' OpenAPI documents into the public one.

Each service's document is fetched from its ``/openapi.json`` at request time and cached for ``docs_cache``; when a
service is down its last good copy is used (or it is listed under ``x-unavailable-services``), so the docs never fail
because one service does. Only paths the routing table sends to that service are kept. Schema names that two services
use for different shapes are prefixed with the service name, and the ``$ref``s of that service rewritten to match.
"""

from __future__ import annotations

import asyncio
import copy
import time
from dataclasses import dataclass
from typing import Any

import httpx

from crm_common.logging import get_logger
from gateway_service.routing.table import RoutingTable

log = get_logger(__name__)

SCHEMA_REF = "#/components/schemas/"
BEARER = {"type": "http", "scheme": "bearer", "bearerFormat": "JWT", "description": "Access token from login."}
HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


@dataclass
class Cached:
    spec: dict[str, Any]
    fetched_at: float


class SpecCache:
    def __init__(self, client: httpx.AsyncClient, services: dict[str, str], *, ttl: float, timeout: float) -> None:
        self.client, self.services, self.ttl, self.timeout = client, services, ttl, timeout
        self._cache: dict[str, Cached] = {}
        self._lock = asyncio.Lock()

    async def specs(self) -> tuple[dict[str, dict[str, Any]], list[str]]:
        """Every service's document (fresh or last good) and the services we have nothing for."""
        async with self._lock:
            stale = [s for s in self.services if s not in self._cache or self._age(s) >= self.ttl]
            results = await asyncio.gather(*(self._fetch(s) for s in stale))
            for service, spec in zip(stale, results, strict=True):
                if spec is not None:
                    self._cache[service] = Cached(spec, time.monotonic())
        missing = [s for s in self.services if s not in self._cache]
        return {s: c.spec for s, c in self._cache.items()}, missing

    def _age(self, service: str) -> float:
        return time.monotonic() - self._cache[service].fetched_at

    async def _fetch(self, service: str) -> dict[str, Any] | None:
        try:
            response = await self.client.get(self.services[service] + "/openapi.json", timeout=self.timeout)
            response.raise_for_status()
            spec = response.json()
            return spec if isinstance(spec, dict) else None
        except (httpx.HTTPError, ValueError) as exc:
            log.warning("openapi fetch failed", service=service, error=repr(exc)[:200])
            return None


def _rewrite_refs(node: Any, renames: dict[str, str]) -> Any:
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str) and value.startswith(SCHEMA_REF):
                name = value[len(SCHEMA_REF) :]
                out[key] = SCHEMA_REF + renames.get(name, name)
            else:
                out[key] = _rewrite_refs(value, renames)
        return out
    if isinstance(node, list):
        return [_rewrite_refs(item, renames) for item in node]
    return node


def _prefix(service: str) -> str:
    return "".join(part.capitalize() for part in service.replace("_", "-").split("-"))


def merge_specs(
    gateway: dict[str, Any],
    services: dict[str, dict[str, Any]],
    table: RoutingTable,
    unavailable: list[str],
) -> dict[str, Any]:
    merged = copy.deepcopy(gateway)
    merged.setdefault("components", {}).setdefault("schemas", {})
    schemas: dict[str, Any] = merged["components"]["schemas"]
    paths: dict[str, Any] = merged.setdefault("paths", {})
    for service in sorted(services):
        spec = services[service]
        own = {p: item for p, item in spec.get("paths", {}).items() if _served_by(table, p, service)}
        theirs = spec.get("components", {}).get("schemas", {})
        renames = {n: f"{_prefix(service)}{n}" for n, s in theirs.items() if n in schemas and schemas[n] != s}
        for name, schema in theirs.items():
            schemas[renames.get(name, name)] = _rewrite_refs(schema, renames)
        for path, item in own.items():
            item = _rewrite_refs(item, renames)
            for method, operation in item.items():
                if method in HTTP_METHODS and isinstance(operation, dict):
                    operation.setdefault("tags", [service])
            paths[path] = item
    _describe_auth(merged, table)
    if unavailable:
        merged["x-unavailable-services"] = sorted(unavailable)
    return merged


def _served_by(table: RoutingTable, path: str, service: str) -> bool:
    route = table.match(path.split("{", 1)[0].rstrip("/") or path)
    return route is not None and route.service == service


def _describe_auth(spec: dict[str, Any], table: RoutingTable) -> None:
    """One bearer scheme for every operation, so "Authorize" in the docs page works; public ones say so."""
    spec["components"].setdefault("securitySchemes", {})["HTTPBearer"] = BEARER
    spec["security"] = [{"HTTPBearer": []}]
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method not in HTTP_METHODS or not isinstance(operation, dict):
                continue
            if table.is_public(path):
                operation["security"] = []
            elif "security" in operation:
                # Services name their scheme after FastAPI's class; point every requirement at the one scheme.
                operation["security"] = [{"HTTPBearer": []}]
