"""One customer across sources, against the real database: counterparty events through the projection batch, then
the API (records, merge, split) and a change → change → delete sequence."""

from __future__ import annotations

from datetime import UTC, date, datetime

import httpx
import pytest
from analytics_testkit import ACCOUNT, TokenMint, deal_event, document_event, msk, new_id, pipeline_event, position

from crm_common.events.envelope import EventEnvelope, make_event
from crm_common.events.models import Counterparty, Deleted, DocumentKind

STEWARD = ("analytics:read", "customers:write")


def party(
    cid: str,
    version: int,
    *,
    source: str = "moysklad",
    name: str = "Иван Петров",
    inn: str | None = None,
    phones: tuple[str, ...] = (),
    emails: tuple[str, ...] = (),
) -> EventEnvelope:
    payload = Counterparty(
        id=cid,
        name=name,
        inn=inn,
        phone=phones[0] if phones else None,
        email=emails[0] if emails else None,
        phones=list(phones),
        emails=list(emails),
        updated_at=datetime.now(UTC),
    )
    return make_event(
        "counterparty.upserted",
        source=source,
        account_id=ACCOUNT,
        entity_id=cid,
        source_version=version,
        payload=payload,
    )


def gone(cid: str, version: int) -> EventEnvelope:
    payload = Deleted(id=cid, deleted_at=datetime.now(UTC))
    return make_event(
        "counterparty.deleted",
        source="moysklad",
        account_id=ACCOUNT,
        entity_id=cid,
        source_version=version,
        payload=payload,
    )


async def records(api: httpx.AsyncClient, cid: str) -> dict:  # type: ignore[type-arg]
    r = await api.get(f"/api/v1/analytics/customers/{cid}/records")
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def ids(identity: dict) -> list[str]:  # type: ignore[type-arg]
    return [rec["counterparty_id"] for rec in identity["records"]]


async def test_the_same_person_from_two_sources_is_one_customer_with_the_key_that_matched(seed, api) -> None:  # type: ignore[no-untyped-def]
    await seed(
        party("ms-1", 1, phones=("+7 (900) 000-00-01",), emails=("ivan@example.ru",)),
        party("contact-7", 1, source="bitrix24", name="Петров Иван", phones=("8 (900) 000-00-01",)),
        party("company-3", 1, source="bitrix24", name="ООО Ромашка", inn="7707083893"),
        party("ms-2", 1, name="Ромашка", inn="7707083893", emails=("INFO@romashka.example.ru",)),
        party("ms-3", 1, name="Кто-то другой", phones=("+7 (900) 000-00-02",)),
    )

    person = await records(api, "ms-1")
    company = await records(api, "company-3")

    assert person["customer_id"] == "contact-7"
    assert ids(person) == ["contact-7", "ms-1"]
    assert {(r["source"], r["matched_by"], r["matched_value"]) for r in person["records"]} == {
        ("bitrix24", "phone", "+79000000001"),
        ("moysklad", "phone", "+79000000001"),
    }
    assert ids(company) == ["company-3", "ms-2"]
    assert {r["matched_by"] for r in company["records"]} == {"inn"}
    assert ids(await records(api, "ms-3")) == ["ms-3"]
    assert (await records(api, "contact-7")) == person  # a member's id finds the customer too


async def test_a_changed_phone_moves_the_record_and_a_deletion_removes_it(seed, api) -> None:  # type: ignore[no-untyped-def]
    await seed(
        party("ms-1", 1, phones=("+79000000001",)),
        party("contact-7", 1, source="bitrix24", phones=("8 (900) 000-00-01",)),
        party("contact-8", 1, source="bitrix24", phones=("8 (900) 000-00-05",)),
    )
    assert ids(await records(api, "ms-1")) == ["contact-7", "ms-1"]

    await seed(party("ms-1", 2, phones=("+7 900 000-00-05",)))  # the customer changed phones
    assert ids(await records(api, "ms-1")) == ["contact-8", "ms-1"]
    assert ids(await records(api, "contact-7")) == ["contact-7"]

    await seed(party("ms-1", 1, phones=("+79000000001",)))  # a stale version changes nothing
    assert ids(await records(api, "ms-1")) == ["contact-8", "ms-1"]

    await seed(gone("contact-8", 3))
    assert ids(await records(api, "ms-1")) == ["ms-1"]
    r = await api.get("/api/v1/analytics/customers/contact-8/records")
    assert r.status_code == 404
    assert r.json()["error"] == "NotFound"


async def test_admins_merge_and_split_and_their_decisions_are_listed(seed, api, mint: TokenMint) -> None:  # type: ignore[no-untyped-def]
    await seed(
        party("ms-1", 1, phones=("+79000000001",)),
        party("contact-7", 1, source="bitrix24", phones=("89000000001",)),
        party("company-3", 1, source="bitrix24", name="ИП Петров", emails=("petrov@example.ru",)),
    )
    steward = mint.headers(*STEWARD, user="steward-1")

    merged = await api.post(
        "/api/v1/analytics/customers/merge",
        json={"counterparty_ids": ["company-3", "ms-1"], "reason": "his business"},
        headers=steward,
    )
    assert merged.status_code == 200, merged.text
    assert ids(merged.json()) == ["company-3", "contact-7", "ms-1"]
    assert [(d["kind"], d["decided_by"], d["reason"]) for d in merged.json()["decisions"]] == [
        ("merge", "steward-1", "his business")
    ]

    split = await api.post("/api/v1/analytics/customers/split", json={"counterparty_id": "ms-1"}, headers=steward)
    assert split.status_code == 200, split.text
    assert ids(split.json()) == ["ms-1"]
    assert [d["kind"] for d in split.json()["decisions"]] == ["merge", "split"]
    assert ids(await records(api, "contact-7")) == ["contact-7"]  # the merge through ms-1 is void, the phone ignored
    assert ids(await records(api, "company-3")) == ["company-3"]

    again = await api.post("/api/v1/analytics/customers/split", json={"counterparty_id": "ms-1"}, headers=steward)
    assert again.status_code == 409
    assert again.json()["error"] == "Conflict"

    # A new version of the split record keeps it alone: the decision outlives the data changing.
    await seed(party("ms-1", 2, phones=("+79000000001",), emails=("petrov@example.ru",)))
    assert ids(await records(api, "ms-1")) == ["ms-1"]


@pytest.mark.parametrize(
    ("path", "body", "status", "error"),
    [
        ("merge", {"counterparty_ids": ["ms-1"]}, 422, "ValidationError"),
        ("merge", {"counterparty_ids": ["ms-1", "ms-1"]}, 422, "ValidationError"),
        ("merge", {"counterparty_ids": ["ms-1", "nobody"]}, 404, "NotFound"),
        ("merge", {"counterparty_ids": ["ms-1", "ms-2"], "extra": 1}, 422, "ValidationError"),
        ("split", {"counterparty_id": "nobody"}, 404, "NotFound"),
        ("split", {"counterparty_id": "ms-1"}, 409, "Conflict"),
        ("split", {}, 422, "ValidationError"),
    ],
)
async def test_bad_decisions_get_a_clear_error_and_change_nothing(  # type: ignore[no-untyped-def]
    seed,
    api,
    mint: TokenMint,
    path: str,
    body: dict,
    status: int,
    error: str,  # type: ignore[type-arg]
) -> None:
    await seed(party("ms-1", 1, phones=("+79000000001",)), party("ms-2", 1, phones=("+79000000002",)))

    r = await api.post(f"/api/v1/analytics/customers/{path}", json=body, headers=mint.headers(*STEWARD))

    assert r.status_code == status, r.text
    assert r.json()["error"] == error
    assert ids(await records(api, "ms-1")) == ["ms-1"]
    assert (await records(api, "ms-1"))["decisions"] == []


async def test_deciding_needs_customers_write(seed, api) -> None:  # type: ignore[no-untyped-def]
    await seed(party("ms-1", 1), party("ms-2", 1))

    r = await api.post("/api/v1/analytics/customers/merge", json={"counterparty_ids": ["ms-1", "ms-2"]})

    assert r.status_code == 403
    assert ids(await records(api, "ms-1")) == ["ms-1"]


async def test_segments_and_the_profile_count_one_customer_across_sources(seed, api, mint: TokenMint) -> None:  # type: ignore[no-untyped-def]
    day = date(2025, 6, 20)
    await seed(
        party("ms-1", 1, name="Иван Петров", phones=("+79000000001",)),
        party("ms-2", 1, name="Иван П. (опт)", emails=("ivan@example.ru",)),
        party("contact-7", 1, source="bitrix24", phones=("8 (900) 000-00-01",), emails=("IVAN@example.ru",)),
        party("ms-3", 1, name="Другой", phones=("+79000000003",)),
        document_event(DocumentKind.SHIPMENT, new_id(), 1, msk(day), [position("p1", 1, 100)], customer="ms-1"),
        document_event(DocumentKind.SHIPMENT, new_id(), 1, msk(day), [position("p1", 2, 100)], customer="ms-2"),
        document_event(DocumentKind.SHIPMENT, new_id(), 1, msk(day), [position("p2", 1, 50)], customer="ms-3"),
        pipeline_event(),
        deal_event("deal-1", 1, [("NEW", msk(day)), ("WON", msk(day, 15))], "300", "u1"),  # contact-7's
    )
    params = {"as_of": "2025-06-30"}

    segments = (await api.get("/api/v1/analytics/customers/segments", params=params)).json()
    profile = (await api.get("/api/v1/analytics/customers/ms-2", params=params)).json()

    assert segments["customers_total"] == 2  # ms-1, ms-2 and contact-7 are one
    assert profile["customer_id"] == "contact-7"
    assert profile["counterparty_ids"] == ["contact-7", "ms-1", "ms-2"]
    assert (profile["sales_count"], profile["revenue"]) == (2, "300.00")
    assert profile["rfm"]["frequency"] == 2
    assert [(d["deal_id"], d["stage_name"], d["semantics"], d["amount"]) for d in profile["deals"]] == [
        ("deal-1", "Won", "won", "300.00")  # the funnel's, not revenue: revenue stays 300.00 from the shipments
    ]

    # Split the wholesale account off: the numbers follow at once (the report cache must not answer).
    r = await api.post(
        "/api/v1/analytics/customers/split", json={"counterparty_id": "ms-2"}, headers=mint.headers(*STEWARD)
    )
    assert r.status_code == 200, r.text
    segments = (await api.get("/api/v1/analytics/customers/segments", params=params)).json()
    profile = (await api.get("/api/v1/analytics/customers/ms-1", params=params)).json()
    assert segments["customers_total"] == 3
    assert profile["counterparty_ids"] == ["contact-7", "ms-1"]
    assert (profile["sales_count"], profile["revenue"]) == (1, "100.00")
