"""GET /api/v1/inventory/stock over a real socket and the real database."""

from __future__ import annotations

from decimal import Decimal

import httpx
import pytest
from inventory_testkit import (
    TokenMint,
    apply,
    assert_model_bytes,
    deleted_event,
    folder_event,
    new_id,
    product_event,
    stock_event,
    store_event,
    variant_event,
)
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from crm_common.events.models import AssortmentKind
from inventory_service.consumers import apply_event
from inventory_service.stock.schemas import StockPage, StoreTotalsPage

pytestmark = pytest.mark.usefixtures("clean")

STOCK = "/api/v1/inventory/stock"
BY_STORE = "/api/v1/inventory/stock/by-store"


async def _rows(client: httpx.AsyncClient, **params: object) -> list[tuple[str, str]]:
    response = await client.get(STOCK, params=params)
    assert response.status_code == 200, response.text
    return [(i["name"], i["store_name"]) for i in response.json()["items"]]


@pytest.fixture
async def shop(sessions: async_sessionmaker[AsyncSession]) -> dict[str, str]:
    """Two stores, a folder tree, products with variants, and their stock."""
    ids = {k: new_id() for k in ("main", "depot", "food", "dairy", "tools", "milk", "cheese", "hammer", "shirt", "s")}
    await apply(
        sessions,
        apply_event,
        store_event(ids["main"], 1, "Main"),
        store_event(ids["depot"], 1, "Depot"),
    )
    await apply(
        sessions,
        apply_event,
        folder_event(ids["food"], 1, "Food"),
        folder_event(ids["dairy"], 1, "Dairy", ids["food"]),
        folder_event(ids["tools"], 1, "Tools"),
    )
    await apply(
        sessions,
        apply_event,
        product_event(ids["milk"], 1, name="Milk", folder_id=ids["dairy"], minimum_stock=Decimal(5)),
        product_event(ids["cheese"], 1, name="Cheese", folder_id=ids["food"]),
        product_event(ids["hammer"], 1, name="Hammer", folder_id=ids["tools"], code="HM-1"),
        product_event(ids["shirt"], 1, name="Shirt"),
    )
    await apply(sessions, apply_event, variant_event(ids["s"], ids["shirt"], 1, name="Shirt (S)"))
    await apply(
        sessions,
        apply_event,
        stock_event(ids["milk"], ids["main"], 1, "3", reserve="1", unit_cost=Decimal("45.50")),
        stock_event(ids["milk"], ids["depot"], 1, "20", unit_cost=Decimal("45.50"), in_transit=Decimal("4")),
        stock_event(ids["cheese"], ids["main"], 1, "0"),
        stock_event(ids["hammer"], ids["depot"], 1, "-2", unit_cost=Decimal("300")),
        stock_event(ids["s"], ids["main"], 1, "7", product_id=ids["shirt"], kind=AssortmentKind.VARIANT),
    )
    return ids


async def test_item_carries_names_store_quantities_and_minimum(shop: dict[str, str], client: httpx.AsyncClient) -> None:
    body = (await client.get(STOCK, params={"product_id": shop["milk"], "store_id": shop["main"]})).json()
    assert body["total"] == 1
    item = body["items"][0]
    assert {
        k: item[k] for k in ("name", "store_name", "stock", "reserve", "available", "minimum", "below_minimum")
    } == {
        "name": "Milk",
        "store_name": "Main",
        "stock": "3",
        "reserve": "1",
        "available": "2",
        "minimum": "5",
        "below_minimum": True,
    }
    assert (item["id"], item["assortment_kind"], item["folder_id"]) == (
        f"{shop['milk']}:{shop['main']}",
        "product",
        shop["dairy"],
    )


async def test_stock_pages_are_what_the_page_model_writes(shop: dict[str, str], client: httpx.AsyncClient) -> None:
    for params in ({}, {"below_minimum": "true"}, {"negative": "true"}, {"sort": "-stock", "limit": 2}, {"offset": 99}):
        response = await client.get(STOCK, params=params)
        assert response.status_code == 200, response.text
        assert_model_bytes(StockPage, response.content)


async def test_filters(shop: dict[str, str], client: httpx.AsyncClient) -> None:
    assert await _rows(client, store_id=shop["depot"]) == [("Hammer", "Depot"), ("Milk", "Depot")]
    assert await _rows(client, product_id=shop["shirt"]) == [("Shirt (S)", "Main")]
    assert await _rows(client, folder_id=shop["food"]) == [("Cheese", "Main"), ("Milk", "Depot"), ("Milk", "Main")]
    assert await _rows(client, below_minimum="true") == [("Milk", "Main")]
    assert await _rows(client, zero="true") == [("Cheese", "Main")]
    assert await _rows(client, negative="true") == [("Hammer", "Depot")]
    assert await _rows(client, q="hm-") == [("Hammer", "Depot")]
    assert len(await _rows(client, below_minimum="false")) == 4


async def test_sorting_and_pagination(shop: dict[str, str], client: httpx.AsyncClient) -> None:
    first = (await client.get(STOCK, params={"sort": "-stock", "limit": 2})).json()
    second = (await client.get(STOCK, params={"sort": "-stock", "limit": 2, "offset": 2})).json()
    assert (first["total"], second["total"]) == (5, 5)
    stocks = [i["stock"] for i in first["items"] + second["items"]]
    assert stocks == ["20", "7", "3", "0"]


async def test_deleted_product_stock_is_hidden(
    shop: dict[str, str], sessions: async_sessionmaker[AsyncSession], client: httpx.AsyncClient
) -> None:
    await apply(sessions, apply_event, deleted_event("product", shop["hammer"], 2))
    assert await _rows(client, store_id=shop["depot"]) == [("Milk", "Depot")]


async def test_a_level_follows_its_product_through_the_catalog(
    shop: dict[str, str], sessions: async_sessionmaker[AsyncSession], client: httpx.AsyncClient
) -> None:
    """Stock first, then the product, renamed, moved, given a variant, deleted, written again; then its store
    deleted: the list (name, folder, minimum, what is hidden) follows every step, each a batch of its own."""
    kefir, variant, main = new_id(), new_id(), shop["main"]

    async def row(**params: object) -> tuple[object, ...] | None:
        body = (await client.get(STOCK, params={"product_id": kefir, **params})).json()
        assert body["total"] == len(body["items"])
        return tuple((i["name"], i["folder_id"], i["minimum"], i["below_minimum"]) for i in body["items"]) or None

    await apply(sessions, apply_event, stock_event(kefir, main, 1, "2"))
    assert await row() == ((None, None, None, False),)  # a level of an item the inventory has not heard of yet
    await apply(
        sessions, apply_event, product_event(kefir, 1, name="Kefir", folder_id=shop["dairy"], minimum_stock=Decimal(3))
    )
    assert await row() == (("Kefir", shop["dairy"], "3", True),)
    assert await row(folder_id=shop["food"], q="kef") == (("Kefir", shop["dairy"], "3", True),)
    await apply(sessions, apply_event, product_event(kefir, 2, name="Kefir 1%", folder_id=shop["tools"]))
    assert await row() == (("Kefir 1%", shop["tools"], None, False),)
    assert await row(folder_id=shop["food"]) is None
    await apply(
        sessions,
        apply_event,
        variant_event(variant, kefir, 1, name="Kefir 1% (0.5 l)"),
        stock_event(variant, main, 1, "1", product_id=kefir, kind=AssortmentKind.VARIANT),
    )
    await apply(sessions, apply_event, product_event(kefir, 3, name="Kefir 2.5%", minimum_stock=Decimal(2)))
    # the variant keeps its own name; its folder and minimum are its product's
    assert await row() == (("Kefir 1% (0.5 l)", None, "2", True), ("Kefir 2.5%", None, "2", False))
    await apply(sessions, apply_event, deleted_event("product", kefir, 4))
    assert await row() is None
    await apply(sessions, apply_event, product_event(kefir, 5, name="Kefir"))
    assert await row() == (("Kefir", None, None, False), ("Kefir 1% (0.5 l)", None, None, False))
    await apply(sessions, apply_event, deleted_event("store", main, 2))
    assert await row() is None
    assert await _rows(client) == [("Hammer", "Depot"), ("Milk", "Depot")]


async def _sums(client: httpx.AsyncClient, **params: object) -> dict[str | None, dict[str, object]]:
    response = await client.get(BY_STORE, params=params)
    assert response.status_code == 200, response.text
    return {row.pop("store_name"): row for row in response.json()["items"]}


async def test_stock_by_store_sums_the_stock_list_per_store(shop: dict[str, str], client: httpx.AsyncClient) -> None:
    sums = await _sums(client)

    assert list(sums) == ["Depot", "Main"]  # by name
    assert sums["Depot"] == {
        "store_id": shop["depot"],
        "levels": 2,
        "stock": "18",
        "reserve": "0",
        "in_transit": "4",
        "available": "18",
        "value_at_cost": "310.00",  # 20 × 45.50 − 2 × 300
        "without_cost": 0,
        "below_minimum": 0,
    }
    main = sums["Main"]
    assert (main["levels"], main["stock"], main["reserve"], main["available"]) == (3, "10", "1", "9")
    assert (main["value_at_cost"], main["without_cost"], main["below_minimum"]) == ("136.50", 2, 1)
    listed = (await client.get(STOCK, params={"limit": 100})).json()["items"]
    for name, row in sums.items():
        rows = [i for i in listed if i["store_name"] == name]
        assert row["levels"] == len(rows)
        assert Decimal(str(row["stock"])) == sum(Decimal(i["stock"]) for i in rows)


async def test_stock_by_store_takes_the_lists_filters_and_pages(
    shop: dict[str, str], sessions: async_sessionmaker[AsyncSession], client: httpx.AsyncClient
) -> None:
    assert {k: v["stock"] for k, v in (await _sums(client, folder_id=shop["food"])).items()} == {
        "Depot": "20",
        "Main": "3",
    }
    assert list(await _sums(client, below_minimum="true")) == ["Main"]
    assert list(await _sums(client, store_id=shop["depot"])) == ["Depot"]
    assert await _sums(client, q="no such thing") == {}
    second = (await client.get(BY_STORE, params={"limit": 1, "offset": 1})).json()
    assert (second["total"], [i["store_name"] for i in second["items"]]) == (2, ["Main"])
    await apply(sessions, apply_event, deleted_event("product", shop["hammer"], 2))
    assert (await _sums(client))["Depot"]["stock"] == "20"  # what the list hides, the sums leave out
    for params in ({}, {"zero": "true"}, {"offset": 5}, {"negative": "false", "limit": 1}):
        response = await client.get(BY_STORE, params=params)
        assert_model_bytes(StoreTotalsPage, response.content)


@pytest.mark.parametrize("path", [STOCK, BY_STORE])
@pytest.mark.parametrize(
    "params",
    [
        {"limit": 0},
        {"limit": 10**6},
        {"offset": -5},
        {"sort": "price"},
        {"zero": "perhaps"},
        {"below_minimum": "2"},
        {"q": "a\x00b"},  # Postgres refuses NUL in text: a value it refuses is the caller's, not a 500
    ],
)
async def test_invalid_query_parameters_get_422_with_the_uniform_body(
    client: httpx.AsyncClient, path: str, params: dict[str, object]
) -> None:
    if path == BY_STORE and "sort" in params:
        params = {"limit": -1}  # the sums have no order to choose
    response = await client.get(path, params=params)
    assert response.status_code == 422
    assert set(response.json()) == {"error", "detail"}


@pytest.mark.parametrize(
    ("path", "params", "named"),
    [
        (STOCK, {"sort": "price"}, "query.sort"),
        (STOCK, {"q": ""}, "query.q"),
        (BY_STORE, {"zero": "perhaps"}, "query.zero"),
        (BY_STORE, {"offset": -5}, "query.offset"),
        ("/api/v1/inventory/stores", {"archived": "maybe"}, "query.archived"),
        ("/api/v1/inventory/thresholds/", {"limit": 501}, "query.limit"),
    ],
)
async def test_a_refused_parameter_is_named_in_the_422(
    client: httpx.AsyncClient, path: str, params: dict[str, object], named: str
) -> None:
    """The parameters are read as one model (crm_common.web.query): a refusal still names the query parameter."""
    response = await client.get(path, params=params)
    assert (response.status_code, response.json()["error"]) == (422, "ValidationError")
    assert response.json()["detail"].startswith(f"{named}: ")


@pytest.mark.parametrize("path", [STOCK, BY_STORE])
async def test_stock_needs_inventory_read(api_url: str, mint: TokenMint, path: str) -> None:
    async with httpx.AsyncClient(base_url=api_url) as c:
        assert (await c.get(path)).status_code == 401
        assert (await c.get(path, headers=mint.headers("products:read"))).status_code == 403


@pytest.mark.parametrize("path", [STOCK, BY_STORE])
async def test_a_list_serves_the_default_page_size_and_refuses_one_beyond_the_maximum(
    client: httpx.AsyncClient, path: str
) -> None:
    """The settings' page sizes (50, at most 500): no ``limit`` serves 50, 500 is served, 501 is a 422 naming it."""
    assert (await client.get(path)).json()["limit"] == 50
    assert (await client.get(path, params={"limit": 500})).json()["limit"] == 500
    refused = await client.get(path, params={"limit": 501})
    assert refused.status_code == 422
    assert refused.json() == {"error": "ValidationFailed", "detail": "limit must be at most 500"}
