"""The simulator's data: one in-memory store that the HTTP layer serves and tests read as an oracle."""

from __future__ import annotations

import random
import secrets
from collections import deque
from datetime import datetime, timedelta
from typing import Any

from moysklad_simulator.data.ids import IdFactory
from moysklad_simulator.documents.ledger import Ledger
from moysklad_simulator.documents.model import DOCUMENT_TYPES
from moysklad_simulator.listing import ListCache
from moysklad_simulator.model import Ref
from moysklad_simulator.render import parse_expand, render_record
from moysklad_simulator.settings import Settings
from moysklad_simulator.timefmt import fmt_ms, now_msk, parse_msk

ENTITY_TYPES = (
    "group",
    "uom",
    "currency",
    "organization",
    "employee",
    "store",
    "productfolder",
    "product",
    "variant",
    "service",
    "bundle",
    "counterparty",
    "retailstore",
    "webhook",
)


class SimulatorState:
    """Tables of records keyed by type and id, plus the account's identity and tokens.

    Records are stored in insertion order, which is also the default list order.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        # Simulated shop data, not secrets: a seeded generator is the point (determinism).
        self.rng = random.Random(settings.seed)  # noqa: S311
        self.ids = IdFactory(self.rng)
        self.fault_rng = random.Random(settings.seed + 1)  # noqa: S311 - fault injection, not security
        self.account_id = self.ids.uuid()
        self.tables: dict[str, dict[str, dict[str, Any]]] = {t: {} for t in (*ENTITY_TYPES, *DOCUMENT_TYPES, "state")}
        self.ui_index: dict[str, Ref] = {}
        self.anchor = _anchor(settings)
        self.admin_id = ""
        self.group_id = ""
        self.organization_id = ""
        self.currency_id = ""
        self.retail_customer_id = ""
        self.characteristics: dict[str, str] = {}
        self.price_types: list[dict[str, Any]] = []
        self.tokens: set[str] = {settings.token.get_secret_value()}
        self._last_updated = self.anchor
        self.ledger = Ledger()
        # per document type: state name → state record (records also live in tables["state"])
        self.doc_states: dict[str, dict[str, dict[str, Any]]] = {}
        self.counters: dict[str, int] = {}
        self.audit: list[Any] = []  # AuditContext, oldest first
        self.outbox: deque[Any] = deque()  # webhook notifications waiting for delivery
        self.webhook_log: list[dict[str, Any]] = []  # every delivery attempt, for tests
        # Lists already filtered and ordered, valid while `stamp` is unchanged (moysklad_simulator.listing.ListCache;
        # used when settings.list_cache is on).
        self.listings: ListCache[dict[str, Any]] = ListCache()
        # The stock reports' selected and ordered items, the same way (moysklad_simulator.reports).
        self.reports: ListCache[tuple[dict[str, Any], dict[str, tuple[float, float, float]]]] = ListCache(size=8)
        self.generation = 0

    # --- reading -------------------------------------------------------------------------------
    def find(self, ref: Ref) -> dict[str, Any] | None:
        """The record a reference points at, or ``None``."""
        table = self.tables.get(ref.type)
        return table.get(ref.id) if table is not None else None

    def get(self, entity_type: str, entity_id: str) -> dict[str, Any] | None:
        return self.tables.get(entity_type, {}).get(entity_id)

    def records(self, entity_type: str) -> list[dict[str, Any]]:
        """All stored records of a type (archived and trashed included), in insertion order."""
        return list(self.tables.get(entity_type, {}).values())

    def stamp(self, entity_type: str) -> tuple[int, datetime, int]:
        """Changes whenever a record of ``entity_type`` may have changed: a record added or removed, a new
        ``updated`` handed out, a write request (``changed``)."""
        return self.generation, self._last_updated, len(self.tables.get(entity_type, {}))

    def changed(self) -> None:
        """Something may have changed records in place (the app calls this after every write request)."""
        self.generation += 1

    def render(self, entity_type: str, entity_id: str, expand: str = "") -> dict[str, Any]:
        """The JSON the API serves for one object, with hrefs on the canonical MoySklad base."""
        record = self.get(entity_type, entity_id)
        if record is None:
            raise KeyError(f"{entity_type}/{entity_id}")
        return render_record(record, self, parse_expand(expand))

    def admin_ref(self) -> Ref:
        return Ref("employee", self.admin_id)

    # --- writing -------------------------------------------------------------------------------
    def add(self, entity_type: str, record: dict[str, Any]) -> dict[str, Any]:
        self.changed()
        self.tables.setdefault(entity_type, {})[record["id"]] = record
        if "_ui" in record:
            self.ui_index[record["_ui"]] = record["_ref"]
        return record

    def remove(self, entity_type: str, entity_id: str) -> dict[str, Any] | None:
        self.changed()
        record = self.tables.get(entity_type, {}).pop(entity_id, None)
        if record is not None and "_ui" in record:
            self.ui_index.pop(record["_ui"], None)
        return record

    def next_number(self, doc_type: str) -> str:
        """The next auto number of a document type: ``00001``, ``00002``, …"""
        self.counters[doc_type] = self.counters.get(doc_type, 0) + 1
        return f"{self.counters[doc_type]:05d}"

    def next_updated(self) -> str:
        """A fresh ``updated`` value: wall-clock MSK, strictly increasing within this process."""
        moment = max(now_msk(), self._last_updated + timedelta(milliseconds=1))
        self._last_updated = moment
        self.changed()
        return fmt_ms(moment)

    def issue_token(self) -> str:
        """Issue a new token and revoke the previous ones (docs/moysklad.md, "Authentication")."""
        token = secrets.token_hex(20)
        self.tokens = {token}
        if self.settings.dev_token_survives_reissue:
            self.tokens.add(self.settings.token.get_secret_value())
        return token


def _anchor(settings: Settings) -> datetime:
    if settings.anchor:
        parsed = parse_msk(settings.anchor)
        if parsed is None:
            raise ValueError(f"bad anchor {settings.anchor!r}")
        return parsed
    return now_msk().replace(hour=0, minute=0, second=0, microsecond=0)
