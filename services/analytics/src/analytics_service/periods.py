"""Report periods in business days of the company's time zone, and the period before each."""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from crm_common.errors import ValidationFailed


class PeriodKind(enum.StrEnum):
    TODAY = "today"
    YESTERDAY = "yesterday"
    WEEK = "week"
    MONTH = "month"
    CUSTOM = "custom"


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # inclusive

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def before(self) -> Period:
        """The period of the same length that ends the day before this one starts."""
        return Period(self.start - timedelta(days=self.days), self.start - timedelta(days=1))


def month_of(day: date) -> Period:
    """The calendar month ``day`` falls in."""
    first = day.replace(day=1)
    following = (first + timedelta(days=31)).replace(day=1)
    return Period(first, following - timedelta(days=1))


@dataclass(frozen=True)
class Cover:
    """A period as whole calendar months plus and minus day ranges: sums over ``months``, plus the ranges signed +1,
    minus those signed -1, are the sums over the period's days. Monthly roll-ups answer the months, daily ones the
    ranges (docs/architecture.md, "Money, time, quantities": the days are business days)."""

    months: tuple[date, ...]  # first days
    days: tuple[tuple[Period, int], ...]


def cover(period: Period, weight: Callable[[Period], int] = lambda p: p.days) -> Cover:
    """Cover ``period`` with the least ``weight`` of day ranges: a month it only partly spans is either its days in
    the period, or the whole month minus its days outside, whichever weighs less (month to date on the 20th: the month
    minus the ten days to come, usually empty)."""
    months: list[date] = []
    days: list[tuple[Period, int]] = []
    month = month_of(period.start)
    while month.start <= period.end:
        inside = Period(max(month.start, period.start), min(month.end, period.end))
        outside = [Period(month.start, inside.start - timedelta(days=1))] if inside.start > month.start else []
        if inside.end < month.end:
            outside.append(Period(inside.end + timedelta(days=1), month.end))
        if not outside:
            months.append(month.start)
        elif sum(weight(p) for p in outside) < weight(inside):
            months.append(month.start)
            days += [(p, -1) for p in outside]
        else:
            days.append((inside, 1))
        month = month_of(month.end + timedelta(days=1))
    return Cover(tuple(months), tuple(days))


def today_in(zone: ZoneInfo, now: datetime | None = None) -> date:
    return (now or datetime.now(UTC)).astimezone(zone).date()


def resolve(
    kind: PeriodKind,
    *,
    zone: ZoneInfo,
    date_from: date | None = None,
    date_to: date | None = None,
    as_of: date | None = None,
    max_days: int = 1100,
) -> tuple[Period, Period]:
    """This period and the previous one. `week` is the calendar week to date, `month` the month to date.

    The previous period of a week or month is the same span of the week or month before (1–10 March compares with
    1–10 February), so partial periods compare like with like.
    """
    today = as_of or today_in(zone)
    if kind is PeriodKind.CUSTOM:
        if date_from is None or date_to is None:
            raise ValidationFailed("a custom period needs date_from and date_to")
        if date_from > date_to:
            raise ValidationFailed("date_from must not be after date_to")
        period = Period(date_from, date_to)
        if period.days > max_days:
            raise ValidationFailed(f"a period may cover at most {max_days} days")
        return period, period.before()
    if date_from is not None or date_to is not None:
        raise ValidationFailed("date_from and date_to are only accepted with period=custom")
    if kind is PeriodKind.TODAY:
        period = Period(today, today)
        return period, period.before()
    if kind is PeriodKind.YESTERDAY:
        period = Period(today - timedelta(days=1), today - timedelta(days=1))
        return period, period.before()
    if kind is PeriodKind.WEEK:
        start = today - timedelta(days=today.weekday())
        return Period(start, today), Period(start - timedelta(days=7), today - timedelta(days=7))
    start = today.replace(day=1)
    prev_start = (start - timedelta(days=1)).replace(day=1)
    prev_end = min(prev_start + timedelta(days=today.day - 1), start - timedelta(days=1))
    return Period(start, today), Period(prev_start, prev_end)


class AskedPeriod(Protocol):
    """The period a report's query parameters ask for (its query model's fields)."""

    @property
    def period(self) -> PeriodKind: ...
    @property
    def date_from(self) -> date | None: ...
    @property
    def date_to(self) -> date | None: ...
    @property
    def as_of(self) -> date | None: ...


def resolve_asked(asked: AskedPeriod, *, zone: ZoneInfo, max_days: int) -> tuple[Period, Period]:
    """``resolve`` for the period a report's query parameters ask for."""
    return resolve(
        asked.period, zone=zone, date_from=asked.date_from, date_to=asked.date_to, as_of=asked.as_of, max_days=max_days
    )
