"""Resolution: shared keys make one customer, admins' decisions override, crowded keys identify nobody."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from analytics_service.customers.identity.keys import Key, KeyKind
from analytics_service.customers.identity.resolve import Decision, DecisionKind, Member, resolve

T0 = datetime(2026, 12, 1, tzinfo=UTC)
INN = Key(KeyKind.INN, "7707083893")
PHONE = Key(KeyKind.PHONE, "+79000000001")
EMAIL = Key(KeyKind.EMAIL, "a@example.ru")
OTHER_EMAIL = Key(KeyKind.EMAIL, "b@example.ru")


def _merge(a: str, b: str, minutes: int) -> Decision:
    return Decision(DecisionKind.MERGE, a, b, T0 + timedelta(minutes=minutes))


def _split(a: str, minutes: int) -> Decision:
    return Decision(DecisionKind.SPLIT, a, None, T0 + timedelta(minutes=minutes))


def test_records_sharing_a_key_directly_or_through_a_chain_are_one_customer() -> None:
    members = resolve({"ms-1": {PHONE}, "b24-7": {PHONE, EMAIL}, "b24-9": {EMAIL}, "ms-2": {OTHER_EMAIL}}).members

    assert {cid: m.customer_id for cid, m in members.items()} == {
        "ms-1": "b24-7",  # the smallest id of the component
        "b24-7": "b24-7",
        "b24-9": "b24-7",
        "ms-2": "ms-2",
    }
    assert members["ms-1"] == Member("b24-7", "phone", "+79000000001")
    assert members["b24-9"] == Member("b24-7", "email", "a@example.ru")
    assert members["ms-2"] == Member("ms-2", "self", None)


def test_the_strongest_shared_key_is_the_one_recorded() -> None:
    members = resolve({"a": {INN, PHONE, EMAIL}, "b": {INN, PHONE, EMAIL}}).members

    assert members["a"] == Member("a", "inn", "7707083893")
    assert members["b"] == Member("a", "inn", "7707083893")


def test_a_key_held_only_by_one_record_joins_nobody() -> None:
    members = resolve({"a": {PHONE}, "b": {EMAIL}}).members

    assert members["a"].customer_id != members["b"].customer_id


def test_a_crowded_key_identifies_nobody_and_is_reported() -> None:
    office = Key(KeyKind.PHONE, "+74951234567")
    keys = {f"c{i:02}": {office} for i in range(5)}

    resolution = resolve(keys, crowded=4)

    assert {m.customer_id for m in resolution.members.values()} == set(keys)
    assert resolution.crowded_keys == [office]
    assert len({m.customer_id for m in resolve(keys, crowded=5).members.values()}) == 1


def test_keys_known_to_be_crowded_elsewhere_are_ignored_in_a_neighbourhood() -> None:
    resolution = resolve({"a": {PHONE}, "b": {PHONE}}, ignored={PHONE})

    assert resolution.members["a"].customer_id == "a"
    assert resolution.members["b"].customer_id == "b"


def test_a_merge_joins_records_that_share_nothing() -> None:
    members = resolve({"a": {PHONE}, "b": {EMAIL}}, [_merge("b", "a", 0)]).members

    assert members["a"] == Member("a", "merge", None)
    assert members["b"] == Member("a", "merge", None)


def test_a_split_takes_a_record_out_of_its_keys_and_its_earlier_merges() -> None:
    keys = {"a": {PHONE}, "b": {PHONE}, "c": {EMAIL}}

    members = resolve(keys, [_merge("a", "c", 0), _split("a", 1)]).members

    assert members["a"] == Member("a", "self", None)
    assert members["b"].customer_id == "b"
    assert members["c"].customer_id == "c"


def test_a_merge_after_a_split_joins_again_by_that_decision_only() -> None:
    keys = {"a": {PHONE}, "b": {PHONE}, "c": {EMAIL}}

    members = resolve(keys, [_split("a", 0), _merge("a", "c", 1)]).members

    assert members["a"].customer_id == members["c"].customer_id == "a"
    assert members["b"].customer_id == "b"  # the shared phone still does not count for a


def test_decisions_apply_in_the_order_they_were_made_not_the_order_given() -> None:
    keys = {"a": {PHONE}, "b": {EMAIL}}

    later_split = resolve(keys, [_split("a", 5), _merge("a", "b", 1)]).members
    later_merge = resolve(keys, [_merge("a", "b", 5), _split("a", 1)]).members

    assert later_split["a"].customer_id != later_split["b"].customer_id
    assert later_merge["a"].customer_id == later_merge["b"].customer_id


def test_decisions_naming_unknown_records_change_nothing() -> None:
    members = resolve({"a": {PHONE}}, [_merge("a", "gone", 0)]).members

    assert members == {"a": Member("a", "self", None)}
