"""The incoming-webhook endpoint ``/rest/<user_id>/<code>/<method>`` (``.json`` suffix allowed), GET or POST.

Order of checks for a request: the webhook (401 ``NO_AUTH_FOUND``/``expired_token``), injected faults, the leaky
bucket (503 ``QUERY_LIMIT_EXCEEDED``), then the method (``batch`` or one call). Parameters come from the query string
and a form-encoded or JSON body (https://apidocs.bitrix24.com/settings/how-to-call-rest-api/index.html).
"""

from __future__ import annotations

import asyncio
import json
import secrets
from typing import Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from bitrix24_simulator import batch
from bitrix24_simulator.calls import Caller, envelope, execute
from bitrix24_simulator.errors import B24Error, expired, internal, must_be_array, query_limit, wrong_auth
from bitrix24_simulator.faults import Faults, Stats
from bitrix24_simulator.limits import LeakyBucket
from bitrix24_simulator.params import merge, parse_pairs, parse_query
from bitrix24_simulator.store import Portal

router = APIRouter()


@router.api_route("/rest/{user_id}/{code}/{method}", methods=["GET", "POST"])
async def call(request: Request, user_id: str, code: str, method: str) -> Response:
    """Call a REST method (or ``batch``) through the incoming webhook."""
    portal: Portal = request.app.state.portal
    stats: Stats = request.app.state.stats
    method = method.removesuffix(".json").removesuffix("/")
    try:
        _authenticate(portal, user_id, code)
        await _faults(request, portal)
        _bucket(request, portal)
        params = merge(parse_query(request.url.query), await _body(request))
        caller = Caller(portal, request.app.state.meter, f"{user_id}/{code}", portal.settings.operating_limit_enabled)
        body = batch.run(caller, params) if method.lower() == "batch" else envelope(*execute(caller, method, params))
    except B24Error as error:
        stats.count(method, error.status)
        return JSONResponse(error.body(), status_code=error.status)
    stats.count(method, 200)
    return JSONResponse(body)


def _authenticate(portal: Portal, user_id: str, code: str) -> None:
    settings = portal.settings
    known = secrets.compare_digest(code, settings.webhook_code.get_secret_value())
    if user_id != str(settings.webhook_user_id) or not known:
        raise wrong_auth()
    if portal.webhook_expired:
        raise expired()


async def _faults(request: Request, portal: Portal) -> None:
    faults: Faults = request.app.state.faults
    if faults.latency_ms:
        await asyncio.sleep(faults.latency_ms / 1000)
    if faults.storm_503_probability and portal.fault_rng.random() < faults.storm_503_probability:
        raise query_limit()
    if faults.error_500_probability and portal.fault_rng.random() < faults.error_500_probability:
        raise internal()


def _bucket(request: Request, portal: Portal) -> None:
    faults: Faults = request.app.state.faults
    bucket: LeakyBucket = request.app.state.bucket
    if portal.settings.rate_limits_enabled and faults.rate_limits_enabled and not bucket.admit(portal.clock()):
        raise query_limit()


async def _body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if not raw:
        return {}
    if "json" in request.headers.get("content-type", ""):
        try:
            parsed = json.loads(raw)
        except ValueError:
            raise B24Error(400, "INVALID_REQUEST", "Invalid JSON body") from None
        if not isinstance(parsed, dict):
            raise must_be_array("params")
        return parsed
    return parse_pairs(parse_qsl(raw.decode(), keep_blank_values=True))
