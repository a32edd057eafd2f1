"""MoySklad date-time format: Moscow wall time, no offset, milliseconds in responses.

Moscow's offset changed over the years (summer time until 2011, UTC+4 from 2011-03-27 to 2014-10-26, UTC+3 since):
conversions go through the tz database, never a fixed +3.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

MSK = ZoneInfo("Europe/Moscow")
_FILTER_FORMATS = ("%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d")


def now_msk() -> datetime:
    """Current wall-clock time in Moscow, naive."""
    return datetime.now(UTC).astimezone(MSK).replace(tzinfo=None)


def fmt_ms(moment: datetime) -> str:
    """Render like ``updated``: ``2020-06-18 01:10:14.316``."""
    return moment.strftime("%Y-%m-%d %H:%M:%S.") + f"{moment.microsecond // 1000:03d}"


def fmt_s(moment: datetime) -> str:
    """Render like audit/webhook moments: ``2020-06-18 01:10:14``."""
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def fmt_moment(moment: datetime) -> str:
    """Document ``moment`` has minute precision but is rendered with zero seconds and millis."""
    return moment.strftime("%Y-%m-%d %H:%M:00.000")


def parse_msk(text: str) -> datetime | None:
    """Parse any date form MoySklad accepts in filters; ``None`` when it is not one."""
    for pattern in _FILTER_FORMATS:
        try:
            return datetime.strptime(text.strip(), pattern)
        except ValueError:
            continue
    return None
