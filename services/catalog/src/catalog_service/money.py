"""API shapes shared by the catalog's features: prices as exact decimal strings (crm_common.web.types)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pydantic import BaseModel

from crm_common.web.types import DecimalStr, MoneyOut


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
