"""The web console in a real browser (Debian's chromium driven by playwright-core) against the whole system.

The browser tests themselves are console/tests/console.e2e.mjs (node:test); this starts every service and the
simulator as processes (in live mode, so the shop creates products after the first sync), waits for the first sync,
then runs them and fails with their output. Screenshots land in .local/console-screenshots/.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from e2e_harness import ADMIN, ROOT, SimulatorSpec, System, full_system, login

CONSOLE = ROOT / "console"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
DIST = Path(os.environ.get("CONSOLE_DIST", CONSOLE / "dist"))  # another build of the console, e.g. a broken one
SCREENSHOTS = ROOT / ".local" / "console-screenshots"
LOG = ROOT / ".local" / "logs" / "e2e" / "console-browser.log"
PERIOD = ("2025-12-01", "2025-12-31")  # the tiny shop's sales (anchor 2026-01-15)
SIM = SimulatorSpec(env=(("MOYSKLAD_SIM_LIVE", "true"), ("MOYSKLAD_SIM_LIVE_INTERVAL_SECONDS", "0.5")))


def missing_prerequisite() -> str | None:
    if shutil.which("node") is None:
        return "node is not installed"
    if not Path(CHROMIUM).exists():
        return f"no chromium at {CHROMIUM} (apt-get install chromium)"
    if not (CONSOLE / "node_modules" / "playwright-core").is_dir():
        return "console/node_modules is missing (make console)"
    if not (DIST / "index.html").is_file():
        return "the console is not built (make console)"
    return None


def wait_for_first_sync(sut: System, token: str, timeout: float = 240) -> None:
    """Products in the catalog and the period's sales in analytics: what the browser tests compare with."""
    headers = {"authorization": f"Bearer {token}"}
    gateway = sut.url("gateway")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        products = httpx.get(f"{gateway}/api/v1/products/?limit=1", headers=headers, timeout=10)
        dashboard = httpx.get(
            f"{gateway}/api/v1/analytics/dashboard",
            params={"period": "custom", "date_from": PERIOD[0], "date_to": PERIOD[1]},
            headers=headers,
            timeout=10,
        )
        # The admin sync paths allow 30 requests a minute per user (gateway settings): a slow first sync outlasts that.
        listed = httpx.get(f"{gateway}/api/v1/admin/sync/jobs?limit=1", headers=headers, timeout=10)
        jobs = listed.json()["items"] if listed.status_code == 200 else []
        if (
            products.status_code == 200
            and products.json()["total"] > 0
            and dashboard.status_code == 200
            and Decimal(dashboard.json()["current"]["revenue"]) > 0
            and jobs
            and jobs[0]["status"] not in ("pending", "running")
        ):
            return
        time.sleep(2)
    raise AssertionError("the first sync did not reach the catalog and analytics in time")


@pytest.mark.timeout(1500)
def test_console_in_a_real_browser() -> None:
    problem = missing_prerequisite()
    if problem is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(problem)
        pytest.skip(problem)
    extra = {
        "GATEWAY_CONSOLE_DIR": str(DIST),
        # short-lived access tokens: the console's silent refresh runs many times during the tests
        "AUTH_ACCESS_TOKEN_TTL": "PT60S",
    }
    with full_system(sim=SIM, extra_env=extra) as sut:
        token = login(sut)
        wait_for_first_sync(sut, token)
        env = {
            **os.environ,
            "GATEWAY_URL": sut.url("gateway"),
            "SIMULATOR_URL": sut.url("simulator"),
            "SIM_LOGIN": SIM.login,
            "SIM_PASSWORD": SIM.password,
            "ADMIN_EMAIL": ADMIN["email"],
            "ADMIN_PASSWORD": ADMIN["password"],
            "PERIOD_FROM": PERIOD[0],
            "PERIOD_TO": PERIOD[1],
            "SCREENSHOTS": str(SCREENSHOTS),
            "CHROMIUM": CHROMIUM,
        }
        started = time.monotonic()
        LOG.parent.mkdir(parents=True, exist_ok=True)
        with LOG.open("w") as log:  # written as the tests go: `tail -f` it to watch a run
            result = subprocess.run(
                ["node", "--test", "--test-reporter=spec", "tests/console.e2e.mjs"],
                cwd=CONSOLE,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                timeout=1200,
                check=False,
            )
        print(LOG.read_text(errors="replace")[-20000:])
        print(f"browser tests: {time.monotonic() - started:.0f}s; screenshots in {SCREENSHOTS}")
        if result.returncode != 0:
            dead = sut.dead()
            tails = "\n".join(f"--- {n}\n{sut.processes[n].tail(20)}" for n in dead)
            pytest.fail(f"browser tests failed (exit {result.returncode}); dead processes: {dead}\n{tails}")
