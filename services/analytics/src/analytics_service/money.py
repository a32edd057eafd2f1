"""Rounding at the API boundary: money to the kopeck, ratios to basis points of a percent."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

KOPECK = Decimal("0.01")
QTY = Decimal("0.001")


def rub(value: Decimal | int | None) -> Decimal:
    return Decimal(value or 0).quantize(KOPECK, rounding=ROUND_HALF_UP)


def qty(value: Decimal | int | None) -> Decimal:
    return Decimal(value or 0).quantize(QTY, rounding=ROUND_HALF_UP)


def percent(part: Decimal | int | None, whole: Decimal | int | None) -> Decimal | None:
    """``part / whole`` in percent to two decimals, None when ``whole`` is zero."""
    if not whole:
        return None
    return (Decimal(part or 0) * 100 / Decimal(whole)).quantize(KOPECK, rounding=ROUND_HALF_UP)


def change(current: Decimal | int | None, previous: Decimal | int | None) -> Decimal | None:
    """Relative change in percent against the previous period; None when the previous value was zero."""
    if not previous:
        return None
    return ((Decimal(current or 0) - Decimal(previous)) * 100 / abs(Decimal(previous))).quantize(
        KOPECK, rounding=ROUND_HALF_UP
    )
