"""Output types every API shares: money and quantities leave as exact decimal strings ("1234.50"), never as JSON
floats (docs/architecture.md, "Money, time, quantities")."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, PlainSerializer

DecimalStr = Annotated[Decimal, PlainSerializer(lambda d: str(d), return_type=str, when_used="json")]


class MoneyOut(BaseModel):
    amount: DecimalStr
    currency: str
