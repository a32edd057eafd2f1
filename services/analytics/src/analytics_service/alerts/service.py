"""Use cases of the alert store: alerts from other services and from sync outcomes, list and acknowledge."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from analytics_service.alerts.models import AlertRow
from analytics_service.alerts.repository import REFRESHED, AlertRepository
from crm_common.errors import Conflict, NotFound
from crm_common.events.envelope import EventEnvelope
from crm_common.events.models import Alert, AlertKind, SyncStatus
from crm_common.security.permissions import Permission


def alert_row(alert: Alert, source: str) -> dict[str, object]:
    raised = alert.raised_at if alert.raised_at.tzinfo else alert.raised_at.replace(tzinfo=UTC)
    return {
        "id": alert.id,
        "kind": alert.kind.value,
        "severity": alert.severity,
        "title": alert.title,
        "message": alert.message,
        "permission": alert.permission,
        "subject_id": alert.subject_id,
        "data": alert.data,
        "source": source,
        "raised_at": raised,
    }


async def apply_alerts_raised(session: AsyncSession, events: Sequence[EventEnvelope]) -> None:
    """`alert.raised` events in Kafka order, written as one statement, to the same rows as one at a time.

    One at a time, a raise inserts a new alert or refreshes a stored one (`REFRESHED`), unless the stored one was
    raised later. So per alert the last raise with the latest ``raised_at`` decides what those columns hold, and a new
    alert keeps the rest as its first raise gave it."""
    first: dict[str, dict[str, Any]] = {}
    decides: dict[str, dict[str, Any]] = {}
    for event in events:
        row = alert_row(event.parsed(Alert), event.source)
        key = str(row["id"])
        first.setdefault(key, row)
        if key not in decides or decides[key]["raised_at"] <= row["raised_at"]:
            decides[key] = row
    rows = [{**first[key], **{c: row[c] for c in REFRESHED}} for key, row in decides.items()]
    await AlertRepository(session).upsert_many(rows)


async def apply_alert_raised(session: AsyncSession, event: EventEnvelope) -> None:
    await apply_alerts_raised(session, [event])


async def apply_alert_cleared(session: AsyncSession, event: EventEnvelope) -> None:
    alert = event.parsed(Alert)
    await AlertRepository(session).clear(alert.id, event.occurred_at)


def sync_alert_id(status: SyncStatus) -> str:
    return f"sync_failed:{status.integration_id}:{status.job_id}"


async def apply_sync_failed(session: AsyncSession, event: EventEnvelope) -> None:
    status = event.parsed(SyncStatus)
    alert = Alert(
        id=sync_alert_id(status),
        kind=AlertKind.SYNC_FAILED,
        severity="critical",
        title=f"Синхронизация {status.integration_id} не удалась / Sync of {status.integration_id} failed",
        message=status.detail or status.status,
        permission=Permission.ADMIN_INTEGRATIONS.value,
        subject_id=status.integration_id,
        data={"job_id": status.job_id, "status": status.status},
        raised_at=status.finished_at or event.occurred_at,
    )
    await AlertRepository(session).insert_new(alert_row(alert, event.source))


async def apply_sync_completed(session: AsyncSession, event: EventEnvelope) -> None:
    """A successful sync clears the integration's open sync-failure alerts."""
    status = event.parsed(SyncStatus)
    at = status.finished_at or event.occurred_at
    await AlertRepository(session).clear_kind_for_subject(AlertKind.SYNC_FAILED.value, status.integration_id, at)


async def list_alerts(
    session: AsyncSession, permissions: Collection[str], *, status: str, kind: str | None, limit: int, offset: int
) -> tuple[list[AlertRow], int]:
    """Alerts the caller may see: each alert names the permission it needs."""
    return await AlertRepository(session).list(
        permissions=permissions, status=status, kind=kind, limit=limit, offset=offset
    )


async def acknowledge(session: AsyncSession, alert_id: str, user_id: str, permissions: Collection[str]) -> AlertRow:
    row = await AlertRepository(session).get(alert_id)
    if row is None or row.permission not in permissions:
        raise NotFound(f"alert {alert_id!r} not found")
    if row.acknowledged_at is not None:
        raise Conflict(f"alert {alert_id!r} was already acknowledged")
    row.acknowledged_at = datetime.now(UTC)
    row.acknowledged_by = user_id
    await session.flush()
    return row
