"""FastAPI dependencies reading what the lifespan put on ``app.state`` (the request's transaction is the kit's:
``crm_integration.admin.deps.db_session``)."""

from __future__ import annotations

from fastapi import Request

from moysklad_connector.settings import ConnectorSettings


def settings(request: Request) -> ConnectorSettings:
    value: ConnectorSettings = request.app.state.settings
    return value
