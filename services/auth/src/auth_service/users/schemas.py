from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from crm_common.web.pages import OffsetField

_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")


def valid_email(value: str) -> str:
    value = value.strip().lower()
    if not _EMAIL.match(value):
        raise ValueError("not a valid email address")
    return value


class UsersQuery(BaseModel):
    """The query parameters of `GET /api/v1/admin/users` (crm_common.web.query)."""

    limit: int = Field(default=50, ge=1, le=200)
    offset: OffsetField = 0
    email: str | None = Field(default=None, max_length=254, description="Part of the email")
    is_active: bool | None = None
    sort: Literal["email", "created_at", "last_login_at"] = "email"
    direction: Literal["asc", "desc"] = "asc"


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: str = Field(max_length=254)
    password: str = Field(min_length=1, max_length=1024)
    roles: list[str] = Field(default_factory=list, max_length=50)
    is_active: bool = True

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        return valid_email(value)


class UserUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: str | None = Field(default=None, max_length=254)
    is_active: bool | None = None

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        return None if value is None else valid_email(value)


class RolesAssignment(BaseModel):
    model_config = ConfigDict(extra="forbid")

    roles: list[str] = Field(max_length=50)


class UserOut(BaseModel):
    id: uuid.UUID
    email: str
    is_active: bool
    roles: list[str]
    created_at: datetime
    updated_at: datetime
    last_login_at: datetime | None


class PasswordResetIssued(BaseModel):
    reset_token: str = Field(description="Hand it to the user out of band; it is shown once.")
    expires_at: datetime
