from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from crm_common.events.envelope import deterministic_event_id
from crm_common.events.models import Money, Store
from moysklad_connector.mapping.common import (
    Unmappable,
    build_event,
    decimal,
    empty_to_none,
    format_msk,
    optional_decimal,
    optional_moment,
    parse_moment,
    ref_id,
    ref_type,
    required,
    roubles,
    validated,
    version_of,
)


def test_moscow_time_becomes_aware_utc() -> None:
    moment = parse_moment("2020-06-18 01:10:14.316")
    assert moment == datetime(2020, 6, 17, 22, 10, 14, 316000, tzinfo=UTC)
    assert moment.tzinfo is UTC  # UTC itself, not the host's zone at the same instant


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


def test_minute_precision_timestamps_are_accepted_and_padding_is_ignored() -> None:
    assert parse_moment(" 2020-06-18 01:10 ") == datetime(2020, 6, 17, 22, 10, tzinfo=UTC)


def test_an_unreadable_timestamp_names_itself_in_the_error() -> None:
    with pytest.raises(Unmappable, match=r"bad MoySklad date-time '18\.06\.2020'"):
        parse_moment("18.06.2020")
    with pytest.raises(Unmappable, match="expected a MoySklad date-time string, got 12"):
        parse_moment(12)


@pytest.mark.parametrize("absent", [None, ""])
def test_an_absent_optional_moment_is_none(absent: object) -> None:
    assert optional_moment(absent) is None


def test_a_present_optional_moment_is_parsed() -> None:
    assert optional_moment("2016-06-07 10:40:48") == datetime(2016, 6, 7, 7, 40, 48, tzinfo=UTC)


def test_source_versions_count_days_and_order_like_time() -> None:
    assert version_of(datetime(1970, 1, 2, 0, 0, 1, 7, tzinfo=UTC)) == 86_401_000_007
    assert version_of(datetime(1969, 12, 31, 23, 59, 59, tzinfo=UTC)) == -1_000_000


def test_money_keeps_every_digit_of_its_text() -> None:
    assert str(roubles("12345678901234567890.1")) == "123456789012345678.901"
    assert decimal(Decimal("1.10")) == Decimal("1.10")
    assert str(decimal(0.1)) == "0.1"  # from the JSON text, not the binary float 0.1000000000000000055...


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (True, "expected a number, got True"),
        (None, "expected a number, got None"),
        ("abc", "expected a number, got 'abc'"),
        (float("inf"), "expected a finite number, got inf"),
        (Decimal("NaN"), "expected a finite number, got Decimal"),
    ],
)
def test_a_non_number_names_itself_in_the_error(bad: object, message: str) -> None:
    with pytest.raises(Unmappable, match=message):
        decimal(bad)


def test_an_absent_optional_number_is_none_and_a_present_one_exact() -> None:
    assert optional_decimal(None) is None
    assert optional_decimal("2.50") == Decimal("2.50")
    assert optional_decimal(0) == Decimal(0)


HREF = "https://api.moysklad.ru/api/remap/1.2/entity/product/7944ef04-f831-11e5-7a69-971500188b19"


@pytest.mark.parametrize(
    ("ref", "expected"),
    [
        ({"meta": {"href": HREF, "type": "product"}}, "7944ef04-f831-11e5-7a69-971500188b19"),
        ({"meta": {"href": HREF + "?expand=supplier"}}, "7944ef04-f831-11e5-7a69-971500188b19"),
        ({"meta": {"href": HREF + "/"}}, "7944ef04-f831-11e5-7a69-971500188b19"),
        ({"id": "abc", "meta": {"href": HREF}}, "abc"),  # an expanded object carries its id
        ({"id": 5, "meta": {"href": HREF}}, "7944ef04-f831-11e5-7a69-971500188b19"),
        ({"meta": {"href": "https://x/a?b=c/d"}}, "a"),
        ({"meta": {"href": "https://x/a?b=1?c=2"}}, "a"),
        ({"meta": {"href": "https://x/entity/product/ABX/"}}, "ABX"),  # ids are opaque: no character is trimmed
        ({"meta": {"href": "/"}}, None),
        ({"meta": {"href": 7}}, None),
        ({"meta": None}, None),
        ({}, None),
        ("7944ef04", None),
        (None, None),
    ],
)
def test_references_give_the_id_at_the_end_of_their_href(ref: Any, expected: str | None) -> None:
    assert ref_id(ref) == expected


@pytest.mark.parametrize(
    ("ref", "expected"),
    [
        ({"meta": {"href": HREF, "type": "variant"}}, "variant"),
        ({"meta": {"type": 3}}, None),
        ({"meta": None}, None),
        ({}, None),
        (["variant"], None),
    ],
)
def test_references_give_their_meta_type(ref: Any, expected: str | None) -> None:
    assert ref_type(ref) == expected


def test_a_required_field_is_returned_when_present_even_if_falsy() -> None:
    assert required({"a": 0}, "a") == 0
    assert required({"a": "x"}, "a") == "x"


@pytest.mark.parametrize("obj", [{}, {"name": None}, {"name": ""}])
def test_a_missing_or_empty_required_field_is_unmappable(obj: dict[str, Any]) -> None:
    with pytest.raises(Unmappable, match="field 'name' is missing"):
        required(obj, "name")


@pytest.mark.parametrize(("value", "expected"), [(None, None), ("", None), ("x", "x"), (0, "0"), (" ", " ")])
def test_empty_strings_become_none_and_the_rest_text(value: object, expected: str | None) -> None:
    assert empty_to_none(value) == expected


OBJ = {"accountId": "acc-1", "id": "store-1", "updated": "2020-06-18 01:10:14.316", "name": "Main"}
UPDATED = datetime(2020, 6, 17, 22, 10, 14, 316000, tzinfo=UTC)


def test_an_event_takes_account_entity_time_and_version_from_the_object() -> None:
    event = build_event("store.upserted", OBJ, {"id": "store-1"})
    assert (event.event_type, event.source, event.account_id, event.entity_id) == (
        "store.upserted",
        "moysklad",
        "acc-1",
        "store-1",
    )
    assert (event.occurred_at, event.source_version) == (UPDATED, version_of(UPDATED))
    assert event.payload == {"id": "store-1"}
    assert event.event_id == deterministic_event_id(
        "moysklad", "acc-1", "store.upserted", "store-1", version_of(UPDATED)
    )


def test_an_event_can_override_entity_moment_and_version() -> None:
    moment = datetime(2021, 1, 1, tzinfo=UTC)
    event = build_event("stock.changed", OBJ, {}, entity_id="p:s", moment=moment, version=7)
    assert (event.entity_id, event.occurred_at, event.source_version) == ("p:s", moment, 7)
    assert event.event_id == deterministic_event_id("moysklad", "acc-1", "stock.changed", "p:s", 7)
    assert build_event("stock.changed", OBJ, {}, version=0).source_version == 0


def test_a_moment_given_without_a_version_versions_the_event() -> None:
    moment = datetime(2021, 1, 1, tzinfo=UTC)
    assert build_event("x.y", OBJ, {}, moment=moment).source_version == version_of(moment)


@pytest.mark.parametrize("missing", ["accountId", "id", "updated"])
def test_an_object_without_account_id_or_update_time_is_unmappable(missing: str) -> None:
    obj = {k: v for k, v in OBJ.items() if k != missing}
    with pytest.raises(Unmappable, match=f"field '{missing}' is missing"):
        build_event("store.upserted", obj, {})


def test_a_valid_payload_is_built() -> None:
    assert validated(Money, amount=Decimal("1.5")) == Money(amount=Decimal("1.5"), currency="RUB")


def test_an_invalid_payload_is_unmappable_and_names_the_field() -> None:
    with pytest.raises(Unmappable, match=r"^Store: \('updated_at',\) Field required$"):
        validated(Store, id="s", name="n")
