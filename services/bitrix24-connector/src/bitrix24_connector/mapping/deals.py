"""Deal funnels as pipelines (``crm.pipelines.v1``) and deals (``crm.deals.v1``).

A funnel is a deal category (``crm.category.list``, ``entityTypeId=2``); its stages are the statuses of
``DEAL_STAGE`` (funnel 0) or ``DEAL_STAGE_<n>`` (``crm.status.list``), in ``SORT`` order, with the semantics in
``SEMANTICS`` (``S`` won, ``F`` lost, empty in progress) or ``EXTRA.SEMANTICS`` (docs/bitrix24.md, "CRM entities").
A deal's stage semantics is its ``STAGE_SEMANTIC_ID`` (``P``/``S``/``F``); its money is ``OPPORTUNITY`` (a string with
two decimals) in ``CURRENCY_ID``; its product rows come from ``crm.deal.productrows.get``.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from bitrix24_connector.mapping import products
from bitrix24_connector.mapping.common import (
    Unmappable,
    decimal_of,
    envelope,
    optional_time,
    parse_time,
    require,
    version,
)
from bitrix24_connector.mapping.history import map_stage_history
from crm_common.events.envelope import EventEnvelope
from crm_common.events.models import Deal, DealPosition, Money, Pipeline, PipelineStage, StageSemantics

SEMANTIC_IDS = {"P": StageSemantics.OPEN, "S": StageSemantics.WON, "F": StageSemantics.LOST}
STATUS_SEMANTICS = {
    "S": StageSemantics.WON,
    "F": StageSemantics.LOST,
    "success": StageSemantics.WON,
    "failure": StageSemantics.LOST,
    "process": StageSemantics.OPEN,
}


def stage_entity(category_id: int) -> str:
    """The ``ENTITY_ID`` of a funnel's stages in ``crm.status.list``."""
    return "DEAL_STAGE" if category_id == 0 else f"DEAL_STAGE_{category_id}"


def stage_semantics(status: dict[str, Any]) -> StageSemantics:
    extra = status.get("EXTRA") if isinstance(status.get("EXTRA"), dict) else {}
    for value in (status.get("SEMANTICS"), (extra or {}).get("SEMANTICS")):
        if value:
            if value not in STATUS_SEMANTICS:
                raise Unmappable(f"stage {status.get('STATUS_ID')} has unknown semantics {value!r}")
            return STATUS_SEMANTICS[value]
    return StageSemantics.OPEN


def map_pipeline(
    category: dict[str, Any], statuses: list[dict[str, Any]], portal: str, seen_at: datetime, digest: str
) -> EventEnvelope:
    """A funnel with its stages; versioned by when the connector first saw this content (funnels carry no stamp)."""
    if category.get("id") is None:
        raise Unmappable("the category has no id")
    stages = sorted(statuses, key=lambda s: (int(s.get("SORT") or 0), str(s.get("STATUS_ID"))))
    pipeline = Pipeline(
        id=str(category["id"]),
        name=str(category.get("name") or "").strip() or f"Funnel {category['id']}",
        sort=int(category.get("sort") or 0),
        is_default=category.get("isDefault") in ("Y", True),
        stages=[
            PipelineStage(
                id=require(s, "STATUS_ID"),
                name=str(s.get("NAME") or s["STATUS_ID"]),
                sort=int(s.get("SORT") or 0),
                semantics=stage_semantics(s),
            )
            for s in stages
        ],
        updated_at=seen_at,
    )
    return envelope("pipeline.upserted", portal, pipeline.id, version(seen_at, digest), pipeline, seen_at)


def map_position(row: dict[str, Any]) -> DealPosition:
    """A product row: ``PRICE`` is the unit price after discount, ``QUANTITY`` a number; ``PRODUCT_ID`` is the
    catalog product as published on ``catalog.products.v1`` (docs/bitrix24.md, "Product catalog")."""
    quantity = decimal_of(row.get("QUANTITY"), "QUANTITY")
    price = decimal_of(row.get("PRICE"), "PRICE")
    return DealPosition(
        id=require(row, "ID"),
        product_id=products.product_id(row.get("PRODUCT_ID")),
        name=str(row.get("PRODUCT_NAME") or row.get("ORIGINAL_PRODUCT_NAME") or "").strip() or f"row {row['ID']}",
        quantity=quantity,
        price=price,
        discount_percent=decimal_of(row.get("DISCOUNT_RATE"), "DISCOUNT_RATE"),
        amount=(quantity * price).quantize(Decimal("0.01")),
    )


def _party(prefix: str, value: Any) -> str | None:
    return None if value in (None, "", "0", 0) else f"{prefix}-{value}"


def map_deal(
    record: dict[str, Any],
    portal: str,
    rows: list[dict[str, Any]],
    users: dict[str, str | None] | None = None,
    history: list[dict[str, Any]] | None = None,
) -> EventEnvelope:
    """A deal with its product rows, the names of ``users`` (``ASSIGNED_BY_ID`` -> name) and its stage ``history``
    (``crm.stagehistory.list`` items; mapping/history.py)."""
    deal_id = require(record, "ID")
    semantic = str(record.get("STAGE_SEMANTIC_ID") or "")
    if semantic not in SEMANTIC_IDS:
        raise Unmappable(f"STAGE_SEMANTIC_ID {semantic!r} is not P, S or F")
    semantics = SEMANTIC_IDS[semantic]
    currency = str(record.get("CURRENCY_ID") or "").strip()
    if len(currency) != 3:
        raise Unmappable(f"CURRENCY_ID {currency!r} is not a currency code")
    updated = parse_time(record.get("DATE_MODIFY"), "DATE_MODIFY")
    created = parse_time(record.get("DATE_CREATE"), "DATE_CREATE")
    closed = semantics is not StageSemantics.OPEN
    responsible = record.get("ASSIGNED_BY_ID")
    responsible_id = str(responsible) if responsible not in (None, "") else None
    close_date = optional_time(record.get("CLOSEDATE"), "CLOSEDATE")
    stage_history = map_stage_history(history or [], deal_id)
    deal = Deal(
        id=deal_id,
        title=str(record.get("TITLE") or "").strip() or f"Deal {deal_id}",
        pipeline_id=str(int(record.get("CATEGORY_ID") or 0)),
        stage_id=require(record, "STAGE_ID"),
        stage_semantics=semantics,
        amount=Money(amount=decimal_of(record.get("OPPORTUNITY"), "OPPORTUNITY"), currency=currency),
        company_id=_party("company", record.get("COMPANY_ID")),
        contact_id=_party("contact", record.get("CONTACT_ID")),
        responsible_id=responsible_id,
        responsible_name=(users or {}).get(responsible_id or ""),
        positions=[map_position(row) for row in rows],
        stage_history=stage_history,
        expected_close_date=None if closed or close_date is None else close_date.date(),
        closed=closed,
        closed_at=close_date if closed else None,
        created_at=created,
        updated_at=updated,
    )
    # History only grows, and the record catches up with it (docs/bitrix24.md, "Stage history"): a move read before
    # the deal's own stamp shows it still orders after what was published before, and within one second a longer
    # history, then one that ends in the record's stage, is the newer state.
    moment = max([updated, *(change.entered_at for change in stage_history)])
    caught_up = bool(stage_history) and stage_history[-1].stage_id == deal.stage_id
    rank = 2 * len(stage_history) + int(caught_up)
    source_version = version(moment, record, rows, history or [], deal.responsible_name, rank=rank)
    return envelope("deal.upserted", portal, deal_id, source_version, deal, updated)
