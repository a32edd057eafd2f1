"""GET /api/v1/products/ and /api/v1/products/{id} over a real socket and the real database."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import httpx
import pytest
from catalog_testkit import (
    TokenMint,
    apply,
    at,
    deleted_event,
    folder_event,
    new_id,
    price,
    product_event,
    variant_event,
)
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from catalog_service.consumers import apply_event
from crm_common.events.models import AssortmentKind, BundleComponent, Money, ProductKind

pytestmark = pytest.mark.usefixtures("clean")

LIST = "/api/v1/products/"


async def _names(client: httpx.AsyncClient, **params: object) -> list[str]:
    response = await client.get(LIST, params=params)
    assert response.status_code == 200, response.text
    return [item["name"] for item in response.json()["items"]]


async def test_item_carries_the_catalog_fields_with_exact_money(
    sessions: async_sessionmaker[AsyncSession], client: httpx.AsyncClient
) -> None:
    root, sub, pid = new_id(), new_id(), new_id()
    await apply(sessions, apply_event, folder_event(root, 1, "Одежда"), folder_event(sub, 1, "Футболки", root))
    event = product_event(
        pid,
        3,
        name="Футболка белая",
        code="00012",
        article="TS-WHITE",
        folder_id=sub,
        uom="шт",
        barcodes=["4600000000012"],
        sale_prices=[price("1499.90"), price("1200.00", "Оптовая")],
        buy_price=Money(amount=Decimal("700.10")),
        vat_percent=Decimal(20),
        vat_enabled=True,
    )
    await apply(sessions, apply_event, event)

    body = (await client.get(LIST)).json()

    assert (body["total"], body["limit"], body["offset"]) == (1, 50, 0)
    item = body["items"][0]
    assert item == {
        "id": pid,
        "source": "moysklad",
        "account_id": "acc-test",
        "kind": "product",
        "name": "Футболка белая",
        "code": "00012",
        "article": "TS-WHITE",
        "external_code": None,
        "folder_id": sub,
        "folder_path": "Одежда/Футболки",
        "uom": "шт",
        "barcodes": ["4600000000012"],
        "sale_prices": [
            {"price_type": "Цена продажи", "price_type_id": None, "amount": "1499.90", "currency": "RUB"},
            {"price_type": "Оптовая", "price_type_id": None, "amount": "1200.00", "currency": "RUB"},
        ],
        "buy_price": {"amount": "700.10", "currency": "RUB"},
        "min_price": None,
        "vat_percent": "20",
        "vat_enabled": True,
        "minimum_stock": None,
        "archived": False,
        "updated_at": "2025-03-01T09:00:03Z",
    }


async def test_pages_partition_the_list_and_total_counts_all(
    sessions: async_sessionmaker[AsyncSession], client: httpx.AsyncClient
) -> None:
    await apply(sessions, apply_event, *[product_event(new_id(), 1, name=f"P{i:02d}") for i in range(7)])

    pages = [(await client.get(LIST, params={"limit": 3, "offset": off})).json() for off in (0, 3, 6)]

    assert [p["total"] for p in pages] == [7, 7, 7]
    assert [item["name"] for p in pages for item in p["items"]] == [f"P{i:02d}" for i in range(7)]


async def test_deleted_products_are_not_listed(
    sessions: async_sessionmaker[AsyncSession], client: httpx.AsyncClient
) -> None:
    keep, gone = new_id(), new_id()
    await apply(sessions, apply_event, product_event(keep, 1, name="Keep"), product_event(gone, 1))
    await apply(sessions, apply_event, deleted_event("product", gone, 2))
    assert await _names(client) == ["Keep"]
    assert (await client.get(f"{LIST}{gone}")).status_code == 404


async def test_filters_by_kind_and_archived(
    sessions: async_sessionmaker[AsyncSession], client: httpx.AsyncClient
) -> None:
    await apply(
        sessions,
        apply_event,
        product_event(new_id(), 1, name="Goods"),
        product_event(new_id(), 1, name="Old goods", archived=True),
        product_event(new_id(), 1, name="Delivery", kind=ProductKind.SERVICE),
        product_event(new_id(), 1, name="Gift set", kind=ProductKind.BUNDLE),
    )
    assert await _names(client, kind="service") == ["Delivery"]
    assert await _names(client, kind="product", archived="false") == ["Goods"]
    assert await _names(client, archived="true") == ["Old goods"]


async def test_text_search_matches_name_code_article_and_barcodes(
    sessions: async_sessionmaker[AsyncSession], client: httpx.AsyncClient
) -> None:
    with_variant = new_id()
    await apply(
        sessions,
        apply_event,
        product_event(new_id(), 1, name="Молоко 3,2%"),
        product_event(new_id(), 1, name="By code", code="MLK-001"),
        product_event(new_id(), 1, name="By article", article="art-milk"),
        product_event(new_id(), 1, name="By barcode", barcodes=["4601234567890"]),
        product_event(with_variant, 1, name="Shirt"),
        product_event(new_id(), 1, name="Unrelated"),
    )
    await apply(sessions, apply_event, variant_event(new_id(), with_variant, 1, barcodes=["2000000000015"]))

    assert await _names(client, q="молоко") == ["Молоко 3,2%"]
    assert await _names(client, q="mlk") == ["By code"]
    assert await _names(client, q="ART-MILK") == ["By article"]
    assert await _names(client, q="4601234567890") == ["By barcode"]
    assert await _names(client, q="2000000000015") == ["Shirt"]
    assert await _names(client, q="%") == ["Молоко 3,2%"]  # LIKE wildcards match themselves


async def test_price_range_uses_the_main_or_named_price(
    sessions: async_sessionmaker[AsyncSession], client: httpx.AsyncClient
) -> None:
    await apply(
        sessions,
        apply_event,
        product_event(new_id(), 1, name="Cheap", sale_prices=[price("99.99"), price("500", "Опт")]),
        product_event(new_id(), 1, name="Mid", sale_prices=[price("100.00"), price("50", "Опт")]),
        product_event(new_id(), 1, name="Dear", sale_prices=[price("1000.01")]),
        product_event(new_id(), 1, name="No price"),
    )
    assert await _names(client, price_min="100", price_max="1000") == ["Mid"]
    assert await _names(client, price_min="1000.01") == ["Dear"]
    assert await _names(client, price_type="Опт", price_max="100") == ["Mid"]


async def test_updated_since_keeps_recent_changes(
    sessions: async_sessionmaker[AsyncSession], client: httpx.AsyncClient
) -> None:
    await apply(
        sessions,
        apply_event,
        product_event(new_id(), 10, name="Old"),
        product_event(new_id(), 20, name="Recent", updated_at=at(20)),
    )
    moscow = (at(15) + timedelta(hours=3)).replace(tzinfo=None).isoformat() + "+03:00"  # the same instant as at(15)
    assert await _names(client, updated_since=at(5).isoformat()) == ["Old", "Recent"]
    assert await _names(client, updated_since=moscow) == ["Recent"]


async def test_folder_filter_includes_subfolders_unless_told_not_to(
    sessions: async_sessionmaker[AsyncSession], client: httpx.AsyncClient
) -> None:
    food, dairy, cheese, other = new_id(), new_id(), new_id(), new_id()
    await apply(
        sessions,
        apply_event,
        folder_event(food, 1, "Food"),
        folder_event(dairy, 1, "Dairy", food),
        folder_event(cheese, 1, "Cheese", dairy),
        folder_event(other, 1, "Other"),
    )
    await apply(
        sessions,
        apply_event,
        product_event(new_id(), 1, name="Bread", folder_id=food),
        product_event(new_id(), 1, name="Milk", folder_id=dairy),
        product_event(new_id(), 1, name="Brie", folder_id=cheese),
        product_event(new_id(), 1, name="Nails", folder_id=other),
    )
    assert await _names(client, folder_id=food) == ["Bread", "Brie", "Milk"]
    assert await _names(client, folder_id=dairy) == ["Brie", "Milk"]
    assert await _names(client, folder_id=food, include_subfolders="false") == ["Bread"]


async def test_sorts_by_price_descending_and_by_name(
    sessions: async_sessionmaker[AsyncSession], client: httpx.AsyncClient
) -> None:
    await apply(
        sessions,
        apply_event,
        product_event(new_id(), 1, name="B", sale_prices=[price("20")]),
        product_event(new_id(), 1, name="A", sale_prices=[price("30")]),
        product_event(new_id(), 1, name="C", sale_prices=[price("10")]),
        product_event(new_id(), 1, name="D"),
    )
    assert await _names(client, sort="-price") == ["A", "B", "C", "D"]
    assert await _names(client, sort="-name") == ["D", "C", "B", "A"]


@pytest.mark.parametrize(
    "params",
    [
        {"limit": 0},
        {"limit": 501},  # beyond the maximum page size (500)
        {"limit": 100000},
        {"offset": -1},
        {"offset": 10**30},  # beyond PostgreSQL's bigint: refused by the parameter's bound, not by the database
        {"offset": 1_000_000_001},
        {"sort": "colour"},
        {"kind": "variant"},
        {"price_min": "abc"},
        {"price_min": "10", "price_max": "5"},
        {"updated_since": "2025-01-01T00:00:00"},  # no offset: ambiguous, refused
        {"archived": "maybe"},
        {"q": "a\x00b"},  # Postgres refuses NUL in text: a value it refuses is the caller's, not a 500
        {"folder_id": "\x00"},
    ],
)
async def test_invalid_query_parameters_get_422_with_the_uniform_body(
    client: httpx.AsyncClient, params: dict[str, object]
) -> None:
    response = await client.get(LIST, params=params)
    assert response.status_code == 422
    assert set(response.json()) == {"error", "detail"}


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"kind": "variant"}, "query.kind"),
        ({"q": ""}, "query.q"),
        ({"updated_since": "2025-01-01T00:00:00"}, "query.updated_since"),
        ({"offset": -1}, "query.offset"),
    ],
)
async def test_a_refused_parameter_is_named_in_the_422(
    client: httpx.AsyncClient, params: dict[str, object], named: str
) -> None:
    """The parameters are read as one model (crm_common.web.query): a refusal still names the query parameter."""
    response = await client.get(LIST, params=params)
    assert (response.status_code, response.json()["error"]) == (422, "ValidationError")
    assert response.json()["detail"].startswith(f"{named}: ")


async def test_after_absurd_offsets_the_listing_still_answers(client: httpx.AsyncClient) -> None:
    """Refused offsets leave nothing behind (a database error used to leave the request's connection unusable)."""
    for _ in range(12):
        assert (await client.get(LIST, params={"offset": 10**30})).status_code == 422
    farthest = await client.get(LIST, params={"offset": 1_000_000_000})
    assert (farthest.status_code, farthest.json()["items"]) == (200, [])
    assert (await client.get(LIST)).status_code == 200


async def test_listing_needs_a_token_with_products_read(api_url: str, mint: TokenMint) -> None:
    async with httpx.AsyncClient(base_url=api_url) as anonymous:
        missing = await anonymous.get(LIST)
        wrong = await anonymous.get(LIST, headers=mint.headers("inventory:read"))
        forged = await anonymous.get(LIST, headers={"Authorization": f"Bearer {TokenMint().token('products:read')}"})
    assert (missing.status_code, missing.json()["error"]) == (401, "Unauthorized")
    assert (wrong.status_code, wrong.json()["error"]) == (403, "Forbidden")
    assert forged.status_code == 401


async def test_detail_shows_variants_and_bundle_components(
    sessions: async_sessionmaker[AsyncSession], client: httpx.AsyncClient
) -> None:
    shirt, bundle, size_s = new_id(), new_id(), new_id()
    components = [
        BundleComponent(assortment_id=shirt, assortment_kind=AssortmentKind.PRODUCT, quantity=Decimal("2")),
        BundleComponent(assortment_id=size_s, assortment_kind=AssortmentKind.VARIANT, quantity=Decimal("0.5")),
    ]
    await apply(
        sessions,
        apply_event,
        product_event(shirt, 1, name="Shirt", min_price=Money(amount=Decimal("100"))),
        product_event(bundle, 1, name="Two shirts", kind=ProductKind.BUNDLE, components=components),
    )
    await apply(
        sessions,
        apply_event,
        variant_event(size_s, shirt, 1, name="Shirt (S)", characteristics={"Размер": "S"}, sale_prices=[price("9.5")]),
    )

    shirt_body = (await client.get(f"{LIST}{shirt}")).json()
    bundle_body = (await client.get(f"{LIST}{bundle}")).json()

    assert shirt_body["min_price"] == {"amount": "100", "currency": "RUB"}
    assert [(v["name"], v["characteristics"], v["sale_prices"][0]["amount"]) for v in shirt_body["variants"]] == [
        ("Shirt (S)", {"Размер": "S"}, "9.5")
    ]
    assert bundle_body["components"] == [
        {"assortment_id": shirt, "assortment_kind": "product", "quantity": "2", "name": "Shirt"},
        {"assortment_id": size_s, "assortment_kind": "variant", "quantity": "0.5", "name": "Shirt (S)"},
    ]


async def test_unknown_product_is_404_with_the_uniform_body(client: httpx.AsyncClient) -> None:
    response = await client.get(f"{LIST}{new_id()}")
    assert response.status_code == 404
    assert response.json()["error"] == "NotFound"
