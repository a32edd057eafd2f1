"""Deal funnels (categories) and their stages.

The general funnel has id 0 and stages under ``ENTITY_ID = DEAL_STAGE``; funnel ``N`` keeps its stages under
``DEAL_STAGE_N`` with ids prefixed ``CN:`` (https://apidocs.bitrix24.com/api-reference/crm/deals/crm-deal-get.html,
``STAGE_ID``; https://apidocs.bitrix24.com/api-reference/crm/status/crm-status-list.html).
"""

from __future__ import annotations

from typing import Any

from bitrix24_simulator.store import Portal

# (category id, name, sort, [(stage code, name, semantics)])
FUNNELS: tuple[tuple[int, str, int, tuple[tuple[str, str, str], ...]], ...] = (
    (
        0,
        "Общая",
        100,
        (
            ("NEW", "Новая", "process"),
            ("PREPARATION", "Подготовка документов", "process"),
            ("PREPAYMENT_INVOICE", "Счёт на предоплату", "process"),
            ("EXECUTING", "В работе", "process"),
            ("FINAL_INVOICE", "Финальный счёт", "process"),
            ("WON", "Сделка успешна", "success"),
            ("LOSE", "Сделка провалена", "failure"),
        ),
    ),
    (
        1,
        "Опт",
        200,
        (
            ("NEW", "Заявка", "process"),
            ("NEGOTIATION", "Переговоры", "process"),
            ("CONTRACT", "Договор", "process"),
            ("WON", "Отгружено", "success"),
            ("LOSE", "Отказ", "failure"),
        ),
    ),
    (
        2,
        "Интернет-магазин",
        300,
        (
            ("NEW", "Новый заказ", "process"),
            ("PAID", "Оплачен", "process"),
            ("WON", "Доставлен", "success"),
            ("LOSE", "Отменён", "failure"),
        ),
    ),
)
SEMANTIC_IDS = {"process": "P", "success": "S", "failure": "F"}
COLORS = {"process": "#39A8EF", "success": "#7BD500", "failure": "#FF5752"}


def stage_id(category_id: int, code: str) -> str:
    return code if category_id == 0 else f"C{category_id}:{code}"


def build_funnels(portal: Portal) -> None:
    status_id = 100
    for category_id, name, sort, stages in FUNNELS:
        portal.categories.append(
            {
                "id": category_id,
                "name": name,
                "sort": sort,
                "entityTypeId": 2,
                "isDefault": "Y" if category_id == 0 else "N",
                "originId": "",
                "originatorId": "",
            }
        )
        for position, (code, stage_name, semantics) in enumerate(stages, start=1):
            status_id += 1
            portal.statuses.append(
                {
                    "ID": str(status_id),
                    "ENTITY_ID": "DEAL_STAGE" if category_id == 0 else f"DEAL_STAGE_{category_id}",
                    "STATUS_ID": stage_id(category_id, code),
                    "NAME": stage_name,
                    "NAME_INIT": stage_name,
                    "SORT": str(position * 10),
                    "SYSTEM": "Y" if code in ("NEW", "WON", "LOSE") else "N",
                    "CATEGORY_ID": None if category_id == 0 else str(category_id),
                    "COLOR": COLORS[semantics],
                    "SEMANTICS": None if semantics == "process" else SEMANTIC_IDS[semantics],
                    "EXTRA": {"SEMANTICS": semantics, "COLOR": COLORS[semantics]},
                }
            )


def stages_of(portal: Portal, category_id: int) -> list[dict[str, Any]]:
    entity = "DEAL_STAGE" if category_id == 0 else f"DEAL_STAGE_{category_id}"
    return [s for s in portal.statuses if s["ENTITY_ID"] == entity]


def semantic_of(portal: Portal, category_id: int, stage: str) -> str | None:
    """``P``/``S``/``F`` for a stage of the category, ``None`` when the stage is not in it."""
    for status in stages_of(portal, category_id):
        if status["STATUS_ID"] == stage:
            return SEMANTIC_IDS[status["EXTRA"]["SEMANTICS"]]
    return None
