"""``/api/v1/admin/integrations``: where the MoySklad account is and how to log in (secrets never returned)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response, status
from sqlalchemy.ext.asyncio import AsyncSession

from crm_common.errors import AppError, BadRequest, Forbidden, NotFound, Unauthorized, error_responses
from crm_common.security import Permission, require_permission
from moysklad_connector.client import AuthenticationFailed, Credentials, MoySkladClient, MoySkladError, PacingConfig
from moysklad_connector.deps import db_session, settings
from moysklad_connector.integrations import service
from moysklad_connector.integrations import status as integration_status
from moysklad_connector.integrations.models import Integration
from moysklad_connector.integrations.repository import IntegrationRepository
from moysklad_connector.integrations.schemas import CheckIn, CheckOut, IntegrationIn, IntegrationOut
from moysklad_connector.settings import ConnectorSettings
from moysklad_connector.sync.scheduler import SyncScheduler

router = APIRouter(
    prefix="/api/v1/admin/integrations",
    tags=["integrations"],
    dependencies=[Depends(require_permission(Permission.ADMIN_INTEGRATIONS))],
)
AUTH_ERRORS = (Unauthorized, Forbidden)


class UpstreamUnavailable(AppError):
    status_code = 502


async def _out(session: AsyncSession, request: Request, row: Integration) -> IntegrationOut:
    last = await integration_status.last_sync(session, row.id)
    return IntegrationOut(
        id=row.id,
        base_url=row.base_url,
        auth_kind=row.auth_kind,
        username=row.username,
        enabled=row.enabled,
        account_id=row.account_id,
        source="stored",
        updated_at=row.updated_at,
        last_sync=last,
        next_run=integration_status.next_run(row.enabled, _scheduler(request)),
        health=integration_status.health(row.enabled, last),
    )


def _scheduler(request: Request) -> SyncScheduler | None:
    scheduler: SyncScheduler | None = getattr(request.app.state, "scheduler", None)
    return scheduler if scheduler is not None and scheduler.next_round_at is not None else None


@router.get("", response_model=list[IntegrationOut], responses=error_responses(*AUTH_ERRORS))
async def list_integrations(
    request: Request,
    session: AsyncSession = Depends(db_session, scope="function"),
    config: ConnectorSettings = Depends(settings),
) -> list[IntegrationOut]:
    """List integrations without their secrets, with their last sync, next run and health."""
    rows = [await _out(session, request, row) for row in await IntegrationRepository(session).all()]
    env = service.from_settings(config)
    if not any(r.id == env.id for r in rows) and (config.moysklad_username or config.moysklad_token):
        kind = "token" if env.credentials.token else "basic"
        last = await integration_status.last_sync(session, env.id)
        rows.insert(
            0,
            IntegrationOut(
                id=env.id,
                base_url=env.credentials.base_url,
                auth_kind=kind,
                username=env.credentials.username,
                enabled=True,
                account_id=None,
                source="environment",
                last_sync=last,
                next_run=integration_status.next_run(True, _scheduler(request)),
                health=integration_status.health(True, last),
            ),
        )
    return rows


@router.put("", response_model=IntegrationOut, responses=error_responses(*AUTH_ERRORS))
async def put_integration(
    body: IntegrationIn,
    request: Request,
    session: AsyncSession = Depends(db_session, scope="function"),
    config: ConnectorSettings = Depends(settings),
) -> IntegrationOut:
    """Create or replace an integration; the password or token is stored encrypted."""
    row = await service.save(
        session,
        config,
        body.id,
        base_url=body.base_url,
        username=body.username,
        password=body.password.get_secret_value() if body.password else None,
        token=body.token.get_secret_value() if body.token else None,
        enabled=body.enabled,
    )
    return await _out(session, request, row)


@router.delete(
    "/{integration_id}", status_code=status.HTTP_204_NO_CONTENT, responses=error_responses(*AUTH_ERRORS, NotFound)
)
async def delete_integration(
    integration_id: str, session: AsyncSession = Depends(db_session, scope="function")
) -> Response:
    """Delete a stored integration: scheduling stops; its synced data and job history stay."""
    await service.remove(session, integration_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/test", response_model=CheckOut, responses=error_responses(*AUTH_ERRORS, BadRequest, NotFound, UpstreamUnavailable)
)
async def check_integration(
    body: CheckIn,
    session: AsyncSession = Depends(db_session, scope="function"),
    config: ConnectorSettings = Depends(settings),
) -> CheckOut:
    """Check that MoySklad accepts an integration's credentials."""
    if body.integration is not None:
        given = body.integration
        credentials = Credentials(
            given.base_url,
            given.username,
            given.password.get_secret_value() if given.password else None,
            given.token.get_secret_value() if given.token else None,
        )
    else:
        credentials = (await service.resolve(session, config, body.integration_id or "default")).credentials
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
        raise UpstreamUnavailable(f"MoySklad is not reachable at {credentials.base_url}: {type(exc).__name__}") from exc
    if body.integration is None:
        await service.record_account(session, body.integration_id or "default", employee.get("accountId"))
    return CheckOut(ok=True, account_id=employee.get("accountId"), login=employee.get("uid"))
