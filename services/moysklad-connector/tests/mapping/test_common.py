from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from moysklad_connector.mapping.common import Unmappable, format_msk, parse_moment, roubles, version_of


def test_moscow_time_becomes_aware_utc() -> None:
    assert parse_moment("2020-06-18 01:10:14.316") == datetime(2020, 6, 17, 22, 10, 14, 316000, tzinfo=UTC)


def test_seconds_only_timestamps_are_accepted() -> None:
    assert parse_moment("2016-06-07 10:40:48") == datetime(2016, 6, 7, 7, 40, 48, tzinfo=UTC)


def test_source_version_is_epoch_microseconds_of_updated() -> None:
    assert version_of(parse_moment("1970-01-01 03:00:01.500")) == 1_500_000


def test_filter_values_are_moscow_time_to_the_second() -> None:
    assert format_msk(datetime(2020, 6, 17, 22, 10, 14, 316000, tzinfo=UTC)) == "2020-06-18 01:10:14"


@pytest.mark.parametrize(
    ("kopecks", "expected"),
    [
        (10000.0, Decimal("100.00")),
        (346453701206, Decimal("3464537012.06")),
        (0.1, Decimal("0.001")),
        (-250, Decimal("-2.50")),
    ],
)
def test_kopecks_become_exact_roubles(kopecks: float, expected: Decimal) -> None:
    assert roubles(kopecks) == expected


@pytest.mark.parametrize("bad", ["2020/06/18", None, 12])
def test_unreadable_timestamps_are_unmappable(bad: object) -> None:
    with pytest.raises(Unmappable):
        parse_moment(bad)


@pytest.mark.parametrize("bad", ["abc", None, True, float("nan")])
def test_non_numbers_are_unmappable_money(bad: object) -> None:
    with pytest.raises(Unmappable):
        roubles(bad)


# Moscow's offset history (tz database, Europe/Moscow): UTC+3 winter / UTC+4 summer until 2011-03-27 02:00, UTC+4
# all year until 2014-10-26 02:00, UTC+3 since. MoySklad stamps wall time, so the offset depends on the date.
MOSCOW_WALL_TIME_IN_UTC = [
    ("2010-07-15 12:00:00", datetime(2010, 7, 15, 8, 0, tzinfo=UTC)),  # summer time, UTC+4
    ("2010-12-15 12:00:00", datetime(2010, 12, 15, 9, 0, tzinfo=UTC)),  # winter time, UTC+3
    ("2011-03-26 12:00:00", datetime(2011, 3, 26, 9, 0, tzinfo=UTC)),  # the day before the permanent +4
    ("2011-03-28 12:00:00", datetime(2011, 3, 28, 8, 0, tzinfo=UTC)),
    ("2012-12-12 11:12:12", datetime(2012, 12, 12, 7, 12, 12, tzinfo=UTC)),
    ("2014-10-25 12:00:00", datetime(2014, 10, 25, 8, 0, tzinfo=UTC)),  # the day before the return to +3
    ("2014-10-27 12:00:00", datetime(2014, 10, 27, 9, 0, tzinfo=UTC)),
]


@pytest.mark.parametrize(("wall", "utc"), MOSCOW_WALL_TIME_IN_UTC)
def test_moscow_wall_time_uses_the_offset_of_its_date(wall: str, utc: datetime) -> None:
    assert parse_moment(wall) == utc


@pytest.mark.parametrize(("wall", "utc"), MOSCOW_WALL_TIME_IN_UTC)
def test_filter_values_use_the_offset_of_their_date(wall: str, utc: datetime) -> None:
    assert format_msk(utc) == wall
