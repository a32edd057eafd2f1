"""Every alert rule and Grafana panel names a metric that really exists.

The ``crm_*`` names are read from a live ``/metrics``: an app built with ``create_service_app`` is served on a real
socket after importing every module of the services and the shared library that defines Prometheus metrics (found by
scanning the sources, so a new metric module is picked up). Names from the exporters (kafka-exporter,
postgres_exporter, redis_exporter) and Prometheus itself are listed below: they are not ours to export.
"""

from __future__ import annotations

import importlib
import json
import re
from pathlib import Path

import httpx
import pytest
import yaml

from crm_common.web.app import create_service_app
from crm_testing import serve_in_thread

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
EXPORTER_METRICS = {
    "up",  # Prometheus: scrape target health
    "kafka_consumergroup_lag",
    "kafka_consumergroup_current_offset_sum",
    "kafka_brokers",
    "kafka_topic_partitions",
    "pg_up",
    "redis_up",
}
PROMQL_WORDS = {
    "sum",
    "rate",
    "increase",
    "delta",
    "histogram_quantile",
    "max",
    "min",
    "avg",
    "count",
    "by",
    "without",
    "and",
    "or",
    "unless",
    "on",
    "ignoring",
    "time",
    "absent",
    "label_values",
    "topk",
    "bottomk",
    "irate",
    "offset",
    "bool",
    "group_left",
    "group_right",
    "clamp_min",
    "clamp_max",
    "abs",
    "le",
    "humanize",
    "inf",
    "nan",
}


def metric_names(expr: str) -> set[str]:
    """The metric names in a PromQL expression (labels, strings, durations and functions removed)."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"', "", expr)  # label values, legend strings
    text = re.sub(r"\{[^}]*\}", "", text)  # label matchers
    text = re.sub(r"\[[^\]]*\]", "", text)  # range selectors, $__rate_interval
    text = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", text)
    text = re.sub(r"\$\w+", "", text)
    names = set(re.findall(r"(?<![\w.])([a-zA-Z_:][a-zA-Z0-9_:]*)", text))
    return {n for n in names if n.lower() not in PROMQL_WORDS and not re.fullmatch(r"\d+\w*", n)}


def sample_names(exposition: str) -> set[str]:
    """Every sample name a scrape can carry, from the ``# TYPE`` lines (labelled metrics may have no sample yet)."""
    names: set[str] = set()
    for name, kind in re.findall(r"(?m)^# TYPE (\S+) (\S+)$", exposition):
        base = name.removesuffix("_total") if kind == "counter" else name
        suffixes = {
            "counter": ["_total", "_created"],
            "histogram": ["_bucket", "_sum", "_count", "_created"],
            "summary": ["", "_sum", "_count", "_created"],
        }.get(kind, [""])
        names |= {base + s for s in suffixes}
    return names


def metric_modules() -> list[str]:
    modules = []
    for src in [ROOT / "libs/common/src", *sorted((ROOT / "services").glob("*/src"))]:
        for path in sorted(src.rglob("*.py")):
            if re.search(
                r"(?m)^from prometheus_client import .*\b(Counter|Histogram|Gauge|Summary)\b", path.read_text()
            ):
                modules.append(".".join(path.relative_to(src).with_suffix("").parts))
    return modules


@pytest.fixture(scope="module")
def exported() -> set[str]:
    modules = metric_modules()
    assert "crm_common.web.middleware" in modules
    assert "crm_common.messaging.consumer" in modules
    for module in modules:
        importlib.import_module(module)
    app = create_service_app(service="deploy-check", title="metrics names")
    with serve_in_thread(app) as url:
        httpx.get(f"{url}/health/live", timeout=5).raise_for_status()
        response = httpx.get(f"{url}/metrics", timeout=5)
    response.raise_for_status()
    names = sample_names(response.text)
    assert "crm_http_requests_total" in names  # the request above was counted
    return names


def alert_expressions() -> list[tuple[str, str]]:
    document = yaml.safe_load((DEPLOY / "prometheus/rules/crm-alerts.yml").read_text())
    return [(r["alert"], r["expr"]) for g in document["groups"] for r in g["rules"]]


def panel_expressions(datasource: str) -> list[tuple[str, str]]:
    found = []
    for path in sorted((DEPLOY / "grafana/dashboards").glob("*.json")):
        dashboard = json.loads(path.read_text())
        for panel in dashboard["panels"]:
            for target in panel["targets"]:
                if target["datasource"]["uid"] == datasource:
                    found.append((f"{path.stem}: {panel['title']}", target.get("expr") or target.get("rawSql")))
    return found


def test_the_name_extractor_finds_names_and_skips_functions_and_labels() -> None:
    expr = 'histogram_quantile(0.99, sum by (service, le) (rate(foo_bucket{route!~"/x"}[5m]))) / on(a) bar > 1'
    assert metric_names(expr) == {"foo_bucket", "bar"}


@pytest.mark.parametrize(("alert", "expr"), alert_expressions())
def test_alert_names_only_exported_metrics(exported: set[str], alert: str, expr: str) -> None:
    names = metric_names(expr)
    assert names, f"{alert} names no metric"
    assert names <= exported | EXPORTER_METRICS, f"{alert}: unknown {names - exported - EXPORTER_METRICS}"


@pytest.mark.parametrize(("panel", "expr"), panel_expressions("prometheus"))
def test_dashboard_panel_names_only_exported_metrics(exported: set[str], panel: str, expr: str) -> None:
    names = metric_names(expr)
    assert names, f"{panel} names no metric"
    assert names <= exported | EXPORTER_METRICS, f"{panel}: unknown {names - exported - EXPORTER_METRICS}"


def test_dashboards_cover_requests_lag_sync_and_business_kpis() -> None:
    exprs = " ".join(e for _, e in panel_expressions("prometheus"))
    for needed in (
        "crm_http_requests_total",
        "crm_http_request_duration_seconds_bucket",
        "kafka_consumergroup_lag",
        "crm_moysklad_rate_limited_total",
        "crm_moysklad_events_published_total",
    ):
        assert needed in exprs
    sql = " ".join(e for _, e in panel_expressions("crm-postgres"))
    assert "revenue" in sql
    assert "customer_order" in sql
    assert "low_stock_state" in sql


def test_every_dashboard_uses_a_provisioned_datasource() -> None:
    provisioned = yaml.safe_load((DEPLOY / "grafana/provisioning/datasources/datasources.yml").read_text())
    uids = {d["uid"] for d in provisioned["datasources"]}
    for path in (DEPLOY / "grafana/dashboards").glob("*.json"):
        dashboard = json.loads(path.read_text())
        for panel in dashboard["panels"]:
            assert panel["datasource"]["uid"] in uids, f"{path.name}: {panel['title']}"
