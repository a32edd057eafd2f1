"""Identity keys of a counterparty: INN, phone and e-mail, normalized so that two sources' spellings meet.

Sources write the same person differently: MoySklad `+7 (900) 000-00-01`, Bitrix24 `8 (900) 000-00-01`; an e-mail in
upper case in one and lower case in the other. A key is ``(kind, value)`` with the value in one canonical form:

- ``inn``: the Russian taxpayer number, digits only, 10 (legal entity) or 12 (person, entrepreneur) digits whose check
  digits are right. A malformed INN is no key at all: a typo must not merge two companies.
- ``phone``: E.164 (``+79000000001``), parsed with Russia as the default country, so a domestic ``8 …`` or a bare
  ten-digit ``9…`` number becomes ``+7…``. A number its country's numbering plan does not have is no key.
- ``email``: trimmed and lower-cased (mail providers treat the local part case-insensitively in practice); it needs one
  ``@`` and a dot in the domain.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from typing import NamedTuple

import phonenumbers


class KeyKind(StrEnum):
    INN = "inn"
    PHONE = "phone"
    EMAIL = "email"


# When one key decides, the strongest that two records share is the one recorded.
STRENGTH = (KeyKind.INN, KeyKind.PHONE, KeyKind.EMAIL)


class Key(NamedTuple):
    kind: KeyKind
    value: str


_INN10 = (2, 4, 10, 3, 5, 9, 4, 6, 8)
_INN11 = (7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
_INN12 = (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8)


def _check(digits: list[int], weights: tuple[int, ...]) -> int:
    return sum(d * w for d, w in zip(digits, weights, strict=False)) % 11 % 10


def normalize_inn(raw: str | None) -> str | None:
    """The INN's digits if it is a well-formed INN (length and check digits), else None."""
    if not raw:
        return None
    text = raw.strip()
    if not text.isdigit() or len(text) not in (10, 12) or set(text) == {"0"}:
        return None
    digits = [int(c) for c in text]
    if len(digits) == 10:
        return text if digits[9] == _check(digits, _INN10) else None
    if digits[10] == _check(digits, _INN11) and digits[11] == _check(digits, _INN12):
        return text
    return None


def normalize_phone(raw: str | None, region: str = "RU") -> str | None:
    """The number in E.164, or None when it cannot be a phone number."""
    if not raw or not raw.strip():
        return None
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalize_email(raw: str | None) -> str | None:
    """The address trimmed and lower-cased, or None when it is not an address."""
    if not raw:
        return None
    text = raw.strip().lower()
    local, at, domain = text.partition("@")
    if not at or not local or "@" in domain or "." not in domain.strip(".") or any(c.isspace() for c in text):
        return None
    return text


def keys_of(inn: str | None, phones: Iterable[str | None], emails: Iterable[str | None]) -> set[Key]:
    """Every identity key a counterparty carries (malformed values yield none)."""
    keys: set[Key] = set()
    if (value := normalize_inn(inn)) is not None:
        keys.add(Key(KeyKind.INN, value))
    keys |= {Key(KeyKind.PHONE, v) for p in phones if (v := normalize_phone(p)) is not None}
    keys |= {Key(KeyKind.EMAIL, v) for e in emails if (v := normalize_email(e)) is not None}
    return keys


def parse_keys(stored: str | None) -> set[Key]:
    """The keys a counterparty row carries (``identity_keys``: one ``kind:value`` per line)."""
    keys: set[Key] = set()
    for line in (stored or "").splitlines():
        kind, _, value = line.partition(":")
        if value:
            keys.add(Key(KeyKind(kind), value))
    return keys


def format_keys(keys: Iterable[Key]) -> str:
    return "\n".join(f"{k.kind.value}:{k.value}" for k in sorted(keys))
