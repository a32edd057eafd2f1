"""Identity keys: two sources' spellings of one phone, e-mail or INN meet; junk is no key at all."""

from __future__ import annotations

import pytest

from analytics_service.customers.identity.keys import (
    Key,
    KeyKind,
    format_keys,
    keys_of,
    normalize_email,
    normalize_inn,
    normalize_phone,
    parse_keys,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("+79000000001", "+79000000001"),
        ("8 (900) 000-00-01", "+79000000001"),  # Bitrix24's domestic spelling
        ("+7 (900) 000-00-01", "+79000000001"),  # MoySklad's
        ("9000000001", "+79000000001"),  # ten digits without the country
        ("  +7-495-123-45-67 ", "+74951234567"),
        ("+1 650 253 0000", "+16502530000"),  # a foreign number keeps its country
        ("123", None),
        ("", None),
        (None, None),
        ("not a phone", None),
        ("+7 900 000 00 01 00 00", None),  # too long
    ],
)
def test_phones_normalize_to_e164(raw: str | None, expected: str | None) -> None:
    assert normalize_phone(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (" Ivan.Petrov@Example.RU ", "ivan.petrov@example.ru"),
        ("ivan.petrov@example.ru", "ivan.petrov@example.ru"),
        ("ivan@localhost", None),
        ("ivan.example.ru", None),
        ("a@b@example.ru", None),
        ("iv an@example.ru", None),
        ("@example.ru", None),
        (None, None),
    ],
)
def test_emails_normalize_to_lower_case(raw: str | None, expected: str | None) -> None:
    assert normalize_email(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("7707083893", "7707083893"),  # a legal entity (10 digits, check digit right)
        ("500100732259", "500100732259"),  # a person (12 digits, both check digits right)
        (" 7707083893 ", "7707083893"),
        ("7707083894", None),  # wrong check digit
        ("500100732250", None),
        ("0000000000", None),
        ("77070838", None),
        ("77O7083893", None),
        (None, None),
    ],
)
def test_inns_must_be_well_formed(raw: str | None, expected: str | None) -> None:
    assert normalize_inn(raw) == expected


def test_a_counterparty_carries_every_key_it_has_once_and_they_survive_storage() -> None:
    keys = keys_of("7707083893", ["8 (900) 000-00-01", "+79000000001", None, "bad"], ["A@Example.ru", "a@example.ru"])

    assert keys == {
        Key(KeyKind.INN, "7707083893"),
        Key(KeyKind.PHONE, "+79000000001"),
        Key(KeyKind.EMAIL, "a@example.ru"),
    }
    assert parse_keys(format_keys(keys)) == keys
    assert parse_keys(None) == set()
