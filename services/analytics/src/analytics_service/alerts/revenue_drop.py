"""Revenue-drop alerts we raise ourselves: stored here and published to ALERTS through the outbox.

The check looks at the last complete business day against the mean of the days before it. Its alert id is derived
from the day, so running the check twice (or in two processes) raises at most one alert per day.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from analytics_service.alerts.repository import AlertRepository
from analytics_service.alerts.service import alert_row
from analytics_service.db import outbox
from analytics_service.sales.models import SalesDailyCustomer
from analytics_service.settings import AnalyticsSettings
from crm_common.db import transaction
from crm_common.events.envelope import deterministic_event_id, make_event
from crm_common.events.models import Alert, AlertKind
from crm_common.logging import get_logger
from crm_common.messaging.outbox import enqueue
from crm_common.security.permissions import Permission

log = get_logger(__name__)
SOURCE = "analytics"


@dataclass(frozen=True)
class RevenueDrop:
    day: date
    revenue: Decimal
    baseline: Decimal
    drop_percent: Decimal


async def measure(session: AsyncSession, day: date, baseline_days: int) -> RevenueDrop:
    first = day - timedelta(days=baseline_days)
    t = SalesDailyCustomer
    rows = (
        await session.execute(
            select(t.business_day, func.sum(t.revenue))
            .where(t.business_day.between(first, day))
            .group_by(t.business_day)
        )
    ).all()
    by_day = {d: v for d, v in rows}
    revenue = by_day.get(day, Decimal(0))
    baseline = sum((by_day.get(first + timedelta(days=i), Decimal(0)) for i in range(baseline_days)), Decimal(0))
    baseline /= baseline_days
    drop = (baseline - revenue) * 100 / baseline if baseline > 0 else Decimal(0)
    return RevenueDrop(day, revenue, baseline, drop)


async def check_revenue_drop(session: AsyncSession, settings: AnalyticsSettings, day: date) -> Alert | None:
    """Raise (store and enqueue) a revenue-drop alert for ``day`` if it qualifies and was not raised yet."""
    m = await measure(session, day, settings.revenue_drop_baseline_days)
    if m.baseline < settings.revenue_drop_min_baseline or m.drop_percent < settings.revenue_drop_percent:
        return None
    alert = Alert(
        id=f"revenue_drop:{day.isoformat()}",
        kind=AlertKind.REVENUE_DROP,
        severity="critical" if m.drop_percent >= 2 * settings.revenue_drop_percent else "warning",
        title=f"Выручка упала на {m.drop_percent:.0f}% / Revenue dropped {m.drop_percent:.0f}%",
        message=(
            f"{day.isoformat()}: выручка {m.revenue:.2f} при среднем {m.baseline:.2f} за "
            f"{settings.revenue_drop_baseline_days} дн. / revenue {m.revenue:.2f} vs mean {m.baseline:.2f}"
        ),
        permission=Permission.ANALYTICS_READ.value,
        subject_id=day.isoformat(),
        data={"revenue": f"{m.revenue:.2f}", "baseline": f"{m.baseline:.2f}", "drop_percent": f"{m.drop_percent:.2f}"},
        raised_at=datetime.now(UTC),
    )
    if not await AlertRepository(session).insert_new(alert_row(alert, SOURCE)):
        return None
    event = make_event(
        "alert.raised",
        source=SOURCE,
        account_id=SOURCE,
        entity_id=alert.id,
        source_version=int(alert.raised_at.timestamp() * 1_000_000),
        payload=alert,
        event_id=deterministic_event_id(SOURCE, SOURCE, "alert.raised", alert.id, 1),
    )
    await enqueue(session, outbox, event)
    return alert


def last_complete_day(settings: AnalyticsSettings, now: datetime | None = None) -> date:
    return (now or datetime.now(UTC)).astimezone(settings.zone).date() - timedelta(days=1)


async def run_checker(sessions: async_sessionmaker[AsyncSession], settings: AnalyticsSettings) -> None:
    """Background loop of the API process: check once per interval, survive outages."""
    while True:
        try:
            async with transaction(sessions) as session:
                alert = await check_revenue_drop(session, settings, last_complete_day(settings))
            if alert:
                log.info("revenue drop alert raised", alert_id=alert.id)
        except Exception as exc:
            log.warning("revenue drop check failed", error=repr(exc)[:300])
        await asyncio.sleep(settings.revenue_drop_check_interval.total_seconds())
