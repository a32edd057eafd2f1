"""Helpers shared by the generators: record skeletons, timestamps, barcodes, tax numbers, prices."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from moysklad_simulator.model import Ref
from moysklad_simulator.store import SimulatorState
from moysklad_simulator.timefmt import fmt_ms


def record(
    state: SimulatorState, entity_type: str, updated: str, *, owned: bool = True, **fields: Any
) -> dict[str, Any]:
    """A record skeleton in MoySklad field order: meta, id, accountId, owner, shared, group, updated, …"""
    entity_id = fields.pop("id", None) or state.ids.uuid()
    rec: dict[str, Any] = {"_ref": Ref(entity_type, entity_id), "id": entity_id, "accountId": state.account_id}
    if owned and state.admin_id:
        rec["owner"] = Ref("employee", state.admin_id)
        rec["shared"] = True
        rec["group"] = Ref("group", state.group_id)
    rec["updated"] = updated
    rec.update(fields)
    return rec


def past_moment(rng: random.Random, anchor: datetime, days: int) -> datetime:
    """A random moment within ``days`` before ``anchor`` with millisecond precision."""
    offset = rng.uniform(0, days * 86_400)
    moment = anchor - timedelta(seconds=offset)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def past_updated(state: SimulatorState, days: int = 400) -> str:
    return fmt_ms(past_moment(state.rng, state.anchor, days))


def ean13(rng: random.Random, prefix: str = "460") -> str:
    """A valid EAN-13: the Russian prefix, random body, and the standard mod-10 check digit."""
    body = prefix + "".join(str(rng.randrange(10)) for _ in range(12 - len(prefix)))
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body))
    return body + str((10 - total % 10) % 10)


def inn(rng: random.Random, *, person: bool) -> str:
    """A Russian INN with valid check digits: 10 digits for companies, 12 for entrepreneurs."""
    digits = [rng.randrange(10) for _ in range(10 if person else 9)]
    digits[0] = digits[0] or 7
    if person:
        digits.append(_inn_check(digits, (7, 2, 4, 10, 3, 5, 9, 4, 6, 8)))
        digits.append(_inn_check(digits, (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8)))
    else:
        digits.append(_inn_check(digits, (2, 4, 10, 3, 5, 9, 4, 6, 8)))
    return "".join(map(str, digits))


def _inn_check(digits: list[int], weights: tuple[int, ...]) -> int:
    return sum(d * w for d, w in zip(digits, weights, strict=False)) % 11 % 10


def phone(rng: random.Random) -> str:
    return (
        f"+7 (9{rng.randrange(10, 100)}) {rng.randrange(100, 1000)}-{rng.randrange(10, 100)}-{rng.randrange(10, 100)}"
    )


def kopecks(roubles: float) -> float:
    """Money as MoySklad sends it: a float number of kopecks."""
    return float(round(roubles * 100))


def shop_price(rng: random.Random, low: int, high: int) -> float:
    """A shelf price in roubles that looks like one: 1990, 349, 89.90."""
    value = rng.uniform(low, high)
    if value >= 1000:
        return float(int(value / 100) * 100 - 10)
    if value >= 100:
        return float(int(value / 10) * 10 - 1)
    return round(int(value) + 0.9, 2)
