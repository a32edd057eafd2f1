"""What every public route should allow, per role: the gateway's routing table (services/gateway/README.md) refined by
the services' own checks and the permission catalog in docs/architecture.md, written down once so the tests can compare.

A route of the merged OpenAPI document that is missing here fails ``test_every_route_has_an_expectation``: a new
endpoint must be given an explicit access rule before the tier passes.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Rule:
    """``public``: no token needed; ``authenticated``: any valid session; ``permission``: any one of ``any_of``;
    ``webhook``: public at the gateway, the connector's per-integration query token decides (403 without it)."""

    kind: str
    any_of: frozenset[str] = frozenset()

    def allows(self, permissions: frozenset[str] | None) -> bool:
        """Whether a caller with ``permissions`` (None: anonymous) gets past the access checks."""
        if self.kind == "public":
            return True
        if permissions is None or self.kind == "webhook":
            return False
        return self.kind == "authenticated" or bool(self.any_of & permissions)


PUBLIC = Rule("public")
AUTHENTICATED = Rule("authenticated")
WEBHOOK = Rule("webhook")


def perm(*names: str) -> Rule:
    return Rule("permission", frozenset(names))


ANALYTICS = perm("analytics:read")
ADMIN_USERS = perm("admin:users")
INTEGRATIONS = perm("admin:integrations")
SYNC = perm("sync:run")  # the connector checks sync:run; the gateway also lets admin:integrations through

EXPECTED: dict[tuple[str, str], Rule] = {
    # served by the gateway itself
    ("GET", "/api/v1/openapi.json"): PUBLIC,
    ("GET", "/api/v1/docs"): PUBLIC,
    ("GET", "/api/v1/admin/health"): perm("admin:health"),
    ("GET", "/api/v1/notifications/stream"): perm("notifications:read"),
    # auth
    ("POST", "/api/v1/auth/login"): PUBLIC,
    ("POST", "/api/v1/auth/refresh"): PUBLIC,
    ("POST", "/api/v1/auth/logout"): AUTHENTICATED,  # auth needs the session's own access token
    ("GET", "/api/v1/auth/me"): AUTHENTICATED,
    ("POST", "/api/v1/auth/password"): AUTHENTICATED,
    ("POST", "/api/v1/auth/password/reset"): PUBLIC,  # the user has forgotten the password: no token to send
    ("GET", "/api/v1/auth/.well-known/jwks.json"): PUBLIC,
    ("GET", "/api/v1/admin/users"): ADMIN_USERS,
    ("POST", "/api/v1/admin/users"): ADMIN_USERS,
    ("GET", "/api/v1/admin/users/{user_id}"): ADMIN_USERS,
    ("PATCH", "/api/v1/admin/users/{user_id}"): ADMIN_USERS,
    ("DELETE", "/api/v1/admin/users/{user_id}"): ADMIN_USERS,
    ("PUT", "/api/v1/admin/users/{user_id}/roles"): ADMIN_USERS,
    ("POST", "/api/v1/admin/users/{user_id}/password-reset"): ADMIN_USERS,
    ("GET", "/api/v1/admin/users/{user_id}/sessions"): ADMIN_USERS,
    ("DELETE", "/api/v1/admin/users/{user_id}/sessions"): ADMIN_USERS,
    ("DELETE", "/api/v1/admin/users/{user_id}/sessions/{session_id}"): ADMIN_USERS,
    ("GET", "/api/v1/admin/permissions"): ADMIN_USERS,
    ("GET", "/api/v1/admin/roles"): ADMIN_USERS,
    ("POST", "/api/v1/admin/roles"): ADMIN_USERS,
    ("GET", "/api/v1/admin/roles/{name}"): ADMIN_USERS,
    ("PATCH", "/api/v1/admin/roles/{name}"): ADMIN_USERS,
    ("DELETE", "/api/v1/admin/roles/{name}"): ADMIN_USERS,
    ("GET", "/api/v1/admin/audit"): ADMIN_USERS,
    ("GET", "/api/v1/admin/dead-letters"): perm("admin:dead-letters"),
    ("POST", "/api/v1/admin/dead-letters/redrive"): perm("admin:dead-letters"),
    ("GET", "/api/v1/admin/dead-letters/{letter_id}"): perm("admin:dead-letters"),
    ("POST", "/api/v1/admin/dead-letters/{letter_id}/redrive"): perm("admin:dead-letters"),
    ("POST", "/api/v1/admin/dead-letters/{letter_id}/discard"): perm("admin:dead-letters"),
    # catalog
    ("GET", "/api/v1/products/folders/"): perm("products:read"),
    ("GET", "/api/v1/products/"): perm("products:read"),
    ("GET", "/api/v1/products/{product_id}"): perm("products:read"),
    # inventory
    ("GET", "/api/v1/inventory/stock"): perm("inventory:read"),
    ("GET", "/api/v1/inventory/stock/by-store"): perm("inventory:read"),
    ("GET", "/api/v1/inventory/stores"): perm("inventory:read"),
    ("GET", "/api/v1/inventory/thresholds/"): perm("inventory:read"),
    ("PUT", "/api/v1/inventory/thresholds/{assortment_id}"): perm("inventory:write"),
    ("DELETE", "/api/v1/inventory/thresholds/{assortment_id}"): perm("inventory:write"),
    # analytics
    ("GET", "/api/v1/analytics/dashboard"): ANALYTICS,
    ("GET", "/api/v1/analytics/sales/report"): ANALYTICS,
    ("GET", "/api/v1/analytics/inventory/report"): ANALYTICS,
    ("GET", "/api/v1/analytics/customers/segments"): ANALYTICS,
    ("GET", "/api/v1/analytics/customers/{customer_id}"): ANALYTICS,
    ("GET", "/api/v1/analytics/customers/{customer_id}/records"): ANALYTICS,
    ("POST", "/api/v1/analytics/customers/merge"): perm("customers:write"),
    ("POST", "/api/v1/analytics/customers/split"): perm("customers:write"),
    ("GET", "/api/v1/analytics/funnel"): ANALYTICS,
    ("GET", "/api/v1/analytics/funnel/pipelines"): ANALYTICS,
    ("GET", "/api/v1/analytics/alerts"): ANALYTICS,
    ("POST", "/api/v1/analytics/alerts/{alert_id}/acknowledge"): ANALYTICS,
    # moysklad-connector
    ("POST", "/api/v1/admin/sync/start"): SYNC,
    ("GET", "/api/v1/admin/sync/jobs"): SYNC,
    ("GET", "/api/v1/admin/sync/jobs/{job_id}"): SYNC,
    ("GET", "/api/v1/admin/integrations"): INTEGRATIONS,
    ("PUT", "/api/v1/admin/integrations"): INTEGRATIONS,
    ("POST", "/api/v1/admin/integrations/test"): INTEGRATIONS,
    ("DELETE", "/api/v1/admin/integrations/{integration_id}"): INTEGRATIONS,
    ("GET", "/api/v1/admin/sync/skipped"): INTEGRATIONS,
    ("POST", "/api/v1/admin/sync/skipped/{letter_id}/redrive"): INTEGRATIONS,
    ("POST", "/api/v1/integrations/moysklad/webhook"): WEBHOOK,
    # the Bitrix24 connector: the same admin API under its own prefix, and the portal's outbound events
    ("POST", "/api/v1/admin/bitrix24/sync/start"): SYNC,
    ("GET", "/api/v1/admin/bitrix24/sync/jobs"): SYNC,
    ("GET", "/api/v1/admin/bitrix24/sync/jobs/{job_id}"): SYNC,
    ("GET", "/api/v1/admin/bitrix24/integrations"): INTEGRATIONS,
    ("PUT", "/api/v1/admin/bitrix24/integrations"): INTEGRATIONS,
    ("POST", "/api/v1/admin/bitrix24/integrations/test"): INTEGRATIONS,
    ("DELETE", "/api/v1/admin/bitrix24/integrations/{integration_id}"): INTEGRATIONS,
    ("GET", "/api/v1/admin/bitrix24/sync/skipped"): INTEGRATIONS,
    ("POST", "/api/v1/admin/bitrix24/sync/skipped/{letter_id}/redrive"): INTEGRATIONS,
    ("POST", "/api/v1/integrations/bitrix24/webhook"): WEBHOOK,
}

# Served by the gateway but not in the merged document (include_in_schema=False).
NOT_IN_SPEC = {("GET", "/api/v1/openapi.json"), ("GET", "/api/v1/docs")}

# Path parameters that name nothing: a caller who gets past the access checks receives 404 (or 422), never 2xx on
# somebody's data, and never a state change.
PATH_VALUES = {
    "user_id": "00000000-0000-4000-8000-000000000001",
    "session_id": "00000000-0000-4000-8000-000000000002",
    "job_id": "00000000-0000-4000-8000-000000000003",
    "alert_id": "00000000-0000-4000-8000-000000000004",
    "name": "no-such-role",
    "product_id": "no-such-product",
    "assortment_id": "no-such-assortment",
    "customer_id": "no-such-customer",
    "letter_id": "0-999999999",
    "integration_id": "no-such-integration",
}


def fill(path: str) -> str:
    for name, value in PATH_VALUES.items():
        path = path.replace("{" + name + "}", value)
    assert "{" not in path, f"no value for a path parameter of {path}: add one to PATH_VALUES"
    return path


# Every filter and search parameter of every list endpoint (GET without path parameters), for the injection tests.
STOCK_FILTERS = ("store_id", "product_id", "folder_id", "below_minimum", "zero", "negative", "q")
FILTERS: dict[str, tuple[str, ...]] = {
    "/api/v1/analytics/dashboard": ("period", "date_from", "date_to", "as_of", "top"),
    "/api/v1/analytics/sales/report": (
        "period",
        "date_from",
        "date_to",
        "as_of",
        "group_by_time",
        "group_by",
        "product_id",
        "folder_id",
        "customer_id",
        "store_id",
        "organization_id",
        "sort",
        "direction",
        "limit",
        "offset",
        "format",
    ),
    "/api/v1/analytics/inventory/report": ("window_days", "as_of", "store_id", "sort", "direction", "limit", "offset"),
    "/api/v1/analytics/customers/segments": ("window_days", "as_of", "segment", "limit", "offset"),
    "/api/v1/analytics/alerts": ("status", "kind", "limit", "offset"),
    "/api/v1/analytics/funnel": (
        "pipeline_id",
        "period",
        "date_from",
        "date_to",
        "as_of",
        "responsible_id",
        "currency",
        "format",
    ),
    "/api/v1/analytics/funnel/pipelines": ("period", "date_from", "date_to", "as_of", "currency"),
    "/api/v1/admin/users": ("limit", "offset", "email", "is_active", "sort", "direction"),
    "/api/v1/admin/roles": ("limit", "offset"),
    "/api/v1/admin/audit": ("limit", "offset", "actor_id", "action", "target_type", "target_id"),
    "/api/v1/admin/dead-letters": ("service", "topic", "reason", "status", "limit", "offset"),
    "/api/v1/products/": (
        "kind",
        "source",
        "folder_id",
        "include_subfolders",
        "archived",
        "q",
        "price_type",
        "price_min",
        "price_max",
        "updated_since",
        "sort",
        "limit",
        "offset",
    ),
    "/api/v1/inventory/stock": (*STOCK_FILTERS, "sort", "limit", "offset"),
    "/api/v1/inventory/stock/by-store": (*STOCK_FILTERS, "limit", "offset"),
    "/api/v1/inventory/stores": ("archived", "limit", "offset"),
    "/api/v1/inventory/thresholds/": ("assortment_id", "limit", "offset"),
    "/api/v1/admin/sync/jobs": ("integration_id", "limit", "offset"),
    "/api/v1/admin/sync/skipped": ("integration_id", "job_id", "limit", "offset"),
    "/api/v1/admin/bitrix24/sync/jobs": ("integration_id", "limit", "offset"),
    "/api/v1/admin/bitrix24/sync/skipped": ("integration_id", "job_id", "limit", "offset"),
}
