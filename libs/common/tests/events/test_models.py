"""The canonical payloads accept what a producer should send and refuse what would corrupt a consumer."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from pydantic import ValidationError

from crm_common.events import models as m
from crm_common.events.topics import payload_model, topic_for

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def _deal(**changes: object) -> dict[str, object]:
    deal: dict[str, object] = {
        "id": "7",
        "title": "Поставка стеллажей",
        "pipeline_id": "0",
        "stage_id": "C0:WON",
        "stage_semantics": "won",
        "amount": {"amount": "125000.50", "currency": "RUB"},
        "company_id": "company-3",
        "stage_history": [
            {"stage_id": "C0:NEW", "entered_at": "2026-11-01T09:00:00+03:00"},
            {"stage_id": "C0:WON", "entered_at": "2026-11-20T12:00:00+03:00"},
        ],
        "closed": True,
        "closed_at": "2026-11-20T12:00:00+03:00",
        "created_at": "2026-11-01T09:00:00+03:00",
        "updated_at": "2026-11-20T12:00:00+03:00",
    }
    return deal | changes


def test_a_deal_travels_on_the_deals_topic_with_its_stage_history() -> None:
    deal = payload_model("deal.upserted").model_validate(_deal())

    assert isinstance(deal, m.Deal)
    assert topic_for("deal.upserted").base_name == "crm.deals.v1"
    assert topic_for("deal.deleted").events["deal.deleted"] is m.Deleted
    assert deal.amount.amount == Decimal("125000.50")
    assert deal.stage_semantics is m.StageSemantics.WON
    assert deal.stage_history[1].entered_at == datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "changes",
    [
        {"created_at": "2026-11-01T09:00:00"},  # no offset: which wall clock?
        {"stage_semantics": "maybe"},
        {"amount": {"amount": "10", "currency": "RUBLES"}},
        {"source_link": "https://portal.bitrix24.ru/crm/deal/details/7/"},  # source links never travel
    ],
)
def test_a_deal_that_would_mislead_a_consumer_is_refused(changes: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        m.Deal.model_validate(_deal(**changes))


def test_a_pipeline_lists_its_stages_in_order_with_their_semantics() -> None:
    pipeline = payload_model("pipeline.upserted").model_validate(
        {
            "id": "0",
            "name": "Общая",
            "is_default": True,
            "stages": [
                {"id": "C0:NEW", "name": "Новая", "sort": 10},
                {"id": "C0:WON", "name": "Сделка успешна", "sort": 60, "semantics": "won"},
                {"id": "C0:LOSE", "name": "Сделка провалена", "sort": 70, "semantics": "lost"},
            ],
            "updated_at": NOW.isoformat(),
        }
    )

    assert isinstance(pipeline, m.Pipeline)
    assert [stage.semantics for stage in pipeline.stages] == [
        m.StageSemantics.OPEN,
        m.StageSemantics.WON,
        m.StageSemantics.LOST,
    ]


def test_a_counterparty_without_the_multi_value_fields_is_still_valid_v1() -> None:
    """Producers written before ``phones``/``emails`` existed keep validating; the lists default to empty."""
    party = m.Counterparty.model_validate(
        {"id": "c1", "name": "ООО Ромашка", "phone": "+79000000001", "updated_at": NOW.isoformat()}
    )

    assert (party.phone, party.phones, party.emails) == ("+79000000001", [], [])
