"""Change-to-API latency: a price changes in the (simulated) MoySklad shop, how long until the gateway serves it.

    uv run python bench/latency_change_to_api.py [--scale tiny] [--samples 10]

Live-mode changes, one at a time: the simulator records the change with its audit event and webhook (as its live mode
does), MoySklad's webhook reaches the connector through the gateway, the connector waits its debounce and runs an
incremental sync, the event goes through Kafka to catalog, and ``GET /api/v1/products/{id}`` shows the new price.
Baseline: the connector's webhook debounce (``CONNECTOR_WEBHOOK_DEBOUNCE_SECONDS``), the floor the webhook path
imposes by design; without webhooks the floor would be the poll interval (``MOYSKLAD_SYNC_INTERVAL_MINUTES``).
Prints; asserts nothing about time.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from decimal import Decimal
from typing import Any

import httpx
from pipeline_system import admin_token, bench_system, finished_full_sync, settled_at, start_connector

from moysklad_connector.settings import ConnectorSettings
from moysklad_simulator.audit import record_event
from moysklad_simulator.testing import RunningSimulator


def change_price(sim: RunningSimulator, product: dict[str, Any]) -> Decimal:
    """What the simulator's live mode does for a price change; returns the new price in roubles."""
    price = product["salePrices"][0]
    old = price["value"]
    price["value"] = float(round(old * 1.1) + 100)
    product["updated"] = sim.state.next_updated()
    diff = {"salePrices": {"oldValue": old, "newValue": price["value"]}}
    record_event(sim.state, "update", product["_ref"], product["name"], diff)
    return Decimal(str(price["value"])) / 100


def measure(gateway: str, token: str, sim: RunningSimulator, samples: int, timeout: float = 180) -> list[float]:
    products = [p for p in sim.state.records("product") if not p["archived"] and p.get("salePrices")]
    latencies = []
    with httpx.Client(base_url=gateway, headers={"authorization": f"Bearer {token}"}, timeout=30) as client:
        for n in range(samples):
            product = products[n % len(products)]
            expected = change_price(sim, product)
            started = time.perf_counter()
            while time.perf_counter() - started < timeout:
                response = client.get(f"/api/v1/products/{product['id']}")
                prices = response.json().get("sale_prices") if response.status_code == 200 else None
                if prices and Decimal(str(prices[0]["amount"])) == expected:
                    latencies.append(time.perf_counter() - started)
                    break
                time.sleep(0.05)
            else:
                raise RuntimeError(f"price of {product['id']} not served after {timeout}s")
    return latencies


def report(latencies: list[float]) -> list[dict[str, object]]:
    debounce = ConnectorSettings().webhook_debounce_seconds
    ordered = sorted(latencies)
    p99 = ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]
    print(
        f"change-to-API over {len(ordered)} changes: p50 {statistics.median(ordered):.2f}s p99 {p99:.2f}s "
        f"(min {ordered[0]:.2f}s); webhook debounce {debounce:g}s"
    )
    base = {"unit": "s", "baseline": debounce, "baseline_name": "connector webhook debounce"}
    return [
        {"name": f"change-to-API latency p50 ({len(ordered)} changes)", "value": statistics.median(ordered), **base},
        {"name": f"change-to-API latency p99 ({len(ordered)} changes)", "value": p99, **base},
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", default="tiny")
    parser.add_argument("--samples", type=int, default=10)
    args = parser.parse_args()
    with bench_system(args.scale) as (sut, sim):
        start_connector(sut)
        token = admin_token(sut)
        finished_full_sync(sut, token)
        settled_at(sut)
        lines = report(measure(sut.url("gateway"), token, sim, args.samples))
    for line in lines:
        print("BENCH " + json.dumps(line))


if __name__ == "__main__":
    main()
