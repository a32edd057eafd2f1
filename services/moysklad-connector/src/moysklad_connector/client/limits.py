"""MoySklad's limit rules for the kit's paced client (docs/moysklad.md, "Rate limits and errors").

A bucket of ``X-RateLimit-Limit`` units per ``X-Lognex-Retry-TimeInterval`` ms, reported with every response; our
estimate can only go down to ``X-RateLimit-Remaining``. A window 429 (code 1049, ``X-Lognex-Retry-After`` present)
waits the announced time for every request; a parallel 429 (code 1073, no Retry-After) and 5xx/transport errors back
off exponentially with jitter; any other 4xx is raised at once, since repeating it only counts toward MoySklad's
auto-ban (same page). Parallelism is capped separately, because the headers do not cover the 5-in-flight limit.
"""

from __future__ import annotations

import httpx

from crm_integration.http import RateGate, Verdict
from crm_integration.http.client import decode_quiet
from moysklad_connector.client.errors import (
    AuthenticationFailed,
    MoySkladError,
    MoySkladUnavailable,
    parse_error_body,
)

STOCK_REPORT_PREFIXES = ("report/stock/all", "report/stock/bystore")


class MoySkladLimits:
    def __init__(self, request_weight: int, stock_report_weight: int) -> None:
        self.request_weight, self.stock_report_weight = request_weight, stock_report_weight

    def weight(self, method: str, path: str) -> int:
        relative = path.split("/api/remap/1.2/", 1)[-1].lstrip("/")
        if relative.startswith(STOCK_REPORT_PREFIXES) and "/current" not in relative:
            return self.stock_report_weight
        return self.request_weight

    def observe(self, gate: RateGate, response: httpx.Response) -> None:
        headers = response.headers
        limit = _int(headers.get("x-ratelimit-limit"))
        interval = _int(headers.get("x-lognex-retry-timeinterval"))
        if limit and interval:
            gate.resize(limit, interval)
        remaining = _int(headers.get("x-ratelimit-remaining"))
        if remaining is not None:
            # The server counted when the request arrived: as long ago as the answer took.
            gate.cap(remaining, response.elapsed.total_seconds() if _elapsed_known(response) else 0.0)

    def verdict(self, response: httpx.Response | None) -> Verdict:
        if response is None:
            return Verdict(retry=True, reason="transport")
        status = response.status_code
        if status == 429:
            retry_after = response.headers.get("x-lognex-retry-after")
            if retry_after and retry_after.isdigit() and int(retry_after) > 0:
                return Verdict(True, "429_window", limited="window", pause_seconds=int(retry_after) / 1000.0)
            return Verdict(True, "429_parallel", limited="parallel")
        return Verdict(retry=status >= 500, reason=str(status))

    def error(self, response: httpx.Response) -> MoySkladError:
        message, code = parse_error_body(decode_quiet(response))
        url = str(response.request.url)
        if response.status_code == 401:
            return AuthenticationFailed(401, message, code, url)
        return MoySkladError(response.status_code, message, code, url)

    def unavailable(self, response: httpx.Response | None, path: str) -> MoySkladUnavailable:
        if response is None:
            return MoySkladUnavailable(0, "MoySklad did not answer", url=path)
        return MoySkladUnavailable(response.status_code, parse_error_body(decode_quiet(response))[0], url=path)


def _elapsed_known(response: httpx.Response) -> bool:
    try:
        response.elapsed  # noqa: B018 - set once the answer has been read
    except RuntimeError:
        return False
    return True


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None
