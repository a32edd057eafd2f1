"""A deal's stage history (``crm.stagehistory.list``) and its responsible person's name (``user.get``), mapped.

Each history item says when the deal entered ``STAGE_ID`` (``CREATED_TIME``, with the portal's offset); ``TYPE_ID``
1 is the deal's creation, 2 a move to an intermediate stage, 3 to a final one, 5 to another funnel (docs/bitrix24.md,
"Stage history"). A user's name is ``NAME`` and ``LAST_NAME`` (docs/bitrix24.md, "Users").
"""

from __future__ import annotations

from typing import Any

from bitrix24_connector.mapping.common import Unmappable, parse_time, require
from crm_common.events.models import StageChange


def map_stage_history(items: list[dict[str, Any]], deal_id: str) -> list[StageChange]:
    """Every stage the deal entered, oldest first (by ``CREATED_TIME``, then by the item's ``ID``)."""
    keyed = []
    for item in items:
        if str(item.get("OWNER_ID")) != deal_id:
            raise Unmappable(f"stage history item {item.get('ID')} belongs to deal {item.get('OWNER_ID')}")
        entered = parse_time(item.get("CREATED_TIME"), "CREATED_TIME")
        keyed.append(
            ((entered, int(require(item, "ID"))), StageChange(stage_id=require(item, "STAGE_ID"), entered_at=entered))
        )
    return [change for _, change in sorted(keyed, key=lambda pair: pair[0])]


def user_name(user: dict[str, Any]) -> str | None:
    """``NAME LAST_NAME`` as the portal shows a person; ``None`` when both are empty."""
    name = " ".join(str(user.get(part) or "").strip() for part in ("NAME", "LAST_NAME")).strip()
    return name or None
