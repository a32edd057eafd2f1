from __future__ import annotations

from auth_testkit import PASSWORD, client_for, make_user, random_ip, unique_email
from fastapi import FastAPI

from auth_service.context import AuthContext

LOGIN = "/api/v1/auth/login"


async def _attempt(app: FastAPI, email: str, password: str, ip: str | None = None) -> tuple[int, dict[str, str], dict]:
    async with client_for(app, ip) as client:
        response = await client.post(LOGIN, json={"email": email, "password": password})
    return response.status_code, dict(response.headers), response.json()


async def test_an_account_is_throttled_after_five_failures_even_from_many_addresses(
    ctx: AuthContext, app: FastAPI
) -> None:
    user = await make_user(ctx, ["viewer"])
    for _ in range(5):
        assert (await _attempt(app, user.email, "wrong password!"))[0] == 401

    status, headers, body = await _attempt(app, user.email, PASSWORD)

    assert status == 429
    assert body["error"] == "TooManyRequests"
    assert 0 < int(headers["retry-after"]) <= 15 * 60


async def test_an_unknown_email_is_throttled_exactly_like_a_known_one(ctx: AuthContext, app: FastAPI) -> None:
    known = await make_user(ctx, ["viewer"])
    unknown = unique_email("ghost")
    answers = {}
    for email in (known.email, unknown):
        for _ in range(5):
            await _attempt(app, email, "wrong password!")
        status, _, body = await _attempt(app, email, "wrong password!")
        answers[email] = (status, body)

    assert answers[known.email] == answers[unknown] == (429, answers[unknown][1])
    assert answers[unknown][0] == 429


async def test_an_address_is_throttled_after_fifty_failures_across_accounts(ctx: AuthContext, app: FastAPI) -> None:
    ip = random_ip()
    user = await make_user(ctx, ["viewer"])
    for _ in range(50):
        assert (await _attempt(app, unique_email("spray"), "wrong password!", ip))[0] == 401

    assert (await _attempt(app, user.email, PASSWORD, ip))[0] == 429
    assert (await _attempt(app, user.email, PASSWORD))[0] == 200, "another address is not affected"


async def test_a_successful_login_clears_the_accounts_failures(ctx: AuthContext, app: FastAPI) -> None:
    user = await make_user(ctx, ["viewer"])
    for _ in range(4):
        await _attempt(app, user.email, "wrong password!")
    assert (await _attempt(app, user.email, PASSWORD))[0] == 200

    for _ in range(4):
        assert (await _attempt(app, user.email, "wrong password!"))[0] == 401
    assert (await _attempt(app, user.email, PASSWORD))[0] == 200
