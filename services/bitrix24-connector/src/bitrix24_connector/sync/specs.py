"""What the connector syncs: each Bitrix24 record type, its list method, what a page needs before it maps
(``prepare``: one ``batch`` of up to 50 calls per page), its mapper and its kind on the canonical topics."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from bitrix24_connector.client import Bitrix24Client
from bitrix24_connector.log import log
from bitrix24_connector.mapping import deals, parties, products
from bitrix24_connector.sync import deal_history
from bitrix24_connector.sync.catalog import SECTION, rates_of
from crm_common.events.envelope import EventEnvelope

# A page's extra data per record id: requisites of companies, product rows of deals. A record missing from the
# answer was deleted while we read it (its delete follows from the hint or the reconciliation).
Prepare = Callable[[Bitrix24Client, list[dict[str, Any]]], Awaitable[dict[str, Any]]]
Mapper = Callable[[dict[str, Any], str, Any], EventEnvelope]


@dataclass(frozen=True)
class Changes:
    """A list method read for what changed: its rows in the order of the key ``(<stamp>, ID)`` (sync/runner.py,
    ``changed``)."""

    method: str
    stamp: str = "DATE_MODIFY"  # the row's time (products: TIMESTAMP_X, stage moves: CREATED_TIME)
    filter: dict[str, Any] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)  # more parameters of the list call (``entityTypeId``)


@dataclass(frozen=True)
class RelatedFeed:
    """Rows kept apart from the record whose changes are the record's too (a company's requisites, a deal's stage
    moves)."""

    name: str  # cursor suffix: `<type>.<name>`
    owner_field: str  # the record's ID in the related row
    changes: Changes


@dataclass(frozen=True)
class EntitySpec:
    type: str  # contact, company, deal: cursor, progress, counts and hint key
    method: str  # crm.<type>.list
    kind: str  # the canonical kind: counterparty, deal
    entity_id: Callable[[str], str]  # Bitrix24 ID -> canonical entity id
    select: tuple[str, ...]
    mapper: Mapper
    prepare: Prepare | None = None
    related: RelatedFeed | None = None
    preload: Callable[[Bitrix24Client], Awaitable[None]] | None = None  # before a full walk (the deals' history)
    stamp: str = "DATE_MODIFY"  # the modification date increments page by (products: TIMESTAMP_X)

    @property
    def changes(self) -> Changes:
        return Changes(self.method, self.stamp)


async def _per_record(
    client: Bitrix24Client, rows: list[dict[str, Any]], method: str, params: Callable[[str], dict[str, Any]]
) -> dict[str, Any]:
    """One batch call per record of the page, keyed ``r<ID>`` (PHP answers keys 0, 1, 2 as a JSON list); "Not
    found" (deleted meanwhile) leaves the record out."""
    answer = await client.batch({f"r{row['ID']}": (method, params(str(row["ID"]))) for row in rows})
    for key, error in answer.errors.items():
        if error.description.strip().lower() != "not found":
            raise error
        log.info("bitrix24 record vanished while read", method=method, id=key[1:])
    return {key[1:]: value for key, value in answer.results.items()}


async def requisites_of(client: Bitrix24Client, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Each company's requisites (``ENTITY_TYPE_ID=4``), for the INN (docs/bitrix24.md, "CRM entities")."""

    def params(company_id: str) -> dict[str, Any]:
        return {
            "filter": {"ENTITY_TYPE_ID": 4, "ENTITY_ID": company_id},
            "order": {"ID": "ASC"},
            "select": ["ID", "RQ_INN", "ACTIVE", "DATE_MODIFY"],
        }

    return await _per_record(client, rows, "crm.requisite.list", params)


async def product_rows_of(client: Bitrix24Client, rows: list[dict[str, Any]]) -> dict[str, Any]:
    return await _per_record(client, rows, "crm.deal.productrows.get", lambda deal_id: {"id": deal_id})


async def deal_extras_of(client: Bitrix24Client, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Each deal's product rows, stage history and responsible person's name (sync/deal_history.py)."""
    products = await product_rows_of(client, rows)
    present = [row for row in rows if str(row["ID"]) in products]
    histories, names = await deal_history.history_and_people(client, present)
    return {
        str(row["ID"]): {
            "rows": products[str(row["ID"])],
            "history": histories.get(str(row["ID"]), []),
            "users": {key: name for key, name in names.items() if key == str(row.get("ASSIGNED_BY_ID"))},
        }
        for row in present
    }


def _contact(record: dict[str, Any], portal: str, extra: Any) -> EventEnvelope:
    return parties.map_contact(record, portal)


def _company(record: dict[str, Any], portal: str, extra: Any) -> EventEnvelope:
    return parties.map_company(record, portal, list(extra or []))


def _deal(record: dict[str, Any], portal: str, extra: Any) -> EventEnvelope:
    extra = extra or {}
    return deals.map_deal(record, portal, list(extra.get("rows") or []), extra.get("users"), extra.get("history"))


def _product(record: dict[str, Any], portal: str, extra: Any) -> EventEnvelope:
    return products.map_product(record, portal, products.vat_rates(list(extra or [])))


PARTY_FIELDS = ("ID", "DATE_CREATE", "DATE_MODIFY", "PHONE", "EMAIL")
SPECS: dict[str, EntitySpec] = {
    spec.type: spec
    for spec in (
        EntitySpec(
            "contact",
            "crm.contact.list",
            "counterparty",
            lambda i: f"contact-{i}",
            (*PARTY_FIELDS, "NAME", "LAST_NAME", "SECOND_NAME"),
            _contact,
        ),
        EntitySpec(
            "company",
            "crm.company.list",
            "counterparty",
            lambda i: f"company-{i}",
            (*PARTY_FIELDS, "TITLE"),
            _company,
            requisites_of,
            RelatedFeed("requisites", "ENTITY_ID", Changes("crm.requisite.list", filter={"ENTITY_TYPE_ID": 4})),
        ),
        EntitySpec(
            "deal",
            "crm.deal.list",
            "deal",
            str,
            ("*",),
            _deal,
            deal_extras_of,
            RelatedFeed(
                "history",
                "OWNER_ID",
                Changes(deal_history.METHOD, "CREATED_TIME", params={"entityTypeId": deal_history.DEALS}),
            ),
            preload=deal_history.preload,
        ),
        EntitySpec(
            "product",
            "crm.product.list",
            "product",
            lambda i: f"product-{i}",
            products.PRODUCT_FIELDS,
            _product,
            rates_of,
            stamp="TIMESTAMP_X",
        ),
    )
}
PIPELINE = "pipeline"
TYPES = (PIPELINE, SECTION, *SPECS)
LEDGER_KINDS = frozenset({"counterparty", "deal", "pipeline", "product", "folder"})
