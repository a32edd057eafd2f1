"""RFM scoring and the classic recency × frequency segment grid. Pure functions."""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal


@dataclass(frozen=True)
class Segment:
    code: str
    name_ru: str
    name_en: str


SEGMENTS = {
    s.code: s
    for s in (
        Segment("champions", "Чемпионы", "Champions"),
        Segment("loyal", "Лояльные", "Loyal"),
        Segment("potential_loyalist", "Потенциально лояльные", "Potential loyalists"),
        Segment("new", "Новые", "New customers"),
        Segment("promising", "Перспективные", "Promising"),
        Segment("need_attention", "Требуют внимания", "Need attention"),
        Segment("about_to_sleep", "Засыпающие", "About to sleep"),
        Segment("at_risk", "В зоне риска", "At risk"),
        Segment("cant_lose", "Нельзя потерять", "Can't lose them"),
        Segment("hibernating", "Спящие", "Hibernating"),
    )
}


def segment_for(r: int, f: int) -> Segment:
    """The grid: rows are recency scores 1..5, columns frequency scores 1..5."""
    if r <= 2:
        code = "hibernating" if f <= 2 else "at_risk" if f <= 4 else "cant_lose"
    elif r == 3:
        code = "about_to_sleep" if f <= 2 else "need_attention" if f == 3 else "loyal"
    elif r == 4:
        code = "promising" if f == 1 else "potential_loyalist" if f <= 3 else "loyal"
    else:
        code = "new" if f == 1 else "potential_loyalist" if f <= 3 else "champions"
    return SEGMENTS[code]


def quintile_scores(values: Sequence[Decimal | int]) -> list[int]:
    """Score 1..5 by the share of customers with a strictly smaller value, so ties share one score."""
    ordered = sorted(values)
    n = len(ordered)
    return [1 + min(4, 5 * bisect.bisect_left(ordered, v) // n) for v in values] if n else []


@dataclass(frozen=True)
class CustomerStats:
    customer_id: str
    last_day: date
    frequency: int
    monetary: Decimal


@dataclass(frozen=True)
class Scored:
    stats: CustomerStats
    recency_days: int
    r: int
    f: int
    m: int
    segment: Segment


def score(customers: Sequence[CustomerStats], as_of: date) -> list[Scored]:
    recency = [(as_of - c.last_day).days for c in customers]
    # Fewer days since the last purchase is better, so score the negated recency.
    r_scores = quintile_scores([-d for d in recency])
    f_scores = quintile_scores([c.frequency for c in customers])
    m_scores = quintile_scores([c.monetary for c in customers])
    return [
        Scored(c, d, r, f, m, segment_for(r, f))
        for c, d, r, f, m in zip(customers, recency, r_scores, f_scores, m_scores, strict=True)
    ]
