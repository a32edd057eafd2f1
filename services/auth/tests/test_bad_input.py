"""Malformed or oversized bodies get 422/413 with the uniform error body; nothing reveals whether an email exists."""

from __future__ import annotations

from auth_testkit import client_for
from fastapi import FastAPI

LOGIN = "/api/v1/auth/login"


async def test_malformed_json_is_422_with_the_uniform_body(app: FastAPI) -> None:
    async with client_for(app) as client:
        response = await client.post(LOGIN, content=b'{"email": ', headers={"content-type": "application/json"})

    assert response.status_code == 422
    assert set(response.json()) == {"error", "detail"}


async def test_missing_and_unexpected_fields_are_422(app: FastAPI) -> None:
    async with client_for(app) as client:
        missing = await client.post(LOGIN, json={"email": "a@example.com"})
        extra = await client.post(LOGIN, json={"email": "a@example.com", "password": "x", "admin": True})
        wrong_type = await client.post(LOGIN, json={"email": ["a@example.com"], "password": "x"})

    assert (missing.status_code, extra.status_code, wrong_type.status_code) == (422, 422, 422)
    assert missing.json()["error"] == "ValidationError"


async def test_an_oversized_body_is_413_with_the_uniform_body(app: FastAPI) -> None:
    async with client_for(app) as client:
        response = await client.post(LOGIN, json={"email": "a@example.com", "password": "x" * 100_000})

    assert response.status_code == 413
    assert response.json() == {"error": "PayloadTooLarge", "detail": "request body larger than 65536 bytes"}


async def test_an_oversized_chunked_body_is_413(app: FastAPI) -> None:
    async def chunks():  # type: ignore[no-untyped-def]
        for _ in range(100):
            yield b"x" * 1024

    async with client_for(app) as client:
        response = await client.post(LOGIN, content=chunks(), headers={"content-type": "application/json"})

    assert response.status_code == 413
    assert response.json()["error"] == "PayloadTooLarge"


async def test_an_overlong_password_is_422_not_hashed(app: FastAPI) -> None:
    async with client_for(app) as client:
        response = await client.post(LOGIN, json={"email": "a@example.com", "password": "x" * 5000})

    assert response.status_code == 422
