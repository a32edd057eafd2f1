"""FastAPI dependencies reading what the lifespan put on ``app.state`` (the request's transaction is the kit's:
``crm_integration.admin.deps.db_session``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from moysklad_connector.settings import ConnectorSettings


def settings(request: Request) -> ConnectorSettings:
    value: ConnectorSettings = request.app.state.settings
    return value


Settings = Annotated[ConnectorSettings, Depends(settings)]
