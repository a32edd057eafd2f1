"""The kit's paced client driven by a source's policy: here a Bitrix24-like leaky bucket (2 requests/s, burst 50,
``503 QUERY_LIMIT_EXCEEDED``), against a scripted transport. MoySklad's policy has its own tests in the connector."""

from __future__ import annotations

import time

import httpx
import pytest

from crm_integration.http import PacedClient, RateGate, RetryConfig, Verdict
from crm_integration.http.client import decode_quiet

BASE = "https://portal.test/rest/1/code"
FAST = RetryConfig(max_retries=3, backoff_base_seconds=0.01, backoff_max_seconds=0.05, request_timeout_seconds=5)


class SourceError(Exception):
    def __init__(self, status: int, code: str) -> None:
        super().__init__(f"{status} {code}")
        self.status, self.code = status, code


class LeakyBucket:
    """Every call weighs 1; a 503 QUERY_LIMIT_EXCEEDED is retried after backoff; other errors are raised."""

    def __init__(self) -> None:
        self.observed = 0

    def weight(self, method: str, path: str) -> int:
        return 1

    def observe(self, gate: RateGate, response: httpx.Response) -> None:
        self.observed += 1

    def verdict(self, response: httpx.Response | None) -> Verdict:
        if response is None:
            return Verdict(True, "transport")
        body = decode_quiet(response) or {}
        if response.status_code == 503 and body.get("error") == "QUERY_LIMIT_EXCEEDED":
            return Verdict(True, "503_limit", limited="leaky")
        if response.status_code == 429 and "retry-after" in response.headers:
            return Verdict(True, "429", limited="window", pause_seconds=float(response.headers["retry-after"]))
        return Verdict(retry=response.status_code >= 500, reason=str(response.status_code))

    def error(self, response: httpx.Response) -> Exception:
        return SourceError(response.status_code, (decode_quiet(response) or {}).get("error", ""))

    def unavailable(self, response: httpx.Response | None, path: str) -> Exception:
        return SourceError(0 if response is None else response.status_code, "unavailable")


class Counter:
    def __init__(self) -> None:
        self.seen: list[tuple[str, ...]] = []

    def labels(self, *labels: str) -> Counter:
        self.seen.append(labels)
        return self

    def inc(self, amount: float = 1) -> None:
        pass

    def observe(self, value: float) -> None:
        pass


def scripted(responses: list[httpx.Response | Exception]) -> tuple[httpx.MockTransport, list[httpx.Request]]:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        answer = responses[min(len(seen), len(responses)) - 1]
        if isinstance(answer, Exception):
            raise answer
        return answer

    return httpx.MockTransport(handler), seen


def client(transport: httpx.MockTransport, *, rate: int = 100, burst: int = 100, **kwargs: object) -> PacedClient:
    gate = RateGate(units=burst, window_ms=int(1000 * burst / rate), share=1.0, max_parallel=2)
    return PacedClient(
        BASE,
        gate=gate,
        policy=LeakyBucket(),
        retry=FAST,
        max_connections=2,
        transport=transport,
        **kwargs,  # type: ignore[arg-type]
    )


LIMITED = httpx.Response(503, json={"error": "QUERY_LIMIT_EXCEEDED", "error_description": "Too many requests"})


async def test_the_source_limit_answer_is_retried_and_counted_by_its_kind() -> None:
    transport, seen = scripted([LIMITED, httpx.Response(200, json={"result": []})])
    rate_limited, retries = Counter(), Counter()
    from crm_integration.http import ClientMetrics

    metrics = ClientMetrics(requests=Counter(), request_seconds=Counter(), rate_limited=rate_limited, retries=retries)
    paced = client(transport, metrics=metrics)
    response = await paced.request("POST", "crm.deal.list", json={"start": 0})
    await paced.close()
    assert response.json() == {"result": []}
    assert len(seen) == 2
    assert rate_limited.seen == [("leaky",)]
    assert retries.seen == [("503_limit",)]
    assert seen[0].headers["content-type"] == "application/json"


async def test_an_answer_the_policy_does_not_retry_raises_its_error_at_once() -> None:
    transport, seen = scripted([httpx.Response(400, json={"error": "INVALID_ARG_VALUE"})])
    paced = client(transport)
    with pytest.raises(SourceError) as caught:
        await paced.request("GET", "crm.deal.get", params={"id": "1"})
    await paced.close()
    assert (caught.value.status, caught.value.code) == (400, "INVALID_ARG_VALUE")
    assert len(seen) == 1


async def test_transport_errors_are_retried_until_the_retries_run_out() -> None:
    transport, seen = scripted([httpx.ConnectError("refused")])
    paced = client(transport)
    with pytest.raises(SourceError) as caught:
        await paced.request("GET", "crm.deal.list")
    await paced.close()
    assert caught.value.status == 0
    assert len(seen) == FAST.max_retries + 1


async def test_a_leaky_bucket_of_2_per_second_lets_the_burst_through_then_paces() -> None:
    transport, _ = scripted([httpx.Response(200, json={"result": True})])
    paced = client(transport, rate=2, burst=4)
    started = time.monotonic()
    for _ in range(4):  # the burst
        await paced.request("GET", "profile")
    burst = time.monotonic() - started
    for _ in range(2):  # then 2 per second
        await paced.request("GET", "profile")
    paced_for = time.monotonic() - started - burst
    await paced.close()
    assert burst < 0.3
    assert paced_for >= 0.9


async def test_a_wait_the_source_announces_holds_every_request() -> None:
    limited = httpx.Response(429, headers={"retry-after": "0.3"})
    transport, seen = scripted([limited, httpx.Response(200, json={})])
    paced = client(transport)
    started = time.monotonic()
    await paced.request("GET", "profile")
    await paced.close()
    assert len(seen) == 2
    assert time.monotonic() - started >= 0.3


async def test_the_authorization_is_asked_for_on_every_request() -> None:
    tokens = iter(["Bearer one", "Bearer two"])
    transport, seen = scripted([httpx.Response(200, json={})])
    paced = client(transport, authorization=lambda: next(tokens))
    await paced.request("GET", "profile")
    await paced.request("GET", "profile")
    await paced.close()
    assert [r.headers["authorization"] for r in seen] == ["Bearer one", "Bearer two"]
