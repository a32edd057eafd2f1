"""``/api/v1/admin/integrations``: where a connector's accounts are and how to log in (secrets never returned).

The routes are the same for every source; what differs is the source's credential schema, which the connector passes
as a :class:`CredentialSchema`: the request and response shapes, the fields of a stored row it shows, the integration
the environment configures, how a body is saved (the secret encrypted with crm_integration.credentials.SecretBox), and
how credentials are tested against the source.
"""

from __future__ import annotations

from typing import Any, Protocol

from fastapi import APIRouter, Depends, Request, Response, status
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from crm_common.errors import AppError, BadRequest, Forbidden, NotFound, Unauthorized, error_responses
from crm_common.security import Permission, require_permission
from crm_integration.admin.deps import DbSession, typed
from crm_integration.admin.status import health, last_sync, next_run
from crm_integration.credentials import IntegrationRepository
from crm_integration.jobs import SyncTables
from crm_integration.scheduler import SyncScheduler
from crm_integration.tables import IntegrationRow

AUTH_ERRORS = (Unauthorized, Forbidden)


class UpstreamUnavailable(AppError):
    status_code = 502


class CheckOut(BaseModel):
    ok: bool
    account_id: str | None
    login: str | None


class CredentialSchema(Protocol):
    """What a source says about its integrations."""

    model: type[IntegrationRow]  # the connector's integrations table
    body: type[BaseModel]  # PUT: id, enabled and the source's credential fields (secrets as SecretStr)
    check_body: type[BaseModel]  # POST /test: a stored integration's id or unsaved credentials
    out: type[BaseModel]  # one integration as listed, without its secret
    put_description: str
    test_description: str

    def fields(self, row: Any) -> dict[str, Any]:
        """The source's fields of a stored integration, for ``out`` (never the secret)."""
        ...

    def environment(self, request: Request) -> dict[str, Any] | None:
        """``id`` and the fields of the integration the environment configures, or None when it configures none."""
        ...

    async def save(self, session: AsyncSession, request: Request, body: Any) -> Any:
        """Create or replace a stored integration from a PUT body; returns the row."""
        ...

    async def remove(self, session: AsyncSession, request: Request, integration_id: str) -> None: ...

    async def check(self, session: AsyncSession, request: Request, body: Any) -> CheckOut:
        """One quick request to the source with the given or stored credentials."""
        ...


def integrations_router(
    schema: CredentialSchema, tables: SyncTables[Any, Any], prefix: str = "/api/v1/admin/integrations"
) -> APIRouter:
    """The routes under ``prefix``: a second connector behind the same gateway takes its own (Bitrix24's
    ``/api/v1/admin/bitrix24/integrations``)."""
    router = APIRouter(
        prefix=prefix,
        tags=["integrations"],
        dependencies=[Depends(require_permission(Permission.ADMIN_INTEGRATIONS))],
    )

    def scheduler(request: Request) -> SyncScheduler | None:
        running: SyncScheduler | None = getattr(request.app.state, "scheduler", None)
        return running if running is not None and running.next_round_at is not None else None

    async def out(session: AsyncSession, request: Request, integration_id: str, **fields: Any) -> BaseModel:
        enabled = fields.setdefault("enabled", True)
        last = await last_sync(session, tables, integration_id)
        run_at = next_run(enabled, scheduler(request))
        return schema.out(id=integration_id, last_sync=last, next_run=run_at, health=health(enabled, last), **fields)

    async def stored(session: AsyncSession, request: Request, row: Any) -> BaseModel:
        fields = {"enabled": row.enabled, "account_id": row.account_id, "updated_at": row.updated_at}
        return await out(session, request, row.id, source="stored", **fields, **schema.fields(row))

    async def list_integrations(request: Request, session: DbSession) -> list[Any]:
        """List integrations without their secrets, with their last sync, next run and health."""
        rows = await IntegrationRepository(session, schema.model).all()
        listed = [await stored(session, request, row) for row in rows]
        env = schema.environment(request)
        if env is not None and not any(row.id == env["id"] for row in rows):
            fields = {key: value for key, value in env.items() if key != "id"}
            listed.insert(0, await out(session, request, env["id"], account_id=None, source="environment", **fields))
        return listed

    async def put_integration(body: Any, request: Request, session: DbSession) -> Any:
        return await stored(session, request, await schema.save(session, request, body))

    async def delete_integration(integration_id: str, request: Request, session: DbSession) -> Response:
        """Delete a stored integration: scheduling stops; its synced data and job history stay."""
        await schema.remove(session, request, integration_id)
        return Response(status_code=status.HTTP_204_NO_CONTENT)

    async def check_integration(body: Any, request: Request, session: DbSession) -> CheckOut:
        return await schema.check(session, request, body)

    many: Any = list[schema.out]  # type: ignore[name-defined]  # the source's shape, known only here
    router.get("", response_model=many, responses=error_responses(*AUTH_ERRORS))(list_integrations)
    router.put(
        "", response_model=schema.out, responses=error_responses(*AUTH_ERRORS), description=schema.put_description
    )(typed(put_integration, body=schema.body))
    router.delete(
        "/{integration_id}", status_code=status.HTTP_204_NO_CONTENT, responses=error_responses(*AUTH_ERRORS, NotFound)
    )(delete_integration)
    router.post(
        "/test",
        response_model=CheckOut,
        responses=error_responses(*AUTH_ERRORS, BadRequest, NotFound, UpstreamUnavailable),
        description=schema.test_description,
    )(typed(check_integration, body=schema.check_body))
    return router
