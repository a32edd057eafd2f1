"""HTTP shapes of integrations. Secrets come in, never go out."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator

from crm_integration.admin.status import Health, LastSync
from moysklad_connector.settings import DEFAULT_BASE_URL


class IntegrationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(default="default", min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
    base_url: str = Field(default=DEFAULT_BASE_URL, pattern=r"^https?://", max_length=500)
    username: str | None = Field(default=None, max_length=255)
    password: SecretStr | None = None
    token: SecretStr | None = None
    enabled: bool = True

    @model_validator(mode="after")
    def _credentials(self) -> IntegrationIn:
        if not self.token and not (self.username and self.password):
            raise ValueError("give either a token or a username and password")
        return self


class IntegrationOut(BaseModel):
    id: str
    base_url: str
    auth_kind: str = Field(description="`basic` (login and password) or `token`.")
    username: str | None
    enabled: bool
    account_id: str | None
    source: str = Field(description="`stored` (set through this API) or `environment`.")
    updated_at: datetime | None = None
    last_sync: LastSync | None = None
    next_run: datetime | None = Field(default=None, description="The next scheduled sync; null when none is planned.")
    health: Health = Field(
        default="never_synced",
        description="`ok` (last sync clean), `degraded` (skipped objects or interrupted), `failing`, `never_synced`, "
        "`disabled`.",
    )


class CheckIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    integration_id: str | None = Field(default=None, description="Test a stored integration...")
    integration: IntegrationIn | None = Field(default=None, description="...or credentials not saved yet.")
