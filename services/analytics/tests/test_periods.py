"""Report periods: business days in the company's zone, and the period each one is compared with."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, date, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

import pytest

from analytics_service import periods as periods_module
from analytics_service.periods import Cover, Period, PeriodKind, cover, month_of, resolve, today_in
from crm_common.errors import ValidationFailed

MSK = ZoneInfo("Europe/Moscow")
WEDNESDAY = date(2024, 3, 13)


def periods(kind: PeriodKind, as_of: date = WEDNESDAY, **custom: date) -> tuple[tuple[date, date], tuple[date, date]]:
    current, previous = resolve(kind, zone=MSK, as_of=as_of, **custom)
    return (current.start, current.end), (previous.start, previous.end)


def test_the_business_day_is_the_day_in_the_company_zone_not_in_utc() -> None:
    late_evening_utc = datetime(2024, 3, 12, 22, 30, tzinfo=UTC)  # 01:30 on the 13th in Moscow
    assert today_in(MSK, late_evening_utc) == date(2024, 3, 13)
    assert today_in(ZoneInfo("America/New_York"), late_evening_utc) == date(2024, 3, 12)


class LateEveningUtc(datetime):
    """``datetime`` whose clock stands at 22:30 UTC on 12 March 2024, already the 13th in Moscow."""

    @classmethod
    def now(cls, tz: tzinfo | None = None) -> datetime:  # type: ignore[override]
        instant = datetime(2024, 3, 12, 22, 30, tzinfo=UTC)
        return instant.astimezone(tz) if tz is not None else instant.astimezone().replace(tzinfo=None)


@pytest.fixture
def late_evening_utc(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(periods_module, "datetime", LateEveningUtc)


@pytest.mark.usefixtures("late_evening_utc")
def test_without_a_clock_today_is_the_current_day_in_the_zone() -> None:
    assert today_in(MSK) == date(2024, 3, 13)


def test_a_period_counts_both_of_its_ends() -> None:
    assert Period(date(2024, 3, 1), date(2024, 3, 1)).days == 1
    assert Period(date(2024, 2, 28), date(2024, 3, 1)).days == 3  # over a leap day


def test_the_period_before_has_the_same_length_and_ends_the_day_before() -> None:
    assert Period(date(2024, 3, 11), date(2024, 3, 13)).before() == Period(date(2024, 3, 8), date(2024, 3, 10))


def test_today_compares_with_yesterday() -> None:
    assert periods(PeriodKind.TODAY) == ((WEDNESDAY, WEDNESDAY), (date(2024, 3, 12), date(2024, 3, 12)))


def test_yesterday_compares_with_the_day_before() -> None:
    assert periods(PeriodKind.YESTERDAY) == ((date(2024, 3, 12),) * 2, (date(2024, 3, 11),) * 2)


def test_week_is_monday_to_date_against_the_same_days_of_last_week() -> None:
    assert periods(PeriodKind.WEEK) == (
        (date(2024, 3, 11), WEDNESDAY),
        (date(2024, 3, 4), date(2024, 3, 6)),
    )


def test_on_a_monday_the_week_is_one_day() -> None:
    monday = date(2024, 3, 11)
    assert periods(PeriodKind.WEEK, monday) == ((monday, monday), (date(2024, 3, 4), date(2024, 3, 4)))


def test_month_to_date_compares_with_the_same_days_of_last_month() -> None:
    assert periods(PeriodKind.MONTH) == (
        (date(2024, 3, 1), WEDNESDAY),
        (date(2024, 2, 1), date(2024, 2, 13)),
    )


def test_month_to_date_past_the_end_of_a_shorter_month_stops_at_its_last_day() -> None:
    assert periods(PeriodKind.MONTH, date(2024, 3, 31)) == (
        (date(2024, 3, 1), date(2024, 3, 31)),
        (date(2024, 2, 1), date(2024, 2, 29)),
    )


def test_month_in_january_compares_with_december() -> None:
    assert periods(PeriodKind.MONTH, date(2024, 1, 1)) == (
        (date(2024, 1, 1),) * 2,
        (date(2023, 12, 1),) * 2,
    )


def test_a_custom_period_compares_with_the_same_number_of_days_before_it() -> None:
    custom = {"date_from": date(2024, 3, 5), "date_to": date(2024, 3, 9)}
    assert periods(PeriodKind.CUSTOM, **custom) == (
        (date(2024, 3, 5), date(2024, 3, 9)),
        (date(2024, 2, 29), date(2024, 3, 4)),
    )


def test_a_custom_period_of_one_day_is_allowed() -> None:
    day = date(2024, 3, 5)
    assert periods(PeriodKind.CUSTOM, date_from=day, date_to=day)[0] == (day, day)


@pytest.mark.parametrize("missing", ["date_from", "date_to"])
def test_a_custom_period_needs_both_dates(missing: str) -> None:
    custom = {"date_from": date(2024, 3, 5), "date_to": date(2024, 3, 9)}
    del custom[missing]
    with pytest.raises(ValidationFailed, match=r"^a custom period needs date_from and date_to$"):
        periods(PeriodKind.CUSTOM, **custom)


def test_a_custom_period_must_not_end_before_it_starts() -> None:
    with pytest.raises(ValidationFailed, match=r"^date_from must not be after date_to$"):
        periods(PeriodKind.CUSTOM, date_from=date(2024, 3, 9), date_to=date(2024, 3, 8))


def test_a_custom_period_may_cover_up_to_max_days_and_no_more() -> None:
    start = date(2024, 1, 1)
    at_limit = resolve(PeriodKind.CUSTOM, zone=MSK, date_from=start, date_to=date(2024, 1, 10), max_days=10)
    assert at_limit[0].days == 10
    with pytest.raises(ValidationFailed, match="a period may cover at most 10 days"):
        resolve(PeriodKind.CUSTOM, zone=MSK, date_from=start, date_to=date(2024, 1, 11), max_days=10)


def test_the_default_limit_is_1100_days() -> None:
    start = date(2020, 1, 1)
    assert periods(PeriodKind.CUSTOM, date_from=start, date_to=date(2023, 1, 4))[0][1] == date(2023, 1, 4)  # 1100
    with pytest.raises(ValidationFailed, match="at most 1100 days"):
        periods(PeriodKind.CUSTOM, date_from=start, date_to=date(2023, 1, 5))


@pytest.mark.parametrize("kind", [PeriodKind.TODAY, PeriodKind.YESTERDAY, PeriodKind.WEEK, PeriodKind.MONTH])
@pytest.mark.parametrize("given", ["date_from", "date_to"])
def test_dates_are_refused_with_a_named_period(kind: PeriodKind, given: str) -> None:
    with pytest.raises(ValidationFailed, match=r"^date_from and date_to are only accepted with period=custom$"):
        periods(kind, **{given: date(2024, 3, 1)})


@pytest.mark.usefixtures("late_evening_utc")
def test_without_as_of_periods_end_today_in_the_zone() -> None:
    current, _ = resolve(PeriodKind.TODAY, zone=MSK)
    assert current.end == date(2024, 3, 13)


def _days_counted(covered: Cover) -> Counter[date]:
    counted: Counter[date] = Counter()
    for first in covered.months:
        month = month_of(first)
        counted.update(month.start + timedelta(days=i) for i in range(month.days))
    for span, sign in covered.days:
        for i in range(span.days):
            counted[span.start + timedelta(days=i)] += sign
    return +counted  # days added and taken away cancel out


@pytest.mark.parametrize("seed", range(5))
def test_a_cover_counts_every_day_of_the_period_once_and_no_other_day(seed: int) -> None:
    rnd = random.Random(seed)
    for _ in range(200):
        start = date(2024, 1, 1) + timedelta(days=rnd.randint(0, 800))
        period = Period(start, start + timedelta(days=rnd.choice([0, 5, 20, 40, 100, 400])))
        busy = {start + timedelta(days=rnd.randint(-40, 440)) for _ in range(rnd.randint(0, 30))}
        covered = cover(period, lambda p, busy=busy: sum(p.start <= d <= p.end for d in busy))  # type: ignore[misc]
        assert _days_counted(covered) == Counter(period.start + timedelta(days=i) for i in range(period.days))


def test_month_to_date_is_the_whole_month_minus_the_days_to_come() -> None:
    covered = cover(Period(date(2025, 5, 1), date(2025, 5, 20)))
    assert covered == Cover((date(2025, 5, 1),), ((Period(date(2025, 5, 21), date(2025, 5, 31)), -1),))
    assert cover(Period(date(2025, 5, 1), date(2025, 5, 9))).months == ()
