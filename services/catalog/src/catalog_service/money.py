"""API shapes shared by the catalog's features: prices as exact decimal strings (crm_common.web.types), as models for
the OpenAPI document and as the plain data the routes encode once (crm_common.web.responses)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pydantic import BaseModel

from crm_common.web.responses import decimal_text
from crm_common.web.types import DecimalStr


class PriceOut(BaseModel):
    price_type: str
    price_type_id: str | None = None
    amount: DecimalStr
    currency: str


# PriceOut's fields in its order: a stored price selected in this order (and then its product) zips into its body.
PRICE_FIELDS = tuple(PriceOut.model_fields)


def money_out(amount: Decimal | None, currency: str | None) -> dict[str, Any] | None:
    """A ``MoneyOut`` as plain data (encoded once by the route: crm_common.web.responses)."""
    return None if amount is None else {"amount": amount, "currency": currency or "RUB"}


def price_out(price: dict[str, Any]) -> dict[str, Any]:
    """A ``PriceOut`` as plain data from a price stored in jsonb (a variant's), as the model would read it."""
    return {
        "price_type": price["price_type"],
        "price_type_id": price.get("price_type_id"),
        "amount": decimal_text(price["amount"]),
        "currency": price["currency"],
    }


def money_columns(prefix: str, money: Any) -> dict[str, Any]:
    """``{prefix}_amount`` / ``{prefix}_currency`` column values from a canonical ``Money`` (or None)."""
    if money is None:
        return {f"{prefix}_amount": None, f"{prefix}_currency": None}
    return {f"{prefix}_amount": money.amount, f"{prefix}_currency": money.currency}
