"""Contacts and companies as counterparties: ids, kinds, names, every phone and e-mail, INN from the requisite."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from bitrix24_connector.mapping.common import Unmappable, version
from bitrix24_connector.mapping.parties import map_company, map_contact

PORTAL = "demo.bitrix24.ru"


def contact(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "ID": "17",
        "NAME": "Андрей",
        "LAST_NAME": "Попов",
        "SECOND_NAME": "Александрович",
        "DATE_CREATE": "2024-02-19T22:26:04+03:00",
        "DATE_MODIFY": "2024-04-09T15:37:17+03:00",
        "PHONE": [
            {"ID": "1", "VALUE_TYPE": "WORK", "VALUE": "8 (900) 000-00-01", "TYPE_ID": "PHONE"},
            {"ID": "2", "VALUE_TYPE": "MOBILE", "VALUE": "+7 931 905 18 50", "TYPE_ID": "PHONE"},
        ],
        "EMAIL": [{"ID": "3", "VALUE_TYPE": "WORK", "VALUE": "Popov@Example.ru", "TYPE_ID": "EMAIL"}],
    }
    return base | fields


def test_a_contact_is_an_individual_with_every_phone_and_email_primary_first() -> None:
    event = map_contact(contact(), PORTAL)
    assert event.event_type == "counterparty.upserted"
    assert event.entity_id == event.payload["id"] == "contact-17"
    assert event.payload["kind"] == "individual"
    assert event.payload["name"] == "Попов Андрей Александрович"
    assert event.payload["phones"] == ["8 (900) 000-00-01", "+7 931 905 18 50"]
    assert event.payload["phone"] == "8 (900) 000-00-01"
    assert event.payload["emails"] == ["Popov@Example.ru"]
    assert event.source == "bitrix24"
    assert event.account_id == PORTAL


def test_times_are_converted_to_utc_with_their_offset() -> None:
    event = map_contact(contact(), PORTAL)
    assert event.payload["updated_at"] == "2024-04-09T12:37:17Z"
    assert event.payload["created_at"] == "2024-02-19T19:26:04Z"


def test_a_contact_without_any_name_cannot_be_mapped() -> None:
    with pytest.raises(Unmappable, match="no name"):
        map_contact(contact(NAME="", LAST_NAME=None, SECOND_NAME=" "), PORTAL)


def test_a_time_without_an_offset_is_refused_not_guessed() -> None:
    with pytest.raises(Unmappable, match="no offset"):
        map_contact(contact(DATE_MODIFY="2024-04-09T15:37:17"), PORTAL)


def test_a_company_is_legal_and_takes_the_inn_of_its_requisite() -> None:
    company = {"ID": "5", "TITLE": 'ООО "Сибирь"', "DATE_MODIFY": "2024-04-26T10:11:40+03:00", "PHONE": [], "EMAIL": []}
    requisite = {"ID": "9", "RQ_INN": "3649416343", "ACTIVE": "Y", "DATE_MODIFY": "2024-05-01T00:00:00+03:00"}
    event = map_company(company, PORTAL, [requisite])
    assert event.entity_id == "company-5"
    assert event.payload["kind"] == "legal"
    assert event.payload["inn"] == "3649416343"
    assert event.payload["phones"] == []
    # A requisite edit does not touch the company's DATE_MODIFY: the newer stamp versions the pair.
    assert event.source_version // 1_000_000 == int(datetime(2024, 4, 30, 21, tzinfo=UTC).timestamp())


def test_a_company_without_requisites_has_no_inn() -> None:
    company = {"ID": "6", "TITLE": "ИП Котов", "DATE_MODIFY": "2024-04-26T10:11:40+03:00"}
    assert map_company(company, PORTAL, []).payload["inn"] is None


def test_two_states_within_one_second_get_different_versions_in_that_second() -> None:
    first, second = map_contact(contact(), PORTAL), map_contact(contact(NAME="Андрей Н."), PORTAL)
    assert first.source_version != second.source_version
    assert first.source_version // 1_000_000 == second.source_version // 1_000_000
    assert first.event_id != second.event_id
    assert map_contact(contact(), PORTAL).event_id == first.event_id  # the same state, the same event


def test_version_is_epoch_seconds_of_the_stamp_plus_a_digest_below_a_second() -> None:
    moment = datetime(2026, 1, 1, tzinfo=UTC)
    assert 0 <= version(moment, {"a": 1}) - int(moment.timestamp()) * 1_000_000 < 1_000_000
