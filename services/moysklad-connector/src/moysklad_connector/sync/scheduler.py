"""Runs syncs by itself: a first full sync, then an incremental one every ``MOYSKLAD_SYNC_INTERVAL_MINUTES``, a stock
reconcile every ``CONNECTOR_STOCK_RECONCILE_MINUTES``, an incremental sync soon after a webhook hint, and a
reconciliation of deletes once a day at ``CONNECTOR_RECONCILE_HOUR_MSK`` (retried later for an integration that was
busy with another sync).

With several connector replicas every replica runs this scheduler; the integration's lock (sync/lock.py) lets one
sync run at a time, and every ``CONNECTOR_TAKEOVER_CHECK_SECONDS`` each replica looks for a sync whose process died
(its job still says running, and nobody holds the lock) and resumes it, so a replica killed mid-sync is taken over by
another within that period rather than at the next scheduled round.

Hints are paced adaptively (sync/hints.py): an isolated change syncs after a short settle delay, and the hints of a
burst ride along on one follow-up sync spaced by the previous one's duration. A sync already running for an
integration (started on demand, or by another process) is never doubled: a scheduled run is skipped, a hinted one
retried later so that its change is not lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from datetime import time as clock
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from crm_common.db import transaction
from crm_common.errors import Conflict
from moysklad_connector.log import log
from moysklad_connector.sync.hints import HintQueue
from moysklad_connector.sync.lock import IntegrationLock
from moysklad_connector.sync.repository import SUCCEEDED, JobRepository
from moysklad_connector.sync.service import SyncService

IntegrationIds = Callable[[], Awaitable[list[str]]]
Prepare = Callable[[str], Awaitable[None]]
# How an orphaned job is continued: a full pass resumes from its saved cursors; the others run again.
TAKEOVER_MODE = {
    "full": "resume",
    "resume": "resume",
    "incremental": "incremental",
    "stock": "stock",
    "reconcile": "reconcile",
}
MOSCOW = ZoneInfo("Europe/Moscow")  # MoySklad's zone (docs/moysklad.md, "Time")


@dataclass(frozen=True)
class DailyReconcile:
    hour_msk: int
    retry: timedelta


def next_daily(after: datetime, hour: int, zone: ZoneInfo = MOSCOW) -> datetime:
    """The first ``hour``:00 wall time in ``zone`` strictly after ``after``, in UTC."""
    local = after.astimezone(zone)
    due = datetime.combine(local.date(), clock(hour), tzinfo=zone)
    if due <= local:
        due = datetime.combine(local.date() + timedelta(days=1), clock(hour), tzinfo=zone)
    return due.astimezone(UTC)


async def first_mode(sessions: async_sessionmaker[AsyncSession], integration_id: str) -> str:
    """``full`` until one full pass has finished; ``resume`` if the last full pass stopped part-way."""
    async with transaction(sessions) as session:
        jobs = JobRepository(session)
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
        service: SyncService,
        integration_ids: IntegrationIds,
        interval_seconds: float,
        *,
        stock_interval_seconds: float | None = None,
        debounce_seconds: float = 5.0,
        settle_seconds: float = 0.2,
        spacing_factor: float = 1.0,
        takeover_seconds: float | None = None,
        prepare: Prepare | None = None,
        housekeeping: Callable[[], Awaitable[None]] | None = None,
        reconcile: DailyReconcile | None = None,
    ) -> None:
        self.service, self.integration_ids, self.interval = service, integration_ids, interval_seconds
        self.stock_interval = stock_interval_seconds
        self.takeover_interval = takeover_seconds
        self.prepare = prepare  # once per integration before its first sync (webhook registration)
        self.housekeeping = housekeeping  # once per round (pruning old webhook receipts)
        self._wake = asyncio.Event()
        self._round_now = False
        self.hints = HintQueue(settle_seconds, debounce_seconds, spacing_factor)
        self._task: asyncio.Task[None] | None = None
        self.next_round_at: datetime | None = None  # wall time of the next scheduled round, for the admin API
        self.reconcile = reconcile
        self.reconcile_at = next_daily(datetime.now(UTC), reconcile.hour_msk) if reconcile else None
        self._reconcile_pending: set[str] | None = None  # integrations still owed this day's reconciliation

    def wake(self) -> None:
        """Run the next round now instead of at the end of the interval."""
        self._round_now = True
        self._wake.set()

    def hint(self, integration_id: str, types: frozenset[str] | None = None) -> None:
        """Something changed at MoySklad (a webhook): sync this integration soon (paced, see sync/hints.py), only
        the entity types the notification named (all when ``types`` is None)."""
        self.hints.add(integration_id, time.monotonic(), types)
        self._wake.set()

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
            mode = await first_mode(self.service.sessions, integration_id) if first else "incremental"
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
                orphan = await JobRepository(session).active(integration_id)
            if orphan is None:
                continue
            probe = IntegrationLock(self.service.engine, integration_id)
            if not await probe.try_acquire():
                continue  # its process is alive (this one or another replica)
            await probe.release()
            log.warning(
                "taking over a sync whose process stopped", integration_id=integration_id, job_id=str(orphan.id)
            )
            await self._run(integration_id, TAKEOVER_MODE.get(orphan.mode, "incremental"), "takeover")

    async def reconcile_stock(self) -> None:
        for integration_id in await self.integration_ids():
            await self._run(integration_id, "stock", "schedule")

    async def reconcile_round(self) -> None:
        """Reconcile every integration still owed today's pass; a busy one is retried after ``retry``."""
        if self.reconcile is None:
            return
        pending = self._reconcile_pending
        if pending is None:
            pending = set(await self.integration_ids())
        busy = {i for i in sorted(pending) if not await self._run(i, "reconcile", "schedule")}
        now = datetime.now(UTC)
        self._reconcile_pending = busy or None
        self.reconcile_at = now + self.reconcile.retry if busy else next_daily(now, self.reconcile.hour_msk)

    def _reconcile_in(self) -> float | None:
        """Seconds until the reconciliation is due (monotonic clock offset), or None when it is off."""
        if self.reconcile_at is None:
            return None
        return (self.reconcile_at - datetime.now(UTC)).total_seconds()

    async def run(self) -> None:
        first = True
        next_round = time.monotonic()
        next_stock = next_round + (self.stock_interval or 0)
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
            if self.stock_interval and time.monotonic() >= next_stock:
                await self.reconcile_stock()
                next_stock = time.monotonic() + self.stock_interval
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
            if self.stock_interval:
                deadlines.append(next_stock)
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
