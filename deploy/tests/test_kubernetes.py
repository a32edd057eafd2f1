"""Kustomize overlays render, every manifest is valid against the Kubernetes schemas, and the platform rules hold."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from crm_common.events.topics import TOPICS

DEPLOY = Path(__file__).resolve().parents[1]
Tools = Any  # conftest.Tools (the `tools` fixture)
OVERLAYS = ("dev", "prod")
# The oldest minor version a managed cluster still runs, and the newest the bundled schemas know.
K8S_VERSIONS = ("1.30.0", "1.37.0")
CONNECTORS = ("moysklad-connector", "bitrix24-connector")  # one Deployment per source (docs/integrations.md)
SERVICES = ("gateway", "auth", "catalog", "inventory", "analytics", *CONNECTORS)
CONSUMERS = ("catalog", "inventory", "analytics")  # consume partitioned topics in the same process as their API
SCHEMA_OWNERS = ("auth", "catalog", "inventory", "analytics", *CONNECTORS)


def render(tools: Tools, overlay: str, tmp_path: Path) -> tuple[Path, list[dict[str, Any]]]:
    result = tools.run(tools.kubectl, "kustomize", DEPLOY / "k8s" / "overlays" / overlay)
    assert result.returncode == 0, result.stderr
    out = tmp_path / f"{overlay}.yaml"
    out.write_text(result.stdout)
    return out, [d for d in yaml.safe_load_all(result.stdout) if d]


def by_kind(docs: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}


@pytest.fixture(scope="module", params=OVERLAYS)
def overlay(request: pytest.FixtureRequest, tools: Tools, tmp_path_factory: pytest.TempPathFactory) -> Any:
    path, docs = render(tools, request.param, tmp_path_factory.mktemp(request.param))
    return request.param, path, docs


@pytest.mark.parametrize("version", K8S_VERSIONS)
def test_every_rendered_manifest_validates_against_the_kubernetes_schemas(
    tools: Tools, overlay: Any, version: str
) -> None:
    _, path, docs = overlay
    assert len(docs) > 30
    result = tools.run(tools.kubernetes_validate, "--strict", "--quiet", "-k", version, path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_secret_templates_validate_and_hold_only_placeholders(tools: Tools) -> None:
    path = DEPLOY / "k8s" / "secrets" / "secrets.example.yaml"
    result = tools.run(tools.kubernetes_validate, "--strict", "--quiet", path)
    assert result.returncode == 0, result.stdout + result.stderr
    secrets = list(yaml.safe_load_all(path.read_text()))
    assert {s["metadata"]["name"] for s in secrets} >= {"crm-shared"} | {f"crm-{s}" for s in SCHEMA_OWNERS}
    for secret in secrets:
        for key, value in secret["stringData"].items():
            assert re.fullmatch(r"<[^<>]+>", value), f"{secret['metadata']['name']}.{key} is not a placeholder"


def test_the_validator_rejects_a_broken_manifest(tools: Tools, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\nspec:\n  replicas: two\n")
    result = tools.run(tools.kubernetes_validate, "--strict", "--quiet", bad)
    assert result.returncode != 0


def test_every_service_has_a_deployment_with_probes_resources_and_a_locked_down_context(overlay: Any) -> None:
    _, _, docs = overlay
    deployments = by_kind(docs, "Deployment")
    assert set(SERVICES) <= set(deployments)
    for name in SERVICES:
        pod = deployments[name]["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["automountServiceAccountToken"] is False
        (container,) = pod["containers"]
        assert container["livenessProbe"]["httpGet"]["path"] == "/health/live"
        assert container["readinessProbe"]["httpGet"]["path"] == "/health/ready"
        assert container["resources"]["requests"]["cpu"]
        assert container["resources"]["limits"]["memory"]
        ctx = container["securityContext"]
        assert ctx["readOnlyRootFilesystem"] is True
        assert ctx["allowPrivilegeEscalation"] is False
        assert ctx["capabilities"]["drop"] == ["ALL"]
        annotations = deployments[name]["spec"]["template"]["metadata"]["annotations"]
        assert annotations["prometheus.io/port"] == str(container["ports"][0]["containerPort"])


def test_every_service_has_a_cluster_ip_service_matching_its_pods(overlay: Any) -> None:
    _, _, docs = overlay
    services, deployments = by_kind(docs, "Service"), by_kind(docs, "Deployment")
    for name in SERVICES:
        selector = services[name]["spec"]["selector"]
        labels = deployments[name]["spec"]["template"]["metadata"]["labels"]
        assert selector.items() <= labels.items()
        assert services[name]["spec"].get("type", "ClusterIP") == "ClusterIP"


def test_each_schema_owner_has_a_migration_job_running_its_migrate_command(overlay: Any) -> None:
    _, _, docs = overlay
    jobs = by_kind(docs, "Job")
    for name in SCHEMA_OWNERS:
        job = jobs[f"{name}-migrate"]
        command = " ".join(job["spec"]["template"]["spec"]["containers"][0]["command"])
        assert f"crm-{name} migrate" in command or command == f"crm-{name} migrate"


def test_consumer_autoscaling_never_exceeds_the_partition_count(overlay: Any) -> None:
    overlay_name, _, docs = overlay
    hpas = by_kind(docs, "HorizontalPodAutoscaler")
    (config,) = [c for name, c in by_kind(docs, "ConfigMap").items() if name.startswith("crm-config")]
    # topics are created with the deployment's KAFKA_TOPIC_PARTITIONS, except those that name their own count
    partitions = min([int(config["data"]["KAFKA_TOPIC_PARTITIONS"]), *(t.partitions for t in TOPICS if t.partitions)])
    for name in CONSUMERS:
        assert hpas[name]["spec"]["maxReplicas"] <= partitions
    consumers_max = max(hpas[name]["spec"]["maxReplicas"] for name in CONSUMERS)
    assert hpas["gateway"]["spec"]["maxReplicas"] > consumers_max  # the gateway is stateless: scale it freely
    # A connector's replicas are for availability: one sync per integration runs at a time, whatever their number.
    for name in CONNECTORS:
        assert name not in hpas
        connector = by_kind(docs, "Deployment")[name]["spec"]
        assert connector["replicas"] == (1 if overlay_name == "dev" else 2)
        assert connector["strategy"]["rollingUpdate"]["maxUnavailable"] == 0


def test_the_gateway_routes_to_services_that_exist_and_may_reach_them(overlay: Any) -> None:
    _, _, docs = overlay
    (config,) = [c for name, c in by_kind(docs, "ConfigMap").items() if name.startswith("crm-config")]
    services, deployments = by_kind(docs, "Service"), by_kind(docs, "Deployment")
    upstreams = {k: v for k, v in config["data"].items() if re.fullmatch(r"GATEWAY_\w+_URL", k)}
    routed = set()
    for key, url in upstreams.items():
        host, port = re.fullmatch(r"http://([a-z0-9-]+):(\d+)", url).groups()  # type: ignore[union-attr]
        assert host in services, f"{key} names no Service"
        assert int(port) in [p["port"] for p in services[host]["spec"]["ports"]], f"{key}: port {port}"
        routed.add(host)
    assert routed == set(SERVICES) - {"gateway"}  # every service behind the gateway is routed to
    (from_gateway,) = [p for n, p in by_kind(docs, "NetworkPolicy").items() if n == "services-from-gateway"]
    selected = from_gateway["spec"]["podSelector"]["matchExpressions"][0]["values"]
    allowed = {p["port"] for rule in from_gateway["spec"]["ingress"] for p in rule["ports"]}
    for name in routed:
        assert name in selected
        ports = deployments[name]["spec"]["template"]["spec"]["containers"][0]["ports"]
        assert {p["containerPort"] for p in ports} <= allowed, name


def test_http_services_have_disruption_budgets(overlay: Any) -> None:
    _, _, docs = overlay
    assert set(SERVICES) <= set(by_kind(docs, "PodDisruptionBudget"))


def test_only_the_gateway_is_reachable_from_outside(overlay: Any) -> None:
    _, _, docs = overlay
    ingresses = list(by_kind(docs, "Ingress").values())
    backends = {
        p["backend"]["service"]["name"] for i in ingresses for r in i["spec"]["rules"] for p in r["http"]["paths"]
    }
    assert backends == {"gateway"}
    assert all(s["spec"].get("type", "ClusterIP") == "ClusterIP" for s in by_kind(docs, "Service").values())
    policies = by_kind(docs, "NetworkPolicy")
    deny = policies["default-deny-ingress"]["spec"]
    assert deny["podSelector"] == {}
    assert deny["policyTypes"] == ["Ingress"]
    assert "ingress" not in deny
    from_outside = [
        p
        for p in policies.values()
        for rule in p["spec"].get("ingress", [])
        for peer in rule.get("from", [])
        if peer.get("namespaceSelector", {}).get("matchLabels", {}).get("kubernetes.io/metadata.name")
        == "ingress-nginx"
    ]
    assert [p["spec"]["podSelector"]["matchLabels"]["app.kubernetes.io/name"] for p in from_outside] == ["gateway"]


def test_prod_runs_no_infrastructure_and_ships_no_secrets(tools: Tools, tmp_path: Path) -> None:
    _, docs = render(tools, "prod", tmp_path)
    assert not by_kind(docs, "StatefulSet")
    assert not by_kind(docs, "Secret")
    config = by_kind(docs, "ConfigMap")
    (crm_config,) = [c for name, c in config.items() if name.startswith("crm-config")]
    assert crm_config["data"]["ENVIRONMENT"] == "production"
    images = {
        c["image"] for d in by_kind(docs, "Deployment").values() for c in d["spec"]["template"]["spec"]["containers"]
    }
    assert all(i.startswith("registry.example.com/") and not i.endswith(":dev") for i in images)


def test_dev_runs_kafka_postgres_and_redis_in_cluster(tools: Tools, tmp_path: Path) -> None:
    _, docs = render(tools, "dev", tmp_path)
    assert set(by_kind(docs, "StatefulSet")) == {"kafka", "postgres", "redis"}
    assert "topics" in by_kind(docs, "Job")
    env_refs = {
        ref["secretRef"]["name"]
        for d in by_kind(docs, "Deployment").values()
        for c in d["spec"]["template"]["spec"]["containers"]
        for ref in c.get("envFrom", [])
        if "secretRef" in ref
    }
    assert env_refs <= set(by_kind(docs, "Secret"))  # kustomize rewrote names to the generated (hashed) ones
