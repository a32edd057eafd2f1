"""The product list and detail send their rows encoded once (crm_common.web.responses): the bytes are exactly what
the declared response models write for the same data, edge cases included."""

from __future__ import annotations

from decimal import Decimal

import httpx
import pytest
from catalog_testkit import (
    apply,
    assert_model_bytes,
    folder_event,
    new_id,
    price,
    product_event,
    variant_event,
)
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from catalog_service.consumers import apply_event
from catalog_service.products.schemas import ProductDetail, ProductPage
from crm_common.events.models import AssortmentKind, BundleComponent, Money, Price, ProductKind

pytestmark = pytest.mark.usefixtures("clean")

LIST = "/api/v1/products/"


@pytest.fixture
async def catalog(sessions: async_sessionmaker[AsyncSession]) -> dict[str, str]:
    """Every shape a product takes: all fields set, no prices and archived, variants, a bundle, a service."""
    ids = {k: new_id() for k in ("root", "sub", "full", "bare", "shirt", "s", "m", "bundle", "service")}
    await apply(sessions, apply_event, folder_event(ids["root"], 1, "Одежда"))
    await apply(sessions, apply_event, folder_event(ids["sub"], 1, 'Футболки "лето"', ids["root"]))
    wholesale = Price(price_type="Оптовая", price_type_id="pt-2", amount=Decimal("0.0000001"), currency="USD")
    await apply(
        sessions,
        apply_event,
        product_event(
            ids["full"],
            3,
            name='Футболка "белая"\n\\ 100%',
            code="00012",
            article="TS-1",
            external_code="ext-1",
            description="Хлопок",
            folder_id=ids["sub"],
            uom="шт",
            barcodes=["4600000000012", "2000000000015"],
            sale_prices=[price("1499.90"), wholesale],
            buy_price=Money(amount=Decimal("700.10"), currency="EUR"),
            min_price=Money(amount=Decimal("-0.00")),
            vat_percent=Decimal("20"),
            vat_enabled=True,
            minimum_stock=Decimal("2.500"),
            weight=Decimal("1E+3"),
            volume=Decimal("0.25"),
        ),
        product_event(ids["bare"], 1, name="Без цены", archived=True),
        product_event(ids["shirt"], 2, name="Рубашка", sale_prices=[price("10")]),
        product_event(ids["service"], 1, name="Доставка", kind=ProductKind.SERVICE),
        product_event(
            ids["bundle"],
            1,
            name="Комплект",
            kind=ProductKind.BUNDLE,
            components=[
                BundleComponent(
                    assortment_id=ids["shirt"], assortment_kind=AssortmentKind.PRODUCT, quantity=Decimal(2)
                ),
                BundleComponent(
                    assortment_id=ids["s"], assortment_kind=AssortmentKind.VARIANT, quantity=Decimal("0.5")
                ),
                BundleComponent(assortment_id=new_id(), assortment_kind=AssortmentKind.PRODUCT, quantity=Decimal(1)),
            ],
        ),
    )
    await apply(
        sessions,
        apply_event,
        variant_event(
            ids["s"],
            ids["shirt"],
            1,
            name="Рубашка (S)",
            characteristics={"Размер": "S", "Цвет": "белый"},
            barcodes=["4600000000029"],
            sale_prices=[price("9.5"), wholesale],
            buy_price=Money(amount=Decimal("4.40")),
        ),
        variant_event(ids["m"], ids["shirt"], 1, name="Рубашка (M)", archived=True),
    )
    return ids


async def test_every_page_is_what_the_page_model_writes(catalog: dict[str, str], client: httpx.AsyncClient) -> None:
    for params in ({}, {"limit": 2, "offset": 1}, {"offset": 100}, {"archived": "true"}, {"sort": "-price"}):
        response = await client.get(LIST, params=params)
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "application/json"
        assert_model_bytes(ProductPage, response.content)
    full = await client.get(LIST, params={"q": "00012"})
    assert full.json()["items"][0]["sale_prices"][1]["amount"] == "1E-7"  # the stored decimal, not a float


async def test_every_detail_is_what_the_detail_model_writes(catalog: dict[str, str], client: httpx.AsyncClient) -> None:
    for key in ("full", "bare", "shirt", "bundle", "service"):
        response = await client.get(f"{LIST}{catalog[key]}")
        assert response.status_code == 200, response.text
        assert_model_bytes(ProductDetail, response.content)
    shirt = (await client.get(f"{LIST}{catalog['shirt']}")).json()
    bundle = (await client.get(f"{LIST}{catalog['bundle']}")).json()
    assert [(v["name"], v["archived"], [p["price_type_id"] for p in v["sale_prices"]]) for v in shirt["variants"]] == [
        ("Рубашка (M)", True, []),
        ("Рубашка (S)", False, [None, "pt-2"]),
    ]
    assert [c["name"] for c in bundle["components"]] == ["Рубашка", "Рубашка (S)", None]
