"""The Bitrix24 side of the failure tier: the whole system with a Bitrix24 portal beside the MoySklad shop, the
tables the Bitrix24 events feed, the connector's jobs and counters, and the portal's own figures a baseline is checked
against (its REST API, as the connector reads it; docs/bitrix24.md)."""

from __future__ import annotations

import json
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import httpx
from delivery import Baseline
from e2e_harness import (
    BITRIX24_WEBHOOK_CODE,
    Infra,
    SimulatorSpec,
    System,
    bitrix24_gateway_env,
    bitrix24_ports,
    full_system,
    start_bitrix24,
)
from oracle import TABLES, Snapshot
from scenario import label_counts

# The simulator's demo portal: 121 contacts, 51 companies, 3 funnels, 600 deals with their product rows and stage
# history, 21 product sections, 200 products; a full sync is 44 requests, several list pages per type
# (docs/integrations.md, "Bitrix24: the second connector").
SCALE = "demo"
PROCESS = "bitrix24-connector"
SCHEMA = "bitrix24"  # the connector's schema: its sync jobs
CONNECTORS = ("moysklad", "bitrix24")
# What the Bitrix24 events feed besides analytics.counterparties (already in TABLES): funnels, deals and their stage
# history, and the customers the counterparties of both sources make. A funnel's version is the time the connector
# saw it change (funnels carry no stamp: docs/integrations.md, Bitrix24 step 2), so it is left out; so are a product
# section's version and time (sections carry none either). The portal's products and sections keep its account id,
# the portal's host and port, which every run picks anew.
SEEN_AT = ("source_version", "updated_at")
TABLES_WITH_CRM: dict[str, tuple[str, ...]] = {
    **TABLES,
    "catalog.folders": ("account_id", *SEEN_AT),
    "catalog.products": ("account_id",),
    "inventory.folders": ("account_id", *SEEN_AT),
    "inventory.assortment": ("account_id",),
    "analytics.folders": ("source_version",),
    "analytics.pipelines": ("source_version",),
    "analytics.pipeline_stages": (),
    "analytics.deals": (),
    "analytics.deal_stages": (),
    "analytics.customer_keys": (),
    "analytics.customer_members": (),
}
# retries of a 503 wait at most 4 s (like CONNECTOR_BACKOFF_MAX_SECONDS of the MoySklad connector in e2e_harness)
CONNECTOR_ENV = {"BITRIX24_CONNECTOR_BACKOFF_MAX_SECONDS": "4"}


@contextmanager
def system_with_portal(infra: Infra, portal_env: dict[str, str] | None = None) -> Iterator[System]:
    """``full_system`` plus the demo portal and the Bitrix24 connector, whose first (full) sync starts at once."""
    sim, ports = SimulatorSpec(), bitrix24_ports()
    with full_system(infra=infra, sim=sim, extra_env=bitrix24_gateway_env(ports)) as sut:
        start_bitrix24(sut, sim, ports, scale=SCALE, portal_env=portal_env, connector_env=CONNECTOR_ENV)
        yield sut


@dataclass(frozen=True)
class Figures:
    """What the portal holds, in the terms of analytics' tables."""

    deals: dict[tuple[str, str], tuple[int, Decimal]]  # (pipeline, stage) -> (deals, sum of their amounts in RUB)
    counterparties: frozenset[str]  # contact-<ID>, company-<ID>
    stages: dict[str, list[str]]  # pipeline -> its stage ids, sorted
    catalog: frozenset[str]  # section-<ID>, product-<ID>

    @property
    def events(self) -> int:
        """What one full sync publishes: a counterparty per contact and company, a pipeline per funnel, the deals, a
        folder per product section and the products."""
        return len(self.counterparties) + len(self.stages) + sum(n for n, _ in self.deals.values()) + len(self.catalog)


@dataclass
class PortalBaseline(Baseline):
    portal: Figures
    jobs: list[dict[str, Any]]


def portal_call(sut: System, method: str, params: dict[str, Any]) -> Any:
    """One REST call through the incoming webhook; a 503 (the portal's leaky bucket, shared with the connector:
    docs/bitrix24.md, "Limits") is sent again a second later."""
    url = f"{sut.url('bitrix24-simulator')}/rest/1/{BITRIX24_WEBHOOK_CODE}/{method}.json"
    for _ in range(60):
        response = httpx.post(url, json=params, timeout=30)
        if response.status_code != 503:
            break
        time.sleep(1)
    assert response.status_code == 200, response.text
    return response.json()


def portal_list(sut: System, method: str, select: list[str]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    start: int | None = 0
    while start is not None:
        page = portal_call(sut, method, {"order": {"ID": "ASC"}, "select": select, "start": start})
        rows += page["result"]
        start = page.get("next")
    return rows


def portal_figures(sut: System) -> Figures:
    """The portal's deals per funnel and stage with their sums, its contacts and companies, its funnels' stages, its
    product sections and products."""
    deals: dict[tuple[str, str], tuple[int, Decimal]] = {}
    for d in portal_list(sut, "crm.deal.list", ["ID", "CATEGORY_ID", "STAGE_ID", "OPPORTUNITY", "CURRENCY_ID"]):
        assert d["CURRENCY_ID"] == "RUB", d  # the demo portal's deals are in roubles; sums need one currency
        n, total = deals.get((str(d["CATEGORY_ID"]), d["STAGE_ID"]), (0, Decimal(0)))
        deals[(str(d["CATEGORY_ID"]), d["STAGE_ID"])] = (n + 1, total + Decimal(d["OPPORTUNITY"]))
    parties = {f"contact-{c['ID']}" for c in portal_list(sut, "crm.contact.list", ["ID"])}
    parties |= {f"company-{c['ID']}" for c in portal_list(sut, "crm.company.list", ["ID"])}
    categories = portal_call(sut, "crm.category.list", {"entityTypeId": 2})["result"]["categories"]
    stages = {}
    for c in categories:
        entity = "DEAL_STAGE" if int(c["id"]) == 0 else f"DEAL_STAGE_{c['id']}"
        statuses = portal_call(sut, "crm.status.list", {"filter": {"ENTITY_ID": entity}})["result"]
        stages[str(c["id"])] = sorted(s["STATUS_ID"] for s in statuses)
    catalog = {f"section-{s['ID']}" for s in portal_list(sut, "crm.productsection.list", ["ID"])}
    catalog |= {f"product-{p['ID']}" for p in portal_list(sut, "crm.product.list", ["ID"])}
    return Figures(deals, frozenset(parties), stages, frozenset(catalog))


def figures_of(snapshot: Snapshot) -> Figures:
    """The same figures, from analytics' tables in a snapshot."""

    def rows(table: str) -> list[dict[str, Any]]:
        return [json.loads(line) for line in snapshot.rows[table]]

    deals: dict[tuple[str, str], tuple[int, Decimal]] = {}
    for d in rows("analytics.deals"):
        if d["source"] == "bitrix24" and not d["deleted"]:
            n, total = deals.get((d["pipeline_id"], d["stage_id"]), (0, Decimal(0)))
            deals[(d["pipeline_id"], d["stage_id"])] = (n + 1, total + Decimal(d["amount"]))
    parties = {c["id"] for c in rows("analytics.counterparties") if c["source"] == "bitrix24" and not c["deleted"]}
    stages: dict[str, list[str]] = defaultdict(list)
    for s in rows("analytics.pipeline_stages"):
        stages[s["pipeline_id"]].append(s["stage_id"])
    catalog = {
        row["id"]
        for table in ("catalog.folders", "catalog.products")
        for row in rows(table)
        if row["source"] == "bitrix24" and row["deleted_at"] is None
    }
    return Figures(deals, frozenset(parties), {p: sorted(ids) for p, ids in stages.items()}, frozenset(catalog))


def connector_counters(sut: System) -> dict[str, int]:
    """The Bitrix24 connector's requests per status, retries per reason, limit answers per kind and calls held for
    their method's time budget (its /metrics, since its last start)."""
    url = sut.url(PROCESS)
    out: dict[str, int] = {}
    for name, label, title in (
        ("crm_bitrix24_requests_total", "status", "requests"),
        ("crm_bitrix24_retries_total", "reason", "retries"),
        ("crm_bitrix24_rate_limited_total", "kind", "limited"),
        ("crm_bitrix24_operating_held_total", "method", "held"),
    ):
        out |= {f"b24 {title} {value}": n for value, n in label_counts(url, name, label).items()}
    return out


def portal_answers(sut: System) -> dict[str, int]:
    """Answers the portal gave per HTTP status (its ``/__sim/stats``, every method)."""
    stats = httpx.get(f"{sut.url('bitrix24-simulator')}/__sim/stats", timeout=10).json()
    out: dict[str, int] = defaultdict(int)
    for counts in stats["by_method"].values():
        for status, n in counts.items():
            out[f"portal answered {status}"] += n
    return dict(sorted(out.items()))


def published(job: dict[str, Any]) -> int:
    counts = job["counts"] if isinstance(job["counts"], dict) else json.loads(job["counts"] or "{}")
    return sum(int(v) for v in counts.values())
