"""The portal's data: one in-memory store the HTTP layer serves and tests read as an oracle.

Records are kept in the wire form the REST API returns (ids and money as strings, ``Y``/``N`` flags, ISO dates), so
what a test reads here is exactly what a client receives.
"""

from __future__ import annotations

import random
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bitrix24_simulator.settings import Settings
from bitrix24_simulator.timefmt import PORTAL_TZ, from_timestamp, iso, parse_anchor

TABLES = ("contact", "company", "deal", "requisite", "product", "productsection", "productrow", "stagehistory", "user")


@dataclass
class Binding:
    """One ``event.bind`` registration."""

    id: int
    event: str
    handler: str
    auth_type: int = 0


@dataclass(frozen=True)
class Match:
    """Ground truth: a Bitrix24 contact or company that is a MoySklad counterparty, and the keys that show it."""

    entity_type: str  # "contact" | "company"
    entity_id: str
    counterparty_id: str
    counterparty_name: str
    keys: tuple[str, ...]  # of "inn", "phone", "email"


@dataclass
class Portal:
    """Tables of records keyed by type and numeric id, in id order, plus event bindings and their outbox."""

    settings: Settings
    clock: Callable[[], float] = time.time
    tables: dict[str, dict[int, dict[str, Any]]] = field(default_factory=lambda: {t: {} for t in TABLES})
    counters: dict[str, int] = field(default_factory=dict)
    categories: list[dict[str, Any]] = field(default_factory=list)
    statuses: list[dict[str, Any]] = field(default_factory=list)
    matches: list[Match] = field(default_factory=list)
    bindings: list[Binding] = field(default_factory=list)
    outbox: deque[dict[str, Any]] = field(default_factory=deque)
    event_log: list[dict[str, Any]] = field(default_factory=list)
    webhook_expired: bool = False
    member_id: str = ""
    moysklad_scale: str = ""  # the MoySklad simulator scale whose demo shop this portal overlaps

    def __post_init__(self) -> None:
        # Simulated CRM data, not secrets: a seeded generator is the point (determinism).
        self.rng = random.Random(f"bitrix24:{self.settings.seed}")  # noqa: S311
        self.fault_rng = random.Random(self.settings.seed + 1)  # noqa: S311 - fault injection, not security
        self.member_id = f"{self.rng.getrandbits(128):032x}"
        # End of the generated history, fixed once so that a generation crossing midnight stays consistent.
        self.anchor: datetime = (
            parse_anchor(self.settings.anchor)
            if self.settings.anchor
            else datetime.now(PORTAL_TZ).replace(hour=0, minute=0, second=0, microsecond=0)
        )

    # --- reading -------------------------------------------------------------------------------
    def records(self, table: str) -> list[dict[str, Any]]:
        """All stored records of a table in id order (deleted ones are gone)."""
        return list(self.tables[table].values())

    def get(self, table: str, record_id: int | str) -> dict[str, Any] | None:
        try:
            return self.tables[table].get(int(record_id))
        except (TypeError, ValueError):
            return None

    def now(self) -> datetime:
        return from_timestamp(self.clock())

    def now_iso(self) -> str:
        return iso(self.now())

    # --- writing -------------------------------------------------------------------------------
    def next_id(self, sequence: str) -> int:
        self.counters[sequence] = self.counters.get(sequence, 0) + 1
        return self.counters[sequence]

    def add(self, table: str, record: dict[str, Any]) -> dict[str, Any]:
        self.tables[table][int(record["ID"])] = record
        return record

    def remove(self, table: str, record_id: int) -> dict[str, Any] | None:
        return self.tables[table].pop(record_id, None)

    def rows_of(self, owner_type: str, owner_id: int) -> list[dict[str, Any]]:
        """Product rows of one owner (``D`` for deals) in row id order."""
        return [
            r for r in self.records("productrow") if r["OWNER_TYPE"] == owner_type and r["OWNER_ID"] == str(owner_id)
        ]
