"""HTTP shapes of Bitrix24 integrations. The webhook URL and application token come in, never go out."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from bitrix24_connector.integrations.service import split_webhook_url
from crm_integration.admin.status import Health, LastSync


class IntegrationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(default="default", min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
    webhook_url: SecretStr = Field(description="The incoming webhook, `https://<portal>/rest/<user_id>/<code>/`.")
    application_token: SecretStr | None = Field(
        default=None, description="`auth[application_token]` of the portal's outbound events (checks them)."
    )
    enabled: bool = True

    @field_validator("webhook_url")
    @classmethod
    def _webhook(cls, value: SecretStr) -> SecretStr:
        split_webhook_url(value.get_secret_value())
        return value


class IntegrationOut(BaseModel):
    id: str
    base_url: str = Field(description="The portal's REST root, `https://<portal>/rest/`.")
    auth_kind: str = Field(description="`webhook` (an incoming webhook).")
    username: str | None = Field(description="The user id the webhook acts as.")
    enabled: bool
    account_id: str | None = Field(description="The portal (host) the integration reaches.")
    source: str = Field(description="`stored` (set through this API) or `environment`.")
    updated_at: datetime | None = None
    last_sync: LastSync | None = None
    next_run: datetime | None = Field(default=None, description="The next scheduled sync; null when none is planned.")
    health: Health = "never_synced"


class CheckIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    integration_id: str | None = Field(default=None, description="Test a stored integration...")
    integration: IntegrationIn | None = Field(default=None, description="...or a webhook URL not saved yet.")
