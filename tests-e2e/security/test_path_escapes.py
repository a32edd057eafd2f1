"""Paths that try to climb out of the routing-table prefix they match, sent byte for byte (no client normalisation).

The dangerous shape is a prefix a caller may use, whose upstream also serves something the caller may not: a viewer
going through ``/api/v1/auth`` (any authenticated user) to auth's ``/api/v1/admin/users``, an anonymous caller through
the public ``/api/v1/auth/password-reset/*`` or the webhook, a manager through ``/api/v1/admin/sync`` to the
connector's integrations. The gateway refuses dot segments (plain or encoded), encoded separators, backslashes, NUL
and empty segments with 400 before routing (services/gateway/README.md); anything else must at least not be served.
"""

from __future__ import annotations

import pytest
from sec_harness import SecuritySystem, raw_request

ESCAPES = [
    b"/api/v1/products/../admin/users",
    b"/api/v1/auth/../admin/users",
    b"/api/v1/auth/me/../../admin/users",
    b"/api/v1/auth/%2e%2e/admin/users",
    b"/api/v1/auth/%2E%2E/admin/users",
    b"/api/v1/auth/.%2e/admin/users",
    b"/api/v1/auth/%2e./admin/users",
    b"/api/v1/auth/..%2fadmin/users",
    b"/api/v1/auth/..%2Fadmin%2Fusers",
    b"/api/v1/auth/%2e%2e%2fadmin%2fusers",
    b"/api/v1/auth/%252e%252e/admin/users",
    b"/api/v1/auth/..;/admin/users",
    b"/api/v1/auth/./../admin/users",
    b"/api/v1/auth//../admin/users",
    b"/api/v1/auth/..\\admin\\users",
    b"/api/v1/auth/..%5cadmin%5cusers",
    b"/api/v1/auth/%00/../admin/users",
    b"/api/v1/auth%00/../admin/users",
    b"/api/v1/auth/password-reset/../../admin/users",
    b"/api/v1/auth/password-reset/%2e%2e/%2e%2e/admin/users",
    b"/api/v1/auth/.well-known/jwks.json/../../../admin/users",
    b"/api/v1/integrations/moysklad/webhook/../../../admin/users",
    b"/api/v1/admin/sync/../integrations",
    b"/api/v1/admin/sync/%2e%2e/integrations",
    b"/api/v1/products/../../../metrics",
    b"/api/v1/products/../../../openapi.json",
    b"/api/v1/products/%2e%2e/%2e%2e/%2e%2e/health/ready",
    b"//api/v1/admin/users",
    b"/api/v1//admin/users",
    b"/api/v1/products//",
]
# Not dot segments, encoded separators or empty segments by RFC 3986, so the gateway routes them like any path: they
# must still be refused (401/403 at the gateway, 404 at the upstream), just not necessarily with 400.
NOT_DOT_SEGMENTS = {b"/api/v1/auth/%252e%252e/admin/users", b"/api/v1/auth/..;/admin/users", b"//api/v1/admin/users"}
RAW_NUL = [b"/api/v1/auth/\x00/../admin/users", b"/api/v1/products\x00/../admin/users"]


def leaked(sec: SecuritySystem, body: bytes) -> list[str]:
    text = body.decode(errors="replace")
    markers = [a.email for a in sec.accounts.values()] + ["moysklad_base_url", "crm_gateway_", '"status":"ok"']
    return [m for m in markers if m in text]


@pytest.mark.parametrize("caller", ["anonymous", "viewer", "manager"])
@pytest.mark.parametrize("target", ESCAPES, ids=[t.decode() for t in ESCAPES])
def test_path_escapes_are_refused(sec: SecuritySystem, target: bytes, caller: str) -> None:
    headers = {"x-forwarded-for": sec.addresses.next()}
    if caller != "anonymous":
        headers["authorization"] = f"Bearer {sec.token(caller)}"
    response = raw_request(sec.sut.ports["gateway"], "GET", target, headers)
    # 404 where no route matches at all (the table is consulted before the path check: still refused)
    expected = {400, 401, 403, 404} if target in NOT_DOT_SEGMENTS else {400, 404}
    assert response.status in expected, (response.status, response.body[:300])
    assert not leaked(sec, response.body), response.body[:300]


@pytest.mark.parametrize("target", RAW_NUL, ids=["nul-segment", "nul-in-prefix"])
def test_raw_nul_bytes_in_the_request_line_are_refused(sec: SecuritySystem, target: bytes) -> None:
    headers = {"authorization": f"Bearer {sec.token('viewer')}", "x-forwarded-for": sec.addresses.next()}
    response = raw_request(sec.sut.ports["gateway"], "GET", target, headers)
    assert response.status == 400, (response.status, response.body[:300])
    assert not leaked(sec, response.body)


def test_an_absolute_form_target_does_not_choose_the_upstream(sec: SecuritySystem) -> None:
    """``GET http://auth-host/...`` is routed by its path like any other request, never sent to the named host."""
    auth = sec.sut.ports["auth"]
    target = f"http://127.0.0.1:{auth}/api/v1/admin/users".encode()
    headers = {"authorization": f"Bearer {sec.token('viewer')}", "x-forwarded-for": sec.addresses.next()}
    response = raw_request(sec.sut.ports["gateway"], "GET", target, headers)
    assert response.status in (400, 403, 404), (response.status, response.body[:300])
    assert not leaked(sec, response.body)


def test_the_same_paths_work_without_the_escape(sec: SecuritySystem) -> None:
    """The control: the plain paths answer normally, so a 400/404 above is the refusal, not a broken request."""
    headers = {"authorization": f"Bearer {sec.token('admin')}", "x-forwarded-for": sec.addresses.next()}
    port = sec.sut.ports["gateway"]
    assert raw_request(port, "GET", b"/api/v1/admin/users", headers).status == 200
    assert raw_request(port, "GET", b"/api/v1/products/?limit=1", headers).status == 200
    viewer = {**headers, "authorization": f"Bearer {sec.token('viewer')}"}
    assert raw_request(port, "GET", b"/api/v1/admin/users", viewer).status == 403
