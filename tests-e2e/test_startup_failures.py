"""A service started without its infrastructure says which part is missing and where it looked, and exits non-zero."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from crm_testing import free_port

BIN = Path(sys.executable).parent

# service command, the parts it needs at start-up
SERVICES = {
    "crm-auth": ("postgres", "redis"),
    "crm-catalog": ("postgres", "kafka"),
    "crm-inventory": ("postgres", "kafka"),
    "crm-analytics": ("postgres", "kafka", "redis"),
    "crm-moysklad-connector": ("postgres", "kafka"),
    "crm-gateway": ("redis",),
}
BROKEN = {
    "postgres": ("DATABASE_URL", "postgresql+asyncpg://crm:crm@127.0.0.1:{port}/crm", "PostgreSQL"),
    "kafka": ("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:{port}", "Kafka"),
    "redis": ("REDIS_URL", "redis://127.0.0.1:{port}/0", "Redis"),
}
CASES = [(cmd, part) for cmd, parts in SERVICES.items() for part in parts]


@pytest.mark.parametrize(("command", "part"), CASES, ids=[f"{c}-{p}" for c, p in CASES])
def test_missing_infrastructure_is_named_with_its_address(command: str, part: str) -> None:
    variable, template, label = BROKEN[part]
    closed = free_port()  # nothing listens there
    address = template.format(port=closed)
    service_port = f"{command[4:].upper().replace('-', '_')}_PORT".replace("MOYSKLAD_CONNECTOR", "CONNECTOR")
    env = {**os.environ, variable: address, "ENVIRONMENT": "test", service_port: str(free_port())}
    result = subprocess.run(
        [str(BIN / command), "serve"], env=env, capture_output=True, text=True, timeout=90, check=False
    )
    assert result.returncode != 0
    output = result.stderr + result.stdout
    assert label in output, output[-2000:]
    assert f"127.0.0.1:{closed}" in output, output[-2000:]
    assert "Traceback" not in output, output[-2000:]
