"""Change-to-API latency: a price changes in the (simulated) MoySklad shop, how long until the gateway serves it.

    uv run python bench/latency_change_to_api.py [--scale tiny] [--samples 50] [--pause 1]

Live-mode changes, one at a time: the simulator records the change with its audit event and webhook (as its live mode
does), MoySklad's webhook reaches the connector through the gateway, the connector paces the hint (settle delay, or
spacing after the previous hinted sync: crm_integration.hints) and runs an incremental sync of the types the
notification named, the event goes through Kafka to catalog, and ``GET /api/v1/products/{id}`` shows the new price.
Baseline, measured in the same run: the simulator's own webhook delivery time for the same changes (from the change
to the connector's answer to MoySklad's POST, ``deliveredAfterMs`` in the simulator's webhook log): the system cannot
know of a change before that. The connector's pacing settings are printed next to it, as the part of the gap that
is there by design. Changes come one at a time, each after the previous one was served plus a pause (``--pause``),
as isolated changes in a shop do. Exits non-zero if a change is never served, or is served without its webhook
having been delivered (then the figure would not be change-to-API through webhooks). Asserts nothing about time.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from dataclasses import dataclass, field
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


@dataclass
class Samples:
    latencies: list[float] = field(default_factory=list)  # change to served by the gateway, s
    deliveries: list[float] = field(default_factory=list)  # change to webhook accepted by the connector, s


def delivered_after(sim: RunningSimulator, since: int) -> float | None:
    """Seconds from the change to the first accepted delivery of its notifications (log entries after ``since``)."""
    accepted = [e["deliveredAfterMs"] for e in sim.state.webhook_log[since:] if e["status"] in (200, 204)]
    return min(accepted) / 1000 if accepted else None


def measure(
    gateway: str, token: str, sim: RunningSimulator, samples: int, timeout: float = 180, pause: float = 0.0
) -> Samples:
    products = [p for p in sim.state.records("product") if not p["archived"] and p.get("salePrices")]
    measured = Samples()
    with httpx.Client(base_url=gateway, headers={"authorization": f"Bearer {token}"}, timeout=30) as client:
        for n in range(samples):
            product = products[n % len(products)]
            logged = len(sim.state.webhook_log)
            expected = change_price(sim, product)
            started = time.perf_counter()
            while time.perf_counter() - started < timeout:
                response = client.get(f"/api/v1/products/{product['id']}")
                prices = response.json().get("sale_prices") if response.status_code == 200 else None
                if prices and Decimal(str(prices[0]["amount"])) == expected:
                    measured.latencies.append(time.perf_counter() - started)
                    break
                time.sleep(0.05)
            else:
                raise SystemExit(f"side check failed: price of {product['id']} not served after {timeout}s")
            delivery = delivered_after(sim, logged)
            if delivery is None:
                raise SystemExit(f"side check failed: the change of {product['id']} was served without a webhook")
            measured.deliveries.append(delivery)
            time.sleep(pause)
    return measured


def p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]


def report(measured: Samples) -> list[dict[str, object]]:
    settings = ConnectorSettings()
    pacing = (
        f"settle {settings.webhook_settle_seconds:g}s, spacing ×{settings.webhook_spacing_factor:g}, "
        f"ceiling {settings.webhook_debounce_seconds:g}s"
    )
    latencies, deliveries = measured.latencies, measured.deliveries
    print(
        f"change-to-API over {len(latencies)} changes: p50 {statistics.median(latencies):.2f}s "
        f"p99 {p99(latencies):.2f}s (min {min(latencies):.2f}s); webhook delivered after p50 "
        f"{statistics.median(deliveries):.3f}s p99 {p99(deliveries):.3f}s; connector pacing: {pacing}"
    )
    name = "simulator's webhook delivery, same changes"
    return [
        {
            "name": f"change-to-API latency p50 ({len(latencies)} changes)",
            "value": statistics.median(latencies),
            "unit": "s",
            "baseline": statistics.median(deliveries),
            "baseline_name": f"{name}, p50",
        },
        {
            "name": f"change-to-API latency p99 ({len(latencies)} changes)",
            "value": p99(latencies),
            "unit": "s",
            "baseline": p99(deliveries),
            "baseline_name": f"{name}, p99",
        },
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", default="tiny")
    parser.add_argument("--samples", type=int, default=50)
    parser.add_argument("--pause", type=float, default=1.0, help="seconds between a served change and the next one")
    args = parser.parse_args()
    with bench_system(args.scale) as (sut, sim):
        start_connector(sut)
        token = admin_token(sut)
        finished_full_sync(sut, token)
        settled_at(sut)
        lines = report(measure(sut.url("gateway"), token, sim, args.samples, pause=args.pause))
    for line in lines:
        print("BENCH " + json.dumps(line))


if __name__ == "__main__":
    main()
