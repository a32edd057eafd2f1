"""ABC (Pareto share of a measure) and XYZ (coefficient of variation of demand) classes. Pure functions."""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from decimal import Decimal


def abc(values: Mapping[str, Decimal], a_share: Decimal, b_share: Decimal) -> dict[str, str]:
    """A while the running share (including the item) is within ``a_share``, B within ``b_share``, else C.

    The item that crosses a boundary still belongs to the upper class, so a single dominant item is A. Items with no
    positive contribution are C.
    """
    positive = sorted(((v, k) for k, v in values.items() if v > 0), key=lambda t: (-t[0], t[1]))
    total = sum((v for v, _ in positive), Decimal(0))
    classes = {k: "C" for k in values}
    running = Decimal(0)
    for value, key in positive:
        share_before = running / total
        running += value
        classes[key] = "A" if share_before < a_share else "B" if share_before < b_share else "C"
    return classes


def coefficient_of_variation(series: Sequence[Decimal]) -> Decimal | None:
    """Population standard deviation over mean; None when there was no demand at all."""
    floats = [float(x) for x in series]
    mean = statistics.fmean(floats) if floats else 0.0
    if mean <= 0:
        return None
    return Decimal(str(round(statistics.pstdev(floats) / mean, 4)))


def xyz(cv: Decimal | None, x_max: Decimal, y_max: Decimal) -> str:
    if cv is None:
        return "Z"
    return "X" if cv <= x_max else "Y" if cv <= y_max else "Z"
