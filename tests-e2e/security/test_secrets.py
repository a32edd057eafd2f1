"""Secrets never appear in a service's log file or in a response body (runs last: conftest.py orders it so).

Scanned: every log line each service process wrote during the tier (the simulator is not a service and is left out),
and every response body any test of the tier received (the recording clients in sec_harness and the fuzzer's
session). Secrets: SECRET_KEY, auth's private signing key, the admin's and every test user's password, the MoySklad
password, the database password, every refresh token issued (allowed only in the login/refresh answer that issued
it), and access tokens in logs.
"""

from __future__ import annotations

from e2e_harness import BITRIX24_APPLICATION_TOKEN, BITRIX24_WEBHOOK_CODE
from sec_harness import SecuritySystem
from sqlalchemy.engine import make_url

ISSUING = ("/api/v1/auth/login", "/api/v1/auth/refresh")


def named_secrets(sec: SecuritySystem) -> dict[str, str]:
    found = dict(sec.secrets.named())
    # the Bitrix24 integration's secrets: the code in its incoming-webhook URL and the events' application token
    found["Bitrix24 webhook code"] = BITRIX24_WEBHOOK_CODE
    found["Bitrix24 application token"] = BITRIX24_APPLICATION_TOKEN
    for role, account in sec.accounts.items():
        found[f"password of {role}"] = account.password
    password = make_url(sec.sut.database_url).password
    if password:
        found["database password (in a URL)"] = f":{password}@"
    return found


def service_logs(sec: SecuritySystem) -> dict[str, str]:
    return {
        name: process.log.read_text(errors="replace")
        for name, process in sec.sut.processes.items()
        if name not in ("simulator", "bitrix24-simulator") and process.log.exists()
    }


def test_the_scan_has_material(sec: SecuritySystem) -> None:
    """Guard against a vacuous pass: the tier produced responses and every service wrote a log."""
    with sec.admin() as c:  # the places a secret would most likely surface
        for path in ("/api/v1/admin/integrations", "/api/v1/admin/health", "/api/v1/auth/me", "/api/v1/admin/audit"):
            assert c.get(path).status_code == 200, path
    assert len(sec.recorded) > 500
    assert len(sec.issued) >= 5
    logs = service_logs(sec)
    assert set(logs) == {
        "auth",
        "catalog",
        "inventory",
        "analytics",
        "moysklad-connector",
        "bitrix24-connector",
        "gateway",
    }
    assert all(logs.values()), [name for name, text in logs.items() if not text]


def test_no_secret_in_any_service_log(sec: SecuritySystem) -> None:
    leaks = []
    secrets = {**named_secrets(sec), **{f"refresh token …{t[-6:]}": t for t in sec.issued}}
    secrets |= {f"access token of {r}": a.access_token for r, a in sec.accounts.items()}
    for service, text in service_logs(sec).items():
        for what, value in secrets.items():
            if value and value in text:
                line = next(line for line in text.splitlines() if value in line)
                leaks.append(f"{service}.log has the {what}: {line[:200]}")
    assert not leaks, "\n".join(leaks)


def test_no_secret_in_any_response_body(sec: SecuritySystem) -> None:
    leaks = []
    secrets = named_secrets(sec)
    for response in sec.recorded:
        for what, value in secrets.items():
            if value in response.body:
                leaks.append(f"{response.method} {response.url} [{response.status}] has the {what}")
        if not response.url.split("?")[0].endswith(ISSUING):
            for token in sec.issued:
                if token in response.body:
                    leaks.append(f"{response.method} {response.url} [{response.status}] shows a refresh token")
    assert not leaks, "\n".join(sorted(set(leaks))[:50])
