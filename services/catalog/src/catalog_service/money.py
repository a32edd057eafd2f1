"""API shapes shared by the catalog's features: money and prices as exact decimal strings."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, PlainSerializer

# Money and quantities leave the API as strings ("1234.50"), never as JSON floats
# (docs/architecture.md, "Money, time, quantities").
DecimalStr = Annotated[Decimal, PlainSerializer(lambda d: str(d), return_type=str, when_used="json")]


class MoneyOut(BaseModel):
    amount: DecimalStr
    currency: str


class PriceOut(BaseModel):
    price_type: str
    price_type_id: str | None = None
    amount: DecimalStr
    currency: str


def money_out(amount: Decimal | None, currency: str | None) -> MoneyOut | None:
    return None if amount is None else MoneyOut(amount=amount, currency=currency or "RUB")


def money_columns(prefix: str, money: Any) -> dict[str, Any]:
    """``{prefix}_amount`` / ``{prefix}_currency`` column values from a canonical ``Money`` (or None)."""
    if money is None:
        return {f"{prefix}_amount": None, f"{prefix}_currency": None}
    return {f"{prefix}_amount": money.amount, f"{prefix}_currency": money.currency}
