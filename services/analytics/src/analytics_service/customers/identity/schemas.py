"""Identity requests and responses: a customer's records across sources and the decisions that shaped it."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator


class MergeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    counterparty_ids: list[str] = Field(min_length=2, max_length=50, description="Counterparties of any source.")
    reason: str = Field(default="", max_length=500)

    @field_validator("counterparty_ids")
    @classmethod
    def _distinct(cls, ids: list[str]) -> list[str]:
        if len(set(ids)) < 2:
            raise ValueError("name at least two different counterparties")
        return ids


class SplitRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    counterparty_id: str = Field(min_length=1, max_length=64)
    reason: str = Field(default="", max_length=500)


class CustomerRecord(BaseModel):
    counterparty_id: str
    source: str
    name: str
    inn: str | None
    phone: str | None
    email: str | None
    matched_by: str = Field(description="`inn`, `phone`, `email` (the key it shares), `merge` (a decision), `self`.")
    matched_value: str | None


class DecisionOut(BaseModel):
    kind: str
    counterparty_id: str
    other_id: str | None
    decided_by: str
    reason: str
    decided_at: datetime


class CustomerIdentity(BaseModel):
    customer_id: str
    records: list[CustomerRecord]
    decisions: list[DecisionOut]
