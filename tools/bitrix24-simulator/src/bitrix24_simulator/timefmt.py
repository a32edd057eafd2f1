"""Bitrix24 dates: ISO 8601 with the portal's offset (``2026-11-20T12:00:00+03:00``), second precision."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

PORTAL_TZ = ZoneInfo("Europe/Moscow")


def iso(moment: datetime) -> str:
    """Render a moment the way the REST API does: portal offset, no fraction."""
    return moment.astimezone(PORTAL_TZ).replace(microsecond=0).isoformat()


def from_timestamp(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, PORTAL_TZ)


def parse_date(text: str) -> datetime | None:
    """Parse a date a client may send in a filter: ISO with or without offset, a date, or ``dd.mm.yyyy``."""
    text = text.strip()
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        try:
            moment = datetime.strptime(text, "%d.%m.%Y")
        except ValueError:
            return None
    return moment if moment.tzinfo else moment.replace(tzinfo=PORTAL_TZ)


def parse_anchor(text: str) -> datetime:
    """The generator's anchor: Moscow wall time ``YYYY-MM-DD HH:MM:SS``, as the MoySklad simulator takes it."""
    return datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=PORTAL_TZ)
