"""Transport rules every MoySklad request obeys: gzip, auth, content type, error bodies."""

from __future__ import annotations

import base64
import gzip

import httpx
import orjson

from moysklad_simulator import Settings, SimulatorState
from moysklad_simulator.testing import RunningSimulator

from .conftest import asgi_client


def test_request_without_gzip_gets_415_with_empty_body(server: RunningSimulator) -> None:
    response = httpx.get(
        f"{server.api_url}/entity/product", auth=server.basic_auth, headers={"Accept-Encoding": "identity"}
    )
    assert response.status_code == 415
    assert response.content == b""


def test_response_is_gzip_with_moysklad_content_type(server: RunningSimulator) -> None:
    with httpx.stream(
        "GET", f"{server.api_url}/entity/store", auth=server.basic_auth, headers={"Accept-Encoding": "gzip"}
    ) as response:
        raw = b"".join(response.iter_raw())
    assert response.status_code == 200
    assert response.headers["content-encoding"] == "gzip"
    assert response.headers["content-type"] == "application/json;charset=utf-8"
    assert orjson.loads(gzip.decompress(raw))["meta"]["type"] == "store"


def test_hrefs_use_the_base_url_the_client_called(server: RunningSimulator) -> None:
    response = httpx.get(f"{server.api_url}/entity/store", auth=server.basic_auth, headers={"Accept-Encoding": "gzip"})
    href = response.json()["rows"][0]["meta"]["href"]
    assert href.startswith(f"{server.api_url}/entity/store/")


async def test_wrong_password_gets_401_with_code_1056(settings: Settings, state: SimulatorState) -> None:
    async with asgi_client(settings, state, auth=(settings.login, "nope")) as client:
        response = await client.get("/entity/product")
    assert response.status_code == 401
    error = response.json()["errors"][0]
    assert error["code"] == 1056
    assert error["error"].startswith("Ошибка аутентификации")
    assert "moreInfo" in error


async def test_missing_credentials_get_401(settings: Settings, state: SimulatorState) -> None:
    async with asgi_client(settings, state, auth=None) as client:
        response = await client.get("/context/employee")
    assert response.status_code == 401


async def test_dev_token_authenticates(settings: Settings, state: SimulatorState) -> None:
    token = settings.token.get_secret_value()
    async with asgi_client(
        settings, state, auth=None, headers={"Accept-Encoding": "gzip", "Authorization": f"Bearer {token}"}
    ) as client:
        response = await client.get("/context/employee")
    assert response.status_code == 200
    assert response.json()["uid"] == settings.login


async def test_issuing_a_token_revokes_the_previous_one() -> None:
    from moysklad_simulator import generate

    from .conftest import make_settings

    settings = make_settings(scale="tiny")
    state = generate(settings)
    basic = base64.b64encode(f"{settings.login}:{settings.password.get_secret_value()}".encode()).decode()
    async with asgi_client(settings, state, auth=None) as client:
        first = (await client.post("/security/token", headers={"Authorization": f"Basic {basic}"})).json()
        second = (await client.post("/security/token", headers={"Authorization": f"Basic {basic}"})).json()
        old = await client.get("/context/employee", headers={"Authorization": f"Bearer {first['access_token']}"})
        new = await client.get("/context/employee", headers={"Authorization": f"Bearer {second['access_token']}"})
        dev_token = settings.token.get_secret_value()
        dev = await client.get("/context/employee", headers={"Authorization": f"Bearer {dev_token}"})
    assert len(second["access_token"]) == 40
    int(second["access_token"], 16)
    assert (old.status_code, new.status_code, dev.status_code) == (401, 200, 401)


async def test_context_employee_is_the_admin(client: httpx.AsyncClient, settings: Settings) -> None:
    body = (await client.get("/context/employee")).json()
    assert body["meta"]["href"].endswith("/context/employee")
    assert body["meta"]["type"] == "employee"
    assert body["uid"] == settings.login


async def test_unknown_path_gets_404_error_body(client: httpx.AsyncClient) -> None:
    response = await client.get("/nothing/here")
    assert response.status_code == 404
    assert response.json()["errors"][0]["code"] == 1002


async def test_unknown_entity_type_gets_1005(client: httpx.AsyncClient) -> None:
    response = await client.get("/entity/spaceship")
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == 1005
