"""Public path prefixes mapped explicitly to the service that serves them.

The services serve their public paths themselves (catalog answers ``/api/v1/products/...``), so the gateway forwards the
path unchanged and only chooses the upstream. The permission of a route is a coarse first check; the service decides
the fine-grained ones with the same token.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import unquote

from crm_common.errors import BadRequest
from crm_common.security import Permission
from gateway_service.settings import GatewaySettings

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class Route:
    prefix: str
    service: str
    upstream: str
    # Any one of these permissions lets the call through; empty means "any authenticated user".
    read: frozenset[str] = field(default_factory=frozenset)
    write: frozenset[str] = field(default_factory=frozenset)

    def matches(self, path: str) -> bool:
        return path == self.prefix or path.startswith(self.prefix + "/")

    def permissions_for(self, method: str) -> frozenset[str]:
        return self.read if method in READ_METHODS else self.write


def _any(*permissions: Permission) -> frozenset[str]:
    return frozenset(str(p) for p in permissions)


def build_routes(s: GatewaySettings) -> list[Route]:
    """The routing table, longest prefix first so that ``/api/v1/admin/users`` never falls into a shorter prefix."""
    P = Permission
    routes = [
        Route("/api/v1/auth", "auth", s.auth_url),
        Route("/api/v1/products", "catalog", s.catalog_url, _any(P.PRODUCTS_READ), _any(P.PRODUCTS_READ)),
        Route("/api/v1/inventory", "inventory", s.inventory_url, _any(P.INVENTORY_READ), _any(P.INVENTORY_WRITE)),
        Route("/api/v1/analytics", "analytics", s.analytics_url, _any(P.ANALYTICS_READ), _any(P.ANALYTICS_READ)),
        Route(
            "/api/v1/admin/integrations",
            "moysklad-connector",
            s.connector_url,
            _any(P.ADMIN_INTEGRATIONS, P.SYNC_RUN),
            _any(P.ADMIN_INTEGRATIONS),
        ),
        Route(
            "/api/v1/admin/sync",
            "moysklad-connector",
            s.connector_url,
            _any(P.SYNC_RUN, P.ADMIN_INTEGRATIONS),
            _any(P.SYNC_RUN, P.ADMIN_INTEGRATIONS),
        ),
        Route("/api/v1/admin/users", "auth", s.auth_url, _any(P.ADMIN_USERS), _any(P.ADMIN_USERS)),
        Route("/api/v1/admin/roles", "auth", s.auth_url, _any(P.ADMIN_USERS), _any(P.ADMIN_USERS)),
        Route("/api/v1/admin/audit", "auth", s.auth_url, _any(P.ADMIN_USERS), _any(P.ADMIN_USERS)),
        Route("/api/v1/admin/permissions", "auth", s.auth_url, _any(P.ADMIN_USERS), _any(P.ADMIN_USERS)),
        Route(
            "/api/v1/admin/dead-letters",
            "auth",
            s.auth_url,
            _any(P.ADMIN_DEAD_LETTERS),
            _any(P.ADMIN_DEAD_LETTERS),
        ),
        # The Bitrix24 connector's admin API (integrations, sync jobs, skipped records) under its own prefix; the
        # connector checks admin:integrations or sync:run per route.
        Route(
            "/api/v1/admin/bitrix24",
            "bitrix24-connector",
            s.bitrix24_connector_url,
            _any(P.ADMIN_INTEGRATIONS, P.SYNC_RUN),
            _any(P.ADMIN_INTEGRATIONS, P.SYNC_RUN),
        ),
        # MoySklad's webhook deliveries: public at the gateway (MoySklad sends no JWT); the connector checks the
        # per-integration token in the URL in constant time.
        Route("/api/v1/integrations/moysklad", "moysklad-connector", s.connector_url),
        # Bitrix24's outbound events: public too; the connector checks the handler token and the application token.
        Route("/api/v1/integrations/bitrix24", "bitrix24-connector", s.bitrix24_connector_url),
    ]
    return sorted(routes, key=lambda r: len(r.prefix), reverse=True)


class RoutingTable:
    def __init__(self, routes: list[Route], public_paths: list[str]) -> None:
        self.routes = sorted(routes, key=lambda r: len(r.prefix), reverse=True)
        self._public_exact = frozenset(p for p in public_paths if not p.endswith("/*"))
        self._public_prefixes = tuple(p[:-1] for p in public_paths if p.endswith("/*"))

    def match(self, path: str) -> Route | None:
        for route in self.routes:
            if route.matches(path):
                return route
        return None

    def is_public(self, path: str) -> bool:
        path = path.rstrip("/") or "/"
        return path in self._public_exact or path.startswith(self._public_prefixes)

    def services(self) -> dict[str, str]:
        """Service name to upstream base URL."""
        return {r.service: r.upstream for r in self.routes}

    def prefixes_of(self, service: str) -> list[str]:
        return [r.prefix for r in self.routes if r.service == service]


def check_path(path: str, raw_path: bytes) -> None:
    """Refuse paths that could resolve outside the prefix they were matched on (RFC 3986 §5.2.4 dot segments).

    ``path`` is what the server decoded, ``raw_path`` what the client sent: an encoded slash or backslash, a dot
    segment in either form, an empty segment or a NUL could be normalised differently by the upstream.
    """
    raw = raw_path.decode("latin-1")
    lowered = raw.lower()
    if "%2f" in lowered or "%5c" in lowered or "%00" in lowered or "\\" in raw or "\x00" in path:
        raise BadRequest("path contains an encoded separator")
    segments = unquote(raw).split("/")[1:]
    if any(seg in (".", "..") for seg in segments) or any(seg in (".", "..") for seg in path.split("/")):
        raise BadRequest("path contains a dot segment")
    if "//" in raw:
        raise BadRequest("path contains an empty segment")
