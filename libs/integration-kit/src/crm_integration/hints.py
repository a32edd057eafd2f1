"""How soon a webhook hint becomes an incremental sync (MoySklad: docs/moysklad.md, "Webhooks").

Webhooks are hints: they only say *that* something changed; the connector then syncs. Waiting a fixed time after the
first notification makes every change slow; syncing on every notification spends the source's request budget on a
busy account.
The pacing is adaptive instead:

- an isolated change syncs after a short *settle* delay, long enough for the other notifications of the same change
  (a document and its positions, a product and its variants) to arrive and ride along;
- notifications that arrive while a hinted sync runs, or soon after it, are coalesced into one follow-up sync, started
  no sooner than ``spacing_factor`` × the previous hinted sync's duration after it ended (never more than
  ``max_delay``): a stream of changes keeps at most ``1 / (1 + spacing_factor)`` of the time, and of the request
  budget, busy with hinted syncs, while a quiet shop gets each change at once.

A notification names the entity types that changed; the hinted sync pages only those (MoySklad: plus the audit feed
for deletions, and stock when documents moved), which is what makes it fast: a couple of requests instead of one per
type.
A hint without types (an unreadable notification) pages every type.

Pure logic on a monotonic clock the caller passes in, so the scheduler's decisions are tested without sleeping.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class HintPacer:
    settle: float
    max_delay: float
    spacing_factor: float
    last_end: float | None = None
    last_duration: float = 0.0

    def due(self, hinted_at: float) -> float:
        """When a sync for a hint first received at ``hinted_at`` should start."""
        earliest = hinted_at + self.settle
        if self.last_end is None:
            return earliest
        spacing = min(self.max_delay, self.spacing_factor * self.last_duration)
        return max(earliest, self.last_end + spacing)

    def ran(self, started: float, finished: float) -> None:
        self.last_end, self.last_duration = finished, max(0.0, finished - started)


@dataclass
class PendingHint:
    hinted_at: float  # the first notification not yet covered by a sync
    not_before: float = 0.0  # a retry after a conflicting sync waits at least until then
    types: frozenset[str] | None = frozenset()  # the entity types named so far; None: every type

    def widen(self, types: frozenset[str] | None) -> None:
        self.types = None if self.types is None or types is None else self.types | types


@dataclass
class HintQueue:
    """Pending hints per integration, each paced by its own :class:`HintPacer`."""

    settle: float
    max_delay: float
    spacing_factor: float
    pending: dict[str, PendingHint] = field(default_factory=dict)
    pacers: dict[str, HintPacer] = field(default_factory=dict)

    def pacer(self, integration_id: str) -> HintPacer:
        if integration_id not in self.pacers:
            self.pacers[integration_id] = HintPacer(self.settle, self.max_delay, self.spacing_factor)
        return self.pacers[integration_id]

    def add(self, integration_id: str, now: float, types: frozenset[str] | None = None) -> None:
        """A notification arrived: a sync is owed; a pending one already covers it (and now its types too)."""
        self.pending.setdefault(integration_id, PendingHint(now)).widen(types)

    def due(self, integration_id: str) -> float:
        hint = self.pending[integration_id]
        return max(hint.not_before, self.pacer(integration_id).due(hint.hinted_at))

    def take_due(self, now: float) -> list[tuple[str, PendingHint]]:
        """The integrations whose hinted sync should start now, with their hints, taken off the queue."""
        ready = [i for i in self.pending if self.due(i) <= now]
        return [(i, self.pending.pop(i)) for i in ready]

    def next_due(self) -> float | None:
        return min((self.due(i) for i in self.pending), default=None)

    def covered(self, integration_id: str) -> None:
        """A scheduled round synced this integration: what was hinted before it is covered."""
        self.pending.pop(integration_id, None)

    def retry(self, integration_id: str, taken: PendingHint, now: float) -> None:
        """The hinted sync could not run (another sync of the integration was running): try again later."""
        hint = self.pending.setdefault(integration_id, PendingHint(taken.hinted_at))
        hint.hinted_at = min(hint.hinted_at, taken.hinted_at)
        hint.widen(taken.types)
        hint.not_before = max(hint.not_before, now + self.max_delay)
