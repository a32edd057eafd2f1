"""``/api/v1/admin/bitrix24/integrations``: the kit's routes over Bitrix24's credential schema (an incoming-webhook
URL, encrypted at rest)."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from bitrix24_connector.client import AuthenticationFailed, Bitrix24Client, Bitrix24Error, PacingConfig, portal_of
from bitrix24_connector.integrations import service
from bitrix24_connector.integrations.schemas import CheckIn, IntegrationIn, IntegrationOut
from bitrix24_connector.settings import ConnectorSettings
from bitrix24_connector.tables import TABLES, Integration
from crm_common.errors import BadRequest
from crm_integration.admin.integrations import CheckOut, UpstreamUnavailable, integrations_router
from crm_integration.tables import IntegrationRow

PREFIX = "/api/v1/admin/bitrix24/integrations"


def _settings(request: Request) -> ConnectorSettings:
    settings: ConnectorSettings = request.app.state.settings
    return settings


class Bitrix24Credentials:
    model: type[IntegrationRow] = Integration
    body: type[BaseModel] = IntegrationIn
    check_body: type[BaseModel] = CheckIn
    out: type[BaseModel] = IntegrationOut
    put_description = "Create or replace a Bitrix24 integration; the webhook URL is stored encrypted."
    test_description = "Check that a Bitrix24 portal answers through an integration's incoming webhook."

    def fields(self, row: Integration) -> dict[str, Any]:
        return {"base_url": row.base_url, "auth_kind": row.auth_kind, "username": row.username}

    def environment(self, request: Request) -> dict[str, Any] | None:
        env = service.from_settings(_settings(request))
        if env is None:
            return None
        root, user = service.split_webhook_url(env.webhook_url)
        return {"id": env.id, "base_url": root, "auth_kind": "webhook", "username": user}

    async def save(self, session: AsyncSession, request: Request, body: IntegrationIn) -> Integration:
        token = body.application_token.get_secret_value() if body.application_token else None
        return await service.save(
            session,
            _settings(request),
            body.id,
            webhook_url=body.webhook_url.get_secret_value(),
            application_token=token,
            enabled=body.enabled,
        )

    async def remove(self, session: AsyncSession, request: Request, integration_id: str) -> None:
        await service.remove(session, integration_id)

    async def check(self, session: AsyncSession, request: Request, body: CheckIn) -> CheckOut:
        if body.integration is not None:
            url = body.integration.webhook_url.get_secret_value()
        else:
            url = (await service.resolve(session, _settings(request), body.integration_id or "default")).webhook_url
        pacing = PacingConfig(max_retries=1, request_timeout_seconds=15, backoff_max_seconds=1)
        try:
            async with Bitrix24Client(url, pacing) as client:
                await client.call("crm.category.list", {"entityTypeId": 2})
        except AuthenticationFailed as exc:
            raise BadRequest(f"Bitrix24 rejected the webhook: {exc.code} {exc.description}") from exc
        except Bitrix24Error as exc:
            raise UpstreamUnavailable(f"Bitrix24 did not accept the request: {exc}") from exc
        except Exception as exc:
            raise UpstreamUnavailable(f"Bitrix24 is not reachable at {portal_of(url)}: {type(exc).__name__}") from exc
        if body.integration is None:
            await service.record_account(session, body.integration_id or "default", portal_of(url))
        return CheckOut(ok=True, account_id=portal_of(url), login=service.split_webhook_url(url)[1])


router = integrations_router(Bitrix24Credentials(), TABLES, PREFIX)
