"""``/api/v1/admin/integrations`` for MoySklad: the kit's routes (crm_integration.admin.integrations) over MoySklad's
credential schema: a base URL and a login and password, or a token."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from crm_common.errors import BadRequest
from crm_integration.admin.integrations import CheckOut, UpstreamUnavailable, integrations_router
from crm_integration.tables import IntegrationRow
from moysklad_connector.client import AuthenticationFailed, Credentials, MoySkladClient, MoySkladError, PacingConfig
from moysklad_connector.integrations import service
from moysklad_connector.integrations.schemas import CheckIn, IntegrationIn, IntegrationOut
from moysklad_connector.settings import ConnectorSettings
from moysklad_connector.tables import TABLES, Integration


def _settings(request: Request) -> ConnectorSettings:
    settings: ConnectorSettings = request.app.state.settings
    return settings


class MoySkladCredentials:
    model: type[IntegrationRow] = Integration
    body: type[BaseModel] = IntegrationIn
    check_body: type[BaseModel] = CheckIn
    out: type[BaseModel] = IntegrationOut
    put_description = "Create or replace an integration; the password or token is stored encrypted."
    test_description = "Check that MoySklad accepts an integration's credentials."

    def fields(self, row: Integration) -> dict[str, Any]:
        return {"base_url": row.base_url, "auth_kind": row.auth_kind, "username": row.username}

    def environment(self, request: Request) -> dict[str, Any] | None:
        config = _settings(request)
        if not (config.moysklad_username or config.moysklad_token):
            return None
        env = service.from_settings(config)
        kind = "token" if env.credentials.token else "basic"
        return {
            "id": env.id,
            "base_url": env.credentials.base_url,
            "auth_kind": kind,
            "username": env.credentials.username,
        }

    async def save(self, session: AsyncSession, request: Request, body: IntegrationIn) -> Integration:
        return await service.save(
            session,
            _settings(request),
            body.id,
            base_url=body.base_url,
            username=body.username,
            password=body.password.get_secret_value() if body.password else None,
            token=body.token.get_secret_value() if body.token else None,
            enabled=body.enabled,
        )

    async def remove(self, session: AsyncSession, request: Request, integration_id: str) -> None:
        await service.remove(session, integration_id)

    async def check(self, session: AsyncSession, request: Request, body: CheckIn) -> CheckOut:
        if body.integration is not None:
            given = body.integration
            credentials = Credentials(
                given.base_url,
                given.username,
                given.password.get_secret_value() if given.password else None,
                given.token.get_secret_value() if given.token else None,
            )
        else:
            config = await service.resolve(session, _settings(request), body.integration_id or "default")
            credentials = config.credentials
        # One quick request: a test must answer promptly, not wait out MoySklad's backoff.
        pacing = PacingConfig(max_retries=1, request_timeout_seconds=15, backoff_max_seconds=1)
        try:
            async with MoySkladClient(credentials, pacing) as client:
                employee = await client.get("context/employee")
        except AuthenticationFailed as exc:
            raise BadRequest(f"MoySklad rejected the credentials: {exc.message}") from exc
        except MoySkladError as exc:
            raise UpstreamUnavailable(f"MoySklad did not accept the request: {exc}") from exc
        except Exception as exc:
            raise UpstreamUnavailable(
                f"MoySklad is not reachable at {credentials.base_url}: {type(exc).__name__}"
            ) from exc
        if body.integration is None:
            await service.record_account(session, body.integration_id or "default", employee.get("accountId"))
        return CheckOut(ok=True, account_id=employee.get("accountId"), login=employee.get("uid"))


router = integrations_router(MoySkladCredentials(), TABLES)
