"""Every route of the merged OpenAPI document × admin, manager, viewer, a custom role and an anonymous caller.

The expectation of each route is in routes.py. A caller the rule refuses gets 401 (no token) or 403 (token without
the permission); a caller it allows gets past both checks: whatever the service then answers (404 for the ids that
name nothing, 422 for the deliberately wrong bodies), never 401/403 and never a server error. Requests are built so
that an allowed call changes nothing: ids that exist nowhere, a JSON array where an object is expected.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from routes import EXPECTED, NOT_IN_SPEC, Rule, fill
from sec_harness import ROLE_PERMISSIONS, Account, SecuritySystem

HTTP_METHODS = {"get", "put", "post", "delete", "patch"}
CALLERS: list[str | None] = [*ROLE_PERMISSIONS, None]  # None: anonymous
KNOWN: dict[tuple[str, str], str] = {}

SPEC_KNOWN: set[tuple[str, str]] = set()


def spec_operations(spec: dict[str, Any]) -> set[tuple[str, str]]:
    return {(method.upper(), path) for path, item in spec["paths"].items() for method in item if method in HTTP_METHODS}


def test_every_route_has_an_expectation(spec: dict[str, Any]) -> None:
    missing = sorted(spec_operations(spec) - set(EXPECTED))
    assert not missing, f"routes without an access expectation in tests-e2e/security/routes.py: {missing}"


def test_the_expectations_name_only_existing_routes(spec: dict[str, Any]) -> None:
    stale = sorted(set(EXPECTED) - spec_operations(spec) - NOT_IN_SPEC)
    assert not stale, f"expectations for routes the gateway no longer documents: {stale}"


def spec_security_problems(spec: dict[str, Any]) -> list[tuple[str, str, str]]:
    wrong = []
    for method, path in sorted(spec_operations(spec) & set(EXPECTED)):
        rule = EXPECTED[(method, path)]
        declared_public = spec["paths"][path][method.lower()].get("security", spec.get("security")) == []
        if declared_public != (rule.kind in ("public", "webhook")):
            wrong.append((method, path, "spec says public" if declared_public else "spec says bearer"))
    return wrong


def test_the_spec_marks_exactly_the_public_routes_as_public(spec: dict[str, Any]) -> None:
    wrong = [w for w in spec_security_problems(spec) if w[:2] not in SPEC_KNOWN]
    assert not wrong, wrong


@pytest.mark.parametrize(("method", "path"), sorted(SPEC_KNOWN), ids=[f"{m} {p}" for m, p in sorted(SPEC_KNOWN)])
@pytest.mark.xfail(strict=True, reason="the merged spec documents the security of these routes wrongly")
def test_known_spec_security_mistakes(spec: dict[str, Any], method: str, path: str) -> None:
    """``security: []`` on logout makes the docs' "Authorize" not send the token logout needs (auth answers 401);
    password reset is documented as needing a token because the gateway demands one (see KNOWN)."""
    assert (method, path) not in {w[:2] for w in spec_security_problems(spec)}


def session_for(sec: SecuritySystem, caller: str | None, method: str, path: str) -> str | None:
    """The caller's access token; logout gets a throwaway session so the caller's main one survives."""
    if caller is None:
        return None
    if (method, path) == ("POST", "/api/v1/auth/logout"):
        main = sec.accounts[caller]
        return sec.sign_in(Account(main.email, main.password, caller)).access_token
    return sec.token(caller)


def attempt(sec: SecuritySystem, method: str, path: str, token: str | None) -> tuple[int, str]:
    url = fill(path)
    if path == "/api/v1/notifications/stream":  # an endless SSE stream: the status line is all we need
        headers = {"authorization": f"Bearer {token}"} if token else {}
        with httpx.Client(base_url=sec.gateway, timeout=15) as c, c.stream("GET", url, headers=headers) as r:
            return r.status_code, "" if r.status_code == 200 else r.read().decode(errors="replace")
    with sec.client(token=token) as c:
        body: list[object] | None = [] if method in ("POST", "PUT", "PATCH") else None
        response = c.request(method, url, json=body) if body is not None else c.request(method, url)
    return response.status_code, response.text[:300]


def verdict(rule: Rule, permissions: frozenset[str] | None, status: int, text: str) -> str | None:
    """Why the answer contradicts the rule, or None."""
    if rule.kind == "webhook":
        # each connector names what is missing its own way (MoySklad: the webhook token; Bitrix24: the handler or
        # application token); a token it is, and the refusal comes from the connector, not the gateway
        ok = status == 403 and "token" in text and "Forbidden" in text
        return None if ok else "the gateway must let it through and the connector refuse the missing webhook token"
    if rule.allows(permissions):
        if status in (401, 403) or status >= 500:
            return "should pass the access checks"
        return None
    expected = 401 if permissions is None else 403
    return None if status == expected else f"should be refused with {expected}"


def check_route(sec: SecuritySystem, method: str, path: str) -> list[str]:
    rule = EXPECTED[(method, path)]
    problems = []
    for caller in CALLERS:
        permissions = None if caller is None else ROLE_PERMISSIONS[caller]
        status, text = attempt(sec, method, path, session_for(sec, caller, method, path))
        why = verdict(rule, permissions, status, text)
        if why:
            problems.append(f"{caller or 'anonymous'}: {status} {text[:160]!r} ({why})")
    return problems


ROUTES = [
    pytest.param(
        method,
        path,
        id=f"{method} {path}",
        marks=[pytest.mark.xfail(strict=True, reason=KNOWN[(method, path)])] if (method, path) in KNOWN else [],
    )
    for method, path in sorted(EXPECTED)
]


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_route_allows_exactly_the_expected_callers(sec: SecuritySystem, method: str, path: str) -> None:
    problems = check_route(sec, method, path)
    assert not problems, f"{method} {path}:\n  " + "\n  ".join(problems)


def test_the_gateway_table_is_never_stricter_than_the_expectations() -> None:
    """The gateway's coarse check must let through everyone the service would serve (the service decides the rest)."""
    from gateway_service.routing.table import READ_METHODS, RoutingTable, build_routes
    from gateway_service.settings import GatewaySettings

    settings = GatewaySettings()
    table = RoutingTable(build_routes(settings), settings.public_paths)
    too_strict = []
    for (method, path), rule in sorted(EXPECTED.items()):
        route = table.match(fill(path))
        if route is None or rule.kind in ("public", "webhook"):
            continue
        coarse = route.read if method in READ_METHODS else route.write
        for role, permissions in ROLE_PERMISSIONS.items():
            if rule.allows(permissions) and coarse and not coarse & permissions:
                too_strict.append((method, path, role, sorted(coarse)))
    assert not too_strict, too_strict
