"""Reconciliation against the ledger: what was published as live but the source no longer lists is deleted.

The connector lists every id of a kind at the source (the cheapest requests its API allows) and confirms candidates
with a second, id-filtered listing: offset paging over a set that changes while it is read can skip a row, and a
skipped row must not become a false delete. The kit diffs against the ledger (crm_integration.ledger) and keeps the
tally that becomes the job's counts.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from crm_common.db import transaction
from crm_integration.jobs import SyncTables

# Which of these candidate ids the source lists after all.
Confirm = Callable[[list[str]], Awaitable[set[str]]]


@dataclass
class Tally:
    """What one reconciliation saw and did; becomes the job's counts."""

    listed: int = 0
    known: int = 0
    deleted: int = 0
    still_listed: int = 0  # candidates the confirming listing found after all
    requests: int = 0
    per_kind: dict[str, int] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        totals = {
            "listed": self.listed,
            "known": self.known,
            "deleted": self.deleted,
            "still_listed": self.still_listed,
            "requests": self.requests,
        }
        return {**totals, **{f"deleted.{kind}": n for kind, n in self.per_kind.items() if n}}


async def gone_ids(
    sessions: async_sessionmaker[AsyncSession],
    tables: SyncTables[Any, Any],
    account_id: str,
    kind: str,
    listed: set[str],
    confirm: Confirm,
    tally: Tally,
) -> list[str]:
    """The ids of ``kind`` published as live that the source no longer lists, confirmed absent, in id order."""
    async with transaction(sessions) as session:
        known = await tables.ledger(session).live_ids(account_id, kind)
    tally.listed += len(listed)
    tally.known += len(known)
    candidates = sorted(known - listed)
    if not candidates:
        return []
    survivors = await confirm(candidates)
    tally.still_listed += len(survivors)
    gone = [entity_id for entity_id in candidates if entity_id not in survivors]
    tally.per_kind[kind] = len(gone)
    return gone
