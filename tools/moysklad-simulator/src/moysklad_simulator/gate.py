"""What every MoySklad request passes before routing: gzip (415), auth (401), the parallel limit
(429/1073), injected faults, and the weighted time-window limit (429/1049) with its headers."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from fastapi import Request, Response

from moysklad_simulator import auth
from moysklad_simulator.errors import MoySkladError
from moysklad_simulator.faults import Faults
from moysklad_simulator.ratelimit import RateLimiter, parallel_error, window_error
from moysklad_simulator.responses import API_PREFIX, public_base, respond_error
from moysklad_simulator.store import SimulatorState

Handler = Callable[[Request], Awaitable[Response]]


async def gate(request: Request, call_next: Handler) -> Response:
    if not request.url.path.startswith(API_PREFIX):
        return await call_next(request)
    if "gzip" not in request.headers.get("accept-encoding", "").lower():
        return Response(b"", status_code=415)
    state: SimulatorState = request.app.state.sim
    request.app.state.last_base = public_base(request)
    try:
        principal = auth.authenticate(request.headers.get("authorization"), state)
    except MoySkladError as error:
        return respond_error(request, error)
    limiter: RateLimiter = request.app.state.limiter
    faults: Faults = request.app.state.faults
    enforce = state.settings.rate_limits_enabled and faults.rate_limits_enabled
    if not limiter.enter(principal.login) and enforce:
        # The parallel limit carries no Retry-After; X-Lognex-Auth 429005 is a third-party observation
        # (docs/moysklad.md, "Rate limits and errors").
        return _with(respond_error(request, parallel_error()), {"X-Lognex-Auth": "429005"})
    try:
        return await _limited(request, call_next, principal, enforce)
    finally:
        limiter.leave(principal.login)


async def _limited(request: Request, call_next: Handler, principal: auth.Principal, enforce: bool) -> Response:
    state: SimulatorState = request.app.state.sim
    limiter: RateLimiter = request.app.state.limiter
    faults: Faults = request.app.state.faults
    if faults.latency_ms:  # inside the in-flight count, so slow responses also exercise the parallel limit
        await asyncio.sleep(faults.latency_ms / 1000)
    if faults.storm_429_probability and state.fault_rng.random() < faults.storm_429_probability:
        retry = str(state.settings.rate_limit_window_ms)
        headers = limiter._headers(0, int(retry), int(retry))
        return _with(respond_error(request, window_error()), headers)
    if faults.error_500_probability and state.fault_rng.random() < faults.error_500_probability:
        return respond_error(request, MoySkladError(500, 1083, "Ошибка при формировании результата"))
    weight = limiter.weight(request.url.path, principal.kind)
    verdict = limiter.admit(principal.login, weight)
    limiter.record(request.url.path, weight, verdict.allowed or not enforce)
    if not verdict.allowed and enforce:
        return _with(respond_error(request, window_error()), verdict.headers)
    return _with(await call_next(request), verdict.headers)


def _with(response: Response, headers: dict[str, str]) -> Response:
    response.headers.update(headers)
    return response
