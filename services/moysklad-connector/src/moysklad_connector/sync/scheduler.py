"""When MoySklad integrations sync: the kit's scheduler (crm_integration.scheduler) with this connector's rounds.

A first full sync, then an incremental one every ``MOYSKLAD_SYNC_INTERVAL_MINUTES``, a stock reconcile every
``CONNECTOR_STOCK_RECONCILE_MINUTES``, an incremental sync soon after a webhook hint, and a reconciliation of deletes
once a day at ``CONNECTOR_RECONCILE_HOUR_MSK``, Moscow time, MoySklad's zone (docs/moysklad.md, "Time").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo
from zoneinfo import ZoneInfo

from crm_integration import scheduler as kit
from crm_integration.scheduler import Periodic, SyncScheduler

MOSCOW = ZoneInfo("Europe/Moscow")

__all__ = ["MOSCOW", "DailyReconcile", "Periodic", "SyncScheduler", "next_daily"]


@dataclass(frozen=True)
class DailyReconcile(kit.DailyReconcile):
    """The daily reconciliation at a Moscow hour."""

    zone: tzinfo = MOSCOW


def next_daily(after: datetime, hour: int) -> datetime:
    """The first ``hour``:00 Moscow time strictly after ``after``, in UTC."""
    return kit.next_daily(after, hour, MOSCOW)
