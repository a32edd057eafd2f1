"""The funnel of one pipeline over a cohort of deals (those created in the period), computed from facts.

How far a deal got is the latest (highest-sorted) open or won stage it ever entered, from its stage history and its
current stage; a lost deal keeps the progress it made before it was lost. A stage's ``reached`` counts the deals that
got at least that far, so conversion from one open stage to the next is ``reached(next) / reached(this)``.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from analytics_service.funnel.schemas import FunnelReport, FunnelStage, PipelineSummary, ResponsibleLoad
from analytics_service.money import percent, rub

LOST = "lost"
WON = "won"


@dataclass(frozen=True)
class Stage:
    stage_id: str
    name: str
    sort: int
    semantics: str


@dataclass(frozen=True)
class DealFacts:
    id: str
    stage_id: str
    semantics: str
    amount: Decimal
    currency: str
    responsible_id: str | None
    responsible_name: str | None
    created_at: datetime | None
    won_at: datetime | None  # closed_at, or when it entered its won stage
    furthest_sort: int | None  # the highest open/won stage sort it entered (history and current stage)


def _value(deals: list[DealFacts], currency: str) -> Decimal:
    return rub(sum((d.amount for d in deals if d.currency == currency), Decimal(0)))


def _cycle_days(won: list[DealFacts]) -> Decimal | None:
    spans = [(d.won_at - d.created_at).total_seconds() for d in won if d.won_at and d.created_at]
    if not spans:
        return None
    return (Decimal(sum(spans)) / len(spans) / 86400).quantize(Decimal("0.1"))


def funnel(
    pipeline: tuple[str, str], period: tuple[date, date], stages: list[Stage], deals: list[DealFacts], currency: str
) -> FunnelReport:
    ordered = sorted(stages, key=lambda s: (s.semantics == LOST, s.sort, s.stage_id))
    progress = [s for s in ordered if s.semantics != LOST]
    by_stage: dict[str, list[DealFacts]] = defaultdict(list)
    for d in deals:
        by_stage[d.stage_id].append(d)
    reached = {
        s.stage_id: (
            len(by_stage[s.stage_id])
            if s.semantics == LOST
            else sum(1 for d in deals if d.furthest_sort is not None and d.furthest_sort >= s.sort)
        )
        for s in ordered
    }
    following = {a.stage_id: b.stage_id for a, b in itertools.pairwise(progress)}
    rows = [
        FunnelStage(
            stage_id=s.stage_id,
            name=s.name,
            sort=s.sort,
            semantics=s.semantics,
            current_deals=len(by_stage[s.stage_id]),
            current_value=_value(by_stage[s.stage_id], currency),
            reached=reached[s.stage_id],
            conversion_to_next_percent=(
                percent(reached[following[s.stage_id]], reached[s.stage_id]) if s.stage_id in following else None
            ),
        )
        for s in ordered
    ]
    open_deals = [d for d in deals if d.semantics not in (WON, LOST)]
    won = [d for d in deals if d.semantics == WON]
    lost = sum(1 for d in deals if d.semantics == LOST)
    load: dict[str | None, list[DealFacts]] = defaultdict(list)
    for d in open_deals:
        load[d.responsible_id].append(d)
    by_responsible = sorted(
        (
            ResponsibleLoad(
                responsible_id=rid,
                responsible_name=next((d.responsible_name for d in mine if d.responsible_name), None),
                open_deals=len(mine),
                open_value=_value(mine, currency),
            )
            for rid, mine in load.items()
        ),
        key=lambda r: (-r.open_value, -r.open_deals, r.responsible_id or ""),
    )
    return FunnelReport(
        pipeline_id=pipeline[0],
        pipeline_name=pipeline[1],
        start=period[0],
        end=period[1],
        currency=currency,
        deals=len(deals),
        open=len(open_deals),
        won=len(won),
        lost=lost,
        win_rate_percent=percent(len(won), len(won) + lost),
        average_cycle_days=_cycle_days(won),
        open_value=_value(open_deals, currency),
        won_value=_value(won, currency),
        other_currency_deals=sum(1 for d in deals if d.currency != currency),
        stages=rows,
        by_responsible=by_responsible,
    )


def summary(pipeline_id: str, name: str, is_default: bool, deals: list[DealFacts], currency: str) -> PipelineSummary:
    won = sum(1 for d in deals if d.semantics == WON)
    lost = sum(1 for d in deals if d.semantics == LOST)
    open_deals = [d for d in deals if d.semantics not in (WON, LOST)]
    return PipelineSummary(
        pipeline_id=pipeline_id,
        name=name,
        is_default=is_default,
        deals=len(deals),
        open=len(open_deals),
        won=won,
        lost=lost,
        win_rate_percent=percent(won, won + lost),
        open_value=_value(open_deals, currency),
    )
