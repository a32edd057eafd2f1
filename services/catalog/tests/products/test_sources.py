"""Products of two sources side by side: each says where it comes from, the list filters by source, and a CRM's
product goes through create → update → update → delete over Kafka like MoySklad's."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from catalog_testkit import (
    TokenMint,
    apply,
    deleted_event,
    eventually,
    new_id,
    price,
    product_event,
    publish,
    wait_drained,
)
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from catalog_service.consumers import apply_event
from crm_common.events.envelope import EventEnvelope
from crm_common.events.topics import FOLDERS, PRODUCTS, VARIANTS

PORTAL = "shop.bitrix24.ru"
LIST = "/api/v1/products/"


def from_bitrix24(event: EventEnvelope) -> EventEnvelope:
    """The same event as the Bitrix24 connector publishes it: its source and its portal as the account."""
    return event.model_copy(update={"source": "bitrix24", "account_id": PORTAL})


async def _listed(client: httpx.AsyncClient, **params: object) -> list[tuple[str, str]]:
    response = await client.get(LIST, params=params)
    assert response.status_code == 200, response.text
    return sorted((item["source"], item["name"]) for item in response.json()["items"])


@pytest.mark.usefixtures("clean")
async def test_the_list_filters_by_source_and_every_product_says_its_source(
    sessions: async_sessionmaker[AsyncSession], client: httpx.AsyncClient
) -> None:
    shop, crm = new_id(), f"product-{new_id()}"
    await apply(
        sessions,
        apply_event,
        product_event(shop, 1, name="Чайник из МоегоСклада", sale_prices=[price("1990.00")]),
        from_bitrix24(
            product_event(crm, 1, name="Чайник из Битрикс24", sale_prices=[price("2100.00", "Базовая цена")])
        ),
    )

    every = await _listed(client)
    only_crm = await _listed(client, source="bitrix24")
    only_shop = await _listed(client, source="moysklad")
    nobody = await _listed(client, source="amocrm")
    detail = (await client.get(f"{LIST}{crm}")).json()
    refused = await client.get(LIST, params={"source": "Bitrix 24!"})

    assert every == [("bitrix24", "Чайник из Битрикс24"), ("moysklad", "Чайник из МоегоСклада")]
    assert only_crm == [("bitrix24", "Чайник из Битрикс24")]
    assert only_shop == [("moysklad", "Чайник из МоегоСклада")]
    assert nobody == []
    assert (detail["source"], detail["account_id"], detail["sale_prices"][0]["amount"]) == (
        "bitrix24",
        PORTAL,
        "2100.00",
    )
    assert refused.status_code == 422


@pytest.fixture
async def api(pipeline_url: str, mint: TokenMint) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=pipeline_url, headers=mint.headers("products:read"), timeout=10) as c:
        yield c


async def test_a_crm_product_is_created_updated_twice_and_deleted_through_kafka(
    api: httpx.AsyncClient, producer: AIOKafkaProducer, consumer_group: str
) -> None:
    pid = f"product-{new_id()}"
    steps = [
        from_bitrix24(product_event(pid, 1, name="Чай", sale_prices=[price("120.00")], vat_percent=Decimal(10))),
        from_bitrix24(product_event(pid, 2, name="Чай", sale_prices=[price("135.50")], vat_percent=Decimal(10))),
        from_bitrix24(product_event(pid, 3, name="Чай", sale_prices=[price("135.50")], archived=True)),
        from_bitrix24(deleted_event("product", pid, 4)),
    ]
    seen: list[tuple[str, str, bool] | None] = []
    for step in steps:
        await publish(producer, PRODUCTS, step)
        await wait_drained(consumer_group, [FOLDERS, PRODUCTS, VARIANTS])
        response = await api.get(f"{LIST}{pid}")
        body = response.json() if response.status_code == 200 else None
        seen.append(None if body is None else (body["source"], body["sale_prices"][0]["amount"], body["archived"]))

    async def listed_as_crm() -> bool:
        ids = [i["id"] for i in (await api.get(LIST, params={"source": "bitrix24", "limit": 500})).json()["items"]]
        return pid not in ids

    assert seen == [("bitrix24", "120.00", False), ("bitrix24", "135.50", False), ("bitrix24", "135.50", True), None]
    assert await eventually(listed_as_crm)
