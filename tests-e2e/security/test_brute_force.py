"""Login brute force: the gateway's per-address limit on /api/v1/auth/login, and auth's per-account throttle.

Both limits are read from the services' settings classes (the defaults the tier runs with), not hard-coded here.
"""

from __future__ import annotations

import time
import uuid

import httpx
from sec_harness import SecuritySystem

from auth_service.settings import AuthSettings
from gateway_service.settings import GatewaySettings


def login_limit() -> int:
    rules = [r for r in GatewaySettings().rate_limits if r.prefix == "/api/v1/auth/login"]
    assert rules, "the gateway has no login rule"
    assert rules[0].per_ip, "the gateway has no per-address login limit"
    assert rules[0].window.total_seconds() == 60, "this test assumes a one-minute window"
    return rules[0].per_ip


def wait_for_room_in_window(needed: float = 25.0, window: float = 60.0) -> None:
    """Fixed windows are aligned to the epoch: start a burst only when it cannot straddle two windows."""
    left = window - time.time() % window
    if left < needed:
        time.sleep(left + 0.5)


def assert_too_many(response: httpx.Response) -> None:
    assert response.status_code == 429, (response.status_code, response.text)
    assert set(response.json()) == {"error", "detail"}
    assert 1 <= int(response.headers["retry-after"]) <= 15 * 60


def test_the_gateway_limits_login_attempts_per_address(sec: SecuritySystem) -> None:
    limit = login_limit()
    attacker = sec.addresses.next()
    wait_for_room_in_window()
    answers = []
    for _ in range(limit):
        email = f"nobody-{uuid.uuid4().hex[:10]}@sec.example.com"  # a new account each time: no account throttle
        answers.append(sec.login(email, "wrong-password-1", ip=attacker).status_code)
    assert answers == [401] * limit, answers
    assert_too_many(sec.login("nobody@sec.example.com", "wrong-password-1", ip=attacker))
    # even the right password does not pass from that address until the window ends...
    viewer = sec.accounts["viewer"]
    assert_too_many(sec.login(viewer.email, viewer.password, ip=attacker))
    # ...while everyone else is unaffected
    assert sec.login(viewer.email, viewer.password).status_code == 200


def test_auth_throttles_failed_logins_per_account_whatever_the_address(sec: SecuritySystem) -> None:
    per_account = AuthSettings().login_max_failures_per_account
    victim = sec.create_user("brute-victim", ["viewer"])
    bystander = sec.create_user("brute-bystander", ["viewer"])
    for n in range(per_account):  # a distributed guess: every attempt from a new address
        response = sec.login(victim.email, f"guess-{n}-{uuid.uuid4().hex[:6]}")
        assert response.status_code == 401, (n, response.text)
    blocked = sec.login(victim.email, victim.password)  # the right password, too late
    assert_too_many(blocked)
    assert "too many" in blocked.json()["detail"]
    assert sec.login(bystander.email, bystander.password).status_code == 200
    # an account the attacker locked keeps its open sessions (the throttle is on logins, not on the user)
    with sec.client(token=victim.access_token) as c:
        assert c.get("/api/v1/auth/me").status_code == 200


def test_the_throttle_does_not_reveal_which_accounts_exist(sec: SecuritySystem) -> None:
    per_account = AuthSettings().login_max_failures_per_account
    known = sec.create_user("brute-known", ["viewer"])
    unknown = f"brute-unknown-{sec.run}@sec.example.com"
    for email in (known.email, unknown):
        answers = [sec.login(email, f"wrong-{n}-password") for n in range(per_account + 1)]
        assert [a.status_code for a in answers] == [401] * per_account + [429], (email, [a.text for a in answers])
    first_known = sec.login(f"fresh-{uuid.uuid4().hex[:8]}@sec.example.com", "wrong-password-2")
    wrong_password = sec.login(sec.create_user("brute-known-2", ["viewer"]).email, "wrong-password-2")
    assert first_known.status_code == wrong_password.status_code == 401
    assert first_known.json() == wrong_password.json()
