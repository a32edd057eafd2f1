"""What the routes read of the app: the settings (reads: crm_common.db.reading)."""

from __future__ import annotations

from fastapi import Request

from catalog_service.settings import CatalogSettings


def settings(request: Request) -> CatalogSettings:
    """The service's settings (a plain call in the route: a dependency costs FastAPI a resolution per request)."""
    value: CatalogSettings = request.app.state.settings
    return value
