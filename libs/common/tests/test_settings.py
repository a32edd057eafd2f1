from __future__ import annotations

import pytest
from pydantic import ValidationError

from crm_common.settings import Environment, ServiceSettings


def test_plain_infrastructure_variables_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://u:p@db:5432/x")
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "k1:9092,k2:9092")
    settings = ServiceSettings()
    assert settings.database_url == "postgresql://u:p@db:5432/x"
    assert settings.kafka_bootstrap_servers == "k1:9092,k2:9092"


def test_default_secret_is_refused_outside_development(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENVIRONMENT", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(ValidationError, match="SECRET_KEY"):
        ServiceSettings()


def test_real_secret_is_accepted_in_production(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENVIRONMENT", "production")
    monkeypatch.setenv("SECRET_KEY", "a-real-secret-from-the-vault-0123456789")
    assert ServiceSettings().environment is Environment.PRODUCTION
