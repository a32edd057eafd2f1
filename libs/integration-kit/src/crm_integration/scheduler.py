"""Runs syncs by itself: a first full sync, then an incremental one every ``interval_seconds``, periodic runs of
source modes (MoySklad: a stock reconcile), an incremental sync soon after a webhook hint, and a daily run at a wall
hour (MoySklad: the reconciliation of deletes, retried later for an integration that was busy with another sync).

With several connector replicas every replica runs this scheduler; the integration's lock (crm_integration.lock) lets
one sync run at a time, and every ``takeover_seconds`` each replica looks for a sync whose process died (its job still
says running, and nobody holds the lock) and resumes it, so a replica killed mid-sync is taken over by another within
that period rather than at the next scheduled round.

Hints are paced adaptively (crm_integration.hints): an isolated change syncs after a short settle delay, and the hints
of a burst ride along on one follow-up sync spaced by the previous one's duration. A sync already running for an
integration (started on demand, or by another process) is never doubled: a scheduled run is skipped, a hinted one
retried later so that its change is not lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from datetime import time as clock
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from crm_common.db import transaction
from crm_common.errors import Conflict
from crm_integration.hints import HintQueue
from crm_integration.jobs import SUCCEEDED, SyncTables
from crm_integration.lock import IntegrationLock
from crm_integration.log import log


class Syncs(Protocol):
    """What the scheduler drives: a connector's job service (crm_integration.service.JobService)."""

    sessions: async_sessionmaker[AsyncSession]
    tables: SyncTables[Any, Any]

    async def run(
        self, integration_id: str, mode: str, trigger: str, *, types: Collection[str] | None = None
    ) -> Any: ...

    def lock(self, integration_id: str) -> IntegrationLock: ...


IntegrationIds = Callable[[], Awaitable[list[str]]]
Prepare = Callable[[str], Awaitable[None]]
# How an orphaned job is continued: a full pass resumes from its saved cursors; any other mode runs again.
TAKEOVER_MODE = {"full": "resume", "resume": "resume"}


@dataclass(frozen=True)
class DailyReconcile:
    """A run of ``mode`` once a day at ``hour``:00 in ``zone``; an integration busy then is retried after ``retry``."""

    hour: int
    retry: timedelta
    zone: tzinfo = UTC
    mode: str = "reconcile"


@dataclass(frozen=True)
class Periodic:
    """A run of ``mode`` every ``seconds`` for every integration (MoySklad: the stock reconcile)."""

    mode: str
    seconds: float


def next_daily(after: datetime, hour: int, zone: tzinfo) -> datetime:
    """The first ``hour``:00 wall time in ``zone`` strictly after ``after``, in UTC."""
    local = after.astimezone(zone)
    due = datetime.combine(local.date(), clock(hour), tzinfo=zone)
    if due <= local:
        due = datetime.combine(local.date() + timedelta(days=1), clock(hour), tzinfo=zone)
    return due.astimezone(UTC)


async def first_mode(syncs: Syncs, integration_id: str) -> str:
    """``full`` until one full pass has finished; ``resume`` if the last full pass stopped part-way."""
    async with transaction(syncs.sessions) as session:
        jobs = syncs.tables.jobs(session)
        for mode in ("full", "resume"):
            if await jobs.latest(integration_id, mode=mode, status=SUCCEEDED) is not None:
                return "incremental"
        last = await jobs.latest(integration_id, mode="full") or await jobs.latest(integration_id, mode="resume")
    if last is not None and last.status in ("interrupted", "failed", "running"):
        return "resume"
    return "full"


class SyncScheduler:
    def __init__(
        self,
        service: Syncs,
        integration_ids: IntegrationIds,
        interval_seconds: float,
        *,
        periodic: Sequence[Periodic] = (),
        debounce_seconds: float = 5.0,
        settle_seconds: float = 0.2,
        spacing_factor: float = 1.0,
        takeover_seconds: float | None = None,
        prepare: Prepare | None = None,
        housekeeping: Callable[[], Awaitable[None]] | None = None,
        reconcile: DailyReconcile | None = None,
    ) -> None:
        self.service, self.integration_ids, self.interval = service, integration_ids, interval_seconds
        self.periodic = tuple(periodic)
        self.takeover_interval = takeover_seconds
        self.prepare = prepare  # once per integration before its first sync (webhook registration)
        self.housekeeping = housekeeping  # once per round (pruning old webhook receipts)
        self._wake = asyncio.Event()
        self._round_now = False
        self.hints = HintQueue(settle_seconds, debounce_seconds, spacing_factor)
        self._task: asyncio.Task[None] | None = None
        self.next_round_at: datetime | None = None  # wall time of the next scheduled round, for the admin API
        self.reconcile = reconcile
        self.reconcile_at = self._next_daily(datetime.now(UTC)) if reconcile else None
        self._reconcile_pending: set[str] | None = None  # integrations still owed this day's reconciliation

    def wake(self) -> None:
        """Run the next round now instead of at the end of the interval."""
        self._round_now = True
        self._wake.set()

    def hint(self, integration_id: str, types: frozenset[str] | None = None) -> None:
        """Something changed at the source (a webhook): sync this integration soon (paced, crm_integration.hints),
        only the entity types the notification named (all when ``types`` is None)."""
        self.hints.add(integration_id, time.monotonic(), types)
        self._wake.set()

    def _next_daily(self, after: datetime) -> datetime | None:
        if self.reconcile is None:
            return None
        return next_daily(after, self.reconcile.hour, self.reconcile.zone)

    async def _run(self, integration_id: str, mode: str, trigger: str, types: frozenset[str] | None = None) -> bool:
        """Run one sync; False when another sync of the integration was running (nothing was done)."""
        try:
            await self.service.run(integration_id, mode, trigger, types=types)
        except Conflict:
            log.info("sync already running, skipped", integration_id=integration_id, mode=mode, trigger=trigger)
            return False
        except Exception as exc:  # a failed run is recorded on its job; the schedule goes on
            log.warning("scheduled sync failed", integration_id=integration_id, mode=mode, error=repr(exc)[:300])
        return True

    async def run_round(self, *, first: bool) -> None:
        if self.housekeeping is not None:
            try:
                await self.housekeeping()
            except Exception as exc:
                log.warning("scheduler housekeeping failed", error=repr(exc)[:300])
        for integration_id in await self.integration_ids():
            if first and self.prepare is not None:
                await self.prepare(integration_id)
            mode = await first_mode(self.service, integration_id) if first else "incremental"
            # A round covers whatever was hinted before it started.
            self.hints.covered(integration_id)
            await self._run(integration_id, mode, "schedule")

    async def run_hinted(self) -> None:
        now = time.monotonic()
        for integration_id, hint in self.hints.take_due(now):
            started = time.monotonic()
            if await self._run(integration_id, "incremental", "webhook", hint.types):
                self.hints.pacer(integration_id).ran(started, time.monotonic())
            else:
                self.hints.retry(integration_id, hint, time.monotonic())

    async def take_over(self) -> None:
        """Resume the syncs whose process died mid-way: their job still says running, and nobody holds the lock."""
        for integration_id in await self.integration_ids():
            async with transaction(self.service.sessions) as session:
                orphan = await self.service.tables.jobs(session).active(integration_id)
            if orphan is None:
                continue
            probe = self.service.lock(integration_id)
            if not await probe.try_acquire():
                continue  # its process is alive (this one or another replica)
            await probe.release()
            log.warning(
                "taking over a sync whose process stopped", integration_id=integration_id, job_id=str(orphan.id)
            )
            await self._run(integration_id, TAKEOVER_MODE.get(orphan.mode, orphan.mode), "takeover")

    async def run_periodic(self, periodic: Periodic) -> None:
        for integration_id in await self.integration_ids():
            await self._run(integration_id, periodic.mode, "schedule")

    async def reconcile_round(self) -> None:
        """Reconcile every integration still owed today's pass; a busy one is retried after ``retry``."""
        if self.reconcile is None:
            return
        pending = self._reconcile_pending
        if pending is None:
            pending = set(await self.integration_ids())
        mode = self.reconcile.mode
        busy = {i for i in sorted(pending) if not await self._run(i, mode, "schedule")}
        now = datetime.now(UTC)
        self._reconcile_pending = busy or None
        self.reconcile_at = now + self.reconcile.retry if busy else self._next_daily(now)

    def _reconcile_in(self) -> float | None:
        """Seconds until the reconciliation is due (monotonic clock offset), or None when it is off."""
        if self.reconcile_at is None:
            return None
        return (self.reconcile_at - datetime.now(UTC)).total_seconds()

    async def run(self) -> None:
        first = True
        next_round = time.monotonic()
        next_periodic = [next_round + p.seconds for p in self.periodic]
        next_takeover = next_round + (self.takeover_interval or 0)
        while True:
            self._wake.clear()
            if self._round_now or time.monotonic() >= next_round:
                self._round_now = False
                await self.run_round(first=first)
                first = False
                next_round = time.monotonic() + self.interval
                self.next_round_at = datetime.now(UTC) + timedelta(seconds=self.interval)
            await self.run_hinted()
            for index, periodic in enumerate(self.periodic):
                if time.monotonic() >= next_periodic[index]:
                    await self.run_periodic(periodic)
                    next_periodic[index] = time.monotonic() + periodic.seconds
            if self.takeover_interval and time.monotonic() >= next_takeover:
                await self.take_over()
                next_takeover = time.monotonic() + self.takeover_interval
            reconcile_in = self._reconcile_in()
            if reconcile_in is not None and reconcile_in <= 0:
                await self.reconcile_round()
                reconcile_in = self._reconcile_in()
            deadlines = [next_round]
            if (hinted := self.hints.next_due()) is not None:
                deadlines.append(hinted)
            deadlines += next_periodic
            if self.takeover_interval:
                deadlines.append(next_takeover)
            if reconcile_in is not None:
                deadlines.append(time.monotonic() + max(reconcile_in, 0))
            timeout = min(deadlines) - time.monotonic()
            if timeout > 0 and not self._round_now:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout)

    def start(self) -> None:
        self.next_round_at = datetime.now(UTC)
        self._task = asyncio.create_task(self.run(), name="sync-scheduler")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
