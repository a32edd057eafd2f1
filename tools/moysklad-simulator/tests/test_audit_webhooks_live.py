"""Audit feed, webhook registry and delivery, and live mode, over a real socket."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import orjson
import pytest

from moysklad_simulator import generate
from moysklad_simulator.live import LiveShop
from moysklad_simulator.testing import RunningSimulator, serve_in_thread

from .conftest import make_settings

GZIP = {"Accept-Encoding": "gzip"}


class Receiver:
    """A webhook endpoint that fails the first ``failures`` requests, then answers 200."""

    def __init__(self, failures: int = 0) -> None:
        self.failures = failures
        self.received: list[tuple[str, dict[str, Any]]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append((self.path, orjson.loads(body)))
                status = 500 if receiver.failures > 0 else 200
                receiver.failures -= 1
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait_for(self, count: int, timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        while len(self.received) < count and time.monotonic() < deadline:
            time.sleep(0.02)


@pytest.fixture
def sim() -> Iterator[RunningSimulator]:
    settings = make_settings(scale="tiny")
    with serve_in_thread(settings, generate(settings)) as running:
        yield running


def _client(sim: RunningSimulator) -> httpx.Client:
    return httpx.Client(base_url=sim.api_url, auth=sim.basic_auth, headers=GZIP)


def test_update_webhook_is_delivered_with_request_id(sim: RunningSimulator) -> None:
    receiver = Receiver()
    with _client(sim) as client:
        hook = client.post(
            "/entity/webhook",
            json={"url": receiver.url, "action": "UPDATE", "entityType": "product", "diffType": "FIELDS"},
        ).json()
        assert (hook["method"], hook["enabled"], hook["meta"]["type"]) == ("POST", True, "webhook")
        shop = LiveShop(sim.state)
        shop._price()
        receiver.wait_for(1)
    path, body = receiver.received[0]
    assert "requestId=" in path
    deadline = time.monotonic() + 5  # the log entry is written once the receiver's answer is back
    while (
        not (delivered := [e for e in sim.state.webhook_log if e["url"] == receiver.url])
        and time.monotonic() < deadline
    ):
        time.sleep(0.02)
    assert delivered[0]["status"] in (200, 204)
    assert 0 < delivered[0]["deliveredAfterMs"] < 10_000  # the change-to-API benchmark's floor comes from this
    event = body["events"][0]
    assert (event["action"], event["meta"]["type"], event["updatedFields"]) == ("UPDATE", "product", ["salePrices"])
    assert event["meta"]["href"].startswith(sim.api_url)
    assert body["auditContext"]["meta"]["type"] == "audit"


def test_failed_delivery_is_retried_with_the_same_request_id(sim: RunningSimulator) -> None:
    receiver = Receiver(failures=2)
    with _client(sim) as client:
        client.post("/entity/webhook", json={"url": receiver.url, "action": "CREATE", "entityType": "product"})
        LiveShop(sim.state)._create()
        receiver.wait_for(3)
    ids = {path.split("requestId=")[1] for path, _ in receiver.received}
    assert len(receiver.received) == 3
    assert len(ids) == 1


def test_delivery_gives_up_after_three_retries(sim: RunningSimulator) -> None:
    receiver = Receiver(failures=100)
    with _client(sim) as client:
        client.post("/entity/webhook", json={"url": receiver.url, "action": "CREATE", "entityType": "product"})
        LiveShop(sim.state)._create()
        receiver.wait_for(5, timeout=1.5)
    assert len(receiver.received) == 4


def test_duplicate_webhook_gives_30003(sim: RunningSimulator) -> None:
    with _client(sim) as client:
        spec = {"url": "http://127.0.0.1:9/x", "action": "DELETE", "entityType": "product"}
        assert client.post("/entity/webhook", json=spec).status_code == 200
        response = client.post("/entity/webhook", json=spec)
    assert response.json()["errors"][0]["code"] == 30003


def test_webhooks_list_disable_and_delete(sim: RunningSimulator) -> None:
    with _client(sim) as client:
        hook = client.post(
            "/entity/webhook", json={"url": "http://127.0.0.1:9/y", "action": "CREATE", "entityType": "demand"}
        ).json()
        disabled = client.put(f"/entity/webhook/{hook['id']}", json={"enabled": False}).json()
        listed = client.get("/entity/webhook").json()["rows"]
        deleted = client.delete(f"/entity/webhook/{hook['id']}")
        after = client.get(f"/entity/webhook/{hook['id']}")
    assert disabled["enabled"] is False
    assert hook["id"] in {h["id"] for h in listed}
    assert deleted.status_code == 200
    assert after.status_code == 404


def test_hard_delete_shows_in_audit_and_gives_404(sim: RunningSimulator) -> None:
    shop = LiveShop(sim.state)
    shop._create()
    product_id = shop.created[0]
    shop._delete()
    with _client(sim) as client:
        gone = client.get(f"/entity/product/{product_id}")
        feed = client.get("/audit", params={"filter": "eventType=delete;entityType=product"}).json()
        events = client.get(f"/audit/{feed['rows'][0]['id']}/events").json()["rows"]
        per_entity = client.get(f"/entity/product/{product_id}/audit").json()["rows"]
    assert gone.status_code == 404
    assert feed["meta"]["limit"] == 25
    assert events[0]["entity"]["meta"]["href"].endswith(product_id)
    assert [e["eventType"] for e in per_entity] == ["delete", "create"]
    assert "diff" not in per_entity[1]


def test_live_steps_bump_updated_and_append_audit(sim: RunningSimulator) -> None:
    shop = LiveShop(sim.state)
    before = len(sim.state.audit)
    since = sim.state.next_updated()
    for _ in range(30):
        shop.step()
    assert len(sim.state.audit) > before
    with _client(sim) as client:
        changed = client.get(
            "/entity/product", params={"filter": f"updated>={since[:19]};archived=true;archived=false"}
        ).json()["meta"]["size"]
        sales = client.get("/entity/retaildemand", params={"filter": f"updated>={since[:19]}"}).json()["meta"]["size"]
    assert changed + sales > 0


def test_audit_limit_over_100_is_rejected(sim: RunningSimulator) -> None:
    with _client(sim) as client:
        response = client.get("/audit", params={"limit": 101})
    assert response.status_code == 400


def test_live_mode_runs_in_the_server() -> None:
    settings = make_settings(scale="tiny", live=True, live_interval_seconds=0.02)
    with serve_in_thread(settings, generate(settings)) as running:
        time.sleep(0.5)
        assert len(running.state.audit) > 3
