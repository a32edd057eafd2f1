"""The report cache: kept apart per database, served as the response model's own JSON, never across report shapes."""

from __future__ import annotations

from contextlib import nullcontext
from datetime import date, timedelta
from typing import Any

import orjson
import pytest
from analytics_testkit import customer_event, document_event, msk, new_id, position, product_event, stock_event
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from analytics_service.cache import ReportCache, cache_prefix, schema_fingerprint
from analytics_service.customers.schemas import Segments
from analytics_service.dashboard.schemas import Dashboard
from analytics_service.inventory.schemas import InventoryReport
from analytics_service.sales.schemas import SalesReport
from crm_common.events.models import DocumentKind
from crm_common.resp import RespClient
from crm_testing import free_port

SHIP = DocumentKind.SHIPMENT

REPORTS = [
    ("/api/v1/analytics/dashboard", {"period": "week", "as_of": "2025-03-12"}, Dashboard),
    ("/api/v1/analytics/sales/report", {"period": "month", "as_of": "2025-03-12", "group_by": "product"}, SalesReport),
    ("/api/v1/analytics/inventory/report", {"as_of": "2025-03-12"}, InventoryReport),
    ("/api/v1/analytics/customers/segments", {"as_of": "2025-03-12", "segment": "new"}, Segments),
]


def test_two_databases_get_two_cache_prefixes() -> None:
    first = cache_prefix("postgresql+asyncpg://crm:crm@127.0.0.1:5432/crm_e2e_1")
    second = cache_prefix("postgresql+asyncpg://crm:crm@127.0.0.1:5432/crm_e2e_2")
    assert first != second
    assert first.startswith("analytics:report:")


@pytest.mark.parametrize(("path", "params", "model"), REPORTS, ids=[r[0].rsplit("/", 1)[1] for r in REPORTS])
async def test_a_cached_report_is_served_as_the_json_its_response_model_gives(  # type: ignore[no-untyped-def]
    api, seed, path: str, params: dict[str, str], model: type[BaseModel]
) -> None:
    await seed(
        product_event("p1", 1, "Чайник", sale="1500"),
        customer_event("c1", 1, "ООО Ромашка"),
        document_event(SHIP, new_id(), 1, msk(date(2025, 3, 4)), [position("p1", 1, 1000, cost=600)], customer="c1"),
        document_event(SHIP, new_id(), 1, msk(date(2025, 3, 11)), [position("p1", 2, "999.99", cost=600)]),
        stock_event("p1", "store-1", 1, 4, unit_cost=600, minimum=5),
    )
    computed = await api.get(path, params=params)
    cached = await api.get(path, params=params)
    assert computed.status_code == cached.status_code == 200, computed.text
    assert computed.headers["content-type"] == "application/json"
    assert cached.content == computed.content
    # What FastAPI would have sent after validating the body against the route's response model.
    assert orjson.loads(model.model_validate_json(cached.content).model_dump_json()) == cached.json()


class Before(BaseModel):
    total: int


class After(BaseModel):
    total: str


async def test_a_report_cached_with_another_shape_is_computed_again(session: AsyncSession, resp: RespClient) -> None:
    cache = ReportCache(resp, timedelta(minutes=1), prefix=f"analytics-test:shape:{id(session)}")
    calls: list[str] = []

    async def compute(value: Any) -> Any:
        calls.append(repr(value))
        return {"total": value}

    reads = lambda: nullcontext(session)  # noqa: E731
    first = await cache.get_or_compute_json(reads, "r", {"p": 1}, lambda _: compute(1), Before)
    again = await cache.get_or_compute_json(reads, "r", {"p": 1}, lambda _: compute(1), Before)
    reshaped = await cache.get_or_compute_json(reads, "r", {"p": 1}, lambda _: compute("1"), After)
    assert (first, again, reshaped) == (b'{"total":1}', b'{"total":1}', b'{"total":"1"}')
    assert calls == ["1", "'1'"]
    assert schema_fingerprint(Before) != schema_fingerprint(After)


async def test_a_redis_that_cannot_be_reached_only_makes_a_report_computed(session: AsyncSession) -> None:
    nowhere = RespClient(f"redis://127.0.0.1:{free_port()}/0", timeout=0.5)
    cache = ReportCache(nowhere, timedelta(minutes=1), prefix=f"analytics-test:down:{id(session)}")

    async def compute(_: Any) -> Any:
        return {"total": 3}

    assert (
        await cache.get_or_compute_json(lambda: nullcontext(session), "r", {"p": 1}, compute, Before) == b'{"total":3}'
    )
