"""Print the gateway's merged OpenAPI document, built offline from the services' code (no process, no network).

The console's typed API client is generated from this document at every build, so an API change that breaks the
console breaks `npm run build` (tsc), not the user. The merge is the gateway's own (`merge_specs`), the same the live
`/api/v1/openapi.json` serves.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from fastapi import FastAPI


def service_apps() -> dict[str, FastAPI]:
    from analytics_service.app import create_app as analytics
    from auth_service.app import create_app as auth
    from catalog_service.app import create_app as catalog
    from inventory_service.app import create_app as inventory
    from moysklad_connector.app import create_app as connector

    return {
        "auth": auth(),
        "catalog": catalog(),
        "inventory": inventory(),
        "analytics": analytics(),
        "moysklad-connector": connector(),
    }


def merged() -> dict[str, Any]:
    from gateway_service.app import create_app
    from gateway_service.docs.merge import merge_specs
    from gateway_service.routing.table import RoutingTable, build_routes
    from gateway_service.settings import GatewaySettings

    s = GatewaySettings()
    gateway = create_app(s)
    table = RoutingTable(build_routes(s), s.public_paths)
    specs = {name: app.openapi() for name, app in service_apps().items()}
    return merge_specs(gateway.openapi(), specs, table, [])


if __name__ == "__main__":
    json.dump(merged(), sys.stdout, ensure_ascii=False, indent=1, sort_keys=True)
    sys.stdout.write("\n")
