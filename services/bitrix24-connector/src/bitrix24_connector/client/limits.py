"""Bitrix24's limit rules for the kit's paced client (docs/bitrix24.md, "Limits").

A leaky bucket per portal: each request adds one to a counter draining ``Y`` per second, refused with 503
``QUERY_LIMIT_EXCEEDED`` once it reaches ``X`` (2/50 on ordinary plans, 5/250 on Enterprise). The kit's RateGate is
that bucket when every call weighs 1 (``units=X``, ``window=X/Y`` s). A 503 (the bucket is shared with every other
application of the portal, so ours can be full though our gate says otherwise), a 5xx and transport errors back off
with jitter; a 429 ``OPERATION_TIME_LIMIT`` is not retried here: it blocks one method, not the portal, so the client
(client/http.py) holds that method until ``operating_reset_at``. Every other error is raised at once.
"""

from __future__ import annotations

import httpx

from bitrix24_connector.client.errors import Bitrix24Error, Bitrix24Unavailable, error_for, parse_error_body
from crm_integration.http import RateGate, Verdict
from crm_integration.http.client import decode_quiet


def method_of(path: str) -> str:
    """``crm.deal.list`` of a path relative to the webhook URL."""
    return path.rsplit("/", 1)[-1].removesuffix(".json")


class Bitrix24Limits:
    def weight(self, method: str, path: str) -> int:
        return 1  # a batch of 50 calls is one request too (docs/bitrix24.md, "Limits")

    def observe(self, gate: RateGate, response: httpx.Response) -> None:
        """Bitrix24 reports nothing about the bucket; the method time is read from the body by the client."""

    def verdict(self, response: httpx.Response | None) -> Verdict:
        if response is None:
            return Verdict(retry=True, reason="transport")
        status = response.status_code
        if status == 503:
            code, _ = parse_error_body(decode_quiet(response))
            if code == "QUERY_LIMIT_EXCEEDED":
                return Verdict(True, "503_limit", limited="leaky")
            return Verdict(True, "503")
        if status == 429:
            return Verdict(False, "429_operating", limited="operating")
        return Verdict(retry=status >= 500, reason=str(status))

    def error(self, response: httpx.Response) -> Bitrix24Error:
        return error_for(response.status_code, decode_quiet(response), method_of(response.request.url.path))

    def unavailable(self, response: httpx.Response | None, path: str) -> Bitrix24Unavailable:
        method = method_of(path)
        if response is None:
            return Bitrix24Unavailable(0, "", "Bitrix24 did not answer", method)
        code, description = parse_error_body(decode_quiet(response))
        return Bitrix24Unavailable(response.status_code, code, description, method)
