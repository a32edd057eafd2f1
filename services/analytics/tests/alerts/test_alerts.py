"""The alert store: alerts from ALERTS and SYNC, listing by permission, acknowledging, revenue drops."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime

from analytics_testkit import ACCOUNT, document_event, msk, new_id, position
from sqlalchemy import select

from analytics_service.alerts.revenue_drop import check_revenue_drop
from analytics_service.alerts.service import apply_alert_raised, apply_sync_completed, apply_sync_failed
from analytics_service.db import outbox
from analytics_service.main import main
from crm_common.events.envelope import EventEnvelope, make_event
from crm_common.events.models import Alert, AlertKind, DocumentKind, SyncStatus


def _alert(alert_id: str, permission: str = "inventory:read") -> EventEnvelope:
    alert = Alert(
        id=alert_id,
        kind=AlertKind.LOW_STOCK,
        title="Мало товара",
        message="Чайник: осталось 2",
        permission=permission,
        raised_at=datetime.now(UTC),
    )
    return make_event(
        "alert.raised", source="inventory", account_id=ACCOUNT, entity_id=alert_id, source_version=1, payload=alert
    )


def _sync(event_type: str, status: str) -> EventEnvelope:
    payload = SyncStatus(job_id="job-1", integration_id="moysklad", status=status, detail="401 from MoySklad")
    return make_event(
        event_type, source="moysklad", account_id=ACCOUNT, entity_id="job-1", source_version=1, payload=payload
    )


async def _commit(sessions, handler, event) -> None:  # type: ignore[no-untyped-def]
    async with sessions() as s, s.begin():
        await handler(s, event)


async def test_alerts_are_listed_only_to_holders_of_their_permission(api, mint, sessions, clean) -> None:  # type: ignore[no-untyped-def]
    await _commit(sessions, apply_alert_raised, _alert("low:p1", "inventory:read"))
    await _commit(sessions, apply_alert_raised, _alert("low:p2", "admin:integrations"))
    r = await api.get("/api/v1/analytics/alerts", headers=mint.headers("analytics:read", "inventory:read"))
    assert r.status_code == 200
    assert [a["id"] for a in r.json()["items"]] == ["low:p1"]


async def test_acknowledging_moves_an_alert_out_of_the_open_list(api, mint, sessions, clean) -> None:  # type: ignore[no-untyped-def]
    await _commit(sessions, apply_alert_raised, _alert("low:p3"))
    headers = mint.headers("analytics:read", "inventory:read", user="owner")
    r = await api.post("/api/v1/analytics/alerts/low:p3/acknowledge", headers=headers)
    assert r.status_code == 200
    assert r.json()["acknowledged_by"] == "owner"
    assert (await api.get("/api/v1/analytics/alerts", headers=headers)).json()["total"] == 0
    again = await api.post("/api/v1/analytics/alerts/low:p3/acknowledge", headers=headers)
    assert again.status_code == 409


async def test_acknowledging_an_unknown_alert_is_404(api, clean) -> None:  # type: ignore[no-untyped-def]
    r = await api.post("/api/v1/analytics/alerts/nope/acknowledge")
    assert r.status_code == 404
    assert r.json()["error"] == "NotFound"


async def test_a_failed_sync_raises_an_alert_and_a_completed_one_clears_it(api, mint, sessions, clean) -> None:  # type: ignore[no-untyped-def]
    await _commit(sessions, apply_sync_failed, _sync("sync.failed", "failed"))
    headers = mint.headers("analytics:read", "admin:integrations")
    [alert] = (await api.get("/api/v1/analytics/alerts", headers=headers)).json()["items"]
    assert alert["kind"] == "sync_failed"
    assert alert["message"] == "401 from MoySklad"
    await _commit(sessions, apply_sync_completed, _sync("sync.completed", "completed"))
    assert (await api.get("/api/v1/analytics/alerts", headers=headers)).json()["total"] == 0


async def test_a_sharp_revenue_drop_raises_one_alert_through_the_outbox(session, apply, settings) -> None:  # type: ignore[no-untyped-def]
    for d in range(3, 10):  # a week of 10 000 a day, then 2 000
        await apply(
            session,
            document_event(DocumentKind.RETAIL_SALE, new_id(), 1, msk(date(2025, 3, d)), [position("p1", 1, 10000)]),
        )
    await apply(
        session,
        document_event(DocumentKind.RETAIL_SALE, new_id(), 1, msk(date(2025, 3, 10)), [position("p1", 1, 2000)]),
    )

    alert = await check_revenue_drop(session, settings, date(2025, 3, 10))
    again = await check_revenue_drop(session, settings, date(2025, 3, 10))

    assert alert is not None
    assert alert.kind is AlertKind.REVENUE_DROP
    assert alert.data["drop_percent"] == "80.00"
    assert again is None
    staged = (await session.execute(select(outbox.c.event))).scalars().all()
    assert [e["event_type"] for e in staged] == ["alert.raised"]


async def test_a_normal_day_raises_nothing(session, apply, settings) -> None:  # type: ignore[no-untyped-def]
    for d in range(3, 11):
        await apply(
            session,
            document_event(DocumentKind.RETAIL_SALE, new_id(), 1, msk(date(2025, 3, d)), [position("p1", 1, 10000)]),
        )
    assert await check_revenue_drop(session, settings, date(2025, 3, 10)) is None


async def test_the_check_revenue_drop_command_raises_a_drop_once(sessions, apply, clean, capsys) -> None:  # type: ignore[no-untyped-def]
    """``crm-analytics check-revenue-drop --day``: its own committed transaction, as a cron job runs it."""
    async with sessions() as s, s.begin():
        for d, revenue in [*((d, 10000) for d in range(3, 10)), (10, 2000)]:
            await apply(
                s,
                document_event(
                    DocumentKind.RETAIL_SALE, new_id(), 1, msk(date(2025, 3, d)), [position("p1", 1, revenue)]
                ),
            )
    await asyncio.to_thread(main, ["check-revenue-drop", "--day", "2025-03-10"])
    await asyncio.to_thread(main, ["check-revenue-drop", "--day", "2025-03-10"])
    assert capsys.readouterr().out.splitlines()[-2:] == ["raised revenue_drop:2025-03-10", "no revenue drop"]
