"""The same phone or e-mail written the ways people type them into a CRM card."""

from __future__ import annotations

import random


def digits(phone: str) -> str:
    """``+7 (933) 599-37-55`` → ``9335993755``: the ten national digits."""
    only = "".join(ch for ch in phone if ch.isdigit())
    return only[-10:]


def phone_variant(rng: random.Random, phone: str) -> str:
    """One of the common spellings of a Russian mobile number."""
    d = digits(phone)
    code, a, b, c = d[:3], d[3:6], d[6:8], d[8:]
    forms = (
        f"8 ({code}) {a}-{b}-{c}",
        f"+7{d}",
        f"8{d}",
        f"+7 {code} {a} {b} {c}",
        f"8-{code}-{a}-{b}-{c}",
    )
    return rng.choice(forms)


def email_variant(rng: random.Random, email: str) -> str:
    """The same mailbox with different letter case."""
    local, _, domain = email.partition("@")
    forms = (email.upper(), f"{local.capitalize()}@{domain}", f"{local}@{domain.upper()}")
    return rng.choice(forms)


def random_phone(rng: random.Random) -> str:
    return (
        f"+7 (9{rng.randrange(10, 100)}) {rng.randrange(100, 1000)}-{rng.randrange(10, 100)}-{rng.randrange(10, 100)}"
    )
