"""Run each package's tests in its own pytest process, then print one total.

Why separate processes: each suite gets its own Kafka topic prefix (``KAFKA_TOPIC_PREFIX``) so services' tests never
consume each other's events, and one suite's event loop or globals cannot leak into the next. The topics a suite
created are deleted after it. Exit status is non-zero if any suite failed.

    python scripts/run_tests.py [suite-dir ...] [-- extra pytest args]
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
import time
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path

from crm_testing.kafka import delete_run_topics

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SUITES = [
    "libs/common/tests",
    "libs/integration-kit/tests",
    "libs/testing/tests",
    "tools/moysklad-simulator/tests",
    "tools/bitrix24-simulator/tests",
    "services/auth/tests",
    "services/catalog/tests",
    "services/inventory/tests",
    "services/analytics/tests",
    "services/moysklad-connector/tests",
    "services/bitrix24-connector/tests",
    "services/gateway/tests",
    "deploy/tests",
    "tests-e2e",
]


def totals(junit: Path) -> dict[str, int]:
    counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    if not junit.exists():
        return counts
    root = ET.parse(junit).getroot()  # noqa: S314 - our own pytest's output
    for suite in root.iter("testsuite"):
        for key in counts:
            counts[key] += int(suite.get(key, 0))
    return counts


def run_suite(path: str, extra: list[str], out: Path) -> tuple[int, dict[str, int], float]:
    prefix = f"test-{uuid.uuid4().hex[:8]}."
    junit = out / (path.replace("/", "_") + ".xml")
    # Tests create topics by the dozen (one prefix per suite, one more per whole-system run): 3 partitions each, enough
    # for the three-replica test, keep the single test broker light. Deployments default to 12.
    env = {"KAFKA_TOPIC_PARTITIONS": "3", **os.environ, "KAFKA_TOPIC_PREFIX": prefix}
    start = time.monotonic()
    cmd = [sys.executable, "-m", "pytest", path, "-q", f"--junitxml={junit}", *extra]
    code = subprocess.run(cmd, cwd=ROOT, env=env, check=False).returncode
    try:
        asyncio.run(delete_run_topics(prefix))
    except Exception as exc:  # cleanup only; never hide the tests' own result
        print(f"(could not delete test topics {prefix}*: {exc})")
    return code, totals(junit), time.monotonic() - start


def main(argv: list[str]) -> int:
    extra: list[str] = []
    if "--" in argv:
        extra = argv[argv.index("--") + 1 :]
        argv = argv[: argv.index("--")]
    suites = [s for s in (argv or DEFAULT_SUITES) if (ROOT / s).exists()]
    passed = failed = skipped = 0
    failing: list[str] = []
    report: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        for suite in suites:
            print(f"\n===== {suite}", flush=True)
            code, t, seconds = run_suite(suite, extra, Path(tmp))
            bad = t["failures"] + t["errors"]
            ok = t["tests"] - bad - t["skipped"]
            passed, failed, skipped = passed + ok, failed + bad, skipped + t["skipped"]
            report.append(f"  {suite:40} {ok:5} passed {bad:4} failed {t['skipped']:4} skipped  {seconds:7.1f}s")
            if code not in (0, 5) or bad:
                failing.append(suite)
    print("\n===== summary")
    print("\n".join(report))
    if failing:
        print(f"failing suites: {', '.join(failing)}")
    print(f"{passed} passed, {failed} failed, {skipped} skipped")
    return 1 if failing or passed == 0 else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
