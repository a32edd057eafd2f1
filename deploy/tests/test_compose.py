"""docker-compose.yml follows the Compose specification and wires health checks, profiles and exposure right."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"
APP_SERVICES = {
    "gateway": 8000,
    "auth": 8001,
    "catalog": 8002,
    "inventory": 8003,
    "analytics": 8004,
    "moysklad-connector": 8005,
    "bitrix24-connector": 8006,
}
MIGRATED = ("auth", "catalog", "inventory", "analytics", "moysklad-connector", "bitrix24-connector")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE.read_text())


def test_compose_file_validates_against_the_compose_specification(tools: Any) -> None:
    result = tools.run(tools.check_jsonschema, "--builtin-schema", "vendor.compose-spec", COMPOSE)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_compose_validator_rejects_an_unknown_service_key(tools: Any, tmp_path: Path) -> None:
    bad = tmp_path / "docker-compose.yml"
    bad.write_text("services:\n  web:\n    image: nginx\n    restart_policy: always\n")
    result = tools.run(tools.check_jsonschema, "--builtin-schema", "vendor.compose-spec", bad)
    assert result.returncode != 0


def test_every_dependency_exists_and_waits_on_health_or_completion(compose: dict[str, Any]) -> None:
    services = compose["services"]
    for name, service in services.items():
        for dep, spec in (service.get("depends_on") or {}).items():
            assert dep in services, f"{name} depends on unknown {dep}"
            condition = spec["condition"]
            assert condition in ("service_healthy", "service_completed_successfully"), (name, dep)
            if condition == "service_healthy":
                assert "healthcheck" in services[dep], f"{name} waits for {dep} to be healthy, which has no check"


def test_every_app_service_is_built_checked_and_locked_down(compose: dict[str, Any]) -> None:
    services = compose["services"]
    for name, port in APP_SERVICES.items():
        service = services[name]
        assert (ROOT / service["build"]["dockerfile"]).is_file()
        assert f"127.0.0.1:{port}/health/ready" in " ".join(service["healthcheck"]["test"])
        assert service["read_only"] is True
        assert service["cap_drop"] == ["ALL"]
        env = service["environment"]
        assert env["KAFKA_BOOTSTRAP_SERVERS"] == "kafka:9092"
        assert env["HTTP_HOST"] == "0.0.0.0"
        assert env["OTEL_SERVICE_NAME"] == name


def test_services_start_after_their_migration_and_the_topics(compose: dict[str, Any]) -> None:
    services = compose["services"]
    for name in MIGRATED:
        deps = services[name]["depends_on"]
        assert deps[f"migrate-{name}"]["condition"] == "service_completed_successfully"
        job = services[f"migrate-{name}"]
        assert "migrate" in " ".join(job.get("entrypoint") or []) + " ".join(job.get("command") or [])
        assert job["restart"] == "no"
    topics = services["topics"]
    assert topics["entrypoint"] == ["python", "-m", "crm_common.messaging.topics_cli"]
    for name in ("catalog", "inventory", "analytics", "moysklad-connector", "bitrix24-connector"):
        assert services[name]["depends_on"]["topics"]["condition"] == "service_completed_successfully"


def test_only_the_gateway_and_operator_uis_are_published_on_loopback(compose: dict[str, Any]) -> None:
    published = {name: s["ports"] for name, s in compose["services"].items() if s.get("ports")}
    assert set(published) == {"gateway", "prometheus", "grafana", "jaeger", "kafka-ui"}
    for ports in published.values():
        assert all(str(p).startswith("127.0.0.1:") for p in ports)


def test_profiles_keep_demo_monitoring_and_tools_optional(compose: dict[str, Any]) -> None:
    profiles = {name: s.get("profiles", []) for name, s in compose["services"].items()}
    assert profiles["moysklad-simulator"] == ["demo"]
    for name in ("prometheus", "grafana", "postgres-exporter", "redis-exporter", "kafka-exporter"):
        assert profiles[name] == ["monitoring"]
    assert profiles["kafka-ui"] == ["tools"]
    assert all(not profiles[name] for name in (*APP_SERVICES, "kafka", "postgres", "redis", "topics"))


def test_kafka_runs_in_kraft_mode(compose: dict[str, Any]) -> None:
    env = compose["services"]["kafka"]["environment"]
    assert env["KAFKA_PROCESS_ROLES"] == "broker,controller"
    assert "KAFKA_ZOOKEEPER_CONNECT" not in env


def test_every_mounted_file_exists(compose: dict[str, Any]) -> None:
    for service in compose["services"].values():
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0]
            if source.startswith("./"):
                assert (ROOT / source).exists(), source
