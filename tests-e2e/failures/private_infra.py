"""A private Kafka, PostgreSQL and Redis for failure tests, started by `scripts/infra/infra.sh` on free ports with
their own state directory under `.local/`, so restarting them never disturbs anybody else on this machine.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from e2e_harness import ROOT, Infra

from crm_testing import free_port

INFRA_SH = ROOT / "scripts" / "infra" / "infra.sh"
PARTS = ("kafka", "postgres", "redis")


@dataclass
class PrivateInfra:
    directory: Path
    ports: dict[str, int]

    @property
    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "KAFKA_BOOTSTRAP_SERVERS", "REDIS_URL")}
        return {
            **env,
            "INFRA_DIR": str(self.directory),
            "INFRA_KAFKA_PORT": str(self.ports["kafka"]),
            "INFRA_KAFKA_CONTROLLER_PORT": str(self.ports["kafka-controller"]),
            "INFRA_PG_PORT": str(self.ports["postgres"]),
            "INFRA_REDIS_PORT": str(self.ports["redis"]),
            "INFRA_KAFKA_HEAP": "-Xms128m -Xmx384m",
            "INFRA_WAIT_TIMEOUT": "120",
        }

    @property
    def infra(self) -> Infra:
        return Infra(
            kafka=f"127.0.0.1:{self.ports['kafka']}",
            database=f"postgresql+asyncpg://crm:crm@127.0.0.1:{self.ports['postgres']}/crm_test",
            redis=f"redis://127.0.0.1:{self.ports['redis']}/0",
        )

    def _run(self, command: str, *parts: str, timeout: float = 240) -> str:
        result = subprocess.run(
            [str(INFRA_SH), command, *parts],
            env=self.env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if result.returncode != 0:
            raise AssertionError(f"infra.sh {command} {' '.join(parts)} failed:\n{result.stdout}\n{result.stderr}")
        return result.stdout + result.stderr

    def up(self, *parts: str) -> None:
        self._run("up", *(parts or PARTS))

    def down(self, *parts: str) -> None:
        self._run("down", *(parts or PARTS))

    def restart(self, part: str) -> None:
        self.down(part)
        self.up(part)

    def status(self) -> str:
        result = subprocess.run(
            [str(INFRA_SH), "status"], env=self.env, cwd=ROOT, capture_output=True, text=True, timeout=60, check=False
        )
        return result.stdout


@contextmanager
def private_infra(*parts: str) -> Iterator[PrivateInfra]:
    directory = ROOT / ".local" / "e2e-failures" / uuid.uuid4().hex[:8]
    ports = {name: free_port() for name in ("kafka", "kafka-controller", "postgres", "redis")}
    infra = PrivateInfra(directory, ports)
    try:
        infra.up(*parts)
        yield infra
    finally:
        try:
            infra.down(*PARTS)
        finally:
            location = directory / "postgres.location"  # infra.sh may have put the data elsewhere
            if location.exists():
                elsewhere = Path(location.read_text().strip())
                if elsewhere.name == "postgres" and not elsewhere.is_relative_to(directory):
                    shutil.rmtree(elsewhere.parent, ignore_errors=True)
            shutil.rmtree(directory, ignore_errors=True)
