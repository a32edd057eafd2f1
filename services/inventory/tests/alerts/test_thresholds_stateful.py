"""Hypothesis drives the low-stock thresholds API through set → read → set → set → delete sequences.

A model of the thresholds is kept beside the real server (real HTTP on a socket, real Postgres). After every step
the thresholds of this run are listed and compared with the model, and so are the stock levels they govern: each
level's effective minimum is the store's threshold, else the every-store one, else the product's own minimum.
Invalid steps (a negative or over-precise minimum, deleting what is not there) must answer 4xx with the error body;
a 5xx at any step fails the machine.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test
from inventory_testkit import TokenMint, apply, new_id, product_event, stock_event
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from inventory_service.consumers import apply_event

THRESHOLDS = "/api/v1/inventory/thresholds/"
PRODUCT_MINIMUM = Decimal(3)
STOCK = {0: Decimal(4), 1: Decimal("0.5")}  # per store index: the level the product holds there
MINIMUMS = ("0", "2.5", "4", "10", "1000000.0001")
INVALID = ("-1", "1.00001", "abc")
Key = tuple[str, str | None]


class ThresholdsMachine(RuleBasedStateMachine):
    url: str
    headers: dict[str, str]
    item: str  # a product with stock in both stores
    other: str  # an id the inventory has never seen
    stores: tuple[str, str]

    def __init__(self) -> None:
        super().__init__()
        self.client = httpx.Client(base_url=self.url, timeout=30, headers=self.headers)
        self.model: dict[Key, Decimal] = {}

    def _key(self, which: int, store: int | None) -> Key:
        return (self.item if which == 0 else self.other, None if store is None else self.stores[store])

    @rule(which=st.integers(0, 1), store=st.none() | st.integers(0, 1), minimum=st.sampled_from(MINIMUMS))
    def set_threshold(self, which: int, store: int | None, minimum: str) -> None:
        assortment, store_id = self._key(which, store)
        body: dict[str, Any] = {"minimum": minimum, **({"store_id": store_id} if store_id else {})}
        response = self.client.put(f"{THRESHOLDS}{assortment}", json=body)
        assert response.status_code == 200, (response.status_code, response.text)
        got = response.json()
        assert (got["assortment_id"], got["store_id"], Decimal(got["minimum"])) == (
            assortment,
            store_id,
            Decimal(minimum),
        )
        self.model[(assortment, store_id)] = Decimal(minimum)

    @rule(which=st.integers(0, 1), store=st.none() | st.integers(0, 1), minimum=st.sampled_from(INVALID))
    def invalid_minimum_is_refused(self, which: int, store: int | None, minimum: str) -> None:
        assortment, store_id = self._key(which, store)
        response = self.client.put(f"{THRESHOLDS}{assortment}", json={"minimum": minimum, "store_id": store_id})
        assert response.status_code == 422, (response.status_code, response.text)
        assert set(response.json()) >= {"error", "detail"}

    @rule(which=st.integers(0, 1), store=st.none() | st.integers(0, 1))
    def delete_threshold(self, which: int, store: int | None) -> None:
        assortment, store_id = self._key(which, store)
        response = self.client.delete(f"{THRESHOLDS}{assortment}", params={"store_id": store_id} if store_id else {})
        if self.model.pop((assortment, store_id), None) is None:
            assert response.status_code == 404, (response.status_code, response.text)
            assert response.json()["error"] == "NotFound"
        else:
            assert response.status_code == 204, (response.status_code, response.text)

    @invariant()
    def thresholds_match_the_model(self) -> None:
        for assortment in (self.item, self.other):
            response = self.client.get(THRESHOLDS, params={"assortment_id": assortment})
            assert response.status_code == 200, response.text
            listed = {(t["assortment_id"], t["store_id"]): Decimal(t["minimum"]) for t in response.json()["items"]}
            assert listed == {k: v for k, v in self.model.items() if k[0] == assortment}

    @invariant()
    def stock_levels_follow_the_effective_minimum(self) -> None:
        response = self.client.get("/api/v1/inventory/stock", params={"product_id": self.item})
        assert response.status_code == 200, response.text
        levels = {row["store_id"]: row for row in response.json()["items"]}
        for index, store_id in enumerate(self.stores):
            minimum = self.model.get((self.item, store_id), self.model.get((self.item, None), PRODUCT_MINIMUM))
            assert Decimal(levels[store_id]["minimum"]) == minimum
            assert levels[store_id]["below_minimum"] is (STOCK[index] < minimum)

    def teardown(self) -> None:
        for assortment, store_id in list(self.model):
            self.client.delete(f"{THRESHOLDS}{assortment}", params={"store_id": store_id} if store_id else {})
        self.client.close()


async def test_thresholds_survive_any_sequence_of_admin_calls(
    api_url: str, mint: TokenMint, sessions: async_sessionmaker[AsyncSession]
) -> None:
    item, stores = new_id(), (new_id(), new_id())
    await apply(sessions, apply_event, product_event(item, 1, minimum_stock=PRODUCT_MINIMUM))
    for index, store in enumerate(stores):
        await apply(sessions, apply_event, stock_event(item, store, 1, str(STOCK[index])))
    ThresholdsMachine.url, ThresholdsMachine.headers = api_url, mint.headers("inventory:read", "inventory:write")
    ThresholdsMachine.item, ThresholdsMachine.other, ThresholdsMachine.stores = item, new_id(), stores
    run_state_machine_as_test(
        ThresholdsMachine,
        settings=settings(
            max_examples=15, stateful_step_count=10, deadline=None, suppress_health_check=list(HealthCheck)
        ),
    )
