"""Refresh-token rotation with reuse detection, and logout, through the gateway (OAuth 2.0 Security BCP §4.14)."""

from __future__ import annotations

import time

import httpx
from sec_harness import Account, SecuritySystem


def refresh(sec: SecuritySystem, token: str) -> httpx.Response:
    with sec.client() as c:
        response = c.post("/api/v1/auth/refresh", json={"refresh_token": token})
    if response.status_code == 200:
        sec.issued.add(response.json()["refresh_token"])
    return response


def products(sec: SecuritySystem, access: str) -> int:
    with sec.client(token=access) as c:
        return c.get("/api/v1/products/", params={"limit": 1}).status_code


def test_refresh_rotates_and_a_reused_refresh_token_ends_the_whole_session(sec: SecuritySystem) -> None:
    user: Account = sec.create_user("rotation", ["viewer"])
    first = refresh(sec, user.refresh_token)
    assert first.status_code == 200, first.text
    second_refresh, second_access = first.json()["refresh_token"], first.json()["access_token"]
    assert second_refresh != user.refresh_token
    assert products(sec, second_access) == 200

    reused = refresh(sec, user.refresh_token)  # a thief replays the spent token
    assert reused.status_code == 401, reused.text
    assert set(reused.json()) == {"error", "detail"}

    # the whole family is revoked: the legitimate holder's newer refresh token and access tokens stop working
    assert refresh(sec, second_refresh).status_code == 401
    assert products(sec, second_access) == 401
    assert products(sec, user.access_token) == 401


def test_a_refresh_token_is_single_use_even_for_its_owner(sec: SecuritySystem) -> None:
    user = sec.create_user("single-use", ["viewer"])
    assert refresh(sec, user.refresh_token).status_code == 200
    assert refresh(sec, user.refresh_token).status_code == 401


def test_garbage_refresh_tokens_are_refused_without_a_server_error(sec: SecuritySystem) -> None:
    for token in ["x", "' OR 1=1 --", "a" * 256, user_token_with_suffix(sec)]:
        response = refresh(sec, token)
        assert response.status_code == 401, (token[:40], response.status_code, response.text)
    too_long = refresh(sec, "a" * 257)
    assert too_long.status_code == 422, too_long.text


def user_token_with_suffix(sec: SecuritySystem) -> str:
    return sec.create_user("suffix", ["viewer"]).refresh_token + "x"


def test_logout_ends_the_session_at_once_everywhere(sec: SecuritySystem) -> None:
    user = sec.create_user("logout", ["viewer"])
    other = sec.sign_in(Account(user.email, user.password, "viewer"))  # a second session of the same user
    assert products(sec, user.access_token) == 200

    with sec.client(token=user.access_token) as c:
        out = c.post("/api/v1/auth/logout")
        assert out.status_code == 204, out.text
        assert c.get("/api/v1/auth/me").status_code == 401
    assert products(sec, user.access_token) == 401  # the access token dies before it expires
    assert refresh(sec, user.refresh_token).status_code == 401
    # auth checks revocation itself too, not only the gateway
    with sec.client(sec.url("auth"), token=user.access_token) as c:
        assert c.get("/api/v1/auth/me").status_code == 401
    # only that session: the user's other session goes on
    assert products(sec, other.access_token) == 200
    assert refresh(sec, other.refresh_token).status_code == 200


# one readable path per service, called on the service's own port (past the gateway, as a pod inside the cluster could)
DIRECT = {
    "catalog": "/api/v1/products/",
    "inventory": "/api/v1/inventory/stores",
    "analytics": "/api/v1/analytics/dashboard",
    "moysklad-connector": "/api/v1/admin/sync/jobs",
}


def test_every_service_refuses_a_logged_out_token_itself(sec: SecuritySystem) -> None:
    user = sec.create_user("logout-direct", ["admin"])
    for service, path in DIRECT.items():
        with sec.client(sec.url(service), token=user.access_token) as c:
            assert c.get(path).status_code == 200, service
    with sec.client(token=user.access_token) as c:
        assert c.post("/api/v1/auth/logout").status_code == 204
    time.sleep(1.5)  # each service may trust its cached "live" answer for REVOCATION_CACHE_SECONDS (1 s)
    for service, path in DIRECT.items():
        with sec.client(sec.url(service), token=user.access_token) as c:
            refused = c.get(path)
        assert refused.status_code == 401, (service, refused.status_code, refused.text)
        assert refused.json() == {"error": "Unauthorized", "detail": "session has been revoked"}, service


def test_logout_twice_and_logout_without_a_token(sec: SecuritySystem) -> None:
    user = sec.create_user("logout-twice", ["viewer"])
    with sec.client(token=user.access_token) as c:
        assert c.post("/api/v1/auth/logout").status_code == 204
        assert c.post("/api/v1/auth/logout").status_code == 401
    with sec.client() as c:
        anonymous = c.post("/api/v1/auth/logout")
    assert anonymous.status_code == 401, anonymous.text


def test_an_admin_revoking_a_session_kills_its_tokens(sec: SecuritySystem) -> None:
    user = sec.create_user("revoked-by-admin", ["viewer"])
    with sec.admin() as c:
        sessions = c.get(f"/api/v1/admin/users/{user.user_id}/sessions")
        assert sessions.status_code == 200, sessions.text
        assert all(user.refresh_token not in str(s) for s in sessions.json())  # never shown back
        assert c.delete(f"/api/v1/admin/users/{user.user_id}/sessions").status_code == 204
    assert products(sec, user.access_token) == 401
    assert refresh(sec, user.refresh_token).status_code == 401


def test_a_deactivated_user_cannot_log_in_or_refresh(sec: SecuritySystem) -> None:
    user = sec.create_user("deactivated", ["viewer"])
    with sec.admin() as c:
        assert c.patch(f"/api/v1/admin/users/{user.user_id}", json={"is_active": False}).status_code == 200
    assert products(sec, user.access_token) == 401
    assert refresh(sec, user.refresh_token).status_code == 401
    response = sec.login(user.email, user.password)
    assert response.status_code == 401, response.text
