"""Reading single entities: shapes, 404, the UI-id redirect."""

from __future__ import annotations

import httpx

from moysklad_simulator import SimulatorState


async def test_product_has_moysklad_shape(client: httpx.AsyncClient, state: SimulatorState) -> None:
    product = state.records("product")[0]
    body = (await client.get(f"/entity/product/{product['id']}")).json()
    meta = body["meta"]
    assert meta["href"] == f"http://sim.test/api/remap/1.2/entity/product/{product['id']}"
    assert meta["metadataHref"].endswith("/entity/product/metadata")
    assert meta["uuidHref"] == f"https://online.moysklad.ru/app/#good/edit?id={product['_ui']}"
    assert body["id"] == product["id"]
    assert body["accountId"] == state.account_id
    assert len(body["updated"]) == 23
    assert body["updated"][10] == " "
    assert body["productFolder"]["meta"]["type"] == "productfolder"
    price = body["salePrices"][0]
    assert set(price["priceType"]) == {"meta", "id", "name", "externalCode"}
    assert price["currency"]["meta"]["type"] == "currency"
    assert set(body["buyPrice"]) == {"value", "currency"}
    assert len(body["externalCode"]) == 22


async def test_unknown_id_gives_404_with_1021(client: httpx.AsyncClient) -> None:
    response = await client.get("/entity/product/00000000-0000-0000-0000-000000000000")
    assert response.status_code == 404
    assert response.json()["errors"][0]["code"] == 1021


async def test_ui_id_redirects_with_308(client: httpx.AsyncClient, state: SimulatorState) -> None:
    product = state.records("product")[0]
    response = await client.get(f"/entity/product/{product['_ui']}")
    assert response.status_code == 308
    assert response.headers["location"].endswith(f"/entity/product/{product['id']}")


async def test_archived_entity_is_readable_by_id(client: httpx.AsyncClient, state: SimulatorState) -> None:
    archived = next(p for p in state.records("product") if p["archived"])
    body = (await client.get(f"/entity/product/{archived['id']}")).json()
    assert body["archived"] is True


async def test_bundle_components_expand(client: httpx.AsyncClient, state: SimulatorState) -> None:
    bundle = state.records("bundle")[0]
    body = (await client.get(f"/entity/bundle/{bundle['id']}", params={"expand": "components"})).json()
    components = body["components"]
    assert components["meta"]["type"] == "bundlecomponent"
    assert components["meta"]["size"] == len(components["rows"]) >= 2
    assert components["rows"][0]["assortment"]["meta"]["type"] == "product"


async def test_every_entity_type_lists(client: httpx.AsyncClient) -> None:
    for entity_type in (
        "product",
        "productfolder",
        "variant",
        "service",
        "bundle",
        "store",
        "uom",
        "currency",
        "organization",
        "employee",
        "counterparty",
    ):
        response = await client.get(f"/entity/{entity_type}")
        assert response.status_code == 200, entity_type
        assert response.json()["meta"]["size"] > 0, entity_type


async def test_price_types_are_a_bare_array(client: httpx.AsyncClient) -> None:
    body = (await client.get("/context/companysettings/pricetype")).json()
    assert isinstance(body, list)
    assert body[0]["name"] == "Цена продажи"
    assert body[0]["meta"]["type"] == "pricetype"
