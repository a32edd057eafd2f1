"""A deal's stage history and responsible person, mapped: moves in time order in UTC, refusals with the reason, and
versions that order a growing history within one second of ``DATE_MODIFY``."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from bitrix24_connector.mapping.common import Unmappable, version
from bitrix24_connector.mapping.deals import map_deal
from bitrix24_connector.mapping.history import map_stage_history, user_name
from bitrix24_connector.sync.reconcile import deleted_event

from .test_deals import PORTAL, deal

DEAL = deal()  # lost, modified 2025-08-08T23:28:17+03:00


def move(item_id: int, stage: str, when: str, owner: int = 1) -> dict[str, Any]:
    return {"ID": item_id, "TYPE_ID": 2, "OWNER_ID": owner, "CATEGORY_ID": 1, "STAGE_ID": stage, "CREATED_TIME": when}


HISTORY = [
    move(9, "C1:LOSE", "2025-08-08T23:28:17+03:00"),
    move(3, "C1:NEW", "2025-07-19T08:14:02+03:00"),
    move(5, "C1:NEGOTIATION", "2025-07-20T10:00:00+03:00"),
    move(6, "C1:CONTRACT", "2025-07-20T10:00:00+03:00"),
]


def test_moves_come_oldest_first_in_utc() -> None:
    changes = map_stage_history(HISTORY, "1")
    assert [c.stage_id for c in changes] == ["C1:NEW", "C1:NEGOTIATION", "C1:CONTRACT", "C1:LOSE"]
    assert changes[0].entered_at == datetime(2025, 7, 19, 5, 14, 2, tzinfo=UTC)


@pytest.mark.parametrize(
    ("item", "reason"),
    [
        (move(1, "C1:NEW", "2025-07-19T08:14:02"), "CREATED_TIME '2025-07-19T08:14:02' has no offset"),
        (move(1, "C1:NEW", "2025-07-19T08:14:02+03:00", owner=2), "stage history item 1 belongs to deal 2"),
        (move(1, "", "2025-07-19T08:14:02+03:00"), "STAGE_ID is missing"),
    ],
)
def test_a_move_that_cannot_be_read_is_refused_with_the_reason(item: dict[str, Any], reason: str) -> None:
    with pytest.raises(Unmappable, match=reason):
        map_stage_history([item], "1")


def test_a_deal_carries_its_history_and_its_responsibles_name() -> None:
    d = map_deal(DEAL, PORTAL, [], {"5": "Ольга Егорова"}, HISTORY).payload
    assert [c["stage_id"] for c in d["stage_history"]] == ["C1:NEW", "C1:NEGOTIATION", "C1:CONTRACT", "C1:LOSE"]
    assert (d["responsible_id"], d["responsible_name"]) == ("5", "Ольга Егорова")


@pytest.mark.parametrize("title", [f"Заказ {n}" for n in range(20)])  # digests alone would order some wrongly
def test_within_one_second_a_longer_history_and_then_a_caught_up_record_are_newer(title: str) -> None:
    record = DEAL | {"TITLE": title}
    shorter = map_deal(record, PORTAL, [], None, HISTORY[1:3])
    behind = map_deal(record | {"STAGE_ID": "C1:CONTRACT", "STAGE_SEMANTIC_ID": "P"}, PORTAL, [], None, HISTORY)
    caught_up = map_deal(record, PORTAL, [], None, HISTORY)
    assert shorter.source_version < behind.source_version < caught_up.source_version
    assert caught_up.source_version // 1_000_000 == shorter.source_version // 1_000_000  # the same second


def test_a_move_newer_than_the_deals_stamp_orders_the_deal_by_the_move() -> None:
    later = [*HISTORY, move(12, "C1:NEW", "2025-08-09T09:00:00+03:00")]
    assert (
        map_deal(DEAL, PORTAL, [], None, later).source_version
        > map_deal(DEAL, PORTAL, [], None, HISTORY).source_version
    )


def test_a_users_name_is_first_and_last_name() -> None:
    assert user_name({"ID": "3", "NAME": "Анна", "LAST_NAME": "Петрова", "SECOND_NAME": "Сергеевна"}) == "Анна Петрова"
    assert user_name({"ID": "4", "NAME": " ", "LAST_NAME": ""}) is None


def test_a_deal_versioned_before_ranks_existed_is_replaced_by_its_ranked_version_of_the_same_stamp() -> None:
    """Deals published unranked (stamp + digest below a second) must not outrank what the connector publishes now."""
    stamp = datetime.fromisoformat(DEAL["DATE_MODIFY"])
    unranked_max = version(stamp, "any state") // 1_000_000 * 1_000_000 + 999_999  # the largest digest there was
    states = [map_deal(DEAL | {"TITLE": f"#{n}"}, PORTAL, [], None, HISTORY[:k]) for n in range(20) for k in range(4)]
    assert all(state.source_version > unranked_max for state in states)


def test_a_delete_is_newer_than_every_ranked_state_of_its_second() -> None:
    stamp = datetime.fromisoformat(DEAL["DATE_MODIFY"])
    longest = map_deal(DEAL, PORTAL, [], None, HISTORY * 300)  # rank capped at 999
    deleted = deleted_event(PORTAL, "deal", longest.entity_id, stamp)
    assert deleted.source_version > longest.source_version
