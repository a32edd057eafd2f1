"""The alert store: alerts from ALERTS and SYNC, listing by permission, acknowledging, revenue drops."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime

from analytics_testkit import ACCOUNT, document_event, msk, new_id, position
from sqlalchemy import delete, select, update

from analytics_service.alerts.models import AlertRow
from analytics_service.alerts.revenue_drop import check_revenue_drop
from analytics_service.alerts.service import apply_alert_raised, apply_sync_completed, apply_sync_failed
from analytics_service.consumers import ALERT_HANDLERS, apply_alerts
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


def _raised(alert_id: str, at: datetime, title: str, source: str = "inventory") -> EventEnvelope:
    alert = Alert(
        id=alert_id, kind=AlertKind.LOW_STOCK, title=title, message=title, permission="inventory:read", raised_at=at
    )
    return make_event(
        "alert.raised", source=source, account_id=ACCOUNT, entity_id=alert_id, source_version=1, payload=alert
    )


def _cleared(alert_id: str, at: datetime) -> EventEnvelope:
    alert = Alert(
        id=alert_id, kind=AlertKind.LOW_STOCK, title="", message="", permission="inventory:read", raised_at=at
    )
    return make_event(
        "alert.cleared", source="inventory", account_id=ACCOUNT, entity_id=alert_id, source_version=1, payload=alert
    )


async def test_a_batch_of_alert_events_leaves_what_they_leave_one_at_a_time(sessions, clean) -> None:  # type: ignore[no-untyped-def]
    t = [datetime(2026, 3, 1, 10, m, tzinfo=UTC) for m in range(6)]
    events = [
        _raised("low:a", t[1], "a first"),
        _raised("low:b", t[1], "b first"),
        _raised("low:a", t[3], "a again"),
        _raised("low:a", t[0], "a late and older"),  # raised before what is stored: changes nothing
        _raised("low:s", t[2], "stored, newer"),  # refreshes the stored alert, keeps its acknowledgement
        _raised("low:s2", t[0], "stored, older"),  # older than the stored one: changes nothing
        _raised("low:c", t[2], "c first", source="first-source"),
        _raised("low:c", t[2], "c tie", source="other-source"),  # same moment: the later one refreshes, source stays
        _cleared("low:b", t[4]),
        _raised("low:b", t[5], "b after its clear"),
        _cleared("low:c", t[5]),
    ]

    async def state(apply_batch: bool) -> list[dict[str, object]]:
        async with sessions() as s, s.begin():
            await s.execute(delete(AlertRow))
            for stored_id in ("low:s", "low:s2"):
                await apply_alert_raised(s, _raised(stored_id, t[1], "stored"))
            await s.execute(update(AlertRow).values(acknowledged_at=t[1], acknowledged_by="owner"))
        async with sessions() as s, s.begin():
            if apply_batch:
                await apply_alerts(s, events)
            else:
                for event in events:
                    await ALERT_HANDLERS[event.event_type](s, event)
        async with sessions() as s:
            columns = [c for c in AlertRow.__table__.columns if c.name != "updated_at"]
            rows = await s.execute(select(*columns).order_by(AlertRow.id))
            return [dict(r._mapping) for r in rows]

    one_by_one = await state(apply_batch=False)
    assert await state(apply_batch=True) == one_by_one
    by_id = {r["id"]: r for r in one_by_one}
    assert (by_id["low:a"]["title"], by_id["low:b"]["title"], by_id["low:b"]["cleared_at"]) == (
        "a again",
        "b after its clear",
        None,
    )
    assert (by_id["low:c"]["title"], by_id["low:c"]["source"]) == ("c tie", "first-source")
    assert by_id["low:c"]["cleared_at"] is not None
    assert (by_id["low:s"]["title"], by_id["low:s"]["acknowledged_by"], by_id["low:s2"]["title"]) == (
        "stored, newer",
        "owner",
        "stored",
    )
