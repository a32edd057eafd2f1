"""Stage history of the generated deals (``crm.stagehistory.list``), consistent with each deal's current stage.

A deal entered its funnel's first stage when it was created (``TYPE_ID`` 1). An open deal then went through the
intermediate stages up to the one it is in; a won or lost deal went through some of them first and entered its final
stage when it closed (``DATE_MODIFY``). The moves of all deals are numbered in time order, as a portal numbers them
as they happen. A separate random stream, so the portal's other data is what it was before history was generated.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from bitrix24_simulator.crm import stagehistory
from bitrix24_simulator.data.funnel import SEMANTIC_IDS, stages_of
from bitrix24_simulator.store import Portal
from bitrix24_simulator.timefmt import iso

Move = tuple[datetime, int, int, dict[str, Any]]  # (when, deal id, step, the deal as of that stage)


def generate_stage_history(portal: Portal) -> None:
    rng = random.Random(f"bitrix24-stagehistory:{portal.settings.seed}")  # noqa: S311 - simulated data
    moves: list[Move] = []
    for deal in portal.records("deal"):
        moves += _moves(portal, rng, deal)
    for when, _, step, deal in sorted(moves, key=lambda m: m[:3]):
        kind = stagehistory.CREATED if step == 0 else stagehistory.type_of(deal)
        stagehistory.record(portal, deal, kind, iso(when))


def _moves(portal: Portal, rng: random.Random, deal: dict[str, Any]) -> list[Move]:
    stages = stages_of(portal, int(deal["CATEGORY_ID"]))
    process = [s for s in stages if s["EXTRA"]["SEMANTICS"] == "process"]
    ids = [s["STATUS_ID"] for s in process]
    current = deal["STAGE_ID"]
    if current in ids:
        path = process[: ids.index(current) + 1]
    else:  # won or lost: some intermediate stages first (at least the first), then the final one
        low = len(process) // 2 + 1 if deal["STAGE_SEMANTIC_ID"] == "S" else 1
        final = [s for s in stages if s["STATUS_ID"] == current]
        path = [*process[: rng.randint(min(low, len(process)), len(process))], *final]
    created = datetime.fromisoformat(deal["DATE_CREATE"])
    last = max(datetime.fromisoformat(deal["DATE_MODIFY"]), created)
    span = (last - created).total_seconds()
    inner = sorted(created + timedelta(seconds=rng.uniform(0, span)) for _ in range(len(path) - 2))
    times = [created] if len(path) == 1 else [created, *inner, last]
    deal_id = int(deal["ID"])
    return [
        (when, deal_id, step, {**deal, "STAGE_ID": s["STATUS_ID"], "STAGE_SEMANTIC_ID": _semantic(s)})
        for step, (when, s) in enumerate(zip(times, path, strict=True))
    ]


def _semantic(status: dict[str, Any]) -> str:
    return SEMANTIC_IDS[status["EXTRA"]["SEMANTICS"]]
