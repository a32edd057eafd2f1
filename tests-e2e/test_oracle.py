"""After a sync from the simulator, what the gateway serves equals what the simulator itself says.

The oracle is the simulator's own data, generated again in this process from the same seed (the generator is
deterministic): its stock ledger (what `report/stock/bystore` serves), its profit report (`report/profit/byproduct`)
and revenue per day computed here from its documents. Everything is read through the gateway only.
"""

from __future__ import annotations

import os
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import httpx
import pytest
from e2e_harness import SimulatorSpec, System, full_system, login
from fidelity_cases import (
    RETURNS,
    SALES,
    case_documents,
    counted,
    line_revenue,
    profit_per_item,
    replayed_stock,
    revenue_per_day,
    year_of,
)

from moysklad_simulator import Settings, SimulatorState, generate
from moysklad_simulator.profit import profit_by_product

SPEC = SimulatorSpec(scale="tiny", seed=11, anchor="2026-01-15 00:00:00")
KOPECK = Decimal("0.01")


@pytest.fixture(scope="module")
def oracle() -> SimulatorState:
    return generate(Settings(scale=SPEC.scale, seed=SPEC.seed, anchor=SPEC.anchor))


@pytest.fixture(scope="module")
def sut() -> Iterator[System]:
    with full_system(sim=SPEC) as running:
        yield running


@pytest.fixture(scope="module")
def api(sut: System) -> Callable[..., Any]:
    headers = {"authorization": f"Bearer {login(sut)}"}

    def get(path: str, **params: Any) -> Any:
        response = httpx.get(f"{sut.url('gateway')}{path}", params=params, headers=headers, timeout=30)
        assert response.status_code == 200, response.text
        return response.json()

    return get


# How long a reading may take to converge; a shorter deadline makes a deliberately broken run fail fast.
SETTLE_SECONDS = float(os.environ.get("E2E_ORACLE_SETTLE_SECONDS", "240"))


def eventually(read: Callable[[], Any], done: Callable[[Any], bool], timeout: float = SETTLE_SECONDS) -> Any:
    """Poll until the system has caught up with the sync (or the deadline passes) and return the last reading."""
    deadline = time.monotonic() + timeout
    value = read()
    while not done(value) and time.monotonic() < deadline:
        time.sleep(2)
        value = read()
    return value


def kopecks(value: float) -> Decimal:
    return (Decimal(str(value)) / 100).quantize(KOPECK, rounding=ROUND_HALF_UP)


def within_a_kopeck(served: dict[str, Decimal], expected: dict[str, Decimal]) -> bool:
    """Equal to the kopeck: fractional-kopeck sums (fractional quantities) may round either way at the last digit."""
    return set(served) == set(expected) and all(abs(served[k] - v) <= KOPECK for k, v in expected.items())


# ------------------------------------------------------------------------------------------------ stock


def served_stock(api: Callable[..., Any]) -> dict[tuple[str, str], tuple[Decimal, Decimal, Decimal]]:
    rows: dict[tuple[str, str], tuple[Decimal, Decimal, Decimal]] = {}
    offset = 0
    while True:
        page = api("/api/v1/inventory/stock", limit=500, offset=offset)
        for item in page["items"]:
            values = (Decimal(item["stock"]), Decimal(item["reserve"]), Decimal(item["in_transit"]))
            if any(values):
                rows[(item["store_id"], item["assortment_id"])] = values
        offset += len(page["items"])
        if offset >= page["total"] or not page["items"]:
            return rows


def expected_stock(state: SimulatorState) -> dict[tuple[str, str], tuple[Decimal, Decimal, Decimal]]:
    ledger = state.ledger
    keys = set(ledger.stock) | set(ledger.reserve) | set(ledger.in_transit)
    rows = {}
    for key in keys:
        values = tuple(
            Decimal(str(round(book.get(key, 0.0), 3))) for book in (ledger.stock, ledger.reserve, ledger.in_transit)
        )
        if any(values):
            rows[key] = values
    return rows  # type: ignore[return-value]


def test_stock_served_equals_the_simulator_stock_report(api: Callable[..., Any], oracle: SimulatorState) -> None:
    expected = expected_stock(oracle)
    assert len(expected) > 20
    served = eventually(lambda: served_stock(api), expected.__eq__)
    missing = sorted(set(expected) - set(served))[:5]
    extra = sorted(set(served) - set(expected))[:5]
    wrong = [(k, served[k], expected[k]) for k in expected if k in served and served[k] != expected[k]][:5]
    assert served == expected, f"missing {missing}, extra {extra}, different {wrong}"


# ------------------------------------------------------------------------------------------------ money


def expected_profit(state: SimulatorState, start: date, end: date) -> dict[str, Decimal]:
    """The simulator's profit report for the period, per assortment item (a product, service or variant)."""
    report = profit_by_product(state, f"{start} 00:00:00.000", f"{end} 23:59:59.999")
    return {
        item_id: kopecks((sums["sellSum"] - sums["sellCostSum"]) - (sums["returnSum"] - sums["returnCostSum"]))
        for item_id, sums in report.items()
    }


def served_profit(api: Callable[..., Any], start: date, end: date) -> dict[str, Decimal]:
    report = api(
        "/api/v1/analytics/sales/report",
        period="custom",
        date_from=str(start),
        date_to=str(end),
        group_by_time="none",
        group_by="product",
        limit=5000,
    )
    return {row["key"]: Decimal(row["profit"]).quantize(KOPECK) for row in report["rows"]}


def expected_revenue_per_day(state: SimulatorState, start: date, end: date) -> dict[str, Decimal]:
    """Computed here, independently of the simulator's reports: posted sales minus returns, by Moscow day."""
    return {day: kopecks(value) for day, value in revenue_per_day(state, start, end).items() if round(value, 2)}


def served_revenue_per_day(api: Callable[..., Any], start: date, end: date) -> dict[str, Decimal]:
    report = api(
        "/api/v1/analytics/sales/report",
        period="custom",
        date_from=str(start),
        date_to=str(end),
        group_by_time="day",
        group_by="none",
        limit=5000,
    )
    return {
        row["bucket"]: Decimal(row["revenue"]).quantize(KOPECK) for row in report["rows"] if Decimal(row["revenue"])
    }


PERIODS = [(date(2025, 12, 1), date(2025, 12, 31)), (date(2025, 1, 1), date(2026, 1, 14))]


@pytest.mark.parametrize(("start", "end"), PERIODS, ids=["december", "whole-history"])
def test_profit_per_product_equals_the_simulator_profit_report(
    api: Callable[..., Any], oracle: SimulatorState, start: date, end: date
) -> None:
    expected = {k: v for k, v in expected_profit(oracle, start, end).items() if v}
    assert len(expected) > 10, "the oracle's profit report must not be empty, or this test proves nothing"
    served = eventually(
        lambda: {k: v for k, v in served_profit(api, start, end).items() if v},
        lambda got: within_a_kopeck(got, expected),
    )
    different = {k: (served.get(k), v) for k, v in expected.items() if abs((served.get(k) or 0) - v) > KOPECK}
    assert not different, f"{len(different)} products differ (served, expected): {list(different.items())[:5]}"
    assert set(served) == set(expected)


@pytest.mark.parametrize(("start", "end"), PERIODS, ids=["december", "whole-history"])
def test_revenue_per_day_equals_an_independent_computation(
    api: Callable[..., Any], oracle: SimulatorState, start: date, end: date
) -> None:
    expected = expected_revenue_per_day(oracle, start, end)
    assert len(expected) > 10
    assert _retail_returns(oracle, start, end), "returns at the till must be in the period, or they go unchecked"
    served = eventually(lambda: served_revenue_per_day(api, start, end), lambda got: within_a_kopeck(got, expected))
    different = {k: (served.get(k), v) for k, v in expected.items() if abs((served.get(k) or 0) - v) > KOPECK}
    assert not different, f"{len(different)} days differ (served, expected): {list(different.items())[:5]}"
    assert set(served) == set(expected)


def _retail_returns(state: SimulatorState, start: date, end: date) -> list[dict[str, Any]]:
    return [d for d in state.records("retailsalesreturn") if counted(d) and str(start) <= d["moment"][:10] <= str(end)]


# ------------------------------------------------------------------------------------------- dashboard, segments


def net_profit(sums: dict[str, float]) -> float:
    return (sums["sellSum"] - sums["sellCostSum"]) - (sums["returnSum"] - sums["returnCostSum"])


def sales_by_customer(
    state: SimulatorState, start: str, end: str, *, with_anonymous: bool = False
) -> tuple[dict[str, float], set[str]]:
    """Net revenue (sales − returns, kopecks) per customer in [start, end], and who bought at least once."""
    revenue: dict[str, float] = defaultdict(float)
    buyers: set[str] = set()
    for doc_types, sign in ((SALES, 1), (RETURNS, -1)):
        for doc_type in doc_types:
            for doc in state.records(doc_type):
                day, agent = doc["moment"][:10], doc.get("agent")
                if not counted(doc) or not start <= day <= end:
                    continue
                if agent is None and not with_anonymous:
                    continue
                customer = agent.id if agent is not None else ""
                revenue[customer] += sign * sum(line_revenue(doc, p) for p in doc["_positions"])
                if sign > 0 and customer:
                    buyers.add(customer)
    return revenue, buyers


def test_dashboard_revenue_and_profit_equal_the_simulator(api: Callable[..., Any], oracle: SimulatorState) -> None:
    start, end = PERIODS[0]
    revenue = sum(expected_revenue_per_day(oracle, start, end).values(), Decimal(0))
    report = profit_by_product(oracle, f"{start} 00:00:00.000", f"{end} 23:59:59.999")
    profit = kopecks(
        sum((s["sellSum"] - s["sellCostSum"]) - (s["returnSum"] - s["returnCostSum"]) for s in report.values())
    )

    def current() -> dict[str, Any]:
        body = api("/api/v1/analytics/dashboard", period="custom", date_from=str(start), date_to=str(end))
        return dict(body["current"])

    served = eventually(current, lambda got: abs(Decimal(got["revenue"]) - revenue) <= KOPECK)
    assert abs(Decimal(served["revenue"]) - revenue) <= KOPECK
    assert abs(Decimal(served["profit"]) - profit) <= KOPECK


def test_customer_segments_cover_every_buyer_and_their_revenue(api: Callable[..., Any], oracle: SimulatorState) -> None:
    as_of = "2026-01-14"
    body = api("/api/v1/analytics/customers/segments", as_of=as_of)
    revenue, buyers = sales_by_customer(oracle, body["start"], body["end"])
    expected_total = kopecks(sum(revenue[c] for c in buyers))

    def served() -> tuple[int, Decimal]:
        got = api("/api/v1/analytics/customers/segments", as_of=as_of)
        return got["customers_total"], sum((Decimal(s["revenue"]) for s in got["segments"]), Decimal(0))

    customers, total = eventually(served, lambda got: got[0] == len(buyers))
    assert customers == len(buyers)
    assert (
        sum(s["customers"] for s in api("/api/v1/analytics/customers/segments", as_of=as_of)["segments"]) == customers
    )
    assert abs(total - expected_total) <= KOPECK * 2


# ------------------------------------------------------------------------------- MoySklad cases (issue 13)

CASES = (
    "draft",
    "in the recycle bin",
    "restored from the bin",
    "service sold",
    "bundle sold",
    "position discount",
    "prices without VAT",
    "summer 2010 (UTC+4)",
    "2012 (UTC+4 all year)",
    "after 2014-10-26 (UTC+3)",
)
LAST_DAY = date(2026, 1, 14)


def check_days(api: Callable[..., Any], oracle: SimulatorState, start: date, end: date, days: set[str]) -> None:
    """Served revenue on ``days`` (within one report period) equals the revenue computed from the documents."""
    expected = {day: kopecks(v) for day, v in revenue_per_day(oracle, start, end).items() if day in days}
    served = eventually(
        lambda: {k: v for k, v in served_revenue_per_day(api, start, end).items() if k in days},
        lambda got: within_a_kopeck(got, expected),
    )
    wrong = {
        d: (served.get(d), expected.get(d)) for d in days if abs((served.get(d) or 0) - expected.get(d, 0)) > KOPECK
    }
    assert not wrong, f"days whose revenue differs (served, expected): {wrong}"


@pytest.mark.parametrize("case", CASES)
def test_each_case_lands_on_its_moscow_day_with_the_revenue_moysklad_counts(
    api: Callable[..., Any], oracle: SimulatorState, case: str
) -> None:
    docs = case_documents(oracle)[case]
    assert docs, f"the simulator generated no {case!r} document: the case would go unchecked"
    for start, end in sorted({year_of(doc, LAST_DAY) for doc in docs}):
        check_days(
            api, oracle, start, end, {d["moment"][:10] for d in docs if str(start) <= d["moment"][:10] <= str(end)}
        )


@pytest.mark.parametrize("case", ["service sold", "bundle sold", "position discount", "prices without VAT"])
def test_each_case_has_the_profit_moysklad_counts_for_its_items(
    api: Callable[..., Any], oracle: SimulatorState, case: str
) -> None:
    docs = case_documents(oracle)[case]
    assert docs, f"the simulator generated no {case!r} document"
    start, end = PERIODS[1]
    items = {p.assortment.id for doc in docs for p in doc["_positions"]}
    expected = {k: kopecks(v) for k, v in profit_per_item(oracle, start, end).items() if k in items}
    # the simulator's own profit report agrees with the computation from its documents
    assert within_a_kopeck({k: v for k, v in expected_profit(oracle, start, end).items() if k in items}, expected)
    served = eventually(
        lambda: {k: v for k, v in served_profit(api, start, end).items() if k in items},
        lambda got: within_a_kopeck(got, expected),
    )
    assert within_a_kopeck(served, expected), f"{case}: (served, expected) {served} {expected}"


def test_negative_stock_is_served_as_the_documents_leave_it(api: Callable[..., Any], oracle: SimulatorState) -> None:
    replayed = replayed_stock(oracle)
    negative = {key: Decimal(str(v)) for key, v in replayed.items() if v < 0}
    assert negative, "the simulator generated no negative stock: the case would go unchecked"
    assert {k: Decimal(str(round(oracle.ledger.stock[k], 3))) for k in negative} == negative  # the report agrees

    def served() -> dict[tuple[str, str], Decimal]:
        items = api("/api/v1/inventory/stock", negative="true", limit=500)["items"]
        return {(i["store_id"], i["assortment_id"]): Decimal(i["stock"]) for i in items}

    assert eventually(served, negative.__eq__) == negative


def run_incremental_sync(sut: System) -> None:
    """Start an incremental sync through the gateway, waiting while another sync still holds the integration."""
    headers = {"authorization": f"Bearer {login(sut)}"}
    deadline = time.monotonic() + 240
    while True:
        started = httpx.post(
            f"{sut.url('gateway')}/api/v1/admin/sync/start", json={"mode": "incremental"}, headers=headers, timeout=30
        )
        if started.status_code != 409 or time.monotonic() > deadline:
            break
        time.sleep(2)
    assert started.status_code == 202, started.text


def test_a_sale_put_in_the_bin_stops_counting_and_counts_again_once_restored(
    api: Callable[..., Any], sut: System, oracle: SimulatorState
) -> None:
    """Last in the module: a sale goes to the bin and back (seen through the audit feed); the shop ends as it began."""
    start, end = PERIODS[0]
    # Older than every document already in the bin, so the bin's own listing (paged by `updated`) cannot find it
    # once trashed: only the audit feed can. MoySklad does not change `updated` on a move to the bin.
    binned = case_documents(oracle)["in the recycle bin"]
    doc = min(
        (d for d in oracle.records("retaildemand") if counted(d) and d["moment"][:10] >= str(start)),
        key=lambda d: d["updated"],
    )
    assert binned
    assert doc["updated"] < min(d["updated"] for d in binned)
    kind, day = doc["_ref"].type, doc["moment"][:10]
    with_it = expected_revenue_per_day(oracle, start, end)[day]
    without_it = with_it - kopecks(sum(line_revenue(doc, p) for p in doc["_positions"]))
    simulator, auth = sut.url("simulator"), (SPEC.login, SPEC.password)

    def served_day() -> Decimal:
        return served_revenue_per_day(api, start, end).get(day, Decimal(0))

    # Another client of the account that the connector is syncing: it waits when MoySklad says so, as any must.
    for _ in range(10):
        trashed = httpx.post(f"{simulator}/api/remap/1.2/entity/{kind}/{doc['id']}/trash", auth=auth, timeout=30)
        if trashed.status_code != 429:
            break
        time.sleep(int(trashed.headers.get("X-Lognex-Retry-After", "1000")) / 1000)
    assert trashed.status_code == 200, trashed.text
    run_incremental_sync(sut)
    served = eventually(served_day, lambda got: abs(got - without_it) <= KOPECK)
    assert abs(served - without_it) <= KOPECK, f"{day} with the sale in the bin: {served}, expected {without_it}"

    restored = httpx.post(f"{simulator}/__sim/restore/{kind}/{doc['id']}", timeout=30)
    assert restored.status_code == 204, restored.text
    run_incremental_sync(sut)
    served = eventually(served_day, lambda got: abs(got - with_it) <= KOPECK)
    assert abs(served - with_it) <= KOPECK, f"{day} with the sale restored: {served}, expected {with_it}"
    # re-read whole: its positions keep their cost at the document moment, so profit is back too
    items = {p.assortment.id for p in doc["_positions"]}
    profit = {k: v for k, v in expected_profit(oracle, start, end).items() if k in items}
    served_profits = eventually(
        lambda: {k: v for k, v in served_profit(api, start, end).items() if k in items},
        lambda got: within_a_kopeck(got, profit),
    )
    assert within_a_kopeck(served_profits, profit), f"profit after the restore {served_profits}, expected {profit}"
