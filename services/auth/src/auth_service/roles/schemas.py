from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from crm_common.web.pages import OffsetField

ROLE_NAME = r"^[a-z][a-z0-9_-]{1,63}$"


class RolesQuery(BaseModel):
    """The query parameters of `GET /api/v1/admin/roles` (crm_common.web.query)."""

    limit: int = Field(default=50, ge=1, le=200)
    offset: OffsetField = 0


class RoleCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=ROLE_NAME)
    description: str = Field(default="", max_length=500)
    permissions: list[str] = Field(default_factory=list, max_length=200)


class RoleUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    description: str | None = Field(default=None, max_length=500)
    permissions: list[str] | None = Field(default=None, max_length=200)


class RoleOut(BaseModel):
    name: str
    description: str
    built_in: bool
    permissions: list[str]
    created_at: datetime
    updated_at: datetime


class PermissionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    name: str
    description: str
