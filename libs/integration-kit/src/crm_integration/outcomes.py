"""What a finished sync job tells the rest of the system: ``sync.completed`` or ``sync.failed`` on the SYNC topic,
plus ``alert.raised`` (kind ``sync_failed``) when it failed."""

from __future__ import annotations

from datetime import UTC, datetime

from crm_common.events import models as m
from crm_common.events.envelope import EventEnvelope
from crm_integration.events import epoch_micros, source_event
from crm_integration.jobs import SUCCEEDED
from crm_integration.tables import SyncJobRow


def outcome_events(job: SyncJobRow, account_id: str, *, source: str, title: str) -> list[EventEnvelope]:
    """The events of a finished job; ``title`` names the source for people (``MoySklad sync failed``)."""
    finished_at = job.finished_at or datetime.now(UTC)
    version = epoch_micros(finished_at)
    event_type = "sync.completed" if job.status in SUCCEEDED else "sync.failed"
    status = m.SyncStatus(
        job_id=str(job.id),
        integration_id=job.integration_id,
        status=job.status,
        detail=job.detail,
        counts=dict(job.counts),
        finished_at=finished_at,
    )
    events = [_event(source, event_type, account_id, str(job.id), version, status, finished_at)]
    if job.status == "failed":
        alert = m.Alert(
            id=f"sync_failed:{job.integration_id}",
            kind=m.AlertKind.SYNC_FAILED,
            severity="critical",
            title=title,
            message=(job.detail or "sync failed")[:1000],
            permission="admin:integrations",
            subject_id=job.integration_id,
            data={"job_id": str(job.id), "mode": job.mode},
            raised_at=finished_at,
        )
        events.append(_event(source, "alert.raised", account_id, alert.id, version, alert, finished_at))
    return events


def _event(
    source: str, event_type: str, account_id: str, entity_id: str, version: int, payload: m.Canonical, when: datetime
) -> EventEnvelope:
    return source_event(
        source, event_type, account_id=account_id, entity_id=entity_id, version=version, payload=payload, when=when
    )
